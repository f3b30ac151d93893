// log w_i = log P(x_i) − log q(x_i) for samples x_i ~ q (SPEC §2). The inputs come from
// a target and a proposal that may disagree (a different tokenizer, a sampler that
// does not match its scorer), so impossible values get a clear sentence.
import { fail } from '../util/errors.js';

export function logImportanceWeights(logTarget: Float64Array, logProposal: Float64Array): Float64Array {
  checkSameLength(logTarget, logProposal, 'target log-scores', 'proposal log-probabilities');
  return logTarget.map((lp, i) => {
    const lq = logProposal[i];
    if (Number.isNaN(lp) || lp === Infinity) fail(`the target's log-score of sample ${i} is ${lp}; it must be finite or -Infinity.`);
    if (!Number.isFinite(lq)) fail(`the proposal's log-probability of sample ${i}, which it drew, is ${lq}; the proposal's sampler and scorer disagree.`);
    return lp - lq;
  });
}

export function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>, aName: string, bName: string): void {
  if (a.length !== b.length) fail(`got ${a.length} ${aName} but ${b.length} ${bName}; they must be one per sample.`);
  if (a.length === 0) fail(`got no ${aName}; estimates need at least one sample.`);
}
