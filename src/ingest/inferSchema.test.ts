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

test('among the timestamp candidates whose values parse, one that names the sale wins, else the first', () => {
  const header = ['updated_at', 'created_at', 'v'];
  // updated_at holds text, so created_at is the timestamp
  assert.equal(inferSchema(header, [['soon', '2025-01-01', '1']]).timestampColumn, 'created_at');
  // both parse: "created" names the moment of the sale
  assert.equal(inferSchema(header, [['2025-01-02', '2025-01-01', '1']]).timestampColumn, 'created_at');
  assert.equal(
    inferSchema(['Ship Date', 'Order Date', 'Sales'], [['1/3/2025', '1/13/2025', '5']]).timestampColumn,
    'Order Date',
  );
  assert.equal(
    inferSchema(['Ship Date', 'Due Date', 'v'], [['1/13/2025', '1/14/2025', '5']]).timestampColumn,
    'Ship Date',
  );
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

test('names as people write them: case, spaces, "-", ".", "_" and camelCase are one shape', () => {
  for (const name of [
    'Order Date',
    'OrderDate',
    'order-date',
    'ORDER_DATE',
    'order.date',
    'Flight Date',
    'createdAt',
    'Datum',
  ])
    assert.ok(isTimestampName(name), name);
  for (const name of ['Update', 'Dates', 'At', 'Sales', 'Customer Name']) assert.ok(!isTimestampName(name), name);
  for (const name of [
    'Row ID',
    'CustomerId',
    'Postal Code',
    'ZIP',
    'Order Number',
    'Invoice No',
    'Year',
    'Fiscal Quarter',
  ])
    assert.ok(isIdentifierName(name), name);
  for (const name of ['Sales', 'Quantity', 'Discount', 'Sales Last Year', 'Identity Score'])
    assert.ok(!isIdentifierName(name), name);
});

test('a store-sales export: "Order Date" is the timestamp, "Row ID" and "Postal Code" stay dimensions', () => {
  const header = [
    'Row ID',
    'Order ID',
    'Order Date',
    'Ship Date',
    'Postal Code',
    'Sales',
    'Quantity',
    'Discount',
    'Profit',
  ];
  const rows = [
    ['1', 'CA-2016-152156', '2016-11-08', '2016-11-11', '42420', '261.96', '2', '0', '41.9136'],
    ['2', 'CA-2016-152156', '2016-11-08', '2016-11-11', '42420', '731.94', '3', '0', '219.582'],
  ];
  assert.deepEqual(inferSchema(header, rows), {
    timestampColumn: 'Order Date',
    dimensions: ['Row ID', 'Order ID', 'Ship Date', 'Postal Code'],
    metrics: [
      { name: 'Sales', type: 'double' },
      { name: 'Quantity', type: 'long' },
      { name: 'Discount', type: 'long' },
      { name: 'Profit', type: 'double' },
    ],
  });
});

test('other date formats, ambiguity, and what the upload says', () => {
  assert.equal(inferSchema(['date', 'price'], [['Jan 1 2000', '25.94']]).timestampColumn, 'date');
  assert.throws(
    () =>
      inferSchema(
        ['Order Date', 'Sales'],
        [
          ['3/4/2025', '1'],
          ['5/6/2025', '2'],
        ],
      ),
    (e: unknown) => e instanceof AppError && e.code === 'AMBIGUOUS_DATE_FORMAT' && /"Order Date"/.test(e.details ?? ''),
  );
  assert.deepEqual(inferSchema(['Order Date', 'Sales'], [['3/4/2025', '1']], { dateOrder: 'DMY' }), {
    timestampColumn: 'Order Date',
    dimensions: [],
    metrics: [{ name: 'Sales', type: 'long' }],
    dateOrder: 'DMY',
  });
  // A column without a date word in its name, named by the upload.
  assert.equal(
    inferSchema(['when', 'units'], [['2025-01-01', '1']], { timestampColumn: 'When' }).timestampColumn,
    'when',
  );
  assert.throws(
    () => inferSchema(['when', 'units'], [['2025-01-01', '1']], { timestampColumn: 'nope' }),
    (e: unknown) => e instanceof AppError && e.code === 'NO_TIMESTAMP_COLUMN' && /"nope"/.test(e.details ?? ''),
  );
  // Money with a decimal comma and currency: a double metric.
  const euro = inferSchema(
    ['Datum', 'Umsatz', 'Menge'],
    [
      ['31.01.2025', '1.234,50 €', '3'],
      ['1.2.2025', '12,00 €', '1'],
    ],
  );
  assert.deepEqual(euro.metrics, [
    { name: 'Umsatz', type: 'double' },
    { name: 'Menge', type: 'long' },
  ]);
});
