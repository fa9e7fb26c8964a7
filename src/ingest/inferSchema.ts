import { AppError } from '../errors/AppError.ts';
import { describeColumns, isIdentifierName, isPreferredTimestampName, isTimestampName } from './columnNames.ts';
import { isLongValue } from './number.ts';
import { type DecimalSeparator, detectDecimalSeparator, NumberReader } from './numberFormats.ts';
import type { ReadingOptions } from './readingOptions.ts';
import { detectTimestampFormat, type FormatDetection } from './timestampFormats.ts';
import { ZonedClock } from './timeZones.ts';
import type { DataSourceSchema, MetricType } from './types.ts';

/** A metric column needs at least this share of its non-empty sampled values to be numbers. */
export const METRIC_NUMERIC_SHARE = 0.99;

/**
 * A timestamp candidate qualifies when at least one of its non-empty sampled values reads as a timestamp and those
 * are at least half of them (so a few bad dates do not hide the column; their rows are rejected instead).
 */
export const TIMESTAMP_PARSEABLE_SHARE = 0.5;

/**
 * Infers the schema from the header and sampled rows (each row has one string per header column; '' is empty).
 *
 * The timestamp column is the one the upload names (`timestampColumn`), else chosen among the candidates (a date or
 * time word in the name, values that read in one of the supported formats): the first whose name also says order,
 * sale, transaction, invoice, created or purchase, else the first. Throws NO_TIMESTAMP_COLUMN when none qualifies, and
 * AMBIGUOUS_DATE_FORMAT when the chosen one reads month-first and day-first alike and no `dateOrder` was given.
 * Identifier-like columns are dimensions; columns of numbers (in the file's notation) are metrics.
 */
export function inferSchema(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: ReadingOptions = {},
  decimalByDefault: DecimalSeparator = '.',
): DataSourceSchema {
  const timestampIndex = chooseTimestampColumn(header, rows, options);
  const decimal = options.decimalSeparator ?? inferDecimalSeparator(header, rows, timestampIndex, decimalByDefault);
  const dimensions: string[] = [];
  const metrics: { name: string; type: MetricType }[] = [];
  for (let c = 0; c < header.length; c++) {
    if (c === timestampIndex) continue;
    const name = header[c] as string;
    const type = isIdentifierName(name) ? null : metricTypeOf(rows, c, decimal);
    if (type === null) dimensions.push(name);
    else metrics.push({ name, type });
  }
  return {
    timestampColumn: header[timestampIndex] as string,
    dimensions,
    metrics,
    ...(options.dateOrder ? { dateOrder: options.dateOrder } : {}),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  };
}

/** The detection of one column's timestamp format from the sample. */
export function detectColumnFormat(
  rows: readonly (readonly string[])[],
  column: number,
  options: { dateOrder?: DateOrderOption; timeZone?: string },
): FormatDetection {
  return detectTimestampFormat(
    rows.map((row) => row[column] ?? ''),
    {
      dateOrder: options.dateOrder ?? null,
      clock: new ZonedClock(options.timeZone ?? 'UTC'),
      minShare: TIMESTAMP_PARSEABLE_SHARE,
    },
  );
}
type DateOrderOption = NonNullable<ReadingOptions['dateOrder']>;

/** AMBIGUOUS_DATE_FORMAT for a column whose sampled dates read month-first and day-first alike. */
export function ambiguousDates(column: string, examples: readonly string[]): AppError {
  return new AppError(
    'AMBIGUOUS_DATE_FORMAT',
    `Every sampled value of ${JSON.stringify(column)} reads both as month/day and as day/month (e.g. ${examples
      .slice(0, 3)
      .map((e) => JSON.stringify(e.length > 100 ? `${e.slice(0, 100)}…` : e))
      .join(', ')}). Upload again with dateOrder MDY or DMY.`,
  );
}

