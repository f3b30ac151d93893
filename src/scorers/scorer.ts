// A scorer maps samples (and optionally their contexts) to numbers, batched. A
// misalignment score is ≥ 0 and lower is better; a boolean scorer returns 0/1 (its
// log-score is 0 or -Infinity). Scorers are pure: the same text gives the same score.
export interface Scorer {
  readonly name: string;
  /** One number per text; `contexts`, when given, has the same length as `texts`. */
  score(texts: readonly string[], contexts?: readonly string[]): Promise<Float64Array>;
  /** Releases workers, sockets or sessions; a no-op for in-process scorers. */
  close?(): Promise<void>;
}
