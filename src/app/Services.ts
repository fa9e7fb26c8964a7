import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/AnalyticsStore.ts';
import type { Config } from '../config/config.ts';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import type { JobQueue } from '../jobs/JobQueue.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import type { TaskStore } from '../tasks/TaskStore.ts';
import type { TaskUpdates } from '../tasks/TaskUpdates.ts';
import type { UploadService } from '../upload/UploadService.ts';

/** Everything a process role needs, built once by the composition root and passed in. */
export interface Services {
  config: Config;
  log: Logger;
  db: SqlDatabase;
  tasks: TaskStore;
  taskUpdates: TaskUpdates;
  jobs: JobQueue;
  objects: ObjectStore;
  analytics: AnalyticsStore;
  uploads: UploadService;
}
