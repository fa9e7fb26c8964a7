import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, graphql, uploadViaGraphql, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { backends, startTestApp, type TestApp } from '../support/testApp.ts';

const csv = (rows: number, day: string) =>
  `sold_at,store,units\n${Array.from({ length: rows }, (_, i) => `${day}T08:00:00Z,s${i % 4},${i + 1}`).join('\n')}\n`;

const rowsOf = async (app: TestApp, name: string) =>
  (
    await graphql<{ dataSourceSummary: { rowCount: number } | null }>(
      app,
      'query($n: String!) { dataSourceSummary(dataSourceName: $n) { rowCount } }',
      { n: name },
    )
  ).data?.dataSourceSummary?.rowCount ?? 0;

for (const backend of backends) {
  describe(`duplicate files and retried uploads on ${backend}`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ backend, env: { WORKER_CONCURRENCY: '2' } });
    });
    after(async () => {
      await app?.close();
    });

    test('the same file appended twice: DUPLICATE_FILE naming the first task; allowDuplicate and REPLACE load it', async () => {
      const content = csv(10, '2025-06-01');
      const first = await uploadViaRest(app, { dataSourceName: 'dup', filename: 'june.csv', content });
      const done = await waitForTerminal(app, String(first.body.taskId));
      assert.equal(done.status, 'SUCCEEDED');
      const again = await uploadViaRest(app, { dataSourceName: 'DUP', filename: 'june (1).csv', content });
      const refused = await waitForTerminal(app, String(again.body.taskId));
      assert.equal(refused.status, 'FAILED');
      assert.equal(refused.errorCode, 'DUPLICATE_FILE');
      assert.match(refused.errorMessage ?? '', new RegExp(done.taskId));
      assert.equal(await rowsOf(app, 'dup'), 10, 'not counted twice');

      const allowed = await uploadViaRest(app, {
        dataSourceName: 'dup',
        filename: 'again.csv',
        content,
        allowDuplicate: true,
      });
      assert.equal((await waitForTerminal(app, String(allowed.body.taskId))).status, 'SUCCEEDED');
      assert.equal(await rowsOf(app, 'dup'), 20);
      const viaGraphql = await uploadViaGraphql(app, { dataSourceName: 'dup', filename: 'g.csv', content });
      const graphqlTask = viaGraphql.result as { taskId: string };
      assert.equal((await waitForTerminal(app, graphqlTask.taskId)).errorCode, 'DUPLICATE_FILE');

      const replace = await uploadViaRest(app, { dataSourceName: 'dup', filename: 'r.csv', content, mode: 'REPLACE' });
      assert.equal((await waitForTerminal(app, String(replace.body.taskId))).status, 'SUCCEEDED');
      assert.equal(await rowsOf(app, 'dup'), 10, 'REPLACE is idempotent: the day holds the file once');
    });

    test('two identical APPENDs at once: one loads, the other is DUPLICATE_FILE, never both', async () => {
      const content = csv(500, '2025-06-02');
      const [a, b] = await Promise.all([
        uploadViaRest(app, { dataSourceName: 'race_dup', filename: 'a.csv', content }),
        uploadViaRest(app, { dataSourceName: 'race_dup', filename: 'b.csv', content }),
      ]);
      assert.deepEqual([a.status, b.status], [202, 202], JSON.stringify([a.body, b.body]));
      const outcomes = await Promise.all(
        [a, b].map(async (upload) => {
          const task = await waitForTerminal(app, String(upload.body.taskId));
          return task.errorCode ?? task.status;
        }),
      );
      assert.deepEqual(outcomes.sort(), ['DUPLICATE_FILE', 'SUCCEEDED']);
      assert.equal(await rowsOf(app, 'race_dup'), 500);
    });

    test('a REST upload repeated with its Idempotency-Key is answered with the first task; another request with it is 422', async () => {
      const content = csv(7, '2025-06-03');
      const headers = { 'Idempotency-Key': 'nightly-2025-06-03' };
      const first = await uploadViaRest(app, { dataSourceName: 'idem', filename: 'n.csv', content }, headers);
      assert.equal(first.status, 202);
      const repeat = await uploadViaRest(app, { dataSourceName: 'idem', filename: 'n.csv', content }, headers);
      assert.equal(repeat.status, 202);
      assert.equal(repeat.body.taskId, first.body.taskId);
      const other = await uploadViaRest(
        app,
        { dataSourceName: 'idem', filename: 'n.csv', content: csv(8, '2025-06-03') },
        headers,
      );
      assert.equal(other.status, 422);
      assert.equal(other.body.code, 'IDEMPOTENCY_KEY_REUSED');
      // Repeats sent at the same moment (a client retrying after a lost reply) still make one task.
      const together = { 'Idempotency-Key': 'retry-storm' };
      const answers = await Promise.all(
        Array.from({ length: 4 }, () =>
          uploadViaRest(app, { dataSourceName: 'idem', filename: 'r.csv', content: csv(9, '2025-06-04') }, together),
        ),
      );
      assert.deepEqual([...new Set(answers.map((answer) => answer.status))], [202]);
      assert.equal(new Set(answers.map((answer) => answer.body.taskId)).size, 1);
      const listed = await call(app, 'GET', '/api/v1/tasks?dataSourceName=idem&first=100');
      assert.equal((listed.body as { tasks: unknown[] }).tasks.length, 2, 'one task per key');
      const invalid = await uploadViaRest(
        app,
        { dataSourceName: 'idem', filename: 'x.csv', content },
        { 'Idempotency-Key': 'a b' },
      );
      assert.equal(invalid.status, 400);
    });
  });
}

