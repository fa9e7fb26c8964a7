import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { checkRealExport } from '../support/checkRealExport.ts';
import { realExports } from '../support/realExports.ts';
import { readServicesEnv, s3Settings, servicesMissing } from '../support/servicesEnv.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const env = readServicesEnv();
const TIMEOUT = 600_000;

/**
 * The real-exports corpus through S3, PostgreSQL and Druid: Druid receives the normalised values (ISO instants, plain
 * numbers) and must hold exactly each file's ledger and totals, read back through Druid SQL. The files are uploaded
 * at once, each to its own data source (Druid runs two tasks at a time here).
 */
describe('real exports load without editing (S3, PostgreSQL, Druid)', { skip: env ? false : servicesMissing }, () => {
  let app: TestApp;
  const run = randomBytes(3).toString('hex');
  before(async () => {
    app = await startTestApp({
      backend: 'postgres',
      env: {
        ...s3Settings(env ?? {}),
        DRUID_URL: env?.DRUID_URL ?? '',
        DRUID_RETRY_SECONDS: '60',
        WORKER_CONCURRENCY: '4',
        MAX_CONCURRENT_UPLOADS: '16',
      },
    });
  });
  after(async () => {
    await app?.close();
  });

  test(`${realExports.length} exports, each with its ledger and totals verified in Druid`, {
    timeout: TIMEOUT,
  }, async () => {
    await Promise.all(realExports.map((file, i) => checkRealExport(app, `export_${run}_${i}`, file, TIMEOUT)));
  });
});
