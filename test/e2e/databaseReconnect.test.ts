import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import type { AnalyticsStore } from '../../src/analytics/AnalyticsStore.ts';
import { LISTEN_APPLICATION_NAME, openPostgresDatabase } from '../../src/db/PostgresDatabase.ts';
import { isTransient } from '../../src/errors/transient.ts';
import { getTask, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { sampleSalesCsv } from '../support/sampleSales.ts';
import { backends, startTestApp, type TestApp } from '../support/testApp.ts';
import { adminDatabaseUrl, createFreshDatabase } from '../support/testDatabase.ts';
import { wrapLoad } from '../support/wrapLoad.ts';

/*
 * Drills for a PostgreSQL that goes away under the service. A real restart is not possible here (the server is shared
 * with every other test), so the drill is what a restart or failover does to the service's connections: every backend
 * of the app's database is terminated (`pg_terminate_backend`, the same FATAL 57P01 a shutdown sends), and, where the
 * server must stay unreachable for a while, the database refuses new connections (ALLOW_CONNECTIONS false, as a
 * server that is starting up does). PGlite runs inside the process and has no connection to lose, so these tests run
 * on PostgreSQL alone.
 */
const skip = backends.includes('postgres')
  ? false
  : 'TEST_BACKENDS leaves out postgres, and only PostgreSQL has backends';

/** Every backend of the app's database but the caller's, as a restart would end them; resolves to their pids. */
async function terminateEveryBackend(admin: pg.Client): Promise<number[]> {
  // pg_terminate_backend in the select list, not in WHERE, where it could be evaluated before `pid <> pg_backend_pid()`.
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return rows.map((row) => row.pid);
}

/** Waits until the app holds LISTEN again on a backend that is not one of `gone`; resolves to its pid. */
async function waitForListener(admin: pg.Client, gone: number[], timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1
         AND NOT (pid = ANY($2::int[]))`,
      [LISTEN_APPLICATION_NAME, gone],
    );
    if (rows[0]) return rows[0].pid;
    if (Date.now() > deadline) throw new Error(`no LISTEN connection came back within ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function connectToAppDatabase(app: TestApp): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: app.services.config.databaseUrl });
  await admin.connect();
  return admin;
}

