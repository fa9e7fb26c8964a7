import path from 'node:path';
import { migrate } from './migrate.ts';
import { openPgliteDatabase } from './PgliteDatabase.ts';
import { openPostgresDatabase } from './PostgresDatabase.ts';
import type { SqlDatabase } from './SqlDatabase.ts';

/** PostgreSQL when a URL is given, PGlite in `dataDir` otherwise; migrations applied. */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
}): Promise<SqlDatabase> {
  const db = options.databaseUrl
    ? await openPostgresDatabase(options.databaseUrl)
    : await openPgliteDatabase(path.join(options.dataDir, 'pglite'));
  await migrate(db);
  return db;
}
