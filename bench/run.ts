/**
 * End to end: `npm run bench [sizes in MB…]` (default 10 100 1024).
 *
 * For each store configuration and size: generate a synthetic sales CSV (0.1 % bad rows), start the service as its own
 * process on a fresh DATA_DIR (started once before, so the embedded database is reopened, as a deployed service's is),
 * measure the disk's write speed there, upload the file through the GraphQL multipart mutation, follow the task to
 * SUCCEEDED while timing `GET /api/v1/tasks/{id}`, check the ledger against the generator, and print one row.
 *
 * Configurations (BENCH_CONFIGS, default `embedded,postgres`; BENCH_SERVICES=1 adds `druid`):
 * - embedded: PGlite, the local folder, DuckDB (no settings at all);
 * - postgres: a fresh database on the machine's PostgreSQL (TEST_DATABASE_URL), the local folder, DuckDB;
 * - druid: PostgreSQL, S3 and Druid from `npm run services:up` (.services.env), with a bare native Druid task on the
 *   same file beside it.
 * Each row is labelled with the stores the task really used (a Druid task id on the task; files in DATA_DIR/objects).
 *
 * Then, on the embedded default (BENCH_EXTRAS=0 skips them): 20 uploads of a 1.2 MB file at once, and four 250 MB
 * uploads at once with WORKER_CONCURRENCY=2 (peak RSS).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { freePort } from '../test/support/freePort.ts';
import { readServicesEnv } from '../test/support/servicesEnv.ts';
import { createFreshDatabase } from '../test/support/testDatabase.ts';
import { runBareDruidTask } from './bareDruidTask.ts';
import { expectedSalesCounts, generateSalesCsv } from './generateSalesFile.ts';

const BYTES_PER_ROW = 104;
const MB = 1024 * 1024;
const main = new URL('../src/main.ts', import.meta.url).pathname;

type ConfigName = 'embedded' | 'postgres' | 'druid';

interface Config {
  name: ConfigName;
  env: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>;
}

const CONFIGS: Record<ConfigName, Config> = {
  embedded: { name: 'embedded', env: async () => ({ env: {}, cleanup: async () => {} }) },
  postgres: {
    name: 'postgres',
    env: async () => {
      const database = await createFreshDatabase();
      return { env: { DATABASE_URL: database.url }, cleanup: database.drop };
    },
  },
  druid: {
    name: 'druid',
    env: async () => {
      const services = readServicesEnv();
      if (!services) throw new Error('BENCH_SERVICES=1 needs `npm run services:up` first');
      return { env: services, cleanup: async () => {} };
    },
  },
};

interface Result {
  config: ConfigName;
  stores: string;
  sizeMb: number;
  rows: number;
  diskMbPerS: number;
  uploadS: number;
  toSucceededS: number;
  validationS: number;
  loadS: number;
  getP50Ms: number | null;
  getP99Ms: number | null;
  peakRssMb: number;
  bareDruidS: number | null;
}

async function startServer(dataDir: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; ; i++) {
    if (i > 600 || child.exitCode !== null) throw new Error('server did not start');
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** The write speed of the disk under dir: `bytes` written in 8 MiB blocks, then fsync. */
async function diskWriteMbPerS(dir: string, bytes: number): Promise<number> {
  const file = path.join(dir, 'disk-probe');
  const block = Buffer.alloc(8 * MB, 7);
  const started = performance.now();
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) await handle.write(block);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await rm(file, { force: true });
  return bytes / MB / seconds;
}

async function generate(file: string, rows: number, seed: number): Promise<ReturnType<typeof expectedSalesCounts>> {
  const options = { rows, badRowEvery: 1000, seed };
  await pipeline(Readable.from(generateSalesCsv(options)), createWriteStream(file));
  return expectedSalesCounts(options);
}

interface Server {
  baseUrl: string;
  authorization: string;
  child: ChildProcess;
}

async function startMeasuredServer(dataDir: string, env: Record<string, string>): Promise<Server> {
  // A first start creates the embedded database (initdb alone peaks near 600 MB); the measured run reopens it.
  await startServer(dataDir, await freePort(), env).then(stopServer);
  const port = await freePort();
  const child = await startServer(dataDir, port, env);
  const authorization = `Bearer ${(await readFile(path.join(dataDir, 'admin-api-key'), 'utf8')).trim()}`;
  return { baseUrl: `http://127.0.0.1:${port}`, authorization, child };
}