function chooseTimestampColumn(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: ReadingOptions,
): number {
  if (options.timestampColumn !== undefined) {
    const wanted = options.timestampColumn;
    let index = header.indexOf(wanted);
    if (index < 0) index = header.findIndex((name) => name.toLowerCase() === wanted.toLowerCase());
    if (index < 0) {
      throw new AppError(
        'NO_TIMESTAMP_COLUMN',
        `The upload names ${JSON.stringify(wanted)} as its timestamp column, but the file has no such column. Columns: ${describeColumns(header)}.`,
      );
    }
    const detection = detectColumnFormat(rows, index, options);
    if (detection.kind === 'ambiguous') throw ambiguousDates(header[index] as string, detection.examples);
    if (detection.kind === 'none') {
      throw new AppError(
        'NO_TIMESTAMP_COLUMN',
        `The values of ${JSON.stringify(header[index])} do not read as dates and times in any supported format (e.g. ${detection.examples
          .slice(0, 3)
          .map((e) => JSON.stringify(e.length > 100 ? `${e.slice(0, 100)}…` : e))
          .join(', ')}).`,
      );
    }
    return index;
  }
  const qualified: { index: number; detection: FormatDetection }[] = [];
  for (let c = 0; c < header.length; c++) {
    if (!isTimestampName(header[c] as string)) continue;
    const detection = detectColumnFormat(rows, c, options);
    if (detection.kind !== 'none') qualified.push({ index: c, detection });
  }
  const chosen = qualified.find((q) => isPreferredTimestampName(header[q.index] as string)) ?? qualified[0];
  if (!chosen) {
    throw new AppError(
      'NO_TIMESTAMP_COLUMN',
      `No column has a date or time word in its name and values that read as dates and times. Columns: ${describeColumns(header)}.`,
    );
  }
  if (chosen.detection.kind === 'ambiguous') {
    throw ambiguousDates(header[chosen.index] as string, chosen.detection.examples);
  }
  return chosen.index;
}

/**
 * The decimal separator of a file whose schema is being inferred, from the columns that may be metrics: not the
 * timestamp, not identifiers, and numbers (as `METRIC_NUMERIC_SHARE` of their values) with one separator or the
 * other. A text column ("2.5" among words) decides nothing. The reading plan of that file takes this answer.
 */
export function inferDecimalSeparator(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  timestampIndex: number,
  byDefault: DecimalSeparator,
): DecimalSeparator {
  const dot = new NumberReader('.');
  const comma = new NumberReader(',');
  const values: string[] = [];
  for (let c = 0; c < header.length; c++) {
    if (c === timestampIndex || isIdentifierName(header[c] as string)) continue;
    const column = rows.map((row) => row[c] ?? '').filter((value) => value.trim() !== '');
    const numeric = (reader: NumberReader) => column.filter((v) => !Number.isNaN(reader.read(v))).length;
    const needed = column.length * METRIC_NUMERIC_SHARE;
    if (column.length > 0 && (numeric(dot) >= needed || numeric(comma) >= needed)) values.push(...column);
  }
  return detectDecimalSeparator(values, byDefault);
}

/** The metric type of column c, or null when it is a dimension. */
function metricTypeOf(rows: readonly (readonly string[])[], c: number, decimal: DecimalSeparator): MetricType | null {
  const reader = new NumberReader(decimal);
  let nonEmpty = 0;
  let numeric = 0;
  let allLong = true;
  for (const row of rows) {
    const value = row[c] ?? '';
    if (value.trim() === '') continue;
    nonEmpty++;
    const n = reader.read(value);
    if (Number.isNaN(n)) continue;
    numeric++;
    // Money and percentages are stored as double even when the sample holds whole numbers only.
    if (allLong && (!isLongValue(n) || reader.decorated)) allLong = false;
  }
  if (nonEmpty === 0 || numeric < nonEmpty * METRIC_NUMERIC_SHARE) return null;
  return allLong ? 'long' : 'double';
}
