import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowValidator } from './RowValidator.ts';
import { outputRows, validate } from './testSupport.ts';
import type { DataSourceSchema } from './types.ts';

const salesCsv = [
  'order_id,order_date,region,quantity,amount',
  'A1,2025-03-01T10:00:00Z,EMEA,2,10.5',
  'A2,2025-03-01 11:30,"Americas, North",,7',
  'A3,2025-03-02,,3,-0.25',
  '',
].join('\n');

test('writes one exact JSON line per valid row, schema order, task id last', () => {
  const result = validate(salesCsv, { taskId: 'task-"7"' });
  assert.equal(result.error, null);
  assert.equal(
    result.output,
    [
      '{"__time":"2025-03-01T10:00:00.000Z","order_id":"A1","region":"EMEA","quantity":2,"amount":10.5,"__task_id":"task-\\"7\\""}',
      '{"__time":"2025-03-01T11:30:00.000Z","order_id":"A2","region":"Americas, North","quantity":null,"amount":7,"__task_id":"task-\\"7\\""}',
      '{"__time":"2025-03-02T00:00:00.000Z","order_id":"A3","region":null,"quantity":3,"amount":-0.25,"__task_id":"task-\\"7\\""}',
      '',
    ].join('\n'),
  );
  assert.deepEqual(result.summary, {
    schema: {
      timestampColumn: 'order_date',
      dimensions: ['order_id', 'region'],
      metrics: [
        { name: 'quantity', type: 'long' },
        { name: 'amount', type: 'double' },
      ],
    },
    rowsTotal: 3,
    rowsValid: 3,
    rowsRejected: 0,
    minTime: Date.parse('2025-03-01T10:00:00Z'),
    maxTime: Date.parse('2025-03-02T00:00:00Z'),
    metricSums: { quantity: 5, amount: 17.25 },
    rejectionCounts: {},
  });
});

test('escapes dimension values and keys as JSON', () => {
  const csv = 'date,"we""ird\tkey",v\n2025-01-01,"a\\b ""c""\nd\u0001",1\n';
  const result = validate(csv);
  const [row] = outputRows(result.output);
  assert.deepEqual(row, {
    __time: '2025-01-01T00:00:00.000Z',
    'we"ird\tkey': 'a\\b "c"\nd\u0001',
    v: 1,
    __task_id: 'task-1',
  });
  // non-ASCII is written as \u escapes, so the output is ASCII
  const accents = validate('date,näme\n2025-01-01,Café 😀\n', { taskId: 'tâche' });
  assert.equal(
    accents.output,
    '{"__time":"2025-01-01T00:00:00.000Z","n\\u00e4me":"Caf\\u00e9 \\ud83d\\ude00","__task_id":"t\\u00e2che"}\n',
  );
  assert.deepEqual(outputRows(accents.output), [
    { __time: '2025-01-01T00:00:00.000Z', näme: 'Café 😀', __task_id: 'tâche' },
  ]);
});

test('each rejection code, with line, column, message and raw', () => {
  const csv = [
    'date,region,qty,price', // 1
    '2025-01-01,EMEA,1,1.5', // 2 valid: qty long, price double
    '2025-01-01,EMEA,1', // 3
    ',EMEA,1,1', // 4
    '2025-02-30,EMEA,1,1', // 5
    '2025-01-01,EMEA,abc,1', // 6
    '2025-01-01,EMEA,1.5,1', // 7
    '2025-01-01,EMEA,1,1e309', // 8
    '2025-01-01,"multi', // 9
    'line",1,2', // 10 (same row as 9: valid)
    '2025-01-01,EMEA, 12 ,-0', // 11 valid
    '2025-01-01,"unclosed,1,2', // 12
    '',
  ].join('\r\n');
  const result = validate(csv, { sampleRows: 3 });
  assert.equal(result.error, null);
  assert.deepEqual(
    result.rejections.map((r) => [r.line, r.column, r.code, r.message]),
    [
      [3, null, 'FIELD_COUNT_MISMATCH', 'expected 4 fields, found 3'],
      [4, 'date', 'MISSING_TIMESTAMP', 'The timestamp is empty.'],
      [5, 'date', 'INVALID_TIMESTAMP', '"2025-02-30" is not an ISO 8601 timestamp of a real date and time.'],
      [
        6,
        'qty',
        'INVALID_NUMBER',
        '"abc" is not a number (expected e.g. 1234.56, 1,234.56, $1,234.56, (1,234.56) or 12.5%).',
      ],
      [7, 'qty', 'INVALID_INTEGER', '"1.5" is not an integer (the column holds whole numbers).'],
      [
        8,
        'price',
        'INVALID_NUMBER',
        '"1e309" is not a number (expected e.g. 1234.56, 1,234.56, $1,234.56, (1,234.56) or 12.5%).',
      ],
      [12, null, 'UNCLOSED_QUOTE', 'A quoted field is not closed before the end of the file.'],
    ],
  );
  assert.equal(result.rejections[0]?.raw, '2025-01-01,EMEA,1');
  assert.equal(result.rejections[6]?.raw, '2025-01-01,"unclosed,1,2\r\n');
  assert.deepEqual(
    outputRows(result.output).map((r) => [r.region, r.qty, r.price]),
    [
      ['EMEA', 1, 1.5],
      ['multi\r\nline', 1, 2],
      ['EMEA', 12, 0],
    ],
  );
  assert.deepEqual([result.summary?.rowsTotal, result.summary?.rowsValid, result.summary?.rowsRejected], [10, 3, 7]);
});

