import { AppError } from '../errors/AppError.ts';
import { checkHeaderNames, describeColumns } from './columnNames.ts';
import { DelimitedTokenizer } from './DelimitedTokenizer.ts';
import { inferSchema } from './inferSchema.ts';
import { jsonValueText, parseJsonObject } from './jsonLineValues.ts';
import { LineSplitter } from './LineSplitter.ts';
import { RowConverter } from './RowConverter.ts';
import {
  detachString,
  MAX_ROW_CHARS,
  RAW_CAP,
  TokenizedRow as Row,
  rawOfRow,
  type TokenizedRow,
} from './TokenizedRow.ts';
import type { DataSourceSchema, FileFormat, RowRejection, ValidationBatch, ValidationSummary } from './types.ts';
import { hasEscapedBytes, showEscapedBytes, Utf8ChunkDecoder } from './Utf8ChunkDecoder.ts';

export interface RowValidatorOptions {
  format: FileFormat;
  /** The data source's stored schema, or null to infer it from the first sampleRows rows. */
  schema: DataSourceSchema | null;
  taskId: string;
  sampleRows?: number;
}

/** A row held back until the schema is known (while sampling). */
interface SampledRow {
  line: number;
  raw: string;
  rawLength: number;
  /** CSV/TSV: the fields; JSON lines: the object. */
  fields: string[] | null;
  object: Record<string, unknown> | null;
  problem: TokenizedRow['problem'];
  /** A rejection decided while reading (INVALID_JSON, INVALID_ENCODING in JSON lines). */
  rejection: { code: string; message: string } | null;
}

/**
 * Validates a (decompressed) upload chunk by chunk: push() any chunks, then end(). Each call returns the
 * JSON lines of the valid rows and the rejections it found; task-level failures are thrown as AppError
 * (EMPTY_FILE, INVALID_HEADER, SCHEMA_MISMATCH, NO_TIMESTAMP_COLUMN, NO_DATA_ROWS). Pure: no I/O.
 */
export class RowValidator {
  readonly #format: FileFormat;
  readonly #taskId: string;
  readonly #sampleRows: number;
  readonly #givenSchema: DataSourceSchema | null;
  readonly #decoder = new Utf8ChunkDecoder();
  readonly #tokenizer: DelimitedTokenizer | null;
  readonly #lines: LineSplitter | null;
  readonly #onRow = (row: TokenizedRow): void => this.#handleRow(row);
  readonly #onLine = (text: string, start: number, end: number, line: number, rawLength: number): void =>
    this.#handleLine(text, start, end, line, rawLength);
  readonly #scratch = new Row();

  #schema: DataSourceSchema | null;
  #header: string[] | null = null;
  #headerIndex: Map<string, number> | null = null;
  #converter: RowConverter | null = null;
  #sample: SampledRow[] | null = null;
  #started = false;
  #ended = false;

  #rowsTotal = 0;
  #rowsValid = 0;
  #output = '';
  #rejections: RowRejection[] = [];

  constructor(options: RowValidatorOptions) {
    this.#format = options.format;
    this.#taskId = options.taskId;
    this.#sampleRows = Math.max(1, options.sampleRows ?? 1000);
    this.#givenSchema = options.schema;
    this.#schema = options.schema;
    this.#tokenizer = options.format === 'jsonl' ? null : new DelimitedTokenizer(options.format === 'tsv' ? '\t' : ',');
    this.#lines = options.format === 'jsonl' ? new LineSplitter() : null;
    if (options.format === 'jsonl') this.#sample = [];
  }

  get schema(): DataSourceSchema | null {
    return this.#converter === null ? null : this.#schema;
  }
  get rowsTotal(): number {
    return this.#rowsTotal;
  }
  get rowsValid(): number {
    return this.#rowsValid;
  }
  get rowsRejected(): number {
    return this.#rowsTotal - this.#rowsValid;
  }