/** A graphql-ws subscriber to one task, collecting every status it is sent until the stream ends. */
function subscribeToTask(app: TestApp, taskId: string) {
  const client = createClient({
    url: `${app.baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    lazy: true,
    connectionParams: { authorization: app.authorization },
  });
  const statuses: string[] = [];
  const subscription = client.iterate<{ ingestionTaskUpdated: { status: string } }>({
    query: 'subscription($id: ID!) { ingestionTaskUpdated(taskId: $id) { status } }',
    variables: { id: taskId },
  });
  const ended = (async () => {
    for await (const message of subscription) {
      assert.equal(message.errors, undefined);
      const status = message.data?.ingestionTaskUpdated.status;
      if (status) statuses.push(status);
    }
  })();
  ended.catch(() => {}); // awaited by the test; this keeps an early failure from being reported as unhandled
  return {
    statuses,
    /** Resolves when the stream has ended (after a terminal state); fails after `timeoutMs`. */
    ended: (timeoutMs = 15_000) =>
      Promise.race([
        ended,
        sleep(timeoutMs, undefined, { ref: false }).then(() => {
          throw new Error(`the subscription saw ${statuses.join(', ')} and did not end within ${timeoutMs} ms`);
        }),
      ]),
    /** Resolves once the subscriber has been sent `status` (any status when none is named). */
    async received(status?: string, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (status === undefined ? statuses.length === 0 : !statuses.includes(status)) {
        if (Date.now() > deadline) throw new Error(`the subscriber saw ${statuses.join(', ')}, never ${status}`);
        await sleep(20);
      }
    },
    dispose: () => client.dispose(),
  };
}

async function uploadSample(app: TestApp, name: string, rows = 500): Promise<string> {
  const upload = await uploadViaRest(app, {
    dataSourceName: name,
    filename: `${name}.csv`,
    content: sampleSalesCsv(rows).csv,
  });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  return String(upload.body.taskId);
}

/** A load that waits at a gate until the test opens it; `arrived` resolves when a load reaches the gate. */
function loadGate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let reached: () => void = () => {};
  const arrived = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const wrap = (store: AnalyticsStore) =>
    wrapLoad(store, async (request, inner) => {
      reached();
      await opened;
      await inner(request);
    });
  return { open, arrived, wrap };
}

describe('the service survives PostgreSQL terminating its connections', { skip }, () => {
  test('every backend terminated: LISTEN comes back, the subscriber gets every later state, REST answers', async () => {
    const app = await startTestApp({ backend: 'postgres', worker: false });
    const admin = await connectToAppDatabase(app);
    let subscriber: ReturnType<typeof subscribeToTask> | undefined;
    try {
      const taskId = await uploadSample(app, 'drill_once');
      subscriber = subscribeToTask(app, taskId);
      await subscriber.received('UPLOADED');
      const listener = await waitForListener(admin, []);
      const gone = await terminateEveryBackend(admin);
      assert.ok(gone.includes(listener), 'the LISTEN connection was among the terminated backends');
      await waitForListener(admin, gone);
      // Only now does the task move, so each of its states reaches the subscriber by a NOTIFY on the new connection.
      await app.startWorker();
      const task = await waitForTerminal(app, taskId);
      assert.equal(task.status, 'SUCCEEDED', `${task.errorCode}: ${task.errorMessage}`);
      await subscriber.ended();
      assert.deepEqual(
        subscriber.statuses.filter((status, i, all) => status !== all[i - 1]),
        ['UPLOADED', 'VALIDATING', 'INGESTING', 'SUCCEEDED'],
      );
      assert.equal((await getTask(app, taskId)).status, 'SUCCEEDED');
    } finally {
      await subscriber?.dispose();
      await admin.end();
      await app.close();
    }
  });

  test('terminated twice at once, then again as soon as it is back, mid-task: everything recovers', async () => {
    const load = loadGate();
    const app = await startTestApp({ backend: 'postgres', wrapAnalytics: load.wrap });
    const admin = await connectToAppDatabase(app);
    let subscriber: ReturnType<typeof subscribeToTask> | undefined;
    try {
      const taskId = await uploadSample(app, 'drill_twice');
      subscriber = subscribeToTask(app, taskId);
      await load.arrived; // the worker holds the job, pg-boss its connections and its own LISTEN
      await subscriber.received('INGESTING');
      const gone = await terminateEveryBackend(admin);
      await sleep(20); // inside the first reconnect delay: the listener is down, the pools are reconnecting
      gone.push(...(await terminateEveryBackend(admin)));
      gone.push(await waitForListener(admin, gone));
      gone.push(...(await terminateEveryBackend(admin)));
      await waitForListener(admin, gone);
      load.open();
      const task = await waitForTerminal(app, taskId);
      assert.equal(task.status, 'SUCCEEDED', `${task.errorCode}: ${task.errorMessage}`);
      await subscriber.ended();
      assert.equal(subscriber.statuses.at(-1), 'SUCCEEDED');
      // The job queue found its feet too: a new upload (another file, not a duplicate) is picked up and finished.
      const next = await waitForTerminal(app, await uploadSample(app, 'drill_twice', 400));
      assert.equal(next.status, 'SUCCEEDED', `${next.errorCode}: ${next.errorMessage}`);
    } finally {
      load.open();
      await subscriber?.dispose();
      await admin.end();
      await app.close();
    }
  });

  test('a task uploaded and finished while LISTEN is down reaches its subscriber once LISTEN is back', async () => {
    const load = loadGate();
    const app = await startTestApp({ backend: 'postgres', wrapAnalytics: load.wrap });
    const admin = await connectToAppDatabase(app);
    // A database cannot refuse connections while one is its own, so the switch goes through another database.
    const server = new pg.Client({ connectionString: adminDatabaseUrl });
    await server.connect();
    const database = new URL(app.services.config.databaseUrl ?? '').pathname.slice(1);
    const allowConnections = (allow: boolean) =>
      server.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS ${allow}`);
    let subscriber: ReturnType<typeof subscribeToTask> | undefined;
    try {
      // The pools keep the connections they have; new ones are refused, and only the LISTEN connection is ended.
      await Promise.all(Array.from({ length: 10 }, () => app.services.db.query('SELECT pg_sleep(0.05)')));
      const listener = await waitForListener(admin, []);
      await allowConnections(false);
      await admin.query('SELECT pg_terminate_backend($1)', [listener]);
      const taskId = await uploadSample(app, 'drill_down');
      subscriber = subscribeToTask(app, taskId);
      await load.arrived;
      // The subscriber's first read shows the task before its end; nothing can tell it of later states for now.
      await subscriber.received();
      assert.notEqual(subscriber.statuses[0], 'SUCCEEDED');
      load.open();
      assert.equal((await waitForTerminal(app, taskId)).status, 'SUCCEEDED');
      await sleep(300);
      assert.ok(!subscriber.statuses.includes('SUCCEEDED'), 'nothing could have told the subscriber yet');
      await allowConnections(true);
      await waitForListener(admin, [listener]);
      await subscriber.ended();
      assert.equal(subscriber.statuses.at(-1), 'SUCCEEDED');
    } finally {
      load.open();
      await allowConnections(true);
      await server.end();
      await subscriber?.dispose();
      await admin.end();
      await app.close();
    }
  });
});

