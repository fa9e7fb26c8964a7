import type { CsvLayout, DataSourceSchema, ValidatedFormat } from '../ingest/types.ts';
import type { IngestMode, TaskLedger } from '../tasks/IngestionTask.ts';

/** Lineage: every loaded row carries the id of the task that loaded it. */
export const LINEAGE_COLUMN = '__task_id';

export interface LoadRequest {
  /** The data source's store-side name (DuckDB table, Druid datasource): see `storeNameOf`. */
  storeName: string;
  schema: DataSourceSchema;
  taskId: string;
  /** 1 on the first attempt of the task, then 2, 3, … (a retried job is a new attempt). */
  attempt: number;
  /**
   * A local file of validated rows, as RowValidator writes them in the store's `validatedFormat`. A store that reads it
   * from elsewhere (Druid: from the S3 bucket) copies it there itself.
   */
  validatedFile: string;
  /** Rows in the validated file. */
  rowCount: number;
  /** How to read the validated file when it is a CSV (RowValidator.csvLayout); null for JSON lines. */
  csvLayout?: CsvLayout | null;
  /** APPEND adds the rows; REPLACE first removes every row of the data source inside `interval`. */
  mode: IngestMode;
  /** Whole UTC days covering the file's rows, [start, end); null when the file has no valid rows. */
  interval: { start: Date; end: Date } | null;
  /**
   * The store's job recorded by an earlier attempt of this task, if any. A store with jobs of its own (Druid)
   * adopts it when it is still running or succeeded, and submits a new one only when it failed, so one of
   * our tasks never has two live jobs in the store.
   */
  previousStoreTaskId: string | null;
  /** What validation accepted: the store must hold exactly this for the task (checked before its commit point: in
   * DuckDB's transaction; in Druid after its publish, which is taken back when the check fails). */
  ledger: TaskLedger;
  /**
   * The commit point: the store calls it just before it makes the rows visible (Druid, whose publish shows them
   * first: once that publish is verified). False means the task was cancelled or the attempt superseded: the store
   * rolls back (Druid: takes its publish back, unless a newer attempt of the task adopts it) and throws CommitRefused.
   */
  beginCommit: () => Promise<boolean>;
  /** Called when the store's own job changes state (e.g. a Druid task id and its status), to show on the task. */
  onProgress?: (progress: { storeTaskId: string; storeState: string }) => Promise<void>;
  /** Aborted when our task is cancelled: stop the store's job. */
  signal?: AbortSignal;
}

/** Thrown by `load` when `beginCommit` answered false: nothing of the task was made visible. */
export class CommitRefused extends Error {
  override name = 'CommitRefused';
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
  /** How the worker writes the validated rows for `load` (types.ts: ValidatedFormat). */
  readonly validatedFormat: ValidatedFormat;
  /** Loads a task's rows; running it again for the same task replaces that task's rows (safe to retry). */
  load(request: LoadRequest): Promise<void>;
  /**
   * Removes every row of a data source from the store (DuckDB: the table dropped; Druid: its segments marked unused,
   * then deleted for good by a kill task). Safe to repeat.
   */
  dropDataSource(storeName: string): Promise<void>;
  /** Row count and metric sums of one task's rows, read back from the store by the lineage column. */
  totalsForTask(storeName: string, schema: DataSourceSchema, taskId: string): Promise<LoadedTotals>;
  summary(storeName: string, schema: DataSourceSchema): Promise<DataSourceSummary | null>;
  /** The daily (UTC) sum of one metric, oldest day first; empty when the data source has no rows. */
  dailySums(storeName: string, metric: string): Promise<{ day: Date; value: number }[]>;
  check(): Promise<void>;
  close(): Promise<void>;
}
