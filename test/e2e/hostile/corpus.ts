import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { multipartBody, type RawPart, slowRequest } from '../../support/rawMultipart.ts';

/**
 * The hostile corpus: requests and files nobody well-behaved would send, each with the specific answer it must get.
 * An answer is written `<HTTP status> <code>`; an accepted upload is followed to its end and written
 * `TASK <status> [<errorCode>]`; a WebSocket refusal is `WS <close code or HTTP status>`.
 */
export interface HostileCase {
  category: 'auth' | 'cross-site' | 'graphql' | 'multipart' | 'rest' | 'file' | 'name' | 'websocket' | 'pace';
  name: string;
  expect: string;
  send(target: CorpusTarget): Promise<string>;
}

export interface CorpusTarget {
  baseUrl: string;
  /** "Bearer <server-admin key>" */
  authorization: string;
  viewerKey: string;
  revokedKey: string;
  /** A task of the admin's workspace. */
  taskId: string;
}

const MiB = 1024 * 1024;

// ---- how cases talk to the server -------------------------------------------------------------------------------

interface Sent {
  status: number;
  text: string;
}

function raw(
  target: CorpusTarget,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string; auth?: boolean } = {},
): Promise<Sent> {
  return new Promise((resolve) => {
    const req = request(
      `${target.baseUrl}${path}`,
      {
        method,
        headers: {
          ...(options.auth === false ? {} : { authorization: target.authorization }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          if (text.length < 1_000_000) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', (error) => resolve({ status: 0, text: String(error) }));
    req.end(options.body);
  });
}

/** `<status> <code>` of a problem+json or GraphQL answer; `<status> OK` when it carries no error. */
function answerOf(sent: Sent): string {
  let body: unknown;
  try {
    body = JSON.parse(sent.text);
  } catch {
    return `${sent.status} ${sent.text === '' ? 'OK' : 'NON_JSON'}`;
  }
  const object = body as {
    code?: string;
    errors?: { extensions?: { code?: string } }[];
    data?: Record<string, { __typename?: string; code?: string } | null>;
  };
  if (object.code) return `${sent.status} ${object.code}`;
  if (object.errors?.length) return `${sent.status} ${object.errors[0]?.extensions?.code ?? 'NO_CODE'}`;
  const upload = object.data?.uploadSalesData;
  if (upload?.__typename === 'UploadError') return `${sent.status} ${upload.code}`;
  return `${sent.status} OK`;
}

const JSON_TYPE: Record<string, string> = { 'content-type': 'application/json' };

async function rest(
  target: CorpusTarget,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string; auth?: boolean } = {},
): Promise<string> {
  return answerOf(await raw(target, method, path, options));
}

async function gql(target: CorpusTarget, body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return rest(target, 'POST', '/graphql', { headers: { ...JSON_TYPE, ...headers }, body: text });
}

async function multipart(target: CorpusTarget, path: string, parts: RawPart[]): Promise<string> {
  const { body, contentType } = multipartBody(parts);
  return rest(target, 'POST', path, { headers: { 'content-type': contentType }, body });
}

const UPLOAD_OPERATION = JSON.stringify({
  query:
    'mutation($file: Upload!) { uploadSalesData(file: $file, dataSourceName: "corpus") { __typename ... on UploadError { code } } }',
  variables: { file: null },
});

/** Uploads through REST; an accepted upload is followed to its terminal state. */
async function upload(
  target: CorpusTarget,
  file: Buffer | string,
  options: { dataSourceName?: string; filename?: string } = {},
): Promise<string> {
  const { body, contentType } = multipartBody([
    { name: 'dataSourceName', value: options.dataSourceName ?? `corpus_${randomBytes(4).toString('hex')}` },
    { name: 'file', value: file, filename: options.filename ?? 'corpus.csv' },
  ]);
  const sent = await raw(target, 'POST', '/api/v1/uploads', { headers: { 'content-type': contentType }, body });
  if (sent.status !== 202) return answerOf(sent);
  const taskId = (JSON.parse(sent.text) as { taskId: string }).taskId;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const answer = await raw(target, 'GET', `/api/v1/tasks/${taskId}`);
    if (answer.status !== 200) return `task read failed: ${answer.status} ${answer.text.slice(0, 200)}`;
    const task = JSON.parse(answer.text) as { status: string; errorCode: string | null; rowsRejected: number | null };
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) {
      const rejected = task.status === 'SUCCEEDED' && task.rowsRejected ? `, ${task.rowsRejected} rejected` : '';
      return `TASK ${task.status}${task.errorCode ? ` ${task.errorCode}` : ''}${rejected}`;
    }
    if (Date.now() > deadline) return `TASK still ${task.status}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What a WebSocket gets: refused at the upgrade (HTTP status), closed (close code), or the first message. */
function websocket(
  target: CorpusTarget,
  options: { headers?: Record<string, string>; messages: string[]; waitMs?: number },
): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${target.baseUrl.replace('http', 'ws')}/graphql`, {
      // Node's WebSocket (undici) takes headers; the DOM's type does not know them.
      headers: options.headers ?? {},
      protocols: ['graphql-transport-ws'],
    } as unknown as string[]);
    const received: string[] = [];
    const timer = setTimeout(() => {
      socket.close();
      resolve(`WS open: ${received.join(' | ').slice(0, 300)}`);
    }, options.waitMs ?? 3000);
    // The first message goes at once (connection_init, or whatever a hostile client sends); the rest only after
    // connection_ack, as the protocol requires.
    const [first, ...rest] = options.messages;
    socket.onopen = () => {
      if (first !== undefined) socket.send(first);
    };
    socket.onmessage = (event) => {
      received.push(String(event.data));
      const parsed = JSON.parse(String(event.data)) as { type: string; payload?: unknown };
      if (parsed.type === 'connection_ack') for (const message of rest) socket.send(message);
      if (parsed.type === 'error') {
        clearTimeout(timer);
        socket.close();
        const code = /"code":"([A-Z_]+)"/.exec(JSON.stringify(parsed.payload))?.[1] ?? 'NO_CODE';
        resolve(`WS error ${code}`);
      }
    };
    socket.onclose = (event) => {
      clearTimeout(timer);
      resolve(`WS ${event.code}`);
    };
    socket.onerror = () => {
      clearTimeout(timer);
      resolve('WS refused');
    };
  });
}

