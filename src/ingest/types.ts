/** The formats an upload can have once decompressed. */
export type FileFormat = 'csv' | 'tsv' | 'jsonl';

/**
 * How valid rows are written for the analytics store: JSON lines with ISO instants and the task id (Druid), or compact
 * CSV with epoch-ms instants and no task id (DuckDB, which adds it while loading).
 */
export type ValidatedFormat = 'jsonl' | 'csv';

/** How to read a validated CSV: its columns after the first (epoch ms) one, in order, its delimiter, its longest row. */
export interface CsvLayout {
  columns: string[];
  delimiter: string;
  /** In bytes, line break included (a reader may need a bigger line buffer). */
  longestRowBytes: number;
}

/** `long`: integers within ±2^53; `double`: any finite number. */
export type MetricType = 'long' | 'double';

/** One data source = one schema. Dimensions and metrics are listed in the file's column order. */
export interface DataSourceSchema {
  timestampColumn: string;
  dimensions: string[];
  metrics: { name: string; type: MetricType }[];
  /** The data source's settings, from the upload that fixed the schema: used when a later upload says nothing. */
  dateOrder?: 'MDY' | 'DMY';
  timeZone?: string;
}

/** Why a row was not loaded: the row-level codes (docs/API.md, "A row is rejected"). */
export const rowRejectionCodes = [
  'FIELD_COUNT_MISMATCH',
  'MISSING_TIMESTAMP',
  'INVALID_TIMESTAMP',
  'INVALID_NUMBER',
  'INVALID_INTEGER',
  'UNCLOSED_QUOTE',
  'ROW_TOO_LONG',
  'INVALID_ENCODING',
  'INVALID_JSON',
  'UNKNOWN_FIELD',
] as const;
export type RowRejectionCode = (typeof rowRejectionCodes)[number];

/** Rejected rows per code, over a whole file (exact, even when only the first rejections are kept in full). */
export type RejectionCounts = Partial<Record<RowRejectionCode, number>>;

/** Why one row was not loaded. `line` is the 1-based physical line where the row starts. */
export interface RowRejection {
  line: number;
  column: string | null;
  code: RowRejectionCode;
  message: string;
  raw: string;
}

/** What one push()/end() produced: JSON lines of the valid rows, and the rejected rows. */
export interface ValidationBatch {
  /** JSON lines of the valid rows, as ASCII bytes (non-ASCII characters are \u-escaped). */
  output: Buffer;
  rejections: RowRejection[];
}

export interface ValidationSummary {
  schema: DataSourceSchema;
  rowsTotal: number;
  rowsValid: number;
  rowsRejected: number;
  /** Epoch ms over valid rows; null when there are none. */
  minTime: number | null;
  maxTime: number | null;
  /** Per metric, the sum over valid rows (nulls skipped). */
  metricSums: Record<string, number>;
  /** Rejected rows per code. */
  rejectionCounts: RejectionCounts;
}
