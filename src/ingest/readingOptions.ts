import { AppError } from '../errors/AppError.ts';
import { MAX_COLUMN_NAME_LENGTH } from './columnNames.ts';
import type { DecimalSeparator } from './numberFormats.ts';
import type { DateOrder } from './timestampFormats.ts';
import { isTimeZone } from './timeZones.ts';

/**
 * What an upload may say about how to read its file (GraphQL arguments, REST fields), each optional: detection (and
 * the data source's stored settings) decide what it does not say.
 */
export interface ReadingOptions {
  /** The column that holds each row's time (else chosen by name and values). */
  timestampColumn?: string;
  /** Numeric dates that read either way are month-first (MDY) or day-first (DMY). */
  dateOrder?: DateOrder;
  /** IANA zone in which times without an offset are read (else the data source's, else UTC). */
  timeZone?: string;
  /** The file's decimal separator (else `,` for a `;`-delimited file or a sample that shows it, `.` otherwise). */
  decimalSeparator?: DecimalSeparator;
}

/** The fields an upload may carry, as clients send them (strings; absent or empty: not said). */
export interface ReadingOptionsInput {
  timestampColumn?: string | null | undefined;
  dateOrder?: string | null | undefined;
  timeZone?: string | null | undefined;
  decimalSeparator?: string | null | undefined;
}

/** Checks what the client sent; INVALID_REQUEST naming the field for anything else. */
export function readingOptionsFrom(input: ReadingOptionsInput): ReadingOptions {
  const options: ReadingOptions = {};
  const given = (value: string | null | undefined) =>
    value === undefined || value === null || value === '' ? null : value;
  const column = given(input.timestampColumn);
  if (column !== null) {
    if (column.trim() === '' || column.length > MAX_COLUMN_NAME_LENGTH || column.includes('\u0000')) {
      throw new AppError(
        'INVALID_REQUEST',
        `timestampColumn must be a column name of 1–${MAX_COLUMN_NAME_LENGTH} characters.`,
      );
    }
    options.timestampColumn = column.trim();
  }
  const order = given(input.dateOrder);
  if (order !== null) {
    if (order !== 'MDY' && order !== 'DMY') throw new AppError('INVALID_REQUEST', 'dateOrder must be MDY or DMY.');
    options.dateOrder = order;
  }
  const zone = given(input.timeZone);
  if (zone !== null) {
    if (!isTimeZone(zone)) {
      throw new AppError(
        'INVALID_REQUEST',
        `timeZone must be an IANA time zone name such as Europe/Berlin or America/New_York, not ${JSON.stringify(zone.slice(0, 64))}.`,
      );
    }
    options.timeZone = zone;
  }
  const decimal = given(input.decimalSeparator);
  if (decimal !== null) {
    if (decimal !== '.' && decimal !== ',')
      throw new AppError('INVALID_REQUEST', 'decimalSeparator must be "." or ",".');
    options.decimalSeparator = decimal;
  }
  return options;
}
