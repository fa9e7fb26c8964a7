import { isBlankBytes, isLongValue, lastNumber, parseNumberBytes } from './number.ts';
import type { NumberReader } from './numberFormats.ts';
import type { OutputBuffer } from './OutputBuffer.ts';
import type { ReadingPlan } from './readingPlan.ts';
import { MAX_ROW_BYTES, type TokenizedRow } from './TokenizedRow.ts';
import { writeIsoTimestamp } from './timestamp.ts';
import { describeTimestampFormat, exampleOf, type TimestampReader } from './timestampFormats.ts';
import type { DataSourceSchema, RowRejectionCode, ValidatedFormat } from './types.ts';

const encoder = new TextEncoder();
const COLUMN_TIMESTAMP = -1;
const COLUMN_DIMENSION = -2;
const HEX = encoder.encode('0123456789abcdef');
const NULL = encoder.encode('null');

/**
 * Validates one tokenized row against the schema and writes its JSON line, keeping the ledger (time
 * range, metric sums) of the valid rows. `header` gives the column order of the rows.
 *
 * Checks, first problem wins: UNCLOSED_QUOTE / ROW_TOO_LONG, INVALID_ENCODING, FIELD_COUNT_MISMATCH,
 * MISSING_TIMESTAMP / INVALID_TIMESTAMP, then each metric in schema order (INVALID_NUMBER,
 * INVALID_INTEGER). Empty dimensions and empty (or blank) metric cells are null.
 *
 * Output: {"__time":"<ISO, ms, Z>",<dimensions>,<metrics>,"__task_id":"<taskId>"}\n, keys in schema order,
 * written as bytes (values are copied from the input; numbers as the input when it is already how
 * JSON prints them, else String(value)). Non-ASCII characters are written as \u escapes, so the output is
 * ASCII: the batch string is then one byte per character and ~10x cheaper to create than a UTF-16 one.
 */
export class RowConverter {
  readonly columnCount: number;
  readonly #timestampIndex: number;
  readonly #timestampName: string;
  readonly #dimensionIndex: Int32Array;
  /** `,"region":"` per dimension, and `,"region":null` */
  readonly #dimensionKey: Uint8Array[];
  readonly #dimensionNull: Uint8Array[];
  readonly #metricIndex: Int32Array;
  readonly #metricName: string[];
  readonly #metricIsLong: boolean[];
  readonly #metricKey: Uint8Array[];
  readonly #metricValue: Float64Array;
  /** Start/end of the input bytes to copy for metric k, or start -1 to print the value. */
  readonly #metricStart: Int32Array;
  readonly #metricEnd: Int32Array;
  readonly #prefix = encoder.encode('{"__time":"');
  readonly #suffix: Uint8Array;
  readonly #fixedBytes: number;
  readonly #timestamp: TimestampReader;
  readonly #numbers: NumberReader;
  /** Plain decimals take the byte fast path first (a file with a decimal point). */
  readonly #pointDecimal: boolean;
  readonly #invalidTimestamp: string;
  readonly #invalidNumber: string;
  /** Writes CSV rows instead of JSON lines. */
  readonly #csv: boolean;
  readonly #csvFixedBytes: number;
  /** The file's delimiter, also that of the validated CSV. */
  readonly #delimiter: number;
  /** Per file column: COLUMN_TIMESTAMP, COLUMN_DIMENSION, or the metric's index. */
  readonly #columnKinds: Int32Array;

  /** The longest row written so far, in bytes (a store's reader may need to be told). */
  longestRow = 0;

  // ledger of valid rows
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  readonly #sums: Float64Array;
  readonly #compensation: Float64Array;

  // the last rejection (when convert returned false)
  code: RowRejectionCode = 'FIELD_COUNT_MISMATCH';
  column: string | null = null;
  message = '';

