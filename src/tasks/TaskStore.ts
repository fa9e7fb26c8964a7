import type { SqlExecutor } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';
import type { RowRejection } from '../ingest/types.ts';
import type { IngestionStatus, IngestionTask, IngestMode } from './IngestionTask.ts';

interface TaskRow {
  id: string;
  workspace: string;
  created_by: string | null;
  error_id: string | null;
  data_source_name: string;
  filename: string;
  file_size_bytes: number;
  sha256: string | null;
  object_key: string;
  format: string | null;
  gzip: boolean;
  mode: IngestMode;
  status: IngestionStatus;
  status_times: Partial<Record<IngestionStatus, string>>;
  attempt: number;
  bytes_processed: number;
  rows_total: number | null;
  rows_valid: number | null;
  rows_rejected: number | null;
  rows_loaded: number | null;
  min_time: Date | null;
  max_time: Date | null;
  store_task_id: string | null;
  store_state: string | null;
  replaced_interval_start: Date | null;
  replaced_interval_end: Date | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  updated_at: Date;
}

const ACTIVE = `status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')`;

export interface TaskPage {
  tasks: IngestionTask[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface TaskProgress {
  bytesProcessed: number;
  rowsTotal: number;
  rowsValid: number;
  rowsRejected: number;
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
    },
    tx: SqlExecutor = this.#db,
  ): Promise<IngestionTask> {
    const rows = await tx.query<TaskRow>(
      `INSERT INTO tasks (id, workspace, data_source_name, filename, object_key, mode, created_by, status, status_times)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', jsonb_build_object('PENDING', now()))
       RETURNING *`,
      [
        input.taskId,
        input.workspace,
        input.dataSourceName,
        input.filename,
        input.objectKey,
        input.mode,
        input.createdBy,
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
    file: { sizeBytes: number; sha256: string; format: string; gzip: boolean; dataSourceName: string },
    tx: SqlExecutor = this.#db,
  ): Promise<IngestionTask | null> {
    const rows = await tx.query<TaskRow>(
      `UPDATE tasks SET status = 'UPLOADED', file_size_bytes = $2, sha256 = $3, format = $4, gzip = $5,
         data_source_name = $6,
         status_times = status_times || jsonb_build_object('UPLOADED', now()), updated_at = now()
       WHERE id = $1 AND status = 'PENDING' RETURNING *`,
      [taskId, file.sizeBytes, file.sha256, file.format, file.gzip, file.dataSourceName],
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

  /** UPLOADED (or a VALIDATING/INGESTING attempt that died) → VALIDATING; null when the task is finished. */
  async startAttempt(taskId: string): Promise<IngestionTask | null> {
    const rows = await this.#db.query<TaskRow>(
      `UPDATE tasks SET status = 'VALIDATING', attempt = attempt + 1, bytes_processed = 0,
         rows_total = 0, rows_valid = 0, rows_rejected = 0, rows_loaded = NULL,
         status_times = status_times || jsonb_build_object('VALIDATING', now()), updated_at = now()
       WHERE id = $1 AND status IN ('UPLOADED', 'VALIDATING', 'INGESTING') RETURNING *`,
      [taskId],
    );
    return rows[0] ? toTask(rows[0]) : null;
  }

  /** Records progress; false when the task left VALIDATING (cancelled), so the worker stops. */
  async recordProgress(taskId: string, progress: TaskProgress): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET bytes_processed = $2, rows_total = $3, rows_valid = $4, rows_rejected = $5, updated_at = now()
       WHERE id = $1 AND status = 'VALIDATING' RETURNING id`,
      [taskId, progress.bytesProcessed, progress.rowsTotal, progress.rowsValid, progress.rowsRejected],
    );
    return rows.length === 1;
  }

  async markIngesting(
    taskId: string,
    counts: TaskProgress & { minTime: number | null; maxTime: number | null },
  ): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET status = 'INGESTING', bytes_processed = $2, rows_total = $3, rows_valid = $4, rows_rejected = $5,
         min_time = $6, max_time = $7,
         status_times = status_times || jsonb_build_object('INGESTING', now()), updated_at = now()
       WHERE id = $1 AND status = 'VALIDATING' RETURNING id`,
      [
        taskId,
        counts.bytesProcessed,
        counts.rowsTotal,
        counts.rowsValid,
        counts.rowsRejected,
        counts.minTime === null ? null : new Date(counts.minTime),
        counts.maxTime === null ? null : new Date(counts.maxTime),
      ],
    );
    return rows.length === 1;
  }

  /** Records the analytics store's job for the task (e.g. the Druid task id and its status). */
  async recordStoreProgress(taskId: string, progress: { storeTaskId: string; storeState: string }): Promise<void> {
    await this.#db.query(
      `UPDATE tasks SET store_task_id = $2, store_state = $3, updated_at = now() WHERE id = $1 AND status = 'INGESTING'`,
      [taskId, progress.storeTaskId, progress.storeState],
    );
  }