test('INVALID_ENCODING rejects rows with bytes that are not UTF-8', () => {
  const bytes = Buffer.concat([
    Buffer.from('date,name,v\n2025-01-01,café,1\n2025-01-01,caf'),
    Buffer.from([0xe9]),
    Buffer.from(',2\n2025-01-01,ok,3\n'),
  ]);
  const result = validate(bytes);
  assert.deepEqual(
    result.rejections.map((r) => [r.line, r.code, r.raw]),
    [[3, 'INVALID_ENCODING', '2025-01-01,caf\ufffd,2']],
  );
  assert.deepEqual(
    outputRows(result.output).map((r) => r.name),
    ['café', 'ok'],
  );
});

test('task-level failures are AppErrors', () => {
  const cases: [string, Parameters<typeof validate>[1], string, RegExp][] = [
    ['', {}, 'EMPTY_FILE', /no header/],
    ['\n\n', {}, 'EMPTY_FILE', /no header/],
    ['date,v\n', {}, 'NO_DATA_ROWS', /no data rows/],
    ['date,v\n\n\r\n', {}, 'NO_DATA_ROWS', /no data rows/],
    ['region,v\nEMEA,1\n', {}, 'NO_TIMESTAMP_COLUMN', /"region", "v"/],
    ['date;amount\n2025-01-01;5\n', {}, 'NO_TIMESTAMP_COLUMN', /"date;amount"/],
    ['date,v\nsoon,1\n', {}, 'NO_TIMESTAMP_COLUMN', /Columns/],
    ['date,,v\n2025-01-01,1,2\n', {}, 'INVALID_HEADER', /no name/],
    ['date,v,V\n2025-01-01,1,2\n', {}, 'INVALID_HEADER', /same name/],
    ['date,__time\n2025-01-01,1\n', {}, 'INVALID_HEADER', /reserved/],
    ['date,"unclosed\n', {}, 'INVALID_HEADER', /unclosed/],
    ['', { format: 'jsonl' }, 'EMPTY_FILE', /no lines/],
    ['{"date":"2025-01-01","__task_id":"x"}\n', { format: 'jsonl' }, 'INVALID_HEADER', /reserved/],
  ];
  for (const [input, options, code, details] of cases) {
    const result = validate(input, options);
    assert.equal(result.error?.code, code, JSON.stringify(input));
    assert.match(result.error?.details ?? '', details, JSON.stringify(input));
  }
});

const storedSchema: DataSourceSchema = {
  timestampColumn: 'ts',
  dimensions: ['region', 'sku'],
  metrics: [{ name: 'qty', type: 'long' }],
};

test('with a stored schema: columns in any order, output in schema order', () => {
  const result = validate('qty,sku,ts,region\n3,X1,2025-01-01,EMEA\n2.5,X2,2025-01-02,APAC\n', {
    schema: storedSchema,
  });
  assert.equal(
    result.output,
    '{"__time":"2025-01-01T00:00:00.000Z","region":"EMEA","sku":"X1","qty":3,"__task_id":"task-1"}\n',
  );
  assert.deepEqual(
    result.rejections.map((r) => [r.line, r.code]),
    [[3, 'INVALID_INTEGER']],
  );
  assert.deepEqual(result.summary?.schema, storedSchema);
});