describe('deleting a data source', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ worker: false });
  });
  after(async () => {
    await app?.close();
  });

  test('its rows leave the store and its schema is forgotten; its tasks stay; busy is refused; ADMIN only', async () => {
    const upload = await uploadViaRest(app, {
      dataSourceName: 'Doomed',
      filename: 'd.csv',
      content: csv(6, '2025-07-01'),
    });
    const taskId = String(upload.body.taskId);
    const busy = await call(app, 'DELETE', '/api/v1/data-sources/doomed');
    assert.equal(busy.status, 409);
    assert.equal((busy.body as { code: string }).code, 'DATA_SOURCE_BUSY');
    await app.startWorker();
    assert.equal((await waitForTerminal(app, taskId)).status, 'SUCCEEDED');
    assert.equal(await rowsOf(app, 'doomed'), 6);

    const deleted = await graphql<{ deleteDataSource: boolean }>(app, 'mutation { deleteDataSource(name: "DOOMED") }');
    assert.equal(deleted.data?.deleteDataSource, true);
    assert.equal(await rowsOf(app, 'doomed'), 0);
    const schema = await graphql<{ dataSourceSchema: unknown }>(
      app,
      '{ dataSourceSchema(dataSourceName: "doomed") { timestampColumn } }',
    );
    assert.equal(schema.data?.dataSourceSchema, null);
    assert.equal((await call(app, 'GET', `/api/v1/tasks/${taskId}`)).status, 200, 'the task history stays');
    const again = await call(app, 'DELETE', '/api/v1/data-sources/doomed');
    assert.equal(again.status, 404);
    assert.equal((again.body as { code: string }).code, 'DATA_SOURCE_NOT_FOUND');

    // The name is free again: a file with other columns starts a new data source.
    const fresh = await uploadViaRest(app, {
      dataSourceName: 'doomed',
      filename: 'n.csv',
      content: 'order_date,region,quantity\n2025-07-02,EU,3\n',
    });
    assert.equal((await waitForTerminal(app, String(fresh.body.taskId))).status, 'SUCCEEDED');
    assert.equal(await rowsOf(app, 'doomed'), 1);
    const audit = await graphql<{ auditEvents: { nodes: { action: string; target: string }[] } }>(
      app,
      '{ auditEvents(first: 50) { nodes { action target } } }',
    );
    assert.ok(audit.data?.auditEvents.nodes.some((e) => e.action === 'datasource.deleted' && e.target === 'Doomed'));
  });
});
