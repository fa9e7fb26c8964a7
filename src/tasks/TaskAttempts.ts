import type { SqlDatabase, SqlExecutor } from '../db/SqlDatabase.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import type { RejectionCounts } from '../ingest/types.ts';
import type { IngestionTask, TaskLedger } from './IngestionTask.ts';
import { ACTIVE, LOCK_DATA_SOURCE_OF_TASK, OURS, RELEASE_SCHEMA_CLAIM, type TaskRow, toTask } from './taskRow.ts';

/** One attempt of one task: every write below is refused once another attempt has started, or the task ended. */
export interface AttemptRef {
  taskId: string;
  attempt: number;
}

export interface TaskProgress {
  bytesProcessed: number;
  rowsTotal: number;
  rowsValid: number;
  rowsRejected: number;
  rejectionCounts: RejectionCounts;
}

/**
 * The writes of the worker, fenced by attempt: a handler whose job expired and was taken up again, or whose task was
 * cancelled, finds its writes refused (false) and stops. Status changes are guarded, so a terminal task never changes.
 */
export class TaskAttempts {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * Starts a new attempt: UPLOADED, VALIDATING or INGESTING → VALIDATING with the next attempt number, counts reset.
   * A task past its commit point stays INGESTING (the new attempt checks the store and finishes the commit). Null when
   * the task is finished or gone.
   */
  async start(taskId: string): Promise<IngestionTask | null> {
    const rows = await this.#db.query<TaskRow>(
      `UPDATE tasks SET attempt = attempt + 1, rows_loaded = NULL, updated_at = now(),
         status = CASE WHEN committing_at IS NULL THEN 'VALIDATING' ELSE status END,
         bytes_processed = CASE WHEN committing_at IS NULL THEN 0 ELSE bytes_processed END,
         rows_total = CASE WHEN committing_at IS NULL THEN 0 ELSE rows_total END,
         rows_valid = CASE WHEN committing_at IS NULL THEN 0 ELSE rows_valid END,
         rows_rejected = CASE WHEN committing_at IS NULL THEN 0 ELSE rows_rejected END,
         rejection_counts = CASE WHEN committing_at IS NULL THEN '{}'::jsonb ELSE rejection_counts END,
         status_times = CASE WHEN committing_at IS NULL
           THEN status_times || jsonb_build_object('VALIDATING', now()) ELSE status_times END
       WHERE id = $1 AND status IN ('UPLOADED', 'VALIDATING', 'INGESTING') RETURNING *`,
      [taskId],
    );
    return rows[0] ? toTask(rows[0]) : null;
  }

  /** Whether this attempt is still the task's current one and the task is still active. */
  async isCurrent(ref: AttemptRef): Promise<boolean> {
    const rows = await this.#db.query(`SELECT 1 FROM tasks WHERE ${OURS} AND ${ACTIVE}`, [ref.taskId, ref.attempt]);
    return rows.length === 1;
  }

  /** Records validation progress; false when the attempt is no longer current (cancelled, superseded). */
  async recordProgress(ref: AttemptRef, progress: TaskProgress): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET bytes_processed = $3, rows_total = $4, rows_valid = $5, rows_rejected = $6,
         rejection_counts = $7::jsonb, updated_at = now()
       WHERE ${OURS} AND status = 'VALIDATING' RETURNING id`,
      [
        ref.taskId,
        ref.attempt,
        progress.bytesProcessed,
        progress.rowsTotal,
        progress.rowsValid,
        progress.rowsRejected,
        JSON.stringify(progress.rejectionCounts),
      ],
    );
    return rows.length === 1;
  }

  /** VALIDATING → INGESTING with the final counts and the ledger the store must match. */
  async markIngesting(
    ref: AttemptRef,
    counts: TaskProgress & { minTime: number | null; maxTime: number | null; ledger: TaskLedger },
  ): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET status = 'INGESTING', bytes_processed = $3, rows_total = $4, rows_valid = $5,
         rows_rejected = $6, rejection_counts = $7::jsonb, min_time = $8, max_time = $9, ledger = $10::jsonb,
         status_times = status_times || jsonb_build_object('INGESTING', now()), updated_at = now()
       WHERE ${OURS} AND status = 'VALIDATING' RETURNING id`,
      [
        ref.taskId,
        ref.attempt,
        counts.bytesProcessed,
        counts.rowsTotal,
        counts.rowsValid,
        counts.rowsRejected,
        JSON.stringify(counts.rejectionCounts),
        counts.minTime === null ? null : new Date(counts.minTime),
        counts.maxTime === null ? null : new Date(counts.maxTime),
        JSON.stringify(counts.ledger),
      ],
    );
    return rows.length === 1;
  }

  /** Records the analytics store's job for the task (e.g. the Druid task id and its status). */
  async recordStoreProgress(ref: AttemptRef, progress: { storeTaskId: string; storeState: string }): Promise<void> {
    await this.#db.query(
      `UPDATE tasks SET store_task_id = $3, store_state = $4, updated_at = now()
       WHERE ${OURS} AND status = 'INGESTING'`,
      [ref.taskId, ref.attempt, progress.storeTaskId, progress.storeState],
    );
  }

  async recordReplacedInterval(ref: AttemptRef, interval: { start: Date; end: Date }): Promise<void> {
    await this.#db.query(
      `UPDATE tasks SET replaced_interval_start = $3, replaced_interval_end = $4, updated_at = now() WHERE ${OURS}`,
      [ref.taskId, ref.attempt, interval.start, interval.end],
    );
  }

  /**
   * The commit point: called by the analytics store just before it commits the task's rows. From here the task can no
   * longer be cancelled. 'ended' (and the store must roll back) when the task was cancelled or the attempt
   * superseded; `duplicateOf` when it is an APPEND of a file another task of the data source has committed. Tasks of
   * one data source pass their commit points one at a time (an advisory lock), so two identical APPENDs racing cannot
   * both commit.
   */
  async beginCommit(ref: AttemptRef): Promise<'ok' | 'ended' | { duplicateOf: string }> {
    return this.#db.transaction(async (tx) => {
      await tx.query(LOCK_DATA_SOURCE_OF_TASK, [ref.taskId]);
      const duplicate = await duplicateOf(tx, ref.taskId, true);
      if (duplicate) return { duplicateOf: duplicate };
      const rows = await tx.query(
        `UPDATE tasks SET committing_at = coalesce(committing_at, now()), updated_at = now()
         WHERE ${OURS} AND status = 'INGESTING' RETURNING id`,
        [ref.taskId, ref.attempt],
      );
      return rows.length === 1 ? 'ok' : 'ended';
    });
  }

  /** The earlier task that already loaded this task's file into its data source, for an APPEND without allowDuplicate. */
  duplicateOf(taskId: string): Promise<string | null> {
    return duplicateOf(this.#db, taskId, false);
  }

  /**
   * A task past its commit point whose store holds none of its rows (the commit never happened): back to VALIDATING,
   * commit point cleared, for this attempt to start over.
   */
  async reopen(ref: AttemptRef): Promise<IngestionTask | null> {
    const rows = await this.#db.query<TaskRow>(
      `UPDATE tasks SET status = 'VALIDATING', committing_at = NULL, bytes_processed = 0, rows_total = 0,
         rows_valid = 0, rows_rejected = 0, rejection_counts = '{}'::jsonb, ledger = NULL, updated_at = now(),
         status_times = status_times || jsonb_build_object('VALIDATING', now())
       WHERE ${OURS} AND status = 'INGESTING' RETURNING *`,
      [ref.taskId, ref.attempt],
    );
    return rows[0] ? toTask(rows[0]) : null;
  }

  /** INGESTING → SUCCEEDED; a schema the task claimed becomes the data source's schema. */
  async markSucceeded(ref: AttemptRef, rowsLoaded: number): Promise<boolean> {
    const rows = await this.#db.query(
      `WITH succeeded AS (
         UPDATE tasks SET status = 'SUCCEEDED', rows_loaded = $3,
           status_times = status_times || jsonb_build_object('SUCCEEDED', now()), updated_at = now()
         WHERE ${OURS} AND status = 'INGESTING' RETURNING id
       ), finalised AS (
         UPDATE data_sources SET schema_final = true WHERE schema_task_id IN (SELECT id FROM succeeded) RETURNING name
       )
       SELECT id FROM succeeded`,
      [ref.taskId, ref.attempt, rowsLoaded],
    );
    return rows.length === 1;
  }

  /**
   * Any active status → FAILED with a catalogue code; a schema the task claimed is released. `errorId` names a server
   * error in the logs (the client sees only the catalogue message and this id).
   */
  async markFailed(ref: AttemptRef, code: ErrorCode, message: string, errorId: string | null): Promise<boolean> {
    const rows = await this.#db.query(
      `WITH failed AS (
         UPDATE tasks SET status = 'FAILED', error_code = $3, error_message = $4, error_id = $5,
           status_times = status_times || jsonb_build_object('FAILED', now()), updated_at = now()
         WHERE ${OURS} AND ${ACTIVE} RETURNING id
       ), released AS (${RELEASE_SCHEMA_CLAIM('failed')})
       SELECT id FROM failed`,
      [ref.taskId, ref.attempt, code, message, errorId],
    );
    return rows.length === 1;
  }
}

/**
 * An APPEND task's duplicate: another task of the same data source with the same SHA-256 that SUCCEEDED (or, with
 * `committing`, that passed its commit point). Null for REPLACE (idempotent already) and for allowDuplicate.
 */
async function duplicateOf(db: SqlExecutor, taskId: string, committing: boolean): Promise<string | null> {
  const rows = await db.query<{ id: string }>(
    `SELECT d.id FROM tasks t JOIN tasks d
       ON d.workspace = t.workspace AND lower(d.data_source_name) = lower(t.data_source_name)
      AND d.sha256 = t.sha256 AND d.id <> t.id
     WHERE t.id = $1 AND t.mode = 'APPEND' AND NOT t.allow_duplicate
       AND (d.status = 'SUCCEEDED' OR ($2 AND d.status = 'INGESTING' AND d.committing_at IS NOT NULL))
     ORDER BY d.created_at LIMIT 1`,
    [taskId, committing],
  );
  return rows[0]?.id ?? null;
}
