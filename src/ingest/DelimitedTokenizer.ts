import { MAX_ROW_CHARS, RAW_CAP, TokenizedRow } from './TokenizedRow.ts';

const LF = 10;
const CR = 13;
const QUOTE = 34;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const AFTER_QUOTE = 3; // a quote inside a quoted field: either "" (escaped) or the closing quote

/** State of a row parsed by the quote-aware path; survives across pushes (a quoted field may span chunks). */
interface SlowRow {
  line: number;
  /** Line breaks consumed inside quoted fields so far. */
  lines: number;
  values: string[];
  field: string;
  state: number;
  afterCr: boolean;
  raw: string;
  rawLength: number;
  /** Raw length passed MAX_ROW_CHARS: values are no longer kept, the row will be rejected. */
  tooLong: boolean;
}

/**
 * Splits decoded CSV/TSV text into rows and fields (RFC 4180: quoted delimiters and line breaks, doubled
 * quotes). Line endings \n, \r\n and lone \r; empty lines are skipped but counted. Chunks may be cut
 * anywhere. Leniency: a quote inside an unquoted field is literal, and text after a closing quote is
 * appended to the field.
 *
 * Fast path: a row without any quote is split with indexOf into (start, end) offsets of the chunk text;
 * only rows containing a quote take the character-level path.
 */
export class DelimitedTokenizer {
  readonly #delimiter: string;
  readonly #delimiterCode: number;
  readonly #row = new TokenizedRow();
  #pending = '';
  #line = 1;
  #slow: SlowRow | null = null;

  constructor(delimiter: ',' | '\t') {
    this.#delimiter = delimiter;
    this.#delimiterCode = delimiter.charCodeAt(0);
  }

  /** Calls onRow for every complete non-empty row; with final, also for the last one. */
  push(chunk: string, final: boolean, onRow: (row: TokenizedRow) => void): void {
    const text = this.#pending.length === 0 ? chunk : this.#pending + chunk;
    this.#pending = '';
    const n = text.length;
    let pos = 0;
    if (this.#slow !== null) {
      pos = this.#continueSlow(text, 0, final, onRow);
      if (pos < 0) return;
    }
    const delimiter = this.#delimiter;
    const row = this.#row;
    let nextLf = -1;
    let nextCr = -1;
    let nextQuote = -1;
    let nextDelimiter = -1;
    while (pos < n) {
      if (nextLf < pos) nextLf = find(text, '\n', pos);
      if (nextCr < pos) nextCr = find(text, '\r', pos);
      const end = Math.min(nextLf, nextCr);
      if (nextQuote < pos) nextQuote = find(text, '"', pos);
      if (nextQuote < end || end - pos > MAX_ROW_CHARS) {
        pos = this.#startSlow(text, pos, final, onRow);
        if (pos < 0) return;
        continue;
      }
      if (!final && (end === n || (end === n - 1 && end === nextCr))) {
        // no line end yet, or a CR that may be the first half of CRLF
        if (n - pos > MAX_ROW_CHARS) {
          pos = this.#startSlow(text, pos, final, onRow);
          if (pos < 0) return;
          continue;
        }
        this.#pending = text.slice(pos);
        return;
      }
      if (end > pos) {
        let count = 0;
        let p = pos;
        if (nextDelimiter < pos) nextDelimiter = find(text, delimiter, pos);
        while (nextDelimiter < end) {
          if (count + 1 >= row.starts.length) row.ensureCapacity(count + 2);
          row.starts[count] = p;
          row.ends[count] = nextDelimiter;
          count++;
          p = nextDelimiter + 1;
          nextDelimiter = find(text, delimiter, p);
        }
        row.starts[count] = p;
        row.ends[count] = end;
        row.count = count + 1;
        row.text = text;
        row.line = this.#line;
        row.rawText = text;
        row.rawStart = pos;
        row.rawEnd = end;
        row.rawLength = end - pos;
        row.problem = null;
        onRow(row);
      }
      this.#line++;
      pos = end + (end === nextCr && text.charCodeAt(end + 1) === LF ? 2 : 1);
    }
  }