describe('the PostgreSQL database object under terminated backends', { skip }, () => {
  test('idle, busy and in-transaction pooled clients are terminated: no crash, the next queries work', async () => {
    const fresh = await createFreshDatabase();
    const db = await openPostgresDatabase(fresh.url);
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    try {
      await Promise.all(Array.from({ length: 5 }, () => db.query('SELECT pg_sleep(0.02)'))); // idle clients
      // Outcomes are taken at once: a rejection met only after the termination would count as unhandled.
      const outcome = (promise: Promise<unknown>) =>
        promise.then(
          () => undefined,
          (error: unknown) => error,
        );
      const busy = outcome(db.query('SELECT pg_sleep(30)'));
      let holdTransaction: () => void = () => {};
      const inTransaction = outcome(
        db.transaction(async (tx) => {
          await tx.query('SELECT 1');
          await new Promise<void>((resolve) => {
            holdTransaction = resolve;
          });
          return tx.query('SELECT 2');
        }),
      );
      await sleep(100);
      const gone = await terminateEveryBackend(admin);
      assert.ok(gone.length >= 5, `terminated ${gone.length} backends`);
      const busyError = await busy;
      assert.ok(isTransient(busyError), `the busy query failed transiently: ${busyError}`);
      await sleep(100); // the idle-in-transaction client hears of its end between two statements
      holdTransaction();
      const transactionError = await inTransaction;
      assert.ok(isTransient(transactionError), `the transaction failed transiently: ${transactionError}`);
      // A query may still meet a connection whose end it has not heard of; the one after it must work.
      await db.query('SELECT 1').catch((error: unknown) => assert.ok(isTransient(error), String(error)));
      assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
      assert.deepEqual(await db.transaction((tx) => tx.query('SELECT 2 AS two')), [{ two: 2 }]);
    } finally {
      await admin.end();
      await db.close();
      await fresh.drop();
    }
  });

  test('close() during a reconnect stops it: no LISTEN connection is left behind', async () => {
    const fresh = await createFreshDatabase();
    const db = await openPostgresDatabase(fresh.url);
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    let closed = false;
    try {
      const reconnects: number[] = [];
      await db.listen(
        'drill',
        () => {},
        () => reconnects.push(Date.now()),
      );
      const gone = await terminateEveryBackend(admin);
      await waitForListener(admin, gone);
      await sleep(50);
      assert.equal(reconnects.length, 1, 'onReconnect is called once the LISTEN holds again');
      await terminateEveryBackend(admin);
      closed = true;
      await db.close(); // inside the reconnect delay
      await sleep(500);
      const { rows } = await admin.query(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      assert.deepEqual(rows, [], 'nothing reconnected after close()');
      assert.equal(reconnects.length, 1);
    } finally {
      if (!closed) await db.close();
      await admin.end();
      await fresh.drop();
    }
  });
});
