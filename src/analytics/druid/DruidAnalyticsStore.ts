import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import { AppError } from '../../errors/AppError.ts';
import type { DataSourceSchema } from '../../ingest/types.ts';
import type { ObjectStore } from '../../storage/ObjectStore.ts';
import { validatedObjectKey } from '../../storage/objectKeys.ts';
import type { StoreLoadJournal } from '../../tasks/StoreLoadJournal.ts';
import type { AttemptRef } from '../../tasks/TaskAttempts.ts';
import {
  type AnalyticsStore,
  CommitRefused,
  type DataSourceSummary,
  LINEAGE_COLUMN,
  type LoadedTotals,
  type LoadRequest,
} from '../AnalyticsStore.ts';
import { findLedgerDifferences } from '../ledger.ts';
import { awaitLoadTurn } from './awaitLoadTurn.ts';
import { DruidClient, DruidHttpError, type DruidTaskStatus, druidErrorMessage } from './DruidClient.ts';
import { dateOrNull, intervalRows, numberOrZero, quote, sqlOrNullWhenMissing } from './druidSql.ts';
import { druidFailureDetails } from './failureDetails.ts';
import { druidTaskId, ingestionSpec, ROW_COUNT_METRIC, s3Uri } from './ingestionSpec.ts';
import { mayAppendConcurrently } from './mayAppendConcurrently.ts';
import { PublishReconciler, type ReconcileResult } from './PublishReconciler.ts';
import { outcomeError, PublishUndo, parseUndoPlan, type ReplaceBefore, type UndoPlan } from './PublishUndo.ts';
import { reconcileRowStats } from './reconcileRowStats.ts';
import { finishedTaskReport, waitForDruidTask, waitQueryable } from './waitForDruid.ts';

/** Above Druid's default for batch ingestion (50), so no load of ours revokes the lock of a data source's kill task. */
const KILL_TASK_PRIORITY = 75;

export interface DruidAnalyticsStoreOptions {
  /** The Druid router (DRUID_URL). Ignored when `client` is given. */
  druidUrl?: string;
  /** A ready client (tests: a short retry budget). */
  client?: DruidClient;
  /** The bucket the validated files are staged in, as Druid's s3 input source sees it. */
  s3Bucket: string;
  /** The object store of that bucket: `load` stages each validated file there for Druid to read. */
  objects: ObjectStore;
  /** Where each load's queue place, REPLACE snapshot and undo are recorded: the task's row (StoreLoadJournal). */
  journal: StoreLoadJournal;
  log?: Logger;
  /** Retry budget of each Druid call (DruidClient). Default 120 s. */
  retryBudgetMs?: number;
  /** Status polling: first pause, growing ×1.5 up to `pollMaxMs`. Defaults 1 s and 5 s. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /**
   * How long a Druid task may stay pending/running before it is shut down, and a load may wait for its turn
   * (DRUID_UNAVAILABLE). Default 30 min.
   */
  taskTimeoutMs?: number;
  /**
   * How long, after SUCCESS, the segments may take to become queryable, and an undo to find them and to show its
   * result (DRUID_UNAVAILABLE). Default 180 s.
   */
  queryableTimeoutMs?: number;
  /** Retry budget of `check()`. Default 5 s. */
  checkBudgetMs?: number;
  /** How often a load waiting for its turn, or an undo waiting for its result, looks again. Default 1 s. */
  waitPollMs?: number;
  /**
   * Run the reconciler (PublishReconciler) now and then every this many ms: worker processes. Unset: never (API
   * processes, tests that call `reconcile()` themselves).
   */
  reconcileEveryMs?: number;
  /** The reconciler leaves tasks touched within this many seconds to the attempt that may be finishing them. 120. */
  reconcileIdleSeconds?: number;
}

/**
 * Storage states reported through `LoadRequest.onProgress`, in order:
 * QUEUED (waiting for a REPLACE of the same days, or for the loads a REPLACE comes after) → SUBMITTED (or ADOPTED: an
 * earlier attempt's Druid task is still running or has succeeded) → PENDING / WAITING / RUNNING (Druid's runner states)
 * → SUCCESS | FAILED → LOADING_SEGMENTS → QUERYABLE; SHUTDOWN on cancellation; UNDOING → UNDONE when a publish is
 * taken back.
 */
