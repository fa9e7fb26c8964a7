import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/openDatabase.ts';
import type { SqlDatabase } from '../../src/db/SqlDatabase.ts';
import type { IngestionStatus, IngestMode } from '../../src/tasks/IngestionTask.ts';
import { StoreLoadJournal } from '../../src/tasks/StoreLoadJournal.ts';
import { TaskAttempts } from '../../src/tasks/TaskAttempts.ts';
import { createFreshDatabase } from '../support/testDatabase.ts';

/**
 * Task rows in a real database (a fresh PostgreSQL database, or PGlite in a scratch folder), for store-level tests:
 * the Druid store journals each load in its task's row (StoreLoadJournal), so a test makes the row it loads for, and
 * plays the worker and the user on it (a cancel, a newer attempt, the end of the task).
 */
export class TaskRows {
  readonly db: SqlDatabase;
  readonly attempts: TaskAttempts;
  readonly journal: StoreLoadJournal;
  readonly #drop: () => Promise<void>;

  private constructor(db: SqlDatabase, drop: () => Promise<void>) {
    this.db = db;
    this.attempts = new TaskAttempts(db);
    this.journal = new StoreLoadJournal(db);
    this.#drop = drop;
  }

  /** On PostgreSQL (a fresh database) by default; `embedded`: on PGlite in a scratch folder, for the unit suite. */
  static async create(options: { embedded?: boolean } = {}): Promise<TaskRows> {
    if (options.embedded) {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'task-rows-'));
      const db = await openDatabase({ databaseUrl: undefined, dataDir });
      return new TaskRows(db, () => rm(dataDir, { recursive: true, force: true }));
    }
    const database = await createFreshDatabase();
    const db = await openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent' });
    return new TaskRows(db, database.drop);
  }

  /** Forgets every task and data source (between tests sharing one database). */
  async clear(): Promise<void> {
    await this.db.query('DELETE FROM tasks');
    await this.db.query('DELETE FROM data_sources');
  }

  /** A task of data source `storeName` (its store name too), INGESTING in the given attempt; made anew if it exists. */
  async ingesting(taskId: string, storeName: string, options: { mode?: IngestMode; attempt?: number } = {}) {
    await this.db.query('DELETE FROM tasks WHERE id = $1', [taskId]);
    await this.db.query(
      `INSERT INTO data_sources (workspace, name, name_key, store_name) VALUES ('default', $1, lower($1), $1)
       ON CONFLICT DO NOTHING`,
      [storeName],
    );
    await this.db.query(
      `INSERT INTO tasks (id, workspace, data_source_name, filename, object_key, mode, status, attempt)
       VALUES ($1, 'default', $2, 'f.csv', 'raw/f.csv', $3, 'INGESTING', $4)`,
      [taskId, storeName, options.mode ?? 'APPEND', options.attempt ?? 1],
    );
  }

  async setStatus(taskId: string, status: IngestionStatus): Promise<void> {
    await this.db.query('UPDATE tasks SET status = $2, updated_at = now() WHERE id = $1', [taskId, status]);
  }

  async setAttempt(taskId: string, attempt: number): Promise<void> {
    await this.db.query('UPDATE tasks SET attempt = $2 WHERE id = $1', [taskId, attempt]);
  }

  /** An undo plan as an earlier attempt recorded it, not yet carried out. */
  async recordUndo(taskId: string, plan: unknown): Promise<void> {
    await this.db.query('UPDATE tasks SET store_undo = $2::jsonb, store_undone_at = NULL WHERE id = $1', [
      taskId,
      JSON.stringify(plan),
    ]);
  }

  /** As the reconciler sees it: a row last touched long ago. */
  async age(taskId: string): Promise<void> {
    await this.db.query("UPDATE tasks SET updated_at = now() - interval '1 hour' WHERE id = $1", [taskId]);
  }

  async row(taskId: string) {
    const rows = await this.db.query<{
      status: string;
      store_undo: unknown;
      store_undone_at: Date | null;
      store_settled_at: Date | null;
      load_order: string | null;
    }>('SELECT status, store_undo, store_undone_at, store_settled_at, load_order FROM tasks WHERE id = $1', [taskId]);
    return rows[0];
  }

  async close(): Promise<void> {
    await this.db.close();
    await this.#drop();
  }
}