async function upload(server: Server, file: string, dataSourceName: string): Promise<string> {
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({
      query: `mutation($file: Upload!) { uploadSalesData(file: $file, dataSourceName: "${dataSourceName}") {
        __typename ... on IngestionTaskStatus { taskId } ... on UploadError { code message details } } }`,
      variables: { file: null },
    }),
  );
  form.set('map', JSON.stringify({ 0: ['variables.file'] }));
  form.set('0', await openAsBlob(file), path.basename(file));
  const response = await fetch(`${server.baseUrl}/graphql`, {
    method: 'POST',
    body: form,
    headers: { authorization: server.authorization },
  });
  const body = (await response.json()) as { data?: { uploadSalesData: { taskId?: string } } };
  const taskId = body.data?.uploadSalesData.taskId;
  if (!taskId) throw new Error(`upload refused: ${JSON.stringify(body)}`);
  return taskId;
}

interface TaskView {
  status: string;
  rowsTotal: number;
  rowsRejected: number;
  statusHistory: { status: string; at: string }[];
  errorMessage: string | null;
  storeTaskId: string | null;
}

/**
 * Follows a task to its end, asking every `everyMs`; the latency of each GET made while it was VALIDATING. (Many tasks
 * followed at once are asked less often: 20 clients asking every 20 ms are a load of their own.)
 */
