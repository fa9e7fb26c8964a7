/** Row-level problems found while tokenizing, before any value is looked at. */
export type TokenizerProblem = 'UNCLOSED_QUOTE' | 'ROW_TOO_LONG' | null;

/** Rows longer than this (characters of raw text) are rejected as ROW_TOO_LONG, keeping memory flat. */
export const MAX_ROW_CHARS = 16 * 1024 * 1024;

/** `raw` in a rejection is capped at this many characters (then "…" is appended). */
export const RAW_CAP = 4096;

/**
 * One tokenized row, reused for every row (no per-row allocation): field i is
 * text.slice(starts[i], ends[i]). The raw row text is rawText.slice(rawStart, rawEnd), which may be a
 * prefix of the row when rawLength is larger.
 */
export class TokenizedRow {
  text = '';
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  count = 0;
  /** 1-based physical line where the row starts. */
  line = 0;
  rawText = '';
  rawStart = 0;
  rawEnd = 0;
  rawLength = 0;
  problem: TokenizerProblem = null;

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

  /** Points the row at already-unquoted values (slow path, JSON lines, buffered sample rows). */
  setValues(values: readonly string[]): void {
    this.ensureCapacity(values.length);
    this.text = values.join('');
    let offset = 0;
    for (let i = 0; i < values.length; i++) {
      this.starts[i] = offset;
      offset += (values[i] as string).length;
      this.ends[i] = offset;
    }
    this.count = values.length;
  }

  /** Field i as a string. */
  field(i: number): string {
    return this.text.slice(this.starts[i], this.ends[i]);
  }

  /** All fields as strings. */
  fields(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.text.slice(this.starts[i], this.ends[i]);
    return out;
  }
}

/** A copy of a string that does not keep a (possibly huge) parent string alive. */
export function detachString(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf16le').toString('utf16le');
}

/** The raw text of a row as it goes into a rejection: capped at RAW_CAP characters, detached. */
export function rawOfRow(row: TokenizedRow): string {
  const end = Math.min(row.rawEnd, row.rawStart + RAW_CAP);
  const raw = detachString(row.rawText.slice(row.rawStart, end));
  return row.rawLength > RAW_CAP ? `${raw}…` : raw;
}
