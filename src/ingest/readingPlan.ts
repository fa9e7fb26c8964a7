import { ambiguousDates, detectColumnFormat } from './inferSchema.ts';
import { type DecimalSeparator, detectDecimalSeparator, NumberReader } from './numberFormats.ts';
import type { ReadingOptions } from './readingOptions.ts';
import { type TimestampFormat, TimestampReader } from './timestampFormats.ts';
import { ZonedClock } from './timeZones.ts';
import type { DataSourceSchema, FileFormat } from './types.ts';

/** How one file's values are read, decided once from its sample: the timestamp format and zone, the decimal separator. */
export interface ReadingPlan {
  timestamp: TimestampReader;
  numbers: NumberReader;
}

/** A reading plan as plain data, to rebuild it in another thread. */
export interface ReadingPlanDescription {
  timestampFormat: TimestampFormat;
  timeZone: string;
  decimalSeparator: DecimalSeparator;
}

export function describePlan(plan: ReadingPlan): ReadingPlanDescription {
  return {
    timestampFormat: plan.timestamp.format,
    timeZone: plan.timestamp.zone,
    decimalSeparator: plan.numbers.decimalSeparator,
  };
}

export function planFromDescription(description: ReadingPlanDescription): ReadingPlan {
  return {
    timestamp: new TimestampReader(description.timestampFormat, new ZonedClock(description.timeZone)),
    numbers: new NumberReader(description.decimalSeparator),
  };
}

/**
 * The plan for a file with this schema: the upload's options first, then the data source's stored settings, then what
 * the sample shows. The timestamp column's format is detected in this file (an export may change its date format
 * from one file to the next; its columns it may not): AMBIGUOUS_DATE_FORMAT when it reads month-first and day-first
 * alike; a column none of whose values read stays ISO 8601, so its rows are rejected one by one with the reason.
 */
export function planReading(
  schema: DataSourceSchema,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: ReadingOptions,
  format: FileFormat,
  decimalByDefault: DecimalSeparator = '.',
): ReadingPlan {
  const dateOrder = options.dateOrder ?? schema.dateOrder;
  const timeZone = options.timeZone ?? schema.timeZone ?? 'UTC';
  const column = header.indexOf(schema.timestampColumn);
  const detection = detectColumnFormat(rows, column, {
    ...(dateOrder ? { dateOrder } : {}),
    timeZone,
  });
  if (detection.kind === 'ambiguous') throw ambiguousDates(schema.timestampColumn, detection.examples);
  const clock = new ZonedClock(timeZone);
  const timestamp = new TimestampReader(detection.kind === 'detected' ? detection.format : { kind: 'iso' }, clock);
  return {
    timestamp,
    numbers: new NumberReader(options.decimalSeparator ?? decimalOf(schema, header, rows, format, decimalByDefault)),
  };
}

/** JSON numbers always use a point; delimited files show theirs in the metric columns' values. */
function decimalOf(
  schema: DataSourceSchema,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  format: FileFormat,
  decimalByDefault: DecimalSeparator,
): DecimalSeparator {
  if (format === 'jsonl') return '.';
  const columns = schema.metrics.map((m) => header.indexOf(m.name)).filter((c) => c >= 0);
  return detectDecimalSeparator(
    (function* () {
      for (const row of rows) for (const c of columns) if ((row[c] ?? '').trim() !== '') yield row[c] as string;
    })(),
    decimalByDefault,
  );
}
