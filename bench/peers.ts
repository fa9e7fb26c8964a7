/**
 * Validation side by side: `npm run bench:peers [MB]` (default 200).
 *
 * One generated sales CSV (bench/generateSalesFile.ts: 12 columns, 0.1 % bad rows of five kinds), then, each in a
 * fresh process so its peak RSS is its own, best of 3 runs:
 * - Tributary: the worker's validation stage, stored file → validated rows in a file (the DuckDB store's compact CSV, and
 *   the JSON lines Druid reads) + every rejection explained, with the validation threads (VALIDATION_THREADS, default
 *   the cores) and on one thread;
 * - nodejs-polars `readCSV` with typed columns (the engine of the system Tributary replaces), bad values as nulls;
 * - DuckDB `read_csv` with typed columns and `store_rejects`, into a table, on 1 thread and on all cores.
 * Prints MB/s (wall), MB/s per CPU-second (all threads), peak RSS, and each engine's ratio to polars.
 */

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedSalesCounts, generateSalesChunks, type SalesFileOptions } from './generateSalesFile.ts';

interface Measured {
  seconds: number;
  cpuSeconds: number;
  maxRssKb: number;
  rows: number;
  rejected: number;
}

const ENGINES = [
  'tributary-csv',
  'tributary-jsonl',
  'tributary-1-thread',
  'polars',
  'duckdb-1-thread',
  'duckdb',
] as const;
type Engine = (typeof ENGINES)[number];

const LABELS: Record<Engine, string> = {
  'tributary-csv': `Tributary FileValidation, ${threadCount()} threads, compact CSV out (DuckDB store)`,
  'tributary-jsonl': `Tributary FileValidation, ${threadCount()} threads, JSON lines out (Druid store)`,
  'tributary-1-thread': 'Tributary RowValidator, 1 thread, compact CSV out',
  polars: 'nodejs-polars readCSV, typed columns, ignoreErrors',
  'duckdb-1-thread': 'DuckDB read_csv, typed columns, store_rejects, 1 thread',
  duckdb: `DuckDB read_csv, typed columns, store_rejects, ${availableParallelism()} threads`,
};

function threadCount(): number {
  return Number(process.env.VALIDATION_THREADS ?? availableParallelism());
}

async function runTributary(path: string, outDir: string, threads: number, output: 'csv' | 'jsonl'): Promise<Measured> {
  const { FileValidation } = await import('../src/ingest/parallel/FileValidation.ts');
  const { ValidationThreads } = await import('../src/ingest/parallel/ValidationThreads.ts');
  const pool = threads > 0 ? new ValidationThreads(threads) : null;
  // threads start and warm up before the clock, as they do once when a worker process starts
  if (pool) await (await import('../src/ingest/parallel/warmUpThreads.ts')).warmUpThreads(pool);
  return measure(async () => {
    const validation = new FileValidation({ format: 'csv', schema: null, taskId: 'bench-task', output }, pool);
    const out = createWriteStream(join(outDir, `validated.${output}`), { highWaterMark: 16 * 1024 * 1024 });
    let rejected = 0;
    for await (const batch of validation.run(createReadStream(path, { highWaterMark: 1024 * 1024 }))) {
      rejected += batch.rejections.length;
      if (batch.output.length > 0 && !out.write(batch.output)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    await pool?.close();
    return { rows: validation.summary().rowsTotal, rejected };
  });
}

async function runPolars(path: string): Promise<Measured> {
  const pl = (await import('nodejs-polars')).default;
  return measure(async () => {
    const frame = pl.readCSV(path, {
      hasHeader: true,
      ignoreErrors: true,
      tryParseDates: true,
      dtypes: {
        order_id: pl.Utf8,
        region: pl.Utf8,
        country: pl.Utf8,
        store_code: pl.Utf8,
        sku: pl.Utf8,
        product: pl.Utf8,
        category: pl.Utf8,
        channel: pl.Utf8,
        quantity: pl.Int64,
        unit_price: pl.Float64,
        amount: pl.Float64,
      },
    });
    // Rows polars could not read fully: the timestamp or a metric became null.
    const bad = frame.filter(
      pl.col('order_date').isNull().or(pl.col('quantity').isNull()).or(pl.col('unit_price').isNull()),
    ).height;
    return { rows: frame.height, rejected: bad };
  });
}

async function runDuckDb(path: string, threads: number): Promise<Measured> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  return measure(async () => {
    await connection.run(
      `CREATE TABLE sales AS SELECT * FROM read_csv('${path}', header = true, auto_detect = false, store_rejects = true,
         columns = {'order_id': 'VARCHAR', 'order_date': 'TIMESTAMPTZ', 'region': 'VARCHAR', 'country': 'VARCHAR',
           'store_code': 'VARCHAR', 'sku': 'VARCHAR', 'product': 'VARCHAR', 'category': 'VARCHAR', 'channel': 'VARCHAR',
           'quantity': 'BIGINT', 'unit_price': 'DOUBLE', 'amount': 'DOUBLE'})`,
    );
    const counted = await connection.runAndReadAll(
      `SELECT (SELECT count(*) FROM sales)::INT AS n, (SELECT count(*) FROM reject_errors)::INT AS r`,
    );
    const row = counted.getRowObjects()[0] as { n: number; r: number };
    return { rows: Number(row.n) + Number(row.r), rejected: Number(row.r) };
  });
}

async function measure(work: () => Promise<{ rows: number; rejected: number }>): Promise<Measured> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const counts = await work();
  const used = process.cpuUsage(cpu);
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxRssKb: process.resourceUsage().maxRSS,
    ...counts,
  };
}

