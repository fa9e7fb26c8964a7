import { type JobWithMetadata, PgBoss } from 'pg-boss';
import { executorAsJobDatabase, type SqlDatabase, type SqlExecutor } from '../db/SqlDatabase.ts';

export const INGEST_QUEUE = 'ingest-task';

const DEFAULT_EXPIRE_SECONDS = 6 * 60 * 60;
/** pg-boss refuses an expiry over 24 hours. */
const MAX_EXPIRE_SECONDS = 24 * 60 * 60;

/**
 * How long an ingestion job may run: at least 6 h, and longer than a Druid task may take with the retries around it
 * (DRUID_TASK_TIMEOUT_SECONDS is capped at 20 h so this stays within pg-boss's 24 h).
 */
export function jobExpireSeconds(druid: { taskTimeoutSeconds: number; retrySeconds: number } | undefined): number {
  if (!druid) return DEFAULT_EXPIRE_SECONDS;
  return Math.min(
    MAX_EXPIRE_SECONDS,
    Math.max(DEFAULT_EXPIRE_SECONDS, druid.taskTimeoutSeconds + 3 * druid.retrySeconds + 1800),
  );
}

export interface IngestJob {
  taskId: string;
}

export interface IngestJobContext {
  /** 0 on the first run, then 1, 2, … on retries. */
  retryCount: number;
  /** True when a failure now will not be retried. */
  isLastAttempt: boolean;
  signal: AbortSignal;
}

/**
 * The durable job queue (pg-boss) in the same database as the tasks. A job is sent inside the
 * transaction that moves its task to UPLOADED, so neither exists without the other.
 * Failed handlers are retried with exponential backoff; a worker that dies stops sending
 * heartbeats, and its job is retried after `heartbeatSeconds`.
 */
export class JobQueue {
  readonly #boss: PgBoss;

  private constructor(boss: PgBoss) {
    this.#boss = boss;
  }

  static async start(
    db: SqlDatabase,
    options: {
      supervise: boolean;
      retryLimit: number;
      retryDelaySeconds: number;
      expireInSeconds?: number;
      heartbeatSeconds?: number;
    },
  ): Promise<JobQueue> {
    const boss = new PgBoss({
      ...db.jobQueueConnection(),
      useListenNotify: true,
      supervise: options.supervise,
      // Supervision finds jobs whose heartbeat stopped (their worker died): as often as the heartbeat, so such a job
      // is taken up again within about two heartbeats instead of the default minute more.
      superviseIntervalSeconds: options.heartbeatSeconds ?? 30,
      schedule: false,
    });
    boss.on('error', (error) => {
      process.emitWarning(`job queue: ${error instanceof Error ? error.message : String(error)}`);
    });
    await boss.start();
    const queueOptions = {
      retryLimit: options.retryLimit,
      retryDelay: options.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: 60,
      // Longer than any attempt may take (the Druid task timeout and its retries: see jobExpireSeconds), so a job is
      // never expired while its handler is still rightly running.
      expireInSeconds: options.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS,
      heartbeatSeconds: options.heartbeatSeconds ?? 30,
      notify: true,
    };
    await boss.createQueue(INGEST_QUEUE, queueOptions);
    await boss.updateQueue(INGEST_QUEUE, queueOptions);
    return new JobQueue(boss);
  }

  /** Sends the ingestion job of a task within the caller's transaction; one job per task. */
  async sendIngest(taskId: string, tx: SqlExecutor): Promise<void> {
    await this.#boss.send(INGEST_QUEUE, { taskId } satisfies IngestJob, {
      singletonKey: taskId,
      db: executorAsJobDatabase(tx),
    });
  }

  async workIngest(
    concurrency: number,
    handler: (job: IngestJob, context: IngestJobContext) => Promise<void>,
  ): Promise<void> {
    // One pg-boss worker per slot, each of which we can wake: after a job it is told to fetch again at once. Without
    // that it waits out its poll (2 s) before the next queued job, even with jobs waiting (measured: 20 small uploads
    // at once took 37 s, each task ~0.1 s of work and 2 s of waiting).
    for (let slot = 0; slot < concurrency; slot++) {
      let workerId: string | undefined;
      workerId = await this.#boss.work(
        INGEST_QUEUE,
        {
          includeMetadata: true,
          batchSize: 1,
          localConcurrency: 1,
          pollingIntervalSeconds: 1,
          // NOTIFY wakes workers for new jobs; retries (which send no NOTIFY) are found by this poll.
          notifyPollingIntervalSeconds: 2,
        },
        async ([job]: JobWithMetadata<IngestJob>[]) => {
          if (!job) return;
          try {
            await handler(job.data, {
              retryCount: job.retryCount,
              isLastAttempt: job.retryCount >= job.retryLimit,
              signal: job.signal,
            });
          } finally {
            if (workerId !== undefined) this.#boss.notifyWorker(workerId);
          }
        },
      );
    }
  }

  /** Stops taking new ingestion jobs; with `wait`, also until the running handlers have returned. */
  async stopWorking(options: { wait: boolean }): Promise<void> {
    await this.#boss.offWork(INGEST_QUEUE, { wait: options.wait });
  }

  #stopped: Promise<void> | undefined;

  /** Stops fetching jobs and waits up to 10 s for running ones; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopped ??= this.#boss.stop({ graceful: true, timeout: 10_000 });
    return this.#stopped;
  }
}
