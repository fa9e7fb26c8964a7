import type { SqlDatabase, SqlExecutor } from '../db/SqlDatabase.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import type { RejectionCounts } from '../ingest/types.ts';
import type { IngestionStatus, IngestionTask, IngestMode, TaskLedger } from './IngestionTask.ts';
import { ACTIVE, RELEASE_SCHEMA_CLAIM, type TaskRow, toTask } from './taskRow.ts';

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

const OURS = 'id = $1 AND attempt = $2';

/**
 * Where an attempt stands when the analytics store must decide what to do with rows it published for it: still the
 * task's running attempt, replaced by a newer attempt of the running task, or the task ended (failed, cancelled),
 * succeeded, or is gone.
 */
export type AttemptFate = 'current' | 'superseded' | 'ended' | 'succeeded' | 'gone';

/** A store's plan to take back rows it published for a task (its own JSON: the store writes and reads it). */
export interface StoreUndoEntry {
  plan: unknown;
  /** The plan has been carried out completely. */
  done: boolean;
}

/** The store's journal of one task's load. */
export interface StoreLoadEntry {
  /** What the store recorded just before it submitted the load (e.g. the segments a REPLACE replaces). */
  before: unknown;
  undo: StoreUndoEntry | null;
}

/** A task that did not succeed whose store load is not known to be settled: the store looks at it again. */
export interface UnsettledStoreLoad {
  taskId: string;
  attempt: number;
  status: IngestionStatus;
  mode: IngestMode;
  /** The data source's store name; null when the data source was deleted (its rows with it). */
  storeName: string | null;
  storeTaskId: string | null;
  interval: { start: Date; end: Date } | null;
  before: unknown;
  undo: StoreUndoEntry | null;
}

