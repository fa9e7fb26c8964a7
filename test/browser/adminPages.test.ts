import assert from 'node:assert/strict';
import { test } from 'node:test';
import { as, bearer, graphql } from '../support/client.ts';
import { startBrowserApp, submitSignInForm } from './browser.ts';

test('an admin creates a key (secret shown once, copied), revokes it after a confirm step; the revoked key cannot sign in', async () => {
  const b = await startBrowserApp();
  const { page, app, context } = b;
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.baseUrl });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    const rows = page.locator('.keys-table tbody tr');
    await rows.first().waitFor();
    assert.match((await rows.first().textContent()) ?? '', /server admin \(bootstrap\).*this session’s key.*ADMIN/);

    // Create: the secret is shown once, and Copy puts it on the clipboard.
    await page.getByLabel('Key name').fill('nightly export');
    await page.getByLabel('Role', { exact: true }).selectOption('UPLOADER');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.locator('.secret-once');
    await shown.waitFor();
    const secret = await shown.getByLabel('Secret', { exact: true }).inputValue();
    assert.match(secret, /^trb_[A-Za-z0-9]{40}$/);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);
    const row = rows.filter({ hasText: 'nightly export' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /UPLOADER.*never.*Active/);
    await b.screenshot('13-admin-key-created');
    const me = await graphql<{ me: { role: string; workspace: string } }>(
      as(app, bearer(secret)),
      '{ me { role workspace } }',
    );
    assert.deepEqual(me.data?.me, { role: 'UPLOADER', workspace: 'default' });

    // Once: hidden after Done, and not there after a reload either.
    await shown.getByRole('button', { name: 'Done, hide the secret' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(secret));
    await page.reload();
    await row.waitFor();
    assert.ok(!(await page.content()).includes(secret));

    // Revoke: a confirm step first ("Keep it" keeps it), then the list shows it revoked.
    await row.getByRole('button', { name: 'Revoke nightly export' }).click();
    await row.getByRole('button', { name: 'Keep it' }).click();
    assert.match((await row.textContent()) ?? '', /Active/);
    await row.getByRole('button', { name: 'Revoke nightly export' }).click();
    await b.screenshot('14-admin-key-revoke-confirm');
    await row.getByRole('button', { name: 'Yes, revoke nightly export' }).click();
    await row.locator('.status-revoked').waitFor();
    assert.match((await row.locator('.status-revoked').textContent()) ?? '', /^Revoked \d/);
    assert.equal(await row.getByRole('button', { name: /Revoke/ }).count(), 0);
    await b.screenshot('15-admin-key-revoked');

    // A fresh browser signing in with the revoked secret is refused, with the code and the reason.
    const other = await b.newPage();
    await submitSignInForm(other, secret);
    const problem = other.locator('.sign-in .problem');
    await problem.waitFor();
    assert.match((await problem.textContent()) ?? '', /^UNAUTHENTICATED This API key was not accepted/);
    assert.match((await problem.textContent()) ?? '', /revoked/);
    assert.equal(new URL(other.url()).pathname, '/sign-in');
    await b.screenshot('16-sign-in-revoked-key', other);

    // A server admin also creates workspaces; the new workspace's admin key is shown once.
    const name = page.getByLabel('Workspace name');
    await name.fill('North');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    await name.fill('north');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    const workspaceSecret = await page
      .locator('.secret-once', { hasText: 'Admin key of the new workspace “north”' })
      .getByLabel('Secret', { exact: true })
      .inputValue();
    const north = await graphql<{ me: { role: string; workspace: string } }>(
      as(app, bearer(workspaceSecret)),
      '{ me { role workspace } }',
    );
    assert.deepEqual(north.data?.me, { role: 'ADMIN', workspace: 'north' });
    await name.fill('north');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.locator('.card .problem', { hasText: 'WORKSPACE_EXISTS' }).waitFor();

    // 360 px: the keys table becomes one card per key, nothing scrolls sideways.
    await page.setViewportSize({ width: 360, height: 780 });
    await page.reload();
    await rows.first().waitFor();
    await b.screenshot('17-admin-keys-360');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, 'the keys page scrolls sideways at 360 px');
  } finally {
    await b.close();
  }
});

test('the audit log lists session.opened and apikey.created, newest first, with who did it', async () => {
  const b = await startBrowserApp();
  const { page, app } = b;
  try {
    const created = await graphql(app, 'mutation { createApiKey(name: "reporting", role: VIEWER) { secret } }');
    assert.equal(created.errors, undefined);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    const rows = page.locator('.audit-table tbody tr');
    await rows.first().waitFor();
    const cell = (row: number, label: string) => rows.nth(row).locator(`td[data-label=${label}]`).textContent();
    // The bootstrap key's creation, the sign-in with it (the link), then the key created above: newest first.
    assert.deepEqual(await page.locator('.audit-table td[data-label=Action]').allTextContents(), [
      'apikey.created',
      'session.opened',
      'apikey.created',
    ]);
    assert.match((await cell(0, 'Details')) ?? '', /^"reporting" VIEWER$/);
    // Actors and targets that are keys carry the key's name.
    assert.match((await cell(0, 'Actor')) ?? '', /^server admin \(bootstrap\)key:[0-9a-f-]{36}$/);
    assert.match((await cell(0, 'Target')) ?? '', /^reporting[0-9a-f-]{36}$/);
    assert.match((await cell(1, 'Actor')) ?? '', /^server admin \(bootstrap\)key:/);
    assert.match((await cell(1, 'Details')) ?? '', /^from 127\.0\.0\.1$/);
    assert.match((await cell(2, 'Actor')) ?? '', /^server$/);
    assert.match((await page.locator('.load-more').textContent()) ?? '', /3 events shown, the whole log/);
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0);
    await b.screenshot('18-audit-log');

    await page.setViewportSize({ width: 360, height: 780 });
    await b.screenshot('19-audit-log-360');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, 'the audit log scrolls sideways at 360 px');
  } finally {
    await b.close();
  }
});

test('Load more pages through an audit log longer than a page: every event once, newest first', async () => {
  const b = await startBrowserApp();
  const { page, app } = b;
  try {
    // More events than one page (50): the bootstrap key, the sign-in and 55 keys.
    for (let i = 0; i < 55; i++) {
      const created = await graphql(app, `mutation { createApiKey(name: "bulk ${i}", role: VIEWER) { secret } }`);
      assert.equal(created.errors, undefined);
    }
    const api = await graphql<{ auditEvents: { nodes: { id: string }[] } }>(
      app,
      '{ auditEvents(first: 100) { nodes { id } } }',
    );
    const apiIds = api.data?.auditEvents.nodes.map((node) => Number(node.id)) ?? [];
    // Newest first by number, not by text ("9" before "57" was a bug: `id::text AS id … ORDER BY id`).
    assert.deepEqual(
      apiIds,
      [...apiIds].sort((x, y) => y - x),
    );
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    const rows = page.locator('.audit-table tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 50);
    assert.match((await rows.first().locator('td[data-label=Details]').textContent()) ?? '', /^"bulk 54" VIEWER$/);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    const actions = await page.locator('.audit-table td[data-label=Action]').allTextContents();
    assert.equal(actions.length, 57);
    assert.equal(actions.filter((action) => action === 'apikey.created').length, 56);
    assert.equal(actions.filter((action) => action === 'session.opened').length, 1);
    assert.match((await rows.last().textContent()) ?? '', /bootstrap server-admin key/);
    assert.match((await page.locator('.load-more').textContent()) ?? '', /57 events shown, the whole log/);
  } finally {
    await b.close();
  }
});
