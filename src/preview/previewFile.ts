import { createGunzip } from 'node:zlib';
import { AppError } from '../errors/AppError.ts';
import { isTimestampName } from '../ingest/columnNames.ts';
import { detectFormat } from '../ingest/detectFormat.ts';
import { detectColumnFormat } from '../ingest/inferSchema.ts';
import { columnDifferences, RowValidator } from '../ingest/RowValidator.ts';
import type { ReadingOptions } from '../ingest/readingOptions.ts';
import { describeTimestampFormat } from '../ingest/timestampFormats.ts';
import type { DataSourceSchema, RowRejection } from '../ingest/types.ts';

/** A preview reads at most this much of a file (decompressed, too): enough to sample it, never the whole upload. */
export const PREVIEW_MAX_BYTES = 10 * 1024 * 1024;
/** Rows shown as they would be stored. */
export const PREVIEW_ROWS = 20;
const PREVIEW_REJECTIONS = 100;

export interface TimestampCandidate {
  column: string;
  /** The detected format (`M/D/YYYY`, `ISO 8601`, …); null when ambiguous or when none reads its values. */
  format: string | null;
  ambiguous: boolean;
  nonEmpty: number;
  parsed: number;
  /** parsed / nonEmpty (0 for an empty column; for an ambiguous one: both orders read every value). */
  parseRate: number;
  /** Sampled values the format does not read (or, when ambiguous, ones that read either way). */
  counterExamples: string[];
}

export interface UploadPreview {
  format: string;
  encoding: string;
  delimiter: string | null;
  gzip: boolean;
  header: string[];
  timestampCandidates: TimestampCandidate[];
  /** The timestamp column the upload would use, and how its values and numbers would be read. */
  timestampColumn: string | null;
  timestampFormat: string | null;
  timeZone: string;
  decimalSeparator: string | null;
  /** The data source's stored schema, or the one this file would create; null when it cannot (see `problem`). */
  schema: DataSourceSchema | null;
  schemaIsStored: boolean;
  /** With a stored schema: whether the file's columns are its columns, and which differ. */
  fitsStoredSchema: boolean | null;
  missingColumns: string[];
  extraColumns: string[];
  /** The stored columns (`__time` first) and the first rows as they would be stored (null for a null value). */
  columns: string[];
  rows: (string | null)[][];
  rowsRead: number;
  rowsValid: number;
  rowsRejected: number;
  rejections: RowRejection[];
  /** What would stop the upload, as the task would fail with it (e.g. AMBIGUOUS_DATE_FORMAT). */
  problem: { code: string; message: string } | null;
  bytesRead: number;
  /** The whole file was read (it is at most PREVIEW_MAX_BYTES). */
  complete: boolean;
}

/**
 * What Tributary would make of a file, from its first bytes (at most PREVIEW_MAX_BYTES; `isWholeFile` when that is
 * all of it), storing nothing: format, encoding, delimiter, header, timestamp candidates with their formats, the
 * schema it would create or whether it fits the stored one, the first rows as stored, and the rejections seen.
 * Upload-time problems (UNSUPPORTED_FORMAT, EMPTY_FILE) are thrown; task-time ones are returned in `problem`.
 */
