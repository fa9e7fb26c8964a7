import multipart from '@fastify/multipart';
import { makeExecutableSchema } from '@graphql-tools/schema';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Services } from '../app/Services.ts';
import { AppError } from '../errors/AppError.ts';
import { graphqlRoutes } from './graphql/graphqlRoutes.ts';
import { createResolvers } from './graphql/resolvers.ts';
import { attachSubscriptionServer } from './graphql/subscriptionServer.ts';
import { typeDefs } from './graphql/typeDefs.ts';
import { healthRoutes } from './healthRoutes.ts';
import { sendProblem } from './problem.ts';
import { restRoutes } from './rest/restRoutes.ts';
import { webRoutes } from './webRoutes.ts';

/** Builds the HTTP API (REST, GraphQL, subscriptions, health) without starting it; tests drive it directly. */
export async function buildServer(services: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    requestTimeout: 0,
    forceCloseConnections: true,
  });
  await app.register(multipart, {
    throwFileSizeLimit: true,
    limits: {
      // One byte more than allowed, so the upload's own byte count sees the excess and answers FILE_TOO_LARGE.
      fileSize: services.config.maxUploadBytes + 1,
      files: 1,
      fields: 10,
      fieldSize: 1024 * 1024,
      parts: 12,
      headerPairs: 100,
    },
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof AppError) return sendProblem(reply, error, request.url);
    const { code, statusCode, message } = error as Error & { code?: string; statusCode?: number };
    if (code === 'FST_REQ_FILE_TOO_LARGE') return sendProblem(reply, new AppError('FILE_TOO_LARGE'), request.url);
    if (code?.startsWith('FST_') || (statusCode !== undefined && statusCode >= 400 && statusCode < 500)) {
      return sendProblem(reply, new AppError('INVALID_REQUEST', message), request.url);
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, new AppError('INTERNAL'), request.url);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        code: 'NOT_FOUND',
        detail: `No route ${request.method} ${request.url}`,
      }),
  );

  const schema = makeExecutableSchema({ typeDefs, resolvers: createResolvers(services) });
  await app.register(healthRoutes, { services });
  await app.register(restRoutes, { services });
  await app.register(graphqlRoutes, { schema });
  await app.register(webRoutes, { webRoot: services.config.webRoot });
  attachSubscriptionServer(app, schema);
  return app;
}
