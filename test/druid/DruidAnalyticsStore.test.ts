import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { LoadRequest } from '../../src/analytics/AnalyticsStore.ts';
import { DruidAnalyticsStore } from '../../src/analytics/druid/DruidAnalyticsStore.ts';
import { DruidClient } from '../../src/analytics/druid/DruidClient.ts';
import { druidTaskId, ingestionSpec, s3Uri } from '../../src/analytics/druid/ingestionSpec.ts';
import { AppError } from '../../src/errors/AppError.ts';
import type { DataSourceSchema } from '../../src/ingest/types.ts';
import { loadServicesEnv, putObject, type ServicesEnv, skipWithoutServices } from './servicesEnv.ts';

const skip = skipWithoutServices;
const run = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${randomBytes(3).toString('hex')}`;
const schema: DataSourceSchema = {
  timestampColumn: 'ts',
  dimensions: ['store', 'region'],
  metrics: [
    { name: 'units', type: 'long' },
    { name: 'revenue', type: 'double' },
  ],
};
const day = { start: new Date('2025-03-01T00:00:00.000Z'), end: new Date('2025-03-02T00:00:00.000Z') };

/** Validated JSON lines as the worker writes them, all on 2025-03-01, with some nulls. */
function salesFile(taskId: string): { body: string; rows: number; units: number; revenue: number } {
  const rows = [
    { __time: '2025-03-01T10:00:00.000Z', store: 'S1', region: 'north', units: 3, revenue: 12.5 },
    { __time: '2025-03-01T11:30:00.000Z', store: 'S2', region: null, units: 1, revenue: 4.25 },
    { __time: '2025-03-01T12:00:00.000Z', store: null, region: 'south', units: null, revenue: 7 },
    { __time: '2025-03-01T13:15:00.000Z', store: 'S1', region: 'north', units: 5, revenue: null },
    { __time: '2025-03-01T23:59:59.999Z', store: 'S3', region: 'east', units: 2, revenue: 0.75 },
  ];
  return {
    body: `${rows.map((r) => JSON.stringify({ ...r, __task_id: taskId })).join('\n')}\n`,
    rows: rows.length,
    units: 11,
    revenue: 24.5,
  };
}

interface Timed {
  states: string[];
  timings: string;
}

/** Loads a file through the store and records when each store state was reported. */
async function timedLoad(store: DruidAnalyticsStore, request: Omit<LoadRequest, 'onProgress'>): Promise<Timed> {
  const t0 = performance.now();
  const at: Record<string, number> = {};
  const states: string[] = [];
  await store.load({
    ...request,
    onProgress: async ({ storeState }) => {
      states.push(storeState);
      at[storeState] = (performance.now() - t0) / 1000;
    },
  });
  const total = (performance.now() - t0) / 1000;
  const success = at.SUCCESS;
  const timings =
    success === undefined
      ? `states ${states.join(' → ')}, ${total.toFixed(1)} s`
      : `submit → SUCCESS ${success.toFixed(1)} s, SUCCESS → queryable ${(total - success).toFixed(1)} s, total ${total.toFixed(1)} s`;
  return { states, timings };
}

describe('DruidAnalyticsStore against the local Druid cluster', () => {
  let env: ServicesEnv;
  let store: DruidAnalyticsStore;
  const dataSource = `tributary_test_${run}`;
  const taskA = randomUUID();
  const taskB = randomUUID();
  const taskC = randomUUID();
  const file = salesFile('');
  const request = (taskId: string, key: string, overrides: Partial<LoadRequest> = {}): LoadRequest => ({
    storeName: dataSource,
    schema,
    taskId,
    attempt: 1,
    validatedFile: '/nonexistent/local/copy.jsonl',
    validatedObjectKey: key,
    rowCount: file.rows,
    ledger: { rowsValid: file.rows, metricSums: {} },
    beginCommit: async () => true,
    mode: 'APPEND',
    interval: day,
    previousStoreTaskId: null,
    ...overrides,
  });
  const upload = async (taskId: string): Promise<string> => {
    const key = `druid-test/${run}/${taskId}.jsonl`;
    await putObject(env, key, salesFile(taskId).body);
    return key;
  };

  before(() => {
    if (skip) return;
    env = loadServicesEnv();
    store = new DruidAnalyticsStore({ druidUrl: env.druidUrl, s3Bucket: env.s3Bucket, retryBudgetMs: 60_000 });
  });
  after(async () => {
    await store?.close();
    env?.s3.destroy();
  });

  test('check() answers; a data source that does not exist yet has zero totals and no summary', { skip }, async () => {
    await store.check();
    assert.deepEqual(await store.totalsForTask(dataSource, schema, taskA), {
      rowCount: 0,
      metricSums: { units: 0, revenue: 0 },
    });
    assert.equal(await store.summary(dataSource, schema), null);
  });

  test('APPEND: the task reads back exactly the file; re-loading it (same or next attempt) ingests nothing new', {
    skip,
  }, async (t) => {
    const key = await upload(taskA);
    const first = await timedLoad(store, request(taskA, key));
    t.diagnostic(`APPEND ${file.rows} rows: ${first.timings}`);
    assert.deepEqual(first.states.slice(0, 1), ['SUBMITTED']);
    assert.deepEqual(first.states.slice(-3), ['SUCCESS', 'LOADING_SEGMENTS', 'QUERYABLE']);
    assert.deepEqual(await store.totalsForTask(dataSource, schema, taskA), {
      rowCount: file.rows,
      metricSums: { units: file.units, revenue: file.revenue },
    });

    // The same spec submitted again (a lost submit reply): accepted, and still one Druid task.
    const spec = ingestionSpec({
      storeName: dataSource,
      schema,
      taskId: taskA,
      attempt: 1,
      s3Uri: s3Uri(env.s3Bucket, key),
      mode: 'APPEND',
      interval: day,
    });
    assert.deepEqual(await store.client.submitTask(spec), { taskId: druidTaskId(taskA, 1), alreadyExisted: true });
    // load() again for the same attempt, then as attempt 2: joins / adopts the succeeded task.
    const again = await timedLoad(store, request(taskA, key));
    assert.equal(again.states[0], 'SUBMITTED');
    const retry = await timedLoad(
      store,
      request(taskA, key, { attempt: 2, previousStoreTaskId: druidTaskId(taskA, 1) }),
    );
    assert.equal(retry.states[0], 'ADOPTED');
    t.diagnostic(`re-load of a loaded task: ${again.timings}; attempt 2: ${retry.timings}`);

    const tasks = await store.client.tasksOfDataSource(dataSource);
    assert.deepEqual(
      tasks.map((x) => x.id),
      [druidTaskId(taskA, 1)],
    );
    assert.equal(await store.client.taskStatus(druidTaskId(taskA, 2)), null);
    assert.equal((await store.totalsForTask(dataSource, schema, taskA)).rowCount, file.rows);
  });

  test('APPEND of the same file as a second task doubles the summary', { skip }, async (t) => {
    const key = await upload(taskB);
    const loaded = await timedLoad(store, request(taskB, key));
    t.diagnostic(`APPEND ${file.rows} rows (second task): ${loaded.timings}`);
    assert.deepEqual(await store.totalsForTask(dataSource, schema, taskB), {
      rowCount: file.rows,
      metricSums: { units: file.units, revenue: file.revenue },
    });
    assert.deepEqual(await store.summary(dataSource, schema), {
      rowCount: 2 * file.rows,
      minTime: new Date('2025-03-01T10:00:00.000Z'),
      maxTime: new Date('2025-03-01T23:59:59.999Z'),
      metricTotals: [
        { name: 'units', sum: 2 * file.units },
        { name: 'revenue', sum: 2 * file.revenue },
      ],
    });
  });

  test("REPLACE of the file's day leaves exactly one copy", { skip }, async (t) => {
    const key = await upload(taskC);
    const loaded = await timedLoad(store, request(taskC, key, { mode: 'REPLACE' }));
    t.diagnostic(`REPLACE of one day, ${file.rows} rows: ${loaded.timings}`);
    const summary = await store.summary(dataSource, schema);
    assert.equal(summary?.rowCount, file.rows);
    assert.deepEqual(summary?.metricTotals, [
      { name: 'units', sum: file.units },
      { name: 'revenue', sum: file.revenue },
    ]);
    assert.equal((await store.totalsForTask(dataSource, schema, taskC)).rowCount, file.rows);
    assert.equal((await store.totalsForTask(dataSource, schema, taskA)).rowCount, 0);
    assert.equal((await store.totalsForTask(dataSource, schema, taskB)).rowCount, 0);
  });

  test("a row Druid cannot parse fails the task with DRUID_TASK_FAILED and Druid's message", { skip }, async (t) => {
    const taskId = randomUUID();
    const key = `druid-test/${run}/${taskId}-bad.jsonl`;
    const good = salesFile(taskId);
    await putObject(
      env,
      key,
      `${good.body}{"__time":"garbage","store":"S9","region":null,"units":1,"revenue":1,"__task_id":"${taskId}"}\n`,
    );
    const t0 = performance.now();
    const error = await store
      .load(request(taskId, key, { storeName: `${dataSource}_bad`, rowCount: good.rows + 1 }))
      .then(
        () => assert.fail('load should have failed'),
        (e: unknown) => e,
      );
    t.diagnostic(`failing task: DRUID_TASK_FAILED after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'DRUID_TASK_FAILED');
    assert.match(error.details ?? '', /Max parse exceptions\[0\] exceeded/);
    assert.match(error.details ?? '', /Timestamp\[garbage\] is unparseable/);
    t.diagnostic(`details: ${error.details}`);
    assert.equal(await store.summary(`${dataSource}_bad`, schema), null);
  });

  test('cancelling a load shuts its Druid task down and rethrows the reason', { skip }, async (t) => {
    const taskId = randomUUID();
    const key = await upload(taskId);
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');
    const t0 = performance.now();
    const error = await store
      .load({
        ...request(taskId, key, { storeName: `${dataSource}_cancel` }),
        signal: controller.signal,
        onProgress: async ({ storeState }) => {
          if (storeState === 'SUBMITTED') setTimeout(() => controller.abort(reason), 1_000);
        },
      })
      .then(
        () => assert.fail('load should have been cancelled'),
        (e: unknown) => e,
      );
    assert.equal(error, reason);
    const id = druidTaskId(taskId, 1);
    let status = await store.client.taskStatus(id);
    while (status?.statusCode === 'RUNNING' && performance.now() - t0 < 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await store.client.taskStatus(id);
    }
    t.diagnostic(
      `cancelled task ${status?.statusCode} after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${status?.errorMsg}`,
    );
    assert.equal(status?.statusCode, 'FAILED');
    assert.equal(await store.summary(`${dataSource}_cancel`, schema), null);
  });
});

