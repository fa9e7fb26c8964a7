/**
 * ISO 8601 timestamps, strictly:
 *   2025-03-01                         (midnight UTC)
 *   2025-03-01T10:00 / 2025-03-01 10:00:00 / 2025-03-01T10:00:00.123456789
 *   ... followed by nothing (UTC), `Z`, `±hh:mm` or `±hhmm`.
 * Years are exactly 4 digits (0000–9999, proleptic Gregorian); the date must exist (no 2025-02-30);
 * hour 0–23, minute 0–59, second 0–59 (no leap seconds); offsets up to ±23:59.
 * A fraction of 1–9 digits is truncated to milliseconds. Surrounding ASCII whitespace is ignored.
 */

const MS_PER_DAY = 86_400_000;

/** Epoch ms of `text`, or null when it is not an accepted timestamp. */
export function parseTimestamp(text: string): number | null {
  const bytes = Buffer.from(text, 'utf8');
  const ms = parseTimestampBytes(bytes, 0, bytes.length);
  return Number.isNaN(ms) ? null : ms;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Value of two ASCII digits at i, or -1. */
function twoDigits(bytes: Uint8Array, i: number): number {
  const a = (bytes[i] as number) - 48;
  const b = (bytes[i + 1] as number) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Set by parseTimestampBytes: whether the value it read carried `Z` or an offset (else it is a wall-clock time). */
export const lastTimestamp = { hadOffset: false };

/** Epoch ms of the timestamp in bytes[start, end), or NaN when it is not an accepted timestamp. */
export function parseTimestampBytes(bytes: Uint8Array, start: number, end: number): number {
  lastTimestamp.hadOffset = false;
  let s = start;
  let e = end;
  while (s < e && isSpace(bytes[s] as number)) s++;
  while (e > s && isSpace(bytes[e - 1] as number)) e--;
  if (e - s < 10) return Number.NaN;
  const y1 = twoDigits(bytes, s);
  const y2 = twoDigits(bytes, s + 2);
  const month = twoDigits(bytes, s + 5);
  const day = twoDigits(bytes, s + 8);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1) return Number.NaN;
  if (bytes[s + 4] !== 45 || bytes[s + 7] !== 45) return Number.NaN;
  const year = y1 * 100 + y2;
  if (day > daysInMonth(year, month)) return Number.NaN;
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  let i = s + 10;
  if (i === e) return ms;

  const sep = bytes[i];
  if (sep !== 84 /* T */ && sep !== 32) return Number.NaN;
  if (e - i < 6) return Number.NaN;
  const hour = twoDigits(bytes, i + 1);
  const minute = twoDigits(bytes, i + 4);
  if (hour < 0 || hour > 23 || bytes[i + 3] !== 58 || minute < 0 || minute > 59) return Number.NaN;
  ms += hour * 3_600_000 + minute * 60_000;
  i += 6;
  if (i < e && bytes[i] === 58 /* : */) {
    if (e - i < 3) return Number.NaN;
    const second = twoDigits(bytes, i + 1);
    if (second < 0 || second > 59) return Number.NaN;
    ms += second * 1000;
    i += 3;
    if (i < e && bytes[i] === 46 /* . */) {
      i++;
      let digits = 0;
      let fraction = 0;
      while (i < e) {
        const d = (bytes[i] as number) - 48;
        if (d < 0 || d > 9) break;
        if (digits < 3) fraction = fraction * 10 + d;
        digits++;
        i++;
      }
      if (digits < 1 || digits > 9) return Number.NaN;
      if (digits === 1) fraction *= 100;
      else if (digits === 2) fraction *= 10;
      ms += fraction;
    }
  }
  if (i === e) return ms;
  const c = bytes[i];
  lastTimestamp.hadOffset = true;
  if (c === 90 /* Z */) return i + 1 === e ? ms : Number.NaN;
  if (c !== 43 /* + */ && c !== 45 /* - */) return Number.NaN;
  const rest = e - i - 1;
  const offsetHour = twoDigits(bytes, i + 1);
  let offsetMinute: number;
  if (rest === 5 && bytes[i + 3] === 58) offsetMinute = twoDigits(bytes, i + 4);
  else if (rest === 4) offsetMinute = twoDigits(bytes, i + 3);
  else return Number.NaN;
  if (offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59) return Number.NaN;
  const offsetMs = (offsetHour * 60 + offsetMinute) * 60_000;
  return c === 43 ? ms - offsetMs : ms + offsetMs;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month] ?? 0);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; valid for year 0 too). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

let cachedDay = Number.NaN;
const cachedDate = new Uint8Array(11); // "2025-03-01T"

/**
 * Writes `2025-03-01T10:00:00.000Z` (as Date#toISOString) for epoch ms into out at offset; returns the
 * new offset. Needs 27 bytes of room (years outside 0000–9999 are written in the extended form).
 */
export function writeIsoTimestamp(out: Uint8Array, offset: number, ms: number): number {
  const day = Math.floor(ms / MS_PER_DAY);
  let o = offset;
  if (day !== cachedDay) {
    const iso = new Date(ms).toISOString();
    if (iso.length !== 24) {
      for (let k = 0; k < iso.length; k++) out[o++] = iso.charCodeAt(k);
      return o;
    }
    for (let k = 0; k < 11; k++) cachedDate[k] = iso.charCodeAt(k);
    cachedDay = day;
  }
  out.set(cachedDate, o);
  o += 11;
  const t = ms - day * MS_PER_DAY;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const sec = Math.floor(t / 1000) % 60;
  const milli = t % 1000;
  out[o++] = 48 + Math.floor(h / 10);
  out[o++] = 48 + (h % 10);
  out[o++] = 58;
  out[o++] = 48 + Math.floor(m / 10);
  out[o++] = 48 + (m % 10);
  out[o++] = 58;
  out[o++] = 48 + Math.floor(sec / 10);
  out[o++] = 48 + (sec % 10);
  out[o++] = 46;
  out[o++] = 48 + Math.floor(milli / 100);
  out[o++] = 48 + (Math.floor(milli / 10) % 10);
  out[o++] = 48 + (milli % 10);
  out[o++] = 90;
  return o;
}
