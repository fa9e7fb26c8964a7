import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { type ApiTarget, graphql } from '../support/client.ts';
import { startBrowserApp } from './browser.ts';

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

async function taskCount(target: ApiTarget): Promise<number> {
  const answer = await graphql<{ ingestionTasks: { nodes: unknown[] } }>(
    target,
    '{ ingestionTasks(first: 50) { nodes { taskId } } }',
  );
  return answer.data?.ingestionTasks.nodes.length ?? -1;
}

test('an empty file and a PNG renamed .csv are refused in the browser with their own messages; nothing is sent', async () => {
  const b = await startBrowserApp();
  const { page } = b;
  try {
    await page.goto('/');
    const empty = path.join(b.filesDir, 'empty.csv');
    const png = path.join(b.filesDir, 'photo.csv');
    await writeFile(empty, '');
    await writeFile(png, Buffer.concat([PNG_HEAD, Buffer.alloc(2000, 7)]));
    await page.locator('input[type=file]').setInputFiles([empty, png]);
    await page.getByLabel('Data source', { exact: true }).fill('sales');

    const emptyItem = page.getByRole('listitem', { name: 'empty.csv' });
    const pngItem = page.getByRole('listitem', { name: 'photo.csv' });
    await emptyItem.getByRole('alert').waitFor();
    await pngItem.getByRole('alert').waitFor();
    assert.match(
      (await emptyItem.getByRole('alert').textContent()) ?? '',
      /^EMPTY_FILE "empty\.csv" is empty \(0 bytes\)/,
    );
    assert.match(
      (await pngItem.getByRole('alert').textContent()) ?? '',
      /^UNSUPPORTED_FORMAT "photo\.csv" looks like a PNG image, not tabular data/,
    );
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    assert.match((await page.locator('.form-message').textContent()) ?? '', /None of the chosen files can be uploaded/);
    await b.screenshot('08-refused-files');
    assert.equal(await taskCount(b.app), 0);

    // Keyboard: the Remove buttons are reachable and work.
    await pngItem.getByRole('button', { name: 'Remove photo.csv' }).focus();
    await page.keyboard.press('Enter');
    await pngItem.waitFor({ state: 'detached' });

    // The data source rule is checked as you type.
    const name = page.getByLabel('Data source', { exact: true });
    await name.fill('9sales');
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.match((await page.locator('.hint.error').textContent()) ?? '', /Start with a letter/);
    await name.fill('sales 2025');
    assert.match((await page.locator('.hint.error').textContent()) ?? '', /Use only letters, digits/);
    await name.fill('sales_2025');
    assert.equal(await name.getAttribute('aria-invalid'), 'false');
  } finally {
    await b.close();
  }
});

test('an UploadError from the server shows its code; a failed task shows its code and what to do next', async () => {
  const b = await startBrowserApp();
  const { page } = b;
  try {
    await page.goto('/');
    // UTF-32 text passes the browser's sniffing (it is not an obvious binary) but the server refuses it (UTF-16 with
    // a byte order mark it reads).
    const utf32 = path.join(b.filesDir, 'utf32.csv');
    const text = 'date,amount\n2025-01-01,1\n';
    const utf32Bytes = Buffer.alloc(4 * (text.length + 1));
    utf32Bytes.writeUInt32LE(0xfeff, 0);
    for (let i = 0; i < text.length; i++) utf32Bytes.writeUInt32LE(text.charCodeAt(i), 4 * (i + 1));
    await writeFile(utf32, utf32Bytes);
    // A quarter of the rows bad (impossible dates): more than MAX_REJECTED_RATIO, so the task fails and nothing is loaded.
    const bad = path.join(b.filesDir, 'quarter-bad.csv');
    const rows = ['order_date,amount'];
    for (let i = 0; i < 40; i++)
      rows.push(i % 4 ? `2025-01-${String(1 + (i % 28)).padStart(2, '0')},${i}` : `2025-02-30,${i}`);
    await writeFile(bad, `${rows.join('\n')}\n`);
    await page.locator('input[type=file]').setInputFiles([utf32, bad]);
    await page.getByLabel('Data source', { exact: true }).fill('failing');
    await page.getByRole('listitem', { name: 'quarter-bad.csv' }).getByText('Ready').waitFor();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    const refused = page.getByRole('listitem', { name: 'utf32.csv' });
    await refused.getByText('Upload failed').waitFor();
    assert.match((await refused.getByRole('alert').textContent()) ?? '', /^UNSUPPORTED_FORMAT /);

    const failed = page.getByRole('listitem', { name: 'quarter-bad.csv' });
    await failed.locator('.tracker .status', { hasText: 'Failed' }).waitFor({ timeout: 60_000 });
    const failure = (await failed.locator('.failure').textContent()) ?? '';
    assert.match(failure, /^TOO_MANY_REJECTED_ROWS /);
    assert.match(failure, /What to do next: Nothing was loaded/);
    assert.equal((await failed.locator('.ledger-rejected dd').textContent())?.trim(), '10');
    assert.equal((await failed.locator('.ledger-loaded dd').textContent())?.trim(), '—');
    await b.screenshot('09-upload-error-and-failed-task');
  } finally {
    await b.close();
  }
});

test('an upload in flight shows bytes, speed and time left, and Cancel aborts it: no task is left', async () => {
  const b = await startBrowserApp();
  const { page, context } = b;
  try {
    await page.goto('/');
    const big = path.join(b.filesDir, 'big.csv');
    const line = '2025-01-01T00:00:00Z,EU,Widget,3,29.97\n';
    await writeFile(
      big,
      `order_date,region,product,quantity,amount\n${line.repeat(Math.ceil(8_000_000 / line.length))}`,
    );
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await page.locator('input[type=file]').setInputFiles(big);
    await page.getByLabel('Data source', { exact: true }).fill('slow');
    const item = page.getByRole('listitem', { name: 'big.csv' });
    await item.getByText('Ready').waitFor();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    // Real progress: some bytes sent, a speed and a time left.
    await item.locator('.progress-text', { hasText: /left$/ }).waitFor({ timeout: 15_000 });
    const progress = (await item.locator('.progress-text').textContent()) ?? '';
    assert.match(progress, /^[\d.]+ [KM]?B of 8\.\d+ MB \(\d+ %\)[\d.]+ [KM]?B\/s.+ left$/);
    const box = await item.locator('.upload-progress').boundingBox();
    await b.screenshot('10-upload-in-flight');

    await item.getByRole('button', { name: 'Cancel' }).click();
    await item.getByText('Upload cancelled — nothing was stored.').waitFor();
    assert.equal(await item.locator('.queue-state').textContent(), 'Cancelled');
    assert.ok(box && box.height > 0);

    // The server removes the PENDING task of an interrupted upload: none is left.
    const deadline = Date.now() + 15_000;
    let count = await taskCount(b.app);
    while (count !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      count = await taskCount(b.app);
    }
    assert.equal(count, 0, 'a cancelled upload leaves no task');
    await cdp.detach();
  } finally {
    await b.close();
  }
});