export type DruidStoreState =
  | 'QUEUED'
  | 'SUBMITTED'
  | 'ADOPTED'
  | 'PENDING'
  | 'WAITING'
  | 'RUNNING'
  | 'SUCCESS'
  | 'FAILED'
  | 'LOADING_SEGMENTS'
  | 'QUERYABLE'
  | 'SHUTDOWN'
  | 'UNDOING'
  | 'UNDONE';

type Progress = (storeTaskId: string, state: DruidStoreState) => Promise<void>;

/**
 * Apache Druid: native batch ingestion of the validated file, staged in the S3 bucket; SQL reads through the router.
 *
 * Druid publishes a task's rows before our commit point (there is no transaction spanning both systems), so the
 * window is closed by compensation: a publish that must not stay (the task was cancelled meanwhile, its rows do not
 * balance with its ledger, or it failed later) is taken back by `PublishUndo`, recorded in the task's row first so
 * that whoever finds it unfinished finishes it (the next attempt of the task, or the reconciler).
 */
export class DruidAnalyticsStore implements AnalyticsStore {
  readonly kind = 'druid';
  readonly validatedFormat = 'jsonl' as const;
  readonly client: DruidClient;
  readonly #s3Bucket: string;
  readonly #objects: ObjectStore;
  readonly #journal: StoreLoadJournal;
  readonly #log: Logger;
  readonly #undo: PublishUndo;
  readonly #reconciler: PublishReconciler;
  readonly #pollMinMs: number;
  readonly #pollMaxMs: number;
  readonly #taskTimeoutMs: number;
  readonly #queryableTimeoutMs: number;
  readonly #checkBudgetMs: number;
  readonly #waitPollMs: number;
  #reconcileTimer: NodeJS.Timeout | null = null;
  #reconciling: Promise<unknown> = Promise.resolve();

