import { InvalidRanges } from './invalidRanges.ts';
import { MAX_ROW_BYTES, RAW_KEEP_BYTES, TokenizedRow } from './TokenizedRow.ts';
import { incompleteTailStart } from './utf8.ts';

const LF = 10;
const CR = 13;
const QUOTE = 34;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const AFTER_QUOTE = 3; // a quote inside a quoted field: either "" (escaped) or the closing quote

/** An unfinished row without a line end longer than this continues on the (resumable) slow path. */
const RESUMABLE_AFTER_BYTES = 1024 * 1024;

/** State of a row on the quote-aware path; survives across pushes (a quoted field may span chunks). */
interface SlowRow {
  line: number;
  /** Line breaks inside quoted fields so far. */
  lines: number;
  afterCr: boolean;
  state: number;
  /** Fields completed so far (their bounds are in the row's starts/ends, into the scratch buffer). */
  count: number;
  fieldStart: number;
  rawKept: number;
  rawLength: number;
  /** Past MAX_ROW_BYTES: values are dropped, the row will be rejected. */
  tooLong: boolean;
  invalid: boolean;
}

/**
 * Splits CSV/TSV bytes into rows and fields (RFC 4180: quoted delimiters and line breaks, doubled
 * quotes). Line endings \n, \r\n and lone \r; empty lines are skipped but counted. Chunks may be cut
 * anywhere (also inside a UTF-8 character). Leniency: a quote inside an unquoted field is literal, and
 * text after a closing quote is appended to the field.
 *
 * Fast path: one byte loop per row finds delimiters and the line end; fields are (start, end) offsets
 * into the chunk, nothing is copied. A row containing a quote is re-read by the quote-aware path, which
 * copies unescaped values into a scratch buffer and can resume across chunks.
 */
export class DelimitedTokenizer {
  readonly #delimiter: number;
  readonly #row = new TokenizedRow();
  readonly #invalid = new InvalidRanges();
  #pending: Buffer | null = null;
  #line = 1;
  #slow: SlowRow | null = null;
  #scratch = Buffer.allocUnsafe(64 * 1024);
  #scratchLength = 0;
  #raw = Buffer.allocUnsafe(RAW_KEEP_BYTES);

  constructor(delimiter: ',' | ';' | '\t' | '|') {
    this.#delimiter = delimiter.charCodeAt(0);
  }

  /** No row waits for more bytes: the next byte pushed starts a row. */
  get atRowStart(): boolean {
    return this.#pending === null && this.#slow === null;
  }

  /** The 1-based line the next row starts on. */
  get line(): number {
    return this.#line;
  }

  /** Calls onRow for every complete non-empty row; with final, also for the last one. */
  push(chunk: Buffer, final: boolean, onRow: (row: TokenizedRow) => void): void {
    let rest = chunk;
    const pending = this.#pending;
    if (pending !== null) {
      // complete the pending row with the chunk's first line (copying only that much)
      this.#pending = null;
      let k = firstLineEnd(chunk);
      if (k < chunk.length && chunk[k] === CR) k++;
      k = Math.min(k + 1, chunk.length);
      const head = Buffer.concat([pending, chunk.subarray(0, k)]);
      rest = chunk.subarray(k);
      this.#pushBuffer(head, final && rest.length === 0, onRow);
      if (rest.length === 0) return;
      if (this.#pending !== null) {
        const again = this.#pending as Buffer;
        this.#pending = null;
        rest = Buffer.concat([again, rest]);
      }
    }
    this.#pushBuffer(rest, final, onRow);
  }

