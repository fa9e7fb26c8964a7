/**
 * End-to-end benchmark (`npm run bench [sizes in MB...]`, default 10 100 1024): for each size, generate a synthetic
 * sales CSV (0.1 % bad rows), start the service as its own process on a fresh DATA_DIR (embedded defaults, or
 * BENCH_DATABASE_URL for PostgreSQL), upload the file through the GraphQL multipart mutation, follow the task to
 * SUCCEEDED, and report upload time, upload→SUCCEEDED, validation MB/s and rows/s, and the server's peak RSS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { freePort } from '../test/support/freePort.ts';
import { readServicesEnv } from '../test/support/servicesEnv.ts';
import { expectedSalesCounts, generateSalesCsv } from './generateSalesFile.ts';

const BYTES_PER_ROW = 104;
/** BENCH_SERVICES=1: run on the S3 API server and Druid from `npm run services:up` (.services.env). */
const servicesEnv: Record<string, string> = process.env.BENCH_SERVICES === '1' ? (readServicesEnv() ?? {}) : {};

const sizesMb = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const sizes = sizesMb.length ? sizesMb : [10, 100, 1024];
const main = new URL('../src/main.ts', import.meta.url).pathname;

interface Result {
  sizeMb: number;
  rows: number;
  uploadS: number;
  toSucceededS: number;
  validationS: number;
  loadS: number;
  mbPerS: number;
  rowsPerS: number;
  peakRssMb: number;
  status: string;
}

async function startServer(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
      ...servicesEnv,
    },
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
  child.kill('SIGTERM');
  if (child.exitCode === null) await once(child, 'exit');
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function runOne(sizeMb: number, workDir: string): Promise<Result> {
  const rows = Math.round((sizeMb * 1024 * 1024) / BYTES_PER_ROW);
  const options = { rows, badRowEvery: 1000, seed: 7 };
  const file = path.join(workDir, `sales-${sizeMb}mb.csv`);
  await pipeline(Readable.from(generateSalesCsv(options)), createWriteStream(file));
  const bytes = (await stat(file)).size;
  const expected = expectedSalesCounts(options);

  const dataDir = path.join(workDir, `data-${sizeMb}`);
  const dataSourceName = `bench_${Date.now().toString(36)}`;
  // A first start creates the embedded database (initdb alone peaks near 600 MB); the measured run reopens it,
  // as a deployed service does.
  await startServer(dataDir, await freePort()).then(stopServer);
  const port = await freePort();
  const child = await startServer(dataDir, port);
  const baseUrl = `http://127.0.0.1:${port}`;
  // The first start wrote the server-admin key (DATA_DIR/admin-api-key); every API call carries it.
  const authorization = `Bearer ${(await readFile(path.join(dataDir, 'admin-api-key'), 'utf8')).trim()}`;
  try {
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
    const uploadStart = performance.now();
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      body: form,
      headers: { authorization },
    });
    const body = (await response.json()) as { data?: { uploadSalesData: { taskId?: string; code?: string } } };
    const uploaded = performance.now();
    const taskId = body.data?.uploadSalesData.taskId;
    if (!taskId) throw new Error(`upload refused: ${JSON.stringify(body)}`);
    let task: {
      status: string;
      rowsTotal: number;
      rowsRejected: number;
      statusHistory: { status: string; at: string }[];
      errorMessage: string | null;
    };
    for (;;) {
      task = (await (
        await fetch(`${baseUrl}/api/v1/tasks/${taskId}`, { headers: { authorization } })
      ).json()) as typeof task;
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const done = performance.now();
    if (task.status !== 'SUCCEEDED') throw new Error(`task ${task.status}: ${task.errorMessage}`);
    if (task.rowsTotal !== expected.rowsTotal || task.rowsRejected !== expected.rowsRejected) {
      throw new Error(`ledger differs from the generator: ${JSON.stringify(task)} vs ${JSON.stringify(expected)}`);
    }
    const at = (status: string) => Date.parse(task.statusHistory.find((s) => s.status === status)?.at ?? '');
    const validationS = (at('INGESTING') - at('VALIDATING')) / 1000;
    return {
      sizeMb: bytes / 1024 / 1024,
      rows,
      uploadS: (uploaded - uploadStart) / 1000,
      toSucceededS: (done - uploaded) / 1000,
      validationS,
      loadS: (at('SUCCEEDED') - at('INGESTING')) / 1000,
      mbPerS: bytes / 1024 / 1024 / validationS,
      rowsPerS: rows / validationS,
      peakRssMb: await peakRssMb(child.pid ?? 0),
      status: task.status,
    };
  } finally {
    await stopServer(child);
    await rm(dataDir, { recursive: true, force: true });
    await rm(file, { force: true });
  }
}

const workDir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-'));
const results: Result[] = [];
try {
  for (const size of sizes) {
    const result = await runOne(size, workDir);
    results.push(result);
    console.error(`${size} MB done: ${JSON.stringify(result)}`);
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `\nMachine: ${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`,
);
console.log(
  `Task database: ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; objects: local folder; analytics: DuckDB\n`,
);
console.log(
  '| file | rows | upload | upload → SUCCEEDED | validation | load + verify | validation MB/s | rows/s | server peak RSS |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.sizeMb.toFixed(0)} MB | ${r.rows.toLocaleString('en')} | ${r.uploadS.toFixed(2)} s | ${r.toSucceededS.toFixed(2)} s | ` +
      `${r.validationS.toFixed(2)} s | ${r.loadS.toFixed(2)} s | ${r.mbPerS.toFixed(0)} | ${Math.round(r.rowsPerS).toLocaleString('en')} | ${r.peakRssMb.toFixed(0)} MB |`,
  );
}
