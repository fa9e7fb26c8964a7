import { InvalidRanges } from './invalidRanges.ts';
import { MAX_ROW_BYTES, RAW_KEEP_BYTES } from './TokenizedRow.ts';
import { incompleteTailStart } from './utf8.ts';

const LF = 10;
const CR = 13;

/**
 * A physical line: bytes[start, end). A line longer than MAX_ROW_BYTES arrives with only its first
 * RAW_KEEP_BYTES bytes and its real length in rawLength.
 */
export type LineHandler = (
  bytes: Buffer,
  start: number,
  end: number,
  line: number,
  rawLength: number,
  invalidUtf8: boolean,
) => void;

/**
 * Splits bytes into lines (\n, \r\n, lone \r; chunks cut anywhere) for JSON lines. Empty lines are not
 * reported but counted. Over-long lines are skipped after their first bytes, so memory stays flat.
 */
export class LineSplitter {
  readonly #invalid = new InvalidRanges();
  #pending: Buffer | null = null;
  #line = 1;
  /** Prefix of an over-long line being skipped (null when there is none). */
  #long: Buffer | null = null;
  #longKept = 0;
  #longLength = 0;
  #longInvalid = false;

  /** No line waits for more bytes. */
  get atLineStart(): boolean {
    return this.#pending === null && this.#long === null;
  }

  /** The 1-based number of the next line. */
  get line(): number {
    return this.#line;
  }

  push(chunk: Buffer, final: boolean, onLine: LineHandler): void {
    const buf = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = null;
    const end = final ? buf.length : incompleteTailStart(buf, buf.length);
    this.#invalid.reset(buf, end);
    let pos = 0;
    let nextLf = -1;
    let nextCr = -1;
    while (pos < end || (final && this.#long !== null && pos === end)) {
      if (nextLf < pos) nextLf = find(buf, LF, pos);
      if (nextCr < pos) nextCr = find(buf, CR, pos);
      const i = Math.min(nextLf, nextCr, end);
      const isCr = i === nextCr && i < end;
      if (!final && (i === end || (isCr && i + 1 === buf.length))) {
        // no line end yet, or a CR that may be the first half of CRLF
        if (this.#long !== null || end - pos > MAX_ROW_BYTES) {
          this.#skipLong(buf, pos, i);
          this.#pending = i < buf.length ? buf.subarray(i) : null;
        } else this.#pending = buf.subarray(pos);
        return;
      }
      if (this.#long !== null || i - pos > MAX_ROW_BYTES) {
        this.#skipLong(buf, pos, i);
        onLine(this.#long as Buffer, 0, this.#longKept, this.#line, this.#longLength, this.#longInvalid);
        this.#long = null;
      } else if (i > pos) onLine(buf, pos, i, this.#line, i - pos, this.#invalid.has(pos, i));
      this.#line++;
      pos = i + (isCr && buf[i + 1] === LF ? 2 : 1);
    }
    if (!final && end < buf.length) this.#pending = buf.subarray(end);
  }

  #skipLong(buf: Buffer, start: number, end: number): void {
    if (this.#long === null) {
      this.#long = Buffer.allocUnsafe(RAW_KEEP_BYTES);
      this.#longKept = 0;
      this.#longLength = 0;
      this.#longInvalid = false;
    }
    if (this.#longKept < RAW_KEEP_BYTES && end > start) {
      const n = Math.min(end - start, RAW_KEEP_BYTES - this.#longKept);
      buf.copy(this.#long, this.#longKept, start, start + n);
      this.#longKept += n;
    }
    this.#longLength += end - start;
    if (this.#invalid.has(start, end)) this.#longInvalid = true;
  }
}

/** indexOf that returns buf.length instead of -1, so "not found" compares as "after everything". */
function find(buf: Buffer, byte: number, from: number): number {
  const i = buf.indexOf(byte, from);
  return i === -1 ? buf.length : i;
}