  #pushBuffer(buf: Buffer, final: boolean, onRow: (row: TokenizedRow) => void): void {
    // an unfinished UTF-8 character at the end waits for the next chunk (it cannot contain a delimiter)
    const end = final ? buf.length : incompleteTailStart(buf, buf.length);
    this.#invalid.reset(buf, end);
    let pos = 0;
    if (this.#slow !== null) {
      pos = this.#continueSlow(buf, 0, end, final, onRow);
      if (pos < 0) return;
    }
    const delimiter = this.#delimiter;
    // Bytes above both the delimiter and `,` (quote, CR and LF are below it) need no look: one comparison per byte.
    const special = Math.max(44, delimiter);
    const row = this.#row;
    let starts = row.starts;
    let ends = row.ends;
    let line = this.#line;
    const scan = SCAN;
    while (pos < end) {
      scan[COUNT] = 0;
      scan[FIELD_START_AT] = pos;
      scan[FIELD_END_AT] = -1;
      scan[LITERAL_QUOTE] = 0;
      let i = pos;
      let quote = false;
      for (;;) {
        i = scanRow(buf, i, end, delimiter, special, starts, ends, scan);
        const stop = scan[STOP];
        if (stop === STOP_GROW) {
          row.ensureCapacity(starts.length * 2);
          starts = row.starts;
          ends = row.ends;
        } else if (stop === STOP_QUOTE) {
          // a quoted field stays on the fast path when it has no line break and no doubled quote, and the closing
          // quote is followed by a delimiter or a line end: its value is buf[i + 1, j)
          const j = simpleQuotedFieldEnd(buf, i, end, delimiter, final);
          if (j < 0) {
            quote = true;
            break;
          }
          scan[FIELD_START_AT] = i + 1;
          scan[FIELD_END_AT] = j;
          i = j + 1;
        } else break;
      }
      const count = scan[COUNT] as number;
      const fieldStart = scan[FIELD_START_AT] as number;
      const fieldEnd = scan[FIELD_END_AT] as number;
      const literalQuote = scan[LITERAL_QUOTE] === 1;
      const b = i < end ? (buf[i] as number) : 0;
      if (quote || i - pos > MAX_ROW_BYTES || (i === end && !final && end - pos > RESUMABLE_AFTER_BYTES)) {
        this.#line = line;
        pos = this.#startSlow(buf, pos, end, final, onRow);
        if (pos < 0) return;
        line = this.#line;
        starts = row.starts;
        ends = row.ends;
        continue;
      }
      if (!final && (i === end || (b === CR && i + 1 === buf.length))) {
        // no line end yet, or a CR that may be the first half of CRLF
        this.#line = line;
        this.#pending = buf.subarray(pos);
        return;
      }
      if (i > pos) {
        starts[count] = fieldStart;
        ends[count] = fieldEnd < 0 ? i : fieldEnd;
        row.count = count + 1;
        row.bytes = buf;
        row.line = line;
        row.raw = buf;
        row.rawStart = pos;
        row.rawEnd = i;
        row.rawLength = i - pos;
        row.problem = null;
        row.invalidUtf8 = this.#invalid.has(pos, i);
        row.rawString = null;
        row.plainFields = !literalQuote;
        onRow(row);
        // onRow may have grown the row's arrays (it never does today; stay correct if it does)
        starts = row.starts;
        ends = row.ends;
      }
      line++;
      pos = i + (b === CR && buf[i + 1] === LF ? 2 : 1);
    }
    this.#line = line;
    if (!final && end < buf.length) this.#pending = buf.subarray(end);
  }

  #startSlow(buf: Buffer, pos: number, end: number, final: boolean, onRow: (row: TokenizedRow) => void): number {
    this.#slow = {
      line: this.#line,
      lines: 0,
      afterCr: false,
      state: FIELD_START,
      count: 0,
      fieldStart: 0,
      rawKept: 0,
      rawLength: 0,
      tooLong: false,
      invalid: false,
    };
    this.#scratchLength = 0;
    return this.#continueSlow(buf, pos, end, final, onRow);
  }

  /** Continues the quote-aware row; returns the position after the row, or -1 when the bytes ran out. */
  #continueSlow(buf: Buffer, pos: number, end: number, final: boolean, onRow: (row: TokenizedRow) => void): number {
    const r = this.#slow as SlowRow;
    const delimiter = this.#delimiter;
    let i = pos;
    for (;;) {
      if (r.state === FIELD_START) {
        if (i === end) break;
        if (buf[i] === QUOTE) {
          r.state = QUOTED;
          i++;
        } else r.state = UNQUOTED;
      } else if (r.state === UNQUOTED) {
        let j = i;
        let b = 0;
        while (j < end) {
          b = buf[j] as number;
          if (b === delimiter || b === LF || b === CR) break;
          j++;
        }
        this.#appendValue(r, buf, i, j);
        i = j;
        if (j === end) break;
        if (b === delimiter) {
          this.#endField(r);
          i++;
          continue;
        }
        // a line break outside quotes ends the row
        if (b === CR && i + 1 === buf.length && !final) {
          this.#appendRaw(r, buf, pos, i);
          this.#pending = buf.subarray(i); // maybe CRLF
          return -1;
        }
        if (r.rawLength === 0) {
          // the whole row is in this buffer: refer to it instead of copying
          this.#emitSlow(r, null, onRow, buf, pos, i);
        } else {
          this.#appendRaw(r, buf, pos, i);
          this.#emitSlow(r, null, onRow, null, 0, 0);
        }
        return i + (b === CR && buf[i + 1] === LF ? 2 : 1);
      } else if (r.state === QUOTED) {
        let j = buf.indexOf(QUOTE, i);
        const found = j !== -1 && j < end;
        if (!found) j = end;
        r.lines += countLineBreaks(buf, i, j, r);
        this.#appendValue(r, buf, i, j);
        i = j;
        if (!found) break;
        r.afterCr = false;
        r.state = AFTER_QUOTE;
        i++;
      } else {
        if (i === end) break;
        if (buf[i] === QUOTE) {
          this.#appendValue(r, buf, i, i + 1);
          r.state = QUOTED;
          i++;
        } else r.state = UNQUOTED;
      }
    }
    // the bytes ran out inside the row
    this.#appendRaw(r, buf, pos, end);
    if (final) {
      this.#emitSlow(r, r.state === QUOTED ? 'UNCLOSED_QUOTE' : null, onRow, null, 0, 0);
      return end;
    }
    if (end < buf.length) this.#pending = buf.subarray(end);
    return -1;
  }

  #appendValue(r: SlowRow, buf: Buffer, start: number, end: number): void {
    if (end <= start || r.tooLong) return;
    const length = this.#scratchLength;
    if (length + (end - start) > this.#scratch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#scratch.length * 2, length + (end - start)));
      this.#scratch.copy(bigger, 0, 0, length);
      this.#scratch = bigger;
    }
    const scratch = this.#scratch;
    if (end - start < 64) for (let i = start, o = length; i < end; i++) scratch[o++] = buf[i] as number;
    else buf.copy(scratch, length, start, end);
    this.#scratchLength = length + (end - start);
  }

  #endField(r: SlowRow): void {
    if (!r.tooLong) {
      const row = this.#row;
      row.ensureCapacity(r.count + 1);
      row.starts[r.count] = r.fieldStart;
      row.ends[r.count] = this.#scratchLength;
      r.count++;
      r.fieldStart = this.#scratchLength;
    }
    r.state = FIELD_START;
  }

  #appendRaw(r: SlowRow, buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    if (r.rawKept < RAW_KEEP_BYTES) {
      const n = Math.min(end - start, RAW_KEEP_BYTES - r.rawKept);
      buf.copy(this.#raw, r.rawKept, start, start + n);
      r.rawKept += n;
    }
    r.rawLength += end - start;
    if (!r.invalid && this.#invalid.has(start, end)) r.invalid = true;
    if (r.rawLength > MAX_ROW_BYTES && !r.tooLong) {
      r.tooLong = true;
      r.count = 0;
      this.#scratchLength = 0;
    }
  }

  /** Emits the row; its raw text is buf[rawStart, rawEnd) when buf is given, else the kept prefix. */
  #emitSlow(
    r: SlowRow,
    problem: 'UNCLOSED_QUOTE' | null,
    onRow: (row: TokenizedRow) => void,
    buf: Buffer | null,
    rawStart: number,
    rawEnd: number,
  ): void {
    this.#slow = null;
    const row = this.#row;
    if (buf !== null) {
      if (rawEnd - rawStart > MAX_ROW_BYTES) r.tooLong = true;
      row.raw = buf;
      row.rawStart = rawStart;
      row.rawEnd = rawEnd;
      row.rawLength = rawEnd - rawStart;
      row.invalidUtf8 = this.#invalid.has(rawStart, rawEnd);
    } else {
      row.raw = this.#raw;
      row.rawStart = 0;
      row.rawEnd = r.rawKept;
      row.rawLength = r.rawLength;
      row.invalidUtf8 = r.invalid;
    }
    if (!r.tooLong) this.#endField(r);
    row.bytes = this.#scratch;
    row.count = r.count;
    row.line = r.line;
    row.problem = r.tooLong ? 'ROW_TOO_LONG' : problem;
    row.rawString = null;
    row.plainFields = false;
    this.#line = r.line + r.lines + 1;
    onRow(row);
  }
}

