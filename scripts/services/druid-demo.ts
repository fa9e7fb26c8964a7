// Proves the S3 -> Druid chain against the services of scripts/services/up.sh and times it.
// Run: cd <repo> && npx node scripts/services/druid-demo.ts [--big-rows=70000] [--write-examples]
// Each run uses a fresh datasource (sales_demo_<time>), so runs do not disturb each other.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const here = dirname(fileURLToPath(import.meta.url));
const env: Record<string, string> = {};
for (const line of readFileSync(join(here, '..', '..', '.services.env'), 'utf8').split('\n')) {
  const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
  if (m?.[1] !== undefined && m[2] !== undefined) env[m[1]] = m[2];
}
const need = (k: string): string => {
  const v = env[k];
  if (v === undefined || v === '') throw new Error(`${k} missing from .services.env: run scripts/services/up.sh`);
  return v;
};
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}`))?.split('=')[1] ??
  (process.argv.includes(`--${name}`) ? '' : undefined);

const DRUID = need('DRUID_URL');
const Bucket = need('S3_BUCKET');
const s3 = new S3Client({
  endpoint: need('S3_ENDPOINT'),
  region: need('S3_REGION'),
  forcePathStyle: true,
  credentials: { accessKeyId: need('S3_ACCESS_KEY_ID'), secretAccessKey: need('S3_SECRET_ACCESS_KEY') },
});
const runTag = new Date()
  .toISOString()
  .replace(/[-:T.Z]/g, '')
  .slice(0, 14);
const dataSource = `sales_demo_${runTag}`;
const writeExamples = arg('write-examples') !== undefined;
const bigRows = Number(arg('big-rows') ?? '70000');

type Json = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

async function http(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${DRUID}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}
async function sql(query: string): Promise<Json[]> {
  const r = await http('POST', '/druid/v2/sql', { query, resultFormat: 'object' });
  if (r.status !== 200) throw new Error(`SQL ${r.status}: ${r.text}`);
  return JSON.parse(r.text) as Json[];
}

// ---------------------------------------------------------------- data
const regions = ['north', 'south', 'east', 'west'];
const products = ['apple', 'pear', 'plum', 'fig', 'kiwi'];
const DAY = 86_400_000;
/** rows spread over 3 days from 2026-01-01 (or one day when `day` is given); returns the file and its totals */
function makeRows(n: number, taskId: string, day?: number) {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const lines: string[] = [];
  let quantity = 0;
  let priceCents = 0;
  for (let i = 0; i < n; i++) {
    const d = day ?? i % 3;
    const q = (i % 9) + 1;
    const cents = (i % 100) * 100 + 25;
    quantity += q;
    priceCents += cents;
    lines.push(
      JSON.stringify({
        __time: new Date(t0 + d * DAY + (i % 86_400) * 1000).toISOString(),
        region: regions[i % 4],
        product: products[i % 5],
        store: `s${i % 17}`,
        quantity: q,
        price: cents / 100,
        __task_id: taskId,
      }),
    );
  }
  return { body: Buffer.from(`${lines.join('\n')}\n`), rows: n, quantity, price: priceCents / 100 };
}

// ---------------------------------------------------------------- specs
function nativeSpec(o: { id: string; key: string; append: boolean; intervals?: string[] }): Json {
  return {
    type: 'index_parallel',
    id: o.id,
    spec: {
      dataSchema: {
        dataSource,
        timestampSpec: { column: '__time', format: 'iso' },
        dimensionsSpec: { dimensions: ['region', 'product', 'store', '__task_id'] },
        metricsSpec: [
          { type: 'count', name: 'count' },
          { type: 'longSum', name: 'quantity', fieldName: 'quantity' },
          { type: 'doubleSum', name: 'price', fieldName: 'price' },
        ],
        granularitySpec: {
          type: 'uniform',
          segmentGranularity: 'DAY',
          queryGranularity: 'NONE',
          rollup: false,
          ...(o.intervals ? { intervals: o.intervals } : {}),
        },
      },
      ioConfig: {
        type: 'index_parallel',
        inputSource: {
          type: 's3',
          uris: [`s3://${Bucket}/${o.key}`],
          // Not needed here (druid.s3.* in common.runtime.properties already point at S3Proxy); shown for a
          // spec that must carry its own endpoint and credentials:
          // endpointConfig: { url: 'http://127.0.0.1:9000', signingRegion: 'us-east-1' },
          // clientConfig: { enablePathStyleAccess: true, protocol: 'http' },
          // properties: { accessKeyId: { type: 'default', password: '...' }, secretAccessKey: { ... } },
        },
        inputFormat: { type: 'json' },
        appendToExisting: o.append,
        ...(o.append ? {} : { dropExisting: true }),
      },
      tuningConfig: {
        type: 'index_parallel',
        maxParseExceptions: 0,
        maxSavedParseExceptions: 10,
        logParseExceptions: true,
        maxNumConcurrentSubTasks: 1,
        partitionsSpec: { type: 'dynamic' },
      },
    },
  };
}

