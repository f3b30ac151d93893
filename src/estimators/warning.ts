// Some estimates signal that something upstream is wrong (a negative running KL, weights
// dominated by one sample) without being bad input; they warn instead of throwing. The
// hook lets a tuner route the warning into its metrics or a test capture it.
export type Warn = (message: string) => void;

/** The default: impossible to miss on a terminal. */
export const warnLoudly: Warn = (message) => {
  process.stderr.write(`\n*** WARNING: ${message}\n\n`);
};