/** The HTTP status a WebSocket upgrade request gets (101 when it is accepted). */
function upgradeStatus(target: CorpusTarget, headers: Record<string, string>, path = '/graphql'): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${target.baseUrl}${path}`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': 'graphql-transport-ws',
        ...headers,
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve('WS 101');
    });
    req.on('response', (res) => {
      res.resume();
      resolve(`WS ${res.statusCode}`);
    });
    req.on('error', (error) => resolve(`WS error ${String(error)}`));
    req.end();
  });
}

const init = (authorization?: string) =>
  JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} });
const subscribe = (id: string, query: string, variables: Record<string, unknown> = {}) =>
  JSON.stringify({ id, type: 'subscribe', payload: { query, variables } });

// ---- files -----------------------------------------------------------------------------------------------------

const csvRows = (rows: number, extra = '') =>
  `sold_at,store,units\n${Array.from({ length: rows }, (_, i) => `2025-03-01T10:00:00Z,s${i},${i}${extra}`).join('\n')}\n`;

function columns(count: number): string {
  const names = ['sold_at', ...Array.from({ length: count - 1 }, (_, i) => `c${i}`)];
  return `${names.join(',')}\n2025-03-01${',1'.repeat(count - 1)}\n`;
}

function repeated(line: string, bytes: number): Buffer {
  return Buffer.from(line.repeat(Math.ceil(bytes / line.length)));
}

function jsonLines(count: number): string {
  return Array.from({ length: count }, (_, i) => `{"sold_at":"2025-03-01","units":${i},"deep":"[]"}\n`).join('');
}

function deepJson(depth: number): string {
  return `{"sold_at":"2025-03-01","units":1,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}\n`;
}

// ---- the corpus ------------------------------------------------------------------------------------------------

const VIEWER = (t: CorpusTarget) => `Bearer ${t.viewerKey}`;
const fakeJwt = (header: object, payload: object, signature = '') =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;

export const hostileCorpus: HostileCase[] = [
  // authentication
  ...(
    [
      ['no Authorization header', undefined],
      ['an empty Bearer', 'Bearer '],
      ['Basic credentials', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
      ['a key too short', 'Bearer trb_abc'],
      ['a key with symbols', 'Bearer trb_abcdefghijklmnopqrstuvwxyz0123456789;DROP'],
      ['a key of 8,000 characters', `Bearer trb_${'a'.repeat(8000)}`],
      ['an unknown well-formed key', `Bearer trb_${'Q'.repeat(40)}`],
      [
        'a JWT with alg none',
        `Bearer ${fakeJwt({ alg: 'none' }, { tributary_workspace: 'default', tributary_role: 'admin' })}`,
      ],
      ['a JWT with a garbage signature', `Bearer ${fakeJwt({ alg: 'RS256' }, { sub: 'x' }, 'c2lnbmF0dXJl')}`],
      ['an HS256 JWT (no OIDC configured)', `Bearer ${fakeJwt({ alg: 'HS256' }, { sub: 'x' }, 'AAAA')}`],
      ['a token with a space in it', 'Bearer trb_x y'],
      ['the scheme alone', 'Bearer'],
    ] as const
  ).map(
    ([name, authorization]): HostileCase => ({
      category: 'auth',
      name,
      expect: '401 UNAUTHENTICATED',
      send: (t) => rest(t, 'GET', '/api/v1/tasks', { auth: false, headers: authorization ? { authorization } : {} }),
    }),
  ),
  {
    category: 'auth',
    name: 'a revoked key',
    expect: '401 UNAUTHENTICATED',
    send: (t) => rest(t, 'GET', '/api/v1/tasks', { auth: false, headers: { authorization: `Bearer ${t.revokedKey}` } }),
  },
  {
    category: 'auth',
    name: 'a garbage session cookie',
    expect: '401 UNAUTHENTICATED',
    send: (t) => rest(t, 'GET', '/api/v1/tasks', { auth: false, headers: { cookie: 'tributary_session=../../etc' } }),
  },
  {
    category: 'auth',
    name: 'a session cookie of 4,000 characters',
    expect: '401 UNAUTHENTICATED',
    send: (t) =>
      rest(t, 'GET', '/api/v1/tasks', { auth: false, headers: { cookie: `tributary_session=${'x'.repeat(4000)}` } }),
  },
  {
    category: 'auth',
    name: 'sign-in with a wrong key',
    expect: '401 UNAUTHENTICATED',
    send: (t) =>
      rest(t, 'POST', '/api/v1/session', {
        auth: false,
        headers: JSON_TYPE,
        body: JSON.stringify({ apiKey: `trb_${'z'.repeat(40)}` }),
      }),
  },
  {
    category: 'auth',
    name: 'sign-in with a key of 10 KB',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      rest(t, 'POST', '/api/v1/session', {
        auth: false,
        headers: JSON_TYPE,
        body: JSON.stringify({ apiKey: 'k'.repeat(10_000) }),
      }),
  },
  {
    category: 'auth',
    name: 'sign-in with extra properties',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      rest(t, 'POST', '/api/v1/session', {
        auth: false,
        headers: JSON_TYPE,
        body: JSON.stringify({ apiKey: t.viewerKey, role: 'ADMIN' }),
      }),
  },
  {
    category: 'auth',
    name: 'a VIEWER uploading',
    expect: '403 FORBIDDEN',
    send: async (t) => {
      const { body, contentType } = multipartBody([
        { name: 'dataSourceName', value: 'viewer' },
        { name: 'file', value: csvRows(1), filename: 'v.csv' },
      ]);
      return rest(t, 'POST', '/api/v1/uploads', {
        headers: { 'content-type': contentType, authorization: VIEWER(t) },
        body,
      });
    },
  },
  {
    category: 'auth',
    name: 'a VIEWER creating a key',
    expect: '200 FORBIDDEN',
    send: (t) =>
      gql(t, { query: 'mutation { createApiKey(name: "x", role: ADMIN) { secret } }' }, { authorization: VIEWER(t) }),
  },
  {
    category: 'auth',
    name: 'a VIEWER creating a workspace',
    expect: '200 FORBIDDEN',
    send: (t) =>
      gql(
        t,
        { query: 'mutation { createWorkspace(name: "evil") { workspace { name } } }' },
        { authorization: VIEWER(t) },
      ),
  },

  // cross-site
  ...(
    [
      [
        'GET with a foreign Origin',
        'GET',
        '/api/v1/tasks',
        { origin: 'https://evil.example' },
        '403 CROSS_ORIGIN_REFUSED',
      ],
      [
        'POST /graphql with a foreign Origin',
        'POST',
        '/graphql',
        { origin: 'https://evil.example' },
        '403 CROSS_ORIGIN_REFUSED',
      ],
      ['Origin: null (sandboxed frame)', 'GET', '/api/v1/tasks', { origin: 'null' }, '403 CROSS_ORIGIN_REFUSED'],
      [
        'an Origin on another port',
        'GET',
        '/api/v1/tasks',
        { origin: 'http://127.0.0.1:1' },
        '403 CROSS_ORIGIN_REFUSED',
      ],
      ['a foreign Host (DNS rebinding)', 'GET', '/api/v1/tasks', { host: 'evil.example' }, '421 HOST_NOT_ALLOWED'],
      ['a Host on another port', 'GET', '/api/v1/tasks', { host: '127.0.0.1:1' }, '421 HOST_NOT_ALLOWED'],
      ['a foreign Host on the web app', 'GET', '/', { host: 'evil.example' }, '421 HOST_NOT_ALLOWED'],
      [
        'sign-in from a foreign Origin',
        'POST',
        '/api/v1/session',
        { origin: 'https://evil.example' },
        '403 CROSS_ORIGIN_REFUSED',
      ],
    ] as const
  ).map(
    ([name, method, path, headers, expect]): HostileCase => ({
      category: 'cross-site',
      name,
      expect,
      send: (t) => rest(t, method, path, { headers: { ...headers } }),
    }),
  ),
  {
    category: 'cross-site',
    name: 'a cookie-signed POST without Origin or preflight header',
    expect: '400 PREFLIGHT_REQUIRED',
    send: async (t) =>
      rest(t, 'POST', '/graphql', {
        auth: false,
        headers: { ...JSON_TYPE, cookie: await openSessionCookie(t) },
        body: JSON.stringify({ query: '{ me { role } }' }),
      }),
  },

  // GraphQL
  ...(
    [
      ['an unknown field', { query: '{ secrets }' }, '400 GRAPHQL_VALIDATION_FAILED'],
      ['a syntax error', { query: '{ ingestionTasks( }' }, '400 GRAPHQL_PARSE_FAILED'],
      ['an empty query', { query: '' }, '400 INVALID_REQUEST'],
      ['a query that is a number', { query: 42 }, '400 INVALID_REQUEST'],
      ['variables as an array', { query: '{ me { role } }', variables: [1] }, '400 INVALID_REQUEST'],
      ['variables as a string', { query: '{ me { role } }', variables: 'x' }, '400 INVALID_REQUEST'],
      ['operationName as an object', { query: '{ me { role } }', operationName: {} }, '400 INVALID_REQUEST'],
      [
        'an operationName that does not exist',
        { query: 'query A { me { role } }', operationName: 'B' },
        '400 INVALID_REQUEST',
      ],
      ['two anonymous operations', { query: '{ me { role } } { me { role } }' }, '400 GRAPHQL_VALIDATION_FAILED'],
      [
        'a fragment cycle',
        {
          query:
            'query { ingestionTasks { ...A } } fragment A on IngestionTaskConnection { ...B } fragment B on IngestionTaskConnection { ...A }',
        },
        '400 GRAPHQL_VALIDATION_FAILED',
      ],
      [
        'nesting 30 levels deep (through introspection)',
        { query: `{ __schema { types { fields { type ${'{ ofType '.repeat(30)}{ name }${' }'.repeat(30)} } } } }` },
        '400 QUERY_TOO_COMPLEX',
      ],
      [
        '1,000 aliases (over the token limit first)',
        { query: `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: me { role }`).join(' ')} }` },
        '400 GRAPHQL_PARSE_FAILED',
      ],
      [
        '60 aliases',
        { query: `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: uploadLimits { maxUploadBytes }`).join(' ')} }` },
        '400 QUERY_TOO_COMPLEX',
      ],
      ['a token flood (6,000 tokens)', { query: `{ me { ${'role '.repeat(6000)}} }` }, '400 GRAPHQL_PARSE_FAILED'],
      [
        'rejections of every task at once',
        { query: '{ ingestionTasks(first: 1000) { nodes { rejections(first: 1000) { raw } } } }' },
        '400 QUERY_TOO_COMPLEX',
      ],
      [
        'first: 1000000 on rejections (clamped and priced)',
        { query: '{ ingestionTasks(first: 1000000) { nodes { taskId } } }' },
        '200 OK',
      ],
      ['first: -5', { query: '{ ingestionTasks(first: -5) { nodes { taskId } } }' }, '200 OK'],
      [
        'first as a string',
        { query: '{ ingestionTasks(first: "ten") { nodes { taskId } } }' },
        '400 GRAPHQL_VALIDATION_FAILED',
      ],
      [
        'a cursor that was never issued',
        { query: '{ ingestionTasks(after: "AAAA") { nodes { taskId } } }' },
        '200 INVALID_REQUEST',
      ],
      [
        'a task id with a NUL',
        { query: 'query($id: ID!) { ingestionTask(taskId: $id) { taskId } }', variables: { id: 'a\u0000b' } },
        '200 INVALID_REQUEST',
      ],
      [
        'a task id of 100 KB',
        { query: 'query($id: ID!) { ingestionTask(taskId: $id) { taskId } }', variables: { id: 'x'.repeat(100_000) } },
        '200 INVALID_REQUEST',
      ],
      [
        'a data source name with a NUL',
        { query: '{ dataSourceSchema(dataSourceName: "a\\u0000b") { timestampColumn } }' },
        '200 INVALID_DATASOURCE_NAME',
      ],
      [
        'a data source name climbing folders',
        { query: '{ dataSourceSummary(dataSourceName: "../../etc") { rowCount } }' },
        '200 INVALID_DATASOURCE_NAME',
      ],
      [
        'a subscription over POST',
        { query: 'subscription { ingestionTaskUpdated(taskId: "x") { status } }' },
        '400 INVALID_REQUEST',
      ],
      [
        'an Upload given as a literal',
        { query: 'mutation { uploadSalesData(file: "x", dataSourceName: "a") { __typename } }' },
        '400 GRAPHQL_VALIDATION_FAILED',
      ],
      [
        'an Upload given in JSON variables',
        {
          query: 'mutation($f: Upload!) { uploadSalesData(file: $f, dataSourceName: "a") { __typename } }',
          variables: { f: { stream: 1, filename: 'x' } },
        },
        '400 GRAPHQL_VALIDATION_FAILED',
      ],
      [
        'a role that does not exist',
        { query: 'mutation { createApiKey(name: "x", role: ROOT) { secret } }' },
        '400 GRAPHQL_VALIDATION_FAILED',
      ],
      [
        'a key name of control characters',
        { query: 'mutation { createApiKey(name: "\\u0000\\u0007", role: VIEWER) { secret } }' },
        '200 INVALID_REQUEST',
      ],
      [
        'a workspace name with a dot',
        { query: 'mutation { createWorkspace(name: "a.b") { workspace { name } } }' },
        '200 INVALID_WORKSPACE_NAME',
      ],
      [
        'revoking a key id that is not a UUID',
        { query: 'mutation { revokeApiKey(id: "\' OR 1=1") { id } }' },
        '200 INVALID_REQUEST',
      ],
      [
        'revoking an unknown key',
        { query: 'mutation { revokeApiKey(id: "00000000-0000-4000-8000-000000000000") { id } }' },
        '200 API_KEY_NOT_FOUND',
      ],
      [
        'an audit cursor that is SQL',
        { query: '{ auditEvents(after: "1; DROP TABLE tasks") { nodes { id } } }' },
        '200 INVALID_REQUEST',
      ],
    ] as const
  ).map(([name, body, expect]): HostileCase => ({ category: 'graphql', name, expect, send: (t) => gql(t, body) })),
  {
    category: 'graphql',
    name: 'a variable named __proto__ (refused by the JSON body parser)',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      gql(
        t,
        '{"query":"query($__proto__: ID!) { ingestionTask(taskId: $__proto__) { taskId } }","variables":{"__proto__":"x"}}',
      ),
  },
  {
    category: 'graphql',
    name: 'a batch of 500 operations',
    expect: '400 INVALID_REQUEST',
    send: (t) => gql(t, JSON.stringify(Array.from({ length: 500 }, () => ({ query: '{ me { role } }' })))),
  },
  {
    category: 'graphql',
    name: 'a JSON body that is a string',
    expect: '400 INVALID_REQUEST',
    send: (t) => gql(t, '"query"'),
  },
  { category: 'graphql', name: 'a JSON body that is null', expect: '400 INVALID_REQUEST', send: (t) => gql(t, 'null') },
  { category: 'graphql', name: 'broken JSON', expect: '400 INVALID_REQUEST', send: (t) => gql(t, '{"query": ') },
  {
    category: 'graphql',
    name: 'a body of 2 MB',
    expect: '400 INVALID_REQUEST',
    send: (t) => gql(t, { query: `{ me { role } } #${'x'.repeat(2 * MiB)}` }),
  },
  {
    category: 'graphql',
    name: 'a text/plain body',
    expect: '400 INVALID_REQUEST',
    send: (t) => rest(t, 'POST', '/graphql', { headers: { 'content-type': 'text/plain' }, body: '{ me { role } }' }),
  },
  {
    category: 'graphql',
    name: 'GET /graphql',
    expect: '404 NOT_FOUND',
    send: (t) => rest(t, 'GET', '/graphql?query={me{role}}'),
  },

  // multipart GraphQL and REST uploads
  ...(
    [
      ['a map path through __proto__', UPLOAD_OPERATION, '{"0":["variables.__proto__.file"]}', '400 INVALID_REQUEST'],
      [
        'a map path through constructor.prototype',
        UPLOAD_OPERATION,
        '{"0":["variables.constructor.prototype.file"]}',
        '400 INVALID_REQUEST',
      ],
      ['a map path outside variables', UPLOAD_OPERATION, '{"0":["query"]}', '400 INVALID_REQUEST'],
      [
        'a map path into a list that is not there',
        UPLOAD_OPERATION,
        '{"0":["variables.file.3"]}',
        '400 INVALID_REQUEST',
      ],
      ['a map path four levels deep', UPLOAD_OPERATION, '{"0":["variables.a.b.c"]}', '400 INVALID_REQUEST'],
      ['a map that is an array', UPLOAD_OPERATION, '[["variables.file"]]', '400 INVALID_REQUEST'],
      [
        'a map with eleven paths',
        UPLOAD_OPERATION,
        JSON.stringify({ 0: Array.from({ length: 11 }, () => 'variables.file') }),
        '400 INVALID_REQUEST',
      ],
      ['a map naming another field', UPLOAD_OPERATION, '{"9":["variables.file"]}', '400 INVALID_REQUEST'],
      ['operations as a batch array', `[${UPLOAD_OPERATION}]`, '{"0":["variables.file"]}', '400 INVALID_REQUEST'],
      ['operations that are not JSON', '{"query": mutation', '{"0":["variables.file"]}', '400 INVALID_REQUEST'],
    ] as const
  ).map(
    ([name, operations, map, expect]): HostileCase => ({
      category: 'multipart',
      name,
      expect,
      send: (t) =>
        multipart(t, '/graphql', [
          { name: 'operations', value: operations },
          { name: 'map', value: map },
          { name: '0', value: csvRows(2), filename: 'm.csv' },
        ]),
    }),
  ),
  {
    category: 'multipart',
    name: 'the file before operations and map',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/graphql', [
        { name: '0', value: csvRows(2), filename: 'm.csv' },
        { name: 'operations', value: UPLOAD_OPERATION },
        { name: 'map', value: '{"0":["variables.file"]}' },
      ]),
  },
  {
    category: 'multipart',
    name: 'a second file in a GraphQL upload',
    expect: '200 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/graphql', [
        { name: 'operations', value: UPLOAD_OPERATION },
        { name: 'map', value: '{"0":["variables.file"]}' },
        { name: '0', value: csvRows(2), filename: 'a.csv' },
        { name: '1', value: csvRows(2), filename: 'b.csv' },
      ]),
  },
  {
    category: 'multipart',
    name: 'a second file in a REST upload',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/api/v1/uploads', [
        { name: 'dataSourceName', value: 'two' },
        { name: 'file', value: csvRows(2), filename: 'a.csv' },
        { name: 'file', value: csvRows(2), filename: 'b.csv' },
      ]),
  },
  {
    category: 'multipart',
    name: 'mode=REPLACE after the file',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/api/v1/uploads', [
        { name: 'dataSourceName', value: 'late' },
        { name: 'file', value: csvRows(2), filename: 'a.csv' },
        { name: 'mode', value: 'REPLACE' },
      ]),
  },
  {
    category: 'multipart',
    name: 'a misspelt field',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/api/v1/uploads', [
        { name: 'datasourcename', value: 'x' },
        { name: 'file', value: csvRows(2), filename: 'a.csv' },
      ]),
  },
  {
    category: 'multipart',
    name: 'a field named __proto__',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/api/v1/uploads', [
        { name: '__proto__', value: 'x' },
        { name: 'file', value: csvRows(2), filename: 'a.csv' },
      ]),
  },
  {
    category: 'multipart',
    name: 'mode=DELETE',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/api/v1/uploads', [
        { name: 'dataSourceName', value: 'x' },
        { name: 'mode', value: 'DELETE' },
        { name: 'file', value: csvRows(2), filename: 'a.csv' },
      ]),
  },
  {
    category: 'multipart',
    name: 'the same field twice',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/api/v1/uploads', [
        { name: 'dataSourceName', value: 'x' },
        { name: 'dataSourceName', value: 'y' },
        { name: 'file', value: csvRows(2), filename: 'a.csv' },
      ]),
  },
  {
    category: 'multipart',
    name: 'a field of 2 MB',
    expect: '400 INVALID_REQUEST',
    send: (t) =>
      multipart(t, '/api/v1/uploads', [
        { name: 'dataSourceName', value: 'x'.repeat(2 * MiB) },
        { name: 'file', value: csvRows(2), filename: 'a.csv' },
      ]),
  },
  {
    category: 'multipart',
    name: 'no file part',
    expect: '400 INVALID_REQUEST',
    send: (t) => multipart(t, '/api/v1/uploads', [{ name: 'dataSourceName', value: 'x' }]),
  },
  {
    category: 'multipart',
    name: 'a JSON body on the upload route',
    expect: '400 INVALID_REQUEST',
    send: (t) => rest(t, 'POST', '/api/v1/uploads', { headers: JSON_TYPE, body: '{"dataSourceName":"x"}' }),
  },
  {
    category: 'multipart',
    name: 'a multipart body with no boundary',
    expect: '400 INVALID_REQUEST',
    send: (t) => rest(t, 'POST', '/api/v1/uploads', { headers: { 'content-type': 'multipart/form-data' }, body: 'xx' }),
  },
  {
    category: 'multipart',
    name: 'a body cut short (Content-Length says more)',
    expect: '400 UPLOAD_INTERRUPTED',
    send: async (t) => {
      const { body, contentType } = multipartBody([
        { name: 'dataSourceName', value: 'cut' },
        { name: 'file', value: csvRows(2000), filename: 'cut.csv' },
      ]);
      const sent = await slowRequest(`${t.baseUrl}/api/v1/uploads`, {
        headers: { authorization: t.authorization, 'content-type': contentType, 'content-length': String(body.length) },
        pieces: [body.subarray(0, body.length / 2)],
        pauseMs: 10,
        stopAfter: 1,
      });
      return answerOf({ status: sent.status, text: sent.body });
    },
  },

  // REST
  ...(
    [
      ['an unknown query parameter', 'GET', '/api/v1/tasks?admin=true', '400 INVALID_REQUEST'],
      ['first=0', 'GET', '/api/v1/tasks?first=0', '400 INVALID_REQUEST'],
      ['first=abc', 'GET', '/api/v1/tasks?first=abc', '400 INVALID_REQUEST'],
      ['first=100000', 'GET', '/api/v1/tasks?first=100000', '400 INVALID_REQUEST'],
      ['status=DELETED', 'GET', '/api/v1/tasks?status=DELETED', '400 INVALID_REQUEST'],
      ['a data source filter with a quote', 'GET', "/api/v1/tasks?dataSourceName=a'--", '400 INVALID_REQUEST'],
      ['a cursor that was never issued', 'GET', '/api/v1/tasks?after=QUFBQQ', '400 INVALID_REQUEST'],
      ['a task id that is not a UUID', 'GET', '/api/v1/tasks/1%20OR%201=1', '400 INVALID_REQUEST'],
      ['a task id with a NUL', 'GET', '/api/v1/tasks/a%00b', '400 INVALID_REQUEST'],
      ['an unknown task', 'GET', '/api/v1/tasks/00000000-0000-4000-8000-000000000000', '404 TASK_NOT_FOUND'],
      [
        'cancelling an unknown task',
        'POST',
        '/api/v1/tasks/00000000-0000-4000-8000-000000000000/cancel',
        '404 TASK_NOT_FOUND',
      ],
      [
        'the rejections of an unknown task',
        'GET',
        '/api/v1/tasks/00000000-0000-4000-8000-000000000000/rejections.csv',
        '404 TASK_NOT_FOUND',
      ],
      ['a path climbing out of the API', 'GET', '/api/v1/tasks/..%2f..%2f..%2fetc%2fpasswd', '400 INVALID_REQUEST'],
      ['PUT on a task', 'PUT', '/api/v1/tasks/00000000-0000-4000-8000-000000000000', '404 NOT_FOUND'],
      ['a web path with a dot-dot', 'GET', '/..%2f..%2fpackage.json', '404 NOT_FOUND'],
      ['the admin key file through the web app', 'GET', '/admin-api-key', '200 NON_JSON'],
    ] as const
  ).map(
    ([name, method, path, expect]): HostileCase => ({
      category: 'rest',
      name,
      expect,
      send: (t) => rest(t, method, path),
    }),
  ),

  // files
  ...(
    [
      ['an empty file', '', '400 EMPTY_FILE'],
      ['a header and no rows', 'sold_at,units\n', 'TASK FAILED NO_DATA_ROWS'],
      ['only whitespace', '   \n\n  \n', '400 EMPTY_FILE'],
      ['a PNG', Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'), '415 UNSUPPORTED_FORMAT'],
      ['a ZIP (xlsx)', Buffer.concat([Buffer.from('504b0304', 'hex'), randomBytes(200)]), '415 UNSUPPORTED_FORMAT'],
      ['a PDF', '%PDF-1.7\n%âãÏÓ\n1 0 obj\n', '415 UNSUPPORTED_FORMAT'],
      [
        'an ELF executable',
        Buffer.concat([Buffer.from('7f454c46', 'hex'), randomBytes(200)]),
        '415 UNSUPPORTED_FORMAT',
      ],
      [
        'UTF-16 text with a byte order mark (read as the text it holds)',
        Buffer.concat([Buffer.from('fffe', 'hex'), Buffer.from('sold_at,units\n2025-03-01,1\n', 'utf16le')]),
        'TASK SUCCEEDED',
      ],
      ['NUL bytes in text', Buffer.from('sold_at,units\n2025-03-01,\u00001\n'), '415 UNSUPPORTED_FORMAT'],
      ['random bytes', randomBytes(5000), '415 UNSUPPORTED_FORMAT'],
      ['a gzip inside gzip', gzipSync(gzipSync(csvRows(10))), '415 UNSUPPORTED_FORMAT'],
      [
        'a corrupt gzip',
        Buffer.concat([Buffer.from('1f8b0800000000000003', 'hex'), randomBytes(100)]),
        '415 UNSUPPORTED_FORMAT',
      ],
      ['a gzip bomb: 200 MiB of zeros', gzipSync(Buffer.alloc(200 * MiB)), '415 UNSUPPORTED_FORMAT'],
      [
        'a gzip bomb of CSV lines (500 MiB)',
        gzipSync(Buffer.concat([Buffer.from('sold_at,units\n'), repeated('2025-03-01,1\n', 500 * MiB)]), { level: 9 }),
        'TASK FAILED COMPRESSION_RATIO_TOO_HIGH',
      ],
      [
        '2 million short bad lines in 4 KB of gzip',
        gzipSync(Buffer.concat([Buffer.from(csvRows(1000)), repeated('x\n', 4 * MiB)]), { level: 9 }),
        'TASK FAILED COMPRESSION_RATIO_TOO_HIGH',
      ],
      [
        '100 rows of 4 MiB in a gzip',
        gzipSync(
          Buffer.concat([
            Buffer.from('sold_at,note,units\n'),
            ...Array.from({ length: 100 }, () => Buffer.from(`2025-03-01,${'n'.repeat(4 * MiB)},1\n`)),
          ]),
        ),
        'TASK FAILED COMPRESSION_RATIO_TOO_HIGH',
      ],
      [
        '20 rows of 4 MiB that do not compress',
        Buffer.concat([
          Buffer.from('sold_at,note,units\n'),
          ...Array.from({ length: 20 }, () => Buffer.from(`2025-03-01,${randomBytes(3 * MiB).toString('base64')},1\n`)),
        ]),
        'TASK SUCCEEDED',
      ],
      ['20,000 columns', columns(20_000), 'TASK FAILED TOO_MANY_COLUMNS'],
      ['501 columns', columns(501), 'TASK FAILED TOO_MANY_COLUMNS'],
      ['a column name of 200 characters', `sold_at,${'n'.repeat(200)}\n2025-03-01,1\n`, 'TASK FAILED INVALID_HEADER'],
      ['duplicate column names in other case', 'sold_at,Units,units\n2025-03-01,1,2\n', 'TASK FAILED INVALID_HEADER'],
      ['a reserved column __time', 'sold_at,__time\n2025-03-01,1\n', 'TASK FAILED INVALID_HEADER'],
      ['an empty column name', 'sold_at,,units\n2025-03-01,a,1\n', 'TASK FAILED INVALID_HEADER'],
      ['no timestamp column', 'store,units\ns1,1\n', 'TASK FAILED NO_TIMESTAMP_COLUMN'],
      [
        'an unclosed quote to the end, after 40 good rows',
        `${csvRows(40)}2025-03-01,"never closed,1\n2025-03-02,x,2\n`,
        'TASK SUCCEEDED, 1 rejected',
      ],
      [
        'a row of 17 MiB among 40 good ones',
        `${csvRows(40)}2025-03-01,${'r'.repeat(17 * MiB)},1\n`,
        'TASK SUCCEEDED, 1 rejected',
      ],
      [
        'bytes that are not UTF-8 in every row (read as Windows-1252)',
        Buffer.concat([
          Buffer.from('sold_at,store,units\n'),
          ...Array.from({ length: 10 }, () => Buffer.from('2025-03-01,\xff\xfe,1\n', 'latin1')),
        ]),
        'TASK SUCCEEDED',
      ],
      [
        'mostly bytes that are not UTF-8 (binary, not Windows-1252 text)',
        Buffer.concat([
          Buffer.from('sold_at,store\n'),
          Buffer.from('\xff\xfe\xfd\xfc\xc0\xc1\xf5\xf8,'.repeat(40), 'latin1'),
        ]),
        '415 UNSUPPORTED_FORMAT',
      ],
      [
        'invalid UTF-8 in a few rows past the first 64 KiB (sniffed as UTF-8)',
        Buffer.concat([
          Buffer.from(csvRows(3000)),
          ...Array.from({ length: 3 }, () => Buffer.from('2025-03-01,\xff\xfe,1\n', 'latin1')),
        ]),
        'TASK SUCCEEDED, 3 rejected',
      ],
      [
        'formula injection in dimensions',
        'sold_at,store,units\n2025-03-01,=HYPERLINK("http://evil"),1\n2025-03-01,@SUM(1),2\n',
        'TASK SUCCEEDED',
      ],
      [
        'numbers that overflow, NaN and hex among 300 good rows',
        `${csvRows(300)}2025-03-01,s,1e309\n2025-03-01,s,NaN\n2025-03-01,s,0x10\n`,
        'TASK SUCCEEDED, 3 rejected',
      ],
      [
        'JSON lines nested 100,000 deep among 40 good lines',
        `${jsonLines(40)}${deepJson(100_000)}`,
        'TASK SUCCEEDED, 1 rejected',
      ],
      [
        'JSON lines with a __proto__ key',
        '{"sold_at":"2025-03-01","units":1,"__proto__":{"polluted":true}}\n',
        'TASK SUCCEEDED',
      ],
      [
        'JSON lines with 600 keys',
        `${JSON.stringify(Object.fromEntries([['sold_at', '2025-03-01'], ...Array.from({ length: 600 }, (_, i) => [`k${i}`, i])]))}\n`,
        'TASK FAILED TOO_MANY_COLUMNS',
      ],
      [
        'JSON lines that are arrays (read as CSV: no timestamp column)',
        '["2025-03-01",1]\n["2025-03-02",2]\n',
        'TASK FAILED NO_TIMESTAMP_COLUMN',
      ],
    ] as const
  ).map(([name, file, expect]): HostileCase => ({ category: 'file', name, expect, send: (t) => upload(t, file) })),

  // names
  ...(
    [
      ['a file name climbing folders', { filename: '../../../etc/passwd' }, 'TASK SUCCEEDED'],
      ['a file name with a NUL', { filename: 'a.csv\u0000.exe' }, 'TASK SUCCEEDED'],
      ['a file name of 300 characters', { filename: `${'f'.repeat(296)}.csv` }, 'TASK SUCCEEDED'],
      ['a file name with a right-to-left override', { filename: 'sales\u202Evsc.exe' }, 'TASK SUCCEEDED'],
      ['a data source name climbing folders', { dataSourceName: '../x' }, '400 INVALID_DATASOURCE_NAME'],
      ['a data source name with a NUL', { dataSourceName: 'a\u0000b' }, '400 INVALID_DATASOURCE_NAME'],
      ['a data source name of 65 characters', { dataSourceName: `a${'b'.repeat(64)}` }, '400 INVALID_DATASOURCE_NAME'],
      ['a data source name with non-ASCII letters', { dataSourceName: 'ñandú' }, '400 INVALID_DATASOURCE_NAME'],
      [
        'a data source name with a dot (the store separator)',
        { dataSourceName: 'default.sales' },
        '400 INVALID_DATASOURCE_NAME',
      ],
      ['an empty data source name', { dataSourceName: '' }, '400 INVALID_DATASOURCE_NAME'],
    ] as const
  ).map(
    ([name, options, expect]): HostileCase => ({
      category: 'name',
      name,
      expect,
      send: (t) => upload(t, csvRows(3), options),
    }),
  ),

  // WebSocket
  {
    category: 'websocket',
    name: 'no connection_init credential',
    expect: 'WS 4401',
    send: (t) => websocket(t, { messages: [init()] }),
  },
  {
    category: 'websocket',
    name: 'a bad bearer at connection_init',
    expect: 'WS 4401',
    send: (t) => websocket(t, { messages: [init('Bearer trb_nope')] }),
  },
  {
    category: 'websocket',
    name: 'a foreign Origin at the upgrade',
    expect: 'WS refused',
    send: (t) => websocket(t, { headers: { origin: 'https://evil.example' }, messages: [] }),
  },
  {
    category: 'websocket',
    name: 'a foreign Host at the upgrade',
    expect: 'WS 421',
    send: (t) => upgradeStatus(t, { host: 'evil.example' }),
  },
  {
    category: 'websocket',
    name: 'an upgrade on another path',
    expect: 'WS 404',
    send: (t) => upgradeStatus(t, {}, '/api/v1/tasks'),
  },
  {
    category: 'websocket',
    name: 'a message that is not JSON',
    expect: 'WS 4400',
    send: (t) => websocket(t, { messages: ['{{{'] }),
  },
  {
    category: 'websocket',
    name: 'a message over 64 KiB',
    expect: 'WS 1009',
    send: (t) => websocket(t, { messages: [`"${'x'.repeat(70_000)}"`] }),
  },
  {
    category: 'websocket',
    name: 'a query instead of a subscription',
    expect: 'WS error INVALID_REQUEST',
    send: (t) => websocket(t, { messages: [init(t.authorization), subscribe('1', '{ me { role } }')] }),
  },
  {
    category: 'websocket',
    name: 'a mutation over WebSocket',
    expect: 'WS error INVALID_REQUEST',
    send: (t) =>
      websocket(t, {
        messages: [
          init(t.authorization),
          subscribe('1', 'mutation { createApiKey(name: "ws", role: ADMIN) { secret } }'),
        ],
      }),
  },
  {
    category: 'websocket',
    name: '300 subscription fields in one document',
    expect: 'WS error GRAPHQL_VALIDATION_FAILED',
    send: (t) =>
      websocket(t, {
        messages: [
          init(t.authorization),
          subscribe(
            '1',
            `subscription { ${Array.from({ length: 300 }, (_, i) => `a${i}: ingestionTaskUpdated(taskId: "${t.taskId}") { status }`).join(' ')} }`,
          ),
        ],
      }),
  },
  {
    category: 'websocket',
    name: '100 aliases in a subscription',
    expect: 'WS error QUERY_TOO_COMPLEX',
    send: (t) =>
      websocket(t, {
        messages: [
          init(t.authorization),
          subscribe(
            '1',
            `subscription { ingestionTaskUpdated(taskId: "${t.taskId}") { ${Array.from({ length: 100 }, (_, i) => `a${i}: status`).join(' ')} } }`,
          ),
        ],
      }),
  },
  {
    category: 'websocket',
    name: 'a subscription to a task id with a NUL',
    expect: 'WS error INVALID_REQUEST',
    send: (t) =>
      websocket(t, {
        messages: [
          init(t.authorization),
          subscribe('1', 'subscription($id: ID!) { ingestionTaskUpdated(taskId: $id) { status } }', { id: 'a\u0000b' }),
        ],
      }),
  },

  // pace
  {
    category: 'pace',
    name: 'an upload that stops sending',
    expect: '400 UPLOAD_INTERRUPTED',
    send: async (t) => {
      const { body, contentType } = multipartBody([
        { name: 'dataSourceName', value: 'stall' },
        { name: 'file', value: csvRows(20_000), filename: 's.csv' },
      ]);
      const sent = await slowRequest(`${t.baseUrl}/api/v1/uploads`, {
        headers: { authorization: t.authorization, 'content-type': contentType },
        pieces: [body.subarray(0, 4000)],
        pauseMs: 10,
        stopAfter: 1,
      });
      return answerOf({ status: sent.status, text: sent.body });
    },
  },
  {
    category: 'pace',
    name: 'an upload that trickles a few bytes at a time',
    expect: '400 UPLOAD_INTERRUPTED',
    send: async (t) => {
      const { body, contentType } = multipartBody([
        { name: 'dataSourceName', value: 'trickle' },
        { name: 'file', value: csvRows(2000), filename: 't.csv' },
      ]);
      const pieces = [body.subarray(0, 400)];
      for (let at = 400; at < body.length; at += 20) pieces.push(body.subarray(at, at + 20));
      const sent = await slowRequest(`${t.baseUrl}/api/v1/uploads`, {
        headers: { authorization: t.authorization, 'content-type': contentType },
        pieces,
        pauseMs: 200,
      });
      return answerOf({ status: sent.status, text: sent.body });
    },
  },
];

/** Signs in with the VIEWER key and returns the session cookie (`name=value`). */
async function openSessionCookie(t: CorpusTarget): Promise<string> {
  const response = await fetch(`${t.baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiKey: t.viewerKey }),
  });
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}
