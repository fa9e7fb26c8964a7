import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DruidClient, DruidHttpError, isUnknownDataSourceError } from '../../src/analytics/druid/DruidClient.ts';
import { AppError } from '../../src/errors/AppError.ts';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A stand-in for the Druid router that answers what each test scripts; no Druid needed. */
describe('DruidClient against a scripted HTTP server', () => {
  let server: Server;
  let url: string;
  let handler: Handler = (_req, _body, res) => res.end();
  const seen: { method: string; url: string; body: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body });
        handler(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new DruidClient({ url, retryBudgetMs: 3_000, initialBackoffMs: 50 });
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  test('5xx answers are retried until one succeeds', async () => {
    let calls = 0;
    handler = (_req, _body, res) => {
      calls += 1;
      if (calls < 3) json(res, 503, { error: 'no leader' });
      else json(res, 200, { task: 't1' });
    };
    assert.deepEqual(await client().submitTask({ id: 't1' }), { taskId: 't1', alreadyExisted: false });
    assert.equal(calls, 3);
  });

  test('"entryAlreadyExists" on submit counts as submitted; other 400s are errors, not retried', async () => {
    let calls = 0;
    handler = (_req, _body, res) => {
      calls += 1;
      json(res, 400, {
        error: 'druidException',
        errorCode: 'entryAlreadyExists',
        errorMessage: 'Task[t1] already exists',
      });
    };
    assert.deepEqual(await client().submitTask({ id: 't1' }), { taskId: 't1', alreadyExisted: true });
    handler = (_req, _body, res) => {
      calls += 1;
      json(res, 400, { error: 'druidException', errorCode: 'invalidInput', errorMessage: 'bad spec' });
    };
    await assert.rejects(
      client().submitTask({ id: 't1' }),
      (e: unknown) => e instanceof DruidHttpError && e.status === 400,
    );
    assert.equal(calls, 2);
  });

  test('a 5xx that never ends is DRUID_UNAVAILABLE with the last answer', async () => {
    handler = (_req, _body, res) => json(res, 500, { error: 'boom' });
    const t0 = performance.now();
    await assert.rejects(
      new DruidClient({ url, retryBudgetMs: 1_000, initialBackoffMs: 50 }).sql('SELECT 1'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'DRUID_UNAVAILABLE' &&
        /SQL query .*last error: HTTP 500 .*boom/.test(e.details ?? ''),
    );
    assert.ok(performance.now() - t0 < 2_000);
  });

  test('a request that hangs times out and is retried', async () => {
    let calls = 0;
    handler = (_req, _body, res) => {
      calls += 1;
      if (calls === 1) return; // never answers
      res.end('true');
    };
    await new DruidClient({ url, retryBudgetMs: 5_000, requestTimeoutMs: 300, initialBackoffMs: 50 }).health();
    assert.equal(calls, 2);
  });

  test('status of an unknown task is null; status and report are parsed', async () => {
    handler = (req, _body, res) => {
      if (req.url?.includes('/nope/')) res.writeHead(404).end('Cannot find any task with id: [nope]');
      else if (req.url?.endsWith('/status'))
        json(res, 200, {
          task: 't1',
          status: { statusCode: 'RUNNING', runnerStatusCode: 'PENDING', errorMsg: null, duration: -1 },
        });
      else
        json(res, 200, {
          ingestionStatsAndErrors: {
            payload: {
              ingestionState: 'COMPLETED',
              errorMsg: null,
              rowStats: {
                determinePartitions: { processed: 5, processedWithError: 0, thrownAway: 0, unparseable: 1 },
                buildSegments: { processed: 4, processedWithError: 0, thrownAway: 0, unparseable: 0 },
              },
              unparseableEvents: {
                determinePartitions: [
                  { input: '{}', errorType: 'unparseable', details: ['Timestamp[x] is unparseable!'] },
                ],
              },
            },
          },
        });
    };
    assert.equal(await client().taskStatus('nope'), null);
    assert.deepEqual(await client().taskStatus('t1'), {
      id: 't1',
      statusCode: 'RUNNING',
      runnerStatusCode: 'PENDING',
      errorMsg: null,
      duration: -1,
    });
    assert.deepEqual(await client().taskReport('t1'), {
      ingestionState: 'COMPLETED',
      errorMsg: null,
      rowStats: {
        determinePartitions: { processed: 5, processedWithError: 0, thrownAway: 0, unparseable: 1 },
        buildSegments: { processed: 4, processedWithError: 0, thrownAway: 0, unparseable: 0 },
      },
      parseExceptionMessages: ['Timestamp[x] is unparseable!'],
      segmentsPublished: null,
    });
  });

  test('SQL sends typed parameters and asks for objects; loadstatus carries the interval', async () => {
    seen.length = 0;
    handler = (req, _body, res) => {
      if (req.url?.startsWith('/druid/v2/sql')) json(res, 200, [{ n: 3 }]);
      else json(res, 200, { ds: 100.0 });
    };
    assert.deepEqual(await client().sql('SELECT ? AS n', [{ type: 'VARCHAR', value: 'x' }]), [{ n: 3 }]);
    assert.deepEqual(JSON.parse(seen[0]?.body ?? '{}'), {
      query: 'SELECT ? AS n',
      parameters: [{ type: 'VARCHAR', value: 'x' }],
      resultFormat: 'object',
      context: { sqlTimeZone: 'Etc/UTC' },
    });
    const interval = { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-03-02T00:00:00Z') };
    assert.equal(await client().loadStatus('ds', interval), 100);
    assert.equal(
      seen[1]?.url,
      '/druid/coordinator/v1/datasources/ds/loadstatus?forceMetadataRefresh=true&interval=2025-03-01T00%3A00%3A00.000Z%2F2025-03-02T00%3A00%3A00.000Z',
    );
    handler = (_req, _body, res) => res.writeHead(204).end();
    assert.equal(await client().loadStatus('ds', interval), null, 'no used segment in the interval');
  });

  test('an unknown data source in SQL is recognisable', async () => {
    handler = (_req, _body, res) =>
      json(res, 400, {
        error: 'druidException',
        errorCode: 'invalidInput',
        errorMessage: "Object 'x' not found (line [1], column [15])",
      });
    const error = await client()
      .sql('SELECT 1 FROM x')
      .catch((e: unknown) => e);
    assert.ok(isUnknownDataSourceError(error));
  });

  test('the task log tail is best effort', async () => {
    handler = (_req, _body, res) => res.writeHead(404).end('No log was found for this task');
    assert.equal(await client().taskLogTail('t1'), null);
    handler = (req, _body, res) => res.end(`log of ${req.url}`);
    assert.equal(await client().taskLogTail('t1'), 'log of /druid/indexer/v1/task/t1/log?offset=-8192');
  });
});
