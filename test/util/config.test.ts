import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfig, parseConfig } from '../../src/util/config.js';
import { PosteriorError } from '../../src/util/errors.js';

const Schema = z.object({
  train: z.object({
    lr: z.number().positive(),
    steps: z.int().min(1),
    batch: z.int().default(16),
    objective: z.enum(['mle', 'conditional', 'unlikelihood']),
    layers: z.array(z.object({ width: z.int().max(4096) }).strict()).optional(),
    seed: z.union([z.int(), z.literal('random')]).optional(),
  }).strict(),
  scorer: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('pep8') }).strict(),
    z.object({ kind: z.literal('http'), url: z.url() }).strict(),
  ]).optional(),
  name: z.string().min(1).regex(/^[a-z0-9-]+$/).optional(),
  beta: z.number().refine((b) => b !== 0, 'must not be zero').optional(),
}).strict();

const dir = mkdtempSync(join(tmpdir(), 'posterior-config-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function refuses(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PosteriorError, String(e));
    assert.equal(e.message, message);
    return true;
  });
}

const good = 'train:\n  lr: 3e-4\n  steps: 100\n  objective: conditional\n  seed: random\nscorer:\n  kind: http\n  url: http://localhost:8080/score\n';

test('a valid YAML config loads with YAML 1.2 numbers and schema defaults', () => {
  const cfg = loadConfig(file('ok.yaml', good), Schema);
  assert.deepEqual(cfg, {
    train: { lr: 3e-4, steps: 100, batch: 16, objective: 'conditional', seed: 'random' },
    scorer: { kind: 'http', url: 'http://localhost:8080/score' },
  });
  const json = loadConfig(file('ok.json', '{"train": {"lr": 0.1, "steps": 2, "objective": "mle"}}'), Schema);
  assert.equal(json.train.batch, 16);
});

test('a wrong type names the file, the field path, the expected type and what was found', () => {
  const p = file('lr.yaml', good.replace('3e-4', 'fast'));
  refuses(() => loadConfig(p, Schema), `config ${p}: field \`train.lr\` must be a number, got string "fast"`);
  const q = file('steps.yaml', good.replace('steps: 100', 'steps: 2.5'));
  refuses(() => loadConfig(q, Schema), `config ${q}: field \`train.steps\` must be an integer, got number 2.5`);
});

test('unknown fields are rejected, with a hint when a known field is close', () => {
  const p = file('typo.yaml', good.replace('lr:', 'lrr:'));
  refuses(() => loadConfig(p, Schema), `config ${p}: unknown field \`train.lrr\` (did you mean \`lr\`?) (and 1 more problem)`);
  refuses(() => parseConfig({ train: { lr: 1, steps: 1, objective: 'mle', lrr: 2 } }, Schema, 'config t.yaml'),
    'config t.yaml: unknown field `train.lrr` (did you mean `lr`?)');
  refuses(() => parseConfig({ train: { lr: 1, steps: 1, objective: 'mle' }, foo: 1, bar: 2 }, Schema, 'config t.yaml'),
    'config t.yaml: unknown fields `foo`, `bar`');
  refuses(() => parseConfig({ train: { lr: 1, steps: 1, objective: 'mle', layers: [{ width: 1 }, { widht: 2 }] } }, Schema, 'flags'),
    'flags: unknown field `train.layers[1].widht` (did you mean `width`?) (and 1 more problem)');
});

test('ranges, enums, unions, formats and refinements each get their own sentence', () => {
  const base = { lr: 1, steps: 1, objective: 'mle' };
  const cases: [unknown, string][] = [
    [{ train: { ...base, lr: 0 } }, 'field `train.lr` must be greater than 0, got 0'],
    [{ train: { ...base, steps: 0 } }, 'field `train.steps` must be at least 1, got 0'],
    [{ train: { ...base, layers: [{ width: 5000 }] } }, 'field `train.layers[0].width` must be at most 4096, got 5000'],
    [{ train: { ...base, objective: 'dpo' } }, 'field `train.objective` must be one of "mle", "conditional", "unlikelihood", got "dpo"'],
    [{ train: { ...base, seed: 'sometimes' } }, 'field `train.seed` must be a number or "random", got string "sometimes"'],
    [{ train: { ...base, seed: true } }, 'field `train.seed` must be a number or "random", got boolean true'],
    [{ train: base, scorer: { kind: 'onnx' } }, 'field `scorer.kind` must be one of "pep8", "http", got "onnx"'],
    [{ train: base, scorer: { kind: 'http', url: 'nowhere' } }, 'field `scorer.url` must be a valid url, got "nowhere"'],
    [{ train: base, name: 'Bad Name' }, 'field `name` must match /^[a-z0-9-]+$/, got "Bad Name"'],
    [{ train: base, name: '' }, 'field `name` must be at least 1 character long, got "" (and 1 more problem)'],
    [{ train: base, beta: 0 }, 'field `beta` must not be zero'],
    [{}, 'field `train` is required'],
    [[1, 2], 'the top level must be an object, got an array'],
  ];
  for (const [obj, message] of cases) refuses(() => parseConfig(obj, Schema, 'config c.yaml'), `config c.yaml: ${message}`);
});

test('missing files, syntax errors and empty files are one sentence too', () => {
  const missing = join(dir, 'nope.yaml');
  refuses(() => loadConfig(missing, Schema), `config ${missing} does not exist`);
  const yaml = file('bad.yaml', 'train:\n  lr: 1\n lr: 2\n');
  refuses(() => loadConfig(yaml, Schema), `config ${yaml} is not valid YAML: All mapping items must start at the same column at line 3, column 1`);
  const dup = file('dup.yml', 'a: 1\na: 2\n');
  refuses(() => loadConfig(dup, Schema), `config ${dup} is not valid YAML: Map keys must be unique at line 2, column 1`);
  const alias = file('alias.yaml', 'a: *nowhere\n');
  assert.throws(() => loadConfig(alias, Schema), (e: unknown) => e instanceof PosteriorError && e.message.startsWith(`config ${alias} is not valid YAML: `));
  const json = file('bad.json', '{\n  "train": {\n    "lr": 1,\n  }\n}');
  refuses(() => loadConfig(json, Schema), `config ${json} is not valid JSON at line 4, column 3: Expected double-quoted property name`);
  const empty = file('empty.yaml', '# nothing here\n');
  refuses(() => loadConfig(empty, Schema), `config ${empty} is empty`);
  const toml = file('c.toml', 'a = 1');
  refuses(() => loadConfig(toml, Schema), `config ${toml} has an unsupported file type; use .yaml, .yml or .json`);
  writeFileSync(join(dir, 'plain'), '');
  refuses(() => loadConfig(join(dir, 'plain', 'c.yaml'), Schema), `cannot read config ${join(dir, 'plain', 'c.yaml')}: not a directory`);
});
