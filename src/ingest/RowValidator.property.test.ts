import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { outputRows, validate } from './testSupport.ts';
import type { DataSourceSchema } from './types.ts';

/** A data row of a sales-like CSV, good or bad in a known way. */
type Kind =
  | 'good'
  | 'FIELD_COUNT_MISMATCH'
  | 'MISSING_TIMESTAMP'
  | 'INVALID_TIMESTAMP'
  | 'INVALID_NUMBER'
  | 'INVALID_INTEGER';

const schema: DataSourceSchema = {
  timestampColumn: 'order_date',
  dimensions: ['region', 'product'],
  metrics: [
    { name: 'qty', type: 'long' },
    { name: 'price', type: 'double' },
  ],
};

const quoteCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

const text = fc.string({
  unit: fc.constantFrom('a', 'b', 'é', '€', ' ', ',', '"', '\n', '\r', '\\', '\t', '\u0001', '😀'),
  maxLength: 8,
});

const row = fc.record({
  kind: fc.constantFrom<Kind>(
    'good',
    'good',
    'good',
    'FIELD_COUNT_MISMATCH',
    'MISSING_TIMESTAMP',
    'INVALID_TIMESTAMP',
    'INVALID_NUMBER',
    'INVALID_INTEGER',
  ),
  time: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
  region: text,
  product: text,
  qty: fc.option(fc.integer({ min: -1_000_000, max: 1_000_000 }), { nil: null }),
  price: fc.option(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { nil: null }),
});

type Row = typeof row extends fc.Arbitrary<infer T> ? T : never;

/** Serialises rows as CSV (header in a shuffled order is not needed: a stored schema is given). */
function toCsv(rows: Row[], lineEnd: string): string {
  let csv = `order_date,region,product,qty,price${lineEnd}`;
  for (const r of rows) {
    let time = r.time.toISOString();
    let qty = r.qty === null ? '' : String(r.qty);
    const price = r.price === null ? '' : String(r.price);
    if (r.kind === 'MISSING_TIMESTAMP') time = '';
    if (r.kind === 'INVALID_TIMESTAMP') time = '2025-02-29T10:00:00Z';
    if (r.kind === 'INVALID_NUMBER') qty = '1..5';
    if (r.kind === 'INVALID_INTEGER') qty = '2.5';
    const cells = [time, quoteCell(r.region), quoteCell(r.product), quoteCell(qty), price];
    if (r.kind === 'FIELD_COUNT_MISMATCH') cells.push('extra');
    csv += cells.join(',') + lineEnd;
  }
  return csv;
}

const file = fc.record({
  rows: fc.array(row, { minLength: 1, maxLength: 25 }),
  lineEnd: fc.constantFrom('\n', '\r\n', '\r'),
  cuts: fc.array(fc.nat({ max: 4000 }), { maxLength: 8 }),
});

test('ledger: rowsTotal = rowsValid + rowsRejected, and exactly the bad rows are rejected, with their lines', () => {
  fc.assert(
    fc.property(file, ({ rows, lineEnd, cuts }) => {
      const csv = toCsv(rows, lineEnd);
      const bytes = Buffer.from(csv);
      const result = validate(
        bytes,
        { schema },
        cuts.map((c) => c % (bytes.length + 1)),
      );
      const summary = result.summary;
      assert.ok(summary !== null);
      assert.equal(summary.rowsTotal, summary.rowsValid + summary.rowsRejected);
      assert.equal(summary.rowsTotal, rows.length);
      assert.equal(outputRows(result.output).length, summary.rowsValid);
      // expected lines: a row spans 1 + (line breaks inside its quoted cells) physical lines
      let line = 2;
      const expected: [number, string][] = [];
      for (const r of rows) {
        if (r.kind !== 'good') expected.push([line, r.kind]);
        const breaks = [r.region, r.product]
          .map((cell) => cell.replaceAll('\r\n', '\n').match(/[\r\n]/g)?.length ?? 0)
          .reduce((a, b) => a + b, 0);
        line += 1 + breaks;
      }
      assert.deepEqual(
        result.rejections.map((r) => [r.line, r.code]),
        expected,
      );
    }),
    { numRuns: 300 },
  );
});

test('chunking invariance: any split gives identical output, rejections and summary', () => {
  fc.assert(
    fc.property(file, fc.boolean(), ({ rows, lineEnd, cuts }, inferred) => {
      const bytes = Buffer.from(toCsv(rows, lineEnd));
      const options = inferred ? { sampleRows: 5 } : { schema };
      const whole = validate(bytes, options);
      const split = validate(
        bytes,
        options,
        cuts.map((c) => c % (bytes.length + 1)),
      );
      assert.deepEqual(split, whole);
    }),
    { numRuns: 300 },
  );
});

test('round trip: validate(serialize(rows)) gives back the rows', () => {
  fc.assert(
    fc.property(fc.array(row, { minLength: 1, maxLength: 25 }), fc.constantFrom('\n', '\r\n'), (rows, lineEnd) => {
      const good = rows.map((r) => ({ ...r, kind: 'good' as const }));
      const result = validate(toCsv(good, lineEnd), { schema, taskId: 'rt' });
      assert.deepEqual(
        outputRows(result.output),
        good.map((r) => ({
          __time: r.time.toISOString(),
          region: r.region === '' ? null : r.region,
          product: r.product === '' ? null : r.product,
          qty: r.qty,
          price: r.price === null ? null : r.price === 0 ? 0 : r.price,
          __task_id: 'rt',
        })),
      );
      const sum = good.reduce((s, r) => s + (r.qty ?? 0), 0);
      assert.equal(result.summary?.metricSums.qty, sum);
    }),
    { numRuns: 300 },
  );
});

test('JSON lines: chunking invariance and round trip', () => {
  fc.assert(
    fc.property(
      fc.array(row, { minLength: 1, maxLength: 15 }),
      fc.array(fc.nat({ max: 3000 }), { maxLength: 6 }),
      (rows, cuts) => {
        const lines = rows.map((r) =>
          JSON.stringify({
            order_date: r.time.toISOString(),
            region: r.region,
            product: r.product,
            qty: r.qty,
            price: r.price,
          }),
        );
        const bytes = Buffer.from(`${lines.join('\n')}\n`);
        const whole = validate(bytes, { format: 'jsonl', schema });
        const split = validate(
          bytes,
          { format: 'jsonl', schema },
          cuts.map((c) => c % (bytes.length + 1)),
        );
        assert.deepEqual(split, whole);
        assert.deepEqual(
          outputRows(whole.output).map((o) => [o.region, o.product, o.qty, o.price]),
          rows.map((r) => [r.region || null, r.product || null, r.qty, r.price === 0 ? 0 : r.price]),
        );
      },
    ),
    { numRuns: 200 },
  );
});
