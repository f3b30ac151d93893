// Pattern detectors for personally identifiable information, modelled on scrubadub's
// detectors (our own patterns). Each returns raw, possibly overlapping matches;
// `detectPii` in pii.ts merges them. Patterns must stay linear on a 1 MB line, so
// quantifiers are bounded and never nested over the same characters.
import { isIPv4, isIPv6 } from 'node:net';
import { findNumbers, type CountryCode, type NumberFound } from 'libphonenumber-js';

export type PiiKind =
  | 'email' | 'url' | 'ip' | 'phone' | 'card' | 'ssn' | 'postal'
  | 'credential' | 'handle' | 'dob' | 'name' | 'address';

export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
}

export type PiiDetector = (text: string) => PiiMatch[];

function collect(text: string, re: RegExp, kind: PiiKind, accept: (m: RegExpExecArray) => boolean = () => true): PiiMatch[] {
  const out: PiiMatch[] = [];
  for (const m of text.matchAll(re)) {
    if (accept(m)) out.push({ kind, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

const EMAIL = /(?<![\w.+-])[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}){0,8}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-])/g;

export const detectEmails: PiiDetector = (text) => collect(text, EMAIL, 'email');

const URL_CANDIDATE = /\b(?:(?:https?|ftp|sftp|ssh|git):\/\/|www\.)[^\s<>"'`{}|\\^[\]]{2,2048}/gi;

// Sentence punctuation after a URL belongs to the sentence; a closing parenthesis
// belongs to the URL only when the URL opened one.
function trimUrl(url: string): string {
  let end = url.length;
  for (;;) {
    const c = url[end - 1];
    if (c !== undefined && '.,;:!?\'"'.includes(c)) end--;
    else if (c === ')' && count(url.slice(0, end), '(') < count(url.slice(0, end), ')')) end--;
    else return url.slice(0, end);
  }
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

export const detectUrls: PiiDetector = (text) => {
  const out: PiiMatch[] = [];
  for (const m of text.matchAll(URL_CANDIDATE)) {
    const url = trimUrl(m[0]);
    if (/[a-z0-9]\.[a-z]{2,}|\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]|localhost/i.test(url)) {
      out.push({ kind: 'url', start: m.index, end: m.index + url.length });
    }
  }
  return out;
};

const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)/g;
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}/g;

export const detectIps: PiiDetector = (text) => [
  ...collect(text, IPV4, 'ip', (m) => isIPv4(m[0])),
  ...collect(text, IPV6_CANDIDATE, 'ip', (m) => {
    // "a::b" and "::1" are valid addresses but in prose they are C++ or noise.
    const hexDigits = m[0].replace(/[^0-9A-Fa-f]/g, '').length;
    return hexDigits >= 4 && isIPv6(m[0]) && !/[\w:]/.test(text[m.index + m[0].length] ?? '');
  }),
];

// A candidate counts when libphonenumber calls it valid, or when it is written the
// way people write phone numbers (a leading +, an area code in parentheses, or
// 3-3-4 digit groups): random 10-digit identifiers are neither.
const PHONE_LAYOUT = /^\+|\(\d{2,4}\)|\d{3}[-. ]\d{3}[-. ]\d{4}|\d{2,4}[-. ]\d{3,4}[-. ]\d{3,4}/;

// `leniency` is a documented run-time option of findNumbers that its type
// declarations leave out.
type FindNumbers = (
  text: string,
  options: { defaultCountry: CountryCode; v2: true; leniency: 'POSSIBLE' | 'VALID' },
) => NumberFound[];
const findPhoneCandidates = findNumbers as unknown as FindNumbers;

// libphonenumber costs about 1 s per MB of ordinary text, so it only reads lines that
// hold enough digits for a phone number.
const SEVEN_DIGITS = /(?:\d\D*){7}/;

export const detectPhones: PiiDetector = (text) => {
  const out: PiiMatch[] = [];
  for (const line of text.matchAll(/[^\n]+/g)) {
    if (!SEVEN_DIGITS.test(line[0])) continue;
    for (const m of findPhoneCandidates(line[0], { defaultCountry: 'US', leniency: 'POSSIBLE', v2: true })) {
      const written = line[0].slice(m.startsAt, m.endsAt);
      if (m.number.isValid() || PHONE_LAYOUT.test(written)) {
        out.push({ kind: 'phone', start: line.index + m.startsAt, end: line.index + m.endsAt });
      }
    }
  }
  return out;
};

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;

// Issuer identifiers 2–6 cover Mastercard, Amex/Diners/JCB, Visa, Discover/Maestro.
export const detectCards: PiiDetector = (text) =>
  collect(text, CARD, 'card', (m) => {
    const digits = m[0].replace(/[ -]/g, '');
    return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);
  });

function validSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

