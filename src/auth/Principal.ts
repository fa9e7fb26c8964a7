/** Roles, lowest first: each includes everything the ones before it may do. */
export const roles = ['VIEWER', 'UPLOADER', 'ADMIN'] as const;
export type Role = (typeof roles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

export function roleAtLeast(role: Role, required: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(required);
}

/** Who is calling: one workspace and one role, from an API key, a browser session or an OIDC token. */
export interface Principal {
  workspace: string;
  role: Role;
  /** May create workspaces (the bootstrap key). */
  serverAdmin: boolean;
  /** The API key behind the call (also for a session opened with it); null for an OIDC token. */
  keyId: string | null;
  /** The OIDC subject; null for an API key. */
  subject: string | null;
  /** How the caller authenticated: a cookie session needs CSRF checks that bearer tokens do not. */
  via: 'apiKey' | 'session' | 'oidc';
}

/** The caller as the audit log and task ownership name it: `key:<id>` or `oidc:<subject>`. */
export function actorOf(principal: Principal): string {
  return principal.keyId !== null ? `key:${principal.keyId}` : `oidc:${principal.subject ?? ''}`;
}
