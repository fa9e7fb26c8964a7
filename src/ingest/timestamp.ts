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
  return parseTimestampRange(text, 0, text.length);
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Value of two ASCII digits at i, or -1. */
function twoDigits(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48;
  const b = text.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Like parseTimestamp, over text[start, end) without slicing. */
export function parseTimestampRange(text: string, start: number, end: number): number | null {
  let s = start;
  let e = end;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  if (e - s < 10) return null;
  const y1 = twoDigits(text, s);
  const y2 = twoDigits(text, s + 2);
  const month = twoDigits(text, s + 5);
  const day = twoDigits(text, s + 8);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1) return null;
  if (text.charCodeAt(s + 4) !== 45 || text.charCodeAt(s + 7) !== 45) return null;
  const year = y1 * 100 + y2;
  if (day > daysInMonth(year, month)) return null;
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  let i = s + 10;
  if (i === e) return ms;

  const sep = text.charCodeAt(i);
  if (sep !== 84 /* T */ && sep !== 32) return null;
  if (e - i < 6) return null;
  const hour = twoDigits(text, i + 1);
  const minute = twoDigits(text, i + 4);
  if (hour < 0 || hour > 23 || text.charCodeAt(i + 3) !== 58 || minute < 0 || minute > 59) return null;
  ms += hour * 3_600_000 + minute * 60_000;
  i += 6;
  if (i < e && text.charCodeAt(i) === 58 /* : */) {
    if (e - i < 3) return null;
    const second = twoDigits(text, i + 1);
    if (second < 0 || second > 59) return null;
    ms += second * 1000;
    i += 3;
    if (i < e && text.charCodeAt(i) === 46 /* . */) {
      i++;
      let digits = 0;
      let fraction = 0;
      while (i < e) {
        const d = text.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        if (digits < 3) fraction = fraction * 10 + d;
        digits++;
        i++;
      }
      if (digits < 1 || digits > 9) return null;
      if (digits === 1) fraction *= 100;
      else if (digits === 2) fraction *= 10;
      ms += fraction;
    }
  }
  if (i === e) return ms;
  const c = text.charCodeAt(i);
  if (c === 90 /* Z */) return i + 1 === e ? ms : null;
  if (c !== 43 /* + */ && c !== 45 /* - */) return null;
  const rest = e - i - 1;
  const offsetHour = twoDigits(text, i + 1);
  let offsetMinute: number;
  if (rest === 5 && text.charCodeAt(i + 3) === 58) offsetMinute = twoDigits(text, i + 4);
  else if (rest === 4) offsetMinute = twoDigits(text, i + 3);
  else return null;
  if (offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59) return null;
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
let cachedDayPrefix = '';

/**
 * `2025-03-01T10:00:00.000Z` for epoch ms; same result as Date#toISOString but reuses the date part
 * of the previous call (rows of a file are usually close in time).
 */
export function formatIsoTimestamp(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY);
  if (day !== cachedDay) {
    const iso = new Date(ms).toISOString();
    cachedDay = day;
    cachedDayPrefix = iso.slice(0, iso.length - 13);
    return iso;
  }
  const t = ms - day * MS_PER_DAY;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const sec = Math.floor(t / 1000) % 60;
  const milli = t % 1000;
  return `${cachedDayPrefix}${TWO[h]}:${TWO[m]}:${TWO[sec]}.${THREE[milli]}Z`;
}

const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
