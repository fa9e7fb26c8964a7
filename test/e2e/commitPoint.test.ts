import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LoadRequest } from '../../src/analytics/AnalyticsStore.ts';
import { AppError } from '../../src/errors/AppError.ts';
import { TaskAttempts } from '../../src/tasks/TaskAttempts.ts';
import { call, getTask, graphql, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { gate } from '../support/gate.ts';
import { gateReads } from '../support/gatedReads.ts';
import { pendingTask } from '../support/pendingTask.ts';
import { backends, startTestApp, type TestApp } from '../support/testApp.ts';
import { wrapLoad } from '../support/wrapLoad.ts';

/** A CSV of `rows` rows on one day, `units` 1..rows. */
const csv = (rows: number, day = '2025-04-01', header = 'sold_at,store,units') =>
  `${header}\n${Array.from({ length: rows }, (_, i) => `${day}T10:00:${String(i % 60).padStart(2, '0')}Z,s${i % 3},${i + 1}`).join('\n')}\n`;

const rowsOf = async (app: TestApp, name: string) =>
  (
    await graphql<{ dataSourceSummary: { rowCount: number } | null }>(
      app,
      'query($n: String!) { dataSourceSummary(dataSourceName: $n) { rowCount } }',
      { n: name },
    )
  ).data?.dataSourceSummary?.rowCount ?? 0;

for (const backend of backends) {
  describe(`one commit point per task, on DuckDB with ${backend}`, () => {
    let app: TestApp;
    /** What the next load does (the default: the real load). */
    let next: (request: LoadRequest, inner: (request: LoadRequest) => Promise<void>) => Promise<void>;
    /** While set, the worker's next read of a raw file is held after its first chunk (the task is VALIDATING). */
    let rawRead: ReturnType<typeof gate> | null = null;
    before(async () => {
      app = await startTestApp({
        backend,
        wrapAnalytics: (store) => wrapLoad(store, (request, inner) => next(request, inner)),
        wrapObjects: (store) => gateReads(store, (key) => (key.startsWith('raw/') ? (rawRead?.pass ?? null) : null)),
      });
    });
    after(async () => {
      await app?.close();
    });

    test('a cancel while INGESTING, before the commit point: CANCELLED and not one row in the store', async () => {
      const waiting = gate();
      next = async (request, inner) => {
        await waiting.pass();
        await inner(request);
      };
      const upload = await uploadViaRest(app, {
        dataSourceName: 'cancel_ingesting',
        filename: 'c.csv',
        content: csv(50),
      });
      await waiting.arrived;
      assert.equal((await getTask(app, String(upload.body.taskId))).status, 'INGESTING');
      const cancelled = await call(app, 'POST', `/api/v1/tasks/${upload.body.taskId}/cancel`);
      assert.equal(cancelled.status, 200);
      waiting.open();
      const task = await waitForTerminal(app, String(upload.body.taskId));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(task.status, 'CANCELLED');
      assert.equal(await rowsOf(app, 'cancel_ingesting'), 0, 'the load was rolled back at the commit point');
    });

    for (const mode of ['APPEND', 'REPLACE'] as const) {
      test(`${mode}: a cancel while VALIDATING or INGESTING leaves the store exactly as it was`, async () => {
        const name = `cancel_each_${mode.toLowerCase()}`;
        next = (request, inner) => inner(request);
        const first = await uploadViaRest(app, { dataSourceName: name, filename: 'a.csv', content: csv(30) });
        assert.equal((await waitForTerminal(app, String(first.body.taskId))).status, 'SUCCEEDED');
        // (A cancel at UPLOADED, before any worker runs: taskFailures.test.ts 'a cancelled task never runs'.)
        const cancelAt = async (status: 'VALIDATING' | 'INGESTING') => {
          const held = gate();
          if (status === 'VALIDATING') rawRead = held;
          next = async (request, inner) => {
            if (status === 'INGESTING') await held.pass();
            await inner(request);
          };
          // The same day as the first file: a REPLACE that went through would leave 12 rows instead of 30.
          const upload = await uploadViaRest(app, { dataSourceName: name, filename: 'b.csv', content: csv(12), mode });
          const taskId = String(upload.body.taskId);
          await held.arrived;
          assert.equal((await getTask(app, taskId)).status, status);
          const cancelled = await call(app, 'POST', `/api/v1/tasks/${taskId}/cancel`);
          assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
          rawRead = null;
          held.open();
          const task = await waitForTerminal(app, taskId);
          await new Promise((resolve) => setTimeout(resolve, 300));
          const after = await getTask(app, taskId);
          assert.equal(after.status, 'CANCELLED', `${mode} at ${status}`);
          assert.equal(task.rowsLoaded, null, `${mode} at ${status}: nothing loaded`);
          assert.equal(await rowsOf(app, name), 30, `${mode} cancelled at ${status}: the 30 earlier rows, no other`);
        };
        await cancelAt('VALIDATING');
        await cancelAt('INGESTING');
      });
    }

    test('past the commit point a cancel is TASK_NOT_CANCELLABLE in REST and GraphQL, and the task succeeds', async () => {
      const committing = gate();
      next = (request, inner) =>
        inner({
          ...request,
          beginCommit: async () => {
            const ok = await request.beginCommit();
            await committing.pass();
            return ok;
          },
        });
      const upload = await uploadViaRest(app, { dataSourceName: 'committing', filename: 'c.csv', content: csv(40) });
      const taskId = String(upload.body.taskId);
      await committing.arrived;
      const rest = await call(app, 'POST', `/api/v1/tasks/${taskId}/cancel`);
      assert.equal(rest.status, 409);
      assert.equal((rest.body as { code: string }).code, 'TASK_NOT_CANCELLABLE');
      const viaGraphql = await graphql(app, 'mutation($id: ID!) { cancelIngestionTask(taskId: $id) { status } }', {
        id: taskId,
      });
      assert.equal(viaGraphql.errors?.[0]?.extensions?.code, 'TASK_NOT_CANCELLABLE');
      committing.open();
      const task = await waitForTerminal(app, taskId);
      assert.equal(task.status, 'SUCCEEDED', `${task.errorCode} ${task.errorMessage}`);
      assert.equal(await rowsOf(app, 'committing'), 40);
    });

    test('a mismatch found before the commit (APPEND and REPLACE): FAILED, and the store is as it was', async () => {
      next = (request, inner) => inner(request);
      const first = await uploadViaRest(app, { dataSourceName: 'mismatch', filename: 'a.csv', content: csv(30) });
      assert.equal((await waitForTerminal(app, String(first.body.taskId))).status, 'SUCCEEDED');
      for (const mode of ['APPEND', 'REPLACE'] as const) {
        // The store is told to expect one row more than the file has: the ledger cannot balance.
        next = (request, inner) =>
          inner({ ...request, ledger: { ...request.ledger, rowsValid: request.ledger.rowsValid + 1 } });
        const upload = await uploadViaRest(app, {
          dataSourceName: 'mismatch',
          filename: 'b.csv',
          content: csv(12),
          mode,
        });
        const task = await waitForTerminal(app, String(upload.body.taskId));
        assert.equal(task.status, 'FAILED', mode);
        assert.equal(task.errorCode, 'LEDGER_MISMATCH', mode);
        assert.equal(task.attempt, 1, 'not retried: a mismatch is not transient');
        assert.equal(await rowsOf(app, 'mismatch'), 30, `${mode}: the 30 earlier rows of that day are untouched`);
      }
    });

    test('a process that stops between the commit and SUCCEEDED: the next attempt finds the rows and finishes', async () => {
      let first = true;
      next = async (request, inner) => {
        await inner(request);
        if (first) {
          first = false;
          // The rows are committed; now the database "goes away" before SUCCEEDED is written.
          throw new AppError('STORAGE_UNAVAILABLE', 'the task database did not answer');
        }
      };
      const upload = await uploadViaRest(app, {
        dataSourceName: 'crash_after_commit',
        filename: 'c.csv',
        content: csv(25),
      });
      const task = await waitForTerminal(app, String(upload.body.taskId), 30_000);
      assert.equal(task.status, 'SUCCEEDED', `${task.errorCode} ${task.errorMessage}`);
      assert.equal(task.attempt, 2);
      assert.equal(task.rowsLoaded, 25);
      assert.equal(await rowsOf(app, 'crash_after_commit'), 25, 'exactly once');
    });

    test('a first upload that fails stores no schema: the next, different file is not SCHEMA_MISMATCH', async () => {
      next = (request, inner) => inner(request);
      // 3 bad dates in 23 rows: 13 % rejected, over the 5 % limit. (Before, the schema was stored anyway.)
      const bad = `${csv(20)}${Array.from({ length: 3 }, () => '2025-02-30,s,1').join('\n')}\n`;
      const failed = await uploadViaRest(app, { dataSourceName: 'first_fails', filename: 'bad.csv', content: bad });
      const done = await waitForTerminal(app, String(failed.body.taskId));
      assert.equal(done.errorCode, 'TOO_MANY_REJECTED_ROWS');
      const schema = await graphql<{ dataSourceSchema: unknown }>(
        app,
        '{ dataSourceSchema(dataSourceName: "first_fails") { timestampColumn } }',
      );
      assert.equal(schema.data?.dataSourceSchema, null);
      const good = await uploadViaRest(app, {
        dataSourceName: 'first_fails',
        filename: 'good.csv',
        content: csv(5, '2025-04-03', 'order_date,region,quantity'),
      });
      const succeeded = await waitForTerminal(app, String(good.body.taskId));
      assert.equal(succeeded.status, 'SUCCEEDED', `${succeeded.errorCode} ${succeeded.errorMessage}`);
    });

    test('an attempt that another took over finds every write refused', async () => {
      const taskId = await pendingTask(app, { dataSourceName: 'fenced', createdBy: 'test' });
      await app.services.db.query(`UPDATE tasks SET status = 'UPLOADED' WHERE id = $1`, [taskId]);
      const attempts = new TaskAttempts(app.services.db);
      const stale = await attempts.start(taskId);
      const current = await attempts.start(taskId);
      assert.equal(current?.attempt, (stale?.attempt ?? 0) + 1);
      const ref = { taskId, attempt: stale?.attempt ?? 0 };
      const progress = { bytesProcessed: 1, rowsTotal: 1, rowsValid: 1, rowsRejected: 0, rejectionCounts: {} };
      assert.equal(await attempts.recordProgress(ref, progress), false);
      assert.equal(await attempts.isCurrent(ref), false);
      assert.equal(await attempts.markFailed(ref, 'INTERNAL', 'stale', null), false);
      assert.equal(await attempts.recordProgress({ taskId, attempt: current?.attempt ?? 0 }, progress), true);
      await app.services.tasks.cancel('default', taskId);
    });
  });
}

describe('two first uploads of one data source on two workers', () => {
  test('one fixes the schema; the other waits for it, then is SCHEMA_MISMATCH (never a store error)', async () => {
    const waiting = gate();
    let held = false;
    const app = await startTestApp({
      env: { WORKER_CONCURRENCY: '2' },
      wrapAnalytics: (store) =>
        wrapLoad(store, async (request, inner) => {
          if (!held) {
            held = true;
            await waiting.pass();
          }
          await inner(request);
        }),
    });
    try {
      const a = await uploadViaRest(app, { dataSourceName: 'race', filename: 'a.csv', content: csv(5) });
      await waiting.arrived;
      const b = await uploadViaRest(app, {
        dataSourceName: 'race',
        filename: 'b.csv',
        content: csv(5, '2025-04-01', 'sold_at,region,quantity'),
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal((await getTask(app, String(b.body.taskId))).status, 'VALIDATING', 'b waits for the claim of a');
      waiting.open();
      assert.equal((await waitForTerminal(app, String(a.body.taskId))).status, 'SUCCEEDED');
      const other = await waitForTerminal(app, String(b.body.taskId), 30_000);
      assert.equal(other.errorCode, 'SCHEMA_MISMATCH', `${other.errorCode} ${other.errorMessage}`);
    } finally {
      waiting.open();
      await app.close();
    }
  });
});

describe('bounded rejections', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ env: { MAX_STORED_REJECTIONS: '100' } });
  });
  after(async () => {
    await app?.close();
  });

  test('200,000 bad lines in one chunk: all counted per code, the first 100 kept, nothing overflows', async () => {
    const content = `${csv(1000)}${'x\n'.repeat(200_000)}`;
    const upload = await uploadViaRest(app, { dataSourceName: 'flood', filename: 'f.csv', content });
    const task = await waitForTerminal(app, String(upload.body.taskId));
    assert.equal(task.errorCode, 'TOO_MANY_REJECTED_ROWS');
    assert.equal(task.rowsRejected, 200_000);
    assert.equal(task.rowsTotal, 201_000);
    assert.deepEqual(task.rejectionCounts, [{ code: 'FIELD_COUNT_MISMATCH', count: 200_000 }]);
    const stored = await app.services.rejections.list(task.taskId, 1000);
    assert.equal(stored.length, 100);
    assert.equal(stored[0]?.line, 1002);
    const csvExport = await call(app, 'GET', `/api/v1/tasks/${task.taskId}/rejections.csv`);
    assert.equal(String(csvExport.body).trim().split('\n').length, 101);
  });
});
