/** Byte-level UTF-8 helpers (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */

/** Result of utf8SequenceAt when the bytes end in the middle of a possibly valid sequence. */
export const INCOMPLETE = -1;

/**
 * Length (1–4) of the valid UTF-8 sequence starting at bytes[i], 0 when the byte at i does not start a
 * valid sequence, or INCOMPLETE when bytes[i, end) is a valid but unfinished prefix.
 */
export function utf8SequenceAt(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  let length: number;
  let min2 = 0x80;
  let max2 = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 === 0xe0) min2 = 0xa0;
    else if (b0 === 0xed) max2 = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 === 0xf0) min2 = 0x90;
    else if (b0 === 0xf4) max2 = 0x8f;
  } else return 0;
  for (let k = 1; k < length; k++) {
    if (i + k >= end) return INCOMPLETE;
    const b = bytes[i + k] as number;
    if (k === 1 ? b < min2 || b > max2 : b < 0x80 || b > 0xbf) return 0;
  }
  return length;
}

/** Start of an unfinished (but so far valid) sequence at the end of bytes[0, end), or end if there is none. */
export function incompleteTailStart(bytes: Uint8Array, end: number): number {
  for (let i = end - 1; i >= 0 && i >= end - 3; i--) {
    const b = bytes[i] as number;
    if (b < 0x80) return end;
    if (b >= 0xc0) return utf8SequenceAt(bytes, i, end) === INCOMPLETE ? i : end;
  }
  return end;
}

/** Offsets of the bytes in bytes[start, end) that are not part of valid UTF-8 (ascending). */
export function invalidUtf8Offsets(bytes: Uint8Array, start: number, end: number): number[] {
  const offsets: number[] = [];
  let i = start;
  while (i < end) {
    if ((bytes[i] as number) < 0x80) {
      i++;
      continue;
    }
    const length = utf8SequenceAt(bytes, i, end);
    if (length > 0) i += length;
    else offsets.push(i++);
  }
  return offsets;
}
