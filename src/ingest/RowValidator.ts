import { AppError } from '../errors/AppError.ts';
import { checkHeaderNames, describeColumns } from './columnNames.ts';
import { DelimitedTokenizer } from './DelimitedTokenizer.ts';
import type { Delimiter } from './detectFormat.ts';
import { inferDecimalSeparator, inferSchema } from './inferSchema.ts';
import { jsonValueText, parseJsonObject } from './jsonLineValues.ts';
import { LineSplitter } from './LineSplitter.ts';
import { OutputBuffer } from './OutputBuffer.ts';
import { RowConverter } from './RowConverter.ts';
import type { ReadingOptions } from './readingOptions.ts';
import {
  describePlan,
  planFromDescription,
  planReading,
  type ReadingPlan,
  type ReadingPlanDescription,
} from './readingPlan.ts';
import { MAX_ROW_BYTES, TokenizedRow } from './TokenizedRow.ts';
import type {
  CsvLayout,
  DataSourceSchema,
  FileFormat,
  RejectionCounts,
  RowRejection,
  RowRejectionCode,
  ValidatedFormat,
  ValidationBatch,
  ValidationSummary,
} from './types.ts';

export interface RowValidatorOptions {
  format: FileFormat;
  /** The data source's stored schema, or null to infer it from the first sampleRows rows. */
  schema: DataSourceSchema | null;
  /** What the upload says about reading the file (timestamp column, date order, time zone, decimal separator). */
  reading?: ReadingOptions;
  /** The field delimiter of a delimited file (detectFormat); default `,` for CSV and tab for TSV. */
  delimiter?: Delimiter;
  /**
   * The buffer valid rows are written into, shared by validators that run one after another in one thread
   * (validationThread.ts): each push() takes its output out of it, so a new validator allocates no buffer of its own.
   */
  outputBuffer?: OutputBuffer;
  /** How valid rows are written (types.ts). Default JSON lines. */
  output?: ValidatedFormat;
  /** Keep the sampled rows as strings once the schema is known (`sample`, for a preview). */
  keepSample?: boolean;
  taskId: string;
  /** Rows sampled to infer the schema (and, for JSON lines, the columns). Default 1000. */
  sampleRows?: number;
  /** The sample also ends once it holds this many bytes of rows (default 8 MiB), so huge rows cannot pile up. */
  sampleMaxBytes?: number;
  /** More columns than this is TOO_MANY_COLUMNS. Default 500. */
  maxColumns?: number;
  /**
   * Rejections kept in full (line, column, message, raw) over the whole file; beyond it rejected rows are only
   * counted per code, so memory does not grow with them. Default: all.
   */
  maxRejectionDetails?: number;
  /**
   * Validate a later part of a file, from a row start, whose header and reading plan the file's first part (its own
   * RowValidator) already decided: no header row, no sample, no BOM. Lines are counted from 1 at the part's start;
   * end() reports no file-level errors (the whole file's validator does). With it, `schema` must be given.
   */
  continueFrom?: { header: readonly string[]; plan: ReadingPlanDescription };
}

/** The totals of the rows validated so far, in a form that adds up across the parts of a file. */
export interface PartialTotals {
  rowsTotal: number;
  rowsValid: number;
  rejectionCounts: RejectionCounts;
  minTime: number;
  maxTime: number;
  /** The longest valid row written, in bytes. */
  longestRow: number;
  /** Per metric (schema order): the running sum and its Neumaier compensation. */
  sums: number[];
  compensations: number[];
}

/** The summary of a whole file from its totals (one validator's, or those of a file's parts added up). */
export function summaryOfTotals(schema: DataSourceSchema, totals: PartialTotals): ValidationSummary {
  const metricSums: Record<string, number> = {};
  schema.metrics.forEach((m, k) => {
    metricSums[m.name] = (totals.sums[k] as number) + (totals.compensations[k] as number);
  });
  return {
    schema,
    rowsTotal: totals.rowsTotal,
    rowsValid: totals.rowsValid,
    rowsRejected: totals.rowsTotal - totals.rowsValid,
    minTime: totals.rowsValid === 0 ? null : totals.minTime,
    maxTime: totals.rowsValid === 0 ? null : totals.maxTime,
    metricSums,
    rejectionCounts: { ...totals.rejectionCounts },
  };
}

