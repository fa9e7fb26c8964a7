import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web app (web/dist) at `/`, with index.html for any other GET that is not an API route,
 * so client-side routes survive a reload. Without a build, `/` says how to make one.
 */
export async function webRoutes(app: FastifyInstance, options: { webRoot: string }): Promise<void> {
  // The web app's files are open to everyone (it signs in through /sign-in); its data comes from the guarded API.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: 'PUBLIC' };
  });
  const root = path.resolve(options.webRoot);
  if (!existsSync(path.join(root, 'index.html'))) {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('The web app is not built: run `npm run build:web` (npm install does it).\n'),
    );
    return;
  }
  await app.register(fastifyStatic, { root, prefix: '/', index: ['index.html'], wildcard: false, maxAge: '1h' });
  app.get('/*', async (request, reply) => {
    const apiLike = /^\/(api|graphql|healthz|readyz)(\/|\?|$)/.test(request.url);
    if (apiLike || path.extname(request.url.split('?')[0] ?? '') !== '') return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