  constructor(options: DruidAnalyticsStoreOptions) {
    if (!options.client && !options.druidUrl) throw new TypeError('DruidAnalyticsStore needs druidUrl or client');
    this.client =
      options.client ??
      new DruidClient({
        url: options.druidUrl ?? '',
        ...(options.retryBudgetMs ? { retryBudgetMs: options.retryBudgetMs } : {}),
      });
    this.#s3Bucket = options.s3Bucket;
    this.#objects = options.objects;
    this.#journal = options.journal;
    this.#log = options.log ?? pino({ enabled: false });
    this.#pollMinMs = options.pollMinMs ?? 1_000;
    this.#pollMaxMs = options.pollMaxMs ?? 5_000;
    this.#taskTimeoutMs = options.taskTimeoutMs ?? 30 * 60_000;
    this.#queryableTimeoutMs = options.queryableTimeoutMs ?? 180_000;
    this.#checkBudgetMs = options.checkBudgetMs ?? 5_000;
    this.#waitPollMs = options.waitPollMs ?? 1_000;
    this.#undo = new PublishUndo({
      client: this.client,
      journal: this.#journal,
      timeoutMs: this.#queryableTimeoutMs,
      pollMs: this.#waitPollMs,
      log: this.#log,
    });
    this.#reconciler = new PublishReconciler({
      client: this.client,
      journal: this.#journal,
      undo: this.#undo,
      log: this.#log,
      idleSeconds: options.reconcileIdleSeconds ?? 120,
    });
    if (options.reconcileEveryMs) {
      const run = () => {
        this.#reconciling = this.reconcile().catch((error: unknown) => {
          this.#log.warn({ err: error }, 'reconciling Druid loads failed; trying again later');
        });
      };
      run();
      this.#reconcileTimer = setInterval(run, options.reconcileEveryMs);
      this.#reconcileTimer.unref();
    }
  }

  /**
   * Loads one attempt's rows: waits for its turn among the loads of the same days, stages the validated file in the
   * bucket, submits (or re-joins, or adopts an earlier attempt's) Druid task, and once Druid has published checks the
   * task's row counters, waits until the rows are queryable and checks the task's totals against its ledger — all
   * before the commit point. A publish that then must not stay is taken back before `load` returns or throws.
   */
  async load(request: LoadRequest): Promise<void> {
    const { signal } = request;
    signal?.throwIfAborted();
    if (request.rowCount === 0) return; // nothing to ingest (and a REPLACE without rows has no interval)
    if (!request.interval)
      throw new AppError('INTERNAL', `Task ${request.taskId} has ${request.rowCount} rows but no interval`);
    const interval = request.interval;
    const progress: Progress = async (storeTaskId, storeState) => {
      await request.onProgress?.({ storeTaskId, storeState });
    };
    await this.#finishOwedUndo(request);

    let druidId = druidTaskId(request.taskId, request.attempt);
    let status: DruidTaskStatus;
    try {
      const earlier = await this.#liveEarlierJob(request, druidId, signal);
      if (earlier) {
        druidId = earlier;
        await progress(druidId, 'ADOPTED');
      } else {
        await this.#submit(request, interval, druidId, progress);
      }
      status = await waitForDruidTask(this.client, druidId, {
        pollMinMs: this.#pollMinMs,
        pollMaxMs: this.#pollMaxMs,
        timeoutMs: this.#taskTimeoutMs,
        onState: (state) => progress(druidId, state),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) {
        await this.#leave(request, druidId, interval, progress);
        throw signal.reason;
      }
      throw error;
    }

    if (status.statusCode !== 'SUCCESS') {
      await progress(druidId, 'FAILED');
      await this.#journal.settleStoreLoad(request.taskId); // nothing published
      const report = await this.client.taskReport(druidId).catch(() => null);
      const log = await this.client.taskLogTail(druidId, { bytes: 65_536 });
      throw new AppError(
        'DRUID_TASK_FAILED',
        druidFailureDetails(druidId, status.errorMsg ?? report?.errorMsg, report, log),
      );
    }
    await progress(druidId, 'SUCCESS');

    // Published: the rows may show from now on. Until beginCommit says yes, every way out either takes the publish
    // back or leaves it to the attempt that took over (which adopts this Druid task).
    try {
      await this.#verify(request, druidId, interval, progress, signal);
    } catch (error) {
      if (signal?.aborted) {
        await this.#leave(request, druidId, interval, progress);
        throw signal.reason;
      }
      if (error instanceof AppError && error.code === 'LEDGER_MISMATCH') {
        await this.#takeBack(request, druidId, interval, progress, {
          code: 'LEDGER_MISMATCH',
          details: error.details ?? error.message,
        });
      }
      // Anything else (DRUID_UNAVAILABLE: not queryable in time) is retried: the next attempt adopts this Druid task
      // and verifies again; if none follows, the task fails and the reconciler takes the publish back.
      throw error;
    }
    if (!(await request.beginCommit())) {
      const fate = await this.#journal.fateOf({ taskId: request.taskId, attempt: request.attempt });
      // Current: refused for the same file committed by another task meanwhile (the worker fails it DUPLICATE_FILE).
      // Ended: cancelled while Druid published or we verified. Superseded: the new attempt adopts the publish.
      if (fate === 'current' || fate === 'ended') {
        await this.#takeBack(
          request,
          druidId,
          interval,
          progress,
          fate === 'current'
            ? { code: 'DUPLICATE_FILE', details: 'another task of the data source committed the same file first' }
            : null,
        );
      }
      const what = fate === 'superseded' ? 'left to the attempt that took over' : 'taken back';
      throw new CommitRefused(`Druid task ${druidId} published, but the task may not commit (${fate}): ${what}`);
    }
    await this.#deleteValidatedCopies(request);
  }

  /** Carries out the undo of published loads that no attempt will finish (see PublishReconciler). */
  reconcile(): Promise<ReconcileResult> {
    return this.#reconciler.sweep();
  }

  /**
   * Marks every segment of the data source unused, so its rows leave every query, waits until Druid SQL sees none of
   * them, and submits a kill task that deletes the unused segments from deep storage. The kill task asks for
   * concurrent locks and a priority above every ingestion task's (batch ingestion runs at 50): otherwise a load into the
   * same name right after (whose APPEND to an empty day takes an exclusive lock) revokes the kill's lock, and the
   * segments stay in deep storage. With it, such a load waits the few seconds the kill takes.
   */
  async dropDataSource(storeName: string): Promise<void> {
    await this.client.markDataSourceUnused(storeName);
    const deadline = performance.now() + this.#queryableTimeoutMs;
    for (;;) {
      const rows = await sqlOrNullWhenMissing(this.client, `SELECT COUNT(*) AS "n" FROM ${quote(storeName)}`);
      if (numberOrZero(rows?.[0]?.n) === 0) break;
      if (performance.now() > deadline) {
        throw new AppError(
          'DRUID_UNAVAILABLE',
          `the segments of ${storeName} were marked unused, but Druid SQL still sees rows after ${Math.round(this.#queryableTimeoutMs / 1000)} s`,
        );
      }
      await sleep(this.#waitPollMs);
    }
    await this.client.submitTask({
      id: `tributary_drop_${storeName.replace(/[^A-Za-z0-9_-]/g, '_')}_${Date.now()}`,
      type: 'kill',
      dataSource: storeName,
      interval: '1000-01-01/3000-01-01',
      context: { useConcurrentLocks: true, priority: KILL_TASK_PRIORITY },
    } as { id: string });
  }

  async totalsForTask(storeName: string, schema: DataSourceSchema, taskId: string): Promise<LoadedTotals> {
    const sums = schema.metrics.map((m, i) => `, SUM(${quote(m.name)}) AS "m${i}"`).join('');
    const rows = await sqlOrNullWhenMissing(
      this.client,
      `SELECT SUM(${quote(ROW_COUNT_METRIC)}) AS "row_count"${sums} FROM ${quote(storeName)}
       WHERE ${quote(LINEAGE_COLUMN)} = ?`,
      [{ type: 'VARCHAR', value: taskId }],
    );
    const row = rows?.[0] ?? {};
    return {
      rowCount: numberOrZero(row.row_count),
      metricSums: Object.fromEntries(schema.metrics.map((m, i) => [m.name, numberOrZero(row[`m${i}`])])),
    };
  }

  async summary(storeName: string, schema: DataSourceSchema): Promise<DataSourceSummary | null> {
    const sums = schema.metrics.map((m, i) => `, SUM(${quote(m.name)}) AS "m${i}"`).join('');
    const rows = await sqlOrNullWhenMissing(
      this.client,
      `SELECT SUM(${quote(ROW_COUNT_METRIC)}) AS "row_count", MIN("__time") AS "min_time", MAX("__time") AS "max_time"${sums}
       FROM ${quote(storeName)}`,
    );
    if (rows === null) return null;
    const row = rows[0] ?? {};
    return {
      rowCount: numberOrZero(row.row_count),
      minTime: dateOrNull(row.min_time),
      maxTime: dateOrNull(row.max_time),
      metricTotals: schema.metrics.map((m, i) => ({ name: m.name, sum: numberOrZero(row[`m${i}`]) })),
    };
  }

  async dailySums(storeName: string, metric: string): Promise<{ day: Date; value: number }[]> {
    const rows = await sqlOrNullWhenMissing(
      this.client,
      `SELECT TIME_FLOOR("__time", 'P1D') AS "day", SUM(${quote(metric)}) AS "value"
       FROM ${quote(storeName)} GROUP BY 1 ORDER BY 1`,
    );
    return (rows ?? []).map((row) => ({ day: dateOrNull(row.day) ?? new Date(0), value: numberOrZero(row.value) }));
  }

  async check(): Promise<void> {
    await this.client.health({ retryBudgetMs: this.#checkBudgetMs });
  }

  async close(): Promise<void> {
    // fetch keeps no connection we own; only the reconciler's schedule is ours to stop. A sweep under way gets a few
    // seconds: whatever it leaves unfinished is recorded, and the next sweep (in any worker) finishes it.
    if (this.#reconcileTimer) clearInterval(this.#reconcileTimer);
    this.#reconcileTimer = null;
    await Promise.race([this.#reconciling, sleep(5_000, undefined, { ref: false })]);
  }

  /**
   * An undo recorded for this task by an earlier attempt that died before it was done: finish it, then end the way
   * that attempt decided (the task's error, or nothing more to do). A task whose publish was taken back never loads
   * again (its Druid task must not be adopted).
   */
  async #finishOwedUndo(request: LoadRequest): Promise<void> {
    const entry = await this.#journal.storeLoadOf(request.taskId);
    if (!entry?.undo) return;
    const plan = parseUndoPlan(entry.undo.plan);
    if (!entry.undo.done) await this.#undo.carryOut(request.taskId, plan);
    throw outcomeError(plan) ?? new CommitRefused(`the publish of Druid task ${plan.druidTaskId} was taken back`);
  }

  /**
   * Waits for the load's turn, records what a REPLACE replaces, chooses an APPEND's lock, stages the validated file,
   * submits the Druid task.
   */
  async #submit(
    request: LoadRequest,
    interval: { start: Date; end: Date },
    druidId: string,
    progress: Progress,
  ): Promise<void> {
    const ref: AttemptRef = { taskId: request.taskId, attempt: request.attempt };
    const { signal } = request;
    await awaitLoadTurn({
      journal: this.#journal,
      ref,
      interval,
      timeoutMs: this.#taskTimeoutMs,
      pollMs: this.#waitPollMs,
      onWaiting: () => progress(druidId, 'QUEUED'),
      ...(signal ? { signal } : {}),
    });
    const before = request.mode === 'REPLACE' ? await this.#replaceBefore(request.storeName, interval) : null;
    if (!(await this.#journal.recordStoreBefore(ref, before))) {
      throw new CommitRefused('the task was cancelled (or another attempt took over) before its load was submitted');
    }
    const concurrentAppend =
      request.mode === 'APPEND' &&
      (await mayAppendConcurrently(this.client, this.#journal, request.storeName, interval));
    const key = validatedObjectKey(request.storeName, request.taskId, request.attempt);
    await this.#objects.put(key, createReadStream(request.validatedFile));
    const spec = ingestionSpec({
      storeName: request.storeName,
      schema: request.schema,
      taskId: request.taskId,
      attempt: request.attempt,
      s3Uri: s3Uri(this.#s3Bucket, key),
      mode: request.mode,
      interval,
      concurrentAppend,
    });
    try {
      await this.client.submitTask(spec, { ...(signal ? { signal } : {}) });
    } catch (error) {
      if (!(error instanceof DruidHttpError)) throw error;
      throw new AppError('DRUID_TASK_FAILED', `Druid refused the task ${druidId}: ${druidErrorMessage(error.body)}`);
    }
    await progress(druidId, 'SUBMITTED');
  }

  /** A REPLACE's days just before it is submitted (its turn has come: no other load of them is in flight). */
  async #replaceBefore(storeName: string, interval: { start: Date; end: Date }): Promise<ReplaceBefore> {
    await this.client.loadStatus(storeName, interval); // refreshes the coordinator's segment metadata
    const segments = await this.client.usedSegments(storeName, interval);
    return { segments: segments.map((s) => s.id), rows: await intervalRows(this.client, storeName, interval) };
  }

  /**
   * The published rows must balance before the commit point: Druid's row counters, then the rows SQL sees, then the
   * totals by lineage against the ledger. LEDGER_MISMATCH for any difference.
   */
  async #verify(
    request: LoadRequest,
    druidId: string,
    interval: { start: Date; end: Date },
    progress: Progress,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const report = await finishedTaskReport(this.client, druidId, signal);
    const mismatch = reconcileRowStats(report.rowStats, request.rowCount);
    if (mismatch) throw new AppError('LEDGER_MISMATCH', `Druid task ${druidId}: ${mismatch}`);
    await progress(druidId, 'LOADING_SEGMENTS');
    await waitQueryable(this.client, {
      storeName: request.storeName,
      taskId: request.taskId,
      rowCount: request.rowCount,
      interval,
      timeoutMs: this.#queryableTimeoutMs,
      signal,
    });
    const loaded = await this.totalsForTask(request.storeName, request.schema, request.taskId);
    const differences = findLedgerDifferences(request.schema, request.ledger, loaded);
    if (differences) throw new AppError('LEDGER_MISMATCH', `Druid task ${druidId}: ${differences}`);
    await progress(druidId, 'QUERYABLE');
  }

  /** Takes the attempt's publish back (see PublishUndo), showing it on the task while it runs. */
  async #takeBack(
    request: LoadRequest,
    druidId: string,
    interval: { start: Date; end: Date },
    progress: Progress,
    outcome: UndoPlan['outcome'],
  ): Promise<void> {
    await progress(druidId, 'UNDOING').catch(() => {});
    const plan = await this.#undo.takeBack({
      ref: { taskId: request.taskId, attempt: request.attempt },
      storeName: request.storeName,
      mode: request.mode,
      interval,
      druidTaskId: druidId,
      outcome,
    });
    if (plan) await progress(druidId, 'UNDONE').catch(() => {});
  }

  /**
   * The load was aborted. When the task ended (cancelled), its Druid task is shut down, and whatever it published
   * before the shutdown took effect is taken back; when the job only stopped (the worker is stopping, or another
   * attempt took over), the Druid task runs on for the next attempt to adopt.
   */
  async #leave(
    request: LoadRequest,
    druidId: string,
    interval: { start: Date; end: Date },
    progress: Progress,
  ): Promise<void> {
    const ref: AttemptRef = { taskId: request.taskId, attempt: request.attempt };
    const fate = await this.#journal.fateOf(ref).catch(() => 'current' as const);
    if (fate !== 'ended' && fate !== 'gone') return;
    await this.client.shutdownTask(druidId, { retryBudgetMs: 15_000 }).catch(() => {});
    await progress(druidId, 'SHUTDOWN').catch(() => {});
    try {
      const final = await this.#settledStatus(druidId);
      if (final === 'SUCCESS') await this.#takeBack(request, druidId, interval, progress, null);
      else if (final !== 'RUNNING') await this.#journal.settleStoreLoad(request.taskId);
      // Still running: the reconciler shuts it down again, and takes back whatever it publishes.
    } catch (error) {
      this.#log.warn({ taskId: request.taskId, druidId, err: error }, 'left a cancelled load for the reconciler');
    }
  }

  /** The Druid task's status once a shutdown has had up to 30 s to take effect; null when Druid does not know it. */
  async #settledStatus(druidId: string): Promise<string | null> {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const status = await this.client.taskStatus(druidId, { retryBudgetMs: 15_000 });
      if (status?.statusCode !== 'RUNNING' || performance.now() > deadline) return status?.statusCode ?? null;
      await sleep(this.#pollMinMs);
    }
  }

  /** Best effort: a copy left behind costs space, not correctness (the retention sweep removes it later). */
  async #deleteValidatedCopies(request: LoadRequest): Promise<void> {
    for (let attempt = 1; attempt <= request.attempt; attempt++) {
      const key = validatedObjectKey(request.storeName, request.taskId, attempt);
      await this.#objects.delete(key).catch((error: unknown) => {
        this.#log.warn({ taskId: request.taskId, key, err: error }, 'could not delete a validated copy');
      });
    }
  }

  /**
   * The Druid task of an earlier attempt that is still running or has succeeded, if any: the one the task
   * recorded (`previousStoreTaskId`) first, then the deterministic ids of the earlier attempts, newest first (the
   * recorded id can lag when recording the progress failed).
   */
  async #liveEarlierJob(request: LoadRequest, ownId: string, signal?: AbortSignal): Promise<string | null> {
    const candidates = new Set<string>();
    if (request.previousStoreTaskId) candidates.add(request.previousStoreTaskId);
    for (let earlier = request.attempt - 1; earlier >= 1; earlier--)
      candidates.add(druidTaskId(request.taskId, earlier));
    candidates.delete(ownId);
    for (const id of candidates) {
      const status = await this.client.taskStatus(id, { ...(signal ? { signal } : {}) });
      if (status && (status.statusCode === 'RUNNING' || status.statusCode === 'SUCCESS')) return id;
    }
    return null;
  }
}
