import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { storeNameOf } from '../../src/datasources/DataSourceStore.ts';
import { type ChildServer, startChildServer } from '../support/childServer.ts';
import { getTask, type Task, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { readServicesEnv, s3Settings, servicesMissing } from '../support/servicesEnv.ts';
import { createFreshDatabase } from '../support/testDatabase.ts';
import { druidRowsByTask, druidTotals, salesCsv } from './druidTotals.ts';

const env = readServicesEnv();
const TIMEOUT = 900_000;
const UPLOADS = 8;
const ROWS = 5_000;
const DAYS = ['2025-09-01', '2025-09-02'];

/** The tasks a worker's log says it finished: `task succeeded` lines (pino JSON), with the attempt. */
function succeededIn(worker: ChildServer): { taskId: string; attempt: number }[] {
  return worker
    .output()
    .split('\n')
    .filter((line) => line.includes('"task succeeded"'))
    .map((line) => JSON.parse(line) as { taskId: string; attempt: number });
}

async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Scale-out the way users grow past one machine: one `ROLE=api` and two `ROLE=worker` processes (`node src/main.ts`,
 * each with its own DATA_DIR and port) on one PostgreSQL database, the S3 API server and Druid. Eight concurrent
 * uploads to one datasource each end SUCCEEDED exactly once, spread over both workers; one worker is killed with
 * SIGKILL in the middle of a task, and the other finishes that task (pg-boss notices the missing heartbeats and
 * retries the job; the new attempt adopts the dead worker's Druid task).
 */
describe('scale-out: one api and two worker processes', { skip: env ? false : servicesMissing }, () => {
  test(`${UPLOADS} concurrent uploads SUCCEED once each over two workers; a worker killed mid-task is recovered`, {
    timeout: TIMEOUT,
  }, async (t) => {
    const services = env ?? {};
    const druidUrl = services.DRUID_URL ?? '';
    const database = await createFreshDatabase();
    const common = {
      DATABASE_URL: database.url,
      ...s3Settings(services),
      DRUID_URL: druidUrl,
      DRUID_RETRY_SECONDS: '60',
    };
    const processes: ChildServer[] = [];
    try {
      const api = await startChildServer({ ...common, ROLE: 'api', MAX_CONCURRENT_UPLOADS: '16' });
      processes.push(api);
      const workers = await Promise.all(
        [1, 2].map(() => startChildServer({ ...common, ROLE: 'worker', LOG_LEVEL: 'info' }, { worker: true })),
      );
      processes.push(...workers);
      const [victim, survivor] = workers as [ChildServer, ChildServer];

      const name = `scale_${randomBytes(4).toString('hex')}`;
      const storeName = storeNameOf('default', name);
      const files = Array.from({ length: UPLOADS }, (_, i) => salesCsv(ROWS, DAYS, `u${i}`));
      const t0 = Date.now();
      const uploads = await Promise.all(
        files.map((file, i) => uploadViaRest(api, { dataSourceName: name, filename: `u${i}.csv`, content: file.csv })),
      );
      for (const upload of uploads) assert.equal(upload.status, 202, JSON.stringify(upload.body));
      const taskIds = uploads.map((upload) => String(upload.body.taskId));

      // Kill the first worker once it has finished a task and both workers hold one whose Druid task runs (each
      // worker runs one job at a time).
      await waitUntil('the first worker finished a task', () => succeededIn(victim).length >= 1);
      let busy: Task[] = [];
      await waitUntil('both workers hold a task whose Druid task runs', async () => {
        busy = (await Promise.all(taskIds.map((id) => getTask(api, id)))).filter((x) => x.status === 'INGESTING');
        return busy.length >= 2 && busy.every((x) => ['PENDING', 'WAITING', 'RUNNING'].includes(x.storeState ?? ''));
      });
      const doneByVictim = succeededIn(victim).map((x) => x.taskId);
      await victim.kill();
      const killedAt = Date.now();
      t.diagnostic(
        `killed worker 1 (SIGKILL) ${((killedAt - t0) / 1000).toFixed(1)} s after the uploads began, ` +
          `with ${busy.length} tasks INGESTING; it had finished ${doneByVictim.length}`,
      );

      const tasks = await Promise.all(taskIds.map((id) => waitForTerminal(api, id, TIMEOUT)));
      const finishedAt = Date.now();
      for (const task of tasks)
        assert.equal(task.status, 'SUCCEEDED', `${task.taskId}: ${task.errorCode} ${task.errorMessage}`);

      // The task the dead worker held: the one that needed another attempt, finished by the survivor.
      const resumed = tasks.filter((task) => task.attempt > 1);
      assert.equal(
        resumed.length,
        1,
        `one task was resumed: ${resumed.map((x) => `${x.taskId} a${x.attempt}`).join(', ')}`,
      );
      const [recovered] = resumed as [Task];
      const bySurvivor = succeededIn(survivor);
      assert.ok(bySurvivor.some((x) => x.taskId === recovered.taskId && x.attempt === recovered.attempt));
      const recoveredAt = Date.parse(recovered.statusHistory.find((s) => s.status === 'SUCCEEDED')?.at ?? '');
      // statusHistory keeps each status's latest time: VALIDATING is when the new attempt began.
      const resumedAt = Date.parse(recovered.statusHistory.find((s) => s.status === 'VALIDATING')?.at ?? '');

      // Every task's rows exactly once; one successful Druid task per task (the survivor adopted the dead one's).
      const byTask = await druidRowsByTask(druidUrl, storeName);
      assert.deepEqual(byTask, Object.fromEntries(taskIds.map((id) => [id, ROWS])));
      assert.deepEqual(await druidTotals(druidUrl, storeName), {
        rows: UPLOADS * ROWS,
        units: files.reduce((sum, file) => sum + file.units, 0),
      });
      const druidTasks = (await (
        await fetch(`${druidUrl}/druid/indexer/v1/tasks?datasource=${encodeURIComponent(storeName)}`)
      ).json()) as { id: string; statusCode: string }[];
      const succeeded = druidTasks.filter((x) => x.statusCode === 'SUCCESS').map((x) => x.id);
      for (const id of taskIds)
        assert.equal(succeeded.filter((x) => x.includes(id)).length, 1, `one Druid task of ${id}`);
      const ofRecovered = druidTasks
        .filter((x) => x.id.includes(recovered.taskId))
        .map((x) => `${x.id} ${x.statusCode}`);
      assert.deepEqual(ofRecovered, [`${recovered.storeTaskId} SUCCESS`], 'the new attempt adopted the Druid task');

      // Spread over both workers: each finished tasks of its own.
      const spread = { worker1: doneByVictim.length, worker2: bySurvivor.length };
      assert.ok(spread.worker1 >= 1 && spread.worker2 >= 1, JSON.stringify(spread));
      assert.equal(spread.worker1 + spread.worker2, UPLOADS);
      const lost = taskIds.reduce((n, id) => n + Math.max(0, ROWS - (byTask[id] ?? 0)), 0);
      const duplicated = taskIds.reduce((n, id) => n + Math.max(0, (byTask[id] ?? 0) - ROWS), 0);
      t.diagnostic(
        `figures: ${UPLOADS} uploads × ${ROWS} rows in ${((finishedAt - t0) / 1000).toFixed(1)} s; tasks finished ` +
          `per worker ${JSON.stringify(spread)}; the killed worker's task ${recovered.taskId} (attempt ${recovered.attempt}, ` +
          `Druid ${recovered.storeTaskId}) was resumed by worker 2 ${((resumedAt - killedAt) / 1000).toFixed(1)} s and ` +
          `SUCCEEDED ${((recoveredAt - killedAt) / 1000).toFixed(1)} s after the kill; ` +
          `rows lost ${lost}, rows duplicated ${duplicated}`,
      );
    } finally {
      for (const child of processes.reverse()) await child.stop().catch(() => {});
      await database.drop();
    }
  });
});
