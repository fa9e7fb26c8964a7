const LF = 10;
const QUOTE = 34;

/**
 * CSV/TSV: the position just after the last line feed in bytes[0, end) that lies outside quotes, when bytes[0] starts
 * a row; -1 when there is none. "Outside quotes" is by quote parity (an even number of `"` before it), as DuckDB's
 * parallel CSV reader guesses: right for every RFC 4180 file. A file whose unquoted fields hold stray quotes can fool
 * it; whoever validates from such a cut checks that the row before it really ended there (RowValidator.atRowStart).
 */
export function lastRowEndByQuoteParity(bytes: Uint8Array, end: number): number {
  const quotes = countQuotes(bytes, end);
  // Walk back from the end, one quote at a time: between two quotes the parity is constant.
  let pos = end;
  let odd = (quotes & 1) === 1;
  for (;;) {
    const q = pos === 0 ? -1 : lastIndexOfBefore(bytes, QUOTE, pos);
    if (!odd) {
      const lf = lastIndexOfBetween(bytes, LF, q + 1, pos);
      if (lf >= 0) return lf + 1;
    }
    if (q < 0) return -1;
    pos = q;
    odd = !odd;
  }
}

/**
 * The quotes in bytes[0, end): by indexOf (memchr) while they are sparse, as in most exports; where they are dense (a
 * file that quotes every field) a byte loop is cheaper than a call per quote.
 */
function countQuotes(bytes: Uint8Array, end: number): number {
  let quotes = 0;
  let i = 0;
  while (i < end) {
    const q = bytes.indexOf(QUOTE, i);
    if (q < 0 || q >= end) return quotes;
    quotes++;
    i = q + 1;
    if (quotes * DENSE_GAP > i) break;
  }
  for (; i < end; i++) if (bytes[i] === QUOTE) quotes++;
  return quotes;
}

/** More than one quote per this many bytes is dense. */
const DENSE_GAP = 64;

/** JSON lines: the position just after the last line feed in bytes[0, end), or -1 (JSON strings hold no raw line break). */
export function lastLineEnd(bytes: Uint8Array, end: number): number {
  const lf = lastIndexOfBetween(bytes, LF, 0, end);
  return lf < 0 ? -1 : lf + 1;
}

function lastIndexOfBefore(bytes: Uint8Array, value: number, before: number): number {
  return before === 0 ? -1 : bytes.lastIndexOf(value, before - 1);
}

/** The last index of value in bytes[from, to), or -1. */
function lastIndexOfBetween(bytes: Uint8Array, value: number, from: number, to: number): number {
  if (to <= from) return -1;
  const i = bytes.lastIndexOf(value, to - 1);
  return i >= from ? i : -1;
}
