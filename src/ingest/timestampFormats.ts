import { daysFromCivil, daysInMonth, lastTimestamp, parseTimestampBytes } from './timestamp.ts';
import type { ZonedClock } from './timeZones.ts';

/** Which comes first in a numeric date that could be either: the month (US) or the day (most of Europe). */
export type DateOrder = 'MDY' | 'DMY';

/**
 * The one format of a timestamp column, detected from the sampled values (docs/API.md, "Dates and times"):
 * - `iso`: ISO 8601 (`2025-03-01`, `2025-03-01T10:00:00.123Z`, `2025-03-01 10:00+01:00`; variants may mix);
 * - `numeric`: `M/D/YYYY`, `D/M/YYYY`, `D.M.YYYY`, `D-M-YYYY`, `YYYY/M/D`, each with an optional time
 *   `H:mm[:ss[.fff]]`, optionally `AM`/`PM`, optionally an offset;
 * - `monthName`: `Jan 1 2000`, `January 1, 2000` (MDY) or `1 Jan 2000`, `01-Jan-2025` and RFC 2822
 *   `Tue, 1 Jul 2025 10:00:00 +0000` (DMY), with the same optional time and offset;
 * - `epoch`: Unix time in seconds or milliseconds (only in a timestamp-named numeric column).
 */
export type TimestampFormat =
  | { kind: 'iso' }
  | { kind: 'numeric'; order: DateOrder | 'YMD'; separator: '/' | '.' | '-' }
  | { kind: 'monthName'; order: DateOrder }
  | { kind: 'epoch'; unit: 'seconds' | 'milliseconds' };

/** How a format is shown to people: `M/D/YYYY`, `D.M.YYYY`, `Mon D YYYY`, `ISO 8601`, `Unix seconds`. */
export function describeTimestampFormat(format: TimestampFormat): string {
  switch (format.kind) {
    case 'iso':
      return 'ISO 8601';
    case 'numeric': {
      const parts =
        format.order === 'MDY' ? ['M', 'D', 'YYYY'] : format.order === 'DMY' ? ['D', 'M', 'YYYY'] : ['YYYY', 'M', 'D'];
      return parts.join(format.separator);
    }
    case 'monthName':
      return format.order === 'MDY' ? 'Mon D YYYY' : 'D Mon YYYY';
    case 'epoch':
      return format.unit === 'seconds' ? 'Unix seconds' : 'Unix milliseconds';
  }
}

/** An example value of a format, for messages. */
export function exampleOf(format: TimestampFormat): string {
  switch (format.kind) {
    case 'iso':
      return '2025-03-31T14:30:00Z';
    case 'numeric': {
      const s = format.separator;
      if (format.order === 'MDY') return `3${s}31${s}2025 2:30 PM`;
      if (format.order === 'DMY') return `31${s}3${s}2025 14:30`;
      return `2025${s}3${s}31 14:30`;
    }
    case 'monthName':
      return format.order === 'MDY' ? 'Mar 31 2025' : '31 Mar 2025';
    case 'epoch':
      return format.unit === 'seconds' ? '1743431400' : '1743431400000';
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** 1–12 for `Jan`, `jan.`, `January`, `Sept`; 0 otherwise. */
function monthOf(word: string): number {
  const w = word.toLowerCase();
  if (w.length < 3) return 0;
  const i = MONTHS.indexOf(w.slice(0, 3));
  if (i < 0) return 0;
  if (w.length === 3 || (w === 'sept' && i === 8) || (MONTH_NAMES[i] as string) === w) return i + 1;
  return 0;
}

const WEEKDAY = /^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|rsday)?$/i;

// The time of day, then an offset: ` 14:30`, `T14:30:05.123`, ` 2:30 PM`, ` 14:30:00 +0000`, ` 14:30 GMT`.
const TIME = String.raw`(?:(?:[ T]|, ?)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?: ?([AaPp])\.?[Mm]\.?)?)?`;
const OFFSET = String.raw`(?: ?(Z|UTC|GMT|UT|[+-]\d{2}:?\d{2}))?`;
const patterns = {
  numeric: (order: DateOrder | 'YMD', separator: string) => {
    const sep = separator === '.' ? String.raw`\.` : separator;
    const date =
      order === 'YMD'
        ? String.raw`(\d{4})${sep}(\d{1,2})${sep}(\d{1,2})`
        : String.raw`(\d{1,2})${sep}(\d{1,2})${sep}(\d{4})`;
    return new RegExp(`^${date}${TIME}${OFFSET}$`);
  },
  monthNameMdy: new RegExp(
    String.raw`^(?:([A-Za-z]+),? )?([A-Za-z]{3,9})\.?[ -](\d{1,2})(?:st|nd|rd|th)?,?[ -](\d{4})${TIME}${OFFSET}$`,
  ),
  monthNameDmy: new RegExp(
    String.raw`^(?:([A-Za-z]+),? )?(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})${TIME}${OFFSET}$`,
  ),
  epoch: /^\d{9,13}(?:\.\d{1,9})?$/,
};

/** Longer (trimmed) values are never timestamps. */
const MAX_TIMESTAMP_CHARS = 100;

function hasNonAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((bytes[i] as number) >= 0x80) return true;
  return false;
}