  constructor(
    schema: DataSourceSchema,
    header: readonly string[],
    taskId: string,
    plan: ReadingPlan,
    output: ValidatedFormat = 'jsonl',
    delimiter = ',',
  ) {
    const indexOf = (name: string): number => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`column ${name} is not in the header`);
      return i;
    };
    this.columnCount = header.length;
    this.#timestampIndex = indexOf(schema.timestampColumn);
    this.#timestampName = schema.timestampColumn;
    this.#dimensionIndex = Int32Array.from(schema.dimensions, indexOf);
    this.#dimensionKey = schema.dimensions.map((d) => encoder.encode(`,${asciiJson(d)}:"`));
    this.#dimensionNull = schema.dimensions.map((d) => encoder.encode(`,${asciiJson(d)}:null`));
    this.#metricIndex = Int32Array.from(schema.metrics, (m) => indexOf(m.name));
    this.#metricName = schema.metrics.map((m) => m.name);
    this.#metricIsLong = schema.metrics.map((m) => m.type === 'long');
    this.#metricKey = schema.metrics.map((m) => encoder.encode(`,${asciiJson(m.name)}:`));
    this.#metricValue = new Float64Array(schema.metrics.length);
    this.#metricStart = new Int32Array(schema.metrics.length);
    this.#metricEnd = new Int32Array(schema.metrics.length);
    this.#suffix = encoder.encode(`,"__task_id":${asciiJson(taskId)}}\n`);
    this.#sums = new Float64Array(schema.metrics.length);
    this.#compensation = new Float64Array(schema.metrics.length);
    let fixed = this.#prefix.length + 32 + this.#suffix.length;
    for (const key of this.#dimensionNull) fixed += key.length + 6;
    for (const key of this.#metricKey) fixed += key.length + 32;
    this.#fixedBytes = fixed;
    this.#csv = output === 'csv';
    this.#csvFixedBytes = 24 + header.length * 3 + schema.metrics.length * 33;
    this.#delimiter = delimiter.charCodeAt(0);
    this.#columnKinds = Int32Array.from(header, (name) => {
      if (name === schema.timestampColumn) return COLUMN_TIMESTAMP;
      const metric = schema.metrics.findIndex((m) => m.name === name);
      return metric >= 0 ? metric : COLUMN_DIMENSION;
    });
    this.#timestamp = plan.timestamp;
    this.#numbers = plan.numbers;
    this.#pointDecimal = plan.numbers.decimalSeparator === '.';
    const format = plan.timestamp.format;
    this.#invalidTimestamp =
      format.kind === 'iso'
        ? 'is not an ISO 8601 timestamp of a real date and time.'
        : `is not a real date and time in the column's format ${describeTimestampFormat(format)} (e.g. ${exampleOf(format)}).`;
    this.#invalidNumber = this.#pointDecimal
      ? 'is not a number (expected e.g. 1234.56, 1,234.56, $1,234.56, (1,234.56) or 12.5%).'
      : 'is not a number (expected e.g. 1234,56, 1.234,56, 1.234,56 €, (1.234,56) or 12,5%; this file uses a decimal comma).';
  }

  /** Writes the JSON line of a valid row and returns true, or returns false (see code/column/message). */
  convert(row: TokenizedRow, out: OutputBuffer): boolean {
    if (row.problem !== null) {
      return this.#reject(
        row.problem,
        null,
        row.problem === 'UNCLOSED_QUOTE'
          ? 'A quoted field is not closed before the end of the file.'
          : `The row is longer than ${MAX_ROW_BYTES} bytes.`,
      );
    }
    if (row.invalidUtf8)
      return this.#reject('INVALID_ENCODING', null, 'The row contains bytes that are not valid UTF-8.');
    const count = row.count;
    if (count !== this.columnCount) {
      return this.#reject('FIELD_COUNT_MISMATCH', null, `expected ${this.columnCount} fields, found ${count}`);
    }
    const bytes = row.bytes;
    const starts = row.starts;
    const ends = row.ends;
    const ts = this.#timestampIndex;
    const tsStart = starts[ts] as number;
    const tsEnd = ends[ts] as number;
    const time = this.#timestamp.readBytes(bytes, tsStart, tsEnd);
    if (Number.isNaN(time)) {
      if (isBlankBytes(bytes, tsStart, tsEnd)) {
        return this.#reject('MISSING_TIMESTAMP', this.#timestampName, 'The timestamp is empty.');
      }
      return this.#reject(
        'INVALID_TIMESTAMP',
        this.#timestampName,
        `${quote(bytes, tsStart, tsEnd)} ${this.#invalidTimestamp}`,
      );
    }
    const metricIndex = this.#metricIndex;
    const values = this.#metricValue;
    const metricStart = this.#metricStart;
    const metricEnd = this.#metricEnd;
    /** Every metric cell is empty or a plain number a CSV reader reads alike (number.ts: lastNumber.plain). */
    let plain = true;
    for (let k = 0; k < metricIndex.length; k++) {
      const c = metricIndex[k] as number;
      const s = starts[c] as number;
      const e = ends[c] as number;
      if (s === e || isBlankBytes(bytes, s, e)) {
        values[k] = Number.NaN; // null
        if (s !== e) plain = false;
        continue;
      }
      let value = this.#pointDecimal ? parseNumberBytes(bytes, s, e) : Number.NaN;
      let canonical = !Number.isNaN(value) && lastNumber.canonical;
      if (Number.isNaN(value) || !(this.#metricIsLong[k] ? lastNumber.integer : lastNumber.plain)) plain = false;
      if (Number.isNaN(value)) {
        // Not a plain decimal: thousands separators, a currency, a percent sign, a decimal comma.
        value = this.#numbers.read(bytes.toString('utf8', s, e));
        canonical = false;
      }
      if (Number.isNaN(value)) {
        return this.#reject(
          'INVALID_NUMBER',
          this.#metricName[k] as string,
          `${quote(bytes, s, e)} ${this.#invalidNumber}`,
        );
      }
      if (this.#metricIsLong[k] && !isLongValue(value)) {
        return this.#reject(
          'INVALID_INTEGER',
          this.#metricName[k] as string,
          `${quote(bytes, s, e)} is not an integer (the column holds whole numbers).`,
        );
      }
      values[k] = value;
      if (canonical) {
        metricStart[k] = lastNumber.start;
        metricEnd[k] = lastNumber.end;
      } else metricStart[k] = -1;
    }

    // the row is valid: write it
    const before = out.length;
    if (this.#csv) {
      if (plain && row.plainFields) this.#copyCsv(row, time, out);
      else this.#writeCsv(bytes, starts, ends, count, time, out);
    } else this.#writeJson(bytes, starts, ends, count, time, out);
    if (out.length - before > this.longestRow) this.longestRow = out.length - before;
    this.#addToSums();
    if (time < this.minTime) this.minTime = time;
    if (time > this.maxTime) this.maxTime = time;
    return true;
  }

  /** Adds the row's metric values to the sums (Neumaier summation keeps them accurate over millions of rows). */
  #addToSums(): void {
    const values = this.#metricValue;
    const sums = this.#sums;
    const compensation = this.#compensation;
    for (let k = 0; k < values.length; k++) {
      const v = values[k] as number;
      if (Number.isNaN(v)) continue;
      const sum = sums[k] as number;
      const t = sum + v;
      compensation[k] = (compensation[k] as number) + (Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum);
      sums[k] = t;
    }
  }

  #writeJson(
    bytes: Buffer,
    starts: Int32Array,
    ends: Int32Array,
    count: number,
    time: number,
    out: OutputBuffer,
  ): void {
    const values = this.#metricValue;
    const metricStart = this.#metricStart;
    const metricEnd = this.#metricEnd;
    out.reserve(this.#fixedBytes + 6 * ((ends[count - 1] as number) - (starts[0] as number)));
    const b = out.bytes;
    let o = copy(this.#prefix, b, out.length);
    o = writeIsoTimestamp(b, o, time);
    b[o++] = 34;
    const dimensionIndex = this.#dimensionIndex;
    const dimensionKey = this.#dimensionKey;
    const dimensionNull = this.#dimensionNull;
    for (let k = 0; k < dimensionIndex.length; k++) {
      const c = dimensionIndex[k] as number;
      const s = starts[c] as number;
      const e = ends[c] as number;
      if (s === e) o = copy(dimensionNull[k] as Uint8Array, b, o);
      else {
        o = copy(dimensionKey[k] as Uint8Array, b, o);
        for (let i = s; i < e; i++) {
          const x = bytes[i] as number;
          if (x >= 35 && x !== 92 && x < 128) b[o++] = x;
          else if (x < 128) o = writeEscaped(b, o, x);
          else {
            // a UTF-8 sequence (rows with invalid UTF-8 were rejected above): write it as \u escapes
            let cp: number;
            if (x < 0xe0) {
              cp = ((x & 0x1f) << 6) | ((bytes[i + 1] as number) & 0x3f);
              i += 1;
            } else if (x < 0xf0) {
              cp = ((x & 0x0f) << 12) | (((bytes[i + 1] as number) & 0x3f) << 6) | ((bytes[i + 2] as number) & 0x3f);
              i += 2;
            } else {
              cp =
                ((x & 0x07) << 18) |
                (((bytes[i + 1] as number) & 0x3f) << 12) |
                (((bytes[i + 2] as number) & 0x3f) << 6) |
                ((bytes[i + 3] as number) & 0x3f);
              i += 3;
            }
            if (cp >= 0x10000) {
              o = writeUnicodeEscape(b, o, 0xd800 + ((cp - 0x10000) >> 10));
              o = writeUnicodeEscape(b, o, 0xdc00 + ((cp - 0x10000) & 0x3ff));
            } else o = writeUnicodeEscape(b, o, cp);
          }
        }
        b[o++] = 34;
      }
    }
    const metricKey = this.#metricKey;
    for (let k = 0; k < values.length; k++) {
      o = copy(metricKey[k] as Uint8Array, b, o);
      const v = values[k] as number;
      if (Number.isNaN(v)) {
        o = copy(NULL, b, o);
        continue;
      }
      o = writeNumber(b, o, v, bytes, metricStart[k] as number, metricEnd[k] as number);
    }
    o = copy(this.#suffix, b, o);
    out.length = o;
  }

  /**
   * A row the file already holds as plain CSV (TokenizedRow.plainFields) with plain metrics: the instant as epoch ms,
   * the delimiter, then the row's own bytes. Validated CSV rows are `epoch ms, the file's columns in the file's order`.
   */
  #copyCsv(row: TokenizedRow, time: number, out: OutputBuffer): void {
    const length = row.rawEnd - row.rawStart;
    out.reserve(length + 24);
    const b = out.bytes;
    let o = writeInteger(b, out.length, time);
    b[o++] = this.#delimiter;
    row.raw.copy(b, o, row.rawStart, row.rawEnd);
    o += length;
    b[o++] = 10;
    out.length = o;
  }

  /**
   * Any other valid row, in the same layout: epoch ms, then each of the file's columns in its order, in the file's
   * delimiter: the timestamp column empty (the instant is in front), a dimension as its UTF-8 bytes (quoted, quotes
   * doubled, when it holds the delimiter, a quote or a line break), a metric as the number, an empty cell for null.
   */
  #writeCsv(bytes: Buffer, starts: Int32Array, ends: Int32Array, count: number, time: number, out: OutputBuffer): void {
    out.reserve(this.#csvFixedBytes + 2 * ((ends[count - 1] as number) - (starts[0] as number)));
    const b = out.bytes;
    const delimiter = this.#delimiter;
    let o = writeInteger(b, out.length, time);
    const kinds = this.#columnKinds;
    const values = this.#metricValue;
    const metricStart = this.#metricStart;
    const metricEnd = this.#metricEnd;
    for (let c = 0; c < kinds.length; c++) {
      b[o++] = delimiter;
      const kind = kinds[c] as number;
      if (kind === COLUMN_TIMESTAMP) continue;
      if (kind >= 0) {
        // metric number `kind`
        const v = values[kind] as number;
        if (Number.isNaN(v)) continue;
        o = writeNumber(b, o, v, bytes, metricStart[kind] as number, metricEnd[kind] as number);
        continue;
      }
      const s = starts[c] as number;
      const e = ends[c] as number;
      let special = false;
      for (let i = s; i < e; i++) {
        const x = bytes[i] as number;
        if (x === delimiter || x === 34 || x === 10 || x === 13) {
          special = true;
          break;
        }
      }
      if (!special) {
        bytes.copy(b, o, s, e);
        o += e - s;
        continue;
      }
      b[o++] = 34;
      for (let i = s; i < e; i++) {
        const x = bytes[i] as number;
        if (x === 34) b[o++] = 34;
        b[o++] = x;
      }
      b[o++] = 34;
    }
    b[o++] = 10;
    out.length = o;
  }

  /** The running sum of metric k and its compensation (to add partial sums of a file's parts exactly as one). */
  sumParts(k: number): [number, number] {
    return [this.#sums[k] as number, this.#compensation[k] as number];
  }

  #reject(code: RowRejectionCode, column: string | null, message: string): false {
    this.code = code;
    this.column = column;
    this.message = message;
    return false;
  }
}

/** Writes a metric's value: its input bytes[start, end) when they print it as it is (start ≥ 0), else String(v). */
function writeNumber(b: Uint8Array, offset: number, v: number, bytes: Uint8Array, start: number, end: number): number {
  let o = offset;
  if (start >= 0) {
    for (let i = start; i < end; i++) b[o++] = bytes[i] as number;
    return o;
  }
  const text = String(v);
  for (let i = 0; i < text.length; i++) b[o++] = text.charCodeAt(i);
  return o;
}

/** Writes an integer (|n| < 2^53) in decimal; below 10^14 in 32-bit integer steps (epoch ms are 13 digits). */
function writeInteger(b: Uint8Array, offset: number, n: number): number {
  let o = offset;
  let v = n;
  if (v < 0) {
    b[o++] = 45;
    v = -v;
  }
  if (v >= 1e14) {
    const text = String(v);
    for (let i = 0; i < text.length; i++) b[o++] = text.charCodeAt(i);
    return o;
  }
  const high = Math.floor(v / 1e7);
  let low = (v - high * 1e7) | 0;
  if (high === 0) return writeSmall(b, o, low);
  o = writeSmall(b, o, high);
  for (let i = o + 6; i >= o; i--) {
    b[i] = 48 + (low % 10);
    low = (low / 10) | 0;
  }
  return o + 7;
}

/** Writes 0 ≤ n < 10^7 in decimal. */
function writeSmall(b: Uint8Array, offset: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  let v = n;
  for (let i = offset + digits - 1; i >= offset; i--) {
    b[i] = 48 + (v % 10);
    v = (v / 10) | 0;
  }
  return offset + digits;
}

/** Copies a constant (TypedArray#set is cheaper than a byte loop beyond a few bytes). */
function copy(source: Uint8Array, target: Uint8Array, offset: number): number {
  target.set(source, offset);
  return offset + source.length;
}

/** Writes byte x (< 35 or a backslash) as JSON string content. */
function writeEscaped(b: Uint8Array, offset: number, x: number): number {
  let o = offset;
  if (x === 34 || x === 92) {
    b[o++] = 92;
    b[o++] = x;
  } else if (x >= 32) b[o++] = x;
  else if (x === 10) {
    b[o++] = 92;
    b[o++] = 110;
  } else if (x === 13) {
    b[o++] = 92;
    b[o++] = 114;
  } else if (x === 9) {
    b[o++] = 92;
    b[o++] = 116;
  } else o = writeUnicodeEscape(b, o, x);
  return o;
}

/** Writes \uXXXX for a UTF-16 code unit. */
function writeUnicodeEscape(b: Uint8Array, offset: number, unit: number): number {
  let o = offset;
  b[o++] = 92;
  b[o++] = 117;
  b[o++] = HEX[(unit >> 12) & 15] as number;
  b[o++] = HEX[(unit >> 8) & 15] as number;
  b[o++] = HEX[(unit >> 4) & 15] as number;
  b[o++] = HEX[unit & 15] as number;
  return o;
}

/** JSON text of a string with every non-ASCII character as a \u escape (so the output stays ASCII). */
export function asciiJson(value: string): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A cell quoted for a rejection message (JSON-style, shortened when long; invalid UTF-8 shows as U+FFFD). */
function quote(bytes: Buffer, start: number, end: number): string {
  const text = bytes.toString('utf8', start, Math.min(end, start + 1024));
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
