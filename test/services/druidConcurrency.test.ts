import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { storeNameOf } from '../../src/datasources/DataSourceStore.ts';
import { getTask, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { readServicesEnv, s3Settings, servicesMissing } from '../support/servicesEnv.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';
import { druidRowsByTask, druidTotals, salesCsv } from './druidTotals.ts';

const env = readServicesEnv();
const TIMEOUT = 600_000;
const DAYS = ['2025-08-04', '2025-08-05'];

/**
 * Concurrent loads into one Druid datasource, end to end: appends to the same days all succeed (concurrent APPEND
 * locks, and intervals named up front so that a lock is waited for, never failed on), and a REPLACE racing an APPEND
 * of the same day ends as if the two had run one after the other, in the order they reached the load queue.
 */
describe('concurrent loads into one Druid datasource', { skip: env ? false : servicesMissing }, () => {
  const services = env ?? {};
  const druidUrl = services.DRUID_URL ?? '';
  let app: TestApp;

  before(async () => {
    app = await startTestApp({
      backend: 'postgres',
      env: {
        ...s3Settings(services),
        DRUID_URL: druidUrl,
        DRUID_RETRY_SECONDS: '60',
        WORKER_CONCURRENCY: '8',
        MAX_CONCURRENT_UPLOADS: '16',
      },
    });
  });
  after(async () => {
    await app?.close();
  });

  test('6 concurrent APPEND uploads of 20,000 rows to the same days all SUCCEED side by side, every row exactly once', {
    timeout: TIMEOUT,
  }, async (t) => {
    const name = `concurrent_${randomBytes(4).toString('hex')}`;
    const storeName = storeNameOf('default', name);
    // Days that already hold committed rows: the appends take Druid's concurrent APPEND lock (on a day without any,
    // an exclusive one: see ingestionSpec).
    const seed = salesCsv(100, DAYS, 'seed');
    const seeded = await uploadViaRest(app, { dataSourceName: name, filename: 'seed.csv', content: seed.csv });
    assert.equal((await waitForTerminal(app, String(seeded.body.taskId), TIMEOUT)).status, 'SUCCEEDED');

    const files = Array.from({ length: 6 }, (_, i) => salesCsv(20_000, DAYS, `f${i}`));
    const t0 = Date.now();
    const uploads = await Promise.all(
      files.map((file, i) => uploadViaRest(app, { dataSourceName: name, filename: `f${i}.csv`, content: file.csv })),
    );
    for (const upload of uploads) assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const tasks = await Promise.all(uploads.map((u) => waitForTerminal(app, String(u.body.taskId), TIMEOUT)));
    t.diagnostic(`6 × 20,000 rows appended side by side in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const task of tasks) {
      assert.equal(task.status, 'SUCCEEDED', `${task.taskId}: ${task.errorCode} ${task.errorMessage}`);
      assert.equal(task.rowsLoaded, 20_000);
    }
    const byTask = await druidRowsByTask(druidUrl, storeName);
    assert.deepEqual(
      byTask,
      Object.fromEntries([[String(seeded.body.taskId), 100], ...tasks.map((task) => [task.taskId, 20_000])]),
    );
    assert.deepEqual(await druidTotals(druidUrl, storeName), {
      rows: 100 + 6 * 20_000,
      units: seed.units + files.reduce((sum, file) => sum + file.units, 0),
    });
    const druidTasks = await Promise.all(
      tasks.map(async (task) => {
        const id = encodeURIComponent(task.storeTaskId ?? '');
        const status = (await (await fetch(`${druidUrl}/druid/indexer/v1/task/${id}/status`)).json()) as {
          status: { statusCode: string };
        };
        const spec = (await (await fetch(`${druidUrl}/druid/indexer/v1/task/${id}`)).json()) as {
          payload: { context?: { useConcurrentLocks?: boolean } };
        };
        return `${status.status.statusCode} ${spec.payload.context?.useConcurrentLocks ? 'APPEND lock' : 'exclusive'}`;
      }),
    );
    assert.deepEqual(druidTasks, Array(6).fill('SUCCESS APPEND lock'), 'one Druid task each, none failed for a lock');
  });

  test('6 concurrent first uploads to a new data source all SUCCEED (exclusive locks, waited for, never failed)', {
    timeout: TIMEOUT,
  }, async (t) => {
    const name = `first_${randomBytes(4).toString('hex')}`;
    const storeName = storeNameOf('default', name);
    const files = Array.from({ length: 6 }, (_, i) => salesCsv(2_000, DAYS, `g${i}`));
    const t0 = Date.now();
    const uploads = await Promise.all(
      files.map((file, i) => uploadViaRest(app, { dataSourceName: name, filename: `g${i}.csv`, content: file.csv })),
    );
    const tasks = await Promise.all(uploads.map((u) => waitForTerminal(app, String(u.body.taskId), TIMEOUT)));
    t.diagnostic(`6 first uploads of 2,000 rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const task of tasks) assert.equal(task.status, 'SUCCEEDED', `${task.errorCode} ${task.errorMessage}`);
    assert.deepEqual(
      await druidRowsByTask(druidUrl, storeName),
      Object.fromEntries(tasks.map((task) => [task.taskId, 2_000])),
    );
  });

  for (const firstMode of ['APPEND', 'REPLACE'] as const) {
    test(`a REPLACE racing an APPEND of the same day (${firstMode} first): both SUCCEED, in queue order`, {
      timeout: TIMEOUT,
    }, async (t) => {
      const name = `race_${randomBytes(4).toString('hex')}`;
      const storeName = storeNameOf('default', name);
      const seed = salesCsv(100, DAYS[0] as string, 'seed');
      const first = await uploadViaRest(app, { dataSourceName: name, filename: 'seed.csv', content: seed.csv });
      const seeded = await waitForTerminal(app, String(first.body.taskId), TIMEOUT);
      assert.equal(seeded.status, 'SUCCEEDED');

      // The first upload is loading (INGESTING) when the second arrives: both are in flight together.
      const files = {
        APPEND: { content: salesCsv(300, DAYS[0] as string, 'append').csv, rows: 300 },
        REPLACE: { content: salesCsv(200, DAYS[0] as string, 'replace').csv, rows: 200 },
      };
      const secondMode = firstMode === 'APPEND' ? 'REPLACE' : 'APPEND';
      const send = (mode: 'APPEND' | 'REPLACE') =>
        uploadViaRest(app, { dataSourceName: name, filename: `${mode}.csv`, content: files[mode].content, mode });
      const firstId = String((await send(firstMode)).body.taskId);
      while ((await getTask(app, firstId)).status !== 'INGESTING') await new Promise((r) => setTimeout(r, 50));
      const secondId = String((await send(secondMode)).body.taskId);
      const [one, two] = await Promise.all([firstId, secondId].map((id) => waitForTerminal(app, id, TIMEOUT)));
      assert.equal(one?.status, 'SUCCEEDED', `${one?.errorCode} ${one?.errorMessage}`);
      assert.equal(two?.status, 'SUCCEEDED', `${two?.errorCode} ${two?.errorMessage}`);
      const order = await app.services.db.query<{ id: string }>(
        'SELECT id FROM tasks WHERE id = ANY($1::text[]) ORDER BY load_order',
        [[firstId, secondId]],
      );
      assert.deepEqual(
        order.map((row) => row.id),
        [firstId, secondId],
        'queued in the order they reached INGESTING',
      );
      // APPEND then REPLACE: the REPLACE's rows alone. REPLACE then APPEND: the REPLACE's rows and the APPEND's.
      const [appendId, replaceId] = firstMode === 'APPEND' ? [firstId, secondId] : [secondId, firstId];
      const expected =
        firstMode === 'APPEND'
          ? { [replaceId]: files.REPLACE.rows }
          : { [replaceId]: files.REPLACE.rows, [appendId]: files.APPEND.rows };
      assert.deepEqual(await druidRowsByTask(druidUrl, storeName), expected);
      // The second was submitted to Druid only once the first had succeeded.
      const succeededAt = Date.parse(one?.statusHistory.find((s) => s.status === 'SUCCEEDED')?.at ?? '');
      const status = (await (await fetch(`${druidUrl}/druid/indexer/v1/task/${two?.storeTaskId}/status`)).json()) as {
        status: { createdTime: string };
      };
      const gap = Date.parse(status.status.createdTime) - succeededAt;
      t.diagnostic(`the second Druid task was created ${(gap / 1000).toFixed(1)} s after the first task SUCCEEDED`);
      assert.ok(gap >= -1_000, 'submitted after the first succeeded');
    });
  }
});
