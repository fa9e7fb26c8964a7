/**
 * The floor under Tributary's Druid path: the same raw CSV put in the bucket and ingested by a bare native
 * `index_parallel` task (the spec Tributary builds, reading the CSV itself, bad rows skipped as parse exceptions).
 * Returns the seconds from the submit until Druid SQL shows the rows.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { DruidClient } from '../src/analytics/druid/DruidClient.ts';
import { ingestionSpec, s3Uri } from '../src/analytics/druid/ingestionSpec.ts';
import { readConfig } from '../src/config/config.ts';
import { openObjectStore } from '../src/storage/openObjectStore.ts';
import { salesSchema } from './generateSalesFile.ts';

export async function runBareDruidTask(env: Record<string, string>, file: string): Promise<number> {
  // The service's own settings and object store: the same bucket and client the service uses.
  const config = readConfig({ ...env, DATA_DIR: tmpdir() });
  if (!config.s3 || !config.druid) throw new Error('the bare Druid task needs S3_* and DRUID_URL (.services.env)');
  const objects = openObjectStore(config);
  const key = `bench/bare-${randomBytes(6).toString('hex')}.csv`;
  await objects.put(key, createReadStream(file));
  const storeName = `bench_bare_${randomBytes(4).toString('hex')}`;
  const spec = ingestionSpec({
    storeName,
    schema: salesSchema,
    taskId: storeName,
    attempt: 1,
    s3Uri: s3Uri(config.s3.bucket, key),
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
  const druid = new DruidClient({ url: config.druid.url });
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
  await objects.delete(key);
  return seconds;
}

/** rowStats.totals.buildSegments.processed of an ingestion report, when there is one. */
function rowsProcessed(report: Record<string, unknown> | null): number | null {
  const text = JSON.stringify(report ?? {});
  const match = /"buildSegments":\{[^}]*"processed":(\d+)/.exec(text);
  return match ? Number(match[1]) : null;
}
