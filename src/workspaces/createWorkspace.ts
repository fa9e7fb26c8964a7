import type { AuditLog } from '../audit/AuditLog.ts';
import type { ApiKey, ApiKeyStore } from '../auth/ApiKeyStore.ts';
import { actorOf, type Principal } from '../auth/Principal.ts';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { assertWorkspaceName, type Workspace, type WorkspaceStore } from './WorkspaceStore.ts';

/** A new workspace and its first ADMIN key, in one transaction, recorded in both workspaces' audit logs. */
export async function createWorkspace(
  deps: { db: SqlDatabase; workspaces: WorkspaceStore; keys: ApiKeyStore; audit: AuditLog },
  principal: Principal,
  name: string,
): Promise<{ workspace: Workspace; adminKey: { apiKey: ApiKey; secret: string } }> {
  assertWorkspaceName(name);
  const actor = actorOf(principal);
  return deps.db.transaction(async (tx) => {
    const workspace = await deps.workspaces.create(name, tx);
    const adminKey = await deps.keys.create(
      { workspace: name, name: `${name} admin`, role: 'ADMIN', createdBy: actor },
      tx,
    );
    for (const scope of new Set([principal.workspace, name])) {
      await deps.audit.record(
        {
          workspace: scope,
          actor,
          action: 'workspace.created',
          target: name,
          details: `first ADMIN key ${adminKey.apiKey.id}`,
        },
        tx,
      );
    }
    return { workspace, adminKey };
  });
}
