import { compileRrule } from './compileRrule.js';
import { isRealDate } from './validateFields.js';
import { canonicalTimeZone } from './validateTimeZone.js';
import { closestName, type InputScope, invalid } from './validationFailure.js';

/** Longest accepted rule text: a DTSTART, an RRULE and a few hundred EXDATEs. */
const MAX_RRULE_LENGTH = 10_000;

const EXAMPLE = '"DTSTART;TZID=Europe/Berlin:20260105T090000\\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE"';

/** The RRULE parts RFC 5545 §3.3.10 defines (RFC 7529's RSCALE/SKIP are not accepted). */
const RRULE_PARTS = [
  'FREQ',
  'UNTIL',
  'COUNT',
  'INTERVAL',
  'BYSECOND',
  'BYMINUTE',
  'BYHOUR',
  'BYDAY',
  'BYMONTHDAY',
  'BYYEARDAY',
  'BYWEEKNO',
  'BYMONTH',
  'BYSETPOS',
  'WKST',
] as const;

const LINE_NAMES = ['DTSTART', 'RRULE', 'EXDATE', 'RDATE'] as const;
type LineName = (typeof LINE_NAMES)[number];

/** `NAME;PARAM=VALUE;…:VALUE` — a content line without folding. */
const LINE = /^([A-Za-z-]+)((?:;[A-Za-z-]+=[^;:]*)*):(.*)$/;
/** A local or UTC DATE-TIME: `20260105T090000` or `20260105T080000Z`. */
const DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/;
/** A DATE: `20260105`. */
const DATE = /^(\d{4})(\d{2})(\d{2})$/;

type Line = Readonly<{ name: LineName; params: ReadonlyMap<string, string>; value: string }>;

function readLine(text: string, scope: InputScope, field: string): Line {
  // A bare `FREQ=…` line is the RRULE itself, as many tools write it.
  const source = /^FREQ=/i.test(text) ? `RRULE:${text}` : text;
  const match = LINE.exec(source);
  const name = match?.[1]?.toUpperCase();
  if (match === null || name === undefined || !(LINE_NAMES as readonly string[]).includes(name)) {
    throw invalid(
      scope,
      field,
      `RFC 5545 lines DTSTART, RRULE, EXDATE or RDATE, e.g. ${EXAMPLE}`,
      text,
      '(one line per property; lines may also be separated by spaces)',
    );
  }
  const params = new Map<string, string>();
  for (const param of (match[2] ?? '').split(';').slice(1)) {
    const [key = '', value = ''] = param.split('=');
    params.set(key.toUpperCase(), value);
  }
  return { name: name as LineName, params, value: match[3] ?? '' };
}

/** True when the digits of a DATE-TIME name a real date and time of day. */
function isRealDateTime(match: RegExpExecArray): boolean {
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return isRealDate(y!, mo!, d!) && h! < 24 && mi! < 60 && s! < 60;
}

/** The zone of a TZID parameter in its canonical spelling, or a ValidationError. */
function readZone(line: Line, scope: InputScope, field: string): string | undefined {
  const tzid = line.params.get('TZID');
  if (tzid === undefined) return undefined;
  const zone = tzid.length <= 100 ? canonicalTimeZone(tzid) : undefined;
  if (zone === undefined) {
    throw invalid(
      scope,
      field,
      `a ${line.name} whose TZID is an IANA time zone such as "Europe/Berlin"`,
      tzid,
    );
  }
  return zone;
}

/**
 * DTSTART must be an instant: a local DATE-TIME with a TZID, or a UTC one ending in `Z`. A
 * floating time (no zone) would depend on the machine's zone, and a DATE has no time of day.
 */
function readStart(line: Line, scope: InputScope, field: string): string {
  const zone = readZone(line, scope, field);
  const match = DATE_TIME.exec(line.value);
  const fix =
    'a DTSTART with a time and a zone, e.g. "DTSTART;TZID=Europe/Berlin:20260105T090000" or "DTSTART:20260105T080000Z"';
  if (match === null || !isRealDateTime(match)) throw invalid(scope, field, fix, line.value);
  const utc = match[7] === 'Z';
  if (zone === undefined && !utc) {
    throw invalid(scope, field, fix, line.value, '(a DTSTART without TZID or Z has no zone)');
  }
  if (zone !== undefined && utc) {
    throw invalid(scope, field, fix, line.value, '(give either TZID or a trailing Z, not both)');
  }
  return zone === undefined ? `DTSTART:${line.value}` : `DTSTART;TZID=${zone}:${line.value}`;
}