async function upload(key: string, body: Buffer) {
  const t0 = performance.now();
  await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: body }));
  console.log(`  uploaded s3://${Bucket}/${key} (${(body.length / 1e6).toFixed(2)} MB) in ${secs(t0)}s`);
}

async function waitTask(id: string, t0: number): Promise<Json> {
  for (;;) {
    const r = await http('GET', `/druid/indexer/v1/task/${encodeURIComponent(id)}/status`);
    if (r.status === 200) {
      const s = (JSON.parse(r.text) as { status: Json }).status;
      if (s.statusCode !== 'RUNNING') return s;
    }
    if (performance.now() - t0 > 600_000) throw new Error(`task ${id} still running after 600 s`);
    await sleep(500);
  }
}
async function waitLoaded(interval: string, t0: number) {
  for (;;) {
    const r = await http(
      'GET',
      `/druid/coordinator/v1/datasources/${dataSource}/loadstatus?forceMetadataRefresh=true&interval=${interval}`,
    );
    if (r.status === 200 && (JSON.parse(r.text) as Json)[dataSource] === 100) return;
    if (performance.now() - t0 > 600_000) throw new Error(`not loaded after 600 s: ${r.status} ${r.text}`);
    await sleep(500);
  }
}
async function waitQueryable(where: string, expectRows: number, t0: number): Promise<Json> {
  for (;;) {
    const rows = await sql(
      `SELECT COUNT(*) AS "rows", SUM("count") AS "count", SUM(quantity) AS quantity, SUM(price) AS price FROM "${dataSource}" WHERE ${where}`,
    ).catch(() => [] as Json[]);
    if (rows[0] && Number(rows[0].count) === expectRows) return rows[0];
    if (performance.now() - t0 > 600_000)
      throw new Error(`SQL did not see ${expectRows} rows: ${JSON.stringify(rows)}`);
    await sleep(500);
  }
}

async function nativeIngest(label: string, o: { id: string; key: string; append: boolean; intervals?: string[] }) {
  const spec = nativeSpec(o);
  if (writeExamples) {
    const name = o.append ? 'native-index-parallel-append.json' : 'native-index-parallel-replace.json';
    writeFileSync(join(here, 'examples', name), `${JSON.stringify(spec, null, 2)}\n`);
  }
  const t0 = performance.now();
  const sub = await http('POST', '/druid/indexer/v1/task', spec);
  console.log(`  [${label}] submit ${o.id}: HTTP ${sub.status} ${sub.text}`);
  const status = await waitTask(o.id, t0);
  const tTask = secs(t0);
  const rep = await http('GET', `/druid/indexer/v1/task/${o.id}/reports`);
  const payload = (JSON.parse(rep.text) as { ingestionStatsAndErrors: { payload: Json } }).ingestionStatsAndErrors
    .payload;
  const rowStats = payload.rowStats as Json;
  console.log(
    `  [${label}] ${status.statusCode} after ${tTask}s (task duration ${status.duration} ms); rowStats ${JSON.stringify(rowStats)}; errorMsg ${JSON.stringify(status.errorMsg === null ? null : String(status.errorMsg).slice(0, 200))}`,
  );
  return { t0, tTask, status };
}

// ---------------------------------------------------------------- run
console.log(`datasource ${dataSource} (Druid at ${DRUID})`);
const timings: string[] = [];

// 1. Native batch, 1,000 rows, appendToExisting, deterministic id.
const small = makeRows(1000, `${runTag}-small`);
await upload(`demo/${runTag}/sales-1k.jsonl`, small.body);
const idSmall = `tributary-${dataSource}-small`;
const a = await nativeIngest('native 1k', { id: idSmall, key: `demo/${runTag}/sales-1k.jsonl`, append: true });
await waitLoaded('2026-01-01/2026-01-04', a.t0);
const tLoaded = secs(a.t0);
const got = await waitQueryable(`__task_id = '${runTag}-small'`, small.rows, a.t0);
const tQuery = secs(a.t0);
console.log(
  `  loadstatus 100% after ${tLoaded}s; SQL sees ${JSON.stringify(got)} after ${tQuery}s; expected rows ${small.rows}, quantity ${small.quantity}, price ${small.price}`,
);
timings.push(
  `native 1k rows (${(small.body.length / 1e6).toFixed(2)} MB): SUCCESS ${a.tTask}s, loaded ${tLoaded}s, queryable ${tQuery}s`,
);

// 2. The same task id again.
const again = await http(
  'POST',
  '/druid/indexer/v1/task',
  nativeSpec({ id: idSmall, key: `demo/${runTag}/sales-1k.jsonl`, append: true }),
);
console.log(`  same task id again: HTTP ${again.status} ${again.text}`);

