import { createContext, useContext } from 'react';
import { ApiError, gql, problemOf } from './api.ts';

/** Roles, lowest first: each may do everything the ones before it may. */
export const ROLES = ['VIEWER', 'UPLOADER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** Who this browser is signed in as: one workspace, one role. */
export interface Principal {
  workspace: string;
  role: Role;
  /** May create workspaces (the key the server made at its first start). */
  serverAdmin: boolean;
  /** The API key the session was opened with; null for an OIDC sign-in. */
  keyId: string | null;
  subject: string | null;
}

export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

export const PRINCIPAL_FIELDS = 'workspace role serverAdmin keyId subject';

/** Who the session cookie belongs to; an UNAUTHENTICATED answer also sends the app to the sign-in page (api.ts). */
export async function fetchPrincipal(signal?: AbortSignal): Promise<Principal> {
  return (await gql<{ me: Principal }>(`{ me { ${PRINCIPAL_FIELDS} } }`, {}, signal)).me;
}

function networkError(): ApiError {
  return new ApiError('NETWORK_ERROR', 'The server could not be reached. Check your connection and try again.');
}

/**
 * Opens a session with an API key: the server answers the principal and sets an HttpOnly cookie, so the key itself
 * is sent this once and never kept by the page. A pasted `Bearer ` prefix is dropped.
 */
export async function openSession(apiKey: string): Promise<Principal> {
  let response: Response;
  try {
    response = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ apiKey: apiKey.trim().replace(/^Bearer\s+/i, '') }),
    });
  } catch {
    throw networkError();
  }
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as Principal;
}

/** Signs out (the server ends the session and clears the cookie); a session that had already ended is fine too. */
export async function closeSession(): Promise<void> {
  let response: Response;
  try {
    response = await fetch('/api/v1/session', { method: 'DELETE', headers: { accept: 'application/json' } });
  } catch {
    throw networkError();
  }
  if (!response.ok && response.status !== 401) throw await problemOf(response);
}

/** Where to go after signing in: a same-origin path from `?next=`, never another site (`//evil`, `https://…`). */
export function safeNext(raw: string | null | undefined): string {
  if (!raw?.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  try {
    const url = new URL(raw, location.origin);
    if (url.origin !== location.origin || url.pathname === '/sign-in') return '/';
    return url.pathname + url.search + url.hash;
  } catch {
    return '/';
  }
}

/** The sign-in page's address that comes back to `here` afterwards. */
export function signInHref(here: string): string {
  const next = safeNext(here);
  return next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
}

export const PrincipalContext = createContext<Principal | null>(null);

/** The signed-in principal; pages render only once it is known (App), so it is always there for them. */
export function usePrincipal(): Principal {
  const principal = useContext(PrincipalContext);
  if (!principal) throw new Error('usePrincipal() outside a signed-in page');
  return principal;
}

/*
 * Cancel buttons. The server lets an ADMIN cancel any task of the workspace and an UPLOADER only the tasks it
 * uploaded; a VIEWER none. Tasks do not say who uploaded them, so this browser remembers the tasks it uploaded, per
 * key (localStorage, the last 200): an UPLOADER is offered Cancel on those only. That is honest (every button shown
 * works) at the price of not offering Cancel on the UPLOADER's own uploads made elsewhere (another browser, a
 * script); those can still be cancelled through the API, and a FORBIDDEN answer would be shown if the rule changed.
 */
const UPLOADED_KEY = 'tributary.uploadedTasks';
const UPLOADED_KEPT = 200;

function actorOf(principal: Principal): string {
  return principal.keyId !== null ? `key:${principal.keyId}` : `oidc:${principal.subject ?? ''}`;
}

function readUploaded(): Record<string, string[]> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(UPLOADED_KEY) ?? '{}');
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, string[]>)
      : {};
  } catch {
    return {};
  }
}

/** Notes that this principal uploaded the task from this browser. */
export function rememberUpload(principal: Principal, taskId: string): void {
  const all = readUploaded();
  const actor = actorOf(principal);
  const mine = Array.isArray(all[actor]) ? all[actor] : [];
  all[actor] = [taskId, ...mine.filter((id) => id !== taskId)].slice(0, UPLOADED_KEPT);
  try {
    localStorage.setItem(UPLOADED_KEY, JSON.stringify(all));
  } catch {
    // Private mode or a full store: the UPLOADER then sees no Cancel buttons, which is safe.
  }
}

/** Whether to offer Cancel on this task (see above). */
export function mayCancel(principal: Principal, taskId: string): boolean {
  if (roleAtLeast(principal.role, 'ADMIN')) return true;
  if (!roleAtLeast(principal.role, 'UPLOADER')) return false;
  const mine = readUploaded()[actorOf(principal)];
  return Array.isArray(mine) && mine.includes(taskId);
}
