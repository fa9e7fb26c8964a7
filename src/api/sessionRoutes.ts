import type { FastifyInstance } from 'fastify';
import type { Services } from '../app/Services.ts';
import { actorOf, type Principal } from '../auth/Principal.ts';
import { AppError } from '../errors/AppError.ts';
import { SESSION_COOKIE } from './security/requestGuard.ts';

/**
 * Browser sessions: POST /api/v1/session with `{"apiKey": "trb_…"}` sets an HttpOnly, SameSite=Strict cookie (Secure
 * when PUBLIC_URL is https); DELETE signs out. Sessions are stored server-side and end with their key.
 */
export async function sessionRoutes(app: FastifyInstance, options: { services: Services }): Promise<void> {
  const { authenticator, sessions, audit, config } = options.services;
  const secure = config.security.publicUrl?.protocol === 'https:';
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure };

  app.post(
    '/api/v1/session',
    {
      // The API key in the body is the credential: checked by the handler, counted as a failure when wrong.
      config: { access: 'PUBLIC' },
      schema: {
        body: {
          type: 'object',
          required: ['apiKey'],
          additionalProperties: false,
          properties: { apiKey: { type: 'string', minLength: 1, maxLength: 300 } },
        },
      },
    },
    async (request, reply) => {
      const { apiKey } = request.body as { apiKey: string };
      const principal = await authenticator.authenticateApiKey(apiKey.trim(), request.ip);
      if (principal.keyId === null) throw new AppError('UNAUTHENTICATED', 'sign in with an API key');
      const session = await sessions.open(principal.keyId);
      await audit.record({
        workspace: principal.workspace,
        actor: actorOf(principal),
        action: 'session.opened',
        details: `from ${request.ip}`,
      });
      reply.setCookie(SESSION_COOKIE, session.secret, { ...cookieOptions, expires: session.expiresAt });
      return principalView({ ...principal, via: 'session' });
    },
  );

  app.delete('/api/v1/session', { config: { access: 'SIGNED_IN' } }, async (request, reply) => {
    // The cookie's session ends whatever the request authenticated with (a bearer header too).
    const secret = request.cookies[SESSION_COOKIE];
    if (secret !== undefined && request.principal) {
      await sessions.close(secret);
      await audit.record({
        workspace: request.principal.workspace,
        actor: actorOf(request.principal),
        action: 'session.closed',
      });
    }
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return reply.code(204).send();
  });

  app.get('/api/v1/session', { config: { access: 'SIGNED_IN' } }, async (request) =>
    principalView(request.principal as Principal),
  );
}

export function principalView(principal: Principal) {
  return {
    workspace: principal.workspace,
    role: principal.role,
    serverAdmin: principal.serverAdmin,
    keyId: principal.keyId,
    subject: principal.subject,
  };
}
