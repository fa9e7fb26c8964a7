/**
 * The floor under Tributary's Druid path: the same raw CSV put in the bucket and ingested by a bare native
 * `index_parallel` task (the spec Tributary builds, reading the CSV itself, bad rows skipped as parse exceptions).
 * Returns the seconds from the submit until Druid SQL shows the rows.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DruidClient } from '../src/analytics/druid/DruidClient.ts';
import { ingestionSpec, s3Uri } from '../src/analytics/druid/ingestionSpec.ts';
import { salesSchema } from './generateSalesFile.ts';

export async function runBareDruidTask(env: Record<string, string>, file: string): Promise<number> {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set (.services.env)`);
    return value;
  };
  const bucket = need('S3_BUCKET');
  const s3 = new S3Client({
    endpoint: need('S3_ENDPOINT'),
    region: need('S3_REGION'),
    forcePathStyle: true,
    credentials: { accessKeyId: need('S3_ACCESS_KEY_ID'), secretAccessKey: need('S3_SECRET_ACCESS_KEY') },
  });
  const key = `bench/bare-${randomBytes(6).toString('hex')}.csv`;
  await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: createReadStream(file) } }).done();
  const storeName = `bench_bare_${randomBytes(4).toString('hex')}`;
  const spec = ingestionSpec({
    storeName,
    schema: salesSchema,
    taskId: storeName,
    attempt: 1,
    s3Uri: s3Uri(bucket, key),
    mode: 'APPEND',
    interval: { start: new Date('2000-01-01T00:00:00Z'), end: new Date('2100-01-01T00:00:00Z') },
    concurrentAppend: false,
  }) as { id: string; spec: Record<string, Record<string, unknown>> };
  const dataSchema = spec.spec.dataSchema as Record<string, unknown>;
  dataSchema.timestampSpec = { column: salesSchema.timestampColumn, format: 'iso' };
  const ioConfig = spec.spec.ioConfig as Record<string, unknown>;
  ioConfig.inputFormat = { type: 'csv', findColumnsFromHeader: true };
  const tuning = spec.spec.tuningConfig as Record<string, unknown>;
  tuning.maxParseExceptions = 2_147_483_647;
  const druid = new DruidClient({ url: need('DRUID_URL') });
  const started = performance.now();
  const { taskId } = await druid.submitTask(spec);
  for (;;) {
    const status = await druid.taskStatus(taskId);
    if (status?.statusCode === 'FAILED') throw new Error(`bare Druid task failed: ${JSON.stringify(status)}`);
    if (status?.statusCode === 'SUCCESS') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const report = (await druid.taskReport(taskId)) as unknown as Record<string, unknown> | null;
  const processed = rowsProcessed(report);
  for (;;) {
    const rows = await druid.sql(`SELECT COUNT(*) AS n FROM "${storeName}"`).catch(() => []);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0 && (processed === null || n >= processed)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  await druid.markDataSourceUnused(storeName).catch(() => {});
  return seconds;
}

/** rowStats.totals.buildSegments.processed of an ingestion report, when there is one. */
function rowsProcessed(report: Record<string, unknown> | null): number | null {
  const text = JSON.stringify(report ?? {});
  const match = /"buildSegments":\{[^}]*"processed":(\d+)/.exec(text);
  return match ? Number(match[1]) : null;
}