function readRuleParts(line: Line, scope: InputScope, field: string): string {
  const seen = new Map<string, string>();
  for (const part of line.value.split(';')) {
    const [rawKey = '', value = '', extra] = part.split('=');
    const key = rawKey.toUpperCase();
    if (!(RRULE_PARTS as readonly string[]).includes(key) || extra !== undefined || value === '') {
      const near = closestName(key, RRULE_PARTS);
      throw invalid(
        scope,
        field,
        `RRULE parts NAME=VALUE separated by ";" with names from ${RRULE_PARTS.join(', ')}`,
        part,
        near === undefined || near === key ? undefined : `(did you mean "${near}"?)`,
      );
    }
    if (seen.has(key)) throw invalid(scope, field, `an RRULE with ${key} at most once`, line.value);
    seen.set(key, value.toUpperCase());
  }
  if (!seen.has('FREQ')) {
    throw invalid(scope, field, 'an RRULE with FREQ, e.g. "RRULE:FREQ=DAILY"', line.value);
  }
  if (seen.has('COUNT') && seen.has('UNTIL')) {
    throw invalid(
      scope,
      field,
      'an RRULE with COUNT or UNTIL, not both (RFC 5545)',
      line.value,
      '(remove one of them)',
    );
  }
  for (const key of ['COUNT', 'INTERVAL'] as const) {
    const value = seen.get(key);
    if (value !== undefined && !/^[1-9]\d{0,5}$/.test(value)) {
      throw invalid(scope, field, `an RRULE whose ${key} is a whole number ≥ 1`, value);
    }
  }
  const until = seen.get('UNTIL');
  if (until !== undefined) {
    const dateTime = DATE_TIME.exec(until);
    const date = DATE.exec(until);
    const real =
      (dateTime !== null && dateTime[7] === 'Z' && isRealDateTime(dateTime)) ||
      (date !== null && isRealDate(Number(date[1]), Number(date[2]), Number(date[3])));
    if (!real) {
      throw invalid(
        scope,
        field,
        'an UNTIL in UTC, e.g. "UNTIL=20261231T230000Z" (or a date, "UNTIL=20261231")',
        until,
      );
    }
  }
  return `RRULE:${[...seen].map(([k, v]) => `${k}=${v}`).join(';')}`;
}

/** EXDATE and RDATE lines: a comma-separated list of DATE-TIMEs, local with TZID or UTC. */
function readDateList(line: Line, scope: InputScope, field: string): string {
  const zone = readZone(line, scope, field);
  for (const value of line.value.split(',')) {
    const match = DATE_TIME.exec(value);
    const utc = match?.[7] === 'Z';
    if (match === null || !isRealDateTime(match) || utc === (zone !== undefined)) {
      throw invalid(
        scope,
        field,
        `${line.name} times like the DTSTART's, e.g. "${line.name};TZID=Europe/Berlin:20260112T090000" or "${line.name}:20260112T080000Z" (comma-separated for several)`,
        value,
      );
    }
  }
  return zone === undefined
    ? `${line.name}:${line.value}`
    : `${line.name};TZID=${zone}:${line.value}`;
}

/** The one line of `name` among `lines`, or a ValidationError saying what is missing. */
function single(lines: readonly Line[], name: LineName, scope: InputScope, field: string): Line {
  const found = lines.filter((l) => l.name === name);
  if (found.length !== 1) {
    throw invalid(
      scope,
      field,
      `exactly one ${name} line, e.g. ${EXAMPLE}`,
      `${found.length} ${name} lines`,
    );
  }
  return found[0]!;
}

/**
 * Reads an RFC 5545 recurrence: one DTSTART in an IANA zone (TZID) or UTC, one RRULE, and any
 * EXDATE and RDATE lines, separated by newlines or spaces. The parts are checked here (the
 * library evaluating them ignores unknown parts and accepts a zone-less DTSTART, which would
 * make the series depend on the machine's zone), then the rule is evaluated once by
 * rrule-temporal so that one that never occurs (February 30th, UNTIL before DTSTART) is
 * refused up front. Returns the rule in a normal form: one line per property, names and
 * values upper-case, zones in their canonical spelling.
 */
export function readRrule(value: unknown, scope: InputScope, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_RRULE_LENGTH) {
    throw invalid(
      scope,
      field,
      `an RFC 5545 rule of at most ${MAX_RRULE_LENGTH} characters, e.g. ${EXAMPLE}`,
      value,
    );
  }
  const lines = value
    .trim()
    .split(/\s+/)
    .map((text) => readLine(text, scope, field));
  const start = readStart(single(lines, 'DTSTART', scope, field), scope, field);
  const rule = readRuleParts(single(lines, 'RRULE', scope, field), scope, field);
  const dates = lines
    .filter((l) => l.name === 'EXDATE' || l.name === 'RDATE')
    .map((l) => readDateList(l, scope, field));
  const text = [start, rule, ...dates].join('\n');
  let first: unknown;
  try {
    first = compileRrule(text).all((_, i) => i < 1)[0];
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(scope, field, 'an RRULE that occurs at least once', rule, `(${reason})`);
  }
  if (first === undefined) {
    throw invalid(
      scope,
      field,
      'an RRULE that occurs at least once',
      rule,
      '(check that UNTIL lies after DTSTART and that EXDATE leaves an occurrence)',
    );
  }
  return text;
}
