import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AppError } from '../../errors/AppError.ts';
import { type ErrorCode, isErrorCode } from '../../errors/catalogue.ts';
import type { IngestMode } from '../../tasks/IngestionTask.ts';
import type { StoreLoadJournal } from '../../tasks/StoreLoadJournal.ts';
import type { AttemptRef } from '../../tasks/TaskAttempts.ts';
import type { DruidClient } from './DruidClient.ts';
import { intervalRows, lineageRows } from './druidSql.ts';
import { segmentsOfTask } from './segmentsOfTask.ts';

/** A REPLACE's days as the store showed them just before it was submitted: what its undo restores. */
export interface ReplaceBefore {
  /** The used segments of its days (the ones it overshadows). */
  segments: string[];
  /** The rows Druid SQL showed in its days. */
  rows: number;
}

/** How a publish is taken back; recorded in the task's row before any of it is done, so that any process can finish it. */
export interface UndoPlan {
  storeName: string;
  druidTaskId: string;
  /** The segments the task published (its rows, a REPLACE's tombstones): marked unused. */
  remove: string[];
  /** The segments a REPLACE overshadowed: marked used again, once the ones above are out of the way. */
  restore: string[];
  /** A REPLACE: the rows SQL must show in its days again, [start, end) as ISO instants; null for an APPEND. */
  replaced: { start: string; end: string; rows: number } | null;
  /** How a still-running task ends once the undo is done; null when it has ended already (it was cancelled). */
  outcome: { code: ErrorCode; details: string } | null;
}

export interface TakeBackTarget {
  ref: AttemptRef;
  storeName: string;
  mode: IngestMode;
  interval: { start: Date; end: Date };
  druidTaskId: string;
  outcome: UndoPlan['outcome'];
}

export interface PublishUndoOptions {
  client: DruidClient;
  journal: StoreLoadJournal;
  /** How long finding the task's segments, and then seeing the earlier totals again, may each take. */
  timeoutMs: number;
  pollMs?: number;
  log: Logger;
}

/**
 * The compensating step for a Druid publish that must not stay (the task was cancelled after Druid published, or its
 * rows do not balance with its ledger): the segments the task published are marked unused and, for a REPLACE, the ones
 * it overshadowed are marked used again; then we wait until Druid SQL shows none of the task's rows and a REPLACE's
 * days hold what they held before. The plan is recorded in the task's row first, and every step is safe to repeat, so
 * whoever finds it unfinished (the next attempt of the task, or the reconciler) carries it out again.
 */
export class PublishUndo {
  readonly #options: PublishUndoOptions;

  constructor(options: PublishUndoOptions) {
    this.#options = options;
  }

  /**
   * Finds what the task published, records the plan and carries it out. Returns the plan in force, or null when the
   * task may keep its rows after all (another attempt of it committed them).
   */
  async takeBack(target: TakeBackTarget): Promise<UndoPlan | null> {
    const { client, journal, log } = this.#options;
    const report = await client.taskReport(target.druidTaskId).catch(() => null);
    const remove = await segmentsOfTask(client, {
      storeName: target.storeName,
      taskId: target.ref.taskId,
      mode: target.mode,
      interval: target.interval,
      segmentsPublished: report?.segmentsPublished ?? null,
      timeoutMs: this.#options.timeoutMs,
      ...(this.#options.pollMs ? { pollMs: this.#options.pollMs } : {}),
    });
    const before =
      target.mode === 'REPLACE' ? parseReplaceBefore((await journal.storeLoadOf(target.ref.taskId))?.before) : null;
    if (target.mode === 'REPLACE' && !before) {
      log.error(
        { taskId: target.ref.taskId },
        'a REPLACE to take back has no record of what it replaced; its days stay empty',
      );
    }
    const plan: UndoPlan = {
      storeName: target.storeName,
      druidTaskId: target.druidTaskId,
      remove,
      restore: (before?.segments ?? []).filter((id) => !remove.includes(id)),
      replaced: before
        ? { start: target.interval.start.toISOString(), end: target.interval.end.toISOString(), rows: before.rows }
        : null,
      outcome: target.outcome,
    };
    const recorded = await journal.recordStoreUndo(target.ref, plan);
    if (recorded === null) return null;
    const inForce = parseUndoPlan(recorded);
    log.warn(
      { taskId: target.ref.taskId, druidTaskId: inForce.druidTaskId, remove: inForce.remove, restore: inForce.restore },
      'taking back a Druid publish',
    );
    await this.carryOut(target.ref.taskId, inForce);
    return inForce;
  }

  /** Carries out a recorded plan (again): safe to repeat; marks the task's undo done once SQL shows the result. */
  async carryOut(taskId: string, plan: UndoPlan): Promise<void> {
    const { client, journal, timeoutMs } = this.#options;
    const replaced = plan.replaced
      ? { start: new Date(plan.replaced.start), end: new Date(plan.replaced.end), rows: plan.replaced.rows }
      : null;
    const deadline = performance.now() + timeoutMs;
    let seen = '';
    for (;;) {
      // Ours out first: Druid marks no segment used that a used one overshadows. Repeated each round, in case the
      // coordinator marked a restored segment unused again as overshadowed before ours were out.
      await client.markSegmentsUnused(plan.storeName, plan.remove);
      await client.markSegmentsUsed(plan.storeName, plan.restore);
      const left = await lineageRows(client, plan.storeName, taskId);
      const rows = replaced ? await intervalRows(client, plan.storeName, replaced) : null;
      if (left === 0 && (replaced === null || rows === replaced.rows)) break;
      seen = `SQL still sees ${left} of the task's rows${replaced ? `, and ${rows} rows in its days (${replaced.rows} before it)` : ''}`;
      if (performance.now() > deadline) {
        throw new AppError(
          'DRUID_UNAVAILABLE',
          `taking back task ${taskId}'s publish in ${plan.storeName} did not show within ${Math.round(timeoutMs / 1000)} s: ${seen}`,
        );
      }
      await sleep(this.#options.pollMs ?? 1_000);
    }
    await journal.markStoreUndone(taskId);
  }
}

/** The error a task ends with once its publish is taken back, when it was still running. */
export function outcomeError(plan: UndoPlan): AppError | null {
  return plan.outcome ? new AppError(plan.outcome.code, plan.outcome.details) : null;
}

/** A plan as recorded (our own JSON); a broken one is an internal error, not a guess. */
export function parseUndoPlan(value: unknown): UndoPlan {
  const plan = value as Partial<UndoPlan> | null;
  const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((x) => typeof x === 'string');
  if (
    !plan ||
    typeof plan.storeName !== 'string' ||
    typeof plan.druidTaskId !== 'string' ||
    !strings(plan.remove) ||
    !strings(plan.restore) ||
    (plan.outcome !== null && !(plan.outcome && isErrorCode(plan.outcome.code)))
  ) {
    throw new AppError(
      'INTERNAL',
      `an undo plan in the task's row is not one this version wrote: ${JSON.stringify(value)}`,
    );
  }
  return plan as UndoPlan;
}

export function parseReplaceBefore(value: unknown): ReplaceBefore | null {
  const before = value as Partial<ReplaceBefore> | null | undefined;
  if (!before || !Array.isArray(before.segments) || typeof before.rows !== 'number') return null;
  return { segments: before.segments.map(String), rows: before.rows };
}
