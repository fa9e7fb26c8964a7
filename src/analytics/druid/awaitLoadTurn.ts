import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../errors/AppError.ts';
import type { StoreLoadJournal } from '../../tasks/StoreLoadJournal.ts';
import type { AttemptRef } from '../../tasks/TaskAttempts.ts';
import { CommitRefused } from '../AnalyticsStore.ts';

export interface LoadTurnInput {
  journal: StoreLoadJournal;
  ref: AttemptRef;
  /** The days the load writes. */
  interval: { start: Date; end: Date };
  /** How long to wait before giving up (DRUID_UNAVAILABLE, retried). */
  timeoutMs: number;
  pollMs?: number;
  /** Told once, when the load has to wait, which tasks it waits for. */
  onWaiting: (blockers: string[]) => Promise<void>;
  signal?: AbortSignal;
}

/**
 * Waits until this load may be submitted to Druid. Appends to the same days run side by side (Druid's concurrent
 * APPEND locks); a REPLACE and any other load of overlapping days are ordered by their place in the data source's
 * queue: the later one is submitted only once the earlier one has succeeded or settled (its rows verified and
 * committed, or taken back). So a REPLACE never replaces rows whose task is still checking them, an APPEND never lands
 * on a REPLACE that may yet be taken back, and neither is ever lost or failed for a lock. A place once taken is kept
 * by later attempts of the same task.
 */
export async function awaitLoadTurn(input: LoadTurnInput): Promise<void> {
  const { journal, ref } = input;
  if (!(await journal.queueStoreLoad(ref, input.interval))) {
    throw new CommitRefused('the task was cancelled (or another attempt took over) before its load was submitted');
  }
  const deadline = performance.now() + input.timeoutMs;
  let told = false;
  for (;;) {
    const blockers = await journal.storeLoadBlockers(ref.taskId);
    if (blockers.length === 0) return;
    if (!told) {
      told = true;
      await input.onWaiting(blockers);
    }
    if (performance.now() > deadline) {
      throw new AppError(
        'DRUID_UNAVAILABLE',
        `waited ${Math.round(input.timeoutMs / 1000)} s for task(s) ${blockers.join(', ')} loading the same days of the data source to finish`,
      );
    }
    await sleep(input.pollMs ?? 1_000, undefined, input.signal ? { signal: input.signal } : undefined);
  }
}
