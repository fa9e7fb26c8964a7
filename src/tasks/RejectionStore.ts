import type { SqlExecutor } from '../db/SqlDatabase.ts';
import type { RowRejection, RowRejectionCode } from '../ingest/types.ts';

/**
 * The rejected rows of tasks, kept in full (line, column, code, message, raw) up to MAX_STORED_REJECTIONS per task;
 * the counts per code of all of them are on the task itself (`rejection_counts`).
 */
export class RejectionStore {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async add(taskId: string, rejections: readonly RowRejection[]): Promise<void> {
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

  async deleteForTask(taskId: string): Promise<void> {
    await this.#db.query('DELETE FROM task_rejections WHERE task_id = $1', [taskId]);
  }

  /** Rejections in line order, `afterLine` exclusive (for paging and streaming the CSV). */
  async list(taskId: string, first: number, afterLine = 0): Promise<RowRejection[]> {
    const rows = await this.#db.query<{
      line: number;
      column_name: string | null;
      code: RowRejectionCode;
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
