import pino from 'pino';
import { buildServer } from './api/buildServer.ts';
import { closeServices, createServices } from './app/createServices.ts';
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
  const stopWorker = config.role === 'api' ? () => {} : await startWorker(services);
  const server = config.role === 'worker' ? undefined : await buildServer(services);
  if (server) await server.listen({ port: config.port, host: config.host });
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
    log.info({ signal }, 'stopping');
    stopWorker();
    await server?.close();
    await closeServices(services);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

await main();
