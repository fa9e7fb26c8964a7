/**
 * Plain decimal numbers: optional sign, digits with an optional fraction, optional exponent
 * (`12`, `-3.5`, `.5`, `5.`, `1e3`, `2.5E-3`), surrounded by optional ASCII whitespace.
 * Rejected: empty, NaN, Infinity, hex/octal/binary literals, `1.234,56`, thousands separators,
 * anything that does not round to a finite double (`1e309`).
 */

/** The number in `text`, or null when it is not an accepted number. */
export function parseNumber(text: string): number | null {
  const bytes = Buffer.from(text, 'utf8');
  const value = parseNumberBytes(bytes, 0, bytes.length);
  return Number.isNaN(value) ? null : value;
}

/**
 * Set by parseNumberBytes: true when the (trimmed) input is exactly how JavaScript/JSON prints the
 * value (String(value)), so the output can copy the input bytes.
 */
export const lastNumber = { canonical: false, plain: false, integer: false, start: 0, end: 0 };
// plain: the whole input (no spaces around it) is digits with an optional point and fraction, an optional minus sign,
// at most 15 digits: a CSV reader that rounds correctly (DuckDB) reads the same double from it. integer: and no point.

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** True when bytes[start, end) is empty or only ASCII whitespace. */
export function isBlankBytes(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(bytes[i] as number)) return false;
  return true;
}

/** The number in bytes[start, end) (UTF-8/ASCII), or NaN when it is not an accepted number. */
export function parseNumberBytes(bytes: Uint8Array, start: number, end: number): number {
  let s = start;
  let e = end;
  while (s < e && isSpace(bytes[s] as number)) s++;
  while (e > s && isSpace(bytes[e - 1] as number)) e--;
  lastNumber.start = s;
  lastNumber.end = e;
  lastNumber.plain = false;
  lastNumber.integer = false;
  let i = s;
  let negative = false;
  const first = bytes[i];
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  const intStart = i;
  while (i < e) {
    const d = (bytes[i] as number) - 48;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    i++;
  }
  const intDigits = i - intStart;
  digits = intDigits;
  let fractionDigits = 0;
  let hasPoint = false;
  let leadingFractionZeros = 0;
  if (i < e && bytes[i] === 46 /* . */) {
    hasPoint = true;
    i++;
    while (i < e) {
      const d = (bytes[i] as number) - 48;
      if (d < 0 || d > 9) break;
      if (d === 0 && leadingFractionZeros === fractionDigits) leadingFractionZeros++;
      mantissa = mantissa * 10 + d;
      fractionDigits++;
      i++;
    }
    digits += fractionDigits;
  }
  if (digits === 0) return Number.NaN;
  if (i < e) {
    const c = bytes[i];
    if (c !== 101 && c !== 69) return Number.NaN; // e / E
    i++;
    const sign = bytes[i];
    if (sign === 43 || sign === 45) i++;
    const expStart = i;
    while (i < e) {
      const d = (bytes[i] as number) - 48;
      if (d < 0 || d > 9) break;
      i++;
    }
    if (i === expStart || i !== e) return Number.NaN;
    lastNumber.canonical = false;
    return finite(Number(latin1(bytes, s, e)));
  }
  if (digits > 15) {
    lastNumber.canonical = false;
    return finite(Number(latin1(bytes, s, e)));
  }
  // Exact: mantissa < 10^15 < 2^53 and 10^k (k ≤ 15) are exact doubles, and one division rounds correctly.
  const magnitude = fractionDigits === 0 ? mantissa : mantissa / (POW10[fractionDigits] as number);
  const intIsZero = intDigits === 1 && bytes[intStart] === 48;
  lastNumber.canonical =
    first !== 43 &&
    intDigits > 0 &&
    (intDigits === 1 || bytes[intStart] !== 48) &&
    (!hasPoint || (fractionDigits > 0 && bytes[e - 1] !== 48 && (!intIsZero || leadingFractionZeros <= 5))) &&
    !(negative && magnitude === 0);
  lastNumber.plain = s === start && e === end && first !== 43 && intDigits > 0 && (!hasPoint || fractionDigits > 0);
  lastNumber.integer = lastNumber.plain && !hasPoint;
  return negative ? -magnitude : magnitude;
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : Number.NaN;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  // Not String.fromCharCode.apply: a cell of 200,000 digits would overflow the call stack (RangeError).
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** True for integers a `long` metric can hold: within ±2^53. */
export function isLongValue(value: number): boolean {
  return Number.isInteger(value) && value <= 9_007_199_254_740_992 && value >= -9_007_199_254_740_992;
}
