import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { createGunzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/AnalyticsStore.ts';
import type { DataSource, DataSourceStore } from '../datasources/DataSourceStore.ts';
import { AppError, toClientError } from '../errors/AppError.ts';
import { RowValidator } from '../ingest/RowValidator.ts';
import type { DataSourceSchema, RowRejection, ValidationBatch, ValidationSummary } from '../ingest/types.ts';
import type { IngestJob, IngestJobContext } from '../jobs/JobQueue.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import { validatedObjectKey as validatedObjectKeyOf } from '../storage/objectKeys.ts';
import type { IngestionTask } from '../tasks/IngestionTask.ts';
import type { TaskStore } from '../tasks/TaskStore.ts';
import { replaceInterval } from './replaceInterval.ts';
import { findLedgerDifferences } from './verifyLedger.ts';

export interface IngestionWorkerDeps {
  tasks: TaskStore;
  dataSources: DataSourceStore;
  objects: ObjectStore;
  analytics: AnalyticsStore;
  /** Scratch folder for validated files. */
  workDir: string;
  maxRejectedRatio: number;
  maxDecompressedBytes: number;
  /** A gzip file may expand at most this many times (checked once RATIO_CHECK_AFTER_BYTES are decompressed). */
  maxCompressionRatio: number;
  maxColumns: number;
  log: Logger;
}

const RATIO_CHECK_AFTER_BYTES = 1024 * 1024;

const PROGRESS_INTERVAL_MS = 500;
const REJECTION_BATCH = 1000;

/** Thrown inside an attempt when the task was cancelled meanwhile: stop quietly. */
class TaskCancelled extends Error {}

/**
 * The job handler: stream the stored file → gunzip → RowValidator (valid rows to a JSON-lines file,
 * rejections to the task store) → analytics store → read the totals back and balance the ledger.
 * Safe to run twice: each attempt starts over, the store replaces the task's rows, rejections are
 * keyed by line.
 */
export class IngestionWorker {
  readonly #deps: IngestionWorkerDeps;

  constructor(deps: IngestionWorkerDeps) {
    this.#deps = deps;
  }

  async handle(job: IngestJob, context: IngestJobContext): Promise<void> {
    const { tasks, log } = this.#deps;
    // Null when the task is finished (or gone): a job that runs again after the end does nothing.
    const task = await tasks.startAttempt(job.taskId);
    if (!task) return;
    const started = Date.now();
    try {
      await this.#runAttempt(task);
      log.info({ taskId: task.taskId, ms: Date.now() - started }, 'task succeeded');
    } catch (error) {
      if (error instanceof TaskCancelled) {
        log.info({ taskId: task.taskId }, 'task cancelled during processing');
        return;
      }
      if ((error instanceof AppError && !isTransient(error)) || context.isLastAttempt) {
        // The task shows the catalogue message and our own details; another system's text is logged under errorId.
        const shown = toClientError(error, log, { taskId: task.taskId });
        await tasks.markFailed(task.taskId, shown.code, messageOf(shown.message, shown.details), shown.errorId);
        log.info({ taskId: task.taskId, code: shown.code, errorId: shown.errorId }, 'task failed');
        return;
      }
      log.warn({ taskId: task.taskId, err: error, retryCount: context.retryCount }, 'task attempt failed');
      throw error;
    }
  }

  async #runAttempt(task: IngestionTask): Promise<void> {
    const { tasks, analytics, workDir } = this.#deps;
    await tasks.deleteRejections(task.taskId);
    await mkdir(workDir, { recursive: true });
    const validatedFile = path.join(workDir, `${task.taskId}-attempt-${task.attempt}.jsonl`);
    try {
      const dataSource = await this.#deps.dataSources.ensure(task.workspace, task.dataSourceName);
      const storedSchema = dataSource.schema;
      const summary = await this.#validate(task, storedSchema, validatedFile);
      const schema = storedSchema ?? (await this.#storeInferredSchema(dataSource, summary.schema));
      const rejectedRatio = summary.rowsTotal === 0 ? 0 : summary.rowsRejected / summary.rowsTotal;
      if (rejectedRatio > this.#deps.maxRejectedRatio) {
        await tasks.recordProgress(task.taskId, { ...summary, bytesProcessed: task.fileSizeBytes });
        throw new AppError(
          'TOO_MANY_REJECTED_ROWS',
          `${summary.rowsRejected} of ${summary.rowsTotal} rows (${percent(rejectedRatio)}) were rejected; ` +
            `the limit is ${percent(this.#deps.maxRejectedRatio)}`,
        );
      }
      const ingesting = await tasks.markIngesting(task.taskId, { ...summary, bytesProcessed: task.fileSizeBytes });
      if (!ingesting) throw new TaskCancelled();
      const interval = replaceInterval(summary.minTime, summary.maxTime);
      let validatedObjectKey: string | null = null;
      if (analytics.readsValidatedFileFrom === 'objectStore') {
        validatedObjectKey = validatedObjectKeyOf(dataSource.storeName, task.taskId, task.attempt);
        await this.#deps.objects.put(validatedObjectKey, createReadStream(validatedFile));
      }
      if (task.mode === 'REPLACE' && interval) await tasks.recordReplacedInterval(task.taskId, interval);
      await this.#whileNotCancelled(task.taskId, (signal) =>
        analytics.load({
          storeName: dataSource.storeName,
          schema,
          taskId: task.taskId,
          attempt: task.attempt,
          validatedFile,
          validatedObjectKey,
          rowCount: summary.rowsValid,
          previousStoreTaskId: task.storeTaskId,
          mode: task.mode,
          interval,
          onProgress: (progress) => tasks.recordStoreProgress(task.taskId, progress),
          signal,
        }),
      );
      const loaded = await analytics.totalsForTask(dataSource.storeName, schema, task.taskId);
      const differences = findLedgerDifferences(summary, loaded);
      if (differences) throw new AppError('LEDGER_MISMATCH', differences);
      if (!(await tasks.markSucceeded(task.taskId, loaded.rowCount))) throw new TaskCancelled();
      if (validatedObjectKey) await this.#deleteValidatedCopies(task, dataSource.storeName);
    } finally {
      await rm(validatedFile, { force: true });
    }
  }

  async #validate(
    task: IngestionTask,
    storedSchema: DataSourceSchema | null,
    validatedFile: string,
  ): Promise<ValidationSummary> {
    const { tasks, objects } = this.#deps;
    if (!task.format || !task.sha256) throw new AppError('INTERNAL', `task ${task.taskId} has no recorded format`);
    const validator = new RowValidator({
      format: task.format as 'csv' | 'tsv' | 'jsonl',
      schema: storedSchema,
      taskId: task.taskId,
      maxColumns: this.#deps.maxColumns,
    });
    const raw = await objects.get(task.objectKey);
    const hash = createHash('sha256');
    let bytesRead = 0;
    async function* metered(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        hash.update(chunk);
        bytesRead += chunk.length;
        yield chunk;
      }
    }
    // Pulled, never pushed: the file is read only as fast as validation consumes it.
    const decoded: AsyncIterable<Buffer> = task.gzip
      ? pipeline(metered(raw), createGunzip({ chunkSize: 256 * 1024 }), () => {})
      : metered(raw);
    const output = createWriteStream(validatedFile, { highWaterMark: 16 * 1024 * 1024 });
    // A write still queued when the attempt is abandoned (output.destroy() below) fails with ERR_STREAM_DESTROYED:
    // keep it, so it cannot become an unhandled 'error' that ends the process; a real write error is thrown below.
    let outputError: Error | undefined;
    output.on('error', (error) => {
      outputError ??= error;
    });
    const pendingRejections: RowRejection[] = [];
    let decodedBytes = 0;
    let lastProgress = Date.now();
    const progress = () => ({
      bytesProcessed: bytesRead,
      rowsTotal: validator.rowsTotal,
      rowsValid: validator.rowsValid,
      rowsRejected: validator.rowsRejected,
    });
    const take = async (batch: ValidationBatch) => {
      // Not push(...rejections): a chunk of short bad lines yields ~100,000 rejections, past the argument limit.
      for (const rejection of batch.rejections) pendingRejections.push(rejection);
      if (pendingRejections.length >= REJECTION_BATCH) {
        await tasks.addRejections(task.taskId, pendingRejections.splice(0));
      }
      if (batch.output.length > 0 && !output.write(batch.output)) await once(output, 'drain');
    };
    try {
      for await (const chunk of decoded) {
        decodedBytes += chunk.length;
        if (decodedBytes > this.#deps.maxDecompressedBytes) {
          throw new AppError(
            'DECOMPRESSED_TOO_LARGE',
            `the file decompresses to more than ${this.#deps.maxDecompressedBytes} bytes`,
          );
        }
        if (
          task.gzip &&
          decodedBytes > RATIO_CHECK_AFTER_BYTES &&
          decodedBytes > bytesRead * this.#deps.maxCompressionRatio
        ) {
          throw new AppError(
            'COMPRESSION_RATIO_TOO_HIGH',
            `${bytesRead} compressed bytes expanded to ${decodedBytes}; the limit is ${this.#deps.maxCompressionRatio} times`,
          );
        }
        await take(validator.push(chunk));
        if (Date.now() - lastProgress >= PROGRESS_INTERVAL_MS) {
          lastProgress = Date.now();
          if (!(await tasks.recordProgress(task.taskId, progress()))) throw new TaskCancelled();
        }
      }
      await take(validator.end());
      await tasks.addRejections(task.taskId, pendingRejections.splice(0));
      output.end();
      if (!output.writableFinished) await once(output, 'finish');
      if (outputError) throw outputError;
    } catch (error) {
      raw.destroy();
      output.destroy();
      throw error;
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== task.sha256) {
      throw new AppError('CHECKSUM_MISMATCH', `stored object hashes to ${sha256}, the upload to ${task.sha256}`);
    }
    if (!(await tasks.recordProgress(task.taskId, progress()))) throw new TaskCancelled();
    return validator.summary();
  }

  /**
   * Once the task has succeeded no attempt can adopt an earlier store job any more, so the validated copies of
   * every attempt are removed from the object store (the raw upload stays). A failed task keeps them, for
   * diagnosis. Best effort: a copy left behind costs space, not correctness.
   */
  async #deleteValidatedCopies(task: IngestionTask, storeName: string): Promise<void> {
    for (let attempt = 1; attempt <= task.attempt; attempt++) {
      const key = validatedObjectKeyOf(storeName, task.taskId, attempt);
      await this.#deps.objects.delete(key).catch((error: unknown) => {
        this.#deps.log.warn({ taskId: task.taskId, key, err: error }, 'could not delete a validated copy');
      });
    }
  }

  /** Runs `work` with a signal that is aborted as soon as the task is cancelled (checked every 2 s). */
  async #whileNotCancelled<T>(taskId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const watch = setInterval(() => {
      this.#deps.tasks
        .status(taskId)
        .then((status) => status === 'CANCELLED' && controller.abort(new TaskCancelled()))
        .catch(() => {});
    }, 2000);
    try {
      const result = await work(controller.signal);
      if (controller.signal.aborted) throw new TaskCancelled();
      return result;
    } catch (error) {
      if (controller.signal.aborted) throw new TaskCancelled();
      throw error;
    } finally {
      clearInterval(watch);
    }
  }

  /** The first upload of a data source defines its schema; if another upload won the race, start over. */
  async #storeInferredSchema(dataSource: DataSource, inferred: DataSourceSchema): Promise<DataSourceSchema> {
    const stored = await this.#deps.dataSources.saveSchemaIfAbsent(dataSource.workspace, dataSource.name, inferred);
    if (!isDeepStrictEqual(stored, inferred)) {
      throw new Error(`another upload stored the schema of ${dataSource.name} first; validating again`);
    }
    return stored;
  }
}

function isTransient(error: AppError): boolean {
  return error.code === 'STORAGE_UNAVAILABLE' || error.code === 'INTERNAL';
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
