import type { SqlExecutor } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';
import type { ReadingOptions } from '../ingest/readingOptions.ts';
import type { IngestionStatus, IngestionTask, IngestMode } from './IngestionTask.ts';
import { ACTIVE, RELEASE_SCHEMA_CLAIM, single, type TaskRow, toTask } from './taskRow.ts';

export interface TaskPage {
  tasks: IngestionTask[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * Ingestion tasks in SQL. Every status change goes through a guarded UPDATE, so a task in a terminal
 * state never changes again, whichever process tries.
 */
export class TaskStore {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async createPending(
    input: {
      taskId: string;
      workspace: string;
      dataSourceName: string;
      filename: string;
      objectKey: string;
      mode: IngestMode;
      createdBy: string;
      allowDuplicate?: boolean;
      readingOptions?: ReadingOptions;
    },
    tx: SqlExecutor = this.#db,
  ): Promise<IngestionTask> {
    const rows = await tx.query<TaskRow>(
      `INSERT INTO tasks (id, workspace, data_source_name, filename, object_key, mode, created_by, allow_duplicate,
         reading_options, status, status_times)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, 'PENDING', jsonb_build_object('PENDING', now()))
       RETURNING *`,
      [
        input.taskId,
        input.workspace,
        input.dataSourceName,
        input.filename,
        input.objectKey,
        input.mode,
        input.createdBy,
        input.allowDuplicate ?? false,
        JSON.stringify(input.readingOptions ?? {}),
      ],
    );
    return toTask(single(rows));
  }

  /** Uploads of a workspace still receiving bytes (PENDING, with progress within the last `activeSeconds`). */
  async countActiveUploads(workspace: string, activeSeconds: number, tx: SqlExecutor = this.#db): Promise<number> {
    const rows = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks
       WHERE workspace = $1 AND status = 'PENDING' AND updated_at > now() - make_interval(secs => $2)`,
      [workspace, activeSeconds],
    );
    return rows[0]?.n ?? 0;
  }

  /** Records bytes received; false when the task is no longer PENDING (cancelled), so the upload stops. */
  async recordUploadProgress(taskId: string, bytesReceived: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET file_size_bytes = $2, updated_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING id`,
      [taskId, bytesReceived],
    );
    return rows.length === 1;
  }

  /**
   * PENDING → UPLOADED once the bytes are durably stored; run it in the transaction that sends the job. Null when
   * the task is no longer PENDING (cancelled while its file arrived).
   */
  async markUploaded(
    taskId: string,
    file: {
      sizeBytes: number;
      sha256: string;
      format: string;
      gzip: boolean;
      encoding: string;
      delimiter: string | null;
      dataSourceName: string;
    },
    tx: SqlExecutor = this.#db,
  ): Promise<IngestionTask | null> {
    const rows = await tx.query<TaskRow>(
      `UPDATE tasks SET status = 'UPLOADED', file_size_bytes = $2, sha256 = $3, format = $4, gzip = $5,
         data_source_name = $6, encoding = $7, delimiter = $8,
         status_times = status_times || jsonb_build_object('UPLOADED', now()), updated_at = now()
       WHERE id = $1 AND status = 'PENDING' RETURNING *`,
      [taskId, file.sizeBytes, file.sha256, file.format, file.gzip, file.dataSourceName, file.encoding, file.delimiter],
    );
    return rows[0] ? toTask(rows[0]) : null;
  }

  /** Removes a task whose upload was refused: a refused upload leaves nothing stored. */
  async deletePending(taskId: string): Promise<void> {
    await this.#db.query(`DELETE FROM tasks WHERE id = $1 AND status = 'PENDING'`, [taskId]);
  }

  /** A task of this workspace; another workspace's task is null, exactly like a task that does not exist. */
  async get(workspace: string, taskId: string): Promise<IngestionTask | null> {
    const rows = await this.#db.query<TaskRow>('SELECT * FROM tasks WHERE id = $1 AND workspace = $2', [
      taskId,
      workspace,
    ]);
    return rows[0] ? toTask(rows[0]) : null;
  }

  /** Any workspace's task: for the worker and live updates, which start from a task id already authorised. */
  async getById(taskId: string): Promise<IngestionTask | null> {
    const rows = await this.#db.query<TaskRow>('SELECT * FROM tasks WHERE id = $1', [taskId]);
    return rows[0] ? toTask(rows[0]) : null;
  }

  async list(options: {
    workspace: string;
    first: number;
    after?: string | null;
    status?: IngestionStatus | null;
    dataSourceName?: string | null;
  }): Promise<TaskPage> {
    const params: unknown[] = [options.workspace];
    const conditions: string[] = ['workspace = $1'];
    if (options.status) {
      params.push(options.status);
      conditions.push(`status = $${params.length}`);
    }
    if (options.dataSourceName) {
      params.push(options.dataSourceName.toLowerCase());
      conditions.push(`lower(data_source_name) = $${params.length}`);
    }
    if (options.after) {
      const cursor = decodeTaskCursor(options.after);
      params.push(cursor.createdAt, cursor.id);
      conditions.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(options.first + 1);
    const rows = await this.#db.query<TaskRow>(
      `SELECT * FROM tasks WHERE ${conditions.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const tasks = rows.slice(0, options.first).map(toTask);
    const last = tasks.at(-1);
    return {
      tasks,
      hasNextPage: rows.length > options.first,
      endCursor: last ? encodeTaskCursor(last) : null,
    };
  }

  /**
   * An active task of this workspace → CANCELLED, unless its rows are being committed to the analytics store (the
   * commit point has passed: TASK_NOT_CANCELLABLE then, as for a finished task). A schema the task had claimed is
   * released. False when nothing changed.
   */
  async cancel(workspace: string, taskId: string): Promise<boolean> {
    const rows = await this.#db.query(
      `WITH cancelled AS (
         UPDATE tasks SET status = 'CANCELLED',
           status_times = status_times || jsonb_build_object('CANCELLED', now()), updated_at = now()
         WHERE id = $1 AND workspace = $2 AND ${ACTIVE} AND committing_at IS NULL RETURNING id
       ), released AS (${RELEASE_SCHEMA_CLAIM('cancelled')})
       SELECT id FROM cancelled`,
      [taskId, workspace],
    );
    return rows.length === 1;
  }

  /** Fails uploads that stopped receiving bytes (the API process died mid-upload); their object keys, to delete. */
  async failStalePendingUploads(olderThanSeconds: number): Promise<{ id: string; object_key: string }[]> {
    const rows = await this.#db.query<{ id: string; object_key: string }>(
      `UPDATE tasks SET status = 'FAILED', error_code = 'UPLOAD_INTERRUPTED',
         error_message = 'The upload stopped before the whole file arrived. Upload the file again.',
         status_times = status_times || jsonb_build_object('FAILED', now()), updated_at = now()
       WHERE status = 'PENDING' AND updated_at < now() - make_interval(secs => $1) RETURNING id, object_key`,
      [olderThanSeconds],
    );
    return rows;
  }
}

/** An opaque page cursor: the task's creation instant and id. */
export function encodeTaskCursor(task: IngestionTask): string {
  return Buffer.from(`${task.createdAt.toISOString()}|${task.taskId}`).toString('base64url');
}

/** The cursor's instant and id; a cursor this store did not make is INVALID_REQUEST, never silently ignored. */
export function decodeTaskCursor(cursor: string): { createdAt: string; id: string } {
  const invalid = () => new AppError('INVALID_REQUEST', '"after" is not a cursor returned by this API');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !createdAt || !id || !isTaskId(id) || !ISO_INSTANT.test(createdAt)) throw invalid();
  // A real instant only (not 2025-02-30, not year 0): what the database would refuse is refused here, as 400.
  const instant = new Date(createdAt);
  if (Number.isNaN(instant.getTime()) || instant.toISOString() !== createdAt || instant.getUTCFullYear() < 1970) {
    throw invalid();
  }
  return { createdAt, id };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Task ids are UUIDs made by the server. */
export function isTaskId(value: string): boolean {
  return TASK_ID.test(value);
}

/** Refuses anything that is not a task id (NUL bytes, long strings …) before it reaches the database. */
export function assertTaskId(value: string): void {
  if (!isTaskId(value)) throw new AppError('INVALID_REQUEST', 'a task id is a UUID such as 0f8c5d0e-…');
}