test('SCHEMA_MISMATCH lists missing and extra columns', () => {
  const result = validate('ts,region,qty,colour\n2025-01-01,EMEA,1,red\n', { schema: storedSchema });
  assert.equal(result.error?.code, 'SCHEMA_MISMATCH');
  assert.equal(result.error?.details, 'missing columns: "sku"; extra columns: "colour".');
  const json = validate('{"ts":"2025-01-01","region":"x","extra":1}\n', { schema: storedSchema, format: 'jsonl' });
  assert.equal(json.error?.code, 'SCHEMA_MISMATCH');
  assert.equal(json.error?.details, 'extra columns: "extra".');
});

test('JSON lines: union of sampled keys, nulls, numeric strings, nested values, bad lines', () => {
  const lines = [
    '{"ts":"2025-01-01T00:00:00Z","region":"EMEA","qty":1}',
    '',
    '{"ts":"2025-01-02","qty":"2","tags":["a",{"b":1}],"flag":true}',
    '[1,2]',
    '{"ts":"2025-01-03",',
    '{"ts":"2025-01-04","qty":null,"region":7}',
    '{"ts":"2025-01-05","qty":1.5}',
    '{"ts":"2025-01-06","qty":3,"surprise":1}',
    '{"ts":1735689600000,"qty":3}',
  ];
  const result = validate(lines.join('\r\n'), { format: 'jsonl', sampleRows: 4 });
  assert.equal(result.error, null);
  assert.deepEqual(result.summary?.schema, {
    timestampColumn: 'ts',
    dimensions: ['region', 'tags', 'flag'],
    metrics: [{ name: 'qty', type: 'long' }],
  });
  assert.deepEqual(outputRows(result.output), [
    { __time: '2025-01-01T00:00:00.000Z', region: 'EMEA', tags: null, flag: null, qty: 1, __task_id: 'task-1' },
    {
      __time: '2025-01-02T00:00:00.000Z',
      region: null,
      tags: '["a",{"b":1}]',
      flag: 'true',
      qty: 2,
      __task_id: 'task-1',
    },
    { __time: '2025-01-04T00:00:00.000Z', region: '7', tags: null, flag: null, qty: null, __task_id: 'task-1' },
  ]);
  assert.deepEqual(
    result.rejections.map((r) => [r.line, r.code, r.column]),
    [
      [4, 'INVALID_JSON', null],
      [5, 'INVALID_JSON', null],
      [7, 'INVALID_INTEGER', 'qty'],
      [8, 'UNKNOWN_FIELD', 'surprise'],
      [9, 'INVALID_TIMESTAMP', 'ts'],
    ],
  );
  assert.match(result.rejections[0]?.message ?? '', /not an object/);
});

test('rows after the sample are validated against the inferred schema', () => {
  const rows = Array.from(
    { length: 30 },
    (_, i) => `2025-01-${String((i % 28) + 1).padStart(2, '0')},r${i % 3},${i === 20 ? 'x' : i}`,
  );
  const csv = `date,region,v\n${rows.join('\n')}\n`;
  // the sample does not see the "x": v is a long metric and the x row is rejected
  const small = validate(csv, { sampleRows: 5 });
  assert.deepEqual(small.summary?.schema.metrics, [{ name: 'v', type: 'long' }]);
  assert.deepEqual(
    small.rejections.map((r) => [r.line, r.code]),
    [[22, 'INVALID_NUMBER']],
  );
  // the sample sees it: 29 of 30 numeric is below 99 %, so v is a dimension and nothing is rejected
  const all = validate(csv, { sampleRows: 1000 });
  assert.deepEqual(all.summary?.schema.dimensions, ['region', 'v']);
  assert.equal(all.rejections.length, 0);
});

test('robustness: NUL bytes, mixed line endings, BOM, odd numbers', () => {
  const csv = '\ufeffdate,name,v\r\n2025-01-01,a\u0000b,1e3\r2025-01-02,-,-0\n2025-01-03,x, 12 \r\n';
  const result = validate(csv);
  assert.equal(result.error, null);
  assert.deepEqual(
    outputRows(result.output).map((r) => [r.__time, r.name, r.v]),
    [
      ['2025-01-01T00:00:00.000Z', 'a\u0000b', 1000],
      ['2025-01-02T00:00:00.000Z', '-', 0],
      ['2025-01-03T00:00:00.000Z', 'x', 12],
    ],
  );
  assert.ok(result.output.includes('"a\\u0000b"'));
});

