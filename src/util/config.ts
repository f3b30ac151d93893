// Config files (YAML or JSON) validated by a zod schema. Whatever is wrong — missing
// file, syntax error, wrong type, unknown field — the user gets one sentence naming the
// file and the field path, e.g.
//   config train.yaml: field `train.lr` must be a number, got string "fast"
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { fail } from './errors.js';

/** Reads `path` (.yaml, .yml or .json) and validates it against `schema`; returns the parsed value. */
export function loadConfig<S extends z.ZodType>(path: string, schema: S): z.output<S> {
  const source = `config ${path}`;
  return parseConfig(readConfigFile(path, source), schema, source);
}

/**
 * Validates an already-parsed value. `sourceName` starts every error sentence, e.g.
 * `config train.yaml` or `flags`.
 */
export function parseConfig<S extends z.ZodType>(obj: unknown, schema: S, sourceName: string): z.output<S> {
  const result = schema.safeParse(obj);
  if (result.success) return result.data;
  // A misspelt field shows up as "required" plus "unknown"; the unknown one, with its
  // did-you-mean hint, explains both, so it goes first.
  const hinted = (text: string): number => Number(text.includes('(did you mean'));
  const texts = (result.error.issues as readonly Issue[])
    .map((issue) => describe(issue, obj, schema, []))
    .sort((a, b) => hinted(b) - hinted(a));
  const more = texts.length > 1 ? ` (and ${texts.length - 1} more problem${texts.length > 2 ? 's' : ''})` : '';
  fail(`${sourceName}: ${texts[0]!}${more}`);
}

function readConfigFile(path: string, source: string): unknown {
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') fail(`${source} has an unsupported file type; use .yaml, .yml or .json`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') fail(`${source} does not exist`);
    fail(`cannot read ${source}: ${err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}`);
  }
  if (text.trim() === '') fail(`${source} is empty`);
  return ext === '.json' ? parseJson(text, source) : parseYaml(text, source);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // Node reports a character offset; people look for lines.
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    if (!at) fail(`${source} is not valid JSON: ${message}`);
    const before = text.slice(0, Number(at[1])).split('\n');
    const where = `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    fail(`${source} is not valid JSON at ${where}: ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
}

function parseYaml(text: string, source: string): unknown {
  const doc = YAML.parseDocument(text);
  const error = doc.errors[0];
  // The message ends in a multi-line code frame; its first line already names the place.
  if (error) fail(`${source} is not valid YAML: ${error.message.split(':\n')[0]}`);
  let value: unknown;
  try {
    value = doc.toJS(); // throws on unresolved or runaway aliases
  } catch (e) {
    fail(`${source} is not valid YAML: ${(e as Error).message}`);
  }
  if (value === null || value === undefined) fail(`${source} is empty`);
  return value;
}

// The fields of zod issues that the sentences use (a loose view of z.core.$ZodIssue).
interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  input?: unknown;
  values?: unknown[];
  keys?: string[];
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  format?: string;
  pattern?: string;
  divisor?: number | bigint;
  errors?: Issue[][];
  options?: unknown[];
}

