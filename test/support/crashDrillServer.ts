/**
 * The start command with a kill -9 planted in the analytics store, for the crash drills (test/e2e/crashDrills.test.ts).
 * CRASH_AT says where the process kills itself (SIGKILL: no cleanup, as a power cut or the OOM killer would):
 * - `before-commit`: the rows are inserted in the store's transaction, the commit point not passed yet;
 * - `at-commit-point`: the commit point passed (the task is no longer cancellable), the store not committed;
 * - `after-commit`: the store committed the rows, SUCCEEDED not yet written.
 * Everything else is the real service on the configuration of the environment.
 */
import pino from 'pino';
import { runService } from '../../src/app/runService.ts';
import { readConfig } from '../../src/config/config.ts';
import { wrapLoad } from './wrapLoad.ts';

const crashAt = process.env.CRASH_AT;
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: killed');
};

const config = readConfig(process.env);
await runService(config, pino({ level: config.logLevel }), {
  wrapAnalytics: (store) =>
    wrapLoad(store, async (request, inner) => {
      await inner({
        ...request,
        beginCommit: async () => {
          if (crashAt === 'before-commit') die();
          const passed = await request.beginCommit();
          if (crashAt === 'at-commit-point') die();
          return passed;
        },
      });
      if (crashAt === 'after-commit') die();
    }),
});
