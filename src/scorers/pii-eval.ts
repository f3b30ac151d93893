// Precision and recall of the PII detectors per kind, on labelled text generated with
// faker (seeded): sentence templates that embed known PII, mixed with clean sentences
// that carry look-alikes (times, versions, prices, order numbers).
import { Faker, base, en, en_US } from '@faker-js/faker';
import { detectPii, type PiiKind, type PiiSpan } from './pii.js';

export interface LabelledSpan {
  kind: PiiKind;
  start: number;
  end: number;
}

export interface LabelledText {
  text: string;
  labels: LabelledSpan[];
}

type Part = string | { kind: PiiKind; value: string };
type Template = (f: Faker) => Part[];

// faker's en_GB postcodes often break the Royal Mail format, so we draw valid ones.
const UK_POSTCODE = '[A-PR-UWYZ][A-HK-Y]?[0-9]{1,2} [0-9][ABD-HJLNP-UW-Z]{2}';

const pii = (kind: PiiKind, value: string): Part => ({ kind, value });

function ssn(f: Faker): string {
  const area = f.number.int({ min: 1, max: 899 });
  const safeArea = area === 666 ? 667 : area;
  const group = f.number.int({ min: 1, max: 99 });
  const serial = f.number.int({ min: 1, max: 9999 });
  const sep = f.helpers.arrayElement(['-', '-', ' ']);
  return [String(safeArea).padStart(3, '0'), String(group).padStart(2, '0'), String(serial).padStart(4, '0')].join(sep);
}

function handle(f: Faker): string {
  return f.internet.username().replace(/\W/g, '_').slice(0, 15);
}

