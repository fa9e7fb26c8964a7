import { AppError } from '../errors/AppError.ts';

/** Column names longer than this are INVALID_HEADER. */
export const MAX_COLUMN_NAME_LENGTH = 128;

/** Names the loader adds to every row; a file may not use them. */
export const RESERVED_COLUMNS = ['__time', '__task_id', '__row_count'] as const;

const TIMESTAMP_NAME = /^(?:timestamp|time|ts|date|datetime)$|(?:_date|_time|_ts|_at)$/i;
const IDENTIFIER_NAME = /^(?:id|sku|zip|postal_code)$|(?:_id|_code|_key)$/i;

/** `timestamp`, `time`, `ts`, `date`, `datetime`, `*_date`, `*_time`, `*_ts`, `*_at` (case-insensitive). */
export function isTimestampName(name: string): boolean {
  return TIMESTAMP_NAME.test(name);
}

/** Identifier-like names stay dimensions even when their values are numeric. */
export function isIdentifierName(name: string): boolean {
  return IDENTIFIER_NAME.test(name);
}

/**
 * Checks header names (already trimmed): none empty, none reserved, no duplicates. Comparison is
 * case-insensitive because the analytics store's identifiers are.
 */
export function checkHeaderNames(names: readonly string[]): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (name === '') throw new AppError('INVALID_HEADER', `Column ${i + 1} of the header has no name.`);
    if (name.length > MAX_COLUMN_NAME_LENGTH) {
      throw new AppError(
        'INVALID_HEADER',
        `Column ${i + 1} has a name of ${name.length} characters; names are at most ${MAX_COLUMN_NAME_LENGTH}.`,
      );
    }
    const key = name.toLowerCase();
    if ((RESERVED_COLUMNS as readonly string[]).includes(key)) {
      throw new AppError('INVALID_HEADER', `The column name ${JSON.stringify(name)} is reserved.`);
    }
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new AppError(
        'INVALID_HEADER',
        `Columns ${previous + 1} and ${i + 1} have the same name ${JSON.stringify(name)} (names are case-insensitive).`,
      );
    }
    seen.set(key, i);
  }
}

/** Describes a list of column names for error details, shortened when long. */
export function describeColumns(names: readonly string[], limit = 20): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, limit).map((n) => JSON.stringify(n.length > 100 ? `${n.slice(0, 100)}…` : n));
  return names.length > limit ? `${shown.join(', ')} and ${names.length - limit} more` : shown.join(', ');
}
