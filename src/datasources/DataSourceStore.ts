import type { SqlExecutor } from '../db/SqlDatabase.ts';
import type { DataSourceSchema } from '../ingest/types.ts';

/** A data source of a workspace, as the task store knows it. */
export interface DataSource {
  workspace: string;
  /** The first spelling of the name; `Sales` and `sales` are one data source. */
  name: string;
  /** The DuckDB table, Druid datasource and object key prefix of this data source (see `storeNameOf`). */
  storeName: string;
  /** Null until the first validated file stores it. */
  schema: DataSourceSchema | null;
}

interface DataSourceRow {
  workspace: string;
  name: string;
  store_name: string;
  schema: DataSourceSchema | null;
}

/**
 * The store-side name of a data source: `<workspace>.<name in lower case>`. Workspace names cannot contain `.`,
 * data source names cannot contain `.`, and both are compared in lower case, so no two (workspace, name) pairs
 * ever share a table, a Druid datasource or an object prefix. Data sources from before workspaces keep their own
 * name (which has no `.`), recorded in `data_sources.store_name`.
 */
export function storeNameOf(workspace: string, name: string): string {
  return `${workspace}.${name.toLowerCase()}`;
}

/** Data sources per workspace, unique case-insensitively. */
export class DataSourceStore {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  /** The data source of this name, created (with no schema yet) by the first upload to it. */
  async ensure(workspace: string, name: string, tx: SqlExecutor = this.#db): Promise<DataSource> {
    await tx.query(
      `INSERT INTO data_sources (workspace, name, name_key, store_name, schema) VALUES ($1, $2, $3, $4, NULL)
       ON CONFLICT (workspace, name_key) DO NOTHING`,
      [workspace, name, name.toLowerCase(), storeNameOf(workspace, name)],
    );
    const found = await this.get(workspace, name, tx);
    if (!found) throw new Error(`data source ${workspace}/${name} vanished`);
    return found;
  }

  async get(workspace: string, name: string, tx: SqlExecutor = this.#db): Promise<DataSource | null> {
    const rows = await tx.query<DataSourceRow>(
      'SELECT workspace, name, store_name, schema FROM data_sources WHERE workspace = $1 AND name_key = $2',
      [workspace, name.toLowerCase()],
    );
    const row = rows[0];
    return row ? { workspace: row.workspace, name: row.name, storeName: row.store_name, schema: row.schema } : null;
  }

  /** Stores the schema unless another upload stored one first; returns the one in force. */
  async saveSchemaIfAbsent(workspace: string, name: string, schema: DataSourceSchema): Promise<DataSourceSchema> {
    await this.#db.query(
      'UPDATE data_sources SET schema = $3::jsonb WHERE workspace = $1 AND name_key = $2 AND schema IS NULL',
      [workspace, name.toLowerCase(), JSON.stringify(schema)],
    );
    const stored = (await this.get(workspace, name))?.schema;
    if (!stored) throw new Error(`schema of ${workspace}/${name} vanished`);
    return stored;
  }
}