  /** Validates decompressed bytes (chunks may be cut anywhere, even inside a UTF-8 character). */
  push(chunk: Uint8Array): ValidationBatch {
    if (this.#ended) throw new Error('RowValidator.push() after end()');
    this.#feed(this.#decoder.decode(chunk, false), false);
    return this.#takeBatch();
  }

  /** Flushes the last row and finishes; throws the task-level AppErrors. */
  end(): ValidationBatch {
    if (this.#ended) throw new Error('RowValidator.end() called twice');
    this.#ended = true;
    this.#feed(this.#decoder.decode(new Uint8Array(0), true), true);
    if (this.#format !== 'jsonl' && this.#header === null) {
      throw new AppError('EMPTY_FILE', 'The file has no header row.');
    }
    if (this.#sample !== null) {
      if (this.#sample.length === 0) {
        if (this.#format === 'jsonl') throw new AppError('EMPTY_FILE', 'The file has no lines.');
        throw new AppError('NO_DATA_ROWS', 'The file has a header row but no data rows.');
      }
      this.#startValidating();
    }
    if (this.#rowsTotal === 0) throw new AppError('NO_DATA_ROWS', 'The file has a header row but no data rows.');
    return this.#takeBatch();
  }

  summary(): ValidationSummary {
    const converter = this.#converter;
    if (!this.#ended || converter === null || this.#schema === null) {
      throw new Error('RowValidator.summary() before a successful end()');
    }
    const metricSums: Record<string, number> = {};
    this.#schema.metrics.forEach((m, k) => {
      metricSums[m.name] = converter.sum(k);
    });
    return {
      schema: this.#schema,
      rowsTotal: this.#rowsTotal,
      rowsValid: this.#rowsValid,
      rowsRejected: this.#rowsTotal - this.#rowsValid,
      minTime: this.#rowsValid === 0 ? null : converter.minTime,
      maxTime: this.#rowsValid === 0 ? null : converter.maxTime,
      metricSums,
    };
  }

  #feed(text: string, final: boolean): void {
    let chunk = text;
    if (!this.#started && chunk.length > 0) {
      this.#started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.#tokenizer !== null) this.#tokenizer.push(chunk, final, this.#onRow);
    else (this.#lines as LineSplitter).push(chunk, final, this.#onLine);
  }

  #takeBatch(): ValidationBatch {
    const batch = { output: this.#output, rejections: this.#rejections };
    this.#output = '';
    this.#rejections = [];
    return batch;
  }

  // ---- CSV / TSV -------------------------------------------------------------------------------

  #handleRow(row: TokenizedRow): void {
    const converter = this.#converter;
    if (converter !== null) {
      this.#convert(converter, row);
      return;
    }
    if (this.#header === null) {
      this.#readHeader(row);
      return;
    }
    const sample = this.#sample as SampledRow[];
    sample.push({
      line: row.line,
      raw: rawOfRow(row),
      rawLength: row.rawLength,
      fields: row.fields(),
      object: null,
      problem: row.problem,
      rejection: null,
    });
    if (sample.length >= this.#sampleRows) this.#startValidating();
  }

  #readHeader(row: TokenizedRow): void {
    if (row.problem !== null) {
      throw new AppError(
        'INVALID_HEADER',
        row.problem === 'UNCLOSED_QUOTE' ? 'The header row has an unclosed quote.' : 'The header row is too long.',
      );
    }
    if (
      this.#decoder.sawInvalid &&
      hasEscapedBytes(row.text, row.starts[0] as number, row.ends[row.count - 1] as number)
    ) {
      throw new AppError('INVALID_HEADER', 'The header row contains bytes that are not valid UTF-8.');
    }
    const header = row.fields().map((name) => detachString(name.trim()));
    checkHeaderNames(header);
    this.#header = header;
    if (this.#givenSchema !== null) {
      checkSameColumns(this.#givenSchema, header, false);
      this.#converter = new RowConverter(this.#givenSchema, header, this.#taskId);
    } else this.#sample = [];
  }

  #convert(converter: RowConverter, row: TokenizedRow): void {
    this.#rowsTotal++;
    const line = converter.convert(row, this.#decoder.sawInvalid);
    if (line !== null) {
      this.#rowsValid++;
      this.#output += line;
    } else this.#rejectRow(row.line, converter.column, converter.code, converter.message, rawOfRow(row));
  }

  #rejectRow(line: number, column: string | null, code: string, message: string, raw: string): void {
    this.#rejections.push({ line, column, code, message, raw: this.#decoder.sawInvalid ? showEscapedBytes(raw) : raw });
  }

  // ---- JSON lines ------------------------------------------------------------------------------

  #handleLine(text: string, start: number, end: number, line: number, rawLength: number): void {
    let s = start;
    let e = end;
    while (s < e && isJsonSpace(text.charCodeAt(s))) s++;
    while (e > s && isJsonSpace(text.charCodeAt(e - 1))) e--;
    if (s === e) return; // blank line
    const sampled = this.#readJsonLine(text, start, end, line, rawLength);
    if (this.#converter !== null) this.#convertJson(this.#converter, sampled);
    else {
      const sample = this.#sample as SampledRow[];
      sample.push(sampled);
      if (sample.length >= this.#sampleRows) this.#startValidating();
    }
  }

  #readJsonLine(text: string, start: number, end: number, line: number, rawLength: number): SampledRow {
    const rawEnd = Math.min(end, start + RAW_CAP);
    const raw = detachString(text.slice(start, rawEnd)) + (rawLength > RAW_CAP ? '…' : '');
    const sampled: SampledRow = { line, raw, rawLength, fields: null, object: null, problem: null, rejection: null };
    if (rawLength > MAX_ROW_CHARS) sampled.problem = 'ROW_TOO_LONG';
    else if (this.#decoder.sawInvalid && hasEscapedBytes(text, start, end)) {
      sampled.rejection = { code: 'INVALID_ENCODING', message: 'The row contains bytes that are not valid UTF-8.' };
    } else {
      const parsed = parseJsonObject(text.slice(start, end));
      if (parsed.ok) sampled.object = parsed.value;
      else sampled.rejection = { code: 'INVALID_JSON', message: parsed.message };
    }
    return sampled;
  }

  #convertJson(converter: RowConverter, sampled: SampledRow): void {
    const row = this.#scratch;
    row.line = sampled.line;
    row.rawText = sampled.raw;
    row.rawStart = 0;
    row.rawEnd = sampled.raw.length;
    row.rawLength = sampled.rawLength;
    row.problem = sampled.problem;
    const object = sampled.object;
    if (sampled.rejection !== null || object === null) {
      row.setValues([]);
      if (sampled.rejection !== null) {
        this.#rowsTotal++;
        this.#rejectRow(sampled.line, null, sampled.rejection.code, sampled.rejection.message, sampled.raw);
        return;
      }
    } else {
      const header = this.#header as string[];
      const index = this.#headerIndex as Map<string, number>;
      const values = new Array<string>(header.length).fill('');
      for (const key of Object.keys(object)) {
        const c = index.get(key);
        if (c === undefined) {
          this.#rowsTotal++;
          this.#rejectRow(
            sampled.line,
            detachString(key),
            'UNKNOWN_FIELD',
            `${JSON.stringify(key)} is not a column of the data source.`,
            sampled.raw,
          );
          return;
        }
        values[c] = jsonValueText(object[key]);
      }
      row.setValues(values);
    }
    this.#convert(converter, row);
  }

