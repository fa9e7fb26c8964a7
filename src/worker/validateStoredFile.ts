import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError } from '../errors/AppError.ts';
import { FileValidation } from '../ingest/parallel/FileValidation.ts';
import type { ValidationThreads } from '../ingest/parallel/ValidationThreads.ts';
import { transcodeToUtf8 } from '../ingest/transcodeToUtf8.ts';
import type {
  CsvLayout,
  DataSourceSchema,
  RowRejection,
  ValidatedFormat,
  ValidationBatch,
  ValidationSummary,
} from '../ingest/types.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import type { IngestionTask } from '../tasks/IngestionTask.ts';
import type { RejectionStore } from '../tasks/RejectionStore.ts';
import type { AttemptRef, TaskAttempts, TaskProgress } from '../tasks/TaskAttempts.ts';
import { AttemptEnded } from './AttemptEnded.ts';

export interface ValidationLimits {
  maxDecompressedBytes: number;
  /** A gzip file may expand at most this many times (checked once RATIO_CHECK_AFTER_BYTES are decompressed). */
  maxCompressionRatio: number;
  maxColumns: number;
  /** Rejections kept in full per task; all are counted per code. */
  maxStoredRejections: number;
  /** Hash the stored file again (CHECKSUM_MISMATCH when it changed since the upload). */
  verifyStoredChecksum: boolean;
}

const RATIO_CHECK_AFTER_BYTES = 1024 * 1024;
const PROGRESS_INTERVAL_MS = 500;
const REJECTION_BATCH = 1000;

/**
 * Streams a task's stored file → gunzip → FileValidation (RowValidator, over the validation threads too): valid rows in
 * the store's validated format to `validatedFile`, the first `maxStoredRejections` rejections to the rejection store,
 * all of them counted per code. Progress is written at the first batch and then every 500 ms, fenced by the attempt (a
 * cancelled or superseded attempt stops with AttemptEnded). With verifyStoredChecksum the file is hashed again:
 * CHECKSUM_MISMATCH when it changed since the upload. Memory does not grow with the file or its rejections.
 */
export async function validateStoredFile(
  deps: {
    objects: ObjectStore;
    attempts: TaskAttempts;
    rejections: RejectionStore;
    limits: ValidationLimits;
    validationThreads: ValidationThreads | null;
    output: ValidatedFormat;
  },
  task: IngestionTask,
  ref: AttemptRef,
  schema: DataSourceSchema | null,
  validatedFile: string,
  signal: AbortSignal,
): Promise<{ summary: ValidationSummary; csvLayout: CsvLayout | null }> {
  const { objects, attempts, rejections, limits } = deps;
  if (!task.format || !task.sha256) throw new AppError('INTERNAL', `task ${task.taskId} has no recorded format`);
  const validator = new FileValidation(
    {
      format: task.format as 'csv' | 'tsv' | 'jsonl',
      schema,
      reading: task.readingOptions,
      ...(task.delimiter ? { delimiter: task.delimiter } : {}),
      taskId: task.taskId,
      maxColumns: limits.maxColumns,
      maxRejectionDetails: limits.maxStoredRejections,
      output: deps.output,
    },
    deps.validationThreads,
  );
  const raw = await objects.get(task.objectKey);
  const hash = limits.verifyStoredChecksum ? createHash('sha256') : null;
  let bytesRead = 0;
  async function* metered(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash?.update(chunk);
      bytesRead += chunk.length;
      yield chunk;
    }
  }
  // Pulled, never pushed: the file is read only as fast as validation consumes it.
  const decompressed: AsyncIterable<Buffer> = task.gzip
    ? pipeline(metered(raw), createGunzip({ chunkSize: 256 * 1024 }), () => {})
    : metered(raw);
  // UTF-16 and Windows-1252 files are read as the UTF-8 they hold.
  let decodedBytes = 0;
  const decoded = bounded(transcodeToUtf8(decompressed, task.encoding ?? 'utf-8'));
  async function* bounded(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      if (signal.aborted) throw new AttemptEnded('the job was stopped');
      decodedBytes += chunk.length;
      if (decodedBytes > limits.maxDecompressedBytes) {
        throw new AppError(
          'DECOMPRESSED_TOO_LARGE',
          `the file decompresses to more than ${limits.maxDecompressedBytes} bytes`,
        );
      }
      if (
        task.gzip &&
        decodedBytes > RATIO_CHECK_AFTER_BYTES &&
        decodedBytes > bytesRead * limits.maxCompressionRatio
      ) {
        throw new AppError(
          'COMPRESSION_RATIO_TOO_HIGH',
          `${bytesRead} compressed bytes expanded to ${decodedBytes}; the limit is ${limits.maxCompressionRatio} times`,
        );
      }
      yield chunk;
    }
  }
  const output = createWriteStream(validatedFile, { highWaterMark: 16 * 1024 * 1024 });
  // A write still queued when the attempt is abandoned (output.destroy() below) fails with ERR_STREAM_DESTROYED:
  // keep it, so it cannot become an unhandled 'error' that ends the process; a real write error is thrown below.
  let outputError: Error | undefined;
  output.on('error', (error) => {
    outputError ??= error;
  });
  const pending: RowRejection[] = [];
  // The first batch shows progress at once; then every PROGRESS_INTERVAL_MS.
  let lastProgress = 0;
  const progress = (): TaskProgress => ({
    bytesProcessed: bytesRead,
    rowsTotal: validator.rowsTotal,
    rowsValid: validator.rowsValid,
    rowsRejected: validator.rowsRejected,
    rejectionCounts: validator.rejectionCounts,
  });
  const take = async (batch: ValidationBatch) => {
    // Not push(...rejections): a batch can hold many thousands, past the argument limit.
    for (const rejection of batch.rejections) pending.push(rejection);
    if (pending.length >= REJECTION_BATCH) await rejections.add(task.taskId, pending.splice(0));
    if (batch.output.length > 0 && !output.write(batch.output)) await once(output, 'drain');
  };
  try {
    for await (const batch of validator.run(decoded)) {
      if (signal.aborted) throw new AttemptEnded('the job was stopped');
      await take(batch);
      if (Date.now() - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = Date.now();
        if (!(await attempts.recordProgress(ref, progress()))) throw new AttemptEnded('the task was cancelled');
      }
    }
    await rejections.add(task.taskId, pending.splice(0));
    output.end();
    if (!output.writableFinished) await once(output, 'finish');
    if (outputError) throw outputError;
  } catch (error) {
    raw.destroy();
    output.destroy();
    throw error;
  }
  const sha256 = hash?.digest('hex') ?? task.sha256;
  if (sha256 !== task.sha256) {
    throw new AppError('CHECKSUM_MISMATCH', `stored object hashes to ${sha256}, the upload to ${task.sha256}`);
  }
  if (!(await attempts.recordProgress(ref, progress()))) throw new AttemptEnded('the task was cancelled');
  return { summary: validator.summary(), csvLayout: validator.csvLayout };
}
