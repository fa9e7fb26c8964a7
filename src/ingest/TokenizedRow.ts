/** Row-level problems found while tokenizing, before any value is looked at. */
export type TokenizerProblem = 'UNCLOSED_QUOTE' | 'ROW_TOO_LONG' | null;

/** Rows longer than this many bytes are rejected as ROW_TOO_LONG, keeping memory flat. */
export const MAX_ROW_BYTES = 16 * 1024 * 1024;

/** `raw` in a rejection is capped at this many characters (then "…" is appended). */
export const RAW_CAP = 4096;

/** Bytes of raw text kept for a row: enough for RAW_CAP characters of any UTF-8. */
export const RAW_KEEP_BYTES = RAW_CAP * 4 + 4;

const EMPTY = Buffer.alloc(0);

/**
 * One tokenized row, reused for every row (no per-row allocation): field i is the UTF-8 bytes
 * bytes[starts[i], ends[i]). The raw row is raw[rawStart, rawEnd) — possibly only a prefix of the row's
 * rawLength bytes. invalidUtf8 is true when the row's raw bytes are not valid UTF-8.
 */
export class TokenizedRow {
  bytes: Buffer = EMPTY;
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  count = 0;
  /** 1-based physical line where the row starts. */
  line = 0;
  raw: Buffer = EMPTY;
  rawStart = 0;
  rawEnd = 0;
  rawLength = 0;
  problem: TokenizerProblem = null;
  invalidUtf8 = false;
  /**
   * The raw row is plain RFC 4180 in the file's delimiter as it stands: read on the fast path (no line break or doubled
   * quote inside quotes, no quote inside an unquoted field), so a strict CSV reader gets the same fields from it.
   */
  plainFields = false;
  /** When set, the raw text (already capped) instead of raw/rawStart/rawEnd. */
  rawString: string | null = null;
  #scratch: Buffer = Buffer.allocUnsafe(4096);

  ensureCapacity(fields: number): void {
    if (fields <= this.starts.length) return;
    let size = this.starts.length;
    while (size < fields) size *= 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
  }

  /** Points the row's fields at these values, UTF-8 encoded into a scratch buffer. */
  setValues(values: readonly string[]): void {
    this.plainFields = false;
    this.ensureCapacity(values.length);
    let size = 0;
    for (const v of values) size += v.length * 3;
    if (this.#scratch.length < size) this.#scratch = Buffer.allocUnsafe(size * 2);
    const scratch = this.#scratch;
    let offset = 0;
    for (let i = 0; i < values.length; i++) {
      this.starts[i] = offset;
      const v = values[i] as string;
      if (v.length > 0) offset += scratch.write(v, offset, 'utf8');
      this.ends[i] = offset;
    }
    this.bytes = scratch;
    this.count = values.length;
  }

  /** Field i as a string. */
  field(i: number): string {
    return this.bytes.toString('utf8', this.starts[i], this.ends[i]);
  }

  /** All fields as strings. */
  fields(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.bytes.toString('utf8', this.starts[i], this.ends[i]);
    return out;
  }

  /** The raw text as it goes into a rejection: at most RAW_CAP characters, "…" appended when cut. */
  rawText(): string {
    if (this.rawString !== null) return this.rawString;
    const end = Math.min(this.rawEnd, this.rawStart + RAW_KEEP_BYTES);
    const text = this.raw.toString('utf8', this.rawStart, end);
    if (text.length > RAW_CAP) return `${text.slice(0, RAW_CAP)}…`;
    return this.rawLength > end - this.rawStart ? `${text}…` : text;
  }
}
