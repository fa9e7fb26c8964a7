import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Shutdown } from '../app/Shutdown.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
import { actorOf, type Principal, roleAtLeast } from '../auth/Principal.ts';
import { type DataSourceStore, storeNameOf } from '../datasources/DataSourceStore.ts';
import { retryTransient } from '../db/retryTransient.ts';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';
import type { ReadingOptions } from '../ingest/readingOptions.ts';
import type { JobQueue } from '../jobs/JobQueue.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import { rawObjectKey } from '../storage/objectKeys.ts';
import type { IngestionTask, IngestMode } from '../tasks/IngestionTask.ts';
import type { TaskStore } from '../tasks/TaskStore.ts';
import { assertDataSourceName } from './dataSourceName.ts';
import { type IdempotencyKeys, uploadRequestHash } from './IdempotencyKeys.ts';
import { inspectUpload } from './inspectUpload.ts';
import { enforceUploadPace } from './uploadPace.ts';

export interface UploadInput {
  principal: Principal;
  dataSourceName: string;
  filename: string;
  mode: IngestMode;
  /** Load the file even when a SUCCEEDED task of the data source loaded the same bytes (else DUPLICATE_FILE). */
  allowDuplicate?: boolean;
  /** What the upload says about reading its file (checked: readingOptionsFrom). */
  readingOptions?: ReadingOptions;
  /** REST Idempotency-Key: a repeat of the same request is answered with the first request's task. */
  idempotencyKey?: string;
  file: AsyncIterable<Buffer>;
  /**
   * Runs once the file is stored and before the task is committed: the transport reads the rest of its request
   * here and throws (INVALID_REQUEST) when more follows, e.g. a second file part. Nothing is kept then.
   */
  beforeCommit?: () => Promise<void>;
}

export interface UploadServiceDeps {
  shutdown: Shutdown;
  idempotencyKeys: IdempotencyKeys;
  db: SqlDatabase;
  tasks: TaskStore;
  dataSources: DataSourceStore;
  jobs: JobQueue;
  objects: ObjectStore;
  audit: AuditLog;
  maxUploadBytes: number;
  maxConcurrentUploads: number;
  idleTimeoutMs: number;
  minBytesPerSecond: number;
}

const PROGRESS_INTERVAL_MS = 1000;

/**
 * Receives one file, from REST or GraphQL alike: streams it to the object store while hashing and
 * sniffing it, then marks the task UPLOADED and sends its job in one transaction. The answer is given
 * only after the bytes are stored and the task committed; a refused upload leaves nothing behind.
 */
export class UploadService {
  readonly #deps: UploadServiceDeps;
  #inFlight = 0;
  readonly #idle = new Set<() => void>();

  constructor(deps: UploadServiceDeps) {
    this.#deps = deps;
  }

