import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/AnalyticsStore.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { ApiKeyStore } from '../auth/ApiKeyStore.ts';
import type { Authenticator } from '../auth/Authenticator.ts';
import type { SessionStore } from '../auth/SessionStore.ts';
import type { Config } from '../config/config.ts';
import type { DataSourceStore } from '../datasources/DataSourceStore.ts';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import type { JobQueue } from '../jobs/JobQueue.ts';
import type { PreviewService } from '../preview/PreviewService.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import type { RejectionStore } from '../tasks/RejectionStore.ts';
import type { TaskStore } from '../tasks/TaskStore.ts';
import type { TaskUpdates } from '../tasks/TaskUpdates.ts';
import type { UploadService } from '../upload/UploadService.ts';
import type { WorkspaceStore } from '../workspaces/WorkspaceStore.ts';
import type { Shutdown } from './Shutdown.ts';

/** Everything a process role needs, built once by the composition root and passed in. */
export interface Services {
  config: Config;
  log: Logger;
  db: SqlDatabase;
  tasks: TaskStore;
  rejections: RejectionStore;
  dataSources: DataSourceStore;
  taskUpdates: TaskUpdates;
  jobs: JobQueue;
  objects: ObjectStore;
  analytics: AnalyticsStore;
  uploads: UploadService;
  previews: PreviewService;
  workspaces: WorkspaceStore;
  keys: ApiKeyStore;
  sessions: SessionStore;
  audit: AuditLog;
  authenticator: Authenticator;
  /** Set when the process begins to stop: uploads are refused, attempts handed back. */
  shutdown: Shutdown;
  /** The server-admin key made at this start (no key existed before), else null. */
  bootstrapKey: { secret: string; file: string | null } | null;
}
