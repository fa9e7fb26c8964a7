/** The formats an upload can have once decompressed. */
export type FileFormat = 'csv' | 'tsv' | 'jsonl';

/** `long`: integers within ±2^53; `double`: any finite number. */
export type MetricType = 'long' | 'double';

/** One data source = one schema. Dimensions and metrics are listed in the file's column order. */
export interface DataSourceSchema {
  timestampColumn: string;
  dimensions: string[];
  metrics: { name: string; type: MetricType }[];
}

/** Why one row was not loaded. `line` is the 1-based physical line where the row starts. */
export interface RowRejection {
  line: number;
  column: string | null;
  code: string;
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
}
