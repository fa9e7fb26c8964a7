import { AppError } from '../errors/AppError.ts';

/** Column names longer than this are INVALID_HEADER. */
export const MAX_COLUMN_NAME_LENGTH = 128;

/** Names the loader adds to every row; a file may not use them. */
export const RESERVED_COLUMNS = ['__time', '__task_id', '__row_count'] as const;

/**
 * The words of a column name as people write it: case-insensitive, with spaces, `-`, `.`, `_`, `/` and camelCase
 * boundaries as word breaks. "Order Date", "OrderDate", "order-date" and "ORDER_DATE" are all `order date`.
 */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s\-._/]+/)
    .filter((word) => word !== '');
}

/** Words that make a column a timestamp candidate (English, and the German and Spanish words for date). */
const TIMESTAMP_WORDS = new Set(['timestamp', 'time', 'ts', 'date', 'datetime', 'day', 'datum', 'fecha']);
/** A name that is only one of these words says when something happened ("Created", "Posted", "Shipped"). */
const EVENT_WORDS = new Set([
  'created',
  'updated',
  'modified',
  'posted',
  'ordered',
  'shipped',
  'purchased',
  'sold',
  'invoiced',
  'booked',
  'paid',
  'when',
]);
/** With one of these words, a timestamp candidate is preferred over the others (the moment of the sale). */
const PREFERRED_TIMESTAMP_WORDS = new Set([
  'order',
  'ordered',
  'sale',
  'sales',
  'sold',
  'transaction',
  'invoice',
  'invoiced',
  'created',
  'purchase',
  'purchased',
]);
/** Any of these words makes a column an identifier: it stays a dimension even when its values are numeric. */
const IDENTIFIER_WORDS = new Set([
  'id',
  'sku',
  'zip',
  'zipcode',
  'postcode',
  'uuid',
  'guid',
  'ean',
  'upc',
  'gtin',
  'isbn',
  'phone',
]);
/** As the last word, these make a column an identifier ("Store Code", "api_key", "Order No", "Invoice Number"). */
const IDENTIFIER_LAST_WORDS = new Set(['code', 'key', 'number', 'no', 'nr', 'ref']);
/** A calendar period on its own ("Year", "Fiscal Quarter") is a category, not a quantity to sum. */
const PERIOD_WORDS = new Set(['year', 'quarter', 'month', 'week']);

/**
 * A timestamp candidate's name: one of its words is timestamp, time, ts, date, datetime, day (or Datum, Fecha), it
 * ends in "at" after another word (`created_at`, `createdAt`), or it is just "Created", "Posted", "Shipped", "When"…. "Order Date", "Flight Date", "OrderDate" and
 * "order-date" are candidates; "update", "dates" and "at" are not.
 */
export function isTimestampName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 1 && EVENT_WORDS.has(words[0] as string)) return true;
  return words.some((word) => TIMESTAMP_WORDS.has(word)) || (words.length > 1 && words[words.length - 1] === 'at');
}

/** A candidate whose name also says order, sale, transaction, invoice, created or purchase is preferred. */
export function isPreferredTimestampName(name: string): boolean {
  return nameWords(name).some((word) => PREFERRED_TIMESTAMP_WORDS.has(word));
}

/**
 * Identifier-like names stay dimensions even when their values are numeric: "Row ID", "CustomerId", "order_id",
 * "Postal Code", "ZIP", "SKU", "Store Code", "Order Number", "Fiscal Year".
 */
export function isIdentifierName(name: string): boolean {
  const words = nameWords(name);
  const last = words[words.length - 1] ?? '';
  const period =
    PERIOD_WORDS.has(last) &&
    (words.length === 1 || (words.length === 2 && /^(fiscal|calendar)$/.test(words[0] ?? '')));
  return words.some((word) => IDENTIFIER_WORDS.has(word)) || IDENTIFIER_LAST_WORDS.has(last) || period;
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
