import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './freePort.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;

export interface ChildServer {
  baseUrl: string;
  /** The server-admin key the first start made, as an Authorization header value. */
  authorization: string;
  adminKey: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the server printed. */
  output(): string;
  /** The process's peak resident set size so far (VmHWM), in bytes. */
  peakRssBytes(): Promise<number>;
  /** Kills the process with SIGKILL (no cleanup at all) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Its resident set size now (VmRSS), in bytes. */
  rssBytes(): Promise<number>;
  /** Starts the peak (VmHWM) over from the current RSS (Linux: `5` into /proc/<pid>/clear_refs). */
  resetPeakRss(): Promise<void>;
  alive(): boolean;
  stop(): Promise<number | null>;
}

/**
 * `node src/main.ts` as its own process (the start command), on embedded defaults in a fresh DATA_DIR (or the one
 * given, to restart on the data a killed process left; `entry` runs another script, e.g. the crash drills' server).
 */
export async function startChildServer(
  env: Record<string, string> = {},
  options: {
    dataDir?: string;
    entry?: string;
    keepDataDir?: boolean;
    /**
     * A ROLE=worker process: it serves no HTTP and makes no key, so it is ready at its "tributary started" log line
     * (give it LOG_LEVEL=info).
     */
    worker?: boolean;
  } = {},
): Promise<ChildServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'tributary-child-')));
  const port = await freePort();
  const child = spawn(process.execPath, [options.entry ?? main], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const keyFile = path.join(dataDir, 'admin-api-key');
  const deadline = Date.now() + 60_000;
  let adminKey = '';
  for (;;) {
    if (options.worker && output.includes('tributary started')) break;
    adminKey = (await readFile(keyFile, 'utf8').catch(() => '')).trim();
    const listening = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (adminKey !== '' && listening) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const status = async (field: string) => {
    const text = await readFile(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
    return kb * 1024;
  };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    authorization: `Bearer ${adminKey}`,
    adminKey,
    dataDir,
    process: child,
    output: () => output,
    peakRssBytes: () => status('VmHWM'),
    rssBytes: () => status('VmRSS'),
    resetPeakRss: () => writeFile(`/proc/${child.pid}/clear_refs`, '5'),
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
    async stop() {
      let code: number | null = child.exitCode;
      if (code === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        [code] = (await once(child, 'exit')) as [number | null];
        clearTimeout(timer);
      }
      if (!options.keepDataDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
