import type { SqlDatabase } from '../db/SqlDatabase.ts';
import type { IngestionStatus, IngestMode } from './IngestionTask.ts';
import type { AttemptRef } from './TaskAttempts.ts';
import { LOCK_DATA_SOURCE_OF_TASK, OURS } from './taskRow.ts';

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

/**
 * What an analytics store records about a task's load, in the task's own row: its place in the data source's load
 * queue, the store's view before a REPLACE, the undo of a publish that must not stay, and when the load is settled.
 * Druid publishes before our commit point (src/analytics/druid/), so this journal is what lets any process finish
 * taking a publish back after the one that started it died. Writes are fenced by attempt, like TaskAttempts'.
 */
export class StoreLoadJournal {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * Takes this task's place in its data source's load queue, for the days it writes. A task that holds a place already
   * (an earlier attempt queued and nothing settled it) keeps it; otherwise it goes to the back. Places are handed out
   * under the data source's advisory lock, so their order is the order in which they become visible. False when the
   * attempt is no longer current.
   */
  async queueStoreLoad(ref: AttemptRef, interval: { start: Date; end: Date }): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      await tx.query(LOCK_DATA_SOURCE_OF_TASK, [ref.taskId]);
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

function undoEntry(plan: unknown, undoneAt: Date | null): StoreUndoEntry | null {
  return plan === null || plan === undefined ? null : { plan, done: undoneAt !== null };
}
