import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { FileValidation } from '/work/main/src/ingest/parallel/FileValidation.ts';
import { ValidationThreads } from '/work/main/src/ingest/parallel/ValidationThreads.ts';
import { generateSalesChunks } from '/work/main/bench/generateSalesFile.ts';
const path = '/tmp/sales200.csv';
try { statSync(path); } catch {
  const out = createWriteStream(path);
  for (const c of generateSalesChunks({ rows: 1_850_000, badRowEvery: 1000, seed: 42 })) if (!out.write(c)) await once(out, 'drain');
  out.end(); await once(out, 'finish');
}
const n = Number(process.argv[2] ?? 2);
const threads = n > 0 ? new ValidationThreads(n) : null;
for (let run = 0; run < 3; run++) {
  const t0 = performance.now(); const cpu0 = process.cpuUsage();
  const v = new FileValidation({ format: 'csv', schema: null, taskId: 'bench', output: 'csv' }, threads, {});
  let out = 0;
  for await (const b of v.run(createReadStream(path, { highWaterMark: 1 << 20 }))) out += b.output.length;
  const s = (performance.now() - t0) / 1000; const cpu = process.cpuUsage(cpu0);
  const mb = statSync(path).size / 1e6;
  console.log(`threads=${n} ${(mb / s).toFixed(0)} MB/s, main cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)}s of ${s.toFixed(2)}s, rows ${v.summary().rowsTotal}, out ${(out/1e6).toFixed(0)} MB`, v.stats, `rss ${(process.resourceUsage().maxRSS/1024).toFixed(0)} MB`);
}
await threads?.close();
