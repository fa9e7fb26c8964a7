import { TaskAttempts } from '../tasks/TaskAttempts.ts';
import { IngestionWorker } from '../worker/IngestionWorker.ts';
import { workDirOf } from './createServices.ts';
import type { Services } from './Services.ts';

const STALE_UPLOAD_SECONDS = 15 * 60;

/** The worker role: runs ingestion jobs, and fails uploads abandoned by a dead API process. */
export async function startWorker(services: Services): Promise<() => void> {
  const { config, tasks, rejections, dataSources, objects, analytics, jobs, log } = services;
  const worker = new IngestionWorker({
    attempts: new TaskAttempts(services.db),
    rejections,
    dataSources,
    objects,
    analytics,
    workDir: workDirOf(config),
    maxRejectedRatio: config.maxRejectedRatio,
    limits: {
      maxDecompressedBytes: config.maxDecompressedBytes,
      maxCompressionRatio: config.security.maxCompressionRatio,
      maxColumns: config.security.maxColumns,
      maxStoredRejections: config.maxStoredRejections,
    },
    log,
  });
  await jobs.workIngest(config.workerConcurrency, (job, context) => worker.handle(job, context));
  const sweep = setInterval(() => {
    tasks
      .failStalePendingUploads(STALE_UPLOAD_SECONDS)
      .then((ids) => ids.length && log.warn({ taskIds: ids }, 'failed uploads that stopped arriving'))
      .catch((error: unknown) => log.error({ err: error }, 'stale upload sweep failed'));
  }, 60_000);
  sweep.unref();
  return () => clearInterval(sweep);
}