/** The task's data source's advisory lock (the one beginCommit takes): its loads queue and commit one at a time. */
const LOCK_DATA_SOURCE = `SELECT pg_advisory_xact_lock(7270004, hashtext(workspace || '/' || lower(data_source_name)))
  FROM tasks WHERE id = $1`;

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
      await tx.query(
        `SELECT pg_advisory_xact_lock(7270004, hashtext(workspace || '/' || lower(data_source_name)))
         FROM tasks WHERE id = $1`,
        [ref.taskId],
      );
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

  // The analytics store's journal of a load (Druid publishes before our commit point: src/analytics/druid/).

  /**
   * Takes this task's place in its data source's load queue, for the days it writes. A task that holds a place already
   * (an earlier attempt queued and nothing settled it) keeps it; otherwise it goes to the back. Places are handed out
   * under the data source's advisory lock, so their order is the order in which they become visible. False when the
   * attempt is no longer current.
   */
  async queueStoreLoad(ref: AttemptRef, interval: { start: Date; end: Date }): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      await tx.query(LOCK_DATA_SOURCE, [ref.taskId]);
      const rows = await tx.query(
        `UPDATE tasks SET
           load_order = CASE WHEN load_order IS NOT NULL AND store_settled_at IS NULL THEN load_order
             ELSE nextval('store_load_order') END,
           load_interval_start = $3, load_interval_end = $4, store_settled_at = NULL, updated_at = now()
         WHERE ${OURS} AND status = 'INGESTING' RETURNING id`,
        [ref.taskId, ref.attempt, interval.start, interval.end],
      );
      return rows.length === 1;
    });
  }

  /**
   * The tasks this task's load must wait for: those ahead of it in its data source's queue, on overlapping days, that
   * have neither succeeded nor settled, where one of the two is a REPLACE. APPENDs never wait for each other; a
   * REPLACE waits for every earlier load of its days, and every later load of its days waits for it.
   */
  async storeLoadBlockers(taskId: string): Promise<string[]> {
    const rows = await this.#db.query<{ id: string }>(
      `SELECT o.id FROM tasks t JOIN tasks o
         ON o.workspace = t.workspace AND lower(o.data_source_name) = lower(t.data_source_name) AND o.id <> t.id
       WHERE t.id = $1 AND o.load_order < t.load_order AND o.store_settled_at IS NULL AND o.status <> 'SUCCEEDED'
         AND (t.mode = 'REPLACE' OR o.mode = 'REPLACE')
         AND o.load_interval_start < t.load_interval_end AND t.load_interval_start < o.load_interval_end
       ORDER BY o.load_order`,
      [taskId],
    );
    return rows.map((row) => row.id);
  }

  /** Which of these tasks SUCCEEDED: their rows stay in the store until a later REPLACE or the data source's deletion. */
  async succeededAmong(taskIds: string[]): Promise<string[]> {
    if (taskIds.length === 0) return [];
    const rows = await this.#db.query<{ id: string }>(
      `SELECT id FROM tasks WHERE id = ANY($1::text[]) AND status = 'SUCCEEDED'`,
      [taskIds],
    );
    return rows.map((row) => row.id);
  }

  /** Records the store's view before it submits this attempt's load; false when the attempt is no longer current. */
  async recordStoreBefore(ref: AttemptRef, before: unknown): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET store_before = $3::jsonb, store_settled_at = NULL, updated_at = now()
       WHERE ${OURS} AND status = 'INGESTING' RETURNING id`,
      [ref.taskId, ref.attempt, JSON.stringify(before)],
    );
    return rows.length === 1;
  }

  async fateOf(ref: AttemptRef): Promise<AttemptFate> {
    const rows = await this.#db.query<{ status: IngestionStatus; attempt: number }>(
      'SELECT status, attempt FROM tasks WHERE id = $1',
      [ref.taskId],
    );
    const row = rows[0];
    if (!row) return 'gone';
    if (row.status === 'SUCCEEDED') return 'succeeded';
    if (row.status === 'FAILED' || row.status === 'CANCELLED') return 'ended';
    return row.attempt === ref.attempt ? 'current' : 'superseded';
  }

  /** The store's journal of the task's load; null when the task is gone. */
  async storeLoadOf(taskId: string): Promise<StoreLoadEntry | null> {
    const rows = await this.#db.query<{ store_before: unknown; store_undo: unknown; store_undone_at: Date | null }>(
      'SELECT store_before, store_undo, store_undone_at FROM tasks WHERE id = $1',
      [taskId],
    );
    const row = rows[0];
    if (!row) return null;
    return { before: row.store_before, undo: undoEntry(row.store_undo, row.store_undone_at) };
  }

  /**
   * Records that the store must take back what it published for the task, and how: allowed once the task has failed
   * or was cancelled, or for its current attempt before the commit point (which then fails it). A plan still being
   * carried out is kept (it is the same publish). Returns the plan in force, or null when the task may keep its rows
   * (it is past its commit point or succeeded, or another attempt took over).
   */
  async recordStoreUndo(ref: AttemptRef, plan: unknown): Promise<unknown | null> {
    const rows = await this.#db.query<{ store_undo: unknown }>(
      `UPDATE tasks SET
         store_undo = CASE WHEN store_undo IS NOT NULL AND store_undone_at IS NULL THEN store_undo ELSE $3::jsonb END,
         store_undone_at = NULL, store_settled_at = NULL, updated_at = now()
       WHERE id = $1 AND (status IN ('FAILED', 'CANCELLED')
         OR (attempt = $2 AND status = 'INGESTING' AND committing_at IS NULL))
       RETURNING store_undo`,
      [ref.taskId, ref.attempt, JSON.stringify(plan)],
    );
    return rows[0] ? rows[0].store_undo : null;
  }

  /** The undo has been carried out: nothing of the task is left in the store, so its load is settled too. */
  async markStoreUndone(taskId: string): Promise<void> {
    await this.#db.query(
      `UPDATE tasks SET store_undone_at = now(), store_settled_at = now(), updated_at = now()
       WHERE id = $1 AND store_undo IS NOT NULL`,
      [taskId],
    );
  }

  /**
   * The store holds nothing of the task that must not stay, and no store job of the task can still publish: the task
   * leaves its data source's load queue. Never while an undo is still to be carried out.
   */
  async settleStoreLoad(taskId: string): Promise<void> {
    await this.#db.query(
      `UPDATE tasks SET store_settled_at = now(), updated_at = now()
       WHERE id = $1 AND store_settled_at IS NULL AND (store_undo IS NULL OR store_undone_at IS NOT NULL)`,
      [taskId],
    );
  }

  /**
   * Tasks that failed or were cancelled with a store load not known to be settled, untouched for `idleSeconds` (so a
   * live attempt finishing its own undo is not raced), oldest in the queue first.
   */
  async unsettledStoreLoads(idleSeconds: number, limit: number): Promise<UnsettledStoreLoad[]> {
    const rows = await this.#db.query<{
      id: string;
      attempt: number;
      status: IngestionStatus;
      mode: IngestMode;
      store_name: string | null;
      store_task_id: string | null;
      load_interval_start: Date | null;
      load_interval_end: Date | null;
      store_before: unknown;
      store_undo: unknown;
      store_undone_at: Date | null;
    }>(
      `SELECT t.id, t.attempt, t.status, t.mode, d.store_name, t.store_task_id, t.load_interval_start,
         t.load_interval_end, t.store_before, t.store_undo, t.store_undone_at
       FROM tasks t LEFT JOIN data_sources d ON d.workspace = t.workspace AND d.name_key = lower(t.data_source_name)
       WHERE t.load_order IS NOT NULL AND t.store_settled_at IS NULL AND t.status IN ('FAILED', 'CANCELLED')
         AND t.updated_at < now() - make_interval(secs => $1)
       ORDER BY t.load_order LIMIT $2`,
      [idleSeconds, limit],
    );
    return rows.map((row) => ({
      taskId: row.id,
      attempt: row.attempt,
      status: row.status,
      mode: row.mode,
      storeName: row.store_name,
      storeTaskId: row.store_task_id,
      interval:
        row.load_interval_start && row.load_interval_end
          ? { start: row.load_interval_start, end: row.load_interval_end }
          : null,
      before: row.store_before,
      undo: undoEntry(row.store_undo, row.store_undone_at),
    }));
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

function undoEntry(plan: unknown, undoneAt: Date | null): StoreUndoEntry | null {
  return plan === null || plan === undefined ? null : { plan, done: undoneAt !== null };
}
