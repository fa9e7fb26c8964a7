import assert from 'node:assert/strict';
import { test } from 'node:test';
import { graphql } from '../support/client.ts';
import { signInWithLink, startBrowserApp, submitSignInForm } from './browser.ts';

test('the bootstrap sign-in link signs in at once and leaves no key behind; the header shows default · ADMIN; sign out and ?next= work', async () => {
  const b = await startBrowserApp({ signIn: false });
  const { page, app, context } = b;
  try {
    // Signed out, any page leads to the sign-in page, which remembers where the user wanted to go.
    await page.goto('/tasks?status=FAILED');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/tasks?status=FAILED');
    await page.getByLabel('API key', { exact: true }).waitFor();
    assert.equal(await page.locator('header nav').count(), 0, 'no navigation before signing in');
    await b.screenshot('11-sign-in');

    // The link: signed in at once, the key gone from the address bar and from every history entry.
    await signInWithLink(page, app.adminKey);
    assert.equal(page.url(), `${app.baseUrl}/`);
    const cdp = await context.newCDPSession(page);
    const history = (await cdp.send('Page.getNavigationHistory')) as { entries: { url: string }[] };
    await cdp.detach();
    assert.ok(history.entries.length > 0);
    for (const entry of history.entries) assert.ok(!entry.url.includes(app.adminKey), `history keeps ${entry.url}`);
    const who = (await page.locator('.session-who').textContent()) ?? '';
    assert.match(who, /default/);
    assert.match(who, /ADMIN/);
    assert.equal(await page.locator('.session-who').textContent(), 'default · ADMIN');
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.deepEqual(await nav.getByRole('link').allTextContents(), [
      'Upload',
      'Tasks',
      'Data sources',
      'API keys',
      'Audit log',
    ]);
    // The session is an HttpOnly, SameSite=Strict cookie: the page's scripts cannot read it.
    const cookie = (await context.cookies()).find((c) => c.name === 'tributary_session');
    assert.ok(cookie?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(cookie?.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '');
    await page.getByRole('button', { name: 'Upload', exact: true }).waitFor();
    await b.screenshot('12-signed-in');

    // Sign out: back on the sign-in page, and the app no longer opens.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    assert.equal((await context.cookies()).filter((c) => c.name === 'tributary_session').length, 0);
    await page.goto('/tasks?status=FAILED');
    await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') !== null);

    // A wrong key is refused with its code and message; the form stays.
    await submitSignInForm(page, `trb_${'x'.repeat(40)}`);
    const problem = page.locator('.sign-in .problem');
    await problem.waitFor();
    assert.match((await problem.textContent()) ?? '', /^UNAUTHENTICATED This API key was not accepted/);
    assert.equal(new URL(page.url()).pathname, '/sign-in');

    // The right key through the form: on to the page asked for.
    await submitSignInForm(page, app.adminKey);
    await page.waitForURL((url) => url.pathname === '/tasks');
    assert.equal(new URL(page.url()).search, '?status=FAILED');
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();

    // ?next= only ever leads to a path of this site.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await page.goto(`/sign-in?next=${encodeURIComponent('//evil.example/steal')}`);
    await submitSignInForm(page, app.adminKey);
    await page.waitForURL((url) => url.pathname === '/');
    assert.equal(new URL(page.url()).host, new URL(app.baseUrl).host);

    // A session that ends while the page is open (its key revoked): the next call leads to the sign-in page.
    const created = await graphql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      app,
      'mutation { createApiKey(name: "laptop", role: UPLOADER) { secret apiKey { id } } }',
    );
    const laptop = created.data?.createApiKey;
    assert.ok(laptop);
    const other = await b.newPage();
    await signInWithLink(other, laptop.secret);
    const revoked = await graphql(app, 'mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
      id: laptop.apiKey.id,
    });
    assert.equal(revoked.errors, undefined);
    await other.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
    await other.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/tasks');
    assert.equal(await other.locator('header nav').count(), 0);
  } finally {
    await b.close();
  }
});
