import type { AnalyticsStore } from '../analytics/AnalyticsStore.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
import { actorOf, type Principal } from '../auth/Principal.ts';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { AppError } from '../errors/AppError.ts';
import { assertDataSourceName } from '../upload/dataSourceName.ts';
import type { DataSourceStore } from './DataSourceStore.ts';

/**
 * Deletes a data source of the caller's workspace (ADMIN): its rows leave the analytics store and its schema is
 * forgotten; its task history stays. Refused while tasks of it are in progress (DATA_SOURCE_BUSY). The name is free
 * again at once: the next upload starts a new data source.
 */
export async function deleteDataSource(
  deps: { db: SqlDatabase; dataSources: DataSourceStore; analytics: AnalyticsStore; audit: AuditLog },
  principal: Principal,
  name: string,
): Promise<void> {
  assertDataSourceName(name);
  const deleted = await deps.db.transaction((tx) => deps.dataSources.delete(principal.workspace, name, tx));
  if (deleted === 'absent') throw new AppError('DATA_SOURCE_NOT_FOUND', `no data source "${name}"`);
  if (deleted === 'busy') throw new AppError('DATA_SOURCE_BUSY', `tasks of "${name}" are in progress`);
  await deps.analytics.dropDataSource(deleted.storeName);
  await deps.audit.record({
    workspace: principal.workspace,
    actor: actorOf(principal),
    action: 'datasource.deleted',
    target: deleted.name,
    details: `store ${deleted.storeName}`,
  });
}
