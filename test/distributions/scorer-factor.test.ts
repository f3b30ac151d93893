import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExponentialFactor } from '../../src/distributions/exponential-factor.js';
import { ScorerFactor } from '../../src/distributions/scorer-factor.js';
import { exponentialScorer } from '../../src/scorers/exponential.js';
import { predicateScorer } from '../../src/scorers/predicate.js';
import { prior, textLength } from './toy.js';

const support = prior.support();

test('scorers from scorers/ plug into the EBM algebra with the same log-scores as the explicit factors', async () => {
  const viaScorers = await prior.times(new ScorerFactor(predicateScorer('has-b', (t) => t.includes('b'))), new ScorerFactor(exponentialScorer(textLength, 0.3))).logScore(support);
  const explicit = await prior.times(new ExponentialFactor(textLength, 0.3)).logScore(support);
  support.forEach((s, i) => {
    if (s.text.includes('b')) assert.ok(Math.abs(viaScorers[i]! - explicit[i]!) < 1e-12);
    else assert.equal(viaScorers[i], -Infinity);
  });
});
