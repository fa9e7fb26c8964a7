/**
 * Deterministic synthetic sales files for benchmarks and tests: ~100 bytes per row, 12 columns, some
 * quoted product names, and bad rows of several kinds at a known rate (so the expected counts are known).
 *
 *   order_id,order_date,region,country,store_code,sku,product,category,channel,quantity,unit_price,amount
 */
import type { DataSourceSchema } from '../src/ingest/types.ts';

export type SalesFormat = 'csv' | 'tsv' | 'jsonl';

export interface SalesFileOptions {
  rows: number;
  /** Every n-th data row (after the first cleanRows) is bad; 0/undefined = no bad rows. */
  badRowEvery?: number;
  /** Leading rows that are never bad, so schema inference sees clean data. Default 1000. */
  cleanRows?: number;
  seed?: number;
  format?: SalesFormat;
  /** Approximate size of the yielded chunks. Default 1 MiB. */
  chunkBytes?: number;
}

export const salesSchema: DataSourceSchema = {
  timestampColumn: 'order_date',
  dimensions: ['order_id', 'region', 'country', 'store_code', 'sku', 'product', 'category', 'channel'],
  metrics: [
    { name: 'quantity', type: 'long' },
    { name: 'unit_price', type: 'double' },
    { name: 'amount', type: 'double' },
  ],
};

const COLUMNS = [
  'order_id',
  'order_date',
  'region',
  'country',
  'store_code',
  'sku',
  'product',
  'category',
  'channel',
  'quantity',
  'unit_price',
  'amount',
];

/** The kinds of bad rows, in the order they cycle. JSON lines use INVALID_JSON for the field-count kind. */
const BAD_KINDS = [
  'INVALID_TIMESTAMP',
  'MISSING_TIMESTAMP',
  'INVALID_NUMBER',
  'INVALID_INTEGER',
  'FIELD_COUNT_MISMATCH',
] as const;

export interface SalesFileExpectation {
  rowsTotal: number;
  rowsValid: number;
  rowsRejected: number;
  rejectedByCode: Record<string, number>;
}

/** Which rows are bad: row i (1-based data row) → the rejection code, or null. */
function badKindOf(i: number, options: SalesFileOptions): string | null {
  const every = options.badRowEvery ?? 0;
  if (every <= 0 || i <= (options.cleanRows ?? 1000) || i % every !== 0) return null;
  const kind = BAD_KINDS[Math.floor(i / every) % BAD_KINDS.length] as string;
  return kind === 'FIELD_COUNT_MISMATCH' && options.format === 'jsonl' ? 'INVALID_JSON' : kind;
}

/** The counts RowValidator must report for this file. */
export function expectedSalesCounts(options: SalesFileOptions): SalesFileExpectation {
  const rejectedByCode: Record<string, number> = {};
  let rejected = 0;
  for (let i = 1; i <= options.rows; i++) {
    const kind = badKindOf(i, options);
    if (kind === null) continue;
    rejected++;
    rejectedByCode[kind] = (rejectedByCode[kind] ?? 0) + 1;
  }
  return { rowsTotal: options.rows, rowsValid: options.rows - rejected, rowsRejected: rejected, rejectedByCode };
}

/** mulberry32: small, fast, deterministic. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const REGIONS = ['EMEA', 'AMER', 'APAC', 'LATAM'];
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'CA', 'JP', 'AU', 'BR', 'MX', 'IN'];
const CATEGORIES = ['Hardware', 'Garden', 'Kitchen', 'Toys', 'Office'];
const CHANNELS = ['web', 'store', 'phone', 'partner'];
const PRODUCTS = [
  'Cordless drill',
  'Garden hose',
  'Chef knife',
  'Puzzle cube',
  'Desk lamp',
  'Widget, large',
  'Bolt 1/2"',
  'Café table',
  'Notebook A5',
  'Kettle',
];

function pick<T>(values: readonly T[], r: () => number): T {
  return values[Math.floor(r() * values.length)] as T;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function csvCell(value: string, delimiter: string): string {
  return value.includes(delimiter) || value.includes('"') || value.includes('\n')
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}

/** Streams the file as Buffers of about chunkBytes. */
export async function* generateSalesCsv(options: SalesFileOptions): AsyncIterable<Buffer> {
  yield* generateSalesChunks(options);
}

/** Same as generateSalesCsv, synchronously. */
export function* generateSalesChunks(options: SalesFileOptions): Generator<Buffer> {
  const format = options.format ?? 'csv';
  const delimiter = format === 'tsv' ? '\t' : ',';
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  const r = random(options.seed ?? 1);
  const start = Date.UTC(2025, 0, 1);
  let text = format === 'jsonl' ? '' : `${COLUMNS.join(delimiter)}\n`;
  for (let i = 1; i <= options.rows; i++) {
    const t = new Date(start + Math.floor(i * 37_000 + r() * 30_000));
    let date = `${t.getUTCFullYear()}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())}T${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}Z`;
    const quantity = 1 + Math.floor(r() * 20);
    const cents = 99 + Math.floor(r() * 20_000);
    let quantityText = String(quantity);
    const unitPrice = (cents / 100).toFixed(2);
    const amount = ((quantity * cents) / 100).toFixed(2);
    const values = [
      `ORD-${String(i).padStart(9, '0')}`,
      date,
      pick(REGIONS, r),
      pick(COUNTRIES, r),
      `ST-${String(Math.floor(r() * 500)).padStart(3, '0')}`,
      `SKU-${10_000 + Math.floor(r() * 90_000)}`,
      pick(PRODUCTS, r),
      pick(CATEGORIES, r),
      pick(CHANNELS, r),
      quantityText,
      unitPrice,
      amount,
    ];
    const bad = badKindOf(i, { ...options, format });
    let extraField = false;
    if (bad === 'INVALID_TIMESTAMP') date = `2025-02-30T10:00:00Z`;
    else if (bad === 'MISSING_TIMESTAMP') date = '';
    else if (bad === 'INVALID_NUMBER') quantityText = 'n/a';
    else if (bad === 'INVALID_INTEGER') quantityText = `${quantity}.5`;
    else if (bad === 'FIELD_COUNT_MISMATCH' || bad === 'INVALID_JSON') extraField = true;
    values[1] = date;
    values[9] = quantityText;
    if (format === 'jsonl') {
      const object: Record<string, string | number> = {};
      COLUMNS.forEach((c, k) => {
        object[c] = k >= 9 && bad !== 'INVALID_NUMBER' ? Number(values[k]) : (values[k] as string);
      });
      const line = JSON.stringify(object);
      text += extraField ? `${line.slice(0, -1)},\n` : `${line}\n`;
    } else {
      let line = '';
      for (let k = 0; k < values.length; k++)
        line += (k === 0 ? '' : delimiter) + csvCell(values[k] as string, delimiter);
      text += extraField ? `${line}${delimiter}extra\n` : `${line}\n`;
    }
    if (text.length >= chunkBytes) {
      yield Buffer.from(text);
      text = '';
    }
  }
  if (text.length > 0) yield Buffer.from(text);
}