export const DEFAULT_MAX_COLUMNS = 500;
const DEFAULT_SAMPLE_MAX_BYTES = 8 * 1024 * 1024;

/** A row held back until the schema is known. */
interface SampledRow {
  line: number;
  raw: string;
  problem: TokenizedRow['problem'];
  invalidUtf8: boolean;
  /** CSV/TSV: the field bytes and bounds. */
  bytes: Buffer | null;
  starts: Int32Array | null;
  ends: Int32Array | null;
  /** JSON lines: the object, or the rejection decided while reading the line. */
  object: Record<string, unknown> | null;
  rejection: { code: RowRejectionCode; message: string } | null;
}

const EMPTY_ROW: string[] = [];
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Validates a decompressed upload chunk by chunk: push() any chunks, then end(). Each call returns the
 * JSON lines of the valid rows and the rejections it found; task-level failures are thrown as AppError
 * (EMPTY_FILE, INVALID_HEADER, SCHEMA_MISMATCH, NO_TIMESTAMP_COLUMN, NO_DATA_ROWS). Pure: no I/O.
 *
 * The first sampleRows rows are held back: with schema null the schema is inferred from them; in every case the
 * file's formats (timestamp format, decimal separator: readingPlan) are detected from them; then they are validated
 * and streaming goes on. For JSON lines the columns are the union of the sampled objects' keys.
 */
export class RowValidator {
  readonly #format: FileFormat;
  readonly #taskId: string;
  readonly #sampleRows: number;
  readonly #sampleMaxBytes: number;
  readonly #maxColumns: number;
  readonly #maxRejectionDetails: number;
  readonly #rejectionCounts: RejectionCounts = {};
  #rejectionDetails = 0;
  readonly #givenSchema: DataSourceSchema | null;
  readonly #reading: ReadingOptions;
  readonly #delimiter: Delimiter;
  readonly #keepSample: boolean;
  readonly #output: ValidatedFormat;
  #sampleStrings: { header: string[]; rows: string[][]; plan: ReadingPlan | null } | null = null;
  readonly #tokenizer: DelimitedTokenizer | null;
  readonly #lines: LineSplitter | null;
  readonly #onRow = (row: TokenizedRow): void => this.#handleRow(row);
  readonly #onLine = (bytes: Buffer, start: number, end: number, line: number, rawLength: number, invalid: boolean) =>
    this.#handleLine(bytes, start, end, line, rawLength, invalid);
  readonly #scratch = new TokenizedRow();
  readonly #out: OutputBuffer;

  #schema: DataSourceSchema | null;
  #header: string[] | null = null;
  #headerIndex: Map<string, number> | null = null;
  #converter: RowConverter | null = null;
  #sample: SampledRow[] | null = null;
  #sampleBytes = 0;
  #started = false;
  #bomPrefix: Buffer | null = null;
  #ended = false;
  #continuing = false;
  #plan: ReadingPlan | null = null;

  #rowsTotal = 0;
  #rowsValid = 0;
  #rejections: RowRejection[] = [];

