import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { validate } from '../ingest/testSupport.ts';
import { DuckDbAnalyticsStore } from './DuckDbAnalyticsStore.ts';

for (const delimiter of [',', '\t', ';'] as const) {
  test(`the compact CSV of validated rows loads into DuckDB value for value: quotes, delimiters, line breaks, spaces, non-ASCII, nulls, a 3 MB row (delimiter ${JSON.stringify(delimiter)})`, async () => {
    const long = 'ü'.repeat(1_500_000);
    const cells = [
      ' padded ',
      'a,b',
      'a\tb',
      'a;b',
      'say "hi"',
      'two\nlines',
      'cr\rhere',
      'Café 😀',
      '',
      long,
      '5" screen',
    ];
    const csv = [
      ['sold_at', 'label', 'units', 'amount'].join(delimiter),
      ...cells.map((label, i) => {
        const quoted =
          /[",\t;\r\n]/.test(label) && !label.startsWith('5"') ? `"${label.replaceAll('"', '""')}"` : label;
        return [`2025-03-0${1 + (i % 9)}T10:00:${10 + i}.25${i}Z`, quoted, i % 3 === 0 ? '' : i, i * 1.5].join(
          delimiter,
        );
      }),
    ].join('\n');
    const format = delimiter === '\t' ? 'tsv' : 'csv';
    const result = validate(`${csv}\n`, { format, delimiter, output: 'csv', taskId: 'task-csv' });
    assert.equal(result.error, null);
    const summary = result.summary;
    assert.ok(summary);
    assert.equal(summary.rowsValid, cells.length);
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-duck-'));
    try {
      const validatedFile = path.join(dir, 'validated.csv');
      await writeFile(validatedFile, result.output);
      const store = await DuckDbAnalyticsStore.open(dir);
      await store.load({
        storeName: 'sales',
        schema: summary.schema,
        taskId: 'task-csv',
        attempt: 1,
        validatedFile,
        rowCount: summary.rowsValid,
        csvLayout: {
          columns: ['sold_at', 'label', 'units', 'amount'],
          delimiter,
          longestRowBytes: Math.max(...result.output.split('\n').map((line) => Buffer.byteLength(line) + 1)),
        },
        mode: 'APPEND',
        interval: null,
        previousStoreTaskId: null,
        ledger: { rowsValid: summary.rowsValid, metricSums: summary.metricSums },
        beginCommit: async () => true,
      });
      await store.close();
      const instance = await DuckDBInstance.create(path.join(dir, 'analytics.duckdb'));
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll(
        `SELECT epoch_ms(__time)::DOUBLE AS ms, label, units::DOUBLE AS units, amount, __task_id FROM sales ORDER BY __time`,
      );
      const rows = reader.getRowObjects();
      connection.closeSync();
      instance.closeSync();
      // the 3 MB value is compared by its length and equality, so that a failure prints readably
      const shown = (label: unknown) =>
        typeof label === 'string' && label.length > 100 ? `${label.length} chars, ${label === long}` : label;
      assert.deepEqual(
        rows.map((r) => [r.ms, shown(r.label), r.units, r.amount, r.__task_id]),
        cells
          .map((label, i) => [
            Date.parse(`2025-03-0${1 + (i % 9)}T10:00:${10 + i}.25${i}Z`),
            label === '' ? null : shown(label),
            i % 3 === 0 ? null : i,
            i * 1.5,
            'task-csv',
          ])
          .sort((a, b) => (a[0] as number) - (b[0] as number)),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
