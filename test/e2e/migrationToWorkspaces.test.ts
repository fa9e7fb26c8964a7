import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import { openPgliteDatabase } from '../../src/db/PgliteDatabase.ts';
import { openPostgresDatabase } from '../../src/db/PostgresDatabase.ts';
import type { SqlDatabase } from '../../src/db/SqlDatabase.ts';
import { backends } from '../support/testApp.ts';
import { createFreshDatabase } from '../support/testDatabase.ts';

/** A database as the version before workspaces left it: two spellings of one data source, tasks of both. */
async function seedBeforeWorkspaces(db: SqlDatabase): Promise<void> {
  await migrate(db, { through: '002_store_task.sql' });
  const schema = JSON.stringify({ timestampColumn: 'ts', dimensions: [], metrics: [{ name: 'units', type: 'long' }] });
  await db.query(
    `INSERT INTO data_sources (name, schema, created_at) VALUES ('sales', $1, now() - interval '2 days')`,
    [schema],
  );
  await db.query(`INSERT INTO data_sources (name, schema, created_at) VALUES ('Sales', $1, now() - interval '1 day')`, [
    schema,
  ]);
  const task = (id: string, name: string) =>
    db.query(
      `INSERT INTO tasks (id, data_source_name, filename, object_key, status, status_times)
       VALUES ($1, $2, 'f.csv', $3, 'SUCCEEDED', '{}')`,
      [id, name, `raw/${name}/${id}/f.csv`],
    );
  await task('11111111-1111-4111-8111-111111111111', 'sales');
  await task('22222222-2222-4222-8222-222222222222', 'Sales');
  await task('33333333-3333-4333-8333-333333333333', 'returns');
  await db.query(
    `UPDATE tasks SET status = 'FAILED', error_code = 'INTERNAL',
       error_message = 'Binder Error: Referenced column "x" not found' WHERE data_source_name = 'returns'`,
  );
}

for (const backend of backends) {
  test(`the workspace migration moves existing data into "default" without losing a task (${backend})`, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-migration-'));
    const fresh = backend === 'postgres' ? await createFreshDatabase() : undefined;
    const db = fresh ? await openPostgresDatabase(fresh.url) : await openPgliteDatabase(path.join(dataDir, 'pglite'));
    try {
      await seedBeforeWorkspaces(db);
      const applied = await migrate(db);
      assert.ok(applied.includes('003_workspaces_identity.sql'), applied.join(', '));
      assert.deepEqual(await db.query('SELECT name FROM workspaces'), [{ name: 'default' }]);
      const sources = await db.query<{ workspace: string; name: string; name_key: string; store_name: string }>(
        'SELECT workspace, name, name_key, store_name FROM data_sources ORDER BY name_key',
      );
      // "sales" and "Sales" were one DuckDB table: one data source now, with the first spelling and its table name.
      assert.deepEqual(sources, [
        { workspace: 'default', name: 'returns', name_key: 'returns', store_name: 'returns' },
        { workspace: 'default', name: 'sales', name_key: 'sales', store_name: 'sales' },
      ]);
      const tasks = await db.query<{ id: string; workspace: string; data_source_name: string }>(
        'SELECT id, workspace, data_source_name FROM tasks ORDER BY id',
      );
      assert.deepEqual(
        tasks.map((t) => [t.workspace, t.data_source_name]),
        [
          ['default', 'sales'],
          ['default', 'sales'],
          ['default', 'returns'],
        ],
      );
      const failed = await db.query<{ error_message: string }>(
        `SELECT error_message FROM tasks WHERE error_code = 'INTERNAL'`,
      );
      assert.deepEqual(failed, [{ error_message: 'An internal error occurred. The error has been logged.' }]);
      assert.deepEqual(await migrate(db), [], 'a second run applies nothing');
    } finally {
      await db.close();
      await fresh?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}
