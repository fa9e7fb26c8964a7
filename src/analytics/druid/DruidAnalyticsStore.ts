import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../errors/AppError.ts';
import type { DataSourceSchema } from '../../ingest/types.ts';
import {
  type AnalyticsStore,
  CommitRefused,
  type DataSourceSummary,
  LINEAGE_COLUMN,
  type LoadedTotals,
  type LoadRequest,
} from '../AnalyticsStore.ts';
import {
  DruidClient,
  DruidHttpError,
  type DruidTaskStatus,
  druidErrorMessage,
  isoInterval,
  isUnknownDataSourceError,
} from './DruidClient.ts';
import { druidFailureDetails } from './failureDetails.ts';
import { druidTaskId, ingestionSpec, ROW_COUNT_METRIC, s3Uri } from './ingestionSpec.ts';
import { reconcileRowStats } from './reconcileRowStats.ts';

export interface DruidAnalyticsStoreOptions {
  /** The Druid router (DRUID_URL). Ignored when `client` is given. */
  druidUrl?: string;
  /** A ready client (tests: a short retry budget). */
  client?: DruidClient;
  /** The bucket the validated files are in, as Druid's s3 input source sees it. */
  s3Bucket: string;
  /** Retry budget of each Druid call (DruidClient). Default 120 s. */
  retryBudgetMs?: number;
  /** Status polling: first pause, growing ×1.5 up to `pollMaxMs`. Defaults 1 s and 5 s. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** How long a Druid task may stay pending/running before it is shut down (DRUID_UNAVAILABLE). Default 30 min. */
  taskTimeoutMs?: number;
  /** How long, after SUCCESS, the segments may take to become queryable (DRUID_UNAVAILABLE). Default 180 s. */
  queryableTimeoutMs?: number;
  /** Retry budget of `check()`. Default 5 s. */
  checkBudgetMs?: number;
}

/**
 * Storage states reported through `LoadRequest.onProgress`, in order:
 * SUBMITTED (or ADOPTED: an earlier attempt's Druid task is still running or has succeeded) → PENDING / WAITING /
 * RUNNING (Druid's runner states) → SUCCESS | FAILED → LOADING_SEGMENTS → QUERYABLE; SHUTDOWN on cancellation.
 */
export type DruidStoreState =
  | 'SUBMITTED'
  | 'ADOPTED'
  | 'PENDING'
  | 'WAITING'
  | 'RUNNING'
  | 'SUCCESS'
  | 'FAILED'
  | 'LOADING_SEGMENTS'
  | 'QUERYABLE'
  | 'SHUTDOWN';

/** Apache Druid: native batch ingestion from the object store, SQL reads through the router. */
export class DruidAnalyticsStore implements AnalyticsStore {
  readonly kind = 'druid';
  readonly readsValidatedFileFrom = 'objectStore';
  readonly client: DruidClient;
  readonly #s3Bucket: string;
  readonly #pollMinMs: number;
  readonly #pollMaxMs: number;
  readonly #taskTimeoutMs: number;
  readonly #queryableTimeoutMs: number;
  readonly #checkBudgetMs: number;

  constructor(options: DruidAnalyticsStoreOptions) {
    if (!options.client && !options.druidUrl) throw new TypeError('DruidAnalyticsStore needs druidUrl or client');
    this.client =
      options.client ??
      new DruidClient({
        url: options.druidUrl ?? '',
        ...(options.retryBudgetMs ? { retryBudgetMs: options.retryBudgetMs } : {}),
      });
    this.#s3Bucket = options.s3Bucket;
    this.#pollMinMs = options.pollMinMs ?? 1_000;
    this.#pollMaxMs = options.pollMaxMs ?? 5_000;
    this.#taskTimeoutMs = options.taskTimeoutMs ?? 30 * 60_000;
    this.#queryableTimeoutMs = options.queryableTimeoutMs ?? 180_000;
    this.#checkBudgetMs = options.checkBudgetMs ?? 5_000;
  }