// 3. REPLACE one day: dropExisting + explicit interval + appendToExisting false.
const day2 = makeRows(100, `${runTag}-replace`, 1);
await upload(`demo/${runTag}/sales-day2.jsonl`, day2.body);
const r = await nativeIngest('native replace 2026-01-02', {
  id: `tributary-${dataSource}-replace`,
  key: `demo/${runTag}/sales-day2.jsonl`,
  append: false,
  intervals: ['2026-01-02/2026-01-03'],
});
await waitLoaded('2026-01-01/2026-01-04', r.t0);
const byDay = await (async () => {
  for (;;) {
    const rows = await sql(
      `SELECT TIME_FLOOR(__time, 'P1D') AS "day", __task_id, SUM("count") AS "count" FROM "${dataSource}" GROUP BY 1, 2 ORDER BY 1`,
    );
    const day2rows = rows.filter((x) => String(x.day).startsWith('2026-01-02'));
    if (day2rows.length === 1 && day2rows[0]?.__task_id === `${runTag}-replace`) return rows;
    if (performance.now() - r.t0 > 300_000) throw new Error(`replace not visible: ${JSON.stringify(rows)}`);
    await sleep(500);
  }
})();
console.log(`  after REPLACE of 2026-01-02 (queryable after ${secs(r.t0)}s): ${JSON.stringify(byDay)}`);
timings.push(`native replace of one day (100 rows): SUCCESS ${r.tTask}s, visible ${secs(r.t0)}s`);

// 4. Bigger file.
if (bigRows > 0) {
  const big = makeRows(bigRows, `${runTag}-big`);
  await upload(`demo/${runTag}/sales-big.jsonl`, big.body);
  const b = await nativeIngest(`native ${bigRows} rows`, {
    id: `tributary-${dataSource}-big`,
    key: `demo/${runTag}/sales-big.jsonl`,
    append: true,
  });
  await waitLoaded('2026-01-01/2026-01-04', b.t0);
  const tL = secs(b.t0);
  const g = await waitQueryable(`__task_id = '${runTag}-big'`, big.rows, b.t0);
  console.log(`  SQL sees ${JSON.stringify(g)}; expected quantity ${big.quantity}, price ${big.price}`);
  timings.push(
    `native ${bigRows} rows (${(big.body.length / 1e6).toFixed(1)} MB): SUCCESS ${b.tTask}s, loaded ${tL}s, queryable ${secs(b.t0)}s`,
  );
}

// 5. One unparseable row with maxParseExceptions 0: the task must fail and nothing be published.
{
  const bad = makeRows(10, `${runTag}-bad`);
  const body = Buffer.concat([bad.body, Buffer.from('{"__time":"not a time","region":"x"}\n')]);
  await upload(`demo/${runTag}/sales-bad.jsonl`, body);
  const f = await nativeIngest('native, 1 bad row', {
    id: `tributary-${dataSource}-bad`,
    key: `demo/${runTag}/sales-bad.jsonl`,
    append: true,
  });
  const rep = await http('GET', `/druid/indexer/v1/task/tributary-${dataSource}-bad/reports`);
  const payload = (JSON.parse(rep.text) as { ingestionStatsAndErrors: { payload: Json } }).ingestionStatsAndErrors
    .payload;
  const rows = await sql(`SELECT COUNT(*) AS n FROM "${dataSource}" WHERE __task_id = '${runTag}-bad'`);
  console.log(
    `  bad row: ${f.status.statusCode} after ${f.tTask}s; errorMsg ${JSON.stringify(String(f.status.errorMsg).slice(0, 300))}; unparseableEvents ${JSON.stringify(payload.unparseableEvents).slice(0, 400)}; rows visible ${JSON.stringify(rows)}`,
  );
}

// 6. SQL-based ingestion (multi-stage query).
const msq = await http('POST', '/druid/v2/sql/task', {
  query: `INSERT INTO "${dataSource}_msq" SELECT TIME_PARSE("__time") AS __time, region, product, store, quantity, price, __task_id FROM TABLE(EXTERN('{"type":"s3","uris":["s3://${Bucket}/demo/${runTag}/sales-1k.jsonl"]}', '{"type":"json"}', '[{"name":"__time","type":"string"},{"name":"region","type":"string"},{"name":"product","type":"string"},{"name":"store","type":"string"},{"name":"quantity","type":"long"},{"name":"price","type":"double"},{"name":"__task_id","type":"string"}]')) PARTITIONED BY DAY`,
  context: { maxParseExceptions: 0 },
});
console.log(`  SQL-based ingestion POST /druid/v2/sql/task: HTTP ${msq.status} ${msq.text.slice(0, 300)}`);

console.log('\ntimings (submit -> ...):');
for (const t of timings) console.log(`  ${t}`);
