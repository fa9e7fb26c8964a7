import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, previewViaGraphql, previewViaRest, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { ambiguousExport, realExports } from '../support/realExports.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

/** Files under DATA_DIR/objects: a preview must leave none. */
async function storedObjects(app: TestApp): Promise<number> {
  const entries = await readdir(path.join(app.dataDir, 'objects'), { recursive: true, withFileTypes: true }).catch(
    () => [],
  );
  return entries.filter((entry) => entry.isFile()).length;
}

describe('previews: what an upload would do, before anything is stored', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app?.close();
  });

  test('an ambiguous file: the problem, the candidates, then the rows once dateOrder is chosen (GraphQL)', async () => {
    const { content } = ambiguousExport();
    const first = await previewViaGraphql(app, { dataSourceName: 'preview_a', filename: 'a.csv', content });
    assert.equal(first.result?.__typename, 'UploadPreview', JSON.stringify(first.body));
    const preview = first.result as Record<string, unknown>;
    assert.deepEqual(preview.problem, {
      code: 'AMBIGUOUS_DATE_FORMAT',
      message: (preview.problem as { message: string }).message,
    });
    assert.match((preview.problem as { message: string }).message, /"Order Date"/);
    assert.deepEqual(preview.header, ['Order Date', 'Units']);
    assert.deepEqual(
      (preview.timestampCandidates as { column: string; ambiguous: boolean }[]).map((c) => [c.column, c.ambiguous]),
      [['Order Date', true]],
    );
    assert.equal(preview.schemaIsStored, false);
    const chosen = await previewViaGraphql(app, {
      dataSourceName: 'preview_a',
      filename: 'a.csv',
      content,
      reading: { dateOrder: 'MDY' },
    });
    const ok = chosen.result as Record<string, unknown>;
    assert.equal(ok.problem, null);
    assert.equal(ok.timestampFormat, 'M/D/YYYY');
    assert.deepEqual(ok.columns, ['__time', 'Units']);
    assert.deepEqual((ok.rows as string[][]).slice(0, 2), [
      ['2025-01-01T00:00:00.000Z', '1'],
      ['2025-02-06T00:00:00.000Z', '2'],
    ]);
    assert.equal(ok.rowsValid, 40);
    assert.equal(ok.complete, true);
    assert.equal(await storedObjects(app), 0, 'nothing stored');
    const tasks = await call(app, 'GET', '/api/v1/tasks');
    assert.equal((tasks.body as { tasks: unknown[] }).tasks.length, 0, 'no task');
  });

  test('REST: against a stored schema, fits or names the missing and extra columns; rejections with lines', async () => {
    const file = realExports[1];
    assert.ok(file);
    const upload = await uploadViaRest(app, {
      dataSourceName: 'preview_us',
      filename: file.filename,
      content: file.content,
    });
    assert.equal((await waitForTerminal(app, String(upload.body.taskId))).status, 'SUCCEEDED');
    const same = await previewViaRest(app, { dataSourceName: 'preview_us', filename: 'b.csv', content: file.content });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.schemaIsStored, true);
    assert.equal(same.body.fitsStoredSchema, true);
    assert.equal(same.body.rowsRejected, 1);
    assert.deepEqual(
      (same.body.rejections as { code: string; column: string }[]).map((r) => [r.code, r.column]),
      [['INVALID_TIMESTAMP', 'Transaction Date']],
    );
    const other = await previewViaRest(app, {
      dataSourceName: 'preview_us',
      filename: 'c.csv',
      content: 'Transaction Date,Store,Price\n3/13/2025,x,1\n',
    });
    assert.equal(other.body.fitsStoredSchema, false);
    assert.deepEqual(other.body.missingColumns, ['SKU', 'Units', 'Amount']);
    assert.deepEqual(other.body.extraColumns, ['Price']);
    assert.equal((other.body.problem as { code: string }).code, 'SCHEMA_MISMATCH');
  });

  test('a huge cell is shortened in the answer (a preview stays small whatever the row)', async () => {
    const note = 'n'.repeat(1024 * 1024);
    const answer = await previewViaRest(app, {
      dataSourceName: 'preview_wide',
      filename: 'wide.csv',
      content: `sold_at,note,units\n2025-03-01T10:00:00Z,${note},1\n`,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 300));
    const rows = answer.body.rows as string[][];
    assert.equal(rows[0]?.[1], `${'n'.repeat(200)}…`);
    assert.ok(JSON.stringify(answer.body).length < 20_000);
  });

  test('a file over 10 MB: only its first 10 MB are read; a binary file is UNSUPPORTED_FORMAT; nothing stored', async () => {
    const row = '2025-03-01T10:00:00Z,store-1,3\n';
    const big = `sold_at,store,units\n${row.repeat(Math.ceil((12 * 1024 * 1024) / row.length))}`;
    const answer = await previewViaRest(app, { dataSourceName: 'preview_big', filename: 'big.csv', content: big });
    assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 300));
    assert.equal(answer.body.complete, false);
    assert.equal(answer.body.bytesRead, 10 * 1024 * 1024);
    assert.equal(answer.body.rowsRejected, 0, 'the cut last row is not read');
    assert.ok(Number(answer.body.rowsValid) > 300_000);
    const png = await previewViaRest(app, {
      dataSourceName: 'preview_big',
      filename: 'x.png',
      content: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
    });
    assert.equal(png.status, 415);
    assert.equal(png.body.code, 'UNSUPPORTED_FORMAT');
    assert.equal(await storedObjects(app), 1, 'only the raw file of the one upload above');
  });
});
