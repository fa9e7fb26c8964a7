import { jsonString, quoteValue } from './jsonText.ts';
import { isBlankRange, isLongValue, parseNumberRange } from './number.ts';
import { MAX_ROW_CHARS, type TokenizedRow } from './TokenizedRow.ts';
import { formatIsoTimestamp, parseTimestampRange } from './timestamp.ts';
import type { DataSourceSchema } from './types.ts';
import { hasEscapedBytes, showEscapedBytes } from './Utf8ChunkDecoder.ts';

/**
 * Validates one tokenized row against the schema and turns it into a JSON line, keeping the ledger
 * (counts, time range, metric sums) of the valid rows. `header` gives the column order of the rows.
 *
 * Checks, first problem wins: tokenizer problems (UNCLOSED_QUOTE, ROW_TOO_LONG), INVALID_ENCODING,
 * FIELD_COUNT_MISMATCH, MISSING_TIMESTAMP / INVALID_TIMESTAMP, then each metric in schema order
 * (INVALID_NUMBER, INVALID_INTEGER). Empty dimensions and empty (or blank) metric cells are null.
 */
export class RowConverter {
  readonly columnCount: number;
  readonly #timestampIndex: number;
  readonly #timestampName: string;
  readonly #dimensionIndex: Int32Array;
  /** `,"region":` per dimension */
  readonly #dimensionKey: string[];
  readonly #dimensionNull: string[];
  readonly #metricIndex: Int32Array;
  readonly #metricName: string[];
  readonly #metricIsLong: boolean[];
  readonly #metricKey: string[];
  readonly #metricValue: Float64Array;
  readonly #suffix: string;

  // ledger of valid rows
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  readonly sums: Float64Array;
  readonly #compensation: Float64Array;

  // the last rejection (when convert returned null)
  code = '';
  column: string | null = null;
  message = '';

  constructor(schema: DataSourceSchema, header: readonly string[], taskId: string) {
    const indexOf = (name: string): number => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`column ${name} is not in the header`);
      return i;
    };
    this.columnCount = header.length;
    this.#timestampIndex = indexOf(schema.timestampColumn);
    this.#timestampName = schema.timestampColumn;
    this.#dimensionIndex = Int32Array.from(schema.dimensions, indexOf);
    this.#dimensionKey = schema.dimensions.map((d) => `,${JSON.stringify(d)}:`);
    this.#dimensionNull = this.#dimensionKey.map((k) => `${k}null`);
    this.#metricIndex = Int32Array.from(schema.metrics, (m) => indexOf(m.name));
    this.#metricName = schema.metrics.map((m) => m.name);
    this.#metricIsLong = schema.metrics.map((m) => m.type === 'long');
    this.#metricKey = schema.metrics.map((m) => `,${JSON.stringify(m.name)}:`);
    this.#metricValue = new Float64Array(schema.metrics.length);
    this.#suffix = `,"__task_id":${JSON.stringify(taskId)}}\n`;
    this.sums = new Float64Array(schema.metrics.length);
    this.#compensation = new Float64Array(schema.metrics.length);
  }

  /** The JSON line of a valid row, or null (then code/column/message describe the rejection). */
  convert(row: TokenizedRow, checkEncoding: boolean): string | null {
    if (row.problem !== null) {
      return this.#reject(
        row.problem,
        null,
        row.problem === 'UNCLOSED_QUOTE'
          ? 'A quoted field is not closed before the end of the file.'
          : `The row is longer than ${MAX_ROW_CHARS} characters.`,
      );
    }
    const count = row.count;
    const text = row.text;
    const starts = row.starts;
    const ends = row.ends;
    if (checkEncoding && hasEscapedBytes(text, starts[0] as number, ends[count - 1] as number)) {
      return this.#reject('INVALID_ENCODING', null, 'The row contains bytes that are not valid UTF-8.');
    }
    if (count !== this.columnCount) {
      return this.#reject('FIELD_COUNT_MISMATCH', null, `expected ${this.columnCount} fields, found ${count}`);
    }
    const ts = this.#timestampIndex;
    const tsStart = starts[ts] as number;
    const tsEnd = ends[ts] as number;
    const time = parseTimestampRange(text, tsStart, tsEnd);
    if (time === null) {
      if (isBlankRange(text, tsStart, tsEnd)) {
        return this.#reject('MISSING_TIMESTAMP', this.#timestampName, 'The timestamp is empty.');
      }
      return this.#reject(
        'INVALID_TIMESTAMP',
        this.#timestampName,
        `${this.#quote(text.slice(tsStart, tsEnd))} is not an ISO 8601 timestamp of a real date and time.`,
      );
    }
    const metricIndex = this.#metricIndex;
    const values = this.#metricValue;
    for (let k = 0; k < metricIndex.length; k++) {
      const c = metricIndex[k] as number;
      const s = starts[c] as number;
      const e = ends[c] as number;
      if (s === e || isBlankRange(text, s, e)) {
        values[k] = Number.NaN; // null
        continue;
      }
      const value = parseNumberRange(text, s, e);
      if (value === null) {
        return this.#reject(
          'INVALID_NUMBER',
          this.#metricName[k] as string,
          `${this.#quote(text.slice(s, e))} is not a number.`,
        );
      }
      if (this.#metricIsLong[k] && !isLongValue(value)) {
        return this.#reject(
          'INVALID_INTEGER',
          this.#metricName[k] as string,
          `${this.#quote(text.slice(s, e))} is not an integer (the column holds whole numbers).`,
        );
      }
      values[k] = value;
    }

    let out = `{"__time":"${formatIsoTimestamp(time)}"`;
    const dimensionIndex = this.#dimensionIndex;
    for (let k = 0; k < dimensionIndex.length; k++) {
      const c = dimensionIndex[k] as number;
      const s = starts[c] as number;
      const e = ends[c] as number;
      if (s === e) out += this.#dimensionNull[k];
      else out += (this.#dimensionKey[k] as string) + jsonString(text.slice(s, e));
    }
    const sums = this.sums;
    const compensation = this.#compensation;
    for (let k = 0; k < values.length; k++) {
      const v = values[k] as number;
      if (Number.isNaN(v)) {
        out += `${this.#metricKey[k]}null`;
        continue;
      }
      out += (this.#metricKey[k] as string) + String(v);
      // Neumaier summation keeps double sums accurate over millions of rows
      const sum = sums[k] as number;
      const t = sum + v;
      compensation[k] = (compensation[k] as number) + (Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum);
      sums[k] = t;
    }
    if (time < this.minTime) this.minTime = time;
    if (time > this.maxTime) this.maxTime = time;
    return out + this.#suffix;
  }

  /** Sum of metric k over the valid rows so far. */
  sum(k: number): number {
    return (this.sums[k] as number) + (this.#compensation[k] as number);
  }

  /** Records a rejection that is not about the row's values (e.g. INVALID_JSON); returns null. */
  reject(code: string, column: string | null, message: string): null {
    return this.#reject(code, column, message);
  }

  #reject(code: string, column: string | null, message: string): null {
    this.code = code;
    this.column = column;
    this.message = message;
    return null;
  }

  #quote(value: string): string {
    return quoteValue(showEscapedBytes(value));
  }
}
