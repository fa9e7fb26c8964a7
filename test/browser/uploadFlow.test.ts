import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { graphql } from '../support/client.ts';
import { sampleSalesCsv } from '../support/sampleSales.ts';
import { startBrowserApp } from './browser.ts';

/** Runs in the page (the tests' tsconfig has no DOM types, hence the cast). */
function uploadEnabled(): boolean {
  const page = globalThis as unknown as {
    document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null; disabled: boolean }> };
  };
  return Array.from(page.document.querySelectorAll('button')).some(
    (button) => button.textContent?.trim() === 'Upload' && !button.disabled,
  );
}

test('a CSV with bad rows: upload through the page, tracker reaches Succeeded, rejections table and CSV download', async () => {
  const b = await startBrowserApp();
  const { page } = b;
  try {
    // Load → interactive: navigation start (performance time 0) to the Upload button enabled (after `me` answered).
    await page.goto('/');
    // A function, not a string: Playwright evaluates a string again on every poll, which the CSP (no 'unsafe-eval')
    // refuses once the first check has failed; a function is evaluated once.
    await page.waitForFunction(uploadEnabled, undefined, { polling: 'raf' });
    const interactiveMs = (await page.evaluate('performance.now()')) as number;
    console.log(`# page load to Upload enabled: ${interactiveMs.toFixed(0)} ms`);
    await writeFile(path.join(b.filesDir, '..', 'tributary-interactive.json'), JSON.stringify({ interactiveMs })).catch(
      () => {},
    );
    await b.screenshot('01-uploader');

    const sample = sampleSalesCsv(200);
    const file = path.join(b.filesDir, 'march-sales.csv');
    await writeFile(file, sample.csv);
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByLabel('Data source', { exact: true }).fill('sales');
    const item = page.getByRole('listitem', { name: 'march-sales.csv' });
    await item.getByText('Ready').waitFor();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    const status = item.locator('.tracker .status');
    await status.filter({ hasText: /^(Succeeded|Failed|Cancelled)$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await status.textContent(), 'Succeeded');
    const ledger = async (label: string) => (await item.locator(`.ledger-${label} dd`).textContent())?.trim();
    assert.equal(await ledger('total'), String(sample.rowsTotal));
    assert.equal(await ledger('valid'), String(sample.rowsValid));
    assert.equal(await ledger('rejected'), String(sample.rejections.length));
    assert.equal(await ledger('loaded'), String(sample.rowsValid));
    // The timeline shows each state the task went through, with a time for each.
    const steps = await item.locator('.timeline .step-name').allTextContents();
    assert.deepEqual(steps, ['Receiving', 'Uploaded', 'Validating', 'Ingesting', 'Succeeded']);
    assert.equal(await item.locator('.timeline .step-todo').count(), 0);
    await b.screenshot('02-tracker-succeeded');

    // The recent data source name is remembered for next time.
    const recent = await page.evaluate(`localStorage.getItem('tributary.recentDataSources')`);
    assert.equal(recent, JSON.stringify(['sales']));

    await item.getByRole('link', { name: /Open the task and its 4 rejected rows/ }).click();
    const table = page.locator('#rejections table');
    await table.waitFor();
    const rows: string[][] = [];
    for (const row of await table.locator('tbody tr').all()) rows.push(await row.locator('td').allTextContents());
    assert.equal(rows.length, 4);
    for (const [i, expected] of sample.rejections.entries()) {
      const row = rows[i] ?? [];
      assert.equal(row[0], String(expected.line));
      assert.equal(row[1], expected.column ?? '(row)');
      assert.match(row[2] ?? '', new RegExp(`^${expected.code} `));
    }
    assert.equal(await page.locator('.tracker .status').first().textContent(), 'Succeeded');
    await b.screenshot('03-rejections');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download all as CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    assert.equal(lines[0], 'line,column,code,message,raw');
    assert.equal(lines.length, 1 + sample.rejections.length);
    for (const [i, expected] of sample.rejections.entries()) {
      assert.ok(lines[i + 1]?.startsWith(`${expected.line},${expected.column ?? ''},${expected.code},`), lines[i + 1]);
    }

    // Tasks list: the task, newest first, with its status as text; it opens the tracker.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
    const listRow = page.locator('.tasks-table tbody tr').first();
    await listRow.getByText('Succeeded').waitFor();
    assert.match((await listRow.textContent()) ?? '', /march-sales\.csv.*sales.*Succeeded.*196 \/ 200/s);
    await b.screenshot('04-tasks-list');

    // Data source view: schema, summary and a chart of a metric over time.
    await listRow.getByRole('link', { name: 'sales', exact: true }).click();
    await page.getByRole('heading', { name: 'Schema' }).waitFor();
    const summary = (await page.locator('.card').first().textContent()) ?? '';
    assert.match(summary, /Rows196/);
    assert.match((await page.locator('.card').nth(1).textContent()) ?? '', /order_date/);
    const queryFields = await graphql<{ __type: { fields: { name: string }[] } }>(
      b.app,
      '{ __type(name: "Query") { fields { name } } }',
    );
    if (queryFields.data?.__type.fields.some((field) => field.name === 'dataSourceTimeSeries')) {
      // One bar per day with valid rows: the sample covers 1–28 March.
      await page.locator('.chart svg rect.bar').first().waitFor();
      assert.equal(await page.locator('.chart svg rect.bar').count(), 28);
    } else {
      // Before the server has the query, the chart says so with the API's code instead of failing silently.
      await page.locator('.card [role=alert]').waitFor();
    }
    await b.screenshot('05-data-source');

    // Narrow screens: 360 px wide.
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto('/');
    await page.getByRole('button', { name: 'Upload', exact: true }).waitFor();
    await b.screenshot('06-uploader-360');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
    await page.locator('.tasks-table tbody tr').first().getByRole('link').first().click();
    await page.locator('#rejections table').waitFor();
    await b.screenshot('07-task-360');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, 'the page scrolls sideways at 360 px');
  } finally {
    await b.close();
  }
});