  async recordReplacedInterval(taskId: string, interval: { start: Date; end: Date }): Promise<void> {
    await this.#db.query(
      `UPDATE tasks SET replaced_interval_start = $2, replaced_interval_end = $3, updated_at = now() WHERE id = $1`,
      [taskId, interval.start, interval.end],
    );
  }

  async status(taskId: string): Promise<IngestionStatus | null> {
    const rows = await this.#db.query<{ status: IngestionStatus }>('SELECT status FROM tasks WHERE id = $1', [taskId]);
    return rows[0]?.status ?? null;
  }

  async markSucceeded(taskId: string, rowsLoaded: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET status = 'SUCCEEDED', rows_loaded = $2,
         status_times = status_times || jsonb_build_object('SUCCEEDED', now()), updated_at = now()
       WHERE id = $1 AND status = 'INGESTING' RETURNING id`,
      [taskId, rowsLoaded],
    );
    return rows.length === 1;
  }

  /**
   * Any active status → FAILED with a catalogue code; a finished task is left as it is. `errorId` names a server
   * error in the logs (the client sees only the catalogue message and this id).
   */
  async markFailed(
    taskId: string,
    errorCode: string,
    errorMessage: string,
    errorId: string | null = null,
  ): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET status = 'FAILED', error_code = $2, error_message = $3, error_id = $4,
         status_times = status_times || jsonb_build_object('FAILED', now()), updated_at = now()
       WHERE id = $1 AND ${ACTIVE} RETURNING id`,
      [taskId, errorCode, errorMessage, errorId],
    );
    return rows.length === 1;
  }

  /** An active task of this workspace → CANCELLED; false when it is finished (or not this workspace's). */
  async cancel(workspace: string, taskId: string): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE tasks SET status = 'CANCELLED',
         status_times = status_times || jsonb_build_object('CANCELLED', now()), updated_at = now()
       WHERE id = $1 AND workspace = $2 AND ${ACTIVE} RETURNING id`,
      [taskId, workspace],
    );
    return rows.length === 1;
  }

  /** Fails uploads that stopped receiving bytes (the API process died mid-upload). */
  async failStalePendingUploads(olderThanSeconds: number): Promise<string[]> {
    const rows = await this.#db.query<{ id: string }>(
      `UPDATE tasks SET status = 'FAILED', error_code = 'UPLOAD_INTERRUPTED',
         error_message = 'The upload stopped before the whole file arrived. Upload the file again.',
         status_times = status_times || jsonb_build_object('FAILED', now()), updated_at = now()
       WHERE status = 'PENDING' AND updated_at < now() - make_interval(secs => $1) RETURNING id`,
      [olderThanSeconds],
    );
    return rows.map((row) => row.id);
  }

  async addRejections(taskId: string, rejections: readonly RowRejection[]): Promise<void> {
    const batchSize = 500;
    for (let start = 0; start < rejections.length; start += batchSize) {
      const batch = rejections.slice(start, start + batchSize);
      const params: unknown[] = [taskId];
      const values = batch.map((r) => {
        params.push(r.line, r.column, r.code, r.message, r.raw);
        const n = params.length;
        return `($1, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
      });
      await this.#db.query(
        `INSERT INTO task_rejections (task_id, line, column_name, code, message, raw) VALUES ${values.join(', ')}
         ON CONFLICT (task_id, line) DO NOTHING`,
        params,
      );
    }
  }

  async deleteRejections(taskId: string): Promise<void> {
    await this.#db.query('DELETE FROM task_rejections WHERE task_id = $1', [taskId]);
  }

  /** Rejections in line order, `afterLine` exclusive (for paging and streaming the CSV). */
  async listRejections(taskId: string, first: number, afterLine = 0): Promise<RowRejection[]> {
    const rows = await this.#db.query<{
      line: number;
      column_name: string | null;
      code: string;
      message: string;
      raw: string | null;
    }>(
      `SELECT line, column_name, code, message, raw FROM task_rejections
       WHERE task_id = $1 AND line > $2 ORDER BY line LIMIT $3`,
      [taskId, afterLine, first],
    );
    return rows.map((r) => ({
      line: r.line,
      column: r.column_name,
      code: r.code,
      message: r.message,
      raw: r.raw ?? '',
    }));
  }
}

function single(rows: TaskRow[]): TaskRow {
  const [row] = rows;
  if (!row || rows.length !== 1) throw new Error(`expected one task row, got ${rows.length}`);
  return row;
}

function toTask(row: TaskRow): IngestionTask {
  return {
    taskId: row.id,
    workspace: row.workspace,
    createdBy: row.created_by,
    dataSourceName: row.data_source_name,
    filename: row.filename,
    fileSizeBytes: Number(row.file_size_bytes),
    sha256: row.sha256,
    objectKey: row.object_key,
    format: row.format,
    gzip: row.gzip,
    mode: row.mode,
    status: row.status,
    statusTimes: row.status_times,
    attempt: row.attempt,
    bytesProcessed: Number(row.bytes_processed),
    rowsTotal: row.rows_total,
    rowsValid: row.rows_valid,
    rowsRejected: row.rows_rejected,
    rowsLoaded: row.rows_loaded,
    minTime: row.min_time,
    maxTime: row.max_time,
    storeTaskId: row.store_task_id,
    storeState: row.store_state,
    replacedInterval:
      row.replaced_interval_start && row.replaced_interval_end
        ? { start: row.replaced_interval_start, end: row.replaced_interval_end }
        : null,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    errorId: row.error_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
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
