import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../errors/AppError.ts';
import { type DruidClient, type DruidTaskReport, type DruidTaskStatus, isoInterval } from './DruidClient.ts';
import { lineageRows } from './druidSql.ts';

/** Druid's runner states of a task that has not finished, as shown on our task. */
export type DruidRunnerState = 'PENDING' | 'WAITING' | 'RUNNING';

/**
 * Polls a Druid task until it has finished (SUCCESS or FAILED), reporting each new runner state. Past `timeoutMs` the
 * task is shut down and DRUID_UNAVAILABLE thrown.
 */
export async function waitForDruidTask(
  client: DruidClient,
  druidId: string,
  options: {
    pollMinMs: number;
    pollMaxMs: number;
    timeoutMs: number;
    onState: (state: DruidRunnerState) => Promise<void>;
    signal: AbortSignal | undefined;
  },
): Promise<DruidTaskStatus> {
  const { signal } = options;
  const deadline = performance.now() + options.timeoutMs;
  let pause = options.pollMinMs;
  let lastState: string | null = null;
  for (;;) {
    const status = await client.taskStatus(druidId, { ...(signal ? { signal } : {}) });
    if (status && status.statusCode !== 'RUNNING') return status;
    const state = status ? runnerState(status) : 'PENDING';
    if (state !== lastState) {
      lastState = state;
      await options.onState(state);
    }
    if (performance.now() > deadline) {
      await client.shutdownTask(druidId, { retryBudgetMs: 15_000 }).catch(() => {});
      throw new AppError(
        'DRUID_UNAVAILABLE',
        `Druid task ${druidId} did not finish within ${Math.round(options.timeoutMs / 1000)} s (last state ${state}); it was shut down`,
      );
    }
    await sleep(pause, undefined, signal ? { signal } : undefined);
    pause = Math.min(Math.round(pause * 1.5), options.pollMaxMs);
  }
}

/** The report of a finished task; Druid writes it as the task ends, so give it a few seconds. */
export async function finishedTaskReport(
  client: DruidClient,
  druidId: string,
  signal: AbortSignal | undefined,
): Promise<DruidTaskReport> {
  for (let tries = 1; ; tries++) {
    const report = await client.taskReport(druidId, { ...(signal ? { signal } : {}) });
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
 * Waits until the coordinator has every segment of the interval loaded AND the broker's SQL sees exactly the task's
 * rows (the broker's view lags the coordinator's by a few seconds). More rows than loaded is LEDGER_MISMATCH; not
 * there within `timeoutMs`, DRUID_UNAVAILABLE.
 */
export async function waitQueryable(
  client: DruidClient,
  input: {
    storeName: string;
    taskId: string;
    rowCount: number;
    interval: { start: Date; end: Date };
    timeoutMs: number;
    signal: AbortSignal | undefined;
  },
): Promise<void> {
  const { storeName, taskId, rowCount, interval, signal } = input;
  const deadline = performance.now() + input.timeoutMs;
  const options = signal ? { signal } : {};
  let pause = 500;
  let loaded = 0;
  let visible: number | null = null;
  for (;;) {
    loaded = (await client.loadStatus(storeName, interval, options)) ?? 0;
    if (loaded >= 100) {
      visible = await lineageRows(client, storeName, taskId, options);
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
    `The loaded segments of ${storeName} did not become queryable within ${Math.round(input.timeoutMs / 1000)} s: ${seen}`,
  );
}

function runnerState(status: DruidTaskStatus): DruidRunnerState {
  const runner = status.runnerStatusCode;
  return runner === 'PENDING' || runner === 'WAITING' || runner === 'RUNNING' ? runner : 'RUNNING';
}