/** Reads one column's timestamps in one format; `read` gives epoch ms, or NaN when the value does not fit. */
export class TimestampReader {
  readonly format: TimestampFormat;
  readonly #clock: ZonedClock;
  readonly #pattern: RegExp | null;

  /** The time zone of values without an offset. */
  get zone(): string {
    return this.#clock.zone;
  }

  constructor(format: TimestampFormat, clock: ZonedClock) {
    this.format = format;
    this.#clock = clock;
    this.#pattern =
      format.kind === 'numeric'
        ? patterns.numeric(format.order, format.separator)
        : format.kind === 'monthName'
          ? format.order === 'MDY'
            ? patterns.monthNameMdy
            : patterns.monthNameDmy
          : format.kind === 'epoch'
            ? patterns.epoch
            : null;
  }

  /** Epoch ms of bytes[start, end), or NaN. */
  readBytes(bytes: Uint8Array, start: number, end: number): number {
    if (this.format.kind === 'iso') {
      const ms = this.#iso(bytes, start, end);
      // Not ASCII: maybe Unicode whitespace around it (a no-break space), which `read` trims as detection does.
      if (Number.isNaN(ms) && hasNonAscii(bytes, start, end)) {
        return this.read(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'));
      }
      return ms;
    }
    return this.read(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'));
  }

  #iso(bytes: Uint8Array, start: number, end: number): number {
    const ms = parseTimestampBytes(bytes, start, end);
    if (Number.isNaN(ms) || lastTimestamp.hadOffset || this.#clock.isUtc) return ms;
    return this.#clock.toInstant(ms);
  }

  /** Epoch ms of `text`, or NaN. */
  read(text: string): number {
    const value = text.trim();
    // No timestamp is this long: a longer cell is text (and no pattern runs on it).
    if (value.length > MAX_TIMESTAMP_CHARS) return Number.NaN;
    const format = this.format;
    if (format.kind === 'iso') {
      const bytes = Buffer.from(value, 'utf8');
      return this.#iso(bytes, 0, bytes.length);
    }
    const m = (this.#pattern as RegExp).exec(value);
    if (m === null) return Number.NaN;
    if (format.kind === 'epoch') {
      // Plausible instants only, 1973–2286: 9 or 10 digits of seconds, 13 of milliseconds. A count such as 5 is not
      // a time, and neither are compact dates (20250301, 202503011030, 20250301103000).
      const digits = value.indexOf('.') < 0 ? value.length : value.indexOf('.');
      if (format.unit === 'seconds' ? digits < 9 || digits > 10 : digits !== 13) return Number.NaN;
      const n = Number(value);
      return Math.round(format.unit === 'seconds' ? n * 1000 : n);
    }
    let year: number;
    let month: number;
    let day: number;
    let rest: number; // index of the first time group
    if (format.kind === 'numeric') {
      const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (format.order === 'YMD') [year, month, day] = [a, b, c];
      else if (format.order === 'MDY') [month, day, year] = [a, b, c];
      else [day, month, year] = [a, b, c];
      rest = 4;
    } else {
      if (m[1] !== undefined && !WEEKDAY.test(m[1])) return Number.NaN;
      if (format.order === 'MDY') {
        month = monthOf(m[2] as string);
        day = Number(m[3]);
      } else {
        day = Number(m[2]);
        month = monthOf(m[3] as string);
      }
      year = Number(m[4]);
      rest = 5;
    }
    if (month < 1 || month > 12 || day < 1 || year < 1000 || day > daysInMonth(year, month)) return Number.NaN;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let millis = 0;
    if (m[rest] !== undefined) {
      hour = Number(m[rest]);
      minute = Number(m[rest + 1]);
      second = m[rest + 2] === undefined ? 0 : Number(m[rest + 2]);
      const fraction = m[rest + 3];
      if (fraction !== undefined) millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
      const meridiem = m[rest + 4];
      if (meridiem !== undefined) {
        if (hour < 1 || hour > 12) return Number.NaN;
        const pm = meridiem === 'p' || meridiem === 'P';
        hour = (hour % 12) + (pm ? 12 : 0);
      }
      if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
    }
    const wall =
      daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
    const offset = m[rest + 5];
    if (offset === undefined) return this.#clock.toInstant(wall);
    if (offset === 'Z' || offset === 'UTC' || offset === 'GMT' || offset === 'UT') return wall;
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMinutes = Number(digits.slice(2, 4));
    if (offsetHours > 23 || offsetMinutes > 59) return Number.NaN;
    return wall - sign * (offsetHours * 3_600_000 + offsetMinutes * 60_000);
  }
}

/** Every format tried on a column, in order of preference when several read the same values. */
export function candidateFormats(dateOrder: DateOrder | null): TimestampFormat[] {
  const orders: DateOrder[] = dateOrder ? [dateOrder] : ['MDY', 'DMY'];
  const formats: TimestampFormat[] = [{ kind: 'iso' }];
  for (const separator of ['/', '.'] as const) formats.push({ kind: 'numeric', order: 'YMD', separator });
  for (const separator of ['/', '.', '-'] as const) {
    for (const order of orders) formats.push({ kind: 'numeric', order, separator });
  }
  for (const order of orders) formats.push({ kind: 'monthName', order });
  formats.push({ kind: 'epoch', unit: 'seconds' }, { kind: 'epoch', unit: 'milliseconds' });
  return formats;
}

/** What detection found for one column. */
export type FormatDetection =
  | {
      kind: 'detected';
      format: TimestampFormat;
      /** Non-empty sampled values, and how many of them the format reads. */
      nonEmpty: number;
      parsed: number;
      /** Up to five sampled values it does not read. */
      counterExamples: string[];
    }
  /** Every sampled value reads both month-first and day-first: the upload must say which (dateOrder). */
  | { kind: 'ambiguous'; nonEmpty: number; examples: string[] }
  /** No format reads at least one value and `minShare` of them. */
  | { kind: 'none'; nonEmpty: number; examples: string[] };

/**
 * The format of one column: the candidate that reads the most non-empty sampled values (at least one, and at least
 * `minShare` of them). When a month-first and a day-first format read the same values equally well, that is
 * ambiguous (unless `dateOrder` chose one): never guessed.
 */
export function detectTimestampFormat(
  values: readonly string[],
  options: { dateOrder: DateOrder | null; clock: ZonedClock; minShare: number },
): FormatDetection {
  const nonEmpty = values.map((v) => v.trim()).filter((v) => v !== '');
  if (nonEmpty.length === 0) return { kind: 'none', nonEmpty: 0, examples: [] };
  let best: { format: TimestampFormat; parsed: number } | null = null;
  let tie: TimestampFormat | null = null;
  for (const format of candidateFormats(options.dateOrder)) {
    const reader = new TimestampReader(format, options.clock);
    let parsed = 0;
    for (const value of nonEmpty) if (!Number.isNaN(reader.read(value))) parsed++;
    if (parsed === 0) continue;
    if (best === null || parsed > best.parsed) {
      best = { format, parsed };
      tie = null;
    } else if (parsed === best.parsed && isOtherOrder(best.format, format)) tie = format;
  }
  const examples = nonEmpty.slice(0, 5);
  if (best === null || best.parsed < nonEmpty.length * options.minShare) {
    return { kind: 'none', nonEmpty: nonEmpty.length, examples };
  }
  if (tie !== null) return { kind: 'ambiguous', nonEmpty: nonEmpty.length, examples };
  const reader = new TimestampReader(best.format, options.clock);
  return {
    kind: 'detected',
    format: best.format,
    nonEmpty: nonEmpty.length,
    parsed: best.parsed,
    counterExamples: nonEmpty.filter((v) => Number.isNaN(reader.read(v))).slice(0, 5),
  };
}

/** The same format but for the order of day and month. */
function isOtherOrder(a: TimestampFormat, b: TimestampFormat): boolean {
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    return a.separator === b.separator && a.order !== b.order && a.order !== 'YMD' && b.order !== 'YMD';
  }
  return a.kind === 'monthName' && b.kind === 'monthName' && a.order !== b.order;
}
