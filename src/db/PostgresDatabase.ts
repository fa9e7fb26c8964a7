import pg from 'pg';
import type { SqlDatabase, SqlExecutor } from './SqlDatabase.ts';

/** Converts int8 and numeric to JS numbers, as PGlite does (counts here stay far below 2^53). */
pg.types.setTypeParser(pg.types.builtins.INT8, Number);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);

/** The real PostgreSQL through a connection pool. */
export async function openPostgresDatabase(connectionString: string): Promise<SqlDatabase> {
  const pool = new pg.Pool({ connectionString, max: 10 });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries in flight report their own errors.
  });
  await pool.query('SELECT 1');
  const executor = (target: pg.Pool | pg.PoolClient): SqlExecutor => ({
    query: async <Row>(sql: string, params?: unknown[]) => (await target.query(sql, params as unknown[])).rows as Row[],
  });
  return {
    kind: 'postgres',
    ...executor(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      const client = await pool.connect();
      const onNotification = (message: pg.Notification) => {
        if (message.channel === channel) onPayload(message.payload ?? '');
      };
      client.on('notification', onNotification);
      await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      return async () => {
        client.off('notification', onNotification);
        await client.query(`UNLISTEN "${channel.replaceAll('"', '""')}"`).catch(() => {});
        client.release();
      };
    },
    jobQueueConnection: () => ({ connectionString }),
    close: () => pool.end(),
  };
}
