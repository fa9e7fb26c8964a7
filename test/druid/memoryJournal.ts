import type { LoadJournal } from '../../src/analytics/druid/LoadJournal.ts';
import type { IngestionStatus, IngestMode } from '../../src/tasks/IngestionTask.ts';
import type { AttemptRef, StoreUndoEntry } from '../../src/tasks/TaskAttempts.ts';

interface Row {
  status: IngestionStatus;
  attempt: number;
  mode: IngestMode;
  committing: boolean;
  order: number | null;
  interval: { start: Date; end: Date } | null;
  settled: boolean;
  before: unknown;
  undo: unknown;
  undone: boolean;
}

/**
 * The load journal of TaskAttempts held in memory, with the same rules, for tests against a scripted Druid (no
 * database). `task()` adds a task in INGESTING; tests change its row to play a cancel or a newer attempt.
 */
export class MemoryJournal implements LoadJournal {
  readonly rows = new Map<string, Row>();
  #order = 0;

  task(taskId: string, options: { attempt?: number; mode?: IngestMode } = {}): Row {
    const row: Row = {
      status: 'INGESTING',
      attempt: options.attempt ?? 1,
      mode: options.mode ?? 'APPEND',
      committing: false,
      order: null,
      interval: null,
      settled: false,
      before: null,
      undo: null,
      undone: false,
    };
    this.rows.set(taskId, row);
    return row;
  }

  #row(taskId: string): Row {
    const row = this.rows.get(taskId);
    if (!row) throw new Error(`no task ${taskId} in the memory journal`);
    return row;
  }

  #ours(ref: AttemptRef): Row | null {
    const row = this.#row(ref.taskId);
    return row.attempt === ref.attempt && row.status === 'INGESTING' ? row : null;
  }

  async queueStoreLoad(ref: AttemptRef, interval: { start: Date; end: Date }): Promise<boolean> {
    const row = this.#ours(ref);
    if (!row) return false;
    if (row.order === null || row.settled) row.order = ++this.#order;
    row.interval = interval;
    row.settled = false;
    return true;
  }

  async storeLoadBlockers(taskId: string): Promise<string[]> {
    const t = this.#row(taskId);
    return [...this.rows.entries()]
      .filter(
        ([id, o]) =>
          id !== taskId &&
          o.order !== null &&
          t.order !== null &&
          o.order < t.order &&
          !o.settled &&
          o.status !== 'SUCCEEDED' &&
          (t.mode === 'REPLACE' || o.mode === 'REPLACE') &&
          o.interval !== null &&
          t.interval !== null &&
          o.interval.start < t.interval.end &&
          t.interval.start < o.interval.end,
      )
      .map(([id]) => id);
  }

  async succeededAmong(taskIds: string[]): Promise<string[]> {
    return taskIds.filter((id) => this.rows.get(id)?.status === 'SUCCEEDED');
  }

  async recordStoreBefore(ref: AttemptRef, before: unknown): Promise<boolean> {
    const row = this.#ours(ref);
    if (!row) return false;
    row.before = before;
    row.settled = false;
    return true;
  }

  async fateOf(ref: AttemptRef) {
    const row = this.rows.get(ref.taskId);
    if (!row) return 'gone' as const;
    if (row.status === 'SUCCEEDED') return 'succeeded' as const;
    if (row.status === 'FAILED' || row.status === 'CANCELLED') return 'ended' as const;
    return row.attempt === ref.attempt ? ('current' as const) : ('superseded' as const);
  }

  async storeLoadOf(taskId: string) {
    const row = this.rows.get(taskId);
    return row ? { before: row.before, undo: this.#undoEntry(row) } : null;
  }

  async recordStoreUndo(ref: AttemptRef, plan: unknown): Promise<unknown | null> {
    const row = this.#row(ref.taskId);
    const allowed =
      row.status === 'FAILED' ||
      row.status === 'CANCELLED' ||
      (row.attempt === ref.attempt && row.status === 'INGESTING' && !row.committing);
    if (!allowed) return null;
    if (!(row.undo !== null && !row.undone)) row.undo = JSON.parse(JSON.stringify(plan));
    row.undone = false;
    row.settled = false;
    return row.undo;
  }

  async markStoreUndone(taskId: string): Promise<void> {
    const row = this.#row(taskId);
    if (row.undo === null) return;
    row.undone = true;
    row.settled = true;
  }

  async settleStoreLoad(taskId: string): Promise<void> {
    const row = this.#row(taskId);
    if (row.undo === null || row.undone) row.settled = true;
  }

  async unsettledStoreLoads() {
    return [...this.rows.entries()]
      .filter(
        ([, row]) => row.order !== null && !row.settled && (row.status === 'FAILED' || row.status === 'CANCELLED'),
      )
      .map(([taskId, row]) => ({
        taskId,
        attempt: row.attempt,
        status: row.status,
        mode: row.mode,
        storeName: 'ds',
        storeTaskId: null,
        interval: row.interval,
        before: row.before,
        undo: this.#undoEntry(row),
      }));
  }

  #undoEntry(row: Row): StoreUndoEntry | null {
    return row.undo === null ? null : { plan: row.undo, done: row.undone };
  }
}