/** Line breaks in buf[start, end) (CRLF counts once, also when split across chunks). */
function countLineBreaks(buf: Buffer, start: number, end: number, r: SlowRow): number {
  let lines = 0;
  let afterCr = r.afterCr;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === LF) {
      if (!afterCr) lines++;
      afterCr = false;
    } else if (c === CR) {
      lines++;
      afterCr = true;
    } else afterCr = false;
  }
  r.afterCr = afterCr;
  return lines;
}

/** Index of the first LF or CR in buf, or buf.length. */
function firstLineEnd(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === LF || b === CR) return i;
  }
  return buf.length;
}

// The fast path's scan of one row, in functions of their own: V8 optimizes a small loop far better inside a small
// function (measured: 250 → 390 MB/s for the tokenizer alone) and better when its index only ever grows by one.
const COUNT = 0;
const FIELD_START_AT = 1;
const FIELD_END_AT = 2;
const LITERAL_QUOTE = 3;
const STOP = 4;
/** Stopped at a line end (CR or LF), or at the end of the bytes. */
const STOP_LINE = 0;
/** Stopped at a quote that starts a field. */
const STOP_QUOTE = 1;
/** Stopped at a delimiter with no room for another field. */
const STOP_GROW = 2;
/** The scan's state: fields so far, the current field's start (and end, when it was quoted), a literal quote seen. */
const SCAN = new Int32Array(5);

