import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { fromPglite } from 'pg-boss';
import type { SqlDatabase, SqlExecutor } from './SqlDatabase.ts';

/**
 * Embedded PostgreSQL (PGlite, WASM) persisted in a folder. Small shared buffers keep the process RSS
 * near 170 MB after the first start (the default settings take ~310 MB).
 */
export async function openPgliteDatabase(folder: string): Promise<SqlDatabase> {
  await mkdir(folder, { recursive: true });
  const pglite = new PGlite(folder, { postgresqlconf: ['shared_buffers=16MB', 'work_mem=4MB'] } as never);
  await pglite.waitReady;
  const executor = (target: Pick<PGlite, 'query'>): SqlExecutor => ({
    query: async <Row>(sql: string, params?: unknown[]) => (await target.query<Row>(sql, params)).rows,
  });
  return {
    kind: 'pglite',
    ...executor(pglite),
    transaction: (work) => pglite.transaction((tx) => work(executor(tx))),
    listen: (channel, onPayload) => pglite.listen(channel, onPayload),
    jobQueueConnection: () => ({ db: fromPglite(pglite) }),
    close: () => pglite.close(),
  };
}
