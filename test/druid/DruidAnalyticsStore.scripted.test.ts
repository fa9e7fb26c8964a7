import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CommitRefused, type LoadRequest } from '../../src/analytics/AnalyticsStore.ts';
import { DruidAnalyticsStore } from '../../src/analytics/druid/DruidAnalyticsStore.ts';
import { DruidClient } from '../../src/analytics/druid/DruidClient.ts';
import { druidTaskId } from '../../src/analytics/druid/ingestionSpec.ts';
import { parseUndoPlan } from '../../src/analytics/druid/PublishUndo.ts';
import { AppError } from '../../src/errors/AppError.ts';
import { LocalObjectStore } from '../../src/storage/LocalObjectStore.ts';
import { TaskRows } from './taskRows.ts';

/**
 * The store's decisions (queue, adopt or submit, reconcile, wait, give up, take a publish back) against a scripted
 * stand-in for the Druid router, with the real load journal in task rows on PGlite: fast, and no Druid needed. The real cluster is
 * exercised in DruidAnalyticsStore.test.ts and test/services/.
 */
interface FakeTask {
  statusCode: 'RUNNING' | 'SUCCESS' | 'FAILED';
  errorMsg?: string;
  processed: number;
  unparseable?: number;
}

/** A segment of the scripted data source: its rows all belong to one task (null: a tombstone). */
interface FakeSegment {
  id: string;
  version: string;
  taskId: string | null;
  rows: number;
  used: boolean;
}

