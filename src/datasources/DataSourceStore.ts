import type { SqlExecutor } from '../db/SqlDatabase.ts';
import type { DataSourceSchema } from '../ingest/types.ts';

/** A data source of a workspace, as the task store knows it. */
export interface DataSource {
  workspace: string;
  /** The first spelling of the name; `Sales` and `sales` are one data source. */
  name: string;
  /** The DuckDB table, Druid datasource and object key prefix of this data source (see `storeNameOf`). */
  storeName: string;
  /** The schema, once the first task of the data source SUCCEEDED; null before. */
  schema: DataSourceSchema | null;
  /** A task loading the data source's first rows, and the schema it inferred, until that task ends. */
  claim: { taskId: string; schema: DataSourceSchema } | null;
}

interface DataSourceRow {
  workspace: string;
  name: string;
  store_name: string;
  schema: DataSourceSchema | null;
  schema_final: boolean;
  schema_task_id: string | null;
}

/** What claiming a schema found: the claim is ours, the schema is final, or another task holds the claim. */
export type SchemaClaim =
  | { kind: 'claimed'; schema: DataSourceSchema }
  | { kind: 'final'; schema: DataSourceSchema }
  | { kind: 'claimedByOther'; taskId: string };

/**
 * The store-side name of a data source: `<workspace>.<name in lower case>`. Workspace names cannot contain `.`,
 * data source names cannot contain `.`, and both are compared in lower case, so no two (workspace, name) pairs
 * ever share a table, a Druid datasource or an object prefix. Data sources from before workspaces keep their own
 * name (which has no `.`), recorded in `data_sources.store_name`.
 */
export function storeNameOf(workspace: string, name: string): string {
  return `${workspace}.${name.toLowerCase()}`;
}

/**
 * Data sources per workspace, unique case-insensitively, and their schemas. A schema is final only once the task that
 * inferred it SUCCEEDED: until then that task holds a claim (so two first uploads cannot load different columns), and
 * a claim of a task that failed or was cancelled is released (TaskAttempts.markFailed, TaskStore.cancel), so a failed
 * first upload fixes nothing.
 */
export class DataSourceStore {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  /** The data source of this name, created (with no schema yet) by the first upload to it. */
  async ensure(workspace: string, name: string, tx: SqlExecutor = this.#db): Promise<DataSource> {
    await tx.query(
      `INSERT INTO data_sources (workspace, name, name_key, store_name, schema, schema_final)
       VALUES ($1, $2, $3, $4, NULL, false)
       ON CONFLICT (workspace, name_key) DO NOTHING`,
      [workspace, name, name.toLowerCase(), storeNameOf(workspace, name)],
    );
    const found = await this.get(workspace, name, tx);
    if (!found) throw new Error(`data source ${workspace}/${name} vanished`);
    return found;
  }

  async get(workspace: string, name: string, tx: SqlExecutor = this.#db): Promise<DataSource | null> {
    const rows = await tx.query<DataSourceRow>(
      `SELECT workspace, name, store_name, schema, schema_final, schema_task_id
       FROM data_sources WHERE workspace = $1 AND name_key = $2`,
      [workspace, name.toLowerCase()],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      workspace: row.workspace,
      name: row.name,
      storeName: row.store_name,
      schema: row.schema_final ? row.schema : null,
      claim:
        !row.schema_final && row.schema !== null && row.schema_task_id !== null
          ? { taskId: row.schema_task_id, schema: row.schema }
          : null,
    };
  }

  /**
   * Claims the data source's schema for a task that inferred it: the task may then load its rows with it. When the
   * schema is final already, or another task holds the claim, nothing changes and that is said.
   */
  async claimSchema(dataSource: DataSource, schema: DataSourceSchema, taskId: string): Promise<SchemaClaim> {
    await this.#db.query(
      `UPDATE data_sources SET schema = $3::jsonb, schema_task_id = $4
       WHERE workspace = $1 AND name_key = $2 AND schema IS NULL AND NOT schema_final`,
      [dataSource.workspace, dataSource.name.toLowerCase(), JSON.stringify(schema), taskId],
    );
    const now = await this.get(dataSource.workspace, dataSource.name);
    if (now?.schema) return { kind: 'final', schema: now.schema };
    if (now?.claim?.taskId === taskId) return { kind: 'claimed', schema: now.claim.schema };
    if (now?.claim) return { kind: 'claimedByOther', taskId: now.claim.taskId };
    throw new Error(`the schema of ${dataSource.name} is neither claimed nor final`);
  }

  /**
   * Forgets a data source (its schema and store name; its tasks stay) unless tasks of it are in progress: 'busy' then,
   * 'absent' when there is none of that name. Runs under the per-data-source lock that commit points take.
   */
  async delete(workspace: string, name: string, tx: SqlExecutor): Promise<DataSource | 'busy' | 'absent'> {
    await tx.query('SELECT pg_advisory_xact_lock(7270004, hashtext($1))', [`${workspace}/${name.toLowerCase()}`]);
    const dataSource = await this.get(workspace, name, tx);
    if (!dataSource) return 'absent';
    const busy = await tx.query(
      `SELECT 1 FROM tasks WHERE workspace = $1 AND lower(data_source_name) = $2
       AND status IN ('PENDING', 'UPLOADED', 'VALIDATING', 'INGESTING') LIMIT 1`,
      [workspace, name.toLowerCase()],
    );
    if (busy.length > 0) return 'busy';
    await tx.query('DELETE FROM data_sources WHERE workspace = $1 AND name_key = $2', [workspace, name.toLowerCase()]);
    return dataSource;
  }

  /** Releases a claim whose task ended without succeeding but left it behind (a process died at the wrong moment). */
  async releaseAbandonedClaim(dataSource: DataSource): Promise<void> {
    await this.#db.query(
      `UPDATE data_sources d SET schema = NULL, schema_task_id = NULL
       WHERE d.workspace = $1 AND d.name_key = $2 AND NOT d.schema_final AND d.schema_task_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = d.schema_task_id
                         AND t.status IN ('UPLOADED', 'VALIDATING', 'INGESTING', 'SUCCEEDED'))`,
      [dataSource.workspace, dataSource.name.toLowerCase()],
    );
  }
}
