import assert from 'node:assert/strict';
import { type ApiTarget, graphql, uploadViaRest, waitForTerminal } from './client.ts';
import type { RealExport } from './realExports.ts';

/** Uploads one real export to `dataSourceName` and checks everything it expects: status, ledger, totals, columns. */
export async function checkRealExport(
  app: ApiTarget,
  dataSourceName: string,
  file: RealExport,
  timeoutMs: number,
): Promise<void> {
  const upload = await uploadViaRest(app, {
    dataSourceName,
    filename: file.filename,
    content: file.content,
    ...(file.reading ? { reading: file.reading } : {}),
  });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  const task = await waitForTerminal(app, String(upload.body.taskId), timeoutMs);
  const expect = file.expect;
  assert.equal(task.status, expect.status, `${task.errorCode}: ${task.errorMessage}`);
  if (expect.errorCode) assert.equal(task.errorCode, expect.errorCode);
  if (expect.encoding) assert.equal(task.encoding, expect.encoding);
  if (expect.delimiter) assert.equal(task.delimiter, expect.delimiter);
  if (expect.rowsValid !== undefined) assert.equal(task.rowsValid, expect.rowsValid);
  if (expect.rowsRejected !== undefined) assert.equal(task.rowsRejected, expect.rowsRejected);
  if (expect.minTime) assert.equal(task.minTime, expect.minTime);
  if (expect.maxTime) assert.equal(task.maxTime, expect.maxTime);
  if (expect.status !== 'SUCCEEDED') return;
  assert.equal(task.rowsLoaded, task.rowsValid, 'verified in the store');
  const answer = await graphql<{
    dataSourceSchema: { timestampColumn: string; dimensions: string[]; metrics: { name: string }[] };
    dataSourceSummary: { rowCount: number; metricTotals: { name: string; sum: number }[] };
  }>(
    app,
    `query($n: String!) {
      dataSourceSchema(dataSourceName: $n) { timestampColumn dimensions metrics { name } }
      dataSourceSummary(dataSourceName: $n) { rowCount metricTotals { name sum } }
    }`,
    { n: dataSourceName },
  );
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  const schema = answer.data?.dataSourceSchema;
  const summary = answer.data?.dataSourceSummary;
  if (expect.timestampColumn) assert.equal(schema?.timestampColumn, expect.timestampColumn);
  for (const name of expect.dimensions ?? []) assert.ok(schema?.dimensions.includes(name), `${name} is a dimension`);
  for (const name of expect.metrics ?? []) {
    assert.ok(
      schema?.metrics.some((m) => m.name === name),
      `${name} is a metric`,
    );
  }
  assert.equal(summary?.rowCount, expect.rowsValid);
  for (const [name, sum] of Object.entries(expect.totals ?? {})) {
    const stored = summary?.metricTotals.find((m) => m.name === name)?.sum;
    assert.equal(Math.round((stored ?? Number.NaN) * 100) / 100, sum, `the total of ${name}`);
  }
}
