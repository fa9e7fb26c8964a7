import type { Delimiter, TextEncoding } from '../ingest/detectFormat.ts';
import type { ReadingOptions } from '../ingest/readingOptions.ts';
import type { RejectionCounts } from '../ingest/types.ts';
import type { IngestionStatus, IngestionTask, IngestMode, TaskLedger } from './IngestionTask.ts';

/** A row of the `tasks` table, as the database returns it. */
export interface TaskRow {
  id: string;
  workspace: string;
  created_by: string | null;
  error_id: string | null;
  data_source_name: string;
  filename: string;
  file_size_bytes: number;
  sha256: string | null;
  object_key: string;
  format: string | null;
  gzip: boolean;
  mode: IngestMode;
  status: IngestionStatus;
  status_times: Partial<Record<IngestionStatus, string>>;
  attempt: number;
  bytes_processed: number;
  rows_total: number | null;
  rows_valid: number | null;
  rows_rejected: number | null;
  rows_loaded: number | null;
  min_time: Date | null;
  max_time: Date | null;
  store_task_id: string | null;
  store_state: string | null;
  replaced_interval_start: Date | null;
  replaced_interval_end: Date | null;
  error_code: string | null;
  error_message: string | null;
  rejection_counts: RejectionCounts;
  committing_at: Date | null;
  allow_duplicate: boolean;
  reading_options: ReadingOptions;
  encoding: string | null;
  delimiter: string | null;
  ledger: TaskLedger | null;
  created_at: Date;
  updated_at: Date;
}

/** A write of one attempt of one task ($1 the task id, $2 the attempt): refused once another attempt has started. */
export const OURS = 'id = $1 AND attempt = $2';

/**
 * The advisory lock of the data source of task $1 (the same key DataSourceStore takes by name): commit points, load
 * queue places and schema claims of one data source are taken one at a time.
 */
export const LOCK_DATA_SOURCE_OF_TASK = `SELECT pg_advisory_xact_lock(7270004, hashtext(workspace || '/' || lower(data_source_name)))
  FROM tasks WHERE id = $1`;

/** The statuses a task can still leave. */
export const ACTIVE = `status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')`;

/**
 * A CTE body that releases the schema a task claimed (data_sources.schema_task_id, not yet final) when the task named
 * by `ended` (a CTE returning `id`) failed or was cancelled: the next upload infers the schema afresh.
 */
export const RELEASE_SCHEMA_CLAIM = (ended: string) =>
  `UPDATE data_sources SET schema = NULL, schema_task_id = NULL
   WHERE NOT schema_final AND schema_task_id IN (SELECT id FROM ${ended}) RETURNING name`;

export function single(rows: TaskRow[]): TaskRow {
  const [row] = rows;
  if (!row || rows.length !== 1) throw new Error(`expected one task row, got ${rows.length}`);
  return row;
}

export function toTask(row: TaskRow): IngestionTask {
  return {
    taskId: row.id,
    workspace: row.workspace,
    createdBy: row.created_by,
    dataSourceName: row.data_source_name,
    filename: row.filename,
    fileSizeBytes: Number(row.file_size_bytes),
    sha256: row.sha256,
    objectKey: row.object_key,
    format: row.format,
    gzip: row.gzip,
    mode: row.mode,
    status: row.status,
    statusTimes: row.status_times,
    attempt: row.attempt,
    bytesProcessed: Number(row.bytes_processed),
    rowsTotal: row.rows_total,
    rowsValid: row.rows_valid,
    rowsRejected: row.rows_rejected,
    rowsLoaded: row.rows_loaded,
    minTime: row.min_time,
    maxTime: row.max_time,
    storeTaskId: row.store_task_id,
    storeState: row.store_state,
    replacedInterval:
      row.replaced_interval_start && row.replaced_interval_end
        ? { start: row.replaced_interval_start, end: row.replaced_interval_end }
        : null,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    errorId: row.error_id,
    rejectionCounts: row.rejection_counts,
    committingAt: row.committing_at,
    allowDuplicate: row.allow_duplicate,
    readingOptions: row.reading_options ?? {},
    encoding: (row.encoding as TextEncoding | null) ?? (row.format ? 'utf-8' : null),
    delimiter: (row.delimiter as Delimiter | null) ?? (row.format === 'tsv' ? '\t' : row.format === 'csv' ? ',' : null),
    ledger: row.ledger,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
