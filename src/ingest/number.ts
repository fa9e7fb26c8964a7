/**
 * Plain decimal numbers: optional sign, digits with an optional fraction, optional exponent
 * (`12`, `-3.5`, `.5`, `5.`, `1e3`, `2.5E-3`), surrounded by optional ASCII whitespace.
 * Rejected: empty, NaN, Infinity, hex/octal/binary literals, `1.234,56`, thousands separators,
 * anything that does not round to a finite double (`1e309`).
 */

/** The number in `text`, or null when it is not an accepted number. */
export function parseNumber(text: string): number | null {
  return parseNumberRange(text, 0, text.length);
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** True when text[start, end) is empty or only whitespace. */
export function isBlankRange(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

/** Like parseNumber, over text[start, end) without slicing in the common case. */
export function parseNumberRange(text: string, start: number, end: number): number | null {
  let s = start;
  let e = end;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  let i = s;
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = 0;
  while (i < e) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    digits++;
    i++;
  }
  if (i < e && text.charCodeAt(i) === 46 /* . */) {
    i++;
    while (i < e) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
      fractionDigits++;
      i++;
    }
  }
  if (digits === 0) return null;
  let hasExponent = false;
  if (i < e) {
    const c = text.charCodeAt(i);
    if (c !== 101 && c !== 69) return null; // e / E
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    const expStart = i;
    while (i < e) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      i++;
    }
    if (i === expStart || i !== e) return null;
    hasExponent = true;
  }
  if (!hasExponent && digits <= 15) {
    // Exact: mantissa < 10^15 < 2^53 and 10^k (k ≤ 15) are exact doubles, and one division rounds correctly.
    const value = fractionDigits === 0 ? mantissa : mantissa / (POW10[fractionDigits] as number);
    return negative ? -value : value;
  }
  const value = Number(text.slice(s, e));
  return Number.isFinite(value) ? value : null;
}

/** True for integers a `long` metric can hold: within ±2^53. */
export function isLongValue(value: number): boolean {
  return Number.isInteger(value) && value <= 9_007_199_254_740_992 && value >= -9_007_199_254_740_992;
}
