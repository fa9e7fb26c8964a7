import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/AnalyticsStore.ts';
import { buildServer } from '../api/buildServer.ts';
import { OriginPolicy } from '../api/security/OriginPolicy.ts';
import type { Config } from '../config/config.ts';
import { closeServices, createServices } from './createServices.ts';
import type { Services } from './Services.ts';
import { startWorker } from './startWorker.ts';

/**
 * Builds the services and starts the roles the configuration names (API, worker, or both); returns how to stop them
 * gracefully. The start command (src/main.ts) and the crash drills' server (test/support) both run it.
 */
export async function runService(
  config: Config,
  log: Logger,
  options: { wrapAnalytics?: (store: AnalyticsStore) => AnalyticsStore } = {},
): Promise<{ services: Services; stop: (signal: string) => Promise<void> }> {
  const services = await createServices(config, log, options);
  const stopWorker = config.role === 'api' ? async () => {} : await startWorker(services);
  const server = config.role === 'worker' ? undefined : await buildServer(services);
  if (server) await server.listen({ port: config.port, host: config.host });
  if (server && services.bootstrapKey) logSignInLink(services, server);
  log.info(
    {
      role: config.role,
      database: services.db.kind,
      objectStore: services.objects.kind,
      analyticsStore: services.analytics.kind,
      dataDir: config.dataDir,
    },
    'tributary started',
  );
  let stopped: Promise<void> | undefined;
  const stop = (signal: string) => {
    stopped ??= (async () => {
      // New uploads get 503 SHUTTING_DOWN and /readyz 503 at once; running attempts are handed back (their job is
      // retried after the restart or by another worker); uploads already arriving get SHUTDOWN_GRACE_SECONDS.
      services.shutdown.begin();
      log.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'stopping');
      await stopWorker();
      await services.uploads.whenIdle(config.shutdownGraceSeconds * 1000);
      await server?.close();
      await closeServices(services);
      log.info('stopped');
    })();
    return stopped;
  };
  return { services, stop };
}

/** Said once, at the start that created the first key: how to sign in with it. */
function logSignInLink(services: Services, server: FastifyInstance): void {
  const { bootstrapKey, config, log } = services;
  if (!bootstrapKey) return;
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const origin = new OriginPolicy({ publicUrl: config.security.publicUrl, listenHost: config.host }).publicOrigin(port);
  if (bootstrapKey.file === null) {
    log.info({ signIn: `${origin}/sign-in` }, 'created the server-admin key from ADMIN_API_KEY; sign in with it');
    return;
  }
  log.info(
    { signIn: `${origin}/sign-in#key=${bootstrapKey.secret}`, keyFile: bootstrapKey.file },
    'created the server-admin key (workspace "default"); open the sign-in link, or read the key from the file',
  );
}
