import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { isTransient } from '../errors/transient.ts';
import { type IngestionTask, isTerminal } from './IngestionTask.ts';
import type { TaskStore } from './TaskStore.ts';

export const TASK_UPDATED_CHANNEL = 'tributary_task_updated';

/** A watcher whose read failed for a transient cause reads again after 1 s, then 2 s, … at most 30 s apart. */
const REREAD_FIRST_DELAY_MS = 1_000;
const REREAD_MAX_DELAY_MS = 30_000;

/**
 * Live task updates for subscriptions. A database trigger NOTIFYs on every change of a task, so an
 * API process sees changes made by any worker process. Each subscriber gets the current state first,
 * then every later state (rapid changes may be coalesced into the newest), and the stream ends after
 * a terminal state.
 */
export class TaskUpdates {
  readonly #db: SqlDatabase;
  readonly #tasks: TaskStore;
  readonly #listeners = new Map<string, Set<() => void>>();
  #unlisten: (() => Promise<void>) | undefined;

  constructor(db: SqlDatabase, tasks: TaskStore) {
    this.#db = db;
    this.#tasks = tasks;
  }

  async start(): Promise<void> {
    this.#unlisten = await this.#db.listen(
      TASK_UPDATED_CHANNEL,
      (taskId) => {
        for (const wake of this.#listeners.get(taskId) ?? []) wake();
      },
      // The LISTEN connection was lost and is back: changes made meanwhile sent NOTIFYs nobody heard.
      () => this.#wakeEveryWatcher(),
    );
  }

  #wakeEveryWatcher(): void {
    for (const listeners of this.#listeners.values()) for (const wake of listeners) wake();
  }

  async stop(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }

  /** How many watchers are open (each subscription holds one until it ends). */
  watching(): number {
    let count = 0;
    for (const listeners of this.#listeners.values()) count += listeners.size;
    return count;
  }

  async *watch(taskId: string, signal?: AbortSignal): AsyncGenerator<IngestionTask> {
    let changed = true;
    let wakeUp: (() => void) | undefined;
    const wake = () => {
      changed = true;
      wakeUp?.();
    };
    const listeners = this.#listeners.get(taskId) ?? new Set();
    listeners.add(wake);
    this.#listeners.set(taskId, listeners);
    signal?.addEventListener('abort', wake);
    let lastSeen = '';
    let failedReads = 0;
    let rereadTimer: NodeJS.Timeout | undefined;
    try {
      while (!signal?.aborted) {
        if (!changed) {
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
          });
          wakeUp = undefined;
          continue;
        }
        changed = false;
        let task: IngestionTask | null;
        try {
          task = await this.#tasks.getById(taskId);
        } catch (error) {
          if (!isTransient(error)) throw error;
          // The database went away under this read (a restart, a terminated backend): the subscriber keeps its
          // stream, and the read is tried again later, or as soon as the LISTEN connection is back and wakes all.
          failedReads += 1;
          clearTimeout(rereadTimer);
          rereadTimer = setTimeout(wake, Math.min(REREAD_MAX_DELAY_MS, REREAD_FIRST_DELAY_MS * 2 ** (failedReads - 1)));
          continue;
        }
        failedReads = 0;
        if (!task) return;
        const fingerprint = `${task.updatedAt.getTime()}|${task.status}|${task.rowsTotal}|${task.fileSizeBytes}`;
        if (fingerprint !== lastSeen) {
          lastSeen = fingerprint;
          yield task;
        }
        if (isTerminal(task.status)) return;
      }
    } finally {
      clearTimeout(rereadTimer);
      listeners.delete(wake);
      if (listeners.size === 0) this.#listeners.delete(taskId);
      signal?.removeEventListener('abort', wake);
    }
  }
}
