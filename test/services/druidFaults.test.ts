import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { storeNameOf } from '../../src/datasources/DataSourceStore.ts';
import { asTask, authHeaders, getTask, uploadViaGraphql, waitForTerminal } from '../support/client.ts';
import { FaultyProxy } from '../support/faultyProxy.ts';
import { readServicesEnv, s3Settings, servicesMissing } from '../support/servicesEnv.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const env = readServicesEnv();
const TIMEOUT = 240_000;
const csv = 'order_date,store,units\n2025-06-01T10:00:00Z,A,3\n2025-06-01T11:00:00Z,B,4\n2025-06-02T09:00:00Z,A,5\n';

/** Faults against the real stack: Druid behind a proxy that can stop it or lose a reply. */
describe('Druid faults', { skip: env ? false : servicesMissing }, () => {
  const services = env ?? {};
  let proxy: FaultyProxy;
  let app: TestApp;

  before(async () => {
    proxy = await FaultyProxy.start(services.DRUID_URL ?? '');
    app = await startTestApp({
      backend: 'postgres',
      env: { ...s3Settings(services), DRUID_URL: proxy.url, DRUID_RETRY_SECONDS: '6' },
    });
  });
  after(async () => {
    await app?.close();
    await proxy?.close();
  });

  test('a submit whose reply is lost is submitted again and makes no second Druid task', {
    timeout: TIMEOUT,
  }, async () => {
    const dataSource = `lost_reply_${randomBytes(4).toString('hex')}`;
    proxy.dropNextReply((request) => request.method === 'POST' && request.url === '/druid/indexer/v1/task');
    const upload = await uploadViaGraphql(app, { dataSourceName: dataSource, filename: 'f.csv', content: csv });
    const task = await waitForTerminal(app, asTask(upload.result).taskId, TIMEOUT);
    assert.equal(task.status, 'SUCCEEDED', `${task.errorCode}: ${task.errorMessage}`);
    assert.deepEqual(proxy.droppedReplies, ['POST /druid/indexer/v1/task']);
    assert.equal(proxy.requests.filter((r) => r === 'POST /druid/indexer/v1/task').length, 2);
    const druidTasks = (await (
      await fetch(`${services.DRUID_URL}/druid/indexer/v1/tasks?datasource=${storeNameOf('default', dataSource)}`)
    ).json()) as { id: string }[];
    assert.deepEqual(
      druidTasks.map((t) => t.id),
      [task.storeTaskId],
    );
    assert.equal(task.rowsLoaded, 3);
  });

  test('Druid stopped mid-task: bounded retries, then DRUID_UNAVAILABLE, nothing lost', {
    timeout: TIMEOUT,
  }, async () => {
    const dataSource = `stopped_${randomBytes(4).toString('hex')}`;
    const upload = await uploadViaGraphql(app, { dataSourceName: dataSource, filename: 'f.csv', content: csv });
    const taskId = asTask(upload.result).taskId;
    for (;;) {
      const task = await getTask(app, taskId);
      if (task.storeTaskId) break;
      assert.ok(!['SUCCEEDED', 'FAILED'].includes(task.status), `ended before Druid was stopped: ${task.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    proxy.stopService();
    const stoppedAt = Date.now();
    const task = await waitForTerminal(app, taskId, TIMEOUT);
    assert.equal(task.status, 'FAILED');
    assert.equal(task.errorCode, 'DRUID_UNAVAILABLE');
    assert.ok(Date.now() - stoppedAt < 60_000, 'gave up within the bounded retry time');
    // Nothing lost: the task row keeps its ledger and the raw file is still in the bucket.
    assert.equal(task.rowsValid, 3);
    const stored = await app.services.tasks.getById(taskId);
    const raw = await app.services.objects.get(stored?.objectKey ?? '');
    let bytes = 0;
    for await (const chunk of raw) bytes += (chunk as Buffer).length;
    assert.equal(bytes, Buffer.byteLength(csv));
    // The Druid task itself was left running in Druid; stop it so it does not linger.
    await fetch(`${services.DRUID_URL}/druid/indexer/v1/task/${task.storeTaskId}/shutdown`, { method: 'POST' });
  });

  test('cancelling a task shuts its Druid task down', { timeout: TIMEOUT }, async () => {
    const direct = await startTestApp({
      backend: 'postgres',
      env: { ...s3Settings(services), DRUID_URL: services.DRUID_URL ?? '' },
    });
    try {
      const dataSource = `cancelled_${randomBytes(4).toString('hex')}`;
      const upload = await uploadViaGraphql(direct, {
        dataSourceName: dataSource,
        filename: 'f.csv',
        content: csv,
      });
      const taskId = asTask(upload.result).taskId;
      let storeTaskId: string | null = null;
      while (!storeTaskId) {
        const task = await getTask(direct, taskId);
        assert.ok(!['SUCCEEDED', 'FAILED'].includes(task.status), `ended before it could be cancelled: ${task.status}`);
        storeTaskId = task.storeTaskId;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const cancelled = await fetch(`${direct.baseUrl}/api/v1/tasks/${taskId}/cancel`, {
        method: 'POST',
        headers: authHeaders(direct),
      });
      assert.equal(cancelled.status, 200);
      let druidStatus = '';
      for (let i = 0; i < 120 && druidStatus !== 'FAILED' && druidStatus !== 'SUCCESS'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const status = (await (
          await fetch(`${services.DRUID_URL}/druid/indexer/v1/task/${storeTaskId}/status`)
        ).json()) as {
          status?: { statusCode?: string };
        };
        druidStatus = status.status?.statusCode ?? '';
      }
      assert.equal(druidStatus, 'FAILED', 'the Druid task was shut down');
      const task = await getTask(direct, taskId);
      assert.equal(task.status, 'CANCELLED');
    } finally {
      await direct.close();
    }
  });
});
