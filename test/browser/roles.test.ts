import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { type ApiTarget, getTask, graphql, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { signInWithLink, startBrowserApp, submitSignInForm } from './browser.ts';

const CSV = 'order_date,region,amount\n2025-01-01T10:00:00Z,EU,10\n2025-01-02T10:00:00Z,US,20\n';

async function createKey(target: ApiTarget, name: string, role: 'VIEWER' | 'UPLOADER' | 'ADMIN'): Promise<string> {
  const answer = await graphql<{ createApiKey: { secret: string } }>(
    target,
    'mutation ($name: String!, $role: Role!) { createApiKey(name: $name, role: $role) { secret } }',
    { name, role },
  );
  const secret = answer.data?.createApiKey.secret;
  if (!secret) throw new Error(`createApiKey: ${JSON.stringify(answer)}`);
  return secret;
}

async function uploadTask(target: ApiTarget, filename: string): Promise<string> {
  const upload = await uploadViaRest(target, { dataSourceName: 'sales', filename, content: CSV });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  return upload.body.taskId as string;
}

test('a VIEWER is offered no uploader, no Cancel and no admin pages; an UPLOADER no REPLACE and Cancel only on its own uploads', async () => {
  // No worker: uploaded tasks stay UPLOADED, so Cancel would be offered where the role allows it.
  const b = await startBrowserApp({ worker: false });
  const { page, app } = b;
  try {
    const taskId = await uploadTask(app, 'waiting.csv');
    // The admin (control): Cancel on the running task.
    await page.goto('/tasks');
    const adminRow = page.locator('.tasks-table tbody tr', { hasText: 'waiting.csv' });
    await adminRow.getByText('Uploaded').waitFor();
    await adminRow.getByRole('button', { name: 'Cancel waiting.csv' }).waitFor();

    const viewerSecret = await createKey(app, 'dashboard', 'VIEWER');
    const viewer = await b.newPage();
    await submitSignInForm(viewer, viewerSecret);
    await viewer.waitForURL((url) => url.pathname === '/');
    await viewer.locator('.session-who').waitFor();
    assert.equal(await viewer.locator('.session-who').textContent(), 'default · VIEWER');
    const nav = viewer.getByRole('navigation', { name: 'Main' });
    assert.deepEqual(await nav.getByRole('link').allTextContents(), ['Tasks', 'Data sources']);
    // The start page says why there is nothing to upload with.
    await viewer
      .getByRole('note')
      .getByText(/not\s+upload/)
      .waitFor();
    assert.equal(await viewer.locator('input[type=file]').count(), 0);
    assert.equal(await viewer.getByRole('button', { name: 'Upload', exact: true }).count(), 0);
    await b.screenshot('20-viewer-start', viewer);

    await nav.getByRole('link', { name: 'Tasks' }).click();
    const viewerRow = viewer.locator('.tasks-table tbody tr', { hasText: 'waiting.csv' });
    await viewerRow.getByText('Uploaded').waitFor();
    assert.equal(await viewer.getByRole('button', { name: /Cancel/ }).count(), 0);
    await b.screenshot('21-viewer-tasks', viewer);
    await viewerRow.getByRole('link', { name: 'waiting.csv' }).click();
    await viewer.locator('.tracker .status', { hasText: 'Uploaded' }).waitFor();
    // The live status comes over the WebSocket, authenticated by the session cookie.
    await viewer.locator('.tracker .channel', { hasText: 'live' }).waitFor();
    assert.equal(await viewer.getByRole('button', { name: /Cancel/ }).count(), 0);

    for (const adminPath of ['/admin/keys', '/admin/audit']) {
      await viewer.goto(adminPath);
      await viewer
        .getByRole('note')
        .getByText(/needs the role ADMIN/)
        .waitFor();
      assert.equal(await viewer.locator('table').count(), 0);
    }

    // An UPLOADER: appends only, and is offered Cancel on what it uploaded here, not on the admin's task.
    const uploaderSecret = await createKey(app, 'shop export', 'UPLOADER');
    const uploader = await b.newPage();
    await signInWithLink(uploader, uploaderSecret);
    assert.equal(await uploader.locator('.session-who').textContent(), 'default · UPLOADER');
    assert.deepEqual(await uploader.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents(), [
      'Upload',
      'Tasks',
      'Data sources',
    ]);
    assert.equal(await uploader.locator('option[value=REPLACE]').count(), 0);
    assert.match((await uploader.locator('.static-value').textContent()) ?? '', /Append rows/);
    const file = path.join(b.filesDir, 'mine.csv');
    await writeFile(file, CSV);
    await uploader.locator('input[type=file]').setInputFiles(file);
    await uploader.getByLabel('Data source', { exact: true }).fill('sales');
    const item = uploader.getByRole('listitem', { name: 'mine.csv' });
    await item.getByText('Ready').waitFor();
    await uploader.getByRole('button', { name: 'Upload', exact: true }).click();
    await item.locator('.tracker .status', { hasText: 'Uploaded' }).waitFor();
    await item.getByRole('button', { name: 'Cancel task' }).waitFor();
    await b.screenshot('22-uploader-own-task', uploader);

    await uploader.goto('/tasks');
    const mine = uploader.locator('.tasks-table tbody tr', { hasText: 'mine.csv' });
    const theirs = uploader.locator('.tasks-table tbody tr', { hasText: 'waiting.csv' });
    await mine.getByText('Uploaded').waitFor();
    await theirs.getByText('Uploaded').waitFor();
    assert.equal(await theirs.getByRole('button', { name: /Cancel/ }).count(), 0);
    await mine.getByRole('button', { name: 'Cancel mine.csv' }).click();
    await mine.getByText('Cancelled').waitFor();
    assert.equal((await getTask(app, taskId)).status, 'UPLOADED', "the admin's task is untouched");
  } finally {
    await b.close();
  }
});

test('a workspace sees only its own tasks: acme’s admin sees none of default’s', async () => {
  const b = await startBrowserApp();
  const { page, app } = b;
  try {
    const created = await graphql<{ createWorkspace: { adminKey: { secret: string } } }>(
      app,
      'mutation { createWorkspace(name: "acme") { workspace { name } adminKey { secret } } }',
    );
    const acmeSecret = created.data?.createWorkspace.adminKey.secret;
    assert.ok(acmeSecret, JSON.stringify(created));
    const taskId = await uploadTask(app, 'default-only.csv');
    assert.equal((await waitForTerminal(app, taskId)).status, 'SUCCEEDED');

    // default's admin sees the task.
    await page.goto('/tasks');
    await page.locator('.tasks-table tbody tr', { hasText: 'default-only.csv' }).getByText('Succeeded').waitFor();

    const acme = await b.newPage();
    await acme.goto('/sign-in');
    await submitSignInForm(acme, acmeSecret);
    await acme.waitForURL((url) => url.pathname === '/');
    await acme.locator('.session-who').waitFor();
    assert.equal(await acme.locator('.session-who').textContent(), 'acme · ADMIN');
    await acme.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
    await acme.getByText('No tasks yet.').waitFor();
    assert.equal(await acme.getByText('default-only.csv').count(), 0);
    await b.screenshot('23-acme-tasks', acme);

    // Nor by its id or its data source.
    await acme.goto(`/tasks/${taskId}`);
    await acme
      .getByRole('alert')
      .getByText(/^TASK_NOT_FOUND/)
      .waitFor();
    await acme.goto('/sources/sales');
    await acme.getByText('No data source is called “sales” yet').waitFor();
    // acme's admin manages acme's keys, but is no server admin: no workspace form.
    await acme.goto('/admin/keys');
    const rows = acme.locator('.keys-table tbody tr');
    await rows.first().waitFor();
    assert.deepEqual(await rows.locator('.key-name').allTextContents(), ['acme admin']);
    assert.equal(await acme.getByLabel('Workspace name').count(), 0);
  } finally {
    await b.close();
  }
});
