import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { CommitRefused, type LoadRequest } from '../../src/analytics/AnalyticsStore.ts';
import { DruidAnalyticsStore } from '../../src/analytics/druid/DruidAnalyticsStore.ts';
import { DruidClient } from '../../src/analytics/druid/DruidClient.ts';
import { druidTaskId, ingestionSpec, s3Uri } from '../../src/analytics/druid/ingestionSpec.ts';
import { parseUndoPlan } from '../../src/analytics/druid/PublishUndo.ts';
import { AppError } from '../../src/errors/AppError.ts';
import type { DataSourceSchema } from '../../src/ingest/types.ts';
import { S3ObjectStore } from '../../src/storage/S3ObjectStore.ts';
import { readServicesEnv, s3Settings } from '../support/servicesEnv.ts';
import { loadServicesEnv, type ServicesEnv, skipWithoutServices } from './servicesEnv.ts';
import { TaskRows } from './taskRows.ts';

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

/** Validated JSON lines as the worker writes them, all on 2025-03-01 (or `date`), with some nulls. */
function salesFile(
  taskId: string,
  date = '2025-03-01',
): { body: string; rows: number; units: number; revenue: number } {
  const rows = [
    { __time: '2025-03-01T10:00:00.000Z', store: 'S1', region: 'north', units: 3, revenue: 12.5 },
    { __time: '2025-03-01T11:30:00.000Z', store: 'S2', region: null, units: 1, revenue: 4.25 },
    { __time: '2025-03-01T12:00:00.000Z', store: null, region: 'south', units: null, revenue: 7 },
    { __time: '2025-03-01T13:15:00.000Z', store: 'S1', region: 'north', units: 5, revenue: null },
    { __time: '2025-03-01T23:59:59.999Z', store: 'S3', region: 'east', units: 2, revenue: 0.75 },
  ];
  return {
    body: `${rows.map((r) => JSON.stringify({ ...r, __time: r.__time.replace('2025-03-01', date), __task_id: taskId })).join('\n')}\n`,
    rows: rows.length,
    units: 11,
    revenue: 24.5,
  };
}
const file = salesFile('');
const ledger = { rowsValid: file.rows, metricSums: { units: file.units, revenue: file.revenue } };

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

/** A client that fails `markSegmentsUsed` while `failing` is set: a process dying half-way through an undo. */
class InterruptibleClient extends DruidClient {
  failing = false;
  override async markSegmentsUsed(dataSource: string, segmentIds: string[]): Promise<number> {
    if (this.failing && segmentIds.length > 0) throw new Error('the process died here');
    return super.markSegmentsUsed(dataSource, segmentIds);
  }
}

