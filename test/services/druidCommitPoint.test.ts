import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { LoadRequest } from '../../src/analytics/AnalyticsStore.ts';
import { druidTaskId } from '../../src/analytics/druid/ingestionSpec.ts';
import { storeNameOf } from '../../src/datasources/DataSourceStore.ts';
import { call, getTask, type Task, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { gate } from '../support/gate.ts';
import { readServicesEnv, s3Settings, servicesMissing } from '../support/servicesEnv.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';
import { wrapLoad } from '../support/wrapLoad.ts';
import { druidRowsByTask, druidTotals, salesCsv } from './druidTotals.ts';

const env = readServicesEnv();
const TIMEOUT = 300_000;
const DAY = '2025-07-01';

/**
 * One commit point per task on Druid, end to end through the HTTP API: a cancel at every status of a Druid load and a
 * mismatch forced after the publish, for APPEND and REPLACE. Afterwards the datasource's totals, and the task's own
 * (by lineage), are those from before the task; a SUCCEEDED task's rows are there exactly once.
 */
describe('the commit point on Druid: cancel and mismatch after publish', {
  skip: env ? false : servicesMissing,
}, () => {
  const services = env ?? {};
  const druidUrl = services.DRUID_URL ?? '';
  let app: TestApp;
  /** What the next load does (the default: the real load). */
  let next: (request: LoadRequest, inner: (request: LoadRequest) => Promise<void>) => Promise<void>;

  before(async () => {
    app = await startTestApp({
      backend: 'postgres',
      env: { ...s3Settings(services), DRUID_URL: druidUrl, DRUID_RETRY_SECONDS: '60' },
      wrapAnalytics: (store) => wrapLoad(store, (request, inner) => next(request, inner)),
    });
  });
  after(async () => {
    await app?.close();
  });

  /** A data source with one SUCCEEDED APPEND of 40 rows on DAY: the "before" every test compares with. */
  const seeded = async (prefix: string) => {
    next = (request, inner) => inner(request);
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    const seed = salesCsv(40, DAY, 'seed');
    const upload = await uploadViaRest(app, { dataSourceName: name, filename: 'seed.csv', content: seed.csv });
    const task = await waitForTerminal(app, String(upload.body.taskId), TIMEOUT);
    assert.equal(task.status, 'SUCCEEDED', `${task.errorCode}: ${task.errorMessage}`);
    const storeName = storeNameOf('default', name);
    assert.deepEqual(await druidRowsByTask(druidUrl, storeName), { [task.taskId]: 40 }, 'the seed, exactly once');
    return { name, storeName, before: await druidTotals(druidUrl, storeName) };
  };
  const upload = async (name: string, mode: 'APPEND' | 'REPLACE', label: string) => {
    const file = salesCsv(25, DAY, label);
    const answer = await uploadViaRest(app, {
      dataSourceName: name,
      filename: `${label}.csv`,
      content: file.csv,
      mode,
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return String(answer.body.taskId);
  };
  const cancel = async (taskId: string) => {
    const answer = await call(app, 'POST', `/api/v1/tasks/${taskId}/cancel`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  };
  /** The task's end, and the store as it was before the task: the whole datasource and the task's own rows. */
  const assertStoreAsBefore = async (
    storeName: string,
    before: { rows: number; units: number },
    task: Task,
  ): Promise<void> => {
    assert.deepEqual(await druidTotals(druidUrl, storeName), before, 'the datasource as before the task');
    assert.deepEqual(await druidTotals(druidUrl, storeName, task.taskId), { rows: 0, units: 0 }, 'none of its rows');
  };

  test('a cancel before the Druid task is submitted: CANCELLED, no Druid task, the store as before', {
    timeout: TIMEOUT,
  }, async () => {
    const { name, storeName, before } = await seeded('cancel_before_submit');
    const held = gate();
    next = async (request, inner) => {
      await held.pass();
      await inner(request);
    };
    const taskId = await upload(name, 'APPEND', 'a');
    await held.arrived;
    assert.equal((await getTask(app, taskId)).status, 'INGESTING');
    await cancel(taskId);
    held.open();
    const task = await waitForTerminal(app, taskId, TIMEOUT);
    assert.equal(task.status, 'CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(await druidStatus(druidUrl, druidTaskId(taskId, task.attempt)), null, 'never submitted');
    await assertStoreAsBefore(storeName, before, task);
  });

  test('a cancel while the Druid task runs: it is shut down, nothing published, the store as before', {
    timeout: TIMEOUT,
  }, async () => {
    const { name, storeName, before } = await seeded('cancel_running');
    const taskId = await upload(name, 'APPEND', 'a');
    for (;;) {
      const task = await getTask(app, taskId);
      assert.ok(!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status), `ended first: ${task.status}`);
      if (['PENDING', 'WAITING', 'RUNNING'].includes(task.storeState ?? '')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await cancel(taskId);
    const task = await waitForTerminal(app, taskId, TIMEOUT);
    assert.equal(task.status, 'CANCELLED');
    let status = await druidStatus(druidUrl, task.storeTaskId ?? '');
    for (let i = 0; i < 120 && status === 'RUNNING'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await druidStatus(druidUrl, task.storeTaskId ?? '');
    }
    assert.equal(status, 'FAILED', 'the Druid task was shut down');
    await assertStoreAsBefore(storeName, before, task);
  });

  for (const mode of ['APPEND', 'REPLACE'] as const) {
    test(`${mode}: a cancel between the publish and the commit point: CANCELLED, the publish taken back`, {
      timeout: TIMEOUT,
    }, async (t) => {
      const { name, storeName, before } = await seeded(`cancel_published_${mode.toLowerCase()}`);
      let visibleAtCancel = -1;
      let taskId = '';
      next = (request, inner) =>
        inner({
          ...request,
          beginCommit: async () => {
            // Druid has published and the rows are verified: the user's cancel lands just before our commit point.
            visibleAtCancel = (await druidTotals(druidUrl, storeName, request.taskId)).rows;
            await cancel(request.taskId);
            return request.beginCommit();
          },
        });
      taskId = await upload(name, mode, 'c');
      const task = await waitForTerminal(app, taskId, TIMEOUT);
      assert.equal(task.status, 'CANCELLED');
      assert.equal(visibleAtCancel, 25, 'its rows were visible when the cancel came');
      // CANCELLED at once; the publish is taken back right after (the window the compensating step closes).
      const cancelledAt = Date.parse(task.statusHistory.find((s) => s.status === 'CANCELLED')?.at ?? '');
      await waitForUndone(app, taskId);
      t.diagnostic(
        `${mode}: CANCELLED → undo shown in Druid SQL in ${((Date.now() - cancelledAt) / 1000).toFixed(1)} s`,
      );
      await assertStoreAsBefore(storeName, before, task);
    });

    test(`${mode}: a mismatch found after the publish: FAILED LEDGER_MISMATCH, the publish taken back`, {
      timeout: TIMEOUT,
    }, async () => {
      const { name, storeName, before } = await seeded(`mismatch_${mode.toLowerCase()}`);
      next = async (request, inner) => {
        // The file Druid reads is not what validation counted: APPEND loses its last row, REPLACE one more unit.
        const lines = (await readFile(request.validatedFile, 'utf8')).trimEnd().split('\n');
        const changed =
          mode === 'APPEND'
            ? lines.slice(0, -1)
            : lines.map((line, i) =>
                i === 0 ? line.replace(/"units":(\d+)/, (_, n) => `"units":${Number(n) + 1}`) : line,
              );
        await writeFile(request.validatedFile, `${changed.join('\n')}\n`);
        await inner(request);
      };
      const taskId = await upload(name, mode, 'm');
      const task = await waitForTerminal(app, taskId, TIMEOUT);
      assert.equal(task.status, 'FAILED');
      assert.equal(task.errorCode, 'LEDGER_MISMATCH', task.errorMessage ?? '');
      assert.equal(task.storeState, 'UNDONE');
      await assertStoreAsBefore(storeName, before, task);
    });
  }
});

async function druidStatus(druidUrl: string, druidId: string): Promise<string | null> {
  const response = await fetch(`${druidUrl}/druid/indexer/v1/task/${encodeURIComponent(druidId)}/status`);
  if (response.status === 404) return null;
  const body = (await response.json()) as { status?: { statusCode?: string } | null };
  return body.status?.statusCode ?? null;
}

/** Waits until the task's row says its undo is done (the worker marks it right after Druid SQL showed it). */
async function waitForUndone(app: TestApp, taskId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const rows = await app.services.db.query<{ done: boolean }>(
      'SELECT store_undone_at IS NOT NULL AS done FROM tasks WHERE id = $1',
      [taskId],
    );
    if (rows[0]?.done) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`the undo of task ${taskId} is not done`);
}
