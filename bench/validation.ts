/**
 * Validation throughput: `npx node bench/validation.ts [MB] [csv|tsv|jsonl]` (default 200 csv).
 * Generates a sales file of about that size in a temp dir, then validates it from disk in 1 MiB pieces (the output
 * is materialised and discarded), best of 3 fresh processes. `VALIDATION_THREADS=N` validates over N warmed-up
 * threads (FileValidation; default 0: RowValidator on one thread); `BENCH_OUTPUT=csv|jsonl` picks the validated
 * format (default csv, DuckDB's; jsonl is Druid's).
 */

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileValidation } from '../src/ingest/parallel/FileValidation.ts';
import { ValidationThreads } from '../src/ingest/parallel/ValidationThreads.ts';
import { warmUpThreads } from '../src/ingest/parallel/warmUpThreads.ts';
import { expectedSalesCounts, generateSalesChunks, type SalesFileOptions } from './generateSalesFile.ts';

interface RunResult {
  seconds: number;
  /** CPU time of the process (all threads, including GC): less sensitive to a busy machine. */
  cpuSeconds: number;
  rowsTotal: number;
  rowsRejected: number;
  rejections: number;
  outputChars: number;
  maxRssKb: number;
}

/** One timed validation of the file at path (runs in a child process). */
async function runOnce(path: string, format: SalesFileOptions['format']): Promise<RunResult> {
  const threadCount = Number(process.env.VALIDATION_THREADS ?? 0);
  const output = process.env.BENCH_OUTPUT === 'jsonl' ? 'jsonl' : 'csv';
  const threads = threadCount > 0 ? new ValidationThreads(threadCount) : null;
  if (threads) await warmUpThreads(threads);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const validator = new FileValidation(
    { format: format ?? 'csv', schema: null, taskId: 'bench-task', output },
    threads,
  );
  let outputChars = 0;
  let rejections = 0;
  for await (const batch of validator.run(createReadStream(path, { highWaterMark: 1024 * 1024 }))) {
    outputChars += batch.output.length; // the output is complete; it is then discarded
    rejections += batch.rejections.length;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const summary = validator.summary();
  await threads?.close();
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rowsTotal: summary.rowsTotal,
    rowsRejected: summary.rowsRejected,
    rejections,
    outputChars,
    maxRssKb: process.resourceUsage().maxRSS,
  };
}

if (process.argv[2] === '--run') {
  const result = await runOnce(process.argv[3] as string, process.argv[4] as SalesFileOptions['format']);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

const megabytes = Number(process.argv[2] ?? 200);
const format = (process.argv[3] ?? 'csv') as SalesFileOptions['format'];
const BYTES_PER_ROW = format === 'jsonl' ? 245 : 108;
const options: SalesFileOptions = {
  rows: Math.round((megabytes * 1e6) / BYTES_PER_ROW),
  badRowEvery: 1000,
  seed: 42,
  format,
};

const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
const path = join(dir, `sales.${format}`);
try {
  const out = createWriteStream(path);
  for (const chunk of generateSalesChunks(options)) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  const bytes = statSync(path).size;
  const expected = expectedSalesCounts(options);
  console.log(`file: ${(bytes / 1e6).toFixed(1)} MB, ${options.rows} rows (${format}), ${expected.rowsRejected} bad`);

  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let peakRss = 0;
  for (let run = 1; run <= 3; run++) {
    // each run in a fresh process, so its peak RSS is the validator's alone
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--run', path, format ?? 'csv'], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`run ${run} failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout) as RunResult;
    best = Math.min(best, result.seconds);
    bestCpu = Math.min(bestCpu, result.cpuSeconds);
    peakRss = Math.max(peakRss, result.maxRssKb);
    const ok =
      result.rowsTotal === expected.rowsTotal &&
      result.rowsRejected === expected.rowsRejected &&
      result.rejections === expected.rowsRejected;
    console.log(
      `run ${run}: ${(bytes / 1e6 / result.seconds).toFixed(1)} MB/s ` +
        `(by CPU time ${(bytes / 1e6 / result.cpuSeconds).toFixed(1)} MB/s), ` +
        `${Math.round(result.rowsTotal / result.seconds).toLocaleString('en')} rows/s, ` +
        `output ${(result.outputChars / 1e6).toFixed(0)} M chars, peak RSS ${(result.maxRssKb / 1024).toFixed(0)} MB, ` +
        `counts ${ok ? 'as expected' : 'WRONG'}`,
    );
    if (!ok) process.exitCode = 1;
  }
  console.log(
    `best: ${(bytes / 1e6 / best).toFixed(1)} MB/s, ${Math.round(options.rows / best).toLocaleString('en')} rows/s ` +
      `(by CPU time ${(bytes / 1e6 / bestCpu).toFixed(1)} MB/s); ` +
      `peak RSS ${(peakRss / 1024).toFixed(0)} MB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