  #startSlow(text: string, pos: number, final: boolean, onRow: (row: TokenizedRow) => void): number {
    this.#slow = {
      line: this.#line,
      lines: 0,
      values: [],
      field: '',
      state: FIELD_START,
      afterCr: false,
      raw: '',
      rawLength: 0,
      tooLong: false,
    };
    return this.#continueSlow(text, pos, final, onRow);
  }

  /** Continues the quote-aware row; returns the position after the row, or -1 when the text ran out. */
  #continueSlow(text: string, pos: number, final: boolean, onRow: (row: TokenizedRow) => void): number {
    const r = this.#slow as SlowRow;
    const n = text.length;
    const delimiter = this.#delimiterCode;
    let i = pos;
    for (;;) {
      if (r.state === FIELD_START) {
        if (i === n) break;
        if (text.charCodeAt(i) === QUOTE) {
          r.state = QUOTED;
          i++;
        } else r.state = UNQUOTED;
      } else if (r.state === UNQUOTED) {
        let j = i;
        let c = 0;
        while (j < n) {
          c = text.charCodeAt(j);
          if (c === delimiter || c === LF || c === CR) break;
          j++;
        }
        if (j > i && !r.tooLong) r.field += text.slice(i, j);
        i = j;
        if (j === n) break;
        if (c === delimiter) {
          this.#endField(r);
          i++;
          continue;
        }
        // a line break outside quotes ends the row
        if (c === CR && i === n - 1 && !final) {
          this.#appendRaw(r, text, pos, i);
          this.#pending = '\r';
          return -1;
        }
        this.#appendRaw(r, text, pos, i);
        this.#emitSlow(r, null, onRow);
        return i + (c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1);
      } else if (r.state === QUOTED) {
        const q = text.indexOf('"', i);
        const j = q === -1 ? n : q;
        r.lines += countLineBreaks(text, i, j, r);
        if (j > i && !r.tooLong) r.field += text.slice(i, j);
        i = j;
        if (q === -1) break;
        r.afterCr = false;
        r.state = AFTER_QUOTE;
        i++;
      } else {
        if (i === n) break;
        if (text.charCodeAt(i) === QUOTE) {
          if (!r.tooLong) r.field += '"';
          r.state = QUOTED;
          i++;
        } else r.state = UNQUOTED;
      }
    }
    // the text ran out inside the row
    this.#appendRaw(r, text, pos, n);
    if (final) {
      this.#emitSlow(r, r.state === QUOTED ? 'UNCLOSED_QUOTE' : null, onRow);
      return n;
    }
    return -1;
  }

  #endField(r: SlowRow): void {
    if (!r.tooLong) r.values.push(r.field);
    r.field = '';
    r.state = FIELD_START;
  }

  #appendRaw(r: SlowRow, text: string, start: number, end: number): void {
    if (r.raw.length < RAW_CAP && end > start)
      r.raw += text.slice(start, Math.min(end, start + RAW_CAP - r.raw.length));
    r.rawLength += end - start;
    if (r.rawLength > MAX_ROW_CHARS && !r.tooLong) {
      r.tooLong = true;
      r.values = [];
      r.field = '';
    }
  }

  #emitSlow(r: SlowRow, problem: 'UNCLOSED_QUOTE' | null, onRow: (row: TokenizedRow) => void): void {
    this.#slow = null;
    const row = this.#row;
    if (r.tooLong) {
      row.setValues([]);
    } else {
      r.values.push(r.field);
      row.setValues(r.values);
    }
    row.line = r.line;
    row.rawText = r.raw;
    row.rawStart = 0;
    row.rawEnd = r.raw.length;
    row.rawLength = r.rawLength;
    row.problem = r.tooLong ? 'ROW_TOO_LONG' : problem;
    this.#line = r.line + r.lines + 1;
    onRow(row);
  }
}

/** indexOf that returns text.length instead of -1, so "not found" compares as "after everything". */
function find(text: string, search: string, from: number): number {
  const i = text.indexOf(search, from);
  return i === -1 ? text.length : i;
}

/** Line breaks in text[start, end) (CRLF counts once, also when split across pushes). */
function countLineBreaks(text: string, start: number, end: number, r: SlowRow): number {
  let lines = 0;
  let afterCr = r.afterCr;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
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
