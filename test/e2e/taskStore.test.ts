import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { TaskAttempts } from '../../src/tasks/TaskAttempts.ts';
import { backends, startTestApp, type TestApp } from '../support/testApp.ts';

const file = {
  sizeBytes: 10,
  sha256: 'a'.repeat(64),
  format: 'csv',
  gzip: false,
  encoding: 'utf-8',
  delimiter: ',',
  dataSourceName: 'store_test',
};

for (const backend of backends) {
  describe(`TaskStore and JobQueue on ${backend}`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ backend, worker: false });
    });
    after(async () => {
      await app?.close();
    });

    const pending = async () => {
      const taskId = randomUUID();
      await app.services.tasks.createPending({
        taskId,
        workspace: 'default',
        createdBy: 'key:test',
        dataSourceName: 'store_test',
        filename: 'f.csv',
        objectKey: `raw/store_test/${taskId}/f.csv`,
        mode: 'APPEND',
      });
      return taskId;
    };
    const jobsOf = (taskId: string) =>
      app.services.db.query<{ id: string }>(`SELECT id FROM pgboss.job WHERE data->>'taskId' = $1`, [taskId]);

    test('the task row and its job are committed together, or neither is', async () => {
      const failed = await pending();
      await assert.rejects(
        app.services.db.transaction(async (tx) => {
          await app.services.tasks.markUploaded(failed, file, tx);
          await app.services.jobs.sendIngest(failed, tx);
          throw new Error('crash after the insert');
        }),
        /crash after the insert/,
      );
      assert.equal((await app.services.tasks.getById(failed))?.status, 'PENDING');
      assert.equal((await jobsOf(failed)).length, 0);

      const committed = await pending();
      await app.services.db.transaction(async (tx) => {
        await app.services.tasks.markUploaded(committed, file, tx);
        await app.services.jobs.sendIngest(committed, tx);
      });
      assert.equal((await app.services.tasks.getById(committed))?.status, 'UPLOADED');
      assert.equal((await jobsOf(committed)).length, 1);
    });

    test('a terminal task never changes again', async () => {
      const taskId = await pending();
      const attempts = new TaskAttempts(app.services.db);
      const ref = { taskId, attempt: 0 };
      assert.equal(await attempts.markFailed(ref, 'INTERNAL', 'boom', null), true);
      assert.equal(await app.services.tasks.cancel('default', taskId), false);
      assert.equal(await attempts.markFailed(ref, 'LEDGER_MISMATCH', 'again', null), false);
      assert.equal(await attempts.start(taskId), null);
      assert.equal(await attempts.markSucceeded(ref, 1), false);
      const task = await app.services.tasks.getById(taskId);
      assert.equal(task?.status, 'FAILED');
      assert.equal(task?.errorCode, 'INTERNAL');
    });

    test('an upload that stopped arriving is failed by the sweeper as UPLOAD_INTERRUPTED', async () => {
      const taskId = await pending();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const swept = await app.services.tasks.failStalePendingUploads(1);
      assert.ok(swept.some((task) => task.id === taskId));
      const task = await app.services.tasks.getById(taskId);
      assert.equal(task?.status, 'FAILED');
      assert.equal(task?.errorCode, 'UPLOAD_INTERRUPTED');
    });
  });
}
