import type { RowRejection } from '../../ingest/types.ts';

export const REJECTIONS_CSV_HEADER = 'line,column,code,message,raw\r\n';

/** One CSV record per rejection, RFC 4180 quoted, safe to open in a spreadsheet. */
export function rejectionCsvRecord(rejection: RowRejection): string {
  return `${[String(rejection.line), rejection.column ?? '', rejection.code, rejection.message, rejection.raw]
    .map(csvCell)
    .join(',')}\r\n`;
}

/**
 * Quotes a cell, and neutralises spreadsheet formulas (OWASP CSV injection): a value starting with
 * =, +, -, @, tab or carriage return gets a leading apostrophe so it is shown as text, never executed.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== value ? `"${safe.replaceAll('"', '""')}"` : safe;
}
