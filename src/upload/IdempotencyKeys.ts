import { createHash } from 'node:crypto';
import type { SqlExecutor } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';
import type { ReadingOptions } from '../ingest/readingOptions.ts';

/** How long a REST Idempotency-Key answers repeats with its first task. */
export const IDEMPOTENCY_KEY_HOURS = 24;

const KEY = /^[\x21-\x7e]{1,200}$/;

export function assertIdempotencyKey(key: string): void {
  if (!KEY.test(key)) {
    throw new AppError('INVALID_REQUEST', 'an Idempotency-Key is 1–200 visible ASCII characters');
  }
}

/** What makes two upload requests the same: where they go, how, and the bytes (SHA-256) of the file. */
export function uploadRequestHash(request: {
  dataSourceName: string;
  mode: string;
  allowDuplicate: boolean;
  readingOptions: ReadingOptions;
  sha256: string;
}): string {
  const reading = request.readingOptions;
  const readingKey = [reading.timestampColumn, reading.dateOrder, reading.timeZone, reading.decimalSeparator];
  return createHash('sha256')
    .update(
      JSON.stringify([
        request.dataSourceName.toLowerCase(),
        request.mode,
        request.allowDuplicate,
        request.sha256,
        // Older keys (no reading options) keep their hash.
        ...(readingKey.some((x) => x !== undefined) ? [readingKey] : []),
      ]),
    )
    .digest('hex');
}

/**
 * REST Idempotency-Key records: the first request with a key (per workspace) keeps its task; a repeat of the same
 * request is answered with that task, a different request with the key is IDEMPOTENCY_KEY_REUSED.
 */
export class IdempotencyKeys {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async find(workspace: string, key: string): Promise<{ requestHash: string; taskId: string } | null> {
    const rows = await this.#db.query<{ request_hash: string; task_id: string }>(
      `SELECT request_hash, task_id FROM idempotency_keys
       WHERE workspace = $1 AND key = $2 AND created_at > now() - make_interval(hours => $3)`,
      [workspace, key, IDEMPOTENCY_KEY_HOURS],
    );
    const row = rows[0];
    return row ? { requestHash: row.request_hash, taskId: row.task_id } : null;
  }

  /**
   * Records the key for a task, in the transaction that commits the upload; when another request recorded it first
   * (a concurrent repeat), returns that record instead and records nothing.
   */
  async record(
    tx: SqlExecutor,
    entry: { workspace: string; key: string; requestHash: string; taskId: string },
  ): Promise<{ requestHash: string; taskId: string } | null> {
    await tx.query(
      `DELETE FROM idempotency_keys WHERE workspace = $1 AND key = $2
       AND created_at <= now() - make_interval(hours => $3)`,
      [entry.workspace, entry.key, IDEMPOTENCY_KEY_HOURS],
    );
    const inserted = await tx.query(
      `INSERT INTO idempotency_keys (workspace, key, request_hash, task_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (workspace, key) DO NOTHING RETURNING key`,
      [entry.workspace, entry.key, entry.requestHash, entry.taskId],
    );
    if (inserted.length === 1) return null;
    const rows = await tx.query<{ request_hash: string; task_id: string }>(
      'SELECT request_hash, task_id FROM idempotency_keys WHERE workspace = $1 AND key = $2',
      [entry.workspace, entry.key],
    );
    const row = rows[0];
    return row ? { requestHash: row.request_hash, taskId: row.task_id } : null;
  }
}
