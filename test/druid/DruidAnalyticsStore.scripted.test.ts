import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { LoadRequest } from '../../src/analytics/AnalyticsStore.ts';
import { DruidAnalyticsStore } from '../../src/analytics/druid/DruidAnalyticsStore.ts';
import { DruidClient } from '../../src/analytics/druid/DruidClient.ts';
import { druidTaskId } from '../../src/analytics/druid/ingestionSpec.ts';
import { AppError } from '../../src/errors/AppError.ts';

/**
 * The store's decisions (adopt or submit, reconcile, wait, give up) against a scripted stand-in for the Druid
 * router: fast, and no Druid needed. The real cluster is exercised in DruidAnalyticsStore.test.ts.
 */
interface FakeTask {
  statusCode: 'RUNNING' | 'SUCCESS' | 'FAILED';
  errorMsg?: string;
  processed: number;
  unparseable?: number;
}

describe('DruidAnalyticsStore against a scripted Druid', () => {
  let server: Server;
  let url: string;
  let tasks: Map<string, FakeTask>;
  let submitted: string[];
  let shutdowns: string[];
  let refuseSubmit: string | null;
  let loadPercent: number;
  /** What SQL reports for the task's rows. */
  let visibleRows: number;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        const path = req.url ?? '';
        const taskMatch = /^\/druid\/indexer\/v1\/task\/([^/?]+)\/(status|reports|shutdown|log)/.exec(path);
        if (req.method === 'POST' && path === '/druid/indexer/v1/task') {
          const { id } = JSON.parse(body) as { id: string };
          if (refuseSubmit) return json(400, { errorCode: 'invalidInput', errorMessage: refuseSubmit });
          if (tasks.has(id))
            return json(400, { errorCode: 'entryAlreadyExists', errorMessage: `Task[${id}] already exists` });
          submitted.push(id);
          tasks.set(id, { statusCode: 'SUCCESS', processed: 3 });
          return json(200, { task: id });
        }
        if (taskMatch?.[1] && taskMatch[2]) {
          const id = decodeURIComponent(taskMatch[1]);
          const task = tasks.get(id);
          if (!task) return res.writeHead(404).end(`Cannot find any task with id: [${id}]`);
          if (taskMatch[2] === 'status')
            return json(200, {
              task: id,
              status: { statusCode: task.statusCode, runnerStatusCode: 'RUNNING', errorMsg: task.errorMsg ?? null },
            });
          if (taskMatch[2] === 'shutdown') {
            shutdowns.push(id);
            task.statusCode = 'FAILED';
            return json(200, { task: id });
          }
          if (taskMatch[2] === 'log') return res.end('2026-01-01 ERROR [main] Foo - it broke\nFinished peon task\n');
          const stats = {
            processed: task.processed,
            processedWithError: 0,
            thrownAway: 0,
            unparseable: task.unparseable ?? 0,
          };
          return json(200, {
            ingestionStatsAndErrors: { payload: { rowStats: { determinePartitions: stats, buildSegments: stats } } },
          });
        }
        if (path.includes('/loadstatus')) return json(200, { ds: loadPercent });
        if (path === '/druid/v2/sql') return json(200, [{ n: visibleRows }]);
        res.writeHead(500).end(`unexpected ${req.method} ${path}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    tasks = new Map();
    submitted = [];
    shutdowns = [];
    refuseSubmit = null;
    loadPercent = 100;
    visibleRows = 3;
  });

  const store = () =>
    new DruidAnalyticsStore({
      client: new DruidClient({ url, retryBudgetMs: 2_000, initialBackoffMs: 20 }),
      s3Bucket: 'bucket',
      pollMinMs: 20,
      pollMaxMs: 50,
      queryableTimeoutMs: 500,
    });
  const request = (overrides: Partial<LoadRequest> = {}): LoadRequest => ({
    storeName: 'ds',
    schema: { timestampColumn: 'ts', dimensions: ['store'], metrics: [{ name: 'units', type: 'long' }] },
    taskId: 'task-1',
    attempt: 1,
    validatedFile: '/x.jsonl',
    validatedObjectKey: 'validated/x.jsonl',
    ledger: { rowsValid: 3, metricSums: {} },
    beginCommit: async () => true,
    rowCount: 3,
    mode: 'APPEND',
    interval: { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-03-02T00:00:00Z') },
    previousStoreTaskId: null,
    ...overrides,
  });
  const states = () => {
    const seen: string[] = [];
    return { seen, onProgress: async (p: { storeState: string }) => void seen.push(p.storeState) };
  };

  test('a new attempt after a FAILED one submits its own Druid task', async () => {
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'FAILED', processed: 0 });
    const progress = states();
    await store().load({
      ...request({ attempt: 2, previousStoreTaskId: druidTaskId('task-1', 1) }),
      onProgress: progress.onProgress,
    });
    assert.deepEqual(submitted, [druidTaskId('task-1', 2)]);
    assert.deepEqual(progress.seen, ['SUBMITTED', 'SUCCESS', 'LOADING_SEGMENTS', 'QUERYABLE']);
  });

  test('a new attempt adopts an earlier Druid task that is running or succeeded, even if unrecorded', async () => {
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'SUCCESS', processed: 3 });
    const progress = states();
    await store().load({ ...request({ attempt: 3 }), onProgress: progress.onProgress });
    assert.deepEqual(submitted, []);
    assert.deepEqual(progress.seen[0], 'ADOPTED');
  });

  test('row counters that differ from the validated rows are LEDGER_MISMATCH', async () => {
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'SUCCESS', processed: 2, unparseable: 1 });
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'LEDGER_MISMATCH' &&
        /buildSegments processed 2 rows, validation accepted 3/.test(e.details ?? '') &&
        /unparseable = 1/.test(e.details ?? ''),
    );
  });

  test("a FAILED task is DRUID_TASK_FAILED with Druid's message and the log's ERROR lines", async () => {
    tasks.set(druidTaskId('task-1', 1), {
      statusCode: 'FAILED',
      errorMsg: 'java.lang.RuntimeException: no\n\tat x.y(Z.java:1)',
      processed: 0,
    });
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'DRUID_TASK_FAILED' &&
        /failed: java\.lang\.RuntimeException: no\ntask log:\n.*ERROR \[main\] Foo - it broke$/.test(e.details ?? ''),
    );
  });

  test('a spec Druid refuses is DRUID_TASK_FAILED', async () => {
    refuseSubmit = 'Invalid value for field [dataSource]';
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError && e.code === 'DRUID_TASK_FAILED' && /refused .*Invalid value/.test(e.details ?? ''),
    );
  });

  test('segments that never become queryable are DRUID_UNAVAILABLE within the bound', async () => {
    loadPercent = 50;
    const t0 = performance.now();
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError && e.code === 'DRUID_UNAVAILABLE' && /loadstatus 50 %/.test(e.details ?? ''),
    );
    assert.ok(performance.now() - t0 < 3_000);
  });

  test('more rows for the task than were loaded is LEDGER_MISMATCH', async () => {
    visibleRows = 6;
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError && e.code === 'LEDGER_MISMATCH' && /SQL sees 6 of 3 rows/.test(e.details ?? ''),
    );
  });

  test('a cancelled load shuts its running task down and throws the reason', async () => {
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'RUNNING', processed: 0 });
    const reason = new Error('cancelled');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(store().load({ ...request(), signal: controller.signal }), (e: unknown) => e === reason);
    assert.deepEqual(shutdowns, [druidTaskId('task-1', 1)]);
  });

  test('nothing to load: no Druid task', async () => {
    await store().load(request({ rowCount: 0, interval: null }));
    assert.deepEqual(submitted, []);
  });
});