  // ---- schema --------------------------------------------------------------------------------

  /** The schema is known (given, or inferred from the sample): validate the sample, then go on streaming. */
  #startValidating(): void {
    const sample = this.#sample as SampledRow[];
    this.#sample = null;
    if (this.#format === 'jsonl') this.#startJson(sample);
    else {
      const header = this.#header as string[];
      const schema = inferSchema(
        header,
        sample
          .filter((r) => r.problem === null && r.fields !== null && r.fields.length === header.length)
          .map((r) => r.fields as string[]),
      );
      this.#schema = schema;
      const converter = new RowConverter(schema, header, this.#taskId);
      this.#converter = converter;
      const row = this.#scratch;
      for (const sampled of sample) {
        row.setValues(sampled.fields ?? []);
        row.line = sampled.line;
        row.rawText = sampled.raw;
        row.rawStart = 0;
        row.rawEnd = sampled.raw.length;
        row.rawLength = sampled.rawLength;
        row.problem = sampled.problem;
        this.#convert(converter, row);
      }
    }
  }

  #startJson(sample: SampledRow[]): void {
    // header = union of the sampled objects' keys, in first-seen order
    const seen = new Set<string>();
    for (const sampled of sample) {
      if (sampled.object === null) continue;
      for (const key of Object.keys(sampled.object)) seen.add(key);
    }
    const header = [...seen].map((k) => detachString(k));
    checkHeaderNames(header);
    let schema: DataSourceSchema;
    if (this.#givenSchema !== null) {
      schema = this.#givenSchema;
      checkSameColumns(schema, header, true);
      // a key that no sampled row has is simply null so far: the header follows the schema
      this.#header = schemaColumns(schema);
    } else {
      const objects = sample.filter((r) => r.object !== null).map((r) => r.object as Record<string, unknown>);
      schema = inferSchema(
        header,
        objects.map((o) => header.map((k) => jsonValueText(o[k]))),
      );
      this.#header = header;
    }
    this.#schema = schema;
    this.#headerIndex = new Map(this.#header.map((name, i) => [name, i]));
    const converter = new RowConverter(schema, this.#header, this.#taskId);
    this.#converter = converter;
    for (const sampled of sample) this.#convertJson(converter, sampled);
  }
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function schemaColumns(schema: DataSourceSchema): string[] {
  return [schema.timestampColumn, ...schema.dimensions, ...schema.metrics.map((m) => m.name)];
}

/**
 * SCHEMA_MISMATCH unless the file's columns are the schema's (in any order). For JSON lines
 * (allowMissing) a schema column may be absent from the sampled keys (its values are null), but not the
 * timestamp column.
 */
function checkSameColumns(schema: DataSourceSchema, header: readonly string[], allowMissing: boolean): void {
  const expected = schemaColumns(schema);
  const have = new Set(header);
  const want = new Set(expected);
  const missing = expected.filter((c) => !have.has(c) && (!allowMissing || c === schema.timestampColumn));
  const extra = header.filter((c) => !want.has(c));
  if (missing.length === 0 && extra.length === 0) return;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing columns: ${describeColumns(missing)}`);
  if (extra.length > 0) parts.push(`extra columns: ${describeColumns(extra)}`);
  throw new AppError('SCHEMA_MISMATCH', `${parts.join('; ')}.`);
}