test('robustness: a 1 MB field and 10,000 columns (when MAX_COLUMNS allows them)', () => {
  const big = 'z'.repeat(1_000_000);
  const result = validate(`date,text\n2025-01-01,"${big}"\n2025-01-02,${big}\n`, {}, [500_000, 1_200_000]);
  assert.deepEqual(
    outputRows(result.output).map((r) => (r.text as string).length),
    [1_000_000, 1_000_000],
  );
  const names = ['date', ...Array.from({ length: 9_999 }, (_, i) => `c${i}`)];
  const values = ['2025-01-01', ...Array.from({ length: 9_999 }, (_, i) => String(i))];
  const wide = validate(`${names.join(',')}\n${values.join(',')}\n`, { maxColumns: 10_000 }, [20_000, 40_000]);
  assert.equal(wide.summary?.schema.metrics.length, 9_999);
  assert.equal(outputRows(wide.output)[0]?.c9998, 9_998);
});

test('more columns than MAX_COLUMNS (default 500) is TOO_MANY_COLUMNS, for CSV and JSON lines', () => {
  const header = ['date', ...Array.from({ length: 500 }, (_, i) => `c${i}`)];
  assert.equal(validate(`${header.join(',')}\n`).error?.code, 'TOO_MANY_COLUMNS');
  assert.equal(validate(`${header.slice(0, 500).join(',')}\n2025-01-01${',1'.repeat(499)}\n`).error, null);
  const keys = Object.fromEntries(header.map((name) => [name, name === 'date' ? '2025-01-01' : 1]));
  assert.equal(validate(`${JSON.stringify(keys)}\n`, { format: 'jsonl' }).error?.code, 'TOO_MANY_COLUMNS');
});

test('a column name longer than 128 characters is INVALID_HEADER', () => {
  const result = validate(`date,${'n'.repeat(129)}\n2025-01-01,1\n`);
  assert.equal(result.error?.code, 'INVALID_HEADER');
  assert.match(result.error?.details ?? '', /129 characters; names are at most 128/);
  assert.equal(validate(`date,${'n'.repeat(128)}\n2025-01-01,1\n`).error, null);
});

test('the schema sample holds a bounded number of bytes: huge rows end it early, every row is still checked', () => {
  const huge = 'q'.repeat(4 * 1024 * 1024);
  const rows = Array.from({ length: 6 }, (_, i) => `2025-01-0${i + 1},${huge},${i}`);
  const validator = new RowValidator({ format: 'csv', schema: null, taskId: 't' });
  validator.push(Buffer.from(`date,note,units\n${rows.slice(0, 2).join('\n')}\n`));
  // Two 4 MiB rows reach the 8 MiB sample budget: the schema is inferred now, not after 1,000 rows.
  assert.equal(validator.schema?.timestampColumn, 'date');
  validator.push(Buffer.from(`${rows.slice(2).join('\n')}\n`));
  validator.end();
  assert.deepEqual([validator.rowsTotal, validator.rowsValid], [6, 6]);
});

test('a UTF-8 BOM split across chunks is still stripped', () => {
  const bytes = Buffer.from('\ufeffdate,v\n2025-01-01,1\n');
  for (const cuts of [[1], [2], [1, 2], [3]]) {
    const result = validate(bytes, {}, cuts);
    assert.equal(result.summary?.schema.timestampColumn, 'date', JSON.stringify(cuts));
  }
});

test('live counters and schema getter', () => {
  const validator = new RowValidator({ format: 'csv', schema: null, taskId: 't', sampleRows: 2 });
  validator.push(Buffer.from('date,v\n2025-01-01,1\n'));
  const schemaNow = () => validator.schema;
  assert.equal(schemaNow(), null);
  assert.equal(validator.rowsTotal, 0);
  validator.push(Buffer.from('2025-01-02,x\n2025-01-03,3\n'));
  assert.equal(schemaNow()?.timestampColumn, 'date');
  assert.deepEqual([validator.rowsTotal, validator.rowsValid, validator.rowsRejected], [3, 3, 0]);
  validator.end();
  assert.throws(() => validator.push(Buffer.from('x')));
});

test('past maxRejectionDetails, rejected rows are counted per code but not kept: memory stays flat', () => {
  const bad = Array.from({ length: 50_000 }, () => 'x').join('\n');
  const csv = `date,units\n2025-01-01,1\n${bad}\n2025-01-02,not-a-number\n`;
  const validator = new RowValidator({ format: 'csv', schema: null, taskId: 't', maxRejectionDetails: 10 });
  const kept = [...validator.push(Buffer.from(csv)).rejections, ...validator.end().rejections];
  assert.equal(kept.length, 10);
  const summary = validator.summary();
  assert.equal(summary.rowsRejected, 50_001);
  assert.deepEqual(summary.rejectionCounts, { FIELD_COUNT_MISMATCH: 50_000, INVALID_NUMBER: 1 });
});
