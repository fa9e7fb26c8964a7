import type { Logger } from 'pino';
import type { StoreLoadJournal, UnsettledStoreLoad } from '../../tasks/StoreLoadJournal.ts';
import type { DruidClient } from './DruidClient.ts';
import { druidTaskId } from './ingestionSpec.ts';
import { type PublishUndo, parseUndoPlan } from './PublishUndo.ts';

export interface ReconcileResult {
  /** Loads found clean: no Druid task of theirs published or can still publish. */
  settled: string[];
  /** Loads whose publish was taken back (or whose recorded undo was finished). */
  undone: string[];
  /** Loads with a Druid task still running, asked to shut down (looked at again next time). */
  shutDown: string[];
}

/**
 * Closes, for tasks that failed or were cancelled, whatever window between Druid and our status a dead process left
 * open: a recorded undo not finished, a Druid task of the task that published without anyone taking it back (the
 * process died between the publish and the undo, or the task failed for a reason found outside the store), or one still
 * running. Run by worker processes at start and on a schedule; every step is safe to repeat, from any process.
 */
export class PublishReconciler {
  readonly #client: DruidClient;
  readonly #journal: StoreLoadJournal;
  readonly #undo: PublishUndo;
  readonly #log: Logger;
  /** A task touched within this many seconds is left to the attempt that may still be finishing it. */
  readonly #idleSeconds: number;

  constructor(options: {
    client: DruidClient;
    journal: StoreLoadJournal;
    undo: PublishUndo;
    log: Logger;
    idleSeconds: number;
  }) {
    this.#client = options.client;
    this.#journal = options.journal;
    this.#undo = options.undo;
    this.#log = options.log;
    this.#idleSeconds = options.idleSeconds;
  }

  async sweep(): Promise<ReconcileResult> {
    const result: ReconcileResult = { settled: [], undone: [], shutDown: [] };
    for (const load of await this.#journal.unsettledStoreLoads(this.#idleSeconds, 50)) {
      try {
        const outcome = await this.#reconcile(load);
        result[outcome].push(load.taskId);
      } catch (error) {
        this.#log.warn({ taskId: load.taskId, err: error }, 'could not settle a Druid load yet; trying again later');
      }
    }
    if (result.undone.length + result.shutDown.length > 0) this.#log.warn(result, 'reconciled Druid loads');
    return result;
  }

  async #reconcile(load: UnsettledStoreLoad): Promise<keyof ReconcileResult> {
    if (load.undo && !load.undo.done) {
      await this.#undo.carryOut(load.taskId, parseUndoPlan(load.undo.plan));
      return 'undone';
    }
    const undone = load.undo ? parseUndoPlan(load.undo.plan).druidTaskId : null;
    let running = false;
    let published: string | null = null;
    for (const id of druidTasksOf(load)) {
      const status = await this.#client.taskStatus(id);
      if (status?.statusCode === 'RUNNING') {
        await this.#client.shutdownTask(id);
        running = true;
      } else if (status?.statusCode === 'SUCCESS' && id !== undone) {
        published = id;
      }
    }
    if (running) return 'shutDown';
    // A deleted data source took its rows with it; without its days nothing was ever queued to take back.
    if (published && load.storeName && load.interval) {
      const plan = await this.#undo.takeBack({
        ref: { taskId: load.taskId, attempt: load.attempt },
        storeName: load.storeName,
        mode: load.mode,
        interval: load.interval,
        druidTaskId: published,
        outcome: null,
      });
      if (plan) return 'undone';
    }
    await this.#journal.settleStoreLoad(load.taskId);
    return 'settled';
  }
}

/** Every Druid task one of our tasks can have had: one per attempt (deterministic ids) and the one it recorded. */
function druidTasksOf(load: UnsettledStoreLoad): string[] {
  const ids = new Set<string>();
  for (let attempt = 1; attempt <= load.attempt; attempt++) ids.add(druidTaskId(load.taskId, attempt));
  if (load.storeTaskId) ids.add(load.storeTaskId);
  return [...ids];
}