export async function previewFile(
  head: Buffer,
  isWholeFile: boolean,
  stored: DataSourceSchema | null,
  reading: ReadingOptions,
  limits: { maxRejectedRatio: number },
): Promise<UploadPreview> {
  const detected = detectFormat(head.subarray(0, 64 * 1024), isWholeFile && head.length <= 64 * 1024);
  if (!detected.ok) throw new AppError(detected.code, detected.details);
  let content = head;
  let complete = isWholeFile;
  if (detected.gzip) {
    const inflated = await gunzipHead(head, isWholeFile);
    content = inflated.content;
    complete = inflated.complete;
  }
  let text =
    detected.encoding === 'utf-8' ? content : Buffer.from(new TextDecoder(detected.encoding).decode(content), 'utf8');
  if (!complete) {
    // A cut file ends inside a row: stop at the last line break (a quoted one is the last row's, which is then
    // reported as an unclosed quote; rare in a preview and harmless).
    const lastBreak = text.lastIndexOf(10);
    if (lastBreak > 0) text = text.subarray(0, lastBreak + 1);
  }
  const validator = new RowValidator({
    format: detected.format,
    schema: stored,
    reading,
    taskId: 'preview',
    keepSample: true,
    maxRejectionDetails: PREVIEW_REJECTIONS,
    ...(detected.delimiter ? { delimiter: detected.delimiter } : {}),
  });
  let problem: { code: string; message: string } | null = null;
  const output: Buffer[] = [];
  const rejections: RowRejection[] = [];
  try {
    const first = validator.push(text);
    output.push(first.output);
    rejections.push(...first.rejections.slice(0, PREVIEW_REJECTIONS));
    const last = validator.end();
    output.push(last.output);
    rejections.push(...last.rejections.slice(0, PREVIEW_REJECTIONS - rejections.length));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    problem = { code: error.code, message: error.details ?? error.message };
  }
  if (problem === null && validator.rowsRejected > validator.rowsTotal * limits.maxRejectedRatio) {
    problem = {
      code: 'TOO_MANY_REJECTED_ROWS',
      message: `${validator.rowsRejected} of the first ${validator.rowsTotal} rows are rejected, more than the limit of ${Math.round(limits.maxRejectedRatio * 100)} %.`,
    };
  }
  const sample = validator.sample;
  const header = [...(sample?.header ?? validator.header ?? [])];
  const rows = sample?.rows ?? [];
  const timeZone = reading.timeZone ?? stored?.timeZone ?? 'UTC';
  const dateOrder = reading.dateOrder ?? stored?.dateOrder;
  const timestampCandidates = header
    .map((column, index) => ({ column, index }))
    .filter(
      ({ column }) =>
        isTimestampName(column) || column === reading.timestampColumn || column === stored?.timestampColumn,
    )
    .map(({ column, index }): TimestampCandidate => {
      const detection = detectColumnFormat(rows, index, { ...(dateOrder ? { dateOrder } : {}), timeZone });
      if (detection.kind === 'detected') {
        return {
          column,
          format: describeTimestampFormat(detection.format),
          ambiguous: false,
          nonEmpty: detection.nonEmpty,
          parsed: detection.parsed,
          parseRate: detection.nonEmpty === 0 ? 0 : detection.parsed / detection.nonEmpty,
          counterExamples: detection.counterExamples.map(shorten),
        };
      }
      return {
        column,
        format: null,
        ambiguous: detection.kind === 'ambiguous',
        nonEmpty: detection.nonEmpty,
        parsed: detection.kind === 'ambiguous' ? detection.nonEmpty : 0,
        parseRate: detection.kind === 'ambiguous' ? 1 : 0,
        counterExamples: detection.examples.map(shorten),
      };
    });
  const schema = validator.schema ?? stored ?? null;
  const plan = sample?.plan ?? null;
  const columns = schema ? ['__time', ...schema.dimensions, ...schema.metrics.map((m) => m.name)] : [];
  const storedRows = firstLines(output, PREVIEW_ROWS).map((line) => {
    const object = JSON.parse(line) as Record<string, unknown>;
    return columns.map((c) => (object[c] === null || object[c] === undefined ? null : shorten(String(object[c]))));
  });
  const fits = stored ? columnDifferences(stored, header, detected.format === 'jsonl') : null;
  return {
    format: detected.format,
    encoding: detected.encoding,
    delimiter: detected.delimiter,
    gzip: detected.gzip,
    header,
    timestampCandidates,
    timestampColumn: schema?.timestampColumn ?? null,
    timestampFormat: plan ? describeTimestampFormat(plan.timestamp.format) : null,
    timeZone,
    decimalSeparator: plan ? plan.numbers.decimalSeparator : null,
    schema,
    schemaIsStored: stored !== null,
    fitsStoredSchema: fits ? fits.missing.length === 0 && fits.extra.length === 0 : null,
    missingColumns: fits?.missing ?? [],
    extraColumns: fits?.extra ?? [],
    columns,
    rows: storedRows,
    rowsRead: validator.rowsTotal,
    rowsValid: validator.rowsValid,
    rowsRejected: validator.rowsRejected,
    rejections,
    problem,
    bytesRead: head.length,
    complete,
  };
}

/** Decompresses at most PREVIEW_MAX_BYTES of a gzip head (a gzip bomb costs no more than that). */
async function gunzipHead(head: Buffer, isWholeFile: boolean): Promise<{ content: Buffer; complete: boolean }> {
  const gunzip = createGunzip({ finishFlush: 2 /* Z_SYNC_FLUSH: a cut head is no error */ });
  const parts: Buffer[] = [];
  let size = 0;
  let complete = isWholeFile;
  gunzip.end(head);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      parts.push(chunk);
      size += chunk.length;
      if (size >= PREVIEW_MAX_BYTES) {
        complete = false;
        gunzip.destroy();
        break;
      }
    }
  } catch (error) {
    throw new AppError('UNSUPPORTED_FORMAT', `The gzip data is corrupt (${(error as Error).message}).`);
  }
  return { content: Buffer.concat(parts).subarray(0, PREVIEW_MAX_BYTES), complete };
}

/** A preview shows at most this many characters of a value (a row may be 16 MiB; the answer stays small). */
const PREVIEW_CELL_CHARS = 200;

function shorten(value: string): string {
  return value.length > PREVIEW_CELL_CHARS ? `${value.slice(0, PREVIEW_CELL_CHARS)}…` : value;
}

/** The first `count` JSON lines of the validated output, without joining or decoding the rest of it. */
function firstLines(chunks: readonly Buffer[], count: number): string[] {
  const lines: string[] = [];
  let carry = '';
  for (const chunk of chunks) {
    let from = 0;
    while (lines.length < count) {
      const end = chunk.indexOf(10, from);
      if (end < 0) break;
      lines.push(carry + chunk.toString('latin1', from, end));
      carry = '';
      from = end + 1;
    }
    if (lines.length >= count) break;
    carry += chunk.toString('latin1', from);
  }
  return lines.filter((line) => line !== '');
}