  constructor(options: RowValidatorOptions) {
    this.#format = options.format;
    this.#taskId = options.taskId;
    this.#sampleRows = Math.max(1, options.sampleRows ?? 1000);
    this.#sampleMaxBytes = options.sampleMaxBytes ?? DEFAULT_SAMPLE_MAX_BYTES;
    this.#maxColumns = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
    this.#maxRejectionDetails = options.maxRejectionDetails ?? Number.POSITIVE_INFINITY;
    this.#givenSchema = options.schema;
    this.#reading = options.reading ?? {};
    this.#keepSample = options.keepSample ?? false;
    this.#output = options.output ?? 'jsonl';
    this.#out = options.outputBuffer ?? new OutputBuffer();
    this.#schema = options.schema;
    this.#delimiter = options.delimiter ?? (options.format === 'tsv' ? '\t' : ',');
    this.#tokenizer = options.format === 'jsonl' ? null : new DelimitedTokenizer(this.#delimiter);
    this.#lines = options.format === 'jsonl' ? new LineSplitter() : null;
    if (options.format === 'jsonl') this.#sample = [];
    const from = options.continueFrom;
    if (from) {
      if (options.schema === null) throw new Error('RowValidator: continueFrom needs the schema');
      this.#continuing = true;
      this.#started = true;
      this.#sample = null;
      this.#header = [...from.header];
      this.#headerIndex = new Map(from.header.map((name, i) => [name, i]));
      this.#converter = new RowConverter(
        options.schema,
        from.header,
        this.#taskId,
        planFromDescription(from.plan),
        this.#output,
        this.#csvDelimiter,
      );
    }
  }

  /**
   * True when every byte pushed so far belongs to a complete row (no row waits for more bytes): the next byte starts
   * a row, so the rest of the file may be validated by another validator (continueFrom).
   */
  get atRowStart(): boolean {
    if (this.#bomPrefix !== null) return false;
    return this.#tokenizer !== null ? this.#tokenizer.atRowStart : (this.#lines as LineSplitter).atLineStart;
  }

  /** Physical lines completed so far (line breaks seen outside a waiting row), counting the header line. */
  get linesConsumed(): number {
    return (this.#tokenizer !== null ? this.#tokenizer.line : (this.#lines as LineSplitter).line) - 1;
  }

  /** How the rest of the file is read, once the schema is known: the header and the reading plan (continueFrom). */
  get continuation(): { header: string[]; plan: ReadingPlanDescription } | null {
    if (this.#converter === null || this.#header === null || this.#plan === null) return null;
    return { header: [...this.#header], plan: describePlan(this.#plan) };
  }

  /** Totals so far, to be added to those of the file's other parts. */
  partialTotals(): PartialTotals {
    const converter = this.#converter;
    const metrics = this.#schema?.metrics.length ?? 0;
    const sums: number[] = [];
    const compensations: number[] = [];
    for (let k = 0; k < metrics; k++) {
      const [sum, compensation] = converter ? converter.sumParts(k) : [0, 0];
      sums.push(sum);
      compensations.push(compensation);
    }
    return {
      rowsTotal: this.#rowsTotal,
      rowsValid: this.#rowsValid,
      rejectionCounts: { ...this.#rejectionCounts },
      minTime: converter ? converter.minTime : Number.POSITIVE_INFINITY,
      maxTime: converter ? converter.maxTime : Number.NEGATIVE_INFINITY,
      longestRow: converter ? converter.longestRow : 0,
      sums,
      compensations,
    };
  }

  /**
   * With keepSample: the header and the sampled rows (as strings) once sampling ended — even when the schema could
   * not be inferred from them — and the reading plan once the schema is known.
   */
  get sample(): { header: string[]; rows: string[][]; plan: ReadingPlan | null } | null {
    return this.#sampleStrings;
  }

  /** The delimiter of the validated CSV (the file's own; a comma for JSON lines). */
  get #csvDelimiter(): string {
    return this.#format === 'jsonl' ? ',' : this.#delimiter;
  }

  /** How to read the validated CSV: the file's columns in its order after the epoch ms, its delimiter, its longest row. */
  get csvLayout(): CsvLayout | null {
    if (this.#header === null) return null;
    return {
      columns: [...this.#header],
      delimiter: this.#csvDelimiter,
      longestRowBytes: this.#converter?.longestRow ?? 0,
    };
  }

  /** The header's column names, once read (JSON lines: once sampled). */
  get header(): readonly string[] | null {
    return this.#header;
  }

  /** Known once inferred (or given). */
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
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#feed(bytes, false);
    return this.#takeBatch();
  }

  /** Flushes the last row and finishes; throws the task-level AppErrors. */
  end(): ValidationBatch {
    if (this.#ended) throw new Error('RowValidator.end() called twice');
    this.#ended = true;
    this.#feed(Buffer.alloc(0), true);
    if (this.#continuing) return this.#takeBatch();
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

  /** Totals of the whole file, after end(). */
  summary(): ValidationSummary {
    const converter = this.#converter;
    if (!this.#ended || converter === null || this.#schema === null) {
      throw new Error('RowValidator.summary() before a successful end()');
    }
    return summaryOfTotals(this.#schema, this.partialTotals());
  }

  #feed(chunk: Buffer, final: boolean): void {
    let bytes = chunk;
    if (!this.#started) {
      // strip a UTF-8 BOM, which may itself arrive in pieces
      if (this.#bomPrefix !== null) {
        bytes = Buffer.concat([this.#bomPrefix, bytes]);
        this.#bomPrefix = null;
      }
      let k = 0;
      while (k < bytes.length && k < 3 && bytes[k] === UTF8_BOM[k]) k++;
      if (k === bytes.length && k < 3 && !final) {
        this.#bomPrefix = Buffer.from(bytes);
        return;
      }
      this.#started = true;
      if (k === 3) bytes = bytes.subarray(3);
    }
    if (this.#tokenizer !== null) this.#tokenizer.push(bytes, final, this.#onRow);
    else (this.#lines as LineSplitter).push(bytes, final, this.#onLine);
  }

  #takeBatch(): ValidationBatch {
    const batch = { output: this.#out.take(), rejections: this.#rejections };
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
    const first = row.count > 0 ? (row.starts[0] as number) : 0;
    const last = row.count > 0 ? (row.ends[row.count - 1] as number) : 0;
    const starts = row.starts.slice(0, row.count);
    const ends = row.ends.slice(0, row.count);
    for (let i = 0; i < row.count; i++) {
      starts[i] = (starts[i] as number) - first;
      ends[i] = (ends[i] as number) - first;
    }
    const sampled: SampledRow = {
      line: row.line,
      raw: row.rawText(),
      problem: row.problem,
      invalidUtf8: row.invalidUtf8,
      bytes: Buffer.from(row.bytes.subarray(first, last)),
      starts,
      ends,
      object: null,
      rejection: null,
    };
    sample.push(sampled);
    this.#sampleBytes += (sampled.bytes as Buffer).length + sampled.raw.length + 8 * row.count;
    if (sample.length >= this.#sampleRows || this.#sampleBytes >= this.#sampleMaxBytes) this.#startValidating();
  }

  #readHeader(row: TokenizedRow): void {
    if (row.problem !== null) {
      throw new AppError(
        'INVALID_HEADER',
        row.problem === 'UNCLOSED_QUOTE' ? 'The header row has an unclosed quote.' : 'The header row is too long.',
      );
    }
    if (row.invalidUtf8)
      throw new AppError('INVALID_HEADER', 'The header row contains bytes that are not valid UTF-8.');
    if (row.count > this.#maxColumns) {
      throw new AppError('TOO_MANY_COLUMNS', `the header has ${row.count} columns; the limit is ${this.#maxColumns}`);
    }
    const header = row.fields().map((name) => name.trim());
    checkHeaderNames(header);
    this.#header = header;
    if (this.#givenSchema !== null) {
      checkSameColumns(this.#givenSchema, header, false);
      checkTimestampColumn(this.#givenSchema, this.#reading);
    }
    this.#sample = [];
  }

  #convert(converter: RowConverter, row: TokenizedRow): void {
    this.#rowsTotal++;
    if (converter.convert(row, this.#out)) this.#rowsValid++;
    else this.#reject(row.line, converter.column, converter.code, converter.message, row.rawText());
  }

  #reject(line: number, column: string | null, code: RowRejectionCode, message: string, raw: string): void {
    this.#rejectionCounts[code] = (this.#rejectionCounts[code] ?? 0) + 1;
    if (this.#rejectionDetails >= this.#maxRejectionDetails) return;
    this.#rejectionDetails++;
    this.#rejections.push({ line, column, code, message, raw });
  }

  /** Rejected rows so far, per code. */
  get rejectionCounts(): RejectionCounts {
    return { ...this.#rejectionCounts };
  }

  #replay(converter: RowConverter, sampled: SampledRow): void {
    const row = this.#scratch;
    const count = sampled.starts?.length ?? 0;
    row.ensureCapacity(count);
    if (sampled.starts !== null && sampled.ends !== null) {
      row.starts.set(sampled.starts);
      row.ends.set(sampled.ends);
    }
    row.count = count;
    row.bytes = sampled.bytes as Buffer;
    this.#prepareScratch(sampled);
    this.#convert(converter, row);
  }

  #prepareScratch(sampled: SampledRow): void {
    const row = this.#scratch;
    row.line = sampled.line;
    row.rawString = sampled.raw;
    row.problem = sampled.problem;
    row.invalidUtf8 = sampled.invalidUtf8;
    // the raw bytes are not kept for a sampled row: its CSV is written field by field
    row.plainFields = false;
  }

  // ---- JSON lines ------------------------------------------------------------------------------

  #handleLine(bytes: Buffer, start: number, end: number, line: number, rawLength: number, invalid: boolean): void {
    let s = start;
    let e = end;
    while (s < e && isJsonSpace(bytes[s] as number)) s++;
    while (e > s && isJsonSpace(bytes[e - 1] as number)) e--;
    if (s === e && rawLength <= MAX_ROW_BYTES) return; // blank line
    const raw = this.#scratch;
    raw.raw = bytes;
    raw.rawStart = start;
    raw.rawEnd = end;
    raw.rawLength = rawLength;
    raw.rawString = null;
    const sampled: SampledRow = {
      line,
      raw: raw.rawText(),
      problem: rawLength > MAX_ROW_BYTES ? 'ROW_TOO_LONG' : null,
      invalidUtf8: invalid,
      bytes: null,
      starts: null,
      ends: null,
      object: null,
      rejection: null,
    };
    if (sampled.problem === null && !invalid) {
      const parsed = parseJsonObject(bytes.toString('utf8', s, e));
      if (parsed.ok) sampled.object = parsed.value;
      else sampled.rejection = { code: 'INVALID_JSON', message: parsed.message };
    }
    if (this.#converter !== null) this.#convertJson(this.#converter, sampled);
    else {
      const sample = this.#sample as SampledRow[];
      sample.push(sampled);
      this.#sampleBytes += Math.min(rawLength, MAX_ROW_BYTES) + sampled.raw.length;
      if (sample.length >= this.#sampleRows || this.#sampleBytes >= this.#sampleMaxBytes) this.#startValidating();
    }
  }

  #convertJson(converter: RowConverter, sampled: SampledRow): void {
    const row = this.#scratch;
    this.#prepareScratch(sampled);
    const object = sampled.object;
    if (sampled.rejection !== null) {
      this.#rowsTotal++;
      this.#reject(sampled.line, null, sampled.rejection.code, sampled.rejection.message, sampled.raw);
      return;
    }
    if (object === null) row.setValues(EMPTY_ROW);
    else {
      const header = this.#header as string[];
      const index = this.#headerIndex as Map<string, number>;
      const values = new Array<string>(header.length).fill('');
      for (const key of Object.keys(object)) {
        const c = index.get(key);
        if (c === undefined) {
          this.#rowsTotal++;
          this.#reject(
            sampled.line,
            key,
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
    if (this.#format === 'jsonl') {
      this.#startJson(sample);
      return;
    }
    const header = this.#header as string[];
    const rows: string[][] = [];
    for (const r of sample) {
      if (r.problem !== null || r.invalidUtf8 || r.bytes === null || r.starts === null || r.ends === null) continue;
      if (r.starts.length !== header.length) continue;
      const fields = new Array<string>(header.length);
      for (let i = 0; i < header.length; i++) fields[i] = r.bytes.toString('utf8', r.starts[i], r.ends[i]);
      rows.push(fields);
    }
    // A `;`-delimited file is one whose decimal separator is most likely a comma (spreadsheets in most of Europe).
    const decimalByDefault = this.#delimiter === ';' ? ',' : '.';
    if (this.#keepSample) this.#sampleStrings = { header, rows, plan: null };
    const schema = this.#givenSchema ?? inferSchema(header, rows, this.#reading, decimalByDefault);
    this.#schema = schema;
    // A schema inferred from this file is read with the separator inference chose (the same answer, once).
    const reading =
      this.#givenSchema || this.#reading.decimalSeparator
        ? this.#reading
        : {
            ...this.#reading,
            decimalSeparator: inferDecimalSeparator(
              header,
              rows,
              header.indexOf(schema.timestampColumn),
              decimalByDefault,
            ),
          };
    const plan = planReading(schema, header, rows, reading, this.#format, decimalByDefault);
    if (this.#sampleStrings) this.#sampleStrings.plan = plan;
    this.#plan = plan;
    const converter = new RowConverter(schema, header, this.#taskId, plan, this.#output, this.#csvDelimiter);
    this.#converter = converter;
    for (const sampled of sample) this.#replay(converter, sampled);
  }

  #startJson(sample: SampledRow[]): void {
    // the columns: union of the sampled objects' keys, in first-seen order
    const seen = new Set<string>();
    for (const sampled of sample) {
      if (sampled.object === null) continue;
      for (const key of Object.keys(sampled.object)) seen.add(key);
      if (seen.size > this.#maxColumns) {
        throw new AppError(
          'TOO_MANY_COLUMNS',
          `the sampled lines have more than ${this.#maxColumns} different keys; the limit is ${this.#maxColumns}`,
        );
      }
    }
    const keys = [...seen];
    checkHeaderNames(keys);
    let schema: DataSourceSchema;
    if (this.#givenSchema !== null) {
      schema = this.#givenSchema;
      checkSameColumns(schema, keys, true);
      checkTimestampColumn(schema, this.#reading);
      this.#header = schemaColumns(schema);
    } else {
      const rows = sampledValues(sample, keys);
      if (this.#keepSample) this.#sampleStrings = { header: keys, rows, plan: null };
      schema = inferSchema(keys, rows, jsonReading(this.#reading));
      this.#header = keys;
    }
    this.#schema = schema;
    const header = this.#header;
    this.#headerIndex = new Map(header.map((name, i) => [name, i]));
    const rows = sampledValues(sample, header);
    const plan = planReading(schema, header, rows, jsonReading(this.#reading), 'jsonl');
    if (this.#keepSample) this.#sampleStrings = { header: [...header], rows, plan };
    this.#plan = plan;
    const converter = new RowConverter(schema, header, this.#taskId, plan, this.#output, this.#csvDelimiter);
    this.#converter = converter;
    for (const sampled of sample) this.#convertJson(converter, sampled);
  }
}

/** JSON numbers always have a decimal point: a `decimalSeparator` of the upload applies to delimited files only. */
function jsonReading(reading: ReadingOptions): ReadingOptions {
  return { ...reading, decimalSeparator: '.' };
}

/** SCHEMA_MISMATCH when the upload names another timestamp column than the one its data source has. */
function checkTimestampColumn(schema: DataSourceSchema, reading: ReadingOptions): void {
  const named = reading.timestampColumn;
  if (named === undefined || named.toLowerCase() === schema.timestampColumn.toLowerCase()) return;
  throw new AppError(
    'SCHEMA_MISMATCH',
    `The upload names ${JSON.stringify(named)} as its timestamp column, but the data source's timestamp column is ${JSON.stringify(schema.timestampColumn)}.`,
  );
}

/** The sampled JSON objects as rows of strings, one per column. */
function sampledValues(sample: readonly SampledRow[], columns: readonly string[]): string[][] {
  const rows: string[][] = [];
  for (const sampled of sample) {
    const object = sampled.object;
    if (object !== null) rows.push(columns.map((k) => jsonValueText(object[k])));
  }
  return rows;
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function schemaColumns(schema: DataSourceSchema): string[] {
  return [schema.timestampColumn, ...schema.dimensions, ...schema.metrics.map((m) => m.name)];
}

/**
 * The schema's columns the file lacks, and the file's columns the schema lacks (any order). For JSON lines
 * (allowMissing) a schema column may be absent from the sampled keys (its values are null, as JSON writers often
 * drop null keys), but not the timestamp column.
 */
export function columnDifferences(
  schema: DataSourceSchema,
  header: readonly string[],
  allowMissing: boolean,
): { missing: string[]; extra: string[] } {
  const expected = schemaColumns(schema);
  const have = new Set(header);
  const want = new Set(expected);
  return {
    missing: expected.filter((c) => !have.has(c) && (!allowMissing || c === schema.timestampColumn)),
    extra: header.filter((c) => !want.has(c)),
  };
}

/** SCHEMA_MISMATCH unless the file's columns are the schema's (columnDifferences). */
function checkSameColumns(schema: DataSourceSchema, header: readonly string[], allowMissing: boolean): void {
  const { missing, extra } = columnDifferences(schema, header, allowMissing);
  if (missing.length === 0 && extra.length === 0) return;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing columns: ${describeColumns(missing)}`);
  if (extra.length > 0) parts.push(`extra columns: ${describeColumns(extra)}`);
  throw new AppError('SCHEMA_MISMATCH', `${parts.join('; ')}.`);
}
