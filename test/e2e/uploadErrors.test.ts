import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  as,
  asTask,
  asUploadError,
  authHeaders,
  call,
  graphql,
  uploadViaGraphql,
  uploadViaRest,
} from '../support/client.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const LIMIT = 4096;

/** Refused uploads: answered by the upload call itself, with a specific code, leaving nothing stored. */
describe('uploads refused at the door', () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp({ env: { MAX_UPLOAD_BYTES: String(LIMIT) } });
  });
  after(async () => {
    await app?.close();
  });

  const cases: {
    name: string;
    dataSourceName: string;
    filename: string;
    content: Buffer | string;
    code: string;
    status: number;
  }[] = [
    {
      name: 'an empty file',
      dataSourceName: 'sales',
      filename: 'empty.csv',
      content: '',
      code: 'EMPTY_FILE',
      status: 400,
    },
    {
      name: 'an empty gzip',
      dataSourceName: 'sales',
      filename: 'e.csv.gz',
      content: gzipSync(''),
      code: 'EMPTY_FILE',
      status: 400,
    },
    {
      name: 'a PNG renamed .csv',
      dataSourceName: 'sales',
      filename: 'photo.csv',
      content: PNG,
      code: 'UNSUPPORTED_FORMAT',
      status: 415,
    },
    {
      name: 'a ZIP (xlsx) file',
      dataSourceName: 'sales',
      filename: 'book.xlsx',
      content: Buffer.concat([Buffer.from('504b0304', 'hex'), Buffer.alloc(200, 1)]),
      code: 'UNSUPPORTED_FORMAT',
      status: 415,
    },
    {
      name: 'a file one byte over the limit',
      dataSourceName: 'sales',
      filename: 'big.csv',
      content: `ts,v\n${'2025-01-01,1\n'.repeat(300)}`.padEnd(LIMIT + 1, '\n'),
      code: 'FILE_TOO_LARGE',
      status: 413,
    },
    {
      name: 'a traversal-like data source name',
      dataSourceName: '../etc',
      filename: 'x.csv',
      content: 'ts,v\n2025-01-01,1\n',
      code: 'INVALID_DATASOURCE_NAME',
      status: 400,
    },
    {
      name: 'a data source name of 65 characters',
      dataSourceName: `a${'b'.repeat(64)}`,
      filename: 'x.csv',
      content: 'ts,v\n2025-01-01,1\n',
      code: 'INVALID_DATASOURCE_NAME',
      status: 400,
    },
  ];

  for (const c of cases) {
    test(`GraphQL: ${c.name} is ${c.code}`, async () => {
      const upload = await uploadViaGraphql(app, c);
      assert.equal(upload.status, 200);
      const error = asUploadError(upload.result);
      assert.equal(error.code, c.code);
      assert.ok(error.message.length > 20, error.message);
    });

    test(`REST: ${c.name} is ${c.status} ${c.code}`, async () => {
      const upload = await uploadViaRest(app, c);
      assert.equal(upload.status, c.status);
      assert.match(upload.contentType ?? '', /application\/problem\+json/);
      assert.equal(upload.body.code, c.code);
      assert.equal(upload.body.status, c.status);
      assert.equal(typeof upload.body.title, 'string');
    });
  }

  test('a file of exactly the limit is accepted', async () => {
    const content = `ts,v\n${'2025-01-01,1\n'.repeat(300)}`.padEnd(LIMIT, '\n');
    assert.equal(Buffer.byteLength(content), LIMIT);
    const upload = await uploadViaGraphql(app, { dataSourceName: 'limit', filename: 'limit.csv', content });
    assert.equal(asTask(upload.result).fileSizeBytes, LIMIT);
  });

  test('refused uploads left no task and no stored object behind', async () => {
    const tasks = await graphql<{ ingestionTasks: { nodes: { dataSourceName: string }[] } }>(
      app,
      '{ ingestionTasks(first: 100) { nodes { dataSourceName } } }',
    );
    assert.deepEqual(
      tasks.data?.ingestionTasks.nodes.map((t) => t.dataSourceName),
      ['limit'],
    );
    const stored = await listFiles(path.join(app.dataDir, 'objects'));
    assert.equal(stored.length, 1);
    assert.match(stored[0] ?? '', /^raw\/default\.limit\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\/limit\.csv$/);
  });

  test('a multipart GraphQL request signed in by the session cookie needs a preflight header or an Origin (CSRF)', async () => {
    const session = await call(app, 'POST', '/api/v1/session', { body: { apiKey: app.adminKey } });
    assert.equal(session.status, 200);
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const content = { dataSourceName: 'sales', filename: 'x.csv', content: 'ts,v\n2025-01-01,1\n' };
    const cookieOnly = await uploadViaGraphql(as(app, undefined), content, { cookie });
    assert.equal(cookieOnly.status, 400);
    const body = cookieOnly.body as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0]?.extensions.code, 'PREFLIGHT_REQUIRED');
    const withPreflight = await uploadViaGraphql(as(app, undefined), content, {
      cookie,
      'Apollo-Require-Preflight': 'true',
    });
    assert.equal(asTask(withPreflight.result).status, 'UPLOADED');
    // A bearer client (curl, scripts, the CLI) cannot be driven cross-site, so it needs no preflight header.
    const bearerOnly = await uploadViaGraphql(app, content, authHeaders(app));
    assert.equal(asTask(bearerOnly.result).status, 'UPLOADED');
  });

  test('broken multipart GraphQL requests get a specific 400', async () => {
    const send = async (parts: [string, string | Blob, string?][]) => {
      const form = new FormData();
      for (const [name, value, filename] of parts) {
        if (typeof value === 'string') form.append(name, value);
        else form.append(name, value, filename);
      }
      const response = await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        body: form,
        headers: authHeaders(app, { 'Apollo-Require-Preflight': 'true' }),
      });
      const body = (await response.json()) as { errors: { message: string }[] };
      return { status: response.status, message: body.errors?.[0]?.message ?? '' };
    };
    const file = new Blob(['ts,v\n2025-01-01,1\n']);
    assert.deepEqual(
      await send([
        ['operations', '{not json'],
        ['map', '{}'],
      ]),
      {
        status: 400,
        message: 'The "operations" field is not valid JSON.',
      },
    );
    assert.deepEqual(
      await send([
        ['0', file, 'a.csv'],
        ['operations', '{}'],
        ['map', '{}'],
      ]),
      {
        status: 400,
        message: 'The "operations" and "map" fields must come before the file.',
      },
    );
    const twoFiles = await send([
      ['operations', '{"query":"{ uploadLimits { maxUploadBytes } }"}'],
      ['map', '{"0":["variables.a"],"1":["variables.b"]}'],
    ]);
    assert.deepEqual(twoFiles, { status: 400, message: 'Send one file per request.' });
  });

  test('invalid GraphQL documents are refused with a code', async () => {
    const invalid = await graphql(app, '{ noSuchField }');
    assert.equal(invalid.status, 400);
    assert.equal(invalid.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    const broken = await graphql(app, '{ ingestionTasks( }');
    assert.equal(broken.errors?.[0]?.extensions?.code, 'GRAPHQL_PARSE_FAILED');
  });

  test('the upload limits are readable through the API', async () => {
    const response = await graphql<{ uploadLimits: { maxUploadBytes: number; maxRejectedRatio: number } }>(
      app,
      '{ uploadLimits { maxUploadBytes maxRejectedRatio } }',
    );
    assert.deepEqual(response.data?.uploadLimits, { maxUploadBytes: LIMIT, maxRejectedRatio: 0.05 });
  });
});

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}
