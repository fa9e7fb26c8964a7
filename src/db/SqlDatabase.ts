import type { Db as IDatabase } from 'pg-boss';

/** Runs parameterised SQL; rows come back as plain objects. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/** The task database: PostgreSQL (real) or PGlite (embedded), one interface. */
export interface SqlDatabase extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Subscribes to NOTIFY on a channel; returns the unsubscribe function. A lost connection is re-established (and
   * LISTEN issued again) by itself; `onReconnect` is then called, because notifications sent while it was down are
   * lost: re-read whatever they would have told. PGlite runs in the process and never loses it.
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** How pg-boss reaches the same database: its own pool for PostgreSQL, the shared PGlite otherwise. */
  jobQueueConnection(): { connectionString: string } | { db: IDatabase };
  close(): Promise<void>;
}

/** Adapts an executor (e.g. an open transaction) to pg-boss, so a job is sent inside that transaction. */
export function executorAsJobDatabase(executor: SqlExecutor): IDatabase {
  return { executeSql: async (text, values) => ({ rows: await executor.query(text, values) }) };
}
