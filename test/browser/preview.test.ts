import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { graphql } from '../support/client.ts';
import { ambiguousExport } from '../support/realExports.ts';
import { startBrowserApp } from './browser.ts';

test('an ambiguous file: the preview shows it, the user picks the column and the date order, uploads, SUCCEEDED; the next upload needs no choice', async () => {
  const b = await startBrowserApp();
  const { page } = b;
  try {
    await page.goto('/');
    const { content, rows } = ambiguousExport();
    // Two columns that could hold the time: "Order Date" (ambiguous) and "Ship Date".
    const text = content
      .toString()
      .split('\n')
      .map((line, i) => (line === '' ? line : i === 0 ? `Ship Date,${line}` : `2025-06-30,${line}`))
      .join('\n');
    const file = path.join(b.filesDir, 'orders-eu.csv');
    await writeFile(file, text);
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByLabel('Data source', { exact: true }).fill('orders_eu');
    const item = page.getByRole('listitem', { name: 'orders-eu.csv' });
    const preview = item.getByRole('region', { name: 'Preview of orders-eu.csv' });
    await preview.getByRole('alert').filter({ hasText: 'AMBIGUOUS_DATE_FORMAT' }).waitFor();
    assert.match((await preview.getByRole('alert').textContent()) ?? '', /"Order Date"/);
    await b.screenshot('20-preview-ambiguous');

    await preview.getByLabel('Timestamp column').selectOption('Order Date');
    await preview.getByLabel('Date order').selectOption('DMY');
    // The rows as they would be stored: "1/1/2025" is 1 January, "2/6/2025" is 2 June.
    const firstRows = preview.locator('table.preview-rows tbody tr');
    await firstRows.nth(1).filter({ hasText: '2025-06-02T00:00:00.000Z' }).waitFor();
    assert.equal(await preview.getByRole('alert').count(), 0, 'no problem left');
    assert.deepEqual(await preview.locator('table.preview-rows thead th').allTextContents(), [
      '__time',
      'Ship Date',
      'Units',
    ]);
    await b.screenshot('21-preview-chosen');

    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const status = item.locator('.tracker .status');
    await status.filter({ hasText: /^(Succeeded|Failed|Cancelled)$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await status.textContent(), 'Succeeded');
    const schema = await graphql<{ dataSourceSchema: { timestampColumn: string; dateOrder: string | null } }>(
      b.app,
      '{ dataSourceSchema(dataSourceName: "orders_eu") { timestampColumn dateOrder } }',
    );
    assert.deepEqual(schema.data?.dataSourceSchema, { timestampColumn: 'Order Date', dateOrder: 'DMY' });

    // The next upload to that data source needs no choice: the server keeps it with the data source (this browser's
    // memory of it is cleared first, to show that).
    await page.evaluate(() => localStorage.clear());
    await page.goto('/');
    const next = path.join(b.filesDir, 'orders-eu-2.csv');
    await writeFile(next, `${text}2025-06-30,12/11/2025,99\n`); // another file (the same one again is DUPLICATE_FILE)
    await page.locator('input[type=file]').setInputFiles(next);
    await page.getByLabel('Data source', { exact: true }).fill('orders_eu');
    const nextItem = page.getByRole('listitem', { name: 'orders-eu-2.csv' });
    const nextPreview = nextItem.getByRole('region', { name: 'Preview of orders-eu-2.csv' });
    await nextPreview.locator('table.preview-rows tbody tr').nth(1).filter({ hasText: '2025-06-02' }).waitFor();
    assert.equal(await nextPreview.getByLabel('Date order').inputValue(), '', 'nothing chosen this time');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const nextStatus = nextItem.locator('.tracker .status');
    await nextStatus.filter({ hasText: /^(Succeeded|Failed|Cancelled)$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await nextStatus.textContent(), 'Succeeded');
    const summary = await graphql<{ dataSourceSummary: { rowCount: number } }>(
      b.app,
      '{ dataSourceSummary(dataSourceName: "orders_eu") { rowCount } }',
    );
    assert.equal(summary.data?.dataSourceSummary.rowCount, 2 * rows + 1);
  } finally {
    await b.close();
  }
});
