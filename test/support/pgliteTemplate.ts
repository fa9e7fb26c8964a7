import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from '../../src/db/migrate.ts';
import { openPgliteDatabase } from '../../src/db/PgliteDatabase.ts';
import { JobQueue } from '../../src/jobs/JobQueue.ts';

const migrations = new URL('../../src/db/migrations/', import.meta.url);

/**
 * A migrated PGlite data folder, made once per machine and version of the migrations, copied for each test
 * app: creating a PGlite database runs initdb (5–15 s on this machine); opening a copy takes under a second.
 */
export async function copyPgliteTemplate(target: string): Promise<void> {
  const template = await ensureTemplate();
  await cp(template, target, { recursive: true });
}

async function ensureTemplate(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(
    JSON.parse(await readFile(new URL('../../package-lock.json', import.meta.url), 'utf8')).packages?.[
      'node_modules/@electric-sql/pglite'
    ]?.version ?? '',
  );
  for (const name of (await readdir(migrations)).sort())
    hash.update(name).update(await readFile(new URL(name, migrations)));
  const template = path.join(tmpdir(), `tributary-pglite-template-${hash.digest('hex').slice(0, 16)}`);
  if (await exists(template)) return template;
  const building = await mkdtemp(path.join(tmpdir(), 'tributary-pglite-building-'));
  const db = await openPgliteDatabase(building);
  await migrate(db);
  const jobs = await JobQueue.start(db, { supervise: false, retryLimit: 1, retryDelaySeconds: 1 });
  await jobs.stop();
  await db.close();
  try {
    await rename(building, template);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if (!(await exists(template))) throw error;
  }
  return template;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
