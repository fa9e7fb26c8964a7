import type { DataSourceSchema } from '../ingest/types.ts';

/** Lineage: every loaded row carries the id of the task that loaded it. */
export const LINEAGE_COLUMN = '__task_id';

export interface LoadRequest {
  dataSourceName: string;
  schema: DataSourceSchema;
  taskId: string;
  /** A local JSON-lines file of validated rows, as RowValidator writes them. */
  validatedFile: string;
}

export interface LoadedTotals {
  rowCount: number;
  metricSums: Record<string, number>;
}

export interface DataSourceSummary {
  rowCount: number;
  minTime: Date | null;
  maxTime: Date | null;
  metricTotals: { name: string; sum: number }[];
}

/** Where validated rows end up: embedded DuckDB, or Apache Druid in production. */
export interface AnalyticsStore {
  readonly kind: 'duckdb' | 'druid';
  /** Loads a task's rows; running it again for the same task replaces that task's rows (safe to retry). */
  load(request: LoadRequest): Promise<void>;
  /** Row count and metric sums of one task's rows, read back from the store by the lineage column. */
  totalsForTask(dataSourceName: string, schema: DataSourceSchema, taskId: string): Promise<LoadedTotals>;
  summary(dataSourceName: string, schema: DataSourceSchema): Promise<DataSourceSummary | null>;
  check(): Promise<void>;
  close(): Promise<void>;
}
