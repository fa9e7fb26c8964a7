import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { type IngestionTask, isTerminal } from './IngestionTask.ts';
import type { TaskStore } from './TaskStore.ts';

export const TASK_UPDATED_CHANNEL = 'tributary_task_updated';

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
    this.#unlisten = await this.#db.listen(TASK_UPDATED_CHANNEL, (taskId) => {
      for (const wake of this.#listeners.get(taskId) ?? []) wake();
    });
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
        const task = await this.#tasks.getById(taskId);
        if (!task) return;
        const fingerprint = `${task.updatedAt.getTime()}|${task.status}|${task.rowsTotal}|${task.fileSizeBytes}`;
        if (fingerprint !== lastSeen) {
          lastSeen = fingerprint;
          yield task;
        }
        if (isTerminal(task.status)) return;
      }
    } finally {
      listeners.delete(wake);
      if (listeners.size === 0) this.#listeners.delete(taskId);
      signal?.removeEventListener('abort', wake);
    }
  }
}
