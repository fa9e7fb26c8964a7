import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors/AppError.ts';
import { checkHeaderNames, isIdentifierName, isTimestampName } from './columnNames.ts';
import { inferSchema } from './inferSchema.ts';

test('timestamp and identifier names', () => {
  for (const name of [
    'timestamp',
    'TIME',
    'ts',
    'Date',
    'datetime',
    'order_date',
    'created_at',
    'event_time',
    'load_ts',
  ]) {
    assert.ok(isTimestampName(name), name);
  }
  for (const name of ['dates', 'timestamps', 'update', 'format', 'tsv', 'at', 'region'])
    assert.ok(!isTimestampName(name), name);
  for (const name of ['id', 'ID', 'order_id', 'store_code', 'api_key', 'sku', 'SKU', 'zip', 'postal_code']) {
    assert.ok(isIdentifierName(name), name);
  }
  for (const name of ['idea', 'quantity', 'skus', 'zipper', 'code_count']) assert.ok(!isIdentifierName(name), name);
});

test('infers timestamp, dimensions and metrics in header order', () => {
  const header = ['order_id', 'region', 'order_date', 'quantity', 'price', 'store_code', 'note'];
  const rows = [
    ['1', 'EMEA', '2025-03-01', '2', '9.99', '17', ''],
    ['2', 'AMER', '2025-03-02T10:00Z', '3', '10', '18', ''],
    ['3', 'APAC', '2025-03-03 11:00:00', '', '1e2', '19', ''],
  ];
  assert.deepEqual(inferSchema(header, rows), {
    timestampColumn: 'order_date',
    dimensions: ['order_id', 'region', 'store_code', 'note'],
    metrics: [
      { name: 'quantity', type: 'long' },
      { name: 'price', type: 'double' },
    ],
  });
});

test('the first timestamp-named column whose values parse wins', () => {
  const header = ['updated_at', 'created_at', 'v'];
  // updated_at holds text, so created_at is the timestamp
  assert.equal(inferSchema(header, [['soon', '2025-01-01', '1']]).timestampColumn, 'created_at');
  assert.equal(inferSchema(header, [['2025-01-02', '2025-01-01', '1']]).timestampColumn, 'updated_at');
});

test('timestamp threshold: at least half of the non-empty sampled values, and at least one', () => {
  const header = ['date', 'v'];
  const rows = (good: number, bad: number, empty: number) => [
    ...Array.from({ length: good }, () => ['2025-01-01', '1']),
    ...Array.from({ length: bad }, () => ['someday', '1']),
    ...Array.from({ length: empty }, () => ['', '1']),
  ];
  assert.equal(inferSchema(header, rows(5, 5, 10)).timestampColumn, 'date');
  assert.throws(() => inferSchema(header, rows(4, 5, 0)), { code: 'NO_TIMESTAMP_COLUMN' });
  assert.throws(() => inferSchema(header, rows(0, 0, 3)), { code: 'NO_TIMESTAMP_COLUMN' });
});

test('NO_TIMESTAMP_COLUMN names the columns seen', () => {
  const error = (() => {
    try {
      inferSchema(['date;amount'], [['2025-01-01;3']]);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof AppError);
  assert.equal(error.code, 'NO_TIMESTAMP_COLUMN');
  assert.match(error.details ?? '', /"date;amount"/);
});

test('metrics need ≥ 99 % numeric values; identifier-like and empty columns stay dimensions', () => {
  const make = (numeric: number, text: number) => [
    ...Array.from({ length: numeric }, (_, i) => ['2025-01-01', String(i), '5', '', '1']),
    ...Array.from({ length: text }, () => ['2025-01-01', 'n/a', '5', '', '1']),
  ];
  const header = ['date', 'amount', 'zip', 'empty', 'customer_id'];
  assert.deepEqual(inferSchema(header, make(99, 1)).metrics, [{ name: 'amount', type: 'long' }]);
  assert.deepEqual(inferSchema(header, make(98, 2)).dimensions, ['amount', 'zip', 'empty', 'customer_id']);
});

test('long only when every sampled value is an integer within ±2^53', () => {
  const schema = (values: string[]) =>
    inferSchema(
      ['ts', 'v'],
      values.map((v) => ['2025-01-01', v]),
    ).metrics[0];
  assert.deepEqual(schema(['1', '-2', '1e3', '9007199254740992']), { name: 'v', type: 'long' });
  assert.deepEqual(schema(['1', '2.5']), { name: 'v', type: 'double' });
  assert.deepEqual(schema(['1', '9007199254740994']), { name: 'v', type: 'double' });
});

test('header names: non-empty, unique (case-insensitive), not reserved', () => {
  assert.doesNotThrow(() => checkHeaderNames(['date', 'region']));
  for (const names of [
    ['date', ''],
    ['date', 'Date'],
    ['date', 'x', 'x'],
    ['__time', 'date'],
    ['date', '__TASK_ID'],
  ]) {
    assert.throws(() => checkHeaderNames(names), { code: 'INVALID_HEADER' }, JSON.stringify(names));
  }
});