describe('DruidAnalyticsStore against a scripted Druid', () => {
  let server: Server;
  let url: string;
  let scratch: string;
  let validatedFile: string;
  let tasks: Map<string, FakeTask>;
  let segments: FakeSegment[];
  let submitted: string[];
  let shutdowns: string[];
  let markedUnused: string[];
  let markedUsed: string[];
  let refuseSubmit: string | null;
  let loadPercent: number;
  let rows: TaskRows;
  const row = (taskId: string) => rows.row(taskId);
  const ingesting = (taskId: string, options: { attempt?: number; mode?: 'APPEND' | 'REPLACE' } = {}) =>
    rows.ingesting(taskId, 'ds', options);

  before(async () => {
    rows = await TaskRows.create({ embedded: true });
    scratch = await mkdtemp(path.join(tmpdir(), 'druid-scripted-'));
    validatedFile = path.join(scratch, 'validated.jsonl');
    await writeFile(validatedFile, '{"__time":"2025-03-01T10:00:00Z"}\n');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        const path = req.url ?? '';
        const taskMatch = /^\/druid\/indexer\/v1\/task\/([^/?]+)\/(status|reports|shutdown|log)/.exec(path);
        if (req.method === 'POST' && path === '/druid/indexer/v1/task') {
          const { id } = JSON.parse(body) as { id: string };
          if (refuseSubmit) return json(400, { errorCode: 'invalidInput', errorMessage: refuseSubmit });
          if (tasks.has(id))
            return json(400, { errorCode: 'entryAlreadyExists', errorMessage: `Task[${id}] already exists` });
          submitted.push(id);
          tasks.set(id, { statusCode: 'SUCCESS', processed: 3 });
          const taskId = /^tributary_(.*)_a\d+$/.exec(id)?.[1] ?? id;
          segments.push({ id: `seg_${id}`, version: 'v1', taskId, rows: 3, used: true });
          return json(200, { task: id });
        }
        if (taskMatch?.[1] && taskMatch[2]) {
          const id = decodeURIComponent(taskMatch[1]);
          const task = tasks.get(id);
          if (!task) return res.writeHead(404).end(`Cannot find any task with id: [${id}]`);
          if (taskMatch[2] === 'status')
            return json(200, {
              task: id,
              status: { statusCode: task.statusCode, runnerStatusCode: 'RUNNING', errorMsg: task.errorMsg ?? null },
            });
          if (taskMatch[2] === 'shutdown') {
            shutdowns.push(id);
            if (task.statusCode === 'RUNNING') task.statusCode = 'FAILED';
            return json(200, { task: id });
          }
          if (taskMatch[2] === 'log') return res.end('2026-01-01 ERROR [main] Foo - it broke\nFinished peon task\n');
          const stats = {
            processed: task.processed,
            processedWithError: 0,
            thrownAway: 0,
            unparseable: task.unparseable ?? 0,
          };
          return json(200, {
            ingestionStatsAndErrors: {
              payload: { rowStats: { determinePartitions: stats, buildSegments: stats }, segmentsPublished: 1 },
            },
          });
        }
        const mark = /\/druid\/indexer\/v1\/datasources\/[^/]+\/(markUnused|markUsed)$/.exec(path);
        if (mark) {
          const ids = (JSON.parse(body) as { segmentIds: string[] }).segmentIds;
          (mark[1] === 'markUnused' ? markedUnused : markedUsed).push(...ids);
          for (const segment of segments) if (ids.includes(segment.id)) segment.used = mark[1] === 'markUsed';
          return json(200, { numChangedSegments: ids.length });
        }
        if (path.includes('/loadstatus')) {
          return segments.some((s) => s.used) ? json(200, { ds: loadPercent }) : res.writeHead(204).end();
        }
        if (path.startsWith('/druid/coordinator/v1/metadata/datasources/')) {
          return json(
            200,
            segments
              .filter((s) => s.used)
              .map((s) => ({ identifier: s.id, interval: 'i', version: s.version, shardSpec: { type: 'numbered' } })),
          );
        }
        if (path === '/druid/v2') {
          return json(
            200,
            segments
              .filter((s) => s.used && s.taskId !== null)
              .map((s) => ({
                id: s.id,
                numRows: s.rows,
                columns: { __task_id: { minValue: s.taskId, maxValue: s.taskId } },
              })),
          );
        }
        if (path === '/druid/v2/sql') {
          const { parameters } = JSON.parse(body) as { parameters: { value: string }[] };
          const taskId = parameters.length === 1 ? parameters[0]?.value : null;
          const n = segments
            .filter((s) => s.used && (taskId === null || s.taskId === taskId))
            .reduce((sum, s) => sum + s.rows, 0);
          return json(200, [{ n, row_count: n, m0: 0 }]);
        }
        res.writeHead(500).end(`unexpected ${req.method} ${path}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(scratch, { recursive: true, force: true });
    await rows.close();
  });
  beforeEach(async () => {
    tasks = new Map();
    segments = [];
    submitted = [];
    shutdowns = [];
    markedUnused = [];
    markedUsed = [];
    refuseSubmit = null;
    loadPercent = 100;
    await rows.clear();
    await ingesting('task-1');
  });

  const store = () =>
    new DruidAnalyticsStore({
      client: new DruidClient({ url, retryBudgetMs: 2_000, initialBackoffMs: 20 }),
      s3Bucket: 'bucket',
      objects: new LocalObjectStore(path.join(scratch, 'objects')),
      journal: rows.journal,
      pollMinMs: 20,
      pollMaxMs: 50,
      waitPollMs: 20,
      queryableTimeoutMs: 500,
      reconcileIdleSeconds: 0,
    });
  const request = (overrides: Partial<LoadRequest> = {}): LoadRequest => ({
    storeName: 'ds',
    schema: { timestampColumn: 'ts', dimensions: ['store'], metrics: [{ name: 'units', type: 'long' }] },
    taskId: 'task-1',
    attempt: 1,
    validatedFile,
    ledger: { rowsValid: 3, metricSums: {} },
    beginCommit: async () => true,
    rowCount: 3,
    mode: 'APPEND',
    interval: { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-03-02T00:00:00Z') },
    previousStoreTaskId: null,
    ...overrides,
  });
  const states = () => {
    const seen: string[] = [];
    return { seen, onProgress: async (p: { storeState: string }) => void seen.push(p.storeState) };
  };

  test('a new attempt after a FAILED one submits its own Druid task', async () => {
    await rows.setAttempt('task-1', 2);
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'FAILED', processed: 0 });
    const progress = states();
    await store().load({
      ...request({ attempt: 2, previousStoreTaskId: druidTaskId('task-1', 1) }),
      onProgress: progress.onProgress,
    });
    assert.deepEqual(submitted, [druidTaskId('task-1', 2)]);
    assert.deepEqual(progress.seen, ['SUBMITTED', 'SUCCESS', 'LOADING_SEGMENTS', 'QUERYABLE']);
  });

  test('a new attempt adopts an earlier Druid task that is running or succeeded, even if unrecorded', async () => {
    await rows.setAttempt('task-1', 3);
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'SUCCESS', processed: 3 });
    segments.push({ id: 'seg_a1', version: 'v1', taskId: 'task-1', rows: 3, used: true });
    const progress = states();
    await store().load({ ...request({ attempt: 3 }), onProgress: progress.onProgress });
    assert.deepEqual(submitted, []);
    assert.deepEqual(progress.seen[0], 'ADOPTED');
  });

  test('row counters that differ from the validated rows are LEDGER_MISMATCH, and the publish is taken back', async () => {
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'SUCCESS', processed: 2, unparseable: 1 });
    segments.push({ id: 'seg_a1', version: 'v1', taskId: 'task-1', rows: 2, used: true });
    segments.push({ id: 'seg_other', version: 'v1', taskId: 'task-0', rows: 5, used: true });
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'LEDGER_MISMATCH' &&
        /buildSegments processed 2 rows, validation accepted 3/.test(e.details ?? '') &&
        /unparseable = 1/.test(e.details ?? ''),
    );
    assert.deepEqual(markedUnused, ['seg_a1'], 'only the task’s own segment');
    const after = await row('task-1');
    assert.notEqual(after?.store_undone_at, null);
    assert.equal(parseUndoPlan(after?.store_undo).outcome?.code, 'LEDGER_MISMATCH');
  });

  test('totals that differ from the ledger after the publish are LEDGER_MISMATCH, taken back before the commit point', async () => {
    let commitAsked = false;
    await assert.rejects(
      store().load(
        request({
          ledger: { rowsValid: 3, metricSums: { units: 10 } },
          beginCommit: async () => {
            commitAsked = true;
            return true;
          },
        }),
      ),
      (e: unknown) => e instanceof AppError && e.code === 'LEDGER_MISMATCH' && /sum of units/.test(e.details ?? ''),
    );
    assert.equal(commitAsked, false);
    assert.deepEqual(markedUnused, [`seg_${druidTaskId('task-1', 1)}`]);
  });

  test('a cancel that reached the task while Druid published: the commit is refused and the publish taken back', async () => {
    const error = await store()
      .load(
        request({
          beginCommit: async () => {
            await rows.setStatus('task-1', 'CANCELLED');
            return false;
          },
        }),
      )
      .catch((e: unknown) => e);
    assert.ok(error instanceof CommitRefused, String(error));
    assert.deepEqual(markedUnused, [`seg_${druidTaskId('task-1', 1)}`]);
    assert.equal(parseUndoPlan((await row('task-1'))?.store_undo).outcome, null);
    assert.notEqual((await row('task-1'))?.store_settled_at, null);
  });

  test('a commit refused because a newer attempt took over leaves the publish to that attempt', async () => {
    const error = await store()
      .load(
        request({
          beginCommit: async () => {
            await rows.setAttempt('task-1', 2);
            return false;
          },
        }),
      )
      .catch((e: unknown) => e);
    assert.ok(error instanceof CommitRefused);
    assert.deepEqual(markedUnused, []);
    assert.equal((await row('task-1'))?.store_undo, null);
  });

  test('an undo an earlier attempt recorded but did not finish is finished first, and the task fails as decided', async () => {
    await rows.setAttempt('task-1', 2);
    segments.push({ id: 'seg_a1', version: 'v1', taskId: 'task-1', rows: 3, used: true });
    await rows.recordUndo('task-1', {
      storeName: 'ds',
      druidTaskId: druidTaskId('task-1', 1),
      remove: ['seg_a1'],
      restore: [],
      replaced: null,
      outcome: { code: 'LEDGER_MISMATCH', details: 'rows: validation accepted 3, the store holds 2' },
    });
    await assert.rejects(
      store().load(request({ attempt: 2 })),
      (e: unknown) => e instanceof AppError && e.code === 'LEDGER_MISMATCH' && /holds 2/.test(e.details ?? ''),
    );
    assert.deepEqual(submitted, [], 'a task whose publish was taken back loads nothing again');
    assert.deepEqual(markedUnused, ['seg_a1']);
    assert.notEqual((await row('task-1'))?.store_undone_at, null);
  });

  test('a REPLACE waits for an earlier APPEND of the same days; APPENDs do not wait for each other', async () => {
    await ingesting('earlier-append');
    await ingesting('task-1', { mode: 'REPLACE' });
    await ingesting('other-append');
    const day = request().interval as { start: Date; end: Date };
    await rows.journal.queueStoreLoad({ taskId: 'earlier-append', attempt: 1 }, day);
    const progress = states();
    const replace = store().load({ ...request({ mode: 'REPLACE' }), onProgress: progress.onProgress });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(progress.seen, ['QUEUED']);
    assert.deepEqual(submitted, []);
    // An APPEND queued after the REPLACE waits for it; one of other days does not.
    const later = store().load(request({ taskId: 'other-append' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(submitted, []);
    await rows.setStatus('earlier-append', 'SUCCEEDED');
    await replace;
    assert.deepEqual(submitted, [druidTaskId('task-1', 1)]);
    await rows.setStatus('task-1', 'SUCCEEDED');
    await later;
    assert.deepEqual(submitted, [druidTaskId('task-1', 1), druidTaskId('other-append', 1)]);
  });

  test("a FAILED task is DRUID_TASK_FAILED with Druid's message and the log's ERROR lines", async () => {
    tasks.set(druidTaskId('task-1', 1), {
      statusCode: 'FAILED',
      errorMsg: 'java.lang.RuntimeException: no\n\tat x.y(Z.java:1)',
      processed: 0,
    });
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'DRUID_TASK_FAILED' &&
        /failed: java\.lang\.RuntimeException: no\ntask log:\n.*ERROR \[main\] Foo - it broke$/.test(e.details ?? ''),
    );
    assert.notEqual((await row('task-1'))?.store_settled_at, null, 'nothing was published: the load is settled');
  });

  test('a spec Druid refuses is DRUID_TASK_FAILED', async () => {
    refuseSubmit = 'Invalid value for field [dataSource]';
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError && e.code === 'DRUID_TASK_FAILED' && /refused .*Invalid value/.test(e.details ?? ''),
    );
  });

  test('segments that never become queryable are DRUID_UNAVAILABLE within the bound (the next attempt adopts)', async () => {
    loadPercent = 50;
    const t0 = performance.now();
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError && e.code === 'DRUID_UNAVAILABLE' && /loadstatus 50 %/.test(e.details ?? ''),
    );
    assert.ok(performance.now() - t0 < 3_000);
    assert.deepEqual(markedUnused, []);
  });

  test('more rows for the task than were loaded is LEDGER_MISMATCH, and every segment of them is taken back', async () => {
    segments.push({ id: 'seg_stray', version: 'v1', taskId: 'task-1', rows: 3, used: true });
    await assert.rejects(
      store().load(request()),
      (e: unknown) =>
        e instanceof AppError && e.code === 'LEDGER_MISMATCH' && /SQL sees 6 of 3 rows/.test(e.details ?? ''),
    );
    assert.deepEqual(markedUnused.sort(), [`seg_${druidTaskId('task-1', 1)}`, 'seg_stray'].sort());
  });

  test('a cancelled load shuts its running task down and throws the reason', async () => {
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'RUNNING', processed: 0 });
    const reason = new Error('cancelled');
    const controller = new AbortController();
    setTimeout(() => {
      void rows.setStatus('task-1', 'CANCELLED').then(() => controller.abort(reason));
    }, 100);
    await assert.rejects(store().load({ ...request(), signal: controller.signal }), (e: unknown) => e === reason);
    assert.deepEqual(shutdowns, [druidTaskId('task-1', 1)]);
    assert.notEqual((await row('task-1'))?.store_settled_at, null);
  });

  test('a load aborted because its job stopped leaves the Druid task running, for the next attempt to adopt', async () => {
    tasks.set(druidTaskId('task-1', 1), { statusCode: 'RUNNING', processed: 0 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stopping')), 100);
    await assert.rejects(store().load({ ...request(), signal: controller.signal }));
    assert.deepEqual(shutdowns, []);
  });

  test('the reconciler takes back what a cancelled task published, and settles one with nothing published', async () => {
    await ingesting('cancelled');
    await ingesting('failed');
    await ingesting('running');
    const day = request().interval as { start: Date; end: Date };
    for (const id of ['cancelled', 'failed', 'running']) {
      await rows.journal.queueStoreLoad({ taskId: id, attempt: 1 }, day);
      await rows.setStatus(id, id === 'failed' ? 'FAILED' : 'CANCELLED');
    }
    tasks.set(druidTaskId('cancelled', 1), { statusCode: 'SUCCESS', processed: 3 });
    segments.push({ id: 'seg_cancelled', version: 'v1', taskId: 'cancelled', rows: 3, used: true });
    tasks.set(druidTaskId('failed', 1), { statusCode: 'FAILED', processed: 0 });
    tasks.set(druidTaskId('running', 1), { statusCode: 'RUNNING', processed: 0 });
    const result = await store().reconcile();
    assert.deepEqual(result, { settled: ['failed'], undone: ['cancelled'], shutDown: ['running'] });
    assert.deepEqual(markedUnused, ['seg_cancelled']);
    assert.deepEqual(shutdowns, [druidTaskId('running', 1)]);
    assert.deepEqual(await store().reconcile(), { settled: ['running'], undone: [], shutDown: [] });
  });

  test('nothing to load: no Druid task', async () => {
    await store().load(request({ rowCount: 0, interval: null }));
    assert.deepEqual(submitted, []);
  });
});
