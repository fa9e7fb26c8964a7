import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  asTask,
  authHeaders,
  getTask,
  graphql,
  TASK_FIELDS,
  type Task,
  uploadViaGraphql,
  uploadViaRest,
  waitForTerminal,
} from '../support/client.ts';
import { sampleSalesCsv } from '../support/sampleSales.ts';
import { backends, startTestApp, type TestApp } from '../support/testApp.ts';

const SUMMARY = `query Summary($name: String!) {
  dataSourceSummary(dataSourceName: $name) { rowCount minTime maxTime metricTotals { name sum } }
}`;

interface Summary {
  rowCount: number;
  minTime: string | null;
  maxTime: string | null;
  metricTotals: { name: string; sum: number }[];
}

for (const backend of backends) {
  describe(`the whole pipeline on ${backend}`, () => {
    let app: TestApp;
    const sample = sampleSalesCsv(200);

    before(async () => {
      app = await startTestApp({ backend });
    });
    after(async () => {
      await app?.close();
    });

    const summaryOf = async (name: string): Promise<Summary | null> => {
      const response = await graphql<{ dataSourceSummary: Summary | null }>(app, SUMMARY, { name });
      assert.equal(response.errors, undefined);
      return response.data?.dataSourceSummary ?? null;
    };

    test('a CSV with bad rows uploaded through GraphQL reaches the analytics store, every row accounted for', async () => {
      const upload = await uploadViaGraphql(app, {
        dataSourceName: 'sales',
        filename: 'march sales.csv',
        content: sample.csv,
      });
      assert.equal(upload.status, 200);
      const accepted = asTask(upload.result);
      assert.equal(accepted.status, 'UPLOADED');
      assert.equal(accepted.fileSizeBytes, Buffer.byteLength(sample.csv));
      assert.match(accepted.sha256 ?? '', /^[0-9a-f]{64}$/);
      assert.equal(accepted.filename, 'march sales.csv');

      const task = await waitForTerminal(app, accepted.taskId);
      assert.equal(task.status, 'SUCCEEDED', `${task.errorCode}: ${task.errorMessage}`);
      assert.equal(task.rowsTotal, sample.rowsTotal);
      assert.equal(task.rowsValid, sample.rowsValid);
      assert.equal(task.rowsRejected, sample.rejections.length);
      assert.equal(task.rowsLoaded, sample.rowsValid);
      assert.equal(task.rowsTotal, (task.rowsValid ?? 0) + (task.rowsRejected ?? 0));
      assert.equal(task.bytesProcessed, Buffer.byteLength(sample.csv));
      assert.deepEqual(
        task.statusHistory.map((entry) => entry.status),
        ['PENDING', 'UPLOADED', 'VALIDATING', 'INGESTING', 'SUCCEEDED'],
      );

      const rejections = await graphql<{ ingestionTask: { rejections: Task['statusHistory'] } }>(
        app,
        `query($id: ID!) { ingestionTask(taskId: $id) { rejections(first: 10) { line column code message raw } } }`,
        { id: task.taskId },
      );
      const listed = (rejections.data?.ingestionTask.rejections ?? []) as unknown as {
        line: number;
        column: string | null;
        code: string;
        message: string;
        raw: string;
      }[];
      assert.deepEqual(
        listed.map(({ line, column, code }) => ({ line, column, code })),
        sample.rejections,
      );
      assert.ok(listed.every((r) => r.message.length > 10 && r.raw.length > 0));
      assert.match(listed[0]?.raw ?? '', /2025-02-30T10:00:00Z/);

      const summary = await summaryOf('sales');
      assert.ok(summary);
      assert.equal(summary.rowCount, sample.rowsValid);
      assert.equal(summary.minTime, sample.minTime);
      assert.equal(summary.maxTime, sample.maxTime);
      const totals = Object.fromEntries(summary.metricTotals.map((m) => [m.name, m.sum]));
      assert.deepEqual(Object.keys(totals).sort(), ['amount', 'quantity']);
      assert.equal(totals.quantity, sample.quantitySum);
      assert.ok(Math.abs((totals.amount ?? 0) - sample.amountSum) < 1e-6);
    });

    test('the daily sums of a metric add up to its total, one point per day', async () => {
      const response = await graphql<{ dataSourceTimeSeries: { day: string; value: number }[] }>(
        app,
        'query($n: String!, $m: String!) { dataSourceTimeSeries(dataSourceName: $n, metric: $m) { day value } }',
        { n: 'sales', m: 'quantity' },
      );
      const points = response.data?.dataSourceTimeSeries ?? [];
      assert.equal(points.length, 28);
      assert.equal(points[0]?.day, '2025-03-01T00:00:00.000Z');
      assert.equal(
        points.reduce((sum, point) => sum + point.value, 0),
        sample.quantitySum,
      );
    });

    test('the rejections download as CSV with their lines, columns, codes and raw text', async () => {
      const page = await graphql<{ ingestionTasks: { nodes: Task[] } }>(
        app,
        `{ ingestionTasks(first: 1, dataSourceName: "sales") { nodes { taskId } } }`,
      );
      const taskId = page.data?.ingestionTasks.nodes[0]?.taskId;
      assert.ok(taskId);
      const response = await fetch(`${app.baseUrl}/api/v1/tasks/${taskId}/rejections.csv`, {
        headers: authHeaders(app),
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/csv/);
      assert.match(response.headers.get('content-disposition') ?? '', /attachment/);
      const text = await response.text();
      const records = text.trimEnd().split('\r\n');
      assert.equal(records[0], 'line,column,code,message,raw');
      assert.equal(records.length, 1 + sample.rejections.length);
      assert.deepEqual(
        records.slice(1).map((record) => record.split(',').slice(0, 3).join(',')),
        sample.rejections.map((r) => `${r.line},${r.column ?? ''},${r.code}`),
      );
    });

    test('the same file through REST is appended when allowDuplicate says so: totals double', async () => {
      const upload = await uploadViaRest(app, {
        dataSourceName: 'sales',
        filename: 'again.csv',
        content: sample.csv,
        allowDuplicate: true,
      });
      assert.equal(upload.status, 202);
      assert.match(upload.contentType ?? '', /application\/json/);
      const task = await waitForTerminal(app, String(upload.body.taskId));
      assert.equal(task.status, 'SUCCEEDED');
      assert.equal(task.rowsLoaded, sample.rowsValid);
      const summary = await summaryOf('sales');
      assert.equal(summary?.rowCount, 2 * sample.rowsValid);
      const quantity = summary?.metricTotals.find((m) => m.name === 'quantity');
      assert.equal(quantity?.sum, 2 * sample.quantitySum);
    });

    test("REPLACE replaces the rows in the file's own days instead of adding to them", async () => {
      const upload = await uploadViaGraphql(app, {
        dataSourceName: 'sales',
        filename: 'corrected.csv',
        content: sample.csv,
        mode: 'REPLACE',
      });
      const task = await waitForTerminal(app, asTask(upload.result).taskId);
      assert.equal(task.status, 'SUCCEEDED');
      assert.equal(task.mode, 'REPLACE');
      assert.deepEqual(task.replacedInterval, {
        start: `${sample.minTime.slice(0, 10)}T00:00:00.000Z`,
        end: new Date(Date.parse(sample.maxTime.slice(0, 10)) + 86_400_000).toISOString(),
      });
      const summary = await summaryOf('sales');
      assert.equal(summary?.rowCount, sample.rowsValid);
      assert.equal(summary?.metricTotals.find((m) => m.name === 'quantity')?.sum, sample.quantitySum);
    });

    test('gzip CSV, TSV and JSON lines are recognised from their content', async () => {
      const { gzipSync } = await import('node:zlib');
      const tsv = 'ts\tstore\tunits\n2025-04-01 08:00:00\tA\t3\n2025-04-02 09:30:00+02:00\tB\t4\n';
      const jsonl = '{"ts":"2025-04-01T00:00:00Z","store":"A","units":5}\n{"ts":"2025-04-03","store":"C","units":6}\n';
      const gz = gzipSync('ts,store,units\n2025-04-05,A,7\n');
      const results: Task[] = [];
      for (const [filename, content] of [
        ['data.txt', tsv],
        ['data.csv', jsonl],
        ['data.bin', gz],
      ] as const) {
        const upload = await uploadViaGraphql(app, { dataSourceName: 'stores', filename, content });
        results.push(await waitForTerminal(app, asTask(upload.result).taskId));
      }
      assert.deepEqual(
        results.map((t) => [t.format, t.status, t.rowsValid]),
        [
          ['tsv', 'SUCCEEDED', 2],
          ['jsonl', 'SUCCEEDED', 2],
          ['csv', 'SUCCEEDED', 1],
        ],
      );
      const summary = await summaryOf('stores');
      assert.equal(summary?.rowCount, 5);
      assert.equal(summary?.metricTotals.find((m) => m.name === 'units')?.sum, 25);
      assert.equal(summary?.minTime, '2025-04-01T00:00:00.000Z');
    });

    test('tasks are listed newest first with cursor paging and filters', async () => {
      const first = await graphql<{
        ingestionTasks: { nodes: Task[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
      }>(app, `{ ingestionTasks(first: 2) { nodes { taskId createdAt } pageInfo { hasNextPage endCursor } } }`);
      const page1 = first.data?.ingestionTasks;
      assert.equal(page1?.nodes.length, 2);
      assert.equal(page1?.pageInfo.hasNextPage, true);
      const second = await graphql<{ ingestionTasks: { nodes: Task[] } }>(
        app,
        `query($after: String) { ingestionTasks(first: 100, after: $after) { nodes { taskId createdAt } } }`,
        { after: page1?.pageInfo.endCursor },
      );
      const all = [...(page1?.nodes ?? []), ...(second.data?.ingestionTasks.nodes ?? [])];
      assert.equal(all.length, 6);
      assert.equal(new Set(all.map((t) => t.taskId)).size, 6);
      const times = all.map((t) => t.createdAt);
      assert.deepEqual(times, [...times].sort().reverse());
      const succeeded = await graphql<{ ingestionTasks: { nodes: Task[] } }>(
        app,
        `{ ingestionTasks(first: 100, status: SUCCEEDED, dataSourceName: "sales") { nodes { status dataSourceName } } }`,
      );
      assert.equal(succeeded.data?.ingestionTasks.nodes.length, 3);
    });

    test('GET /api/v1/tasks/{id} answers 404 problem+json for an unknown task', async () => {
      const response = await fetch(`${app.baseUrl}/api/v1/tasks/00000000-0000-0000-0000-000000000000`, {
        headers: authHeaders(app),
      });
      assert.equal(response.status, 404);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      const problem = (await response.json()) as { code: string; status: number };
      assert.equal(problem.code, 'TASK_NOT_FOUND');
      assert.equal(problem.status, 404);
      const task = await getTask(app, (await firstTaskId(app)) ?? '');
      assert.equal(task.status, 'SUCCEEDED');
    });
  });
}

async function firstTaskId(app: TestApp): Promise<string | undefined> {
  const page = await graphql<{ ingestionTasks: { nodes: { taskId: string }[] } }>(
    app,
    `{ ingestionTasks(first: 1) { nodes { ${TASK_FIELDS.split(' ')[0]} } } }`,
  );
  return page.data?.ingestionTasks.nodes[0]?.taskId;
}