  /** Resolves when no upload is arriving, or after `timeoutMs` (a graceful shutdown waits for them). */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#idle.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#idle.add(done);
    });
  }

  async receive(input: UploadInput): Promise<IngestionTask> {
    if (this.#deps.shutdown.started) throw new AppError('SHUTTING_DOWN', 'the server is stopping');
    this.#inFlight++;
    try {
      return await this.#receive(input);
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const done of [...this.#idle]) done();
    }
  }

  async #receive(input: UploadInput): Promise<IngestionTask> {
    const { principal } = input;
    const earlier = input.idempotencyKey
      ? await this.#deps.idempotencyKeys.find(principal.workspace, input.idempotencyKey)
      : null;
    if (earlier) return this.#replay(input, earlier);
    assertDataSourceName(input.dataSourceName);
    if (input.mode === 'REPLACE' && !roleAtLeast(principal.role, 'ADMIN')) {
      throw new AppError('FORBIDDEN', 'REPLACE deletes earlier rows, so it needs the role ADMIN; upload with APPEND');
    }
    const { db, tasks, dataSources, jobs, objects, audit } = this.#deps;
    // The data source row is written only with the task's commit, so a refused upload leaves nothing behind.
    const existing = await dataSources.get(principal.workspace, input.dataSourceName);
    const storeName = existing?.storeName ?? storeNameOf(principal.workspace, input.dataSourceName);
    const taskId = randomUUID();
    const objectKey = rawObjectKey(storeName, taskId, input.filename, new Date());
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7270003, hashtext($1))', [principal.workspace]);
      const active = await tasks.countActiveUploads(principal.workspace, this.#deps.idleTimeoutMs / 1000, tx);
      if (active >= this.#deps.maxConcurrentUploads) {
        throw new AppError(
          'TOO_MANY_UPLOADS',
          `${active} uploads of this workspace are in progress; the limit is ${this.#deps.maxConcurrentUploads}`,
          { retryAfterSeconds: 5 },
        );
      }
      await tasks.createPending(
        {
          taskId,
          workspace: principal.workspace,
          dataSourceName: existing?.name ?? input.dataSourceName,
          filename: displayFilename(input.filename),
          objectKey,
          mode: input.mode,
          createdBy: actorOf(principal),
          allowDuplicate: input.allowDuplicate ?? false,
          readingOptions: input.readingOptions ?? {},
        },
        tx,
      );
    });
    let lastProgress = Date.now();
    let cancelled = false;
    const inspection = inspectUpload(
      stopWhenCancelled(
        enforceUploadPace(input.file, {
          idleTimeoutMs: this.#deps.idleTimeoutMs,
          minBytesPerSecond: this.#deps.minBytesPerSecond,
        }),
        () => cancelled,
        taskId,
      ),
      {
        maxBytes: this.#deps.maxUploadBytes,
        onProgress: (bytes) => {
          if (Date.now() - lastProgress < PROGRESS_INTERVAL_MS) return;
          lastProgress = Date.now();
          // The progress write also tells whether the task was cancelled meanwhile: then the upload stops reading.
          void tasks.recordUploadProgress(taskId, bytes).then(
            (pending) => {
              if (!pending) cancelled = true;
            },
            () => {},
          );
        },
      },
    );
    try {
      await objects.put(objectKey, Readable.from(inspection.stream, { objectMode: false }));
      const file = inspection.result();
      await input.beforeCommit?.();
      // The file is stored: a deadlock or a lost connection in this last transaction is tried again, not answered 503.
      return await retryTransient(() =>
        db.transaction(async (tx) => {
          const dataSource = await dataSources.ensure(principal.workspace, input.dataSourceName, tx);
          const task = await tasks.markUploaded(taskId, { ...file, dataSourceName: dataSource.name }, tx);
          if (!task) throw new AppError('UPLOAD_CANCELLED', `task ${taskId} was cancelled during its upload`);
          if (input.idempotencyKey) {
            const requestHash = uploadRequestHash({
              dataSourceName: input.dataSourceName,
              mode: input.mode,
              allowDuplicate: input.allowDuplicate ?? false,
              readingOptions: input.readingOptions ?? {},
              sha256: file.sha256,
            });
            const prior = await this.#deps.idempotencyKeys.record(tx, {
              workspace: principal.workspace,
              key: input.idempotencyKey,
              requestHash,
              taskId,
            });
            if (prior) throw prior.requestHash === requestHash ? new RepeatOf(prior.taskId) : keyReused();
          }
          await jobs.sendIngest(taskId, tx);
          const actor = actorOf(principal);
          await audit.record(
            {
              workspace: principal.workspace,
              actor,
              action: 'upload.accepted',
              target: taskId,
              details: `${dataSource.name} ${input.mode}, ${file.sizeBytes} bytes, sha256 ${file.sha256}`,
            },
            tx,
          );
          if (input.mode === 'REPLACE') {
            await audit.record(
              {
                workspace: principal.workspace,
                actor,
                action: 'datasource.replace',
                target: dataSource.name,
                details: `task ${taskId} replaces the days its rows cover`,
              },
              tx,
            );
          }
          return task;
        }),
      );
    } catch (error) {
      await objects.delete(objectKey).catch(() => {});
      await tasks.deletePending(taskId).catch(() => {});
      // A concurrent repeat with the same Idempotency-Key committed first: answer with its task.
      if (error instanceof RepeatOf) return this.#earlierTask(principal.workspace, error.taskId);
      throw error instanceof AppError ? error : new AppError('STORAGE_UNAVAILABLE', describe(error), { cause: error });
    }
  }

  /**
   * A repeat of an Idempotency-Key: the file is read (hashed, not stored) to tell a true repeat, answered with the first
   * request's task, from another request reusing the key (IDEMPOTENCY_KEY_REUSED).
   */
  async #replay(input: UploadInput, earlier: { requestHash: string; taskId: string }): Promise<IngestionTask> {
    const inspection = inspectUpload(
      enforceUploadPace(input.file, {
        idleTimeoutMs: this.#deps.idleTimeoutMs,
        minBytesPerSecond: this.#deps.minBytesPerSecond,
      }),
      { maxBytes: this.#deps.maxUploadBytes },
    );
    for await (const _ of inspection.stream) {
      // read to the end: only the hash is wanted
    }
    await input.beforeCommit?.();
    const requestHash = uploadRequestHash({
      dataSourceName: input.dataSourceName,
      mode: input.mode,
      allowDuplicate: input.allowDuplicate ?? false,
      readingOptions: input.readingOptions ?? {},
      sha256: inspection.result().sha256,
    });
    if (requestHash !== earlier.requestHash) throw keyReused();
    return this.#earlierTask(input.principal.workspace, earlier.taskId);
  }

  async #earlierTask(workspace: string, taskId: string): Promise<IngestionTask> {
    const task = await this.#deps.tasks.get(workspace, taskId);
    if (!task) throw new AppError('INTERNAL', `the task ${taskId} of an Idempotency-Key is gone`);
    return task;
  }
}

/** Ends the upload with UPLOAD_CANCELLED at the next chunk once its task was cancelled. */
async function* stopWhenCancelled(
  source: AsyncIterable<Buffer>,
  isCancelled: () => boolean,
  taskId: string,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (isCancelled()) throw new AppError('UPLOAD_CANCELLED', `task ${taskId} was cancelled during its upload`);
    yield chunk;
  }
}

/**
 * The file name as the task shows it: at most 1,000 characters, without control characters (PostgreSQL text cannot
 * hold NUL) or bidirectional overrides (which make `sales‮vsc.exe` look like `salesexe.csv`).
 */
export function displayFilename(filename: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const cleaned = filename.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').slice(0, 1000);
  return cleaned === '' ? 'upload' : cleaned;
}

/** Thrown inside the commit transaction when a repeat of the same Idempotency-Key request committed first. */
class RepeatOf extends Error {
  readonly taskId: string;
  constructor(taskId: string) {
    super(`a repeat of the request that made task ${taskId}`);
    this.taskId = taskId;
  }
}

function keyReused(): AppError {
  return new AppError('IDEMPOTENCY_KEY_REUSED', 'the key was first used with another file, data source or mode');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
