import { AppError } from '../errors/AppError.ts';
import { describeColumns, isIdentifierName, isTimestampName } from './columnNames.ts';
import { isLongValue, parseNumber } from './number.ts';
import { parseTimestamp } from './timestamp.ts';
import type { DataSourceSchema, MetricType } from './types.ts';

/** A metric column needs at least this share of its non-empty sampled values to be numbers. */
export const METRIC_NUMERIC_SHARE = 0.99;

/**
 * A timestamp-named column is the timestamp column when at least one of its non-empty sampled values
 * parses as a timestamp and parseable values are at least half of its non-empty sampled values
 * (so a few bad dates do not hide the column; their rows are rejected as INVALID_TIMESTAMP instead).
 */
export const TIMESTAMP_PARSEABLE_SHARE = 0.5;

/**
 * Infers the schema from the header and sampled rows (each row has one string per header column;
 * '' is empty). Throws NO_TIMESTAMP_COLUMN when no column qualifies as the timestamp.
 */
export function inferSchema(header: readonly string[], rows: readonly (readonly string[])[]): DataSourceSchema {
  let timestampIndex = -1;
  for (let c = 0; c < header.length && timestampIndex < 0; c++) {
    if (!isTimestampName(header[c] as string)) continue;
    let nonEmpty = 0;
    let parsed = 0;
    for (const row of rows) {
      const value = row[c] ?? '';
      if (value.trim() === '') continue;
      nonEmpty++;
      if (parseTimestamp(value) !== null) parsed++;
    }
    if (parsed >= 1 && parsed >= nonEmpty * TIMESTAMP_PARSEABLE_SHARE) timestampIndex = c;
  }
  if (timestampIndex < 0) {
    throw new AppError(
      'NO_TIMESTAMP_COLUMN',
      `No column has a timestamp name and ISO 8601 values. Columns: ${describeColumns(header)}.`,
    );
  }
  const dimensions: string[] = [];
  const metrics: { name: string; type: MetricType }[] = [];
  for (let c = 0; c < header.length; c++) {
    if (c === timestampIndex) continue;
    const name = header[c] as string;
    const type = isIdentifierName(name) ? null : metricTypeOf(rows, c);
    if (type === null) dimensions.push(name);
    else metrics.push({ name, type });
  }
  return { timestampColumn: header[timestampIndex] as string, dimensions, metrics };
}

/** The metric type of column c, or null when it is a dimension. */
function metricTypeOf(rows: readonly (readonly string[])[], c: number): MetricType | null {
  let nonEmpty = 0;
  let numeric = 0;
  let allLong = true;
  for (const row of rows) {
    const value = row[c] ?? '';
    if (value.trim() === '') continue;
    nonEmpty++;
    const n = parseNumber(value);
    if (n === null) continue;
    numeric++;
    if (allLong && !isLongValue(n)) allLong = false;
  }
  if (nonEmpty === 0 || numeric < nonEmpty * METRIC_NUMERIC_SHARE) return null;
  return allLong ? 'long' : 'double';
}
