/**
 * What Druid SQL shows of a datasource, asked directly (not through the store under test): its rows and the sum of
 * `units`, for the whole datasource or one task's rows (by the lineage column); zeros when the datasource does not
 * exist.
 */
export async function druidTotals(
  druidUrl: string,
  storeName: string,
  taskId?: string,
): Promise<{ rows: number; units: number }> {
  const where = taskId === undefined ? '' : 'WHERE "__task_id" = ?';
  const response = await fetch(`${druidUrl}/druid/v2/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `SELECT SUM("__row_count") AS "rows", SUM("units") AS "units" FROM "${storeName}" ${where}`,
      parameters: taskId === undefined ? [] : [{ type: 'VARCHAR', value: taskId }],
      resultFormat: 'object',
    }),
  });
  const text = await response.text();
  if (response.status === 400 && /Object '.*' not found/.test(text)) return { rows: 0, units: 0 };
  if (!response.ok) throw new Error(`Druid SQL ${response.status}: ${text}`);
  const [row] = JSON.parse(text) as { rows: number | null; units: number | null }[];
  return { rows: Number(row?.rows ?? 0), units: Number(row?.units ?? 0) };
}

/** Rows per task id in a datasource, as Druid SQL counts them. */
export async function druidRowsByTask(druidUrl: string, storeName: string): Promise<Record<string, number>> {
  const response = await fetch(`${druidUrl}/druid/v2/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `SELECT "__task_id" AS "task", SUM("__row_count") AS "rows" FROM "${storeName}" GROUP BY 1`,
      resultFormat: 'object',
    }),
  });
  const text = await response.text();
  if (response.status === 400 && /Object '.*' not found/.test(text)) return {};
  if (!response.ok) throw new Error(`Druid SQL ${response.status}: ${text}`);
  return Object.fromEntries(
    (JSON.parse(text) as { task: string; rows: number }[]).map((r) => [r.task, Number(r.rows)]),
  );
}

/**
 * A CSV of `rows` sales spread over `days` (row i on days[i % days.length], one second apart from 10:00:00 on, wrapping
 * round within the day), units 1..rows, stores labelled so that files differ.
 */
export function salesCsv(rows: number, days: string | string[], label: string): { csv: string; units: number } {
  const dayList = Array.isArray(days) ? days : [days];
  const lines = Array.from({ length: rows }, (_, i) => {
    const second = (10 * 3600 + Math.floor(i / dayList.length)) % 86_400;
    const time = [Math.floor(second / 3600), Math.floor(second / 60) % 60, second % 60]
      .map((part) => String(part).padStart(2, '0'))
      .join(':');
    return `${dayList[i % dayList.length]}T${time}Z,${label}-${i % 7},${i + 1}`;
  });
  return { csv: `sold_at,store,units\n${lines.join('\n')}\n`, units: (rows * (rows + 1)) / 2 };
}
