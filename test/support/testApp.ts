import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { AnalyticsStore } from '../../src/analytics/AnalyticsStore.ts';
import { buildServer } from '../../src/api/buildServer.ts';
import { closeServices, createServices } from '../../src/app/createServices.ts';
import type { Services } from '../../src/app/Services.ts';
import { startWorker } from '../../src/app/startWorker.ts';
import { readConfig } from '../../src/config/config.ts';
import type { ObjectStore } from '../../src/storage/ObjectStore.ts';
import { copyPgliteTemplate } from './pgliteTemplate.ts';
import { createFreshDatabase } from './testDatabase.ts';

export type Backend = 'pglite' | 'postgres';

/** Which task databases the suite runs on: both by default; TEST_BACKENDS=pglite for the embedded one alone. */
export const backends: Backend[] = (process.env.TEST_BACKENDS ?? 'pglite,postgres')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is Backend => name === 'pglite' || name === 'postgres');

export interface TestApp {
  baseUrl: string;
  /** The server-admin key created at start (workspace `default`, ADMIN), as an Authorization header value. */
  authorization: string;
  /** Its secret. */
  adminKey: string;
  services: Services;
  dataDir: string;
  server: FastifyInstance;
  /** Starts the worker role (when the app was started without it). */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real service on real stores: PGlite or a fresh PostgreSQL database, the local object store and
 * DuckDB in a temporary folder, listening on a free loopback port.
 */
export async function startTestApp(
  options: {
    backend?: Backend;
    env?: Record<string, string>;
    worker?: boolean;
    wrapAnalytics?: (store: AnalyticsStore) => AnalyticsStore;
    wrapObjects?: (store: ObjectStore) => ObjectStore;
  } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-test-'));
  const database = options.backend === 'postgres' ? await createFreshDatabase() : undefined;
  if (!database) await copyPgliteTemplate(path.join(dataDir, 'pglite'));
  const config = readConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    JOB_RETRY_LIMIT: '1',
    JOB_RETRY_DELAY_SECONDS: '1',
    // Tests send many refused credentials from 127.0.0.1 on purpose; the limit has its own test.
    AUTH_FAILURES_PER_MINUTE: '1000000',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const services = await createServices(config, log, {
    ...(options.wrapAnalytics ? { wrapAnalytics: options.wrapAnalytics } : {}),
    ...(options.wrapObjects ? { wrapObjects: options.wrapObjects } : {}),
  });
  let stopWorker: (() => Promise<void>) | undefined;
  if (options.worker !== false) stopWorker = await startWorker(services);
  const server = await buildServer(services);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('the test server has no TCP address');
  const adminKey = services.bootstrapKey?.secret;
  if (!adminKey) throw new Error('the test app made no bootstrap key');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    authorization: `Bearer ${adminKey}`,
    adminKey,
    services,
    dataDir,
    server,
    async startWorker() {
      stopWorker ??= await startWorker(services);
    },
    async close() {
      services.shutdown.begin();
      await stopWorker?.();
      await server.close();
      await closeServices(services).catch(() => {});
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
