import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { storeNameOf } from '../../src/datasources/DataSourceStore.ts';
import { asTask, graphql, uploadViaGraphql, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { sampleSalesCsv } from '../support/sampleSales.ts';
import { readServicesEnv, s3Settings, servicesMissing } from '../support/servicesEnv.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const env = readServicesEnv();
const DRUID_TIMEOUT = 240_000;

async function druidSql<T>(druidUrl: string, query: string, parameters: unknown[] = []): Promise<T[]> {
  const response = await fetch(`${druidUrl}/druid/v2/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, parameters, resultFormat: 'object' }),
  });
  if (!response.ok) throw new Error(`Druid SQL ${response.status}: ${await response.text()}`);
  return (await response.json()) as T[];
}

/**
 * GraphQL multipart upload → S3 API server → PostgreSQL → Druid, checked with Druid's own SQL and task report.
 */
describe('the pipeline on real services: S3Proxy, PostgreSQL and Druid', {
  skip: env ? false : servicesMissing,
}, () => {
  const services = env ?? {};
  const druidUrl = services.DRUID_URL ?? '';
  const dataSource = `sales_${randomBytes(4).toString('hex')}`;
  // The Druid datasource and object prefix of this data source in the workspace of the test's key.
  const storeName = storeNameOf('default', dataSource);
  const sample = sampleSalesCsv(200);
  let app: TestApp;

  before(async () => {
    app = await startTestApp({
      backend: 'postgres',
      env: { ...s3Settings(services), DRUID_URL: druidUrl, DRUID_RETRY_SECONDS: '60' },
    });
  });
  after(async () => {
    await app?.close();
  });

  const druidTotals = async (where: string, parameters: unknown[]) =>
    (
      await druidSql<{ rows: number; quantity: number; amount: number }>(
        druidUrl,
        `SELECT SUM("__row_count") AS "rows", SUM("quantity") AS quantity, SUM("amount") AS amount
         FROM "${storeName}" WHERE ${where}`,
        parameters,
      )
    )[0];

  test('a CSV with bad rows is loaded into Druid, every row accounted for and verified', {
    timeout: DRUID_TIMEOUT,
  }, async () => {
    const upload = await uploadViaGraphql(app, {
      dataSourceName: dataSource,
      filename: 'sales.csv',
      content: sample.csv,
    });
    const accepted = asTask(upload.result);
    const task = await waitForTerminal(app, accepted.taskId, DRUID_TIMEOUT);
    assert.equal(task.status, 'SUCCEEDED', `${task.errorCode}: ${task.errorMessage}`);
    assert.equal(task.rowsTotal, sample.rowsTotal);
    assert.equal(task.rowsValid, sample.rowsValid);
    assert.equal(task.rowsRejected, sample.rejections.length);
    assert.equal(task.rowsLoaded, sample.rowsValid);
    assert.match(task.storeTaskId ?? '', /tributary/);
    assert.equal(task.storeState, 'QUERYABLE');

    // Druid's own report reconciles with our ledger.
    const report = (await (await fetch(`${druidUrl}/druid/indexer/v1/task/${task.storeTaskId}/reports`)).json()) as {
      ingestionStatsAndErrors: { payload: { rowStats: Record<string, Record<string, number>> } };
    };
    const stats = report.ingestionStatsAndErrors.payload.rowStats.buildSegments;
    assert.equal(stats?.processed, sample.rowsValid);
    assert.equal(stats?.processedWithError, 0);
    assert.equal(stats?.unparseable, 0);
    assert.equal(stats?.thrownAway, 0);

    // Druid SQL totals equal the file's.
    const totals = await druidTotals('"__task_id" = ?', [{ type: 'VARCHAR', value: task.taskId }]);
    assert.equal(totals?.rows, sample.rowsValid);
    assert.equal(totals?.quantity, sample.quantitySum);
    assert.ok(Math.abs((totals?.amount ?? 0) - sample.amountSum) < 1e-6);

    // The raw upload sits unchanged in the S3 bucket.
    const s3 = new S3Client({
      endpoint: services.S3_ENDPOINT,
      region: services.S3_REGION,
      forcePathStyle: true,
      credentials: {
        accessKeyId: services.S3_ACCESS_KEY_ID ?? '',
        secretAccessKey: services.S3_SECRET_ACCESS_KEY ?? '',
      },
    });
    const stored = await app.services.tasks.getById(task.taskId);
    const object = await s3.send(new GetObjectCommand({ Bucket: services.S3_BUCKET, Key: stored?.objectKey }));
    const bytes = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    assert.equal(createHash('sha256').update(bytes).digest('hex'), task.sha256);
    // The validated copy Druid read is removed once the task has succeeded.
    await assert.rejects(
      s3.send(
        new HeadObjectCommand({
          Bucket: services.S3_BUCKET,
          Key: `validated/${storeName}/${task.taskId}/attempt-1.jsonl`,
        }),
      ),
      (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404,
    );
    s3.destroy();

    const summary = await graphql<{
      dataSourceSummary: { rowCount: number; metricTotals: { name: string; sum: number }[] };
    }>(
      app,
      'query($n: String!) { dataSourceSummary(dataSourceName: $n) { rowCount minTime maxTime metricTotals { name sum } } }',
      { n: dataSource },
    );
    assert.equal(summary.data?.dataSourceSummary.rowCount, sample.rowsValid);

    const series = await graphql<{ dataSourceTimeSeries: { day: string; value: number }[] }>(
      app,
      'query($n: String!) { dataSourceTimeSeries(dataSourceName: $n, metric: "quantity") { day value } }',
      { n: dataSource },
    );
    const points = series.data?.dataSourceTimeSeries ?? [];
    assert.equal(points.length, 28);
    assert.equal(
      points.reduce((sum, point) => sum + point.value, 0),
      sample.quantitySum,
    );
  });

  test('the same file again in APPEND (allowDuplicate) doubles the totals; in REPLACE it does not', {
    timeout: 2 * DRUID_TIMEOUT,
  }, async () => {
    const appended = await uploadViaRest(app, {
      dataSourceName: dataSource,
      filename: 'again.csv',
      content: sample.csv,
      allowDuplicate: true,
    });
    assert.equal(appended.status, 202);
    const second = await waitForTerminal(app, String(appended.body.taskId), DRUID_TIMEOUT);
    assert.equal(second.status, 'SUCCEEDED', `${second.errorCode}: ${second.errorMessage}`);
    assert.equal((await druidTotals('1 = 1', []))?.rows, 2 * sample.rowsValid);

    const replaced = await uploadViaGraphql(app, {
      dataSourceName: dataSource,
      filename: 'corrected.csv',
      content: sample.csv,
      mode: 'REPLACE',
    });
    const third = await waitForTerminal(app, asTask(replaced.result).taskId, DRUID_TIMEOUT);
    assert.equal(third.status, 'SUCCEEDED', `${third.errorCode}: ${third.errorMessage}`);
    assert.ok(third.replacedInterval);
    const totals = await druidTotals('1 = 1', []);
    assert.equal(totals?.rows, sample.rowsValid);
    assert.equal(totals?.quantity, sample.quantitySum);
  });
});