if (process.argv[2] === '--run') {
  const [engine, path, outDir] = process.argv.slice(3) as [Engine, string, string];
  const result =
    engine === 'tributary-csv'
      ? await runTributary(path, outDir, threadCount(), 'csv')
      : engine === 'tributary-jsonl'
        ? await runTributary(path, outDir, threadCount(), 'jsonl')
        : engine === 'tributary-1-thread'
          ? await runTributary(path, outDir, 0, 'csv')
          : engine === 'polars'
            ? await runPolars(path)
            : await runDuckDb(path, engine === 'duckdb' ? availableParallelism() : 1);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

const megabytes = Number(process.argv[2] ?? 200);
const options: SalesFileOptions = { rows: Math.round((megabytes * 1e6) / 108), badRowEvery: 1000, seed: 42 };
const dir = mkdtempSync(join(tmpdir(), 'tributary-peers-'));
const path = join(dir, 'sales.csv');
try {
  const out = createWriteStream(path);
  for (const chunk of generateSalesChunks(options)) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  const mb = statSync(path).size / 1e6;
  const expected = expectedSalesCounts(options);
  console.log(
    `file: ${mb.toFixed(1)} MB, ${options.rows.toLocaleString('en')} rows, ${expected.rowsRejected} bad; ` +
      `${availableParallelism()} cores; best of 3 fresh processes each, engines interleaved`,
  );
  const best = new Map<Engine, Measured>();
  for (let round = 1; round <= 3; round++) {
    for (const engine of ENGINES) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--run', engine, path, dir], {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      });
      if (child.status !== 0) throw new Error(`${engine} failed: ${child.stderr}`);
      const result = JSON.parse(child.stdout) as Measured;
      if (engine.startsWith('tributary') && result.rejected !== expected.rowsRejected) {
        throw new Error(`${engine}: ${result.rejected} rejections, expected ${expected.rowsRejected}`);
      }
      const previous = best.get(engine);
      if (!previous || result.seconds < previous.seconds) best.set(engine, result);
    }
  }
  const polars = best.get('polars') as Measured;
  console.log('');
  console.log('| engine | MB/s wall | MB/s per CPU-second | peak RSS | rows | flagged | wall vs polars |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const engine of ENGINES) {
    const m = best.get(engine) as Measured;
    console.log(
      `| ${LABELS[engine]} | ${(mb / m.seconds).toFixed(0)} | ${(mb / m.cpuSeconds).toFixed(0)} | ` +
        `${(m.maxRssKb / 1024).toFixed(0)} MB | ${m.rows.toLocaleString('en')} | ${m.rejected.toLocaleString('en')} | ` +
        `${(polars.seconds / m.seconds).toFixed(2)}× |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