function describe(issue: Issue, root: unknown, schema: z.ZodType, prefix: PropertyKey[]): string {
  const path = [...prefix, ...issue.path];
  const field = path.length === 0 ? 'the top level' : `field \`${formatPath(path)}\``;
  const value = valueAt(root, path);
  const got = describeValue(value, false);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `${field} is required`;
      return `${field} must be ${article(issue.expected ?? 'value')}, got ${describeValue(value, true)}`;
    case 'unrecognized_keys': {
      const keys = issue.keys ?? [];
      const names = keys.map((k) => `\`${formatPath([...path, k])}\``).join(', ');
      const hint = keys.length === 1 ? suggestion(keys[0]!, knownKeys(schema, path)) : '';
      return `unknown field${keys.length > 1 ? 's' : ''} ${names}${hint}`;
    }
    case 'invalid_value': {
      const allowed = (issue.values ?? issue.options ?? []).map((v) => JSON.stringify(v));
      return `${field} must be ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}, got ${got}`;
    }
    case 'invalid_union':
      return describeUnion(issue, root, schema, path, field, got);
    case 'too_small':
    case 'too_big':
      return `${field} ${bound(issue)}, got ${got}`;
    case 'not_multiple_of':
      return `${field} must be a multiple of ${String(issue.divisor)}, got ${got}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? `${field} must match ${issue.pattern ?? 'the pattern'}, got ${got}`
        : `${field} must be a valid ${issue.format ?? 'value'}, got ${got}`;
    default:
      // custom refinements and the rest: the schema author's own words
      return /^(must|is|should|cannot|needs)\b/.test(issue.message) ? `${field} ${issue.message}` : `${field} is invalid: ${issue.message}`;
  }
}

// A union fails in every branch. If each branch wanted another type, list them; otherwise
// explain the branch that got furthest, which is nearly always the one the user meant.
function describeUnion(issue: Issue, root: unknown, schema: z.ZodType, path: PropertyKey[], field: string, got: string): string {
  if (issue.options !== undefined) {
    const allowed = issue.options.map((v) => JSON.stringify(v)).join(', ');
    return `${field} must be one of ${allowed}, got ${got}`;
  }
  const branches = (issue.errors ?? []).filter((b) => b.length > 0);
  if (branches.length === 0) return `${field} matches none of the allowed forms, got ${got}`;
  const atRoot = (i: Issue): boolean => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value');
  if (branches.every((b) => b.length === 1 && atRoot(b[0]!))) {
    const forms = branches.map(([i]) => (i!.code === 'invalid_type' ? article(i!.expected ?? 'value') : (i!.values ?? []).map((v) => JSON.stringify(v)).join(' or ')));
    return `${field} must be ${[...new Set(forms)].join(' or ')}, got ${describeValue(valueAt(root, path), true)}`;
  }
  const depth = (b: Issue[]): number => Math.max(...b.map((i) => i.path.length)) * 100 - b.length;
  const best = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  return describe(best[0]!, root, schema, path);
}

function bound(issue: Issue): string {
  const small = issue.code === 'too_small';
  const n = small ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      return `must be at ${small ? 'least' : 'most'} ${n} character${n === 1 ? '' : 's'} long`;
    case 'array':
    case 'set':
      return `must have at ${small ? 'least' : 'most'} ${n} item${n === 1 ? '' : 's'}`;
    default:
      return inclusive ? `must be at ${small ? 'least' : 'most'} ${n}` : `must be ${small ? 'greater' : 'less'} than ${n}`;
  }
}

const ARTICLES: Record<string, string> = { int: 'an integer', object: 'an object', array: 'an array', record: 'an object' };

function article(type: string): string {
  return ARTICLES[type] ?? (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
}

// With `typed`, scalars carry their type ("string \"fast\"", "number 3"): the reader of a
// type error needs it; a range error reads better with the bare value.
function describeValue(v: unknown, typed: boolean): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typed ? `${typeof v} ` : '';
  switch (typeof v) {
    case 'string': return `${typed ? 'string ' : ''}${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
    case 'number':
    case 'boolean': return `${t}${String(v)}`;
    case 'object': return 'an object';
    default: return typeof v;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

// The field names an object schema allows at `path`, for "did you mean" hints. Only
// plain nesting (objects, arrays, records, optional/default/nullable wrappers) is
// followed; anything else just gives no hint.
interface SchemaDef { type?: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown }

function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  const defOf = (x: unknown): SchemaDef => ((x as { _zod?: { def?: SchemaDef } })._zod?.def ?? {});
  const unwrap = (): void => {
    for (let d = defOf(s); d.innerType !== undefined || d.type === 'pipe'; d = defOf(s)) s = d.innerType ?? d.in;
  };
  for (const key of path) {
    unwrap();
    const d = defOf(s);
    s = d.type === 'object' ? d.shape?.[String(key)] : d.type === 'array' ? d.element : d.type === 'record' ? d.valueType : undefined;
    if (s === undefined) return [];
  }
  unwrap();
  return Object.keys(defOf(s).shape ?? {});
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best === undefined ? '' : ` (did you mean \`${best}\`?)`;
}

// Edits needed to turn a into b, a swap of neighbours counting as one (the commonest typo).
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
