import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { type AnalyticsStore, CommitRefused } from '../analytics/AnalyticsStore.ts';
import { findLedgerDifferences } from '../analytics/ledger.ts';
import type { DataSource, DataSourceStore } from '../datasources/DataSourceStore.ts';
import { AppError, toClientError } from '../errors/AppError.ts';
import { isTransient, RetryAttempt } from '../errors/transient.ts';
import type { ValidationThreads } from '../ingest/parallel/ValidationThreads.ts';
import type { DataSourceSchema } from '../ingest/types.ts';
import type { IngestJob, IngestJobContext } from '../jobs/JobQueue.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import type { IngestionTask } from '../tasks/IngestionTask.ts';
import type { RejectionStore } from '../tasks/RejectionStore.ts';
import type { AttemptRef, TaskAttempts } from '../tasks/TaskAttempts.ts';
import { AttemptEnded } from './AttemptEnded.ts';
import { replaceInterval } from './replaceInterval.ts';
import { type ValidationLimits, validateStoredFile } from './validateStoredFile.ts';

export interface IngestionWorkerDeps {
  attempts: TaskAttempts;
  rejections: RejectionStore;
  dataSources: DataSourceStore;
  objects: ObjectStore;
  analytics: AnalyticsStore;
  /** Scratch folder for validated files. */
  workDir: string;
  maxRejectedRatio: number;
  limits: ValidationLimits;
  /** Threads that validate parts of a file in parallel; null: validation runs in the worker's thread alone. */
  validationThreads: ValidationThreads | null;
  /** Aborted when the process begins to stop: running attempts are handed back (their job is retried). */
  stopping: AbortSignal;
  log: Logger;
}

/** How often a running load checks that its task was not cancelled, and a waiting task that a claim ended. */
const CHECK_MS = 2000;

/**
 * The job handler: stream the stored file → RowValidator (valid rows to a JSON-lines file, rejections to the
 * rejection store) → the data source's schema (claimed by a first upload) → the analytics store, which checks the
 * ledger and passes the commit point before it makes the rows visible → SUCCEEDED.
 *
 * Safe to run twice: each attempt starts over (rejections and the task's rows are replaced), every write is fenced by
 * the attempt number, and an attempt that finds the task past its commit point finishes that commit instead.
 * Transient failures (a service that did not answer) are retried with backoff; any other failure ends the task at
 * once with its catalogue code, the original error logged under the task id and an error id.
 */
export class IngestionWorker {
  readonly #deps: IngestionWorkerDeps;

  constructor(deps: IngestionWorkerDeps) {
    this.#deps = deps;
  }

