import type { FastifyInstance } from 'fastify';
import type { Services } from '../app/Services.ts';
import { withTimeout } from '../timing/withTimeout.ts';

/** /healthz: the process is alive. /readyz: the database and the stores answer. */
export async function healthRoutes(app: FastifyInstance, options: { services: Services }): Promise<void> {
  const { db, objects, analytics } = options.services;
  const { log } = options.services;
  app.get('/healthz', { config: { access: 'PUBLIC' } }, async () => ({ status: 'ok' }));
  // Open to probes, so it names each store's state but never quotes a store's own error text (that is logged).
  app.get('/readyz', { config: { access: 'PUBLIC' } }, async (_request, reply) => {
    const checks = {
      database: () => db.query('SELECT 1'),
      objectStore: () => objects.check(),
      analyticsStore: () => analytics.check(),
    };
    const results: (readonly [string, string])[] = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout<unknown>(check(), 5000, () => new Error('no answer within 5000 ms'));
          return [name, 'ok'] as const;
        } catch (error) {
          log.warn({ err: error, check: name }, 'readiness check failed');
          return [name, 'unavailable'] as const;
        }
      }),
    );
    if (options.services.shutdown.started) results.push(['shutdown', 'stopping'] as const);
    const ready = results.every(([, result]) => result === 'ok');
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
}