describe('DruidAnalyticsStore against the local Druid cluster', () => {
  let env: ServicesEnv;
  let rows: TaskRows;
  let client: InterruptibleClient;
  let store: DruidAnalyticsStore;
  let scratch: string;
  const dataSource = `tributary_test_${run}`;
  const taskA = randomUUID();
  const taskB = randomUUID();
  const taskC = randomUUID();

  /** A task row INGESTING in `storeName`, and its validated file on local disk. */
  const prepare = async (
    taskId: string,
    options: { storeName?: string; mode?: 'APPEND' | 'REPLACE'; body?: string } = {},
  ): Promise<string> => {
    await rows.ingesting(taskId, options.storeName ?? dataSource, { mode: options.mode ?? 'APPEND' });
    const validatedFile = path.join(scratch, `${taskId}.jsonl`);
    await writeFile(validatedFile, options.body ?? salesFile(taskId).body);
    return validatedFile;
  };
  const request = (taskId: string, validatedFile: string, overrides: Partial<LoadRequest> = {}): LoadRequest => ({
    storeName: dataSource,
    schema,
    taskId,
    attempt: 1,
    validatedFile,
    rowCount: file.rows,
    ledger,
    beginCommit: () => rows.attempts.beginCommit({ taskId, attempt: overrides.attempt ?? 1 }).then((r) => r === 'ok'),
    mode: 'APPEND',
    interval: day,
    previousStoreTaskId: null,
    ...overrides,
  });
  /** What Druid SQL shows of a data source: all rows, and the rows of one task. */
  const totals = async (storeName: string, taskId: string) => ({
    all: (await store.summary(storeName, schema))?.rowCount ?? 0,
    task: (await store.totalsForTask(storeName, schema, taskId)).rowCount,
  });

  /** The lock a Druid task asked for: concurrent (an APPEND or REPLACE lock) or exclusive. */
  const lockOf = async (druidId: string) => {
    const response = await fetch(`${env.druidUrl}/druid/indexer/v1/task/${encodeURIComponent(druidId)}`);
    const body = (await response.json()) as { payload?: { context?: { useConcurrentLocks?: boolean } } };
    return body.payload?.context?.useConcurrentLocks === true ? 'concurrent' : 'exclusive';
  };

  before(async () => {
    if (skip) return;
    env = loadServicesEnv();
    rows = await TaskRows.create();
    scratch = await mkdtemp(path.join(tmpdir(), 'druid-store-'));
    client = new InterruptibleClient({ url: env.druidUrl, retryBudgetMs: 60_000 });
    const services = readServicesEnv() ?? {};
    store = new DruidAnalyticsStore({
      client,
      s3Bucket: env.s3Bucket,
      objects: new S3ObjectStore({
        endpoint: services.S3_ENDPOINT,
        bucket: env.s3Bucket,
        region: services.S3_REGION ?? 'us-east-1',
        accessKeyId: s3Settings(services).S3_ACCESS_KEY_ID,
        secretAccessKey: s3Settings(services).S3_SECRET_ACCESS_KEY,
        forcePathStyle: true,
      }),
      journal: rows.journal,
      reconcileIdleSeconds: 0,
    });
  });
  after(async () => {
    await store?.close();
    await rows?.close();
    env?.s3.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
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
    const validated = await prepare(taskA);
    const first = await timedLoad(store, request(taskA, validated));
    t.diagnostic(`APPEND ${file.rows} rows: ${first.timings}`);
    assert.equal(await lockOf(druidTaskId(taskA, 1)), 'exclusive', 'the first rows of a day: an exclusive lock');
    assert.deepEqual(first.states.slice(0, 1), ['SUBMITTED']);
    assert.deepEqual(first.states.slice(-3), ['SUCCESS', 'LOADING_SEGMENTS', 'QUERYABLE']);
    assert.deepEqual(await store.totalsForTask(dataSource, schema, taskA), {
      rowCount: file.rows,
      metricSums: { units: file.units, revenue: file.revenue },
    });
    // The store staged the validated file itself, and removed the copy once the load was verified.
    const key = `validated/${dataSource}/${taskA}/attempt-1.jsonl`;
    await assert.rejects(
      env.s3.send(new HeadObjectCommand({ Bucket: env.s3Bucket, Key: key })),
      (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404,
    );

    // The same spec submitted again (a lost submit reply): accepted, and still one Druid task.
    const spec = ingestionSpec({
      storeName: dataSource,
      schema,
      taskId: taskA,
      attempt: 1,
      s3Uri: s3Uri(env.s3Bucket, key),
      mode: 'APPEND',
      interval: day,
      concurrentAppend: false,
    });
    assert.deepEqual(await store.client.submitTask(spec), { taskId: druidTaskId(taskA, 1), alreadyExisted: true });
    // load() again for the same attempt, then as attempt 2: joins / adopts the succeeded task.
    const again = await timedLoad(store, request(taskA, validated));
    assert.equal(again.states[0], 'SUBMITTED');
    await rows.setAttempt(taskA, 2);
    const retry = await timedLoad(
      store,
      request(taskA, validated, { attempt: 2, previousStoreTaskId: druidTaskId(taskA, 1) }),
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
    await rows.setStatus(taskA, 'SUCCEEDED');
  });

  test('APPEND of the same file as a second task doubles the summary', { skip }, async (t) => {
    const loaded = await timedLoad(store, request(taskB, await prepare(taskB)));
    t.diagnostic(`APPEND ${file.rows} rows (second task): ${loaded.timings}`);
    await rows.setStatus(taskB, 'SUCCEEDED');
    assert.equal(await lockOf(druidTaskId(taskB, 1)), 'concurrent', 'a day with committed rows: an APPEND lock');
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

  test('a forced mismatch after an APPEND published: LEDGER_MISMATCH, its segments taken back, totals as before', {
    skip,
  }, async (t) => {
    const taskId = randomUUID();
    const beforeTotals = await totals(dataSource, taskId);
    const t0 = performance.now();
    const error = await store
      .load(request(taskId, await prepare(taskId), { ledger: { ...ledger, metricSums: { units: 12, revenue: 24.5 } } }))
      .catch((e: unknown) => e);
    t.diagnostic(
      `APPEND published, mismatch found and taken back in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    assert.ok(error instanceof AppError && error.code === 'LEDGER_MISMATCH', String(error));
    assert.match(error.details ?? '', /sum of units: validation counted 12, the store holds 11/);
    assert.deepEqual(await totals(dataSource, taskId), beforeTotals);
    const row = await rows.row(taskId);
    assert.ok(row?.store_undone_at && row.store_settled_at);
    const plan = parseUndoPlan(row.store_undo);
    assert.equal(plan.outcome?.code, 'LEDGER_MISMATCH');
    assert.equal(plan.remove.length, 1);
    assert.deepEqual(plan.restore, []);
    assert.equal(row.status, 'INGESTING', 'the worker fails it with the error the load threw');
    await rows.setStatus(taskId, 'FAILED');
  });

  test('an APPEND to a day its undone predecessor left empty gets a new segment id, and its rows show', {
    skip,
  }, async (t) => {
    // With Druid's APPEND lock both would get the id …_1970-01-01T00:00:00.000Z (partition 0): the second publish
    // would collide with the first's unused segment and be lost. Days without committed rows take an exclusive lock.
    const storeName = `${dataSource}_empty_again`;
    const first = randomUUID();
    const undone = await store
      .load(
        request(first, await prepare(first, { storeName }), {
          storeName,
          ledger: { ...ledger, rowsValid: file.rows + 1 },
          rowCount: file.rows + 1,
        }),
      )
      .catch((e: unknown) => e);
    assert.ok(undone instanceof AppError && undone.code === 'LEDGER_MISMATCH', String(undone));
    await rows.setStatus(first, 'FAILED');
    assert.equal((await store.summary(storeName, schema))?.rowCount ?? 0, 0);
    const second = randomUUID();
    const loaded = await timedLoad(store, request(second, await prepare(second, { storeName }), { storeName }));
    t.diagnostic(`APPEND after an undo emptied its day: ${loaded.timings}`);
    await rows.setStatus(second, 'SUCCEEDED');
    assert.equal(await lockOf(druidTaskId(second, 1)), 'exclusive');
    assert.equal((await store.totalsForTask(storeName, schema, second)).rowCount, file.rows);
    assert.equal((await store.summary(storeName, schema))?.rowCount, file.rows);
  });

  test("REPLACE of the file's day leaves exactly one copy", { skip }, async (t) => {
    const loaded = await timedLoad(
      store,
      request(taskC, await prepare(taskC, { mode: 'REPLACE' }), { mode: 'REPLACE' }),
    );
    t.diagnostic(`REPLACE of one day, ${file.rows} rows: ${loaded.timings}`);
    await rows.setStatus(taskC, 'SUCCEEDED');
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

  test('a forced mismatch after a REPLACE published: its segment and tombstone out, the replaced segments back', {
    skip,
  }, async (t) => {
    const taskId = randomUUID();
    const beforeTotals = await totals(dataSource, taskId);
    const beforeSummary = await store.summary(dataSource, schema);
    // Its rows are on 2025-03-02 and it replaces 2025-03-01 too, which holds taskC's rows: Druid publishes a segment
    // for 03-02 and a tombstone for 03-01, both to be taken back, and taskC's segment to be used again.
    const twoDays = { start: day.start, end: new Date('2025-03-03T00:00:00.000Z') };
    const t0 = performance.now();
    const error = await store
      .load(
        request(taskId, await prepare(taskId, { mode: 'REPLACE', body: salesFile(taskId, '2025-03-02').body }), {
          mode: 'REPLACE',
          interval: twoDays,
          ledger: { rowsValid: file.rows + 1, metricSums: ledger.metricSums },
          rowCount: file.rows + 1,
        }),
      )
      .catch((e: unknown) => e);
    t.diagnostic(
      `REPLACE published, mismatch found and taken back in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    assert.ok(error instanceof AppError && error.code === 'LEDGER_MISMATCH', String(error));
    assert.deepEqual(await totals(dataSource, taskId), beforeTotals);
    assert.deepEqual(await store.summary(dataSource, schema), beforeSummary);
    assert.equal((await store.totalsForTask(dataSource, schema, taskC)).rowCount, file.rows, 'taskC is back');
    const plan = parseUndoPlan((await rows.row(taskId))?.store_undo);
    assert.equal(plan.remove.length, 2, `its segment and its tombstone: ${plan.remove.join(', ')}`);
    assert.ok(plan.restore.length >= 1, 'the segments it overshadowed were marked used again');
    await rows.setStatus(taskId, 'FAILED');
  });

  test('a REPLACE cancelled between its publish and the commit point: taken back, and its days hold what they held', {
    skip,
  }, async () => {
    const taskId = randomUUID();
    const beforeSummary = await store.summary(dataSource, schema);
    let cancelledAt: string | null = null;
    const error = await store
      .load(
        request(taskId, await prepare(taskId, { mode: 'REPLACE' }), {
          mode: 'REPLACE',
          beginCommit: async () => {
            // The user's cancel lands just before ours: the commit point refuses.
            await rows.setStatus(taskId, 'CANCELLED');
            cancelledAt = (await store.totalsForTask(dataSource, schema, taskId)).rowCount.toString();
            return (await rows.attempts.beginCommit({ taskId, attempt: 1 })) === 'ok';
          },
        }),
      )
      .catch((e: unknown) => e);
    assert.ok(error instanceof CommitRefused, String(error));
    assert.equal(cancelledAt, String(file.rows), 'its rows were visible when the cancel came');
    assert.deepEqual(await store.summary(dataSource, schema), beforeSummary);
    assert.equal((await store.totalsForTask(dataSource, schema, taskId)).rowCount, 0);
    const row = await rows.row(taskId);
    assert.equal(parseUndoPlan(row?.store_undo).outcome, null);
    assert.ok(row?.store_settled_at);
  });

  test('an undo interrupted half-way (the process died) is finished by the next attempt, which then fails', {
    skip,
  }, async (t) => {
    const taskId = randomUUID();
    const beforeSummary = await store.summary(dataSource, schema);
    const validated = await prepare(taskId, { mode: 'REPLACE' });
    const mismatched = {
      mode: 'REPLACE' as const,
      ledger: { ...ledger, rowsValid: file.rows + 2 },
      rowCount: file.rows + 2,
    };
    client.failing = true;
    const died = await store.load(request(taskId, validated, mismatched)).catch((e: unknown) => e);
    client.failing = false;
    assert.match(String(died), /the process died here/);
    const half = await rows.row(taskId);
    assert.ok(half?.store_undo && !half.store_undone_at, 'the plan was recorded, not finished');

    await rows.setAttempt(taskId, 2);
    const t0 = performance.now();
    const error = await store
      .load(request(taskId, validated, { ...mismatched, attempt: 2, previousStoreTaskId: druidTaskId(taskId, 1) }))
      .catch((e: unknown) => e);
    t.diagnostic(`the next attempt finished the undo in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(error instanceof AppError && error.code === 'LEDGER_MISMATCH', String(error));
    assert.deepEqual(await store.summary(dataSource, schema), beforeSummary);
    assert.equal(await store.client.taskStatus(druidTaskId(taskId, 2)), null, 'nothing loaded again');
    assert.ok((await rows.row(taskId))?.store_undone_at);
    await rows.setStatus(taskId, 'FAILED');
  });

  test('a task that failed after its publish with nobody left to undo it: the reconciler takes the publish back', {
    skip,
  }, async () => {
    const taskId = randomUUID();
    const beforeSummary = await store.summary(dataSource, schema);
    const died = await store
      .load(
        request(taskId, await prepare(taskId), {
          beginCommit: async () => {
            throw new Error('the worker died at its commit point');
          },
        }),
      )
      .catch((e: unknown) => e);
    assert.match(String(died), /died at its commit point/);
    assert.equal((await store.totalsForTask(dataSource, schema, taskId)).rowCount, file.rows);
    await rows.setStatus(taskId, 'FAILED'); // the job ran out of retries
    await rows.age(taskId);
    const result = await store.reconcile();
    assert.deepEqual(result.undone, [taskId]);
    assert.deepEqual(await store.summary(dataSource, schema), beforeSummary);
    assert.deepEqual((await store.reconcile()).undone, [], 'settled: not looked at again');
  });

  test("a row Druid cannot parse fails the task with DRUID_TASK_FAILED and Druid's message", { skip }, async (t) => {
    const taskId = randomUUID();
    const good = salesFile(taskId);
    const storeName = `${dataSource}_bad`;
    const validated = await prepare(taskId, {
      storeName,
      body: `${good.body}{"__time":"garbage","store":"S9","region":null,"units":1,"revenue":1,"__task_id":"${taskId}"}\n`,
    });
    const t0 = performance.now();
    const error = await store.load(request(taskId, validated, { storeName, rowCount: good.rows + 1 })).then(
      () => assert.fail('load should have failed'),
      (e: unknown) => e,
    );
    t.diagnostic(`failing task: DRUID_TASK_FAILED after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'DRUID_TASK_FAILED');
    assert.match(error.details ?? '', /Max parse exceptions\[0\] exceeded/);
    assert.match(error.details ?? '', /Timestamp\[garbage\] is unparseable/);
    t.diagnostic(`details: ${error.details}`);
    assert.equal(await store.summary(storeName, schema), null);
    assert.ok((await rows.row(taskId))?.store_settled_at, 'nothing published: settled');
  });

  test('cancelling a load while its Druid task runs shuts the Druid task down; nothing is published', {
    skip,
  }, async (t) => {
    const taskId = randomUUID();
    const storeName = `${dataSource}_cancel`;
    const validated = await prepare(taskId, { storeName });
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');
    const t0 = performance.now();
    const error = await store
      .load({
        ...request(taskId, validated, { storeName }),
        signal: controller.signal,
        onProgress: async ({ storeState }) => {
          if (storeState === 'SUBMITTED') {
            setTimeout(() => {
              void rows.setStatus(taskId, 'CANCELLED').then(() => controller.abort(reason));
            }, 1_000);
          }
        },
      })
      .then(
        () => assert.fail('load should have been cancelled'),
        (e: unknown) => e,
      );
    assert.equal(error, reason);
    const status = await store.client.taskStatus(druidTaskId(taskId, 1));
    t.diagnostic(
      `cancelled task ${status?.statusCode} after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${status?.errorMsg}`,
    );
    assert.equal(status?.statusCode, 'FAILED');
    assert.equal(await store.summary(storeName, schema), null);
    assert.ok((await rows.row(taskId))?.store_settled_at);
  });

  test('dropDataSource: Druid SQL sees no row of it at once, and a new load into the same name works', {
    skip,
  }, async (t) => {
    const t0 = performance.now();
    await store.dropDataSource(dataSource);
    t.diagnostic(`dropped in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal((await store.summary(dataSource, schema))?.rowCount ?? 0, 0);
    const rowsLeft = await store.client.sql(`SELECT COUNT(*) AS "n" FROM "${dataSource}"`).catch(() => [{ n: 0 }]);
    assert.equal(Number(rowsLeft[0]?.n ?? 0), 0);
    const taskId = randomUUID();
    const loaded = await timedLoad(store, request(taskId, await prepare(taskId)));
    t.diagnostic(`a load into the dropped name: ${loaded.timings}`);
    assert.equal((await store.summary(dataSource, schema))?.rowCount, file.rows);
    const kill = (await store.client.tasksOfDataSource(dataSource)).find((x) => x.id.startsWith('tributary_drop_'));
    assert.ok(kill, 'a kill task was submitted');
    let killStatus = await store.client.taskStatus(kill.id);
    while (killStatus?.statusCode === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 500));
      killStatus = await store.client.taskStatus(kill.id);
    }
    assert.equal(killStatus?.statusCode, 'SUCCESS', 'the kill task was not revoked by the load');
    assert.equal((await store.summary(dataSource, schema))?.rowCount, file.rows);
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

    const store = new DruidAnalyticsStore({
      client,
      s3Bucket: 'b',
      checkBudgetMs: 1_000,
      objects: new S3ObjectStore({
        endpoint: 'http://127.0.0.1:9',
        bucket: 'b',
        region: 'us-east-1',
        accessKeyId: 'x',
        secretAccessKey: 'y',
        forcePathStyle: true,
      }),
      journal: {} as never,
    });
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
