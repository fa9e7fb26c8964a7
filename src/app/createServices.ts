import path from 'node:path';
import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/AnalyticsStore.ts';
import { DuckDbAnalyticsStore } from '../analytics/DuckDbAnalyticsStore.ts';
import { DruidAnalyticsStore } from '../analytics/druid/DruidAnalyticsStore.ts';
import { AuditLog } from '../audit/AuditLog.ts';
import { ApiKeyStore } from '../auth/ApiKeyStore.ts';
import { Authenticator } from '../auth/Authenticator.ts';
import { bootstrapAdminKey } from '../auth/bootstrapAdminKey.ts';
import { OidcVerifier } from '../auth/OidcVerifier.ts';
import { SessionStore } from '../auth/SessionStore.ts';
import type { Config } from '../config/config.ts';
import { DataSourceStore } from '../datasources/DataSourceStore.ts';
import { openDatabase } from '../db/openDatabase.ts';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { JobQueue, jobExpireSeconds } from '../jobs/JobQueue.ts';
import { PreviewService } from '../preview/PreviewService.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import { openObjectStore } from '../storage/openObjectStore.ts';
import { RejectionStore } from '../tasks/RejectionStore.ts';
import { StoreLoadJournal } from '../tasks/StoreLoadJournal.ts';
import { TaskStore } from '../tasks/TaskStore.ts';
import { TaskUpdates } from '../tasks/TaskUpdates.ts';
import { IdempotencyKeys } from '../upload/IdempotencyKeys.ts';
import { UploadService } from '../upload/UploadService.ts';
import { WorkspaceStore } from '../workspaces/WorkspaceStore.ts';
import type { Services } from './Services.ts';
import { Shutdown } from './Shutdown.ts';

/**
 * Tests only: wrap a chosen store to hold an operation at a gate or to fail it, with the real store underneath. The
 * analytics store keeps the unwrapped object store (Druid stages its files there).
 */
export interface StoreWrappers {
  wrapAnalytics?: (store: AnalyticsStore) => AnalyticsStore;
  wrapObjects?: (store: ObjectStore) => ObjectStore;
}

/** Opens every store the configuration names (embedded defaults otherwise) and wires the services. */
export async function createServices(config: Config, log: Logger, options: StoreWrappers = {}): Promise<Services> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const openedObjects = openObjectStore({ s3: config.s3, dataDir: config.dataDir });
  const objects = options.wrapObjects ? options.wrapObjects(openedObjects) : openedObjects;
  await objects.check();
  const chosenAnalytics = await openAnalyticsStore(config, { db, objects: openedObjects, log });
  const analytics = options.wrapAnalytics ? options.wrapAnalytics(chosenAnalytics) : chosenAnalytics;
  const tasks = new TaskStore(db);
  const rejections = new RejectionStore(db);
  const dataSources = new DataSourceStore(db);
  const workspaces = new WorkspaceStore(db);
  const keys = new ApiKeyStore(db);
  const sessions = new SessionStore(db, { ttlHours: config.security.sessionTtlHours });
  const audit = new AuditLog(db);
  const authenticator = new Authenticator({
    keys,
    sessions,
    workspaces,
    audit,
    oidc: config.security.oidc ? new OidcVerifier(config.security.oidc) : undefined,
    failuresPerMinute: config.security.authFailuresPerMinute,
    log,
  });
  const bootstrapKey =
    config.role === 'worker'
      ? null
      : await bootstrapAdminKey({ db, keys, audit, dataDir: config.dataDir, adminApiKey: config.security.adminApiKey });
  const jobs = await JobQueue.start(db, {
    supervise: config.role !== 'api',
    retryLimit: config.jobRetryLimit,
    retryDelaySeconds: config.jobRetryDelaySeconds,
    expireInSeconds: jobExpireSeconds(config.druid),
    heartbeatSeconds: config.jobHeartbeatSeconds,
  });
  const taskUpdates = new TaskUpdates(db, tasks);
  await taskUpdates.start();
  const shutdown = new Shutdown();
  const uploads = new UploadService({
    shutdown,
    idempotencyKeys: new IdempotencyKeys(db),
    db,
    tasks,
    dataSources,
    jobs,
    objects,
    audit,
    maxUploadBytes: config.maxUploadBytes,
    maxConcurrentUploads: config.security.maxConcurrentUploads,
    idleTimeoutMs: config.security.uploadIdleTimeoutSeconds * 1000,
    minBytesPerSecond: config.security.uploadMinBytesPerSecond,
  });
  return {
    config,
    log,
    db,
    tasks,
    rejections,
    dataSources,
    taskUpdates,
    jobs,
    objects,
    analytics,
    uploads,
    previews: new PreviewService({ dataSources, maxRejectedRatio: config.maxRejectedRatio }),
    workspaces,
    keys,
    sessions,
    audit,
    authenticator,
    bootstrapKey,
    shutdown,
  };
}

/** Stops everything in order; a step that fails does not keep the later ones from running. */
export async function closeServices(services: Services): Promise<void> {
  const steps: [string, () => Promise<void>][] = [
    ['task updates', () => services.taskUpdates.stop()],
    ['job queue', () => services.jobs.stop()],
    ['analytics store', () => services.analytics.close()],
    ['database', () => services.db.close()],
  ];
  for (const [name, step] of steps) {
    await step().catch((error: unknown) => services.log.warn({ err: error }, `closing the ${name} failed`));
  }
}

/**
 * Druid when DRUID_URL is set (it stages the validated files in the S3 bucket and journals each load in the task's row;
 * worker processes also reconcile loads that a dead process left unfinished), embedded DuckDB otherwise.
 */
async function openAnalyticsStore(
  config: Config,
  deps: { db: SqlDatabase; objects: ObjectStore; log: Logger },
): Promise<AnalyticsStore> {
  if (config.druid && config.s3) {
    return new DruidAnalyticsStore({
      druidUrl: config.druid.url,
      s3Bucket: config.s3.bucket,
      objects: deps.objects,
      journal: new StoreLoadJournal(deps.db),
      log: deps.log,
      retryBudgetMs: config.druid.retrySeconds * 1000,
      taskTimeoutMs: config.druid.taskTimeoutSeconds * 1000,
      ...(config.role === 'api' ? {} : { reconcileEveryMs: 60_000 }),
    });
  }
  return DuckDbAnalyticsStore.open(config.dataDir);
}

export function workDirOf(config: Config): string {
  return path.join(config.dataDir, 'work');
}
