import { LINEAGE_COLUMN } from '../AnalyticsStore.ts';
import { type CallOptions, type DruidClient, type DruidSqlParameter, isUnknownDataSourceError } from './DruidClient.ts';
import { ROW_COUNT_METRIC } from './ingestionSpec.ts';

/** Rows of a SQL query, or null when the data source does not exist (yet, or any more). */
export async function sqlOrNullWhenMissing(
  client: DruidClient,
  query: string,
  parameters: DruidSqlParameter[] = [],
  options: CallOptions = {},
): Promise<Record<string, unknown>[] | null> {
  try {
    return await client.sql(query, parameters, options);
  } catch (error) {
    if (isUnknownDataSourceError(error)) return null;
    throw error;
  }
}

/** How many rows of one task (by the lineage column) Druid SQL sees; 0 when the data source does not exist. */
export async function lineageRows(
  client: DruidClient,
  storeName: string,
  taskId: string,
  options: CallOptions = {},
): Promise<number> {
  const rows = await sqlOrNullWhenMissing(
    client,
    `SELECT SUM(${quote(ROW_COUNT_METRIC)}) AS "n" FROM ${quote(storeName)} WHERE ${quote(LINEAGE_COLUMN)} = ?`,
    [{ type: 'VARCHAR', value: taskId }],
    options,
  );
  return numberOrZero(rows?.[0]?.n);
}

/** How many rows Druid SQL sees in [start, end); 0 when the data source does not exist. */
export async function intervalRows(
  client: DruidClient,
  storeName: string,
  interval: { start: Date; end: Date },
  options: CallOptions = {},
): Promise<number> {
  const rows = await sqlOrNullWhenMissing(
    client,
    `SELECT SUM(${quote(ROW_COUNT_METRIC)}) AS "n" FROM ${quote(storeName)}
     WHERE "__time" >= TIME_PARSE(?) AND "__time" < TIME_PARSE(?)`,
    [
      { type: 'VARCHAR', value: interval.start.toISOString() },
      { type: 'VARCHAR', value: interval.end.toISOString() },
    ],
    options,
  );
  return numberOrZero(rows?.[0]?.n);
}

/** A Druid SQL identifier. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export function numberOrZero(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

export function dateOrNull(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const date = typeof value === 'number' ? new Date(value) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date;
}
