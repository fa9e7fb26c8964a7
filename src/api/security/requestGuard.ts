import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/Authenticator.ts';
import { type Access, requireAccess } from '../../auth/access.ts';
import type { Principal } from '../../auth/Principal.ts';
import { AppError } from '../../errors/AppError.ts';
import type { OriginPolicy } from './OriginPolicy.ts';

export const SESSION_COOKIE = 'tributary_session';

/** Headers a page on another site cannot send without a CORS preflight (which we never grant). */
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name', 'graphql-require-preflight'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Health probes come from load balancers and orchestrators under any host name. */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route; every route must say (buildServer refuses to start otherwise). */
    access?: Access;
  }
}

/**
 * Runs before any byte of a body is read, on every request: the Host must be ours (DNS rebinding), an Origin must be
 * ours (cross-site requests are refused whatever their credential), then the route's access rule: authenticate
 * (bearer API key or JWT, or the session cookie) and check the role. A state-changing request authenticated by the
 * cookie must also carry a same-origin Origin or a preflight header (CSRF); bearer clients need neither.
 */
export function registerRequestGuard(
  app: FastifyInstance,
  options: { authenticator: Authenticator; policy: OriginPolicy; secureCookies: boolean },
): void {
  const { authenticator, policy } = options;
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    if (PROBE_PATHS.has(pathOf(request))) return;
    const port = request.socket.localPort ?? 0;
    if (!policy.allowsHost(request.headers.host, port)) {
      throw new AppError('HOST_NOT_ALLOWED', 'the Host header names no address of this server');
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !policy.allowsOrigin(origin, port)) {
      throw new AppError('CROSS_ORIGIN_REFUSED', 'the Origin header names another site');
    }
    const access = request.routeOptions.config?.access ?? 'PUBLIC';
    if (access === 'PUBLIC') return;
    const sessionSecret = request.cookies[SESSION_COOKIE];
    try {
      request.principal = await authenticator.authenticate({
        authorization: request.headers.authorization,
        sessionSecret,
        address: request.ip,
      });
    } catch (error) {
      const refused = error instanceof AppError && error.code === 'UNAUTHENTICATED';
      if (refused && request.headers.authorization === undefined && sessionSecret !== undefined) {
        reply.clearCookie(SESSION_COOKIE, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure: options.secureCookies,
        });
      }
      throw error;
    }
    if (
      request.principal.via === 'session' &&
      !SAFE_METHODS.has(request.method) &&
      origin === undefined &&
      !PREFLIGHT_HEADERS.some((name) => request.headers[name] !== undefined)
    ) {
      throw new AppError(
        'PREFLIGHT_REQUIRED',
        'a request signed in by the session cookie that changes something needs an Origin or a preflight header',
      );
    }
    requireAccess(request.principal, access);
  });
}

function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
