import { readdir, readFile } from 'node:fs/promises';
import type { SqlDatabase } from './SqlDatabase.ts';

const migrationsFolder = new URL('./migrations/', import.meta.url);

/**
 * Applies the numbered SQL files in migrations/ that have not run yet, each in its own transaction,
 * under an advisory lock so that several processes starting together apply each file once.
 */
export async function migrate(db: SqlDatabase, options: { through?: string } = {}): Promise<string[]> {
  const files = (await readdir(migrationsFolder))
    .filter((name) => /^\d{3}_[\w-]+\.sql$/.test(name))
    .sort()
    // `through`: stop after this file (tests build a database as an earlier version left it).
    .filter((name) => options.through === undefined || name <= options.through);
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7270001)');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name));
    for (const name of files) {
      if (done.has(name)) continue;
      const sql = await readFile(new URL(name, migrationsFolder), 'utf8');
      for (const statement of splitStatements(sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
      applied.push(name);
    }
  });
  return applied;
}

/** Splits a migration into statements on `;` at line ends, keeping `$$ ... $$` bodies whole. */
function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inDollarBody = false;
  for (const line of sql.split('\n')) {
    if (line.trimStart().startsWith('--') && current.trim() === '') continue;
    current += `${line}\n`;
    if ((line.match(/\$\$/g)?.length ?? 0) % 2 === 1) inDollarBody = !inDollarBody;
    if (!inDollarBody && line.trimEnd().endsWith(';')) {
      statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') statements.push(current.trim());
  return statements;
}
