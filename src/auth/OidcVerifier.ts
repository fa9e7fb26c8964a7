import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import type { OidcConfig } from '../config/config.ts';
import { AppError } from '../errors/AppError.ts';
import { isRole, type Role } from './Principal.ts';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const FETCH_TIMEOUT_MS = 5_000;

export interface OidcIdentity {
  workspace: string;
  role: Role;
  subject: string;
}

/**
 * Verifies bearer JWTs from an OpenID Connect provider with `jose`: signature against the provider's JWKS (from
 * OIDC_JWKS_URL or the issuer's discovery document, fetched when first needed and cached), issuer, audience and
 * expiry; then reads the workspace and role claims. Asymmetric algorithms only.
 */
export class OidcVerifier {
  readonly #config: OidcConfig;
  #keySet: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  constructor(config: OidcConfig) {
    this.#config = config;
  }

  async verify(token: string): Promise<OidcIdentity> {
    const keySet = await this.#keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: this.#config.issuer,
        audience: this.#config.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 5,
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || (error instanceof TypeError && /fetch/i.test(error.message))) {
        throw new AppError('IDENTITY_PROVIDER_UNAVAILABLE', `the JWKS could not be fetched: ${error.message}`);
      }
      throw new AppError('UNAUTHENTICATED', describeJoseError(error));
    }
    const workspace = payload[this.#config.workspaceClaim];
    const role = payload[this.#config.roleClaim];
    if (typeof workspace !== 'string' || workspace === '') {
      throw new AppError('UNAUTHENTICATED', `the token has no "${this.#config.workspaceClaim}" claim`);
    }
    const upperRole = typeof role === 'string' ? role.toUpperCase() : '';
    if (!isRole(upperRole)) {
      throw new AppError(
        'UNAUTHENTICATED',
        `the token's "${this.#config.roleClaim}" claim is not viewer, uploader or admin`,
      );
    }
    return { workspace, role: upperRole, subject: String(payload.sub) };
  }

  #keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.#keySet ??= this.#jwksUrl().then(
      (url) => createRemoteJWKSet(url, { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000 }),
      (error: unknown) => {
        this.#keySet = undefined;
        throw error;
      },
    );
    return this.#keySet;
  }

  async #jwksUrl(): Promise<URL> {
    if (this.#config.jwksUrl) return new URL(this.#config.jwksUrl);
    const discovery = `${this.#config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    try {
      const response = await fetch(discovery, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const document = (await response.json()) as { jwks_uri?: unknown };
      if (typeof document.jwks_uri !== 'string') throw new Error('no jwks_uri in the discovery document');
      return new URL(document.jwks_uri);
    } catch (error) {
      throw new AppError(
        'IDENTITY_PROVIDER_UNAVAILABLE',
        `${discovery}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's "${error.claim}" claim is not accepted`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed with a key the provider does not list';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not accepted';
  return 'the token is not a valid JWT';
}