const SSN_SEPARATED = /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g;
const SSN_BARE = /\b(?:ssn|social security(?: number| no\.?)?)\W{0,3}(?:is\s+)?(\d{3})(\d{2})(\d{4})\b/gi;

export const detectSsns: PiiDetector = (text) => [
  ...collect(text, SSN_SEPARATED, 'ssn', (m) => validSsn(m[1]!, m[3]!, m[4]!)),
  ...[...text.matchAll(SSN_BARE)]
    .filter((m) => validSsn(m[1]!, m[2]!, m[3]!))
    .map((m) => ({ kind: 'ssn' as const, start: m.index + m[0].length - 9, end: m.index + m[0].length })),
];

const US_STATES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR';
// A bare five-digit number is a ZIP code only after a state or a postal keyword.
const ZIP_AFTER_STATE = new RegExp(`\\b(?:${US_STATES}),?\\s{1,3}(\\d{5}(?:-\\d{4})?)(?![\\d-])`, 'g');
const ZIP_AFTER_KEYWORD = /\b(?:zip|zip code|zipcode|postal code|postcode)\W{0,3}(\d{5}(?:-\d{4})?)(?![\d-])/gi;
const ZIP_PLUS_FOUR = /(?<![\d-])\d{5}-\d{4}(?![\d-])/g;
const UK_POSTCODE = /\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b/g;
const CA_POSTCODE = /\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b/g;

function groupSpan(m: RegExpExecArray, kind: PiiKind): PiiMatch {
  const start = m.index + m[0].lastIndexOf(m[1]!);
  return { kind, start, end: start + m[1]!.length };
}

export const detectPostalCodes: PiiDetector = (text) => [
  ...[...text.matchAll(ZIP_AFTER_STATE)].map((m) => groupSpan(m, 'postal')),
  ...[...text.matchAll(ZIP_AFTER_KEYWORD)].map((m) => groupSpan(m, 'postal')),
  ...collect(text, ZIP_PLUS_FOUR, 'postal'),
  ...collect(text, UK_POSTCODE, 'postal'),
  ...collect(text, CA_POSTCODE, 'postal'),
];

const USER_AND_PASSWORD =
  /\b(?:user(?:name)?|login|user ?id|account)\s{0,3}[:=]\s{0,3}\S{1,64}[\s,;/]{1,8}(?:pass(?:word)?|passwd|pwd|pw)\s{0,3}[:=]\s{0,3}\S{1,128}/gi;