describe('DruidClient without Druid', () => {
  test('a closed port is DRUID_UNAVAILABLE within the retry budget', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const client = new DruidClient({ url: `http://127.0.0.1:${port}`, retryBudgetMs: 2_000 });
    const t0 = performance.now();
    const error = await client.taskStatus('any').then(
      () => assert.fail('should not answer'),
      (e: unknown) => e,
    );
    const elapsed = performance.now() - t0;
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'DRUID_UNAVAILABLE');
    assert.equal(error.status, 503);
    assert.match(
      error.details ?? '',
      /task status .*127\.0\.0\.1:\d+.*failed \d+ time\(s\) within 2 s; last error: .*ECONNREFUSED/,
    );
    assert.ok(elapsed >= 1_000 && elapsed <= 2_500, `gave up after ${elapsed} ms`);

    const store = new DruidAnalyticsStore({ client, s3Bucket: 'b', checkBudgetMs: 1_000 });
    await assert.rejects(store.check(), (e: unknown) => e instanceof AppError && e.code === 'DRUID_UNAVAILABLE');
  });

  test('an aborted signal stops the retries at once with its reason', async () => {
    const client = new DruidClient({ url: 'http://127.0.0.1:9', retryBudgetMs: 60_000 });
    const reason = new Error('stop');
    const t0 = performance.now();
    await assert.rejects(
      client.health({ signal: AbortSignal.any([AbortSignal.timeout(300)]) }),
      (e: unknown) => e !== reason,
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 300);
    await assert.rejects(client.health({ signal: controller.signal }), (e: unknown) => e === reason);
    assert.ok(performance.now() - t0 < 5_000);
  });
});
