import pg from 'pg';
import type { SqlDatabase, SqlExecutor } from './SqlDatabase.ts';

/** Converts int8 and numeric to JS numbers, as PGlite does (counts here stay far below 2^53). */
pg.types.setTypeParser(pg.types.builtins.INT8, Number);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);

/** How a LISTEN connection shows in pg_stat_activity, for operators (and the drills that end it). */
export const LISTEN_APPLICATION_NAME = 'tributary listen';

/** A lost LISTEN connection is retried after 100 ms, then twice as long after each failure, at most 5 s apart. */
const RECONNECT_FIRST_DELAY_MS = 100;
const RECONNECT_MAX_DELAY_MS = 5_000;
/**
 * A LISTEN connection that does not answer `SELECT 1` within 5 s is replaced. It catches a server that vanished
 * without closing the socket (a failover), which TCP keepalive alone notices only after minutes.
 */
const HEARTBEAT_INTERVAL_MS = 15_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;

/** The real PostgreSQL through a connection pool. */
export async function openPostgresDatabase(connectionString: string): Promise<SqlDatabase> {
  // keepAlive and a connect timeout: a server that vanished without closing its sockets fails queries (retried as
  // transient) instead of hanging them.
  const pool = new pg.Pool({ connectionString, max: 10, keepAlive: true, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries in flight report their own errors.
  });
  await pool.query('SELECT 1');
  const executor = (target: pg.Pool | pg.PoolClient): SqlExecutor => ({
    query: async <Row>(sql: string, params?: unknown[]) => (await target.query(sql, params as unknown[])).rows as Row[],
  });
  const listens = new Set<ListenConnection>();
  return {
    kind: 'postgres',
    ...executor(pool),
    async transaction(work) {
      const client = await pool.connect();
      // The pool stops listening for errors on a client it hands out, so a backend terminated between two statements
      // would emit an 'error' nobody hears, which ends the process. The next statement fails with the cause anyway.
      let lost: Error | undefined;
      const onLost = (error: Error) => {
        lost ??= error;
      };
      client.on('error', onLost);
      let inDoubt: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A ROLLBACK that fails leaves the connection in an unknown state: it is discarded, not pooled again.
        inDoubt = await client.query('ROLLBACK').then(
          () => undefined,
          (rollbackError: Error) => rollbackError,
        );
        throw error;
      } finally {
        client.off('error', onLost);
        client.release(lost ?? inDoubt);
      }
    },
    async listen(channel, onPayload, onReconnect) {
      const connection = new ListenConnection(connectionString, channel, onPayload, onReconnect ?? (() => {}));
      await connection.open();
      listens.add(connection);
      return async () => {
        listens.delete(connection);
        await connection.close();
      };
    },
    jobQueueConnection: () => ({ connectionString }),
    async close() {
      await Promise.all([...listens].map((connection) => connection.close()));
      listens.clear();
      await pool.end();
    },
  };
}

/**
 * LISTEN on a connection of its own: a pooled one would be taken from queries for good, and it must outlive any
 * one backend. When the connection is lost (backend terminated, server restarted or failed over) it reconnects with
 * backoff, forever until closed, LISTENs again and calls `onReconnect`: notifications sent in between are gone, so
 * the caller re-reads whatever they would have told it.
 */
class ListenConnection {
  readonly #connectionString: string;
  readonly #channel: string;
  readonly #onPayload: (payload: string) => void;
  readonly #onReconnect: () => void;
  /** The connection that holds (or is about to hold) LISTEN; undefined while waiting to reconnect. */
  #client: pg.Client | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #reconnecting = false;
  /** Reconnects start only after the first LISTEN held: a database missing at start is the caller's error. */
  #established = false;
  #failures = 0;
  #closed = false;

  constructor(
    connectionString: string,
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect: () => void,
  ) {
    this.#connectionString = connectionString;
    this.#channel = channel;
    this.#onPayload = onPayload;
    this.#onReconnect = onReconnect;
  }

  async open(): Promise<void> {
    await this.#connect();
    this.#established = true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    if (client) {
      this.#discard(client);
      await client.end().catch(() => {});
    }
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#connectionString,
      application_name: LISTEN_APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      query_timeout: HEARTBEAT_TIMEOUT_MS,
    });
    // A terminated backend emits 'error' and then 'end'; either one means this connection is gone.
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('the LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#onPayload(message.payload ?? '');
    });
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel.replaceAll('"', '""')}"`);
    } catch (error) {
      this.#discard(client);
      client.end().catch(() => {});
      throw error;
    }
    this.#scheduleHeartbeat(client);
  }

  #lost(client: pg.Client, error: Error): void {
    if (client !== this.#client || this.#closed) return;
    this.#discard(client);
    client.end().catch(() => {});
    if (!this.#established) return;
    process.emitWarning(`LISTEN ${this.#channel}: connection lost (${error.message}); reconnecting`);
    this.#scheduleReconnect();
  }

  /** Forgets a connection: its later events are ignored, and its errors heard (an unheard one ends the process). */
  #discard(client: pg.Client): void {
    if (client === this.#client) {
      this.#client = undefined;
      clearTimeout(this.#heartbeatTimer);
    }
    client.removeAllListeners();
    client.on('error', () => {});
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnecting || this.#reconnectTimer) return;
    const delay = Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS * 2 ** this.#failures);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#reconnect();
    }, delay);
  }

  async #reconnect(): Promise<void> {
    this.#reconnecting = true;
    try {
      await this.#connect();
    } catch {
      this.#failures += 1;
    } finally {
      this.#reconnecting = false;
    }
    if (this.#closed) return;
    if (!this.#client) {
      this.#scheduleReconnect();
      return;
    }
    this.#failures = 0;
    try {
      this.#onReconnect();
    } catch (error) {
      // Thrown here it would be an unhandled rejection, which ends the process.
      process.emitWarning(`LISTEN ${this.#channel}: onReconnect failed: ${String(error)}`);
    }
  }

  #scheduleHeartbeat(client: pg.Client): void {
    if (this.#closed || client !== this.#client) return;
    this.#heartbeatTimer = setTimeout(() => {
      client.query('SELECT 1').then(
        () => this.#scheduleHeartbeat(client),
        (error: Error) => this.#lost(client, error),
      );
    }, HEARTBEAT_INTERVAL_MS);
  }
}