function birthDate(f: Faker): string {
  const d = f.date.birthdate({ mode: 'age', min: 18, max: 90, refDate: '2025-01-01T00:00:00Z' });
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  const month = d.toLocaleString('en-US', { month: 'long', timeZone: 'UTC' });
  return f.helpers.arrayElement([
    `${m}/${day}/${y}`,
    `${month} ${day}, ${y}`,
    `${day} ${month} ${y}`,
    `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
  ]);
}

const PII_TEMPLATES: readonly Template[] = [
  (f) => ['Please write to ', pii('email', f.internet.email()), ' before Friday.'],
  (f) => ['Contact: ', pii('email', f.internet.email())],
  (f) => ['The report is online at ', pii('url', f.internet.url()), '.'],
  (f) => ['See ', pii('url', `${f.internet.url({ appendSlash: true })}${f.system.fileName()}`), ' for details.'],
  (f) => ['Connection from ', pii('ip', f.internet.ipv4()), ' was refused.'],
  (f) => ['The server at ', pii('ip', f.internet.ipv6()), ' is down again.'],
  (f) => ['Call me at ', pii('phone', f.phone.number()), ' tomorrow.'],
  (f) => ['Tel: ', pii('phone', f.phone.number({ style: f.helpers.arrayElement(['national', 'international']) }))],
  (f) => ['My card number is ', pii('card', f.finance.creditCardNumber()), '.'],
  (f) => ['Charge it to ', pii('card', f.finance.creditCardNumber().replace(/-/g, f.helpers.arrayElement(['', ' ', '-']))), ' please.'],
  (f) => ['SSN: ', pii('ssn', ssn(f))],
  (f) => ['His social security number is ', pii('ssn', ssn(f)), '.'],
  (f) => [`They moved to ${f.location.city()}, `, pii('postal', `${f.location.state({ abbreviated: true })} ${f.location.zipCode()}`), ' last year.'],
  (f) => ['Zip code: ', pii('postal', f.location.zipCode('#####'))],
  (f) => ['Our London office moved; the postcode is now ', pii('postal', f.helpers.fromRegExp(UK_POSTCODE)), '.'],
  (f) => ['username: ', pii('credential', `${f.internet.username()} password: ${f.internet.password()}`)],
  (f) => ['Use ', pii('credential', `password=${f.internet.password()}`), ' to log in.'],
  (f) => ['Follow us on Twitter ', pii('handle', `@${handle(f)}`), ' for news.'],
  (f) => ['My skype is ', pii('handle', handle(f).replace(/^[^A-Za-z]+/, 'x') + 'ok'), ', ping me.'],
  (f) => ['She was born on ', pii('dob', birthDate(f)), ' in a small town.'],
  (f) => ['DOB: ', pii('dob', birthDate(f))],
  (f) => ['Date of birth: ', pii('dob', birthDate(f)), '.'],
  (f) => [pii('name', f.person.fullName()), ' joined the team in March.'],
  (f) => ['Yesterday I met ', pii('name', `${f.person.firstName()} ${f.person.lastName()}`), ' at the station.'],
  (f) => ['Dear ', pii('name', `${f.person.prefix()} ${f.person.lastName()}`), ', thank you for your letter.'],
  (f) => ['I live at ', pii('address', f.location.streetAddress()), '.'],
  (f) => ['Ship it to ', pii('address', f.location.streetAddress(true)), ' by Monday.'],
];

const CLEAN_TEMPLATES: readonly Template[] = [
  (f) => [`The ${f.commerce.productName()} costs ${f.commerce.price()} dollars.`],
  (f) => [`${f.hacker.phrase()}`],
  (f) => [`${f.company.catchPhrase()}.`],
  (f) => [`The meeting moved to ${f.date.weekday()} at ${f.number.int({ min: 1, max: 12 })}:${f.helpers.arrayElement(['00', '15', '30', '45'])}.`],
  (f) => [`Version ${f.system.semver()} fixes ${f.number.int({ min: 2, max: 90 })} bugs.`],
  (f) => [`Order ${f.number.int({ min: 1000, max: 99999999 })} shipped with ${f.number.int({ min: 1, max: 40 })} items.`],
  (f) => [`We sold ${f.number.int({ min: 1000, max: 999999 })} units in ${f.date.month()} ${f.number.int({ min: 1990, max: 2024 })}.`],
  (f) => [`The ${f.animal.type()} ate ${f.number.int({ min: 2, max: 9 })} ${f.food.ingredient().toLowerCase()}s.`],
  (f) => [`${f.lorem.sentence()}`],
  (f) => [`Build ${f.system.semver()}.${f.number.int(999)} was released on ${f.number.int({ min: 1, max: 12 })}/${f.number.int({ min: 1, max: 28 })}/${f.number.int({ min: 1990, max: 2024 })}.`],
  (f) => [`The total was $${f.finance.amount({ min: 1000, max: 9999999, autoFormat: true })} for ${f.number.int({ min: 2, max: 14 })} nights.`],
  (f) => [`Commit ${f.git.commitSha({ length: 7 })} fixed the login page at ${f.number.int(23)}:${f.number.int({ min: 10, max: 59 })}:${f.number.int({ min: 10, max: 59 })}.`],
  (f) => [`The ${f.company.name()} office opened in ${f.location.city()}.`],
  (f) => [`See chapter ${f.number.int({ min: 1, max: 40 })}, pages ${f.number.int({ min: 100, max: 400 })}-${f.number.int({ min: 401, max: 900 })}.`],
];

export interface GenerateOptions {
  n: number;
  seed: number;
}

/** `n` short paragraphs of one to three sentences, about two thirds containing PII. */
export function generateLabelledPii({ n, seed }: GenerateOptions): LabelledText[] {
  const f = new Faker({ locale: [en_US, en, base] });
  f.seed(seed);
  const out: LabelledText[] = [];
  for (let i = 0; i < n; i++) {
    let text = '';
    const labels: LabelledSpan[] = [];
    const sentences = f.number.int({ min: 1, max: 3 });
    for (let s = 0; s < sentences; s++) {
      const templates = f.datatype.boolean({ probability: 2 / 3 }) ? PII_TEMPLATES : CLEAN_TEMPLATES;
      if (s > 0) text += ' ';
      for (const part of f.helpers.arrayElement(templates)(f)) {
        if (typeof part === 'string') text += part;
        else {
          labels.push({ kind: part.kind, start: text.length, end: text.length + part.value.length });
          text += part.value;
        }
      }
    }
    out.push({ text, labels });
  }
  return out;
}

export interface KindMetrics {
  kind: PiiKind;
  labelled: number;
  detected: number;
  precision: number;
  recall: number;
}

// A detection and a label match when they have the same kind and overlap by at
// least half of the shorter one (partial matches count, as in span-level NER scoring).
function matches(a: LabelledSpan, b: LabelledSpan): boolean {
  const overlap = Math.min(a.end, b.end) - Math.max(a.start, b.start);
  return a.kind === b.kind && overlap > 0 && overlap * 2 >= Math.min(a.end - a.start, b.end - b.start);
}

export const PII_KINDS: readonly PiiKind[] = [
  'email', 'url', 'ip', 'phone', 'card', 'ssn', 'postal', 'credential', 'handle', 'dob', 'name', 'address',
];

export function evaluatePii(
  data: readonly LabelledText[],
  detect: (text: string) => PiiSpan[] = detectPii,
): KindMetrics[] {
  const tally = new Map(PII_KINDS.map((k) => [k, { labelled: 0, found: 0, detected: 0, correct: 0 }]));
  for (const { text, labels } of data) {
    const spans = detect(text);
    for (const l of labels) {
      const t = tally.get(l.kind)!;
      t.labelled++;
      if (spans.some((s) => matches(s, l))) t.found++;
    }
    for (const s of spans) {
      const t = tally.get(s.kind)!;
      t.detected++;
      if (labels.some((l) => matches(s, l))) t.correct++;
    }
  }
  return PII_KINDS.map((kind) => {
    const t = tally.get(kind)!;
    return {
      kind,
      labelled: t.labelled,
      detected: t.detected,
      precision: t.detected === 0 ? 1 : t.correct / t.detected,
      recall: t.labelled === 0 ? 1 : t.found / t.labelled,
    };
  });
}
