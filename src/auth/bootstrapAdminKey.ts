import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { DEFAULT_WORKSPACE } from '../workspaces/WorkspaceStore.ts';
import type { ApiKeyStore } from './ApiKeyStore.ts';

export const ADMIN_KEY_FILE = 'admin-api-key';

/**
 * On a start with no API key at all: creates the server-admin key (an ADMIN of workspace `default` that may also
 * create workspaces) with the secret ADMIN_API_KEY gives, or a new one written alone to DATA_DIR/admin-api-key
 * (mode 0600). Several processes starting at once create one key (an advisory lock). Returns the new secret, or
 * null when keys existed already.
 */
export async function bootstrapAdminKey(deps: {
  db: SqlDatabase;
  keys: ApiKeyStore;
  audit: AuditLog;
  dataDir: string;
  adminApiKey: string | undefined;
}): Promise<{ secret: string; file: string | null } | null> {
  const created = await deps.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7270002)');
    if ((await deps.keys.count(tx)) > 0) return null;
    const { apiKey, secret } = await deps.keys.create(
      {
        workspace: DEFAULT_WORKSPACE,
        name: 'server admin (bootstrap)',
        role: 'ADMIN',
        serverAdmin: true,
        createdBy: null,
        ...(deps.adminApiKey ? { secret: deps.adminApiKey } : {}),
      },
      tx,
    );
    await deps.audit.record(
      {
        workspace: DEFAULT_WORKSPACE,
        actor: 'server',
        action: 'apikey.created',
        target: apiKey.id,
        details: 'bootstrap server-admin key',
      },
      tx,
    );
    return secret;
  });
  if (created === null) return null;
  if (deps.adminApiKey) return { secret: created, file: null };
  const file = path.join(deps.dataDir, ADMIN_KEY_FILE);
  await mkdir(deps.dataDir, { recursive: true });
  await rm(file, { force: true });
  await writeFile(file, `${created}\n`, { mode: 0o600, flag: 'wx' });
  return { secret: created, file };
}