const SECRET_ASSIGNMENT =
  /\b(?:pass(?:word)?|passwd|pwd|passphrase|api[_-]?key|secret[_-]?key|access[_-]?token)\s{0,3}(?:[:=]|\bis\b)\s{0,3}["']?[^\s"',;]{3,128}/gi;

export const detectCredentials: PiiDetector = (text) => [
  ...collect(text, USER_AND_PASSWORD, 'credential'),
  ...collect(text, SECRET_ASSIGNMENT, 'credential'),
];

// A handle has a letter: "@07" is a time or a footnote.
const TWITTER = /(?<![\w@.+-])@(?=\w{0,14}[A-Za-z])[A-Za-z0-9_]{2,15}(?![\w@]|\.[A-Za-z]{2,})/g;
const SKYPE = /\bskype(?:\s{1,3}(?:id|name|handle))?(?:\s{1,3}is)?\s{0,3}[:=\-]?\s{0,3}((?:live:)?[A-Za-z][A-Za-z0-9_.,-]{4,31}[A-Za-z0-9_])/gi;

export const detectHandles: PiiDetector = (text) => [
  ...collect(text, TWITTER, 'handle'),
  ...[...text.matchAll(SKYPE)].map((m) => groupSpan(m, 'handle')),
];

const MONTH = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const DAY = '(?:[12]\\d|3[01]|0?[1-9])(?:st|nd|rd|th)?';
const DATE = [
  `\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])`,
  `(?:0?[1-9]|[12]\\d|3[01])[/.-](?:0?[1-9]|[12]\\d|3[01])[/.-](?:\\d{4}|\\d{2})`,
  `${MONTH}\\.? ${DAY},? \\d{4}`,
  `${DAY} (?:of )?${MONTH}\\.?,? \\d{4}`,
].join('|');
// A date is a date of birth only when a birth keyword comes shortly before it
// (scrubadub also asks for context words).
const DOB = new RegExp(
  `\\b(?:born|birth(?:day|date)?|dob|d\\.o\\.b\\.?)(?:[^\\n\\d]{0,30}?)(${DATE})(?![\\d/.-]\\d)`,
  'gi',
);

export const detectDatesOfBirth: PiiDetector = (text) => [...text.matchAll(DOB)].map((m) => groupSpan(m, 'dob'));

// USPS Publication 28 street suffixes (plus common abbreviations and British types).
const STREET_TYPES = [
  'Alley', 'Anex', 'Arcade', 'Avenue', 'Ave', 'Bayou', 'Beach', 'Bend', 'Bluff', 'Bluffs', 'Bottom', 'Boulevard', 'Blvd',
  'Branch', 'Bridge', 'Brook', 'Brooks', 'Burg', 'Burgs', 'Bypass', 'Camp', 'Canyon', 'Cape', 'Causeway', 'Center',
  'Centers', 'Circle', 'Circles', 'Cir', 'Cliff', 'Cliffs', 'Close', 'Club', 'Common', 'Commons', 'Corner', 'Corners',
  'Course', 'Court', 'Courts', 'Ct', 'Cove', 'Coves', 'Creek', 'Crescent', 'Crest', 'Crossing', 'Crossroad', 'Curve',
  'Dale', 'Dam', 'Divide', 'Drive', 'Drives', 'Dr', 'Estate', 'Estates', 'Expressway', 'Extension', 'Extensions',
  'Fall', 'Falls', 'Ferry', 'Field', 'Fields', 'Flat', 'Flats', 'Ford', 'Fords', 'Forest', 'Forge', 'Forges', 'Fork',
  'Forks', 'Fort', 'Freeway', 'Garden', 'Gardens', 'Gateway', 'Glen', 'Glens', 'Green', 'Greens', 'Grove', 'Groves',
  'Harbor', 'Harbors', 'Haven', 'Heights', 'Highway', 'Hwy', 'Hill', 'Hills', 'Hollow', 'Inlet', 'Island', 'Islands',
  'Isle', 'Junction', 'Junctions', 'Key', 'Keys', 'Knoll', 'Knolls', 'Lake', 'Lakes', 'Land', 'Landing', 'Lane', 'Ln',
  'Light', 'Lights', 'Loaf', 'Lock', 'Locks', 'Lodge', 'Loop', 'Mall', 'Manor', 'Manors', 'Meadow', 'Meadows', 'Mews',
  'Mill', 'Mills', 'Mission', 'Motorway', 'Mount', 'Mountain', 'Mountains', 'Neck', 'Orchard', 'Oval', 'Overpass',
  'Parade', 'Park', 'Parks', 'Parkway', 'Parkways', 'Pkwy', 'Pass', 'Passage', 'Path', 'Pike', 'Pine', 'Pines', 'Place',
  'Pl', 'Plain', 'Plains', 'Plaza', 'Point', 'Points', 'Port', 'Ports', 'Prairie', 'Radial', 'Ramp', 'Ranch', 'Rapid',
  'Rapids', 'Rest', 'Ridge', 'Ridges', 'River', 'Road', 'Roads', 'Rd', 'Route', 'Row', 'Rue', 'Run', 'Shoal', 'Shoals',
  'Shore', 'Shores', 'Skyway', 'Spring', 'Springs', 'Spur', 'Spurs', 'Square', 'Squares', 'Sq', 'Station', 'Stravenue',
  'Stream', 'Street', 'Streets', 'St', 'Summit', 'Terrace', 'Ter', 'Throughway', 'Trace', 'Track', 'Trafficway',
  'Trail', 'Trl', 'Trailer', 'Tunnel', 'Turnpike', 'Underpass', 'Union', 'Unions', 'Valley', 'Valleys', 'Viaduct',
  'View', 'Views', 'Village', 'Villages', 'Ville', 'Vista', 'Walk', 'Walks', 'Wall', 'Way', 'Ways', 'Well', 'Wells',
].join('|');
// House number, up to four capitalised words (or an ordinal), a street type and an
// optional unit: "1234 Main Street", "20127 Wisoky Mountain Apt. 371".
const STREET_ADDRESS = new RegExp(
  `(?<![\\w-])\\d{1,6}[A-Za-z]?\\s{1,2}(?:[NSEW]\\.?\\s{1,2})?(?:(?:[A-Z][\\w'’.-]{0,24}|\\d{1,3}(?:st|nd|rd|th))\\s{1,2}){0,4}(?:${STREET_TYPES})\\b\\.?` +
    `(?:,?\\s{1,2}(?:Apt|Apartment|Suite|Ste|Unit|Room|Floor|Fl|#)\\.?\\s{0,2}#?[\\w-]{1,8})?`,
  'g',
);

export const detectStreetAddresses: PiiDetector = (text) => collect(text, STREET_ADDRESS, 'address');

export const PATTERN_DETECTORS: readonly PiiDetector[] = [
  detectEmails, detectUrls, detectIps, detectPhones, detectCards, detectSsns,
  detectPostalCodes, detectCredentials, detectHandles, detectDatesOfBirth, detectStreetAddresses,
];
