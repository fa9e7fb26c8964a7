import type { Logger } from 'pino';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { AuditLog } from '../audit/AuditLog.ts';
import { AppError } from '../errors/AppError.ts';
import type { WorkspaceStore } from '../workspaces/WorkspaceStore.ts';
import type { ApiKey, ApiKeyStore } from './ApiKeyStore.ts';
import { API_KEY_PATTERN } from './apiKeySecret.ts';
import type { OidcVerifier } from './OidcVerifier.ts';
import type { Principal } from './Principal.ts';
import type { SessionStore } from './SessionStore.ts';

export interface Credentials {
  /** The Authorization header, if any (it wins over a session cookie). */
  authorization: string | undefined;
  /** The session cookie's value, if any. */
  sessionSecret: string | undefined;
  /** The client's address: failed attempts are counted per address. */
  address: string;
}

export interface AuthenticatorDeps {
  keys: ApiKeyStore;
  sessions: SessionStore;
  workspaces: WorkspaceStore;
  audit: AuditLog;
  oidc: OidcVerifier | undefined;
  failuresPerMinute: number;
  log: Logger;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Turns credentials into a Principal: an API key (`Bearer trb_…`), an OIDC JWT (`Bearer eyJ…`) or a session
 * cookie. No credential, or a bad one, is UNAUTHENTICATED; once an address has had too many refusals in the last
 * minute, its further refusals are TOO_MANY_REQUESTS with a Retry-After. Refusals are written to the audit log.
 */
export class Authenticator {
  readonly #deps: AuthenticatorDeps;
  readonly #failures: RateLimiterMemory;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
    this.#failures = new RateLimiterMemory({ points: deps.failuresPerMinute, duration: 60 });
  }

  async authenticate(credentials: Credentials): Promise<Principal> {
    if (credentials.authorization === undefined && credentials.sessionSecret === undefined) {
      throw new AppError('UNAUTHENTICATED', 'no credential was sent');
    }
    try {
      return await this.#principalOf(credentials);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'UNAUTHENTICATED') throw error;
      // A valid credential always works (a shared proxy address must not lock everyone out); refusals are counted,
      // and past the limit they are answered 429, so guessing is slowed. The secrets are 238-bit random strings
      // and signed tokens: the limit protects the service more than the secrets.
      const failures = await this.#failures.get(credentials.address);
      if (failures !== null && failures.remainingPoints <= 0) {
        throw new AppError('TOO_MANY_REQUESTS', 'too many failed authentications from this address', {
          retryAfterSeconds: Math.max(1, Math.ceil(failures.msBeforeNext / 1000)),
        });
      }
      await this.#refused(credentials, error);
      throw error;
    }
  }

  /** Checks an API key given in a sign-in form (for a session): the same rules as a bearer key. */
  async authenticateApiKey(secret: string, address: string): Promise<Principal> {
    return this.authenticate({ authorization: `Bearer ${secret}`, sessionSecret: undefined, address });
  }

  async #principalOf(credentials: Credentials): Promise<Principal> {
    if (credentials.authorization !== undefined) {
      const match = /^Bearer ([\x21-\x7e]{1,8192})$/i.exec(credentials.authorization.trim());
      if (!match) throw new AppError('UNAUTHENTICATED', 'the Authorization header is not "Bearer <credential>"');
      const token = match[1] as string;
      if (token.startsWith('trb_')) return this.#fromApiKey(token, 'apiKey');
      if (JWT_SHAPE.test(token)) return this.#fromJwt(token);
      throw new AppError('UNAUTHENTICATED', 'the bearer credential is neither an API key nor a JWT');
    }
    const secret = credentials.sessionSecret as string;
    const keyId = /^[A-Za-z0-9_-]{43}$/.test(secret) ? await this.#deps.sessions.keyIdOf(secret) : null;
    const key = keyId === null ? null : await this.#deps.keys.findById(keyId);
    if (!key || key.revokedAt !== null) throw new AppError('UNAUTHENTICATED', 'the session has ended; sign in again');
    return principalOfKey(key, 'session');
  }

  async #fromApiKey(secret: string, via: 'apiKey' | 'session'): Promise<Principal> {
    if (!API_KEY_PATTERN.test(secret)) throw new AppError('UNAUTHENTICATED', 'the API key is malformed');
    const key = await this.#deps.keys.findBySecret(secret);
    if (!key) throw new AppError('UNAUTHENTICATED', 'the API key is not known');
    if (key.revokedAt !== null) {
      throw Object.assign(new AppError('UNAUTHENTICATED', 'the API key has been revoked'), {
        auditWorkspace: key.workspace,
        auditActor: `key:${key.id}`,
      });
    }
    await this.#deps.keys
      .touch(key.id)
      .catch((error: unknown) => this.#deps.log.warn({ err: error }, 'could not record lastUsedAt'));
    return principalOfKey(key, via);
  }

  async #fromJwt(token: string): Promise<Principal> {
    if (!this.#deps.oidc) throw new AppError('UNAUTHENTICATED', 'this server accepts no JWTs (OIDC is not set up)');
    const identity = await this.#deps.oidc.verify(token);
    if (!(await this.#deps.workspaces.exists(identity.workspace))) {
      throw new AppError('UNAUTHENTICATED', 'the token names a workspace that does not exist');
    }
    return {
      workspace: identity.workspace,
      role: identity.role,
      serverAdmin: false,
      keyId: null,
      subject: identity.subject,
      via: 'oidc',
    };
  }

  async #refused(credentials: Credentials, error: AppError): Promise<void> {
    await this.#failures.penalty(credentials.address, 1);
    const { auditWorkspace, auditActor } = error as AppError & { auditWorkspace?: string; auditActor?: string };
    await this.#deps.audit
      .record({
        workspace: auditWorkspace ?? null,
        actor: auditActor ?? `address:${credentials.address}`,
        action: 'auth.refused',
        details: `${error.details ?? 'refused'} (from ${credentials.address})`,
      })
      .catch((auditError: unknown) => this.#deps.log.error({ err: auditError }, 'could not write the audit log'));
  }
}

export function principalOfKey(key: ApiKey, via: 'apiKey' | 'session'): Principal {
  return {
    workspace: key.workspace,
    role: key.role,
    serverAdmin: key.serverAdmin,
    keyId: key.id,
    subject: null,
    via,
  };
}