  /**
   * Submits (or re-joins) the Druid task of this attempt, waits for it, reconciles its row counters with
   * `request.rowCount` and waits until the rows are queryable. Retry-safe: the Druid task id is deterministic per
   * (task, attempt), and an earlier attempt's task that is still running or has succeeded is adopted instead of
   * ingesting the file a second time.
   */
  async load(request: LoadRequest): Promise<void> {
    const { signal } = request;
    signal?.throwIfAborted();
    if (request.rowCount === 0) return; // nothing to ingest (and a REPLACE without rows has no interval)
    if (!request.validatedObjectKey) {
      throw new AppError('INTERNAL', 'The Druid store reads the validated file from the object store: no object key');
    }
    if (!request.interval)
      throw new AppError('INTERNAL', `Task ${request.taskId} has ${request.rowCount} rows but no interval`);
    const interval = request.interval;
    const progress = async (storeTaskId: string, storeState: DruidStoreState) => {
      await request.onProgress?.({ storeTaskId, storeState });
    };

    let druidId = druidTaskId(request.taskId, request.attempt);
    let status: DruidTaskStatus;
    try {
      const earlier = await this.#liveEarlierJob(request, druidId, signal);
      if (earlier) {
        druidId = earlier;
        await progress(druidId, 'ADOPTED');
      } else {
        const spec = ingestionSpec({
          storeName: request.storeName,
          schema: request.schema,
          taskId: request.taskId,
          attempt: request.attempt,
          s3Uri: s3Uri(this.#s3Bucket, request.validatedObjectKey),
          mode: request.mode,
          interval,
        });
        try {
          await this.client.submitTask(spec, { ...(signal ? { signal } : {}) });
        } catch (error) {
          if (!(error instanceof DruidHttpError)) throw error;
          throw new AppError(
            'DRUID_TASK_FAILED',
            `Druid refused the task ${druidId}: ${druidErrorMessage(error.body)}`,
          );
        }
        await progress(druidId, 'SUBMITTED');
      }
      status = await this.#waitForTask(druidId, progress, signal);
    } catch (error) {
      if (signal?.aborted) {
        await this.client.shutdownTask(druidId, { retryBudgetMs: 15_000 }).catch(() => {});
        await progress(druidId, 'SHUTDOWN').catch(() => {});
        throw signal.reason;
      }
      throw error;
    }

    if (status.statusCode !== 'SUCCESS') {
      await progress(druidId, 'FAILED');
      const report = await this.client.taskReport(druidId).catch(() => null);
      const log = await this.client.taskLogTail(druidId, { bytes: 65_536 });
      throw new AppError(
        'DRUID_TASK_FAILED',
        druidFailureDetails(druidId, status.errorMsg ?? report?.errorMsg, report, log),
      );
    }
    await progress(druidId, 'SUCCESS');
    // The commit point for Druid is its publish, which the task just did. A cancel that came while Druid published
    // (a window of one poll, ≤ pollMaxMs) finds rows already visible: that is logged loudly, and issue 8's
    // compensation (marking the task's segments unused) is still to do.
    if (!(await request.beginCommit())) {
      throw new CommitRefused(`Druid task ${druidId} published before the cancel reached it`);
    }

    // The rows are published now: a cancellation can no longer stop the Druid task, only our waiting.
    try {
      const report = await this.#reportOf(druidId, signal);
      const mismatch = reconcileRowStats(report.rowStats, request.rowCount);
      if (mismatch) throw new AppError('LEDGER_MISMATCH', `Druid task ${druidId}: ${mismatch}`);

      await progress(druidId, 'LOADING_SEGMENTS');
      await this.#waitQueryable(request.storeName, request.taskId, request.rowCount, interval, signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
    await progress(druidId, 'QUERYABLE');
  }

  /**
   * Marks every segment of the data source unused, so its rows leave every query at once, and submits a kill task that
   * deletes the unused segments from deep storage.
   */
  async dropDataSource(storeName: string): Promise<void> {
    await this.client.markDataSourceUnused(storeName);
    await this.client.submitTask({
      id: `tributary_drop_${storeName.replace(/[^A-Za-z0-9_-]/g, '_')}_${Date.now()}`,
      type: 'kill',
      dataSource: storeName,
      interval: '1000-01-01/3000-01-01',
    } as { id: string });
  }

  async totalsForTask(storeName: string, schema: DataSourceSchema, taskId: string): Promise<LoadedTotals> {
    const sums = schema.metrics.map((m, i) => `, SUM(${quote(m.name)}) AS "m${i}"`).join('');
    const rows = await this.#sqlOrNullWhenMissing(
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
    const rows = await this.#sqlOrNullWhenMissing(
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
    const rows = await this.#sqlOrNullWhenMissing(
      `SELECT TIME_FLOOR("__time", 'P1D') AS "day", SUM(${quote(metric)}) AS "value"
       FROM ${quote(storeName)} GROUP BY 1 ORDER BY 1`,
    );
    return (rows ?? []).map((row) => ({ day: dateOrNull(row.day) ?? new Date(0), value: numberOrZero(row.value) }));
  }

  async check(): Promise<void> {
    await this.client.health({ retryBudgetMs: this.#checkBudgetMs });
  }

  async close(): Promise<void> {
    // Nothing to release: fetch keeps no connection we own.
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

  async #waitForTask(
    druidId: string,
    progress: (id: string, state: DruidStoreState) => Promise<void>,
    signal: AbortSignal | undefined,
  ): Promise<DruidTaskStatus> {
    const deadline = performance.now() + this.#taskTimeoutMs;
    let pause = this.#pollMinMs;
    let lastState: string | null = null;
    for (;;) {
      const status = await this.client.taskStatus(druidId, { ...(signal ? { signal } : {}) });
      if (status && status.statusCode !== 'RUNNING') return status;
      const state = status ? runnerState(status) : 'PENDING';
      if (state !== lastState) {
        lastState = state;
        await progress(druidId, state);
      }
      if (performance.now() > deadline) {
        await this.client.shutdownTask(druidId, { retryBudgetMs: 15_000 }).catch(() => {});
        throw new AppError(
          'DRUID_UNAVAILABLE',
          `Druid task ${druidId} did not finish within ${Math.round(this.#taskTimeoutMs / 1000)} s (last state ${state}); it was shut down`,
        );
      }
      await sleep(pause, undefined, signal ? { signal } : undefined);
      pause = Math.min(Math.round(pause * 1.5), this.#pollMaxMs);
    }
  }

  /** The report of a finished task; Druid writes it as the task ends, so give it a few seconds. */
  async #reportOf(druidId: string, signal: AbortSignal | undefined) {
    for (let tries = 1; ; tries++) {
      const report = await this.client.taskReport(druidId, { ...(signal ? { signal } : {}) });
      if (report && Object.keys(report.rowStats).length > 0) return report;
      if (tries >= 10) {
        throw new AppError(
          'DRUID_UNAVAILABLE',
          `Druid task ${druidId} succeeded but has no ingestion report with rowStats`,
        );
      }
      await sleep(1_000, undefined, signal ? { signal } : undefined);
    }
  }

  /**
   * Waits until the coordinator has every segment of the interval loaded AND the broker's SQL sees exactly the
   * task's rows (the broker's view lags the coordinator's by a few seconds).
   */
  async #waitQueryable(
    storeName: string,
    taskId: string,
    rowCount: number,
    interval: { start: Date; end: Date },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const deadline = performance.now() + this.#queryableTimeoutMs;
    const options = signal ? { signal } : {};
    let pause = 500;
    let loaded = 0;
    let visible: number | null = null;
    for (;;) {
      loaded = await this.client.loadStatus(storeName, interval, options);
      if (loaded >= 100) {
        const rows = await this.#sqlOrNullWhenMissing(
          `SELECT SUM(${quote(ROW_COUNT_METRIC)}) AS "n" FROM ${quote(storeName)} WHERE ${quote(LINEAGE_COLUMN)} = ?`,
          [{ type: 'VARCHAR', value: taskId }],
          options,
        );
        visible = numberOrZero(rows?.[0]?.n);
        if (visible === rowCount) return;
      }
      if (performance.now() > deadline) break;
      await sleep(pause, undefined, signal ? { signal } : undefined);
      pause = Math.min(pause * 2, 2_000);
    }
    const seen = `loadstatus ${loaded} % for ${isoInterval(interval)}, SQL sees ${visible ?? 'nothing yet'} of ${rowCount} rows of task ${taskId}`;
    if (loaded >= 100 && visible !== null && visible > rowCount) {
      throw new AppError('LEDGER_MISMATCH', `Druid holds more rows for the task than were loaded: ${seen}`);
    }
    throw new AppError(
      'DRUID_UNAVAILABLE',
      `The loaded segments of ${storeName} did not become queryable within ${Math.round(this.#queryableTimeoutMs / 1000)} s: ${seen}`,
    );
  }

  /** Rows of a SQL query, or null when the data source does not exist (yet). */
  async #sqlOrNullWhenMissing(
    query: string,
    parameters: { type: 'VARCHAR'; value: string }[] = [],
    options: { signal?: AbortSignal } = {},
  ): Promise<Record<string, unknown>[] | null> {
    try {
      return await this.client.sql(query, parameters, options);
    } catch (error) {
      if (isUnknownDataSourceError(error)) return null;
      throw error;
    }
  }
}

function runnerState(status: DruidTaskStatus): DruidStoreState {
  const runner = status.runnerStatusCode;
  return runner === 'PENDING' || runner === 'WAITING' || runner === 'RUNNING' ? runner : 'RUNNING';
}

/** A Druid SQL identifier. */
function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function numberOrZero(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

function dateOrNull(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const date = typeof value === 'number' ? new Date(value) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date;
}
