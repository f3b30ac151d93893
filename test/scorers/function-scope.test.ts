// The function-scoped features: the scorer sees signature + body only, as a file ends,
// and an empty body fails; with the real pycodestyle/compile checker, a body followed
// by more module code or cut mid-line is judged on its complete lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionScoped } from '../../src/scorers/function-scope.js';
import type { Scorer } from '../../src/scorers/scorer.js';
import { buildFeature } from '../../src/tuners/feature-spec.js';

test('the inner scorer sees each body with one final newline, and empty bodies score 0 unseen', async () => {
  const seen: [string, string | undefined][] = [];
  const inner: Scorer = {
    name: 'recorder',
    async score(texts, contexts) {
      texts.forEach((t, i) => seen.push([t, contexts?.[i]]));
      return Float64Array.from(texts, () => 1);
    },
  };
  const texts = ['    return 1\n\n\nprint(2)\n', 'print(3)\n', '    x = 1\n    y = (', '    pass\n'];
  const scores = await functionScoped(inner).score(texts, ['def a():\n', 'def b():\n', 'def c():\n', 'def d():\n']);
  assert.deepEqual(Array.from(scores), [1, 0, 1, 1]);
  assert.deepEqual(seen, [['    return 1\n', 'def a():\n'], ['    x = 1\n', 'def c():\n'], ['    pass\n', 'def d():\n']]);
});

test('function-scoped compiles and pep8-clean features judge the completed function with the real checker', async () => {
  const compiles = await buildFeature({ compiles: true, scope: 'function' });
  const clean = await buildFeature({ task: 'pep8', at_most: 0, scope: 'function' });
  try {
    const context = 'def f(x):\n    """Double x."""\n';
    const texts = [
      '    return 2 * x\n\n\nprint(f(1)) +\n',   // the body compiles; the module after it would not
      '    return 2 *\n\n\nx = 1\n',            // the body does not compile, yet pycodestyle (style, not syntax) finds nothing
      '    y=2*x\n    return y\n',              // compiles, but E225 around '='
      '    return 2 * x\n    z = [',            // a cut last line is left out
    ];
    const contexts = texts.map(() => context);
    assert.deepEqual(Array.from(await compiles.scorer.score(texts, contexts)), [1, 0, 1, 1]);
    assert.deepEqual(Array.from(await clean.scorer.score(texts, contexts)), [1, 1, 0, 1]);
    // A prompt that ends where the docstring closes (as heldOutSignatures writes them): the body starts with the line break.
    const open = context.trimEnd();
    assert.deepEqual(Array.from(await compiles.scorer.score(['\n    return 2 * x\n\n\nprint(1) +\n', '\nprint(1)\n'], [open, open])), [1, 0]);
    assert.deepEqual(Array.from(await clean.scorer.score(['\n    return 2 * x\n\nx = 1\n', '\n    y=2 * x\n    return y\n'], [open, open])), [1, 0]);
  } finally {
    await compiles.scorer.close?.();
    await clean.scorer.close?.();
  }
});

test('scope: function on a raw task score is refused', async () => {
  const { featureSchema } = await import('../../src/tuners/feature-spec.js');
  assert.equal(featureSchema.safeParse({ task: 'pep8', scope: 'function' }).success, false);
  assert.equal(featureSchema.safeParse({ task: 'pep8', at_most: 0, scope: 'function' }).success, true);
});
