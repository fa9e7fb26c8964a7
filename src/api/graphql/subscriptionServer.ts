import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Authenticator, Credentials } from '../../auth/Authenticator.ts';
import type { Principal } from '../../auth/Principal.ts';
import { AppError } from '../../errors/AppError.ts';
import type { OriginPolicy } from '../security/OriginPolicy.ts';
import { SESSION_COOKIE } from '../security/requestGuard.ts';
import { type GraphqlLimits, maskError, maskErrors, prepareOperation } from './executeGraphql.ts';

/** Per process: WebSockets open at once, and per client address. */
export const MAX_SOCKETS = 1000;
export const MAX_SOCKETS_PER_ADDRESS = 50;
/** Subscriptions one socket may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;

/** How often open sockets have their credential checked again (a revoked key or ended session closes them). */
export const RECHECK_SOCKETS_MS = 30_000;

type SocketExtra = Record<PropertyKey, unknown> & { principal?: Principal; credentials?: Credentials };

/**
 * graphql-ws (the graphql-transport-ws protocol) on the same port and path as POST /graphql. The upgrade is refused
 * for a foreign Host or Origin and past the socket caps; `connection_init` must authenticate (connectionParams
 * `{ authorization: "Bearer …" }`, or the session cookie sent with the upgrade), else the socket closes with 4401.
 * Every subscribe message goes through the same parse, validation and cost limits as HTTP; only subscriptions run.
 */
export function attachSubscriptionServer(
  app: FastifyInstance,
  options: {
    schema: GraphQLSchema;
    limits: GraphqlLimits;
    authenticator: Authenticator;
    policy: OriginPolicy;
    addressOf: (request: IncomingMessage) => string;
    log: Logger;
  },
): void {
  const { schema, limits, authenticator, policy, addressOf, log } = options;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const perAddress = new Map<string, number>();
  const authenticated = new Map<WebSocket, Credentials>();
  const server = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema,
      context: (ctx) => ({ principal: ctx.extra.principal }),
      onConnect: async (ctx) => {
        const request = ctx.extra.request;
        const authorization = ctx.connectionParams?.authorization;
        const cookies = app.parseCookie(request.headers.cookie ?? '');
        const credentials: Credentials = {
          authorization: typeof authorization === 'string' ? authorization : undefined,
          sessionSecret: typeof authorization === 'string' ? undefined : cookies[SESSION_COOKIE],
          address: addressOf(request),
        };
        try {
          ctx.extra.principal = await authenticator.authenticate(credentials);
          ctx.extra.credentials = credentials;
          authenticated.set(ctx.extra.socket, credentials);
          return true;
        } catch (error) {
          const code = error instanceof AppError ? error.code : 'INTERNAL';
          ctx.extra.socket.close(code === 'TOO_MANY_REQUESTS' ? 4429 : 4401, code);
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        // The credential is checked again for every subscription: a key revoked or a session ended since
        // connection_init ends the socket.
        try {
          ctx.extra.principal = await authenticator.authenticate(ctx.extra.credentials as Credentials);
        } catch (error) {
          ctx.extra.socket.close(4401, error instanceof AppError ? error.code : 'UNAUTHENTICATED');
          return [refusal('The credential of this socket is no longer valid.', 'UNAUTHENTICATED')];
        }
        // graphql-ws has already reserved this subscription's id in ctx.subscriptions.
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return [
            refusal(`A socket may hold ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions at once.`, 'TOO_MANY_REQUESTS'),
          ];
        }
        const prepared = prepareOperation(schema, payload, limits);
        if (!prepared.ok) return prepared.errors;
        if (prepared.operation.operation !== 'subscription') {
          return [
            refusal(
              'Only subscriptions run over WebSocket; send queries and mutations as POST /graphql.',
              'INVALID_REQUEST',
            ),
          ];
        }
        return {
          schema,
          document: prepared.document,
          operationName: prepared.operationName,
          variableValues: prepared.variables,
          contextValue: { principal: ctx.extra.principal },
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) => maskErrors(result, log),
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => maskError(error, log).toJSON()),
    },
    sockets,
  );
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string, code: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"code":"${code}"}`);
    };
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== '/graphql') return refuse('404 Not Found', 'NOT_FOUND');
    const port = request.socket.localPort ?? 0;
    if (!policy.allowsHost(request.headers.host, port)) return refuse('421 Misdirected Request', 'HOST_NOT_ALLOWED');
    const origin = request.headers.origin;
    if (origin !== undefined && !policy.allowsOrigin(origin, port))
      return refuse('403 Forbidden', 'CROSS_ORIGIN_REFUSED');
    const address = addressOf(request);
    if (sockets.clients.size >= MAX_SOCKETS || (perAddress.get(address) ?? 0) >= MAX_SOCKETS_PER_ADDRESS) {
      return refuse('429 Too Many Requests', 'TOO_MANY_REQUESTS');
    }
    sockets.handleUpgrade(request, socket, head, (client) => {
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      client.once('close', () => {
        authenticated.delete(client);
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left > 0) perAddress.set(address, left);
        else perAddress.delete(address);
      });
      sockets.emit('connection', client, request);
    });
  });
  // Sockets hold streams for as long as they stay open: every RECHECK_SOCKETS_MS their credentials are checked
  // again, and a socket whose key was revoked (in any process) or whose session ended is closed.
  const recheck = setInterval(() => {
    for (const [socket, credentials] of authenticated) {
      if (socket.readyState !== socket.OPEN) {
        authenticated.delete(socket);
        continue;
      }
      authenticator.authenticate(credentials).catch(() => {
        authenticated.delete(socket);
        socket.close(4401, 'UNAUTHENTICATED');
      });
    }
  }, RECHECK_SOCKETS_MS);
  recheck.unref();
  app.addHook('onClose', async () => {
    clearInterval(recheck);
    await server.dispose();
    for (const client of sockets.clients) client.terminate();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  });
}

function refusal(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}
