import { AppError } from '../errors/AppError.ts';
import { type Principal, type Role, roleAtLeast } from './Principal.ts';

/**
 * Who may call an operation: anyone (PUBLIC), any signed-in caller of any role, a minimum role in the caller's
 * workspace, or a server admin (the bootstrap key, which may create workspaces).
 */
export type Access = 'PUBLIC' | 'SIGNED_IN' | Role | 'SERVER_ADMIN';

/**
 * The GraphQL operations and the access each needs. The schema refuses to build when a root field has no entry here,
 * and the authorization matrix test checks every entry against the running server.
 */
export const graphqlAccess = {
  Query: {
    me: 'VIEWER',
    ingestionTask: 'VIEWER',
    ingestionTasks: 'VIEWER',
    dataSourceSummary: 'VIEWER',
    dataSourceSchema: 'VIEWER',
    dataSourceTimeSeries: 'VIEWER',
    uploadLimits: 'VIEWER',
    apiKeys: 'ADMIN',
    auditEvents: 'ADMIN',
  },
  Mutation: {
    uploadSalesData: 'UPLOADER',
    previewUpload: 'UPLOADER',
    cancelIngestionTask: 'UPLOADER',
    createWorkspace: 'SERVER_ADMIN',
    createApiKey: 'ADMIN',
    revokeApiKey: 'ADMIN',
    deleteDataSource: 'ADMIN',
  },
  Subscription: {
    ingestionTaskUpdated: 'VIEWER',
  },
} as const satisfies Record<'Query' | 'Mutation' | 'Subscription', Record<string, Access>>;

/** Throws UNAUTHENTICATED or FORBIDDEN unless the principal may use an operation with this access. */
export function requireAccess(principal: Principal | null, access: Access): void {
  if (access === 'PUBLIC') return;
  if (principal === null) throw new AppError('UNAUTHENTICATED', 'no credential was sent');
  if (access === 'SIGNED_IN') return;
  if (access === 'SERVER_ADMIN') {
    if (!principal.serverAdmin) throw new AppError('FORBIDDEN', 'only a server admin may do this');
    return;
  }
  if (!roleAtLeast(principal.role, access)) {
    throw new AppError('FORBIDDEN', `this needs the role ${access}; yours is ${principal.role}`);
  }
}
