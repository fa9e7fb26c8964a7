import { ValidationThreads } from '../ingest/parallel/ValidationThreads.ts';
import { warmUpThreads } from '../ingest/parallel/warmUpThreads.ts';
import { TaskAttempts } from '../tasks/TaskAttempts.ts';
import { IngestionWorker } from '../worker/IngestionWorker.ts';
import { TaskSweeper } from '../worker/TaskSweeper.ts';
import { workDirOf } from './createServices.ts';
import type { Services } from './Services.ts';

/**
 * The worker role: runs ingestion jobs, and sweeps (at start, then every SWEEP_INTERVAL_SECONDS) what dead processes
 * left behind: uploads that stopped arriving, tasks whose job was lost, scratch files, interrupted object writes,
 * validated copies of finished tasks, and files past RETENTION_DAYS.
 */
export async function startWorker(services: Services): Promise<() => Promise<void>> {
  const { config, db, tasks, rejections, dataSources, objects, analytics, jobs, log } = services;
  const attempts = new TaskAttempts(db);
  const validationThreads = config.validationThreads > 0 ? new ValidationThreads(config.validationThreads) : null;
  // In the background: the first task validates on warm threads, and a failed warm-up only costs that speed.
  if (validationThreads) {
    warmUpThreads(validationThreads).catch((error: unknown) => {
      // a process that stops during the warm-up ends its threads under it: nothing to report then
      if (!validationThreads.closed) log.warn({ err: error }, 'validation warm-up failed');
    });
  }
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
      verifyStoredChecksum: config.verifyStoredChecksum,
    },
    validationThreads,
    stopping: services.shutdown.signal,
    log,
  });
  const sweeper = new TaskSweeper({
    db,
    tasks,
    attempts,
    rejections,
    jobs,
    objects,
    workDir: workDirOf(config),
    maxAttempts: (config.jobRetryLimit + 1) * 2,
    // A live upload records progress every second and is ended after its idle timeout: twice that, it is dead.
    staleUploadSeconds: 2 * config.security.uploadIdleTimeoutSeconds + 5,
    retentionDays: config.retentionDays,
    log,
  });
  const sweep = () => {
    sweeper.sweep().catch((error: unknown) => log.error({ err: error }, 'sweep failed'));
  };
  sweep();
  await jobs.workIngest(config.workerConcurrency, (job, context) => worker.handle(job, context));
  const timer = setInterval(sweep, config.sweepIntervalSeconds * 1000);
  timer.unref();
  // Stops taking jobs; the running ones see the shutdown signal, hand their task back and return.
  return async () => {
    clearInterval(timer);
    await jobs.stopWorking({ wait: true });
    await validationThreads?.close();
  };
}