async function follow(
  server: Server,
  taskId: string,
  everyMs = 20,
): Promise<{ task: TaskView; validatingGetsMs: number[] }> {
  const validatingGetsMs: number[] = [];
  for (;;) {
    const started = performance.now();
    const response = await fetch(`${server.baseUrl}/api/v1/tasks/${taskId}`, {
      headers: { authorization: server.authorization },
    });
    const task = (await response.json()) as TaskView;
    if (task.status === 'VALIDATING') validatingGetsMs.push(performance.now() - started);
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return { task, validatingGetsMs };
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function percentile(values: number[], p: number): number | null {
  if (values.length < 20) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function storesUsed(config: ConfigName, dataDir: string, task: TaskView, env: Record<string, string>) {
  const objects = await readdir(path.join(dataDir, 'objects'), { recursive: true }).catch(() => [] as string[]);
  const objectStore = objects.length > 0 ? 'local folder' : `S3 at ${env.S3_ENDPOINT ?? '?'}`;
  const analytics = task.storeTaskId ? 'Druid' : 'DuckDB';
  const database = config === 'embedded' ? 'PGlite' : 'PostgreSQL';
  return `${database}, ${objectStore}, ${analytics}`;
}

async function runOne(config: Config, sizeMb: number, workDir: string): Promise<Result> {
  const rows = Math.round((sizeMb * MB) / BYTES_PER_ROW);
  const file = path.join(workDir, `sales-${sizeMb}mb.csv`);
  const expected = await generate(file, rows, 7);
  const bytes = (await stat(file)).size;
  const dataDir = path.join(workDir, `data-${config.name}-${sizeMb}`);
  await mkdir(dataDir, { recursive: true });
  const { env, cleanup } = await config.env();
  const server = await startMeasuredServer(dataDir, env);
  try {
    const diskMbPerS = await diskWriteMbPerS(dataDir, Math.max(bytes, 64 * MB));
    const dataSourceName = `bench_${Date.now().toString(36)}`;
    const uploadStart = performance.now();
    const taskId = await upload(server, file, dataSourceName);
    const uploaded = performance.now();
    const { task, validatingGetsMs } = await follow(server, taskId);
    const done = performance.now();
    if (task.status !== 'SUCCEEDED') throw new Error(`task ${task.status}: ${task.errorMessage}`);
    if (task.rowsTotal !== expected.rowsTotal || task.rowsRejected !== expected.rowsRejected) {
      throw new Error(`ledger differs from the generator: ${JSON.stringify(task)} vs ${JSON.stringify(expected)}`);
    }
    const at = (status: string) => Date.parse(task.statusHistory.find((s) => s.status === status)?.at ?? '');
    const bareDruidS = config.name === 'druid' ? await runBareDruidTask(env, file) : null;
    return {
      config: config.name,
      stores: await storesUsed(config.name, dataDir, task, env),
      sizeMb: bytes / MB,
      rows,
      diskMbPerS,
      uploadS: (uploaded - uploadStart) / 1000,
      toSucceededS: (done - uploaded) / 1000,
      validationS: (at('INGESTING') - at('VALIDATING')) / 1000,
      loadS: (at('SUCCEEDED') - at('INGESTING')) / 1000,
      getP50Ms: percentile(validatingGetsMs, 50),
      getP99Ms: percentile(validatingGetsMs, 99),
      peakRssMb: await peakRssMb(server.child.pid ?? 0),
      bareDruidS,
    };
  } finally {
    await stopServer(server.child);
    await cleanup();
    await rm(dataDir, { recursive: true, force: true });
    await rm(file, { force: true });
  }
}

/** Many uploads at once: `count` files of `rows` rows; seconds from the last upload's answer to the last SUCCEEDED. */
async function runMany(
  workDir: string,
  label: string,
  count: number,
  rows: number,
  env: Record<string, string>,
): Promise<string> {
  const dataDir = path.join(workDir, `data-many-${count}`);
  await mkdir(dataDir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(workDir, `many-${i}.csv`);
    await generate(file, rows, 100 + i);
    files.push(file);
  }
  const server = await startMeasuredServer(dataDir, env);
  try {
    const started = performance.now();
    const name = `bench_many_${Date.now().toString(36)}`;
    const taskIds = await Promise.all(files.map((file, i) => upload(server, file, `${name}_${i % 4}`)));
    const uploaded = performance.now();
    const ends = await Promise.all(taskIds.map((id) => follow(server, id, 250).then((f) => f.task)));
    const done = performance.now();
    const failed = ends.filter((task) => task.status !== 'SUCCEEDED');
    if (failed.length > 0) throw new Error(`${failed.length} tasks did not succeed: ${failed[0]?.errorMessage}`);
    const sizeMb = (await stat(files[0] as string)).size / MB;
    return (
      `| ${label} | ${count} × ${sizeMb.toFixed(1)} MB | ${((uploaded - started) / 1000).toFixed(2)} s | ` +
      `${((done - uploaded) / 1000).toFixed(2)} s | ${(await peakRssMb(server.child.pid ?? 0)).toFixed(0)} MB |`
    );
  } finally {
    await stopServer(server.child);
    await rm(dataDir, { recursive: true, force: true });
    for (const file of files) await rm(file, { force: true });
  }
}

const sizesMb = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const sizes = sizesMb.length ? sizesMb : [10, 100, 1024];
const configNames = (process.env.BENCH_CONFIGS ?? 'embedded,postgres')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is ConfigName => name in CONFIGS);
if (process.env.BENCH_SERVICES === '1' && !configNames.includes('druid')) configNames.push('druid');

const workDir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-'));
const results: Result[] = [];
const extras: string[] = [];
try {
  for (const name of configNames) {
    for (const size of sizes) {
      const result = await runOne(CONFIGS[name], size, workDir);
      results.push(result);
      console.error(`${name} ${size} MB done: ${JSON.stringify(result)}`);
    }
  }
  if (process.env.BENCH_EXTRAS !== '0') {
    // 20 uploads in progress at once: past the default per-workspace limit of 4 (MAX_CONCURRENT_UPLOADS)
    extras.push(await runMany(workDir, '20 small files at once', 20, 20_000, { MAX_CONCURRENT_UPLOADS: '20' }));
    console.error(extras.at(-1));
    extras.push(
      await runMany(workDir, '4 × 250 MB at once, WORKER_CONCURRENCY=2', 4, Math.round((250 * MB) / BYTES_PER_ROW), {
        WORKER_CONCURRENCY: '2',
      }),
    );
    console.error(extras.at(-1));
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `\nMachine: ${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}\n`,
);
console.log(
  '| stores (as used) | file | rows | upload (% of disk write) | upload → SUCCEEDED | validation | validation MB/s | load + verify | GET task p50 / p99 while validating | server peak RSS | bare Druid task |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const uploadMbPerS = r.sizeMb / r.uploadS;
  const gets = r.getP50Ms === null ? 'too short' : `${r.getP50Ms.toFixed(0)} / ${(r.getP99Ms ?? 0).toFixed(0)} ms`;
  console.log(
    `| ${r.stores} | ${r.sizeMb.toFixed(0)} MB | ${r.rows.toLocaleString('en')} | ${r.uploadS.toFixed(2)} s ` +
      `(${uploadMbPerS.toFixed(0)} MB/s, ${((100 * uploadMbPerS) / r.diskMbPerS).toFixed(0)} % of ${r.diskMbPerS.toFixed(0)}) | ` +
      `${r.toSucceededS.toFixed(2)} s | ${r.validationS.toFixed(2)} s | ${(r.sizeMb / r.validationS).toFixed(0)} | ` +
      `${r.loadS.toFixed(2)} s | ${gets} | ${r.peakRssMb.toFixed(0)} MB | ` +
      `${r.bareDruidS === null ? '—' : `${r.bareDruidS.toFixed(1)} s (ours ${(r.toSucceededS / r.bareDruidS).toFixed(2)}×)`} |`,
  );
}
if (extras.length > 0) {
  console.log('\nOn the embedded default:\n');
  console.log('| scenario | files | uploads took | last upload → all SUCCEEDED | server peak RSS |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const line of extras) console.log(line);
}
