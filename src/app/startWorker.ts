import { TaskAttempts } from '../tasks/TaskAttempts.ts';
import { IngestionWorker } from '../worker/IngestionWorker.ts';
import { TaskSweeper } from '../worker/TaskSweeper.ts';
import { workDirOf } from './createServices.ts';
import type { Services } from './Services.ts';

const STALE_UPLOAD_SECONDS = 15 * 60;
const SWEEP_EVERY_MS = 60_000;

/**
 * The worker role: runs ingestion jobs, and sweeps (at start, then every minute) what dead processes left behind:
 * uploads that stopped arriving, tasks whose job was lost, scratch files.
 */
export async function startWorker(services: Services): Promise<() => Promise<void>> {
  const { config, db, tasks, rejections, dataSources, objects, analytics, jobs, log } = services;
  const attempts = new TaskAttempts(db);
  const worker = new IngestionWorker({
    attempts,
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
    stopping: services.shutdown.signal,
    log,
  });
  const sweeper = new TaskSweeper({
    db,
    tasks,
    attempts,
    jobs,
    workDir: workDirOf(config),
    maxAttempts: (config.jobRetryLimit + 1) * 2,
    staleUploadSeconds: STALE_UPLOAD_SECONDS,
    log,
  });
  const sweep = () => {
    sweeper.sweep().catch((error: unknown) => log.error({ err: error }, 'sweep failed'));
  };
  sweep();
  await jobs.workIngest(config.workerConcurrency, (job, context) => worker.handle(job, context));
  const timer = setInterval(sweep, SWEEP_EVERY_MS);
  timer.unref();
  // Stops taking jobs; the running ones see the shutdown signal, hand their task back and return.
  return async () => {
    clearInterval(timer);
    await jobs.stopWorking({ wait: true });
  };
}
