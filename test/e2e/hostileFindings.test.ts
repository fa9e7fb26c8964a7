import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import {
  as,
  asTask,
  authHeaders,
  bearer,
  call,
  graphql,
  uploadViaGraphql,
  uploadViaRest,
  waitForTerminal,
} from '../support/client.ts';
import { pendingTask } from '../support/pendingTask.ts';
import { multipartBody, slowRequest } from '../support/rawMultipart.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';
import { wrapLoad } from '../support/wrapLoad.ts';

/**
 * Each finding of issue 7's "Why", as a user attacked `npm start`: every test here failed before the change.
 */
describe('hostile requests found against the embedded default', () => {
  let app: TestApp;
  const csv = (rows: number, day = '2025-01-01') =>
    `sold_at,store,units\n${Array.from({ length: rows }, (_, i) => `${day}T00:00:${String(i % 60).padStart(2, '0')}Z,s${i},${i + 1}`).join('\n')}\n`;

  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app?.close();
  });

  test('a multipart map path through __proto__ is refused and pollutes nothing', async () => {
    for (const path of [
      'variables.__proto__.mode',
      'variables.constructor.prototype.mode',
      '__proto__.x',
      'variables',
    ]) {
      const { body, contentType } = multipartBody([
        {
          name: 'operations',
          value: JSON.stringify({
            query: 'mutation($file: Upload!) { uploadSalesData(file: $file, dataSourceName: "p") { __typename } }',
            variables: { file: null },
          }),
        },
        { name: 'map', value: JSON.stringify({ 0: [path] }) },
        { name: '0', value: csv(2), filename: 'p.csv' },
      ]);
      const response = await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: authHeaders(app, { 'content-type': contentType }),
        body,
      });
      const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      assert.equal(response.status, 400, path);
      assert.equal(answer.errors?.[0]?.extensions?.code, 'INVALID_REQUEST', path);
    }
    assert.equal(({} as Record<string, unknown>).mode, undefined, 'Object.prototype was not touched');
    // Before the fix: every later REST upload without `mode` got 400 'mode must be APPEND or REPLACE, got "[object Object]"'.
    const upload = await uploadViaRest(app, { dataSourceName: 'after_pollution', filename: 'a.csv', content: csv(2) });
    assert.equal(upload.status, 202, JSON.stringify(upload.body));
    const list = await graphql<{ ingestionTasks: { nodes: unknown[] } }>(
      app,
      '{ ingestionTasks { nodes { taskId } } }',
    );
    assert.ok((list.data?.ingestionTasks.nodes.length ?? 0) > 0);
  });

  test('25 aliases of rejections(first: 1000) { raw } are refused by the cost limit before anything runs', async () => {
    const aliases = Array.from({ length: 25 }, (_, i) => `a${i}: rejections(first: 1000) { raw }`).join(' ');
    const answer = await graphql(app, `query($id: ID!) { ingestionTask(taskId: $id) { ${aliases} } }`, {
      id: randomUUID(),
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    // A single page of 1,000 rejected rows with their raw text is within the limit.
    const one = await graphql(
      app,
      'query($id: ID!) { ingestionTask(taskId: $id) { rejections(first: 1000) { raw } } }',
      {
        id: randomUUID(),
      },
    );
    assert.equal(one.errors, undefined);
    // …and 440 aliases of a cheap field hit the alias limit.
    const many = Array.from({ length: 440 }, (_, i) => `m${i}: uploadLimits { maxUploadBytes }`).join(' ');
    const refused = await graphql(app, `{ ${many} }`);
    assert.equal(refused.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
  });

  test('over WebSocket the same limits apply, only subscriptions run, and a socket holds at most 20 subscriptions', async () => {
    const client = createClient({
      url: `${app.baseUrl.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
      connectionParams: { authorization: app.authorization },
    });
    try {
      const aliases = Array.from({ length: 1700 }, (_, i) => `a${i}: ingestionTaskUpdated(taskId: $id) { status }`);
      await assert.rejects(
        client
          .iterate({ query: `subscription($id: ID!) { ${aliases.join(' ')} }`, variables: { id: randomUUID() } })
          .next(),
        // 1,700 aliases are ~90 KB: past the 64 KiB message limit, the socket is closed (1009, message too big).
        (error: unknown) => (error as { code?: number }).code === 1009,
      );
      const aliases300 = aliases.slice(0, 300).join(' ');
      const fresh = createClient({
        url: `${app.baseUrl.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        connectionParams: { authorization: app.authorization },
      });
      await assert.rejects(
        fresh.iterate({ query: `subscription($id: ID!) { ${aliases300} }`, variables: { id: randomUUID() } }).next(),
        (errors: unknown) => /QUERY_TOO_COMPLEX/.test(JSON.stringify(errors)),
      );
      await fresh.dispose();
      await assert.rejects(client.iterate({ query: '{ uploadLimits { maxUploadBytes } }' }).next(), (errors: unknown) =>
        /Only subscriptions run over WebSocket/.test(JSON.stringify(errors)),
      );
      const upload = await uploadViaRest(app, { dataSourceName: 'ws_cap', filename: 'w.csv', content: csv(3) });
      const taskId = String(upload.body.taskId);
      await waitForTerminal(app, taskId);
      // Open subscriptions on one socket until refused: each subscription to a finished task ends after its first
      // event, so hold them open with a task that is still PENDING.
      const pending = await pendingTask(app, { dataSourceName: 'ws_cap', createdBy: 'test' });
      const open: AsyncIterator<unknown>[] = [];
      const outcomes: string[] = [];
      for (let i = 0; i < 25; i++) {
        const events = client.iterate({
          query: 'subscription($id: ID!) { ingestionTaskUpdated(taskId: $id) { status } }',
          variables: { id: pending },
        });
        open.push(events);
        outcomes.push(
          await events.next().then(
            () => 'event',
            (errors: unknown) => JSON.stringify(errors),
          ),
        );
      }
      assert.equal(outcomes.filter((o) => o === 'event').length, 20, outcomes.join('\n'));
      assert.ok(
        outcomes.slice(20).every((o) => o.includes('TOO_MANY_REQUESTS')),
        outcomes.slice(20).join('\n'),
      );
      await app.services.tasks.cancel('default', pending);
      for (const events of open) await events.return?.();
    } finally {
      await client.dispose();
    }
  });

  test('a foreign Origin is refused whatever the credential, a foreign Host too, and so is a WebSocket from that Origin', async () => {
    const upload = await fetch(`${app.baseUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: authHeaders(app, { origin: 'https://evil.example' }),
      body: (() => {
        const form = new FormData();
        form.set('dataSourceName', 'sales');
        form.set('mode', 'REPLACE');
        form.set('file', new Blob([csv(2)]), 'x.csv');
        return form;
      })(),
    });
    assert.equal(upload.status, 403);
    assert.equal(((await upload.json()) as { code: string }).code, 'CROSS_ORIGIN_REFUSED');
    const answer = await slowRequest(`${app.baseUrl}/api/v1/tasks`, {
      method: 'GET',
      headers: { host: 'evil.example', authorization: app.authorization },
      pieces: [],
      pauseMs: 0,
    });
    assert.equal(answer.status, 421);
    assert.match(answer.body, /HOST_NOT_ALLOWED/);
    const socket = new WebSocket(`${app.baseUrl.replace('http', 'ws')}/graphql`, {
      headers: { origin: 'https://evil.example' },
      protocols: ['graphql-transport-ws'],
    });
    const closed = await new Promise<string>((resolve) => {
      socket.onopen = () => resolve('opened');
      socket.onerror = () => resolve('refused');
    });
    assert.equal(closed, 'refused');
    // The same origin as the server's own is fine.
    const own = await call(app, 'GET', '/api/v1/tasks', { headers: { origin: app.baseUrl } });
    assert.equal(own.status, 200);
  });

  test('a foreign Origin cannot cancel a task over WebSocket either: the socket never opens', async () => {
    const socket = new WebSocket(`${app.baseUrl.replace('http', 'ws')}/graphql`, {
      headers: { origin: 'https://evil.example', cookie: 'tributary_session=x' },
      protocols: ['graphql-transport-ws'],
    });
    const outcome = await new Promise<string>((resolve) => {
      socket.onopen = () => resolve('opened');
      socket.onerror = () => resolve('refused');
    });
    assert.equal(outcome, 'refused');
  });

  test('a query with a NUL in a task id is INVALID_REQUEST, never a database error', async () => {
    const answer = await graphql(app, 'query($id: ID!) { ingestionTask(taskId: $id) { taskId } }', { id: 'a\u0000b' });
    assert.equal(answer.errors?.[0]?.extensions?.code, 'INVALID_REQUEST');
    assert.doesNotMatch(JSON.stringify(answer), /byte sequence|UTF8|0x00/);
    const rest = await call(app, 'GET', '/api/v1/tasks/a%00b');
    assert.equal(rest.status, 400);
    assert.equal((rest.body as { code: string }).code, 'INVALID_REQUEST');
    const cursor = await call(app, 'GET', '/api/v1/tasks?after=bm90LWEtY3Vyc29y');
    assert.equal(cursor.status, 400, 'a cursor the API did not make is refused, not ignored');
    const unknownParameter = await call(app, 'GET', '/api/v1/tasks?frist=3');
    assert.equal(unknownParameter.status, 400);
  });

  test("a store's own error text never reaches the task: DuckDB's Binder Error becomes INTERNAL with an error id", async () => {
    const failing = await startTestApp({
      wrapAnalytics: (store) =>
        wrapLoad(store, async () => {
          throw new Error('Binder Error: Referenced column "secret_column" not found in FROM clause!');
        }),
    });
    try {
      const upload = await uploadViaRest(failing, { dataSourceName: 'binder', filename: 'b.csv', content: csv(3) });
      const task = await waitForTerminal(failing, String(upload.body.taskId), 30_000);
      assert.equal(task.status, 'FAILED');
      assert.equal(task.errorCode, 'INTERNAL');
      assert.match(task.errorId ?? '', /^[0-9a-f-]{36}$/);
      assert.doesNotMatch(JSON.stringify(task), /Binder|secret_column/);
    } finally {
      await failing.close();
    }
  });

  test('cancelling a PENDING upload stops it at once and answers the uploader UPLOAD_CANCELLED (409), not a 503', async () => {
    // ~60 pieces 150 ms apart: 9 s to send in full, so an answer within a few seconds of the cancel proves the
    // upload stopped reading (before, a cancelled upload streamed on to the end, outside the concurrent-upload cap).
    const slow = startSlowUpload(app, 'cancel_me', 16 * 1024);
    let taskId: string | undefined;
    for (let i = 0; i < 100 && !taskId; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const page = await call(app, 'GET', '/api/v1/tasks?status=PENDING&dataSourceName=cancel_me');
      taskId = (page.body as { tasks: { taskId: string }[] }).tasks[0]?.taskId;
    }
    assert.ok(taskId, 'the upload shows as a PENDING task');
    const cancelled = await call(app, 'POST', `/api/v1/tasks/${taskId}/cancel`);
    assert.equal(cancelled.status, 200);
    const cancelledAt = performance.now();
    const answer = await slow.finish();
    assert.ok(
      performance.now() - cancelledAt < 4000,
      `answered ${Math.round(performance.now() - cancelledAt)} ms after the cancel`,
    );
    assert.equal(answer.status, 409, answer.body);
    assert.match(answer.body, /UPLOAD_CANCELLED/);
    const task = await call(app, 'GET', `/api/v1/tasks/${taskId}`);
    assert.equal((task.body as { status: string }).status, 'CANCELLED');
  });

  test('Sales and sales are one data source (first spelling kept); REPLACE to Sales replaces only its own days', async () => {
    const first = await uploadViaRest(app, {
      dataSourceName: 'sales',
      filename: 'a.csv',
      content: csv(5, '2025-01-01'),
    });
    assert.equal((await waitForTerminal(app, String(first.body.taskId))).status, 'SUCCEEDED');
    const second = await uploadViaRest(app, {
      dataSourceName: 'SALES',
      filename: 'b.csv',
      content: csv(7, '2025-01-02'),
    });
    const done = await waitForTerminal(app, String(second.body.taskId));
    assert.equal(done.status, 'SUCCEEDED', `${done.errorCode} ${done.errorMessage}`);
    assert.equal(done.dataSourceName, 'sales', 'shown with its first spelling');
    const summary = async (name: string) =>
      (
        await graphql<{ dataSourceSummary: { rowCount: number } | null }>(
          app,
          'query($n: String!) { dataSourceSummary(dataSourceName: $n) { rowCount } }',
          { n: name },
        )
      ).data?.dataSourceSummary?.rowCount;
    assert.equal(await summary('Sales'), 12);
    const replace = await uploadViaRest(app, {
      dataSourceName: 'Sales',
      filename: 'c.csv',
      content: csv(2, '2025-01-02'),
      mode: 'REPLACE',
    });
    assert.equal((await waitForTerminal(app, String(replace.body.taskId))).status, 'SUCCEEDED');
    assert.equal(await summary('sales'), 5 + 2, 'the 7 rows of 2 January were replaced by 2; 1 January kept');
    const listed = await call(app, 'GET', '/api/v1/tasks?dataSourceName=SALES&first=10');
    assert.equal((listed.body as { tasks: unknown[] }).tasks.length, 3);
  });

  test('two workspaces with a data source of the same name never meet in the store', async () => {
    const acme = await graphql<{ createWorkspace: { adminKey: { secret: string } } }>(
      app,
      'mutation { createWorkspace(name: "acme-stores") { adminKey { secret } } }',
    );
    const acmeApi = as(app, bearer(acme.data?.createWorkspace.adminKey.secret ?? ''));
    const ours = await uploadViaRest(app, {
      dataSourceName: 'shared',
      filename: 'o.csv',
      content: csv(4, '2025-02-01'),
    });
    const theirs = await uploadViaRest(acmeApi, {
      dataSourceName: 'Shared',
      filename: 't.csv',
      content: csv(9, '2025-02-01'),
      mode: 'REPLACE',
    });
    assert.equal((await waitForTerminal(app, String(ours.body.taskId))).status, 'SUCCEEDED');
    assert.equal((await waitForTerminal(acmeApi, String(theirs.body.taskId))).status, 'SUCCEEDED');
    const rows = async (api: typeof app | typeof acmeApi) =>
      (
        await graphql<{ dataSourceSummary: { rowCount: number } }>(
          api,
          '{ dataSourceSummary(dataSourceName: "shared") { rowCount } }',
        )
      ).data?.dataSourceSummary.rowCount;
    assert.equal(await rows(app), 4, "acme's REPLACE of the same day did not touch default's rows");
    assert.equal(await rows(acmeApi), 9);
    assert.equal((await call(acmeApi, 'GET', `/api/v1/tasks/${ours.body.taskId}`)).status, 404);
  });

  test('an UPLOADER may not REPLACE (FORBIDDEN through REST and GraphQL) and may cancel only its own tasks', async () => {
    const created = await graphql<{ createApiKey: { secret: string } }>(
      app,
      'mutation { createApiKey(name: "uploader", role: UPLOADER) { secret } }',
    );
    const uploader = as(app, bearer(created.data?.createApiKey.secret ?? ''));
    const rest = await uploadViaRest(uploader, {
      dataSourceName: 'sales',
      filename: 'r.csv',
      content: csv(1),
      mode: 'REPLACE',
    });
    assert.equal(rest.status, 403);
    assert.equal(rest.body.code, 'FORBIDDEN');
    const viaGraphql = await uploadViaGraphql(uploader, {
      dataSourceName: 'sales',
      filename: 'r.csv',
      content: csv(1),
      mode: 'REPLACE',
    });
    assert.equal(viaGraphql.result?.__typename, 'UploadError');
    assert.equal((viaGraphql.result as { code: string }).code, 'FORBIDDEN');
    const adminsTask = await pendingTask(app, { dataSourceName: 'sales', createdBy: 'key:someone-else' });
    const cancel = await call(uploader, 'POST', `/api/v1/tasks/${adminsTask}/cancel`);
    assert.equal(cancel.status, 403);
    const own = asTask(
      (await uploadViaGraphql(uploader, { dataSourceName: 'mine', filename: 'm.csv', content: csv(1) })).result,
    );
    const cancelOwn = await call(uploader, 'POST', `/api/v1/tasks/${own.taskId}/cancel`);
    assert.ok([200, 409].includes(cancelOwn.status), `own task: ${cancelOwn.status}`);
    await app.services.tasks.cancel('default', adminsTask);
  });

  test('a second file part, or a field after the file, is 400 and nothing is kept', async () => {
    const send = async (parts: Parameters<typeof multipartBody>[0]) => {
      const { body, contentType } = multipartBody(parts);
      const response = await fetch(`${app.baseUrl}/api/v1/uploads`, {
        method: 'POST',
        headers: authHeaders(app, { 'content-type': contentType }),
        body,
      });
      return { status: response.status, body: (await response.json()) as { code: string; detail?: string } };
    };
    const two = await send([
      { name: 'dataSourceName', value: 'twofiles' },
      { name: 'file', value: csv(2), filename: 'a.csv' },
      { name: 'file', value: csv(2), filename: 'b.csv' },
    ]);
    assert.equal(two.status, 400);
    assert.equal(two.body.code, 'INVALID_REQUEST');
    const late = await send([
      { name: 'dataSourceName', value: 'twofiles' },
      { name: 'file', value: csv(2), filename: 'a.csv' },
      { name: 'mode', value: 'REPLACE' },
    ]);
    assert.equal(late.status, 400);
    assert.match(late.body.detail ?? '', /comes after the file/);
    const tasks = await call(app, 'GET', '/api/v1/tasks?dataSourceName=twofiles');
    assert.deepEqual((tasks.body as { tasks: unknown[] }).tasks, []);
  });
});

describe('slow, stalled and too many uploads', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      env: { UPLOAD_IDLE_TIMEOUT_SECONDS: '1', UPLOAD_MIN_BYTES_PER_SECOND: '2048', MAX_CONCURRENT_UPLOADS: '2' },
    });
  });
  after(async () => {
    await app?.close();
  });

  test('an upload that stalls is ended as UPLOAD_INTERRUPTED after the idle timeout', async () => {
    const { body, contentType } = multipartBody([
      { name: 'dataSourceName', value: 'stalled' },
      { name: 'file', value: `ts,v\n${'2025-01-01,1\n'.repeat(20_000)}`, filename: 's.csv' },
    ]);
    const answer = await slowRequest(`${app.baseUrl}/api/v1/uploads`, {
      headers: authHeaders(app, { 'content-type': contentType }),
      pieces: [body.subarray(0, 1000)],
      pauseMs: 10,
      stopAfter: 1,
    });
    assert.equal(answer.status, 400, answer.body);
    assert.match(answer.body, /UPLOAD_INTERRUPTED/);
    assert.ok(answer.ms < 10_000, `ended after ${answer.ms} ms`);
  });

  test('an upload that trickles (one small piece every 300 ms) is ended for its rate', async () => {
    const { body, contentType } = multipartBody([
      { name: 'dataSourceName', value: 'trickle' },
      { name: 'file', value: `ts,v\n${'2025-01-01,1\n'.repeat(5_000)}`, filename: 't.csv' },
    ]);
    const pieces = [body.subarray(0, 400)];
    for (let at = 400; at < body.length; at += 50) pieces.push(body.subarray(at, at + 50));
    const answer = await slowRequest(`${app.baseUrl}/api/v1/uploads`, {
      headers: authHeaders(app, { 'content-type': contentType }),
      pieces,
      pauseMs: 300,
    });
    assert.equal(answer.status, 400, answer.body);
    assert.match(answer.body, /UPLOAD_INTERRUPTED/);
    assert.match(answer.body, /below the minimum/);
    const left = await call(app, 'GET', '/api/v1/tasks?dataSourceName=trickle');
    assert.deepEqual((left.body as { tasks: unknown[] }).tasks, [], 'nothing kept');
  });

  test('past MAX_CONCURRENT_UPLOADS uploads in progress, the workspace gets 429 TOO_MANY_UPLOADS', async () => {
    const first = startSlowUpload(app, 'busy1');
    const second = startSlowUpload(app, 'busy2');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const third = await uploadViaRest(app, {
      dataSourceName: 'busy3',
      filename: 'c.csv',
      content: 'ts,v\n2025-01-01,1\n',
    });
    assert.equal(third.status, 429);
    assert.equal(third.body.code, 'TOO_MANY_UPLOADS');
    await first.finish();
    await second.finish();
    const fourth = await uploadViaRest(app, {
      dataSourceName: 'busy4',
      filename: 'd.csv',
      content: 'ts,v\n2025-01-01,1\n',
    });
    assert.equal(fourth.status, 202);
  });
});

/** An upload that keeps its connection busy (a steady trickle) until `finish` sends the rest. */
function startSlowUpload(
  app: TestApp,
  dataSourceName: string,
  pieceBytes = 64 * 1024,
): { finish: () => Promise<{ status: number; body: string }> } {
  const { body, contentType } = multipartBody([
    { name: 'dataSourceName', value: dataSourceName },
    { name: 'file', value: `ts,v\n${'2025-01-01,1\n'.repeat(50_000)}`, filename: 'slow.csv' },
  ]);
  const pieces: Buffer[] = [];
  for (let at = 0; at < body.length; at += pieceBytes) pieces.push(body.subarray(at, at + pieceBytes));
  const answer = slowRequest(`${app.baseUrl}/api/v1/uploads`, {
    headers: authHeaders(app, { 'content-type': contentType }),
    pieces,
    pauseMs: 150,
  });
  return { finish: () => answer };
}

describe('found in review: sockets, subscriptions, the failure limiter, cursors, slow multipart bodies', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      worker: false,
      env: { UPLOAD_IDLE_TIMEOUT_SECONDS: '1', BODY_TIMEOUT_SECONDS: '1', AUTH_FAILURES_PER_MINUTE: '3' },
    });
  });
  after(async () => {
    await app?.close();
  });

  const socketFor = (authorization: string | undefined) =>
    createClient({
      url: `${app.baseUrl.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
      connectionParams: authorization ? { authorization } : {},
    });

  test('a completed subscription releases its listener at once (2,000 subscribe/complete rounds leave none)', async () => {
    const taskId = await pendingTask(app, { dataSourceName: 'leak', createdBy: 'test' });
    const client = socketFor(app.authorization);
    try {
      for (let i = 0; i < 2000; i++) {
        const events = client.iterate({
          query: 'subscription($id: ID!) { ingestionTaskUpdated(taskId: $id) { status } }',
          variables: { id: taskId },
        });
        await events.next();
        await events.return?.();
      }
      for (let i = 0; i < 50 && app.services.taskUpdates.watching() > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(app.services.taskUpdates.watching(), 0);
    } finally {
      await client.dispose();
      await app.services.tasks.cancel('default', taskId);
    }
  });

  test('a socket whose key is revoked is refused at its next subscription and closed', async () => {
    const created = await graphql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      app,
      'mutation { createApiKey(name: "socket", role: VIEWER) { secret apiKey { id } } }',
    );
    const taskId = await pendingTask(app, { dataSourceName: 'revoked_socket', createdBy: 'test' });
    const client = socketFor(bearer(created.data?.createApiKey.secret ?? ''));
    try {
      const query = {
        query: 'subscription($id: ID!) { ingestionTaskUpdated(taskId: $id) { status } }',
        variables: { id: taskId },
      };
      const first = await client.iterate(query).next();
      assert.equal(
        (first.value as { data: { ingestionTaskUpdated: { status: string } } }).data.ingestionTaskUpdated.status,
        'PENDING',
      );
      await graphql(app, 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', {
        id: created.data?.createApiKey.apiKey.id,
      });
      await assert.rejects(client.iterate(query).next(), (error: unknown) =>
        /UNAUTHENTICATED|4401/.test(
          Array.isArray(error) ? JSON.stringify(error) : String((error as { code?: number }).code),
        ),
      );
    } finally {
      await client.dispose();
      await app.services.tasks.cancel('default', taskId);
    }
  });

  test('an address over the failure limit gets 429 for bad credentials, while a good key and session still work', async () => {
    const session = await call(as(app, undefined), 'POST', '/api/v1/session', { body: { apiKey: app.adminKey } });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const bad = as(app, bearer(`trb_${'q'.repeat(40)}`));
    for (let i = 0; i < 3; i++) await call(bad, 'GET', '/api/v1/tasks');
    assert.equal((await call(bad, 'GET', '/api/v1/tasks')).status, 429);
    assert.equal(
      (await call(app, 'GET', '/api/v1/tasks')).status,
      200,
      'the admin behind the same address still works',
    );
    const viaCookie = await call(as(app, undefined), 'GET', '/api/v1/tasks', { headers: { cookie } });
    assert.equal(viaCookie.status, 200);
    assert.equal(viaCookie.headers.get('set-cookie'), null, 'a good session cookie is never cleared');
  });

  test('a cursor naming an impossible instant is 400, not a database error', async () => {
    const cursor = Buffer.from(`2025-02-30T00:00:00.000Z|${randomUUID()}`).toString('base64url');
    const answer = await call(app, 'GET', `/api/v1/tasks?after=${cursor}`);
    assert.equal(answer.status, 400);
    assert.equal((answer.body as { code: string }).code, 'INVALID_REQUEST');
  });

  test('no part of a multipart request can trickle forever: fields before the file, the end after it, other routes', async () => {
    const operations = JSON.stringify({ query: '{ me { role } }' });
    const { body, contentType } = multipartBody([
      { name: 'operations', value: operations },
      { name: 'map', value: '{}' },
    ]);
    // The fields before the file, one byte every 300 ms: ended after the idle timeout (1 s here).
    const slowFields = await slowRequest(`${app.baseUrl}/graphql`, {
      headers: authHeaders(app, { 'content-type': contentType }),
      pieces: [...body].map((byte) => Buffer.from([byte])),
      pauseMs: 300,
    });
    assert.equal(slowFields.status, 400, slowFields.body);
    assert.match(slowFields.body, /UPLOAD_INTERRUPTED/);
    assert.ok(slowFields.ms < 5000, `${slowFields.ms} ms`);
    // A whole upload whose Content-Length promises more than is sent: the request never ends after the file.
    const upload = multipartBody([
      { name: 'dataSourceName', value: 'held' },
      { name: 'file', value: 'sold_at,units\n2025-01-01,1\n', filename: 'h.csv' },
    ]);
    const held = await slowRequest(`${app.baseUrl}/api/v1/uploads`, {
      headers: authHeaders(app, {
        'content-type': upload.contentType,
        'content-length': String(upload.body.length + 10),
      }),
      pieces: [upload.body],
      pauseMs: 10,
      stopAfter: 1,
    });
    assert.equal(held.status, 400, held.body);
    assert.match(held.body, /UPLOAD_INTERRUPTED/);
    const left = await call(app, 'GET', '/api/v1/tasks?dataSourceName=held');
    assert.deepEqual((left.body as { tasks: unknown[] }).tasks, []);
    // A multipart body sent to a route that takes none gets the body deadline (BODY_TIMEOUT_SECONDS, 1 s here).
    const probe = await slowRequest(`${app.baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XX', 'content-length': '100000' },
      pieces: Array.from({ length: 40 }, () => Buffer.from('x')),
      pauseMs: 200,
    });
    assert.ok(probe.ms < 5000, `the connection was held ${Math.round(probe.ms)} ms`);
  });
});
