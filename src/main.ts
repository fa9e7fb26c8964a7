import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildServer } from './api/buildServer.ts';
import { OriginPolicy } from './api/security/OriginPolicy.ts';
import { closeServices, createServices } from './app/createServices.ts';
import type { Services } from './app/Services.ts';
import { startWorker } from './app/startWorker.ts';
import { ConfigError, readConfig } from './config/config.ts';

/** The composition root: read config once, build the services, start the roles it names. */
async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = pino({ level: config.logLevel });
  const services = await createServices(config, log);
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
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // New uploads get 503 SHUTTING_DOWN and /readyz 503 at once; running attempts are handed back (their job is
    // retried after the restart or by another worker); uploads already arriving get SHUTDOWN_GRACE_SECONDS to finish.
    services.shutdown.begin();
    log.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'stopping');
    await stopWorker();
    await services.uploads.whenIdle(config.shutdownGraceSeconds * 1000);
    await server?.close();
    await closeServices(services);
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
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

await main();
