import { MAX_ROW_CHARS, RAW_CAP } from './TokenizedRow.ts';

const LF = 10;

/** A physical line: text.slice(start, end). `tooLong` lines carry only a RAW_CAP prefix and their length. */
export type LineHandler = (text: string, start: number, end: number, line: number, rawLength: number) => void;

/**
 * Splits decoded text into lines (\n, \r\n, lone \r; chunks cut anywhere) for JSON lines. Empty lines are
 * not reported but counted. A line longer than MAX_ROW_CHARS is reported with only its first RAW_CAP
 * characters and rawLength > MAX_ROW_CHARS, so memory stays flat.
 */
export class LineSplitter {
  #pending = '';
  #line = 1;
  /** Prefix and length of an over-long line being skipped. */
  #longPrefix: string | null = null;
  #longLength = 0;

  push(chunk: string, final: boolean, onLine: LineHandler): void {
    const text = this.#pending.length === 0 ? chunk : this.#pending + chunk;
    this.#pending = '';
    const n = text.length;
    let pos = 0;
    let nextLf = -1;
    let nextCr = -1;
    while (pos < n || (final && this.#longPrefix !== null)) {
      if (nextLf < pos) nextLf = find(text, '\n', pos);
      if (nextCr < pos) nextCr = find(text, '\r', pos);
      const end = Math.min(nextLf, nextCr);
      if (!final && (end === n || (end === n - 1 && end === nextCr))) {
        if (this.#longPrefix !== null || n - pos > MAX_ROW_CHARS) {
          this.#skipLong(text, pos, end);
          if (end < n) this.#pending = '\r';
        } else this.#pending = text.slice(pos);
        return;
      }
      if (this.#longPrefix !== null) {
        this.#skipLong(text, pos, end);
        onLine(this.#longPrefix, 0, this.#longPrefix.length, this.#line, this.#longLength);
        this.#longPrefix = null;
        this.#longLength = 0;
      } else if (end > pos) onLine(text, pos, end, this.#line, end - pos);
      this.#line++;
      pos = end + (end === nextCr && text.charCodeAt(end + 1) === LF ? 2 : 1);
    }
  }

  #skipLong(text: string, start: number, end: number): void {
    if (this.#longPrefix === null) this.#longPrefix = '';
    if (this.#longPrefix.length < RAW_CAP) {
      this.#longPrefix += text.slice(start, Math.min(end, start + RAW_CAP - this.#longPrefix.length));
    }
    this.#longLength += end - start;
  }
}

function find(text: string, search: string, from: number): number {
  const i = text.indexOf(search, from);
  return i === -1 ? text.length : i;
}
