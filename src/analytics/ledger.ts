import type { DataSourceSchema } from '../ingest/types.ts';
import type { TaskLedger } from '../tasks/IngestionTask.ts';
import type { LoadedTotals } from './AnalyticsStore.ts';

/**
 * Compares what the analytics store holds for a task with what validation accepted: the row count
 * exactly, each metric sum within a relative 1e-9 (sums of doubles depend on the order of addition).
 * Returns a description of every difference, or null when the ledger balances.
 */
export function findLedgerDifferences(
  schema: DataSourceSchema,
  expected: TaskLedger,
  loaded: LoadedTotals,
): string | null {
  const differences: string[] = [];
  if (loaded.rowCount !== expected.rowsValid) {
    differences.push(`rows: validation accepted ${expected.rowsValid}, the store holds ${loaded.rowCount}`);
  }
  for (const metric of schema.metrics) {
    const want = expected.metricSums[metric.name] ?? 0;
    const got = loaded.metricSums[metric.name] ?? 0;
    const tolerance = Math.max(1e-9 * Math.max(Math.abs(want), Math.abs(got)), 1e-6);
    if (!(Math.abs(want - got) <= tolerance)) {
      differences.push(`sum of ${metric.name}: validation counted ${want}, the store holds ${got}`);
    }
  }
  return differences.length ? differences.join('; ') : null;
}