  async handle(job: IngestJob, context: IngestJobContext): Promise<void> {
    const { attempts, log } = this.#deps;
    // Null when the task is finished (or gone): a job that runs again after the end does nothing.
    const task = await attempts.start(job.taskId);
    if (!task) return;
    const ref: AttemptRef = { taskId: task.taskId, attempt: task.attempt };
    // The job's own signal (pg-boss aborts it when the job expired or its claim was lost) or the process stopping.
    const stop = AbortSignal.any([context.signal, this.#deps.stopping]);
    const started = Date.now();
    try {
      if (task.committingAt) await this.#finishCommit(task, ref, stop);
      else await this.#runAttempt(task, ref, stop);
      log.info({ taskId: task.taskId, attempt: task.attempt, ms: Date.now() - started }, 'task succeeded');
    } catch (error) {
      if (stop.aborted) {
        // Handed back, not failed: the job is retried (here after a restart, or by another worker), and every write
        // of this attempt is refused from then on. A job past its retries is found by the sweeper.
        log.info({ taskId: task.taskId, attempt: task.attempt }, 'attempt handed back');
        throw new RetryAttempt('the worker stopped; the task is resumed by another attempt');
      }
      if (error instanceof AttemptEnded || error instanceof CommitRefused) {
        log.info({ taskId: task.taskId, attempt: task.attempt, reason: error.message }, 'attempt ended');
        return;
      }
      if (isTransient(error) && !context.isLastAttempt) {
        log.warn({ taskId: task.taskId, err: error, retryCount: context.retryCount }, 'task attempt failed; retrying');
        throw error;
      }
      // The task shows the catalogue message and our own details; another system's text is logged under errorId.
      const shown = toClientError(error, log, { taskId: task.taskId });
      await attempts.markFailed(ref, shown.code, messageOf(shown.message, shown.details), shown.errorId);
      log.info({ taskId: task.taskId, code: shown.code, errorId: shown.errorId }, 'task failed');
    }
  }

  async #runAttempt(task: IngestionTask, ref: AttemptRef, jobSignal: AbortSignal): Promise<void> {
    const { attempts, analytics, workDir } = this.#deps;
    await this.#deps.rejections.deleteForTask(task.taskId);
    await this.#refuseDuplicate(task.taskId, await attempts.duplicateOf(task.taskId));
    await mkdir(workDir, { recursive: true });
    const validatedFile = path.join(workDir, `${task.taskId}-attempt-${task.attempt}.${analytics.validatedFormat}`);
    try {
      const dataSource = await this.#deps.dataSources.ensure(task.workspace, task.dataSourceName);
      // A final schema, or the one this task claimed in an earlier attempt; else the file's own, inferred.
      const given = dataSource.schema ?? (dataSource.claim?.taskId === task.taskId ? dataSource.claim.schema : null);
      const { summary, csvLayout } = await validateStoredFile(
        { ...this.#deps, attempts, output: analytics.validatedFormat },
        task,
        ref,
        given,
        validatedFile,
        jobSignal,
      );
      const rejectedRatio = summary.rowsTotal === 0 ? 0 : summary.rowsRejected / summary.rowsTotal;
      if (rejectedRatio > this.#deps.maxRejectedRatio) {
        throw new AppError(
          'TOO_MANY_REJECTED_ROWS',
          `${summary.rowsRejected} of ${summary.rowsTotal} rows (${percent(rejectedRatio)}) were rejected; ` +
            `the limit is ${percent(this.#deps.maxRejectedRatio)}`,
        );
      }
      const schema = given ?? (await this.#claimSchema(dataSource, summary.schema, ref, jobSignal));
      const ledger = { rowsValid: summary.rowsValid, metricSums: summary.metricSums };
      if (!(await attempts.markIngesting(ref, { ...summary, bytesProcessed: task.fileSizeBytes, ledger }))) {
        throw new AttemptEnded('the task was cancelled');
      }
      const interval = replaceInterval(summary.minTime, summary.maxTime);
      if (task.mode === 'REPLACE' && interval) await attempts.recordReplacedInterval(ref, interval);
      let duplicate: string | null = null;
      const beginCommit = async () => {
        const outcome = await attempts.beginCommit(ref);
        if (typeof outcome === 'object') duplicate = outcome.duplicateOf;
        return outcome === 'ok';
      };
      const load = this.#whileCurrent(ref, jobSignal, (signal) =>
        analytics.load({
          storeName: dataSource.storeName,
          schema,
          taskId: task.taskId,
          attempt: task.attempt,
          validatedFile,
          rowCount: summary.rowsValid,
          csvLayout,
          previousStoreTaskId: task.storeTaskId,
          mode: task.mode,
          interval,
          ledger,
          beginCommit,
          onProgress: (progress) => attempts.recordStoreProgress(ref, progress),
          signal,
        }),
      );
      // The same file committed by another upload meanwhile: the store rolled back at the commit point.
      await load.catch(async (error: unknown) => {
        await this.#refuseDuplicate(task.taskId, duplicate);
        throw error;
      });
      // Read back once more after the commit (Druid checks only its own counters before publishing).
      const loaded = await analytics.totalsForTask(dataSource.storeName, schema, task.taskId);
      const differences = findLedgerDifferences(schema, ledger, loaded);
      if (differences) throw new AppError('LEDGER_MISMATCH', differences);
      if (!(await attempts.markSucceeded(ref, loaded.rowCount))) throw new AttemptEnded('another attempt took over');
    } finally {
      await rm(validatedFile, { force: true });
    }
  }

  /** DUPLICATE_FILE when an earlier task of the data source loaded the same file (an APPEND without allowDuplicate). */
  async #refuseDuplicate(taskId: string, duplicateOf: string | null): Promise<void> {
    if (duplicateOf === null) return;
    throw new AppError(
      'DUPLICATE_FILE',
      `task ${duplicateOf} already loaded this file into the data source; task ${taskId} adds nothing`,
    );
  }

  /**
   * An earlier attempt passed the commit point and then stopped (the process died, the database went away). The
   * store's commit is atomic, so it holds either all of the task's rows (then SUCCEEDED) or none (then the attempt
   * starts over).
   */
  async #finishCommit(task: IngestionTask, ref: AttemptRef, jobSignal: AbortSignal): Promise<void> {
    const dataSource = await this.#deps.dataSources.ensure(task.workspace, task.dataSourceName);
    const schema = dataSource.schema ?? dataSource.claim?.schema;
    if (!schema || !task.ledger) throw new AppError('INTERNAL', `task ${task.taskId} is committing without a ledger`);
    const loaded = await this.#deps.analytics.totalsForTask(dataSource.storeName, schema, task.taskId);
    const differences = findLedgerDifferences(schema, task.ledger, loaded);
    if (!differences) {
      if (!(await this.#deps.attempts.markSucceeded(ref, loaded.rowCount))) throw new AttemptEnded('superseded');
      return;
    }
    if (loaded.rowCount !== 0) throw new AppError('LEDGER_MISMATCH', differences);
    const reopened = await this.#deps.attempts.reopen(ref);
    if (!reopened) throw new AttemptEnded('another attempt took over');
    await this.#runAttempt(reopened, ref, jobSignal);
  }

  /**
   * A first upload's schema: claimed for this task while it loads. When another first upload holds the claim, wait
   * until it ends (its claim is released if it fails); when a schema became final meanwhile and differs, validate
   * again against it (a transient RetryAttempt).
   */
  async #claimSchema(
    dataSource: DataSource,
    inferred: DataSourceSchema,
    ref: AttemptRef,
    signal: AbortSignal,
  ): Promise<DataSourceSchema> {
    for (;;) {
      const claim = await this.#deps.dataSources.claimSchema(dataSource, inferred, ref.taskId);
      if (claim.kind === 'claimed') return claim.schema;
      if (claim.kind === 'final') {
        if (isDeepStrictEqual(claim.schema, inferred)) return claim.schema;
        throw new RetryAttempt(`another upload fixed the schema of ${dataSource.name} first; validating against it`);
      }
      await this.#deps.dataSources.releaseAbandonedClaim(dataSource);
      if (!(await this.#deps.attempts.isCurrent(ref))) throw new AttemptEnded('the task was cancelled');
      await sleep(CHECK_MS / 2, undefined, { signal });
    }
  }

  /**
   * Runs `work` with a signal that is aborted as soon as the attempt may not go on: the task was cancelled, another
   * attempt took over (checked every 2 s), or the job itself was stopped.
   */
  async #whileCurrent<T>(
    ref: AttemptRef,
    jobSignal: AbortSignal,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, jobSignal]);
    const watch = setInterval(() => {
      this.#deps.attempts
        .isCurrent(ref)
        .then((current) => current || controller.abort(new AttemptEnded('the task was cancelled')))
        .catch(() => {});
    }, CHECK_MS);
    try {
      const result = await work(signal);
      if (signal.aborted) throw new AttemptEnded('the task was cancelled or its job stopped');
      return result;
    } catch (error) {
      if (signal.aborted && !(error instanceof CommitRefused)) throw new AttemptEnded('the task was cancelled');
      throw error;
    } finally {
      clearInterval(watch);
    }
  }
}

/** The catalogue message followed by our own details, as one text. */
function messageOf(message: string, details: string | null): string {
  if (!details) return message;
  const sentence = capitalise(details);
  return `${message} ${/[.!?]$/.test(sentence) ? sentence : `${sentence}.`}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.01 ? 2 : 1)}%`;
}
