import fastifyCookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import { makeExecutableSchema } from '@graphql-tools/schema';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { Services } from '../app/Services.ts';
import type { Access } from '../auth/access.ts';
import { registerErrorHandler } from './errorHandler.ts';
import { assertAccessRulesCoverSchema, withAccessRules } from './graphql/accessRules.ts';
import type { GraphqlLimits } from './graphql/executeGraphql.ts';
import { graphqlRoutes } from './graphql/graphqlRoutes.ts';
import { createResolvers } from './graphql/resolvers.ts';
import { attachSubscriptionServer } from './graphql/subscriptionServer.ts';
import { typeDefs } from './graphql/typeDefs.ts';
import { healthRoutes } from './healthRoutes.ts';
import { restRoutes } from './rest/restRoutes.ts';
import { registerBodyDeadline } from './security/bodyDeadline.ts';
import { clientAddressRule } from './security/clientAddress.ts';
import { OriginPolicy } from './security/OriginPolicy.ts';
import { registerRequestGuard } from './security/requestGuard.ts';
import { sessionRoutes } from './sessionRoutes.ts';
import { webRoutes } from './webRoutes.ts';

export interface RouteAccess {
  method: string;
  url: string;
  access: Access | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access rule (for the authorization matrix test). */
    routeAccess(): RouteAccess[];
  }
}

/** Builds the HTTP API (REST, GraphQL, subscriptions, health) without starting it; tests drive it directly. */
export async function buildServer(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const clientAddress = clientAddressRule(config.security.trustProxy);
  const app = Fastify({
    trustProxy: clientAddress.trustProxy,
    loggerInstance: services.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Uploads may take hours: they are ended by their own idle timeout and minimum rate (src/upload/uploadPace.ts),
    // other bodies by registerBodyDeadline.
    requestTimeout: 0,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  app.server.maxConnections = config.security.maxConnections;
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.decorate('routeAccess', () =>
    routes.flatMap((route) =>
      (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({
        method,
        url: route.url,
        access: route.config?.access,
      })),
    ),
  );
  app.addHook('onReady', async () => {
    const unruled = app.routeAccess().filter((route) => route.access === undefined);
    if (unruled.length > 0) {
      throw new Error(`routes without an access rule: ${unruled.map((r) => `${r.method} ${r.url}`).join(', ')}`);
    }
  });

  const secure = config.security.publicUrl?.protocol === 'https:';
  const policy = new OriginPolicy({ publicUrl: config.security.publicUrl, listenHost: config.host });
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: secure ? { maxAge: 31_536_000 } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  await app.register(fastifyCookie);
  await app.register(multipart, {
    throwFileSizeLimit: true,
    limits: {
      // One byte more than allowed, so the upload's own byte count sees the excess and answers FILE_TOO_LARGE.
      fileSize: config.maxUploadBytes + 1,
      files: 2,
      fields: 10,
      fieldSize: 1024 * 1024,
      parts: 12,
      headerPairs: 100,
    },
  });
  registerErrorHandler(app);
  registerRequestGuard(app, { authenticator: services.authenticator, policy, secureCookies: secure });
  registerBodyDeadline(app, config.security.bodyTimeoutSeconds * 1000);
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        code: 'NOT_FOUND',
        detail: `No route ${request.method} ${request.url.slice(0, 200)}`,
      }),
  );

  const schema = makeExecutableSchema({ typeDefs, resolvers: withAccessRules(createResolvers(services)) });
  assertAccessRulesCoverSchema(schema);
  const limits: GraphqlLimits = { maxCost: config.security.maxQueryCost, introspection: !config.security.production };
  await app.register(healthRoutes, { services });
  await app.register(sessionRoutes, { services });
  await app.register(restRoutes, { services });
  await app.register(graphqlRoutes, {
    schema,
    limits,
    idleMs: config.security.uploadIdleTimeoutSeconds * 1000,
    log: services.log,
  });
  await app.register(webRoutes, { webRoot: config.webRoot });
  attachSubscriptionServer(app, {
    schema,
    limits,
    authenticator: services.authenticator,
    policy,
    addressOf: clientAddress.addressOf,
    log: services.log,
  });
  return app;
}
