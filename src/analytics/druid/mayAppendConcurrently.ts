import type { StoreLoadJournal } from '../../tasks/StoreLoadJournal.ts';
import { LINEAGE_COLUMN } from '../AnalyticsStore.ts';
import type { DruidClient } from './DruidClient.ts';
import { dateOrNull, quote, sqlOrNullWhenMissing } from './druidSql.ts';

const DAY_MS = 86_400_000;

/**
 * Whether an APPEND of these days may take Druid's concurrent APPEND lock: every day holds rows of a task that
 * SUCCEEDED. Such rows stay until a REPLACE of the day (which our load queue orders after this load) or the data
 * source's deletion (refused while a task is in progress), so no day can become empty before Druid allocates this
 * load's segments there — on an empty day an APPEND lock would get the reusable id 1970-01-01/partition 0 (see
 * `ingestionSpec`). Rows of tasks still in flight do not count: their publish may yet be taken back.
 */
export async function mayAppendConcurrently(
  client: DruidClient,
  journal: StoreLoadJournal,
  storeName: string,
  interval: { start: Date; end: Date },
): Promise<boolean> {
  const rows = await sqlOrNullWhenMissing(
    client,
    `SELECT TIME_FLOOR("__time", 'P1D') AS "day", ${quote(LINEAGE_COLUMN)} AS "task" FROM ${quote(storeName)}
     WHERE "__time" >= TIME_PARSE(?) AND "__time" < TIME_PARSE(?) GROUP BY 1, 2`,
    [
      { type: 'VARCHAR', value: interval.start.toISOString() },
      { type: 'VARCHAR', value: interval.end.toISOString() },
    ],
  );
  if (!rows || rows.length === 0) return false;
  const succeeded = new Set(await journal.succeededAmong([...new Set(rows.map((row) => String(row.task)))]));
  const committedDays = new Set(
    rows.filter((row) => succeeded.has(String(row.task))).map((row) => dateOrNull(row.day)?.getTime()),
  );
  for (let day = interval.start.getTime(); day < interval.end.getTime(); day += DAY_MS) {
    if (!committedDays.has(day)) return false;
  }
  return true;
}