/**
 * Records the fields of the row from buf[i] until a line end, the end of the bytes, a quote at a field's start, or a
 * full field array; returns where it stopped. Quotes inside an unquoted field are literal (noted).
 */
function scanRow(
  buf: Buffer,
  from: number,
  end: number,
  delimiter: number,
  special: number,
  starts: Int32Array,
  ends: Int32Array,
  scan: Int32Array,
): number {
  let count = scan[COUNT] as number;
  let fieldStart = scan[FIELD_START_AT] as number;
  let fieldEnd = scan[FIELD_END_AT] as number;
  let literal = scan[LITERAL_QUOTE] as number;
  let stop = STOP_LINE;
  const room = starts.length - 1;
  let i = from;
  for (; i < end; i++) {
    const b = buf[i] as number;
    if (b <= special) {
      if (b === delimiter) {
        if (count >= room) {
          stop = STOP_GROW;
          break;
        }
        starts[count] = fieldStart;
        ends[count] = fieldEnd < 0 ? i : fieldEnd;
        count++;
        fieldStart = i + 1;
        fieldEnd = -1;
      } else if (b === LF || b === CR) break;
      else if (b === QUOTE) {
        if (i === fieldStart) {
          stop = STOP_QUOTE;
          break;
        }
        literal = 1;
      }
    }
  }
  scan[COUNT] = count;
  scan[FIELD_START_AT] = fieldStart;
  scan[FIELD_END_AT] = fieldEnd;
  scan[LITERAL_QUOTE] = literal;
  scan[STOP] = stop;
  return i;
}

/**
 * The closing quote of the quoted field that starts at buf[i], when the field holds no line break and no doubled quote
 * and a delimiter or a line end follows it (or the bytes end, with final); else -1 (the quote-aware path reads it).
 */
function simpleQuotedFieldEnd(buf: Buffer, i: number, end: number, delimiter: number, final: boolean): number {
  let j = i + 1;
  let c = 0;
  while (j < end) {
    c = buf[j] as number;
    if (c === QUOTE || c === LF || c === CR) break;
    j++;
  }
  if (j >= end || c !== QUOTE) return -1;
  const next = j + 1 < end ? (buf[j + 1] as number) : -1;
  return next === delimiter || next === LF || next === CR || (next === -1 && final && j + 1 === end) ? j : -1;
}
