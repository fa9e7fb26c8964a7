import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from 'graphql-ws';
import { asTask, uploadViaGraphql } from '../support/client.ts';
import { sampleSalesCsv } from '../support/sampleSales.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const subscriptionClient = (app: TestApp) =>
  createClient({
    url: `${app.baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    lazy: true,
    connectionParams: { authorization: app.authorization },
  });

test('ingestionTaskUpdated streams every state of a task over graphql-ws, ending at the terminal one', async () => {
  const app = await startTestApp({ worker: false });
  const client = subscriptionClient(app);
  try {
    const upload = await uploadViaGraphql(app, {
      dataSourceName: 'live',
      filename: 'live.csv',
      content: sampleSalesCsv(5000).csv,
    });
    const task = asTask(upload.result);
    const seen: { status: string; rowsTotal: number | null }[] = [];
    const subscription = client.iterate<{ ingestionTaskUpdated: { status: string; rowsTotal: number | null } }>({
      query: 'subscription($id: ID!) { ingestionTaskUpdated(taskId: $id) { status rowsTotal rowsValid } }',
      variables: { id: task.taskId },
    });
    const first = await subscription.next();
    assert.equal(first.value?.data?.ingestionTaskUpdated.status, 'UPLOADED');
    await app.startWorker();
    for await (const message of subscription) {
      assert.equal(message.errors, undefined);
      const update = message.data?.ingestionTaskUpdated;
      if (update) seen.push(update);
    }
    const statuses = seen.map((s) => s.status).filter((s, i, all) => s !== all[i - 1]);
    assert.deepEqual(statuses, ['VALIDATING', 'INGESTING', 'SUCCEEDED']);
    assert.equal(seen.at(-1)?.rowsTotal, 5000);
  } finally {
    await client.dispose();
    await app.close();
  }
});

test('subscribing to an unknown task answers an error, not silence', async () => {
  const app = await startTestApp({ worker: false });
  const client = subscriptionClient(app);
  try {
    const unknown = client.iterate({
      query: 'subscription { ingestionTaskUpdated(taskId: "00000000-0000-4000-8000-000000000000") { status } }',
    });
    await assert.rejects(unknown.next(), (errors: unknown) => {
      assert.match(JSON.stringify(errors), /"code":"TASK_NOT_FOUND"/);
      assert.match(JSON.stringify(errors), /No ingestion task has this id/);
      return true;
    });
    const malformed = client.iterate({ query: 'subscription { ingestionTaskUpdated(taskId: "nope") { status } }' });
    await assert.rejects(malformed.next(), (errors: unknown) => {
      assert.match(JSON.stringify(errors), /"code":"INVALID_REQUEST"/);
      return true;
    });
  } finally {
    await client.dispose();
    await app.close();
  }
});
