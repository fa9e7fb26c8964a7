import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';
import type { JobQueue } from '../jobs/JobQueue.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import { rawObjectKey } from '../storage/objectKeys.ts';
import type { IngestionTask, IngestMode } from '../tasks/IngestionTask.ts';
import type { TaskStore } from '../tasks/TaskStore.ts';
import { assertDataSourceName } from './dataSourceName.ts';
import { inspectUpload } from './inspectUpload.ts';

export interface UploadInput {
  dataSourceName: string;
  filename: string;
  mode: IngestMode;
  file: AsyncIterable<Buffer>;
}

export interface UploadServiceDeps {
  db: SqlDatabase;
  tasks: TaskStore;
  jobs: JobQueue;
  objects: ObjectStore;
  maxUploadBytes: number;
}

const PROGRESS_INTERVAL_MS = 1000;

/**
 * Receives one file, from REST or GraphQL alike: streams it to the object store while hashing and
 * sniffing it, then marks the task UPLOADED and sends its job in one transaction. The answer is given
 * only after the bytes are stored and the task committed; a refused upload leaves nothing behind.
 */
export class UploadService {
  readonly #deps: UploadServiceDeps;

  constructor(deps: UploadServiceDeps) {
    this.#deps = deps;
  }

  async receive(input: UploadInput): Promise<IngestionTask> {
    assertDataSourceName(input.dataSourceName);
    const { db, tasks, jobs, objects } = this.#deps;
    const taskId = randomUUID();
    const objectKey = rawObjectKey(input.dataSourceName, taskId, input.filename, new Date());
    await tasks.createPending({
      taskId,
      dataSourceName: input.dataSourceName,
      filename: input.filename.slice(0, 1000),
      objectKey,
      mode: input.mode,
    });
    let lastProgress = Date.now();
    const inspection = inspectUpload(input.file, {
      maxBytes: this.#deps.maxUploadBytes,
      onProgress: (bytes) => {
        if (Date.now() - lastProgress < PROGRESS_INTERVAL_MS) return;
        lastProgress = Date.now();
        void tasks.recordUploadProgress(taskId, bytes).catch(() => {});
      },
    });
    try {
      await objects.put(objectKey, Readable.from(inspection.stream, { objectMode: false }));
      const file = inspection.result();
      return await db.transaction(async (tx) => {
        const task = await tasks.markUploaded(taskId, file, tx);
        await jobs.sendIngest(taskId, tx);
        return task;
      });
    } catch (error) {
      await objects.delete(objectKey).catch(() => {});
      await tasks.deletePending(taskId).catch(() => {});
      throw error instanceof AppError ? error : new AppError('STORAGE_UNAVAILABLE', describe(error), { cause: error });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
