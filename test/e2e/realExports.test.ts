import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkRealExport } from '../support/checkRealExport.ts';
import { graphql, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { ambiguousExport, realExports } from '../support/realExports.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

/**
 * Real sales exports, as other tools write them, load without editing on the embedded default: each with its exact
 * ledger, totals, time range, encoding, delimiter and the columns it must make (test/support/realExports.ts).
 */
describe('real exports load without editing (embedded default)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app?.close();
  });

  for (const [i, file] of realExports.entries()) {
    test(file.name, async () => {
      await checkRealExport(app, `export_${i}`, file, 60_000);
    });
  }

  test('ambiguous dates: AMBIGUOUS_DATE_FORMAT naming the column; dateOrder loads it; the next upload needs no choice', async () => {
    const { content, rows, units } = ambiguousExport();
    const first = await uploadViaRest(app, { dataSourceName: 'ambiguous', filename: 'a.csv', content });
    const failed = await waitForTerminal(app, String(first.body.taskId));
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.errorCode, 'AMBIGUOUS_DATE_FORMAT');
    assert.match(failed.errorMessage ?? '', /dateOrder MDY or DMY/);
    const chosen = await uploadViaRest(app, {
      dataSourceName: 'ambiguous',
      filename: 'a.csv',
      content,
      reading: { dateOrder: 'DMY' },
    });
    const loaded = await waitForTerminal(app, String(chosen.body.taskId));
    assert.equal(loaded.status, 'SUCCEEDED', `${loaded.errorCode} ${loaded.errorMessage}`);
    assert.equal(loaded.rowsValid, rows);
    // 1/1/2025, then "2/6/2025" is 2 June (day first): the latest is 12/12/2025 either way, the earliest 1 January.
    assert.equal(loaded.minTime, '2025-01-01T00:00:00.000Z');
    const schema = await graphql<{ dataSourceSchema: { timestampColumn: string; dateOrder: string | null } }>(
      app,
      '{ dataSourceSchema(dataSourceName: "ambiguous") { timestampColumn dateOrder } }',
    );
    assert.deepEqual(schema.data?.dataSourceSchema, { timestampColumn: 'Order Date', dateOrder: 'DMY' });
    const again = await uploadViaRest(app, {
      dataSourceName: 'ambiguous',
      filename: 'b.csv',
      content,
      allowDuplicate: true,
    });
    const next = await waitForTerminal(app, String(again.body.taskId));
    assert.equal(next.status, 'SUCCEEDED', `the stored dateOrder decides: ${next.errorCode} ${next.errorMessage}`);
    const summary = await graphql<{ dataSourceSummary: { rowCount: number; metricTotals: { sum: number }[] } }>(
      app,
      '{ dataSourceSummary(dataSourceName: "ambiguous") { rowCount metricTotals { sum } } }',
    );
    assert.equal(summary.data?.dataSourceSummary.rowCount, 2 * rows);
    assert.equal(summary.data?.dataSourceSummary.metricTotals[0]?.sum, 2 * units);
  });

  test('reading options are checked at upload: a bad timeZone, dateOrder or decimalSeparator is INVALID_REQUEST', async () => {
    for (const [field, value] of [
      ['timeZone', 'Mars/Olympus'],
      ['dateOrder', 'YMD'],
      ['decimalSeparator', ';'],
    ] as const) {
      const answer = await uploadViaRest(app, {
        dataSourceName: 'bad_options',
        filename: 'x.csv',
        content: 'date,units\n2025-01-01,1\n',
        reading: { [field]: value },
      });
      assert.equal(answer.status, 400, field);
      assert.equal(answer.body.code, 'INVALID_REQUEST', field);
      assert.match(String(answer.body.detail ?? answer.body.details ?? ''), new RegExp(field), field);
    }
  });
});
