import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../errors/AppError.ts';
import type { DataSourceSchema } from '../../ingest/types.ts';
import { druidTaskId, type IngestionSpecInput, ingestionSpec, s3Uri } from './ingestionSpec.ts';

const schema: DataSourceSchema = {
  timestampColumn: 'ts',
  dimensions: ['store', 'region'],
  metrics: [
    { name: 'units', type: 'long' },
    { name: 'revenue', type: 'double' },
  ],
};
const day = { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-03-02T00:00:00Z') };
const input: IngestionSpecInput = {
  storeName: 'sales',
  schema,
  taskId: '0b5e6c3e-1f0e-4c7b-9a51-3f1f0a8e2d11',
  attempt: 1,
  s3Uri: 's3://tributary/validated/0b5e6c3e.jsonl',
  mode: 'APPEND',
  interval: day,
  concurrentAppend: true,
};

// biome-ignore lint/suspicious/noExplicitAny: the spec is free-form JSON; the test walks it.
const spec = (overrides: Partial<IngestionSpecInput> = {}): any => ingestionSpec({ ...input, ...overrides });

describe('druidTaskId', () => {
  test('is deterministic per task and attempt', () => {
    assert.equal(druidTaskId(input.taskId, 1), `tributary_${input.taskId}_a1`);
    assert.equal(druidTaskId(input.taskId, 1), druidTaskId(input.taskId, 1));
    assert.notEqual(druidTaskId(input.taskId, 1), druidTaskId(input.taskId, 2));
  });

  test('keeps to [A-Za-z0-9_-] and stays unique when it has to alter the task id', () => {
    const a = druidTaskId('a/b c', 1);
    const b = druidTaskId('a_b_c', 1);
    const c = druidTaskId('a b/c', 1);
    for (const id of [a, b, c]) assert.match(id, /^tributary_[A-Za-z0-9_-]+_a1$/);
    assert.equal(b, 'tributary_a_b_c_a1');
    assert.notEqual(a, b);
    assert.notEqual(a, c);
    assert.ok(druidTaskId('x'.repeat(500), 3).length <= 120);
    assert.ok(druidTaskId('', 1).startsWith('tributary__'));
  });

  test('rejects attempts that are not positive integers', () => {
    assert.throws(() => druidTaskId('t', 0), RangeError);
    assert.throws(() => druidTaskId('t', 1.5), RangeError);
  });
});

describe('ingestionSpec', () => {
  test('a native index_parallel task with the deterministic id', () => {
    const s = spec();
    assert.equal(s.type, 'index_parallel');
    assert.equal(s.id, `tributary_${input.taskId}_a1`);
    assert.equal(spec({ attempt: 2 }).id, `tributary_${input.taskId}_a2`);
    assert.equal(s.spec.dataSchema.dataSource, 'sales');
  });

  test('reads the JSON-lines file from S3 with __time as an ISO timestamp', () => {
    const s = spec();
    assert.deepEqual(s.spec.ioConfig.inputSource, { type: 's3', uris: ['s3://tributary/validated/0b5e6c3e.jsonl'] });
    assert.deepEqual(s.spec.ioConfig.inputFormat, { type: 'json' });
    assert.deepEqual(s.spec.dataSchema.timestampSpec, { column: '__time', format: 'iso' });
  });

  test('dimensions are strings, with the lineage column last', () => {
    assert.deepEqual(spec().spec.dataSchema.dimensionsSpec.dimensions, [
      { type: 'string', name: 'store' },
      { type: 'string', name: 'region' },
      { type: 'string', name: '__task_id' },
    ]);
  });

  test('metrics: a row count, then a longSum/doubleSum per schema metric under its own name', () => {
    assert.deepEqual(spec().spec.dataSchema.metricsSpec, [
      { type: 'count', name: '__row_count' },
      { type: 'longSum', name: 'units', fieldName: 'units' },
      { type: 'doubleSum', name: 'revenue', fieldName: 'revenue' },
    ]);
  });

  test('day segments, no rollup, no query granularity, the whole days of the file', () => {
    assert.deepEqual(spec().spec.dataSchema.granularitySpec, {
      type: 'uniform',
      segmentGranularity: 'DAY',
      queryGranularity: 'NONE',
      rollup: false,
      intervals: ['2025-03-01T00:00:00.000Z/2025-03-02T00:00:00.000Z'],
    });
  });

  test('concurrent locks for a REPLACE, and for an APPEND whose days hold committed rows; else an exclusive lock', () => {
    assert.deepEqual(spec({ mode: 'APPEND' }).context, { useConcurrentLocks: true });
    assert.deepEqual(spec({ mode: 'APPEND', concurrentAppend: false }).context, {});
    assert.deepEqual(spec({ mode: 'REPLACE', concurrentAppend: false }).context, { useConcurrentLocks: true });
  });

  test('tuning: no parse exception tolerated, 10 saved, one sub-task (sequential mode)', () => {
    const t = spec().spec.tuningConfig;
    assert.equal(t.type, 'index_parallel');
    assert.equal(t.maxParseExceptions, 0);
    assert.equal(t.maxSavedParseExceptions, 10);
    assert.equal(t.maxNumConcurrentSubTasks, 1);
    assert.equal(t.logParseExceptions, true);
    assert.deepEqual(t.partitionsSpec, { type: 'dynamic' });
  });

  test('APPEND appends, and names its days so that its lock is taken (or waited for) before it starts', () => {
    const s = spec({ mode: 'APPEND' });
    assert.equal(s.spec.ioConfig.appendToExisting, true);
    assert.equal('dropExisting' in s.spec.ioConfig, false);
    assert.deepEqual(s.spec.dataSchema.granularitySpec.intervals, [
      '2025-03-01T00:00:00.000Z/2025-03-02T00:00:00.000Z',
    ]);
  });

  test('REPLACE overwrites exactly the interval, dropping what was there', () => {
    const s = spec({ mode: 'REPLACE', interval: { start: day.start, end: new Date('2025-03-03T00:00:00Z') } });
    assert.equal(s.spec.ioConfig.appendToExisting, false);
    assert.equal(s.spec.ioConfig.dropExisting, true);
    assert.deepEqual(s.spec.dataSchema.granularitySpec.intervals, [
      '2025-03-01T00:00:00.000Z/2025-03-03T00:00:00.000Z',
    ]);
  });

  test('column names the spec uses itself are refused as INVALID_HEADER', () => {
    assert.throws(
      () => spec({ schema: { ...schema, metrics: [{ name: '__row_count', type: 'long' }] } }),
      (e: unknown) => e instanceof AppError && e.code === 'INVALID_HEADER' && /"__row_count"/.test(e.details ?? ''),
    );
  });

  test('the spec is plain JSON and the same for the same input', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(spec())), spec());
    assert.deepEqual(spec(), spec());
  });
});

describe('s3Uri', () => {
  test('joins bucket and key', () => {
    assert.equal(s3Uri('tributary', 'validated/a b.jsonl'), 's3://tributary/validated/a b.jsonl');
    assert.equal(s3Uri('tributary', '/k.jsonl'), 's3://tributary/k.jsonl');
  });
});
