import pino from 'pino';
import { runService } from './app/runService.ts';
import { type Config, ConfigError, readConfig } from './config/config.ts';

/** The composition root: read config once, run the roles it names, stop gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { stop } = await runService(config, pino({ level: config.logLevel }));
  const onSignal = (signal: string) => {
    void stop(signal).then(() => process.exit(0));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
}

await main();
