import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { workDirOf } from '../../src/app/createServices.ts';
import { TaskAttempts } from '../../src/tasks/TaskAttempts.ts';
import { TaskSweeper } from '../../src/worker/TaskSweeper.ts';
import { call, getTask, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { freePort } from '../support/freePort.ts';
import { multipartBody, slowRequest } from '../support/rawMultipart.ts';
import { backends, startTestApp, type TestApp } from '../support/testApp.ts';

const csv = (rows: number) =>
  `sold_at,store,units\n${Array.from({ length: rows }, (_, i) => `2025-05-01T00:00:00Z,s${i % 5},${i}`).join('\n')}\n`;

for (const backend of backends) {
  describe(`the sweeper on ${backend}`, () => {
    let app: TestApp;
    let sweeper: TaskSweeper;
    before(async () => {
      app = await startTestApp({ backend, worker: false });
      sweeper = new TaskSweeper({
        db: app.services.db,
        tasks: app.services.tasks,
        attempts: new TaskAttempts(app.services.db),
        rejections: app.services.rejections,
        jobs: app.services.jobs,
        objects: app.services.objects,
        workDir: workDirOf(app.services.config),
        maxAttempts: 4,
        staleUploadSeconds: 900,
        retentionDays: 30,
        log: app.services.log,
      });
    });
    after(async () => {
      await app?.close();
    });

    /** A task a dead process left VALIDATING at `attempt`, its job lost (it died on the job's last retry). */
    const orphan = async (attempt: number) => {
      const upload = await uploadViaRest(app, { dataSourceName: 'orphans', filename: 'o.csv', content: csv(20) });
      const taskId = String(upload.body.taskId);
      await app.services.db.query(`DELETE FROM pgboss.job WHERE data->>'taskId' = $1`, [taskId]);
      await app.services.db.query(
        `UPDATE tasks SET status = 'VALIDATING', attempt = $2, updated_at = now() - interval '2 minutes' WHERE id = $1`,
        [taskId, attempt],
      );
      return taskId;
    };

    test('one that has been resumed too often fails instead of looping forever', async () => {
      const taskId = await orphan(4);
      const swept = await sweeper.sweep();
      assert.deepEqual(swept.abandoned, [taskId]);
      const task = await getTask(app, taskId);
      assert.equal(task.status, 'FAILED');
      assert.equal(task.errorCode, 'INTERNAL');
    });

    test('scratch files of no running attempt are removed; a running attempt keeps its own', async () => {
      const workDir = workDirOf(app.services.config);
      await mkdir(workDir, { recursive: true });
      const finished = (
        await app.services.db.query<{ id: string }>(`SELECT id FROM tasks WHERE status = 'FAILED' LIMIT 1`)
      )[0]?.id;
      assert.ok(finished);
      const running = await orphan(3);
      await app.services.db.query(`UPDATE tasks SET updated_at = now() WHERE id = $1`, [running]);
      const stale = `${finished}-attempt-1.jsonl`;
      const live = `${running}-attempt-3.jsonl`;
      await writeFile(path.join(workDir, stale), '{}\n');
      await writeFile(path.join(workDir, live), '{}\n');
      const swept = await sweeper.sweep();
      assert.deepEqual(swept.scratchFiles, [stale]);
      assert.deepEqual(
        (await readdir(workDir)).filter((name) => name.endsWith('.jsonl')),
        [live],
      );
      await app.services.tasks.cancel('default', running).catch(() => {});
      await app.services.db.query(`UPDATE tasks SET status = 'CANCELLED' WHERE id = $1`, [running]);
    });

    test('interrupted object writes are removed once abandoned; one still being written is kept', async () => {
      const folder = path.join(app.dataDir, 'objects', 'raw', 'default.parts');
      await mkdir(folder, { recursive: true });
      const abandoned = path.join(folder, `f.csv.partial-${randomUUID()}`);
      const writing = path.join(folder, `g.csv.partial-${randomUUID()}`);
      await writeFile(abandoned, 'half a file');
      await writeFile(writing, 'a file on its way');
      const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
      await utimes(abandoned, twoHoursAgo, twoHoursAgo);
      const swept = await sweeper.sweep();
      assert.equal(swept.abandonedParts, 1);
      assert.deepEqual(await readdir(folder), [path.basename(writing)]);
    });

    test('past RETENTION_DAYS a finished task loses its raw file and rejections, and keeps its row', async () => {
      const upload = await uploadViaRest(app, {
        dataSourceName: 'retained',
        filename: 'r.csv',
        content: `${csv(40)}2025-02-30T00:00:00Z,s,1\n`,
      });
      const taskId = String(upload.body.taskId);
      await app.services.db.query(
        `UPDATE tasks SET status = 'FAILED', error_code = 'INTERNAL', updated_at = now() - interval '40 days' WHERE id = $1`,
        [taskId],
      );
      await app.services.rejections.add(taskId, [
        { line: 42, column: 'sold_at', code: 'INVALID_TIMESTAMP', message: 'x', raw: 'r' },
      ]);
      const objectKey = (await app.services.tasks.getById(taskId))?.objectKey ?? '';
      const swept = await sweeper.sweep();
      assert.ok(swept.expired.includes(taskId));
      await assert.rejects(app.services.objects.get(objectKey));
      assert.deepEqual(await app.services.rejections.list(taskId, 10), []);
      assert.equal((await getTask(app, taskId)).status, 'FAILED', 'the task row (its ledger) stays');
      assert.ok(!(await sweeper.sweep()).expired.includes(taskId), 'once');
    });

    // Last: it starts the worker, which would take the jobs of the tests above.
    test('a task in progress whose job is gone is sent a new job and reaches SUCCEEDED', async () => {
      const taskId = await orphan(1);
      const swept = await sweeper.sweep();
      assert.deepEqual(swept.resumed, [taskId]);
      await app.startWorker();
      const task = await waitForTerminal(app, taskId);
      assert.equal(task.status, 'SUCCEEDED', `${task.errorCode} ${task.errorMessage}`);
      assert.equal(task.attempt, 2);
      assert.deepEqual((await sweeper.sweep()).resumed, [], 'a finished task is left alone');
    });
  });
}

describe('graceful shutdown of the start command', () => {
  test('SIGTERM: new uploads get 503 SHUTTING_DOWN, the upload arriving finishes, /readyz is 503, exit 0', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-shutdown-'));
    const port = await freePort();
    const child = spawn(process.execPath, [new URL('../../src/main.ts', import.meta.url).pathname], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', SHUTDOWN_GRACE_SECONDS: '20' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    try {
      const baseUrl = `http://127.0.0.1:${port}`;
      let key = '';
      for (let i = 0; i < 600 && key === ''; i++) {
        key = (await readFile(path.join(dataDir, 'admin-api-key'), 'utf8').catch(() => '')).trim();
        const up = await fetch(`${baseUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!up) key = '';
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const api = { baseUrl, authorization: `Bearer ${key}` };
      // An upload that takes ~3 s to arrive, started before the signal.
      const { body, contentType } = multipartBody([
        { name: 'dataSourceName', value: 'shutdown' },
        { name: 'file', value: csv(30_000), filename: 's.csv' },
      ]);
      const pieces: Buffer[] = [];
      for (let at = 0; at < body.length; at += 64 * 1024) pieces.push(body.subarray(at, at + 64 * 1024));
      const arriving = slowRequest(`${baseUrl}/api/v1/uploads`, {
        headers: { authorization: api.authorization, 'content-type': contentType },
        pieces,
        pauseMs: 3000 / pieces.length,
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const refused = await uploadViaRest(api, { dataSourceName: 'shutdown', filename: 'late.csv', content: csv(3) });
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'SHUTTING_DOWN');
      assert.equal((await call(api, 'GET', '/readyz')).status, 503);
      const accepted = await arriving;
      assert.equal(accepted.status, 202, accepted.body);
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, output);
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
