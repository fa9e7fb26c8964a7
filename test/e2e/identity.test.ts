import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrapAdminKey } from '../../src/auth/bootstrapAdminKey.ts';
import { as, bearer, call, graphql, uploadViaRest, waitForTerminal } from '../support/client.ts';
import { type OidcProvider, startOidcProvider } from '../support/oidcProvider.ts';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const CSV = 'sold_at,units\n2025-03-01T00:00:00Z,1\n';

const createKey = async (app: TestApp, role: string, name = `${role.toLowerCase()} key`) => {
  const answer = await graphql<{ createApiKey: { secret: string; apiKey: { id: string; role: string } } }>(
    app,
    'mutation($n: String!, $r: Role!) { createApiKey(name: $n, role: $r) { secret apiKey { id role } } }',
    { n: name, r: role },
  );
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  return answer.data?.createApiKey ?? { secret: '', apiKey: { id: '', role: '' } };
};

describe('API keys, workspaces and the audit log', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ worker: false });
  });
  after(async () => {
    await app?.close();
  });

  test('the bootstrap key is a server admin of "default"; a second bootstrap makes no key; me says who is calling', async () => {
    const me = await graphql<{ me: Record<string, unknown> }>(
      app,
      '{ me { workspace role serverAdmin keyId subject } }',
    );
    assert.deepEqual(
      { ...me.data?.me, keyId: typeof me.data?.me.keyId },
      {
        workspace: 'default',
        role: 'ADMIN',
        serverAdmin: true,
        keyId: 'string',
        subject: null,
      },
    );
    const again = await bootstrapAdminKey({
      db: app.services.db,
      keys: app.services.keys,
      audit: app.services.audit,
      dataDir: app.dataDir,
      adminApiKey: undefined,
    });
    assert.equal(again, null, 'keys exist, so no new key');
    assert.equal((await stat(path.join(app.dataDir, 'admin-api-key'))).mode & 0o777, 0o600);
  });

  test('a key is trb_ + ≥32 base62, shown once; only its hash is stored; apiKeys lists keys without secrets', async () => {
    const created = await createKey(app, 'UPLOADER', 'nightly export');
    assert.match(created.secret, /^trb_[A-Za-z0-9]{32,}$/);
    const stored = await app.services.db.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [
      created.apiKey.id,
    ]);
    assert.ok(!JSON.stringify(stored).includes(created.secret), 'the secret is not in the database');
    assert.match(String(stored[0]?.secret_sha256), /^[0-9a-f]{64}$/);
    const listed = await graphql<{ apiKeys: { id: string; name: string; lastUsedAt: string | null }[] }>(
      app,
      '{ apiKeys { id name role workspace createdAt lastUsedAt revokedAt } }',
    );
    const entry = listed.data?.apiKeys.find((k) => k.id === created.apiKey.id);
    assert.equal(entry?.name, 'nightly export');
    assert.equal(entry?.lastUsedAt, null);
    assert.equal((await call(as(app, bearer(created.secret)), 'GET', '/api/v1/tasks')).status, 200);
    const used = await graphql<{ apiKeys: { id: string; lastUsedAt: string | null }[] }>(
      app,
      '{ apiKeys { id lastUsedAt } }',
    );
    assert.ok(used.data?.apiKeys.find((k) => k.id === created.apiKey.id)?.lastUsedAt, 'lastUsedAt is recorded');
  });

  test('revoking a key ends it at once, and ends its sessions; revoking again keeps the first time', async () => {
    const created = await createKey(app, 'VIEWER');
    const api = as(app, bearer(created.secret));
    const session = await call(as(app, undefined), 'POST', '/api/v1/session', { body: { apiKey: created.secret } });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const viaCookie = () => call(as(app, undefined), 'GET', '/api/v1/session', { headers: { cookie } });
    assert.equal((await viaCookie()).status, 200);
    const first = await graphql<{ revokeApiKey: { revokedAt: string } }>(
      app,
      'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
      { id: created.apiKey.id },
    );
    assert.ok(first.data?.revokeApiKey.revokedAt);
    assert.equal((await call(api, 'GET', '/api/v1/tasks')).status, 401);
    const ended = await viaCookie();
    assert.equal(ended.status, 401);
    assert.match(ended.headers.get('set-cookie') ?? '', /tributary_session=;/, 'the dead session cookie is cleared');
    const second = await graphql<{ revokeApiKey: { revokedAt: string } }>(
      app,
      'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
      { id: created.apiKey.id },
    );
    assert.equal(second.data?.revokeApiKey.revokedAt, first.data?.revokeApiKey.revokedAt);
  });

  test('createWorkspace: a new workspace with its own ADMIN key (not a server admin); names are checked', async () => {
    const created = await graphql<{
      createWorkspace: {
        workspace: { name: string };
        adminKey: { secret: string; apiKey: { role: string; workspace: string } };
      };
    }>(
      app,
      'mutation { createWorkspace(name: "north-region") { workspace { name createdAt } adminKey { secret apiKey { role workspace } } } }',
    );
    assert.equal(created.errors, undefined);
    assert.deepEqual(created.data?.createWorkspace.adminKey.apiKey, { role: 'ADMIN', workspace: 'north-region' });
    const north = as(app, bearer(created.data?.createWorkspace.adminKey.secret ?? ''));
    const me = await graphql<{ me: { workspace: string; serverAdmin: boolean } }>(
      north,
      '{ me { workspace serverAdmin } }',
    );
    assert.deepEqual(me.data?.me, { workspace: 'north-region', serverAdmin: false });
    const nested = await graphql(north, 'mutation { createWorkspace(name: "south") { workspace { name } } }');
    assert.equal(nested.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const duplicate = await graphql(app, 'mutation { createWorkspace(name: "north-region") { workspace { name } } }');
    assert.equal(duplicate.errors?.[0]?.extensions?.code, 'WORKSPACE_EXISTS');
    for (const name of ['North', 'a.b', '-x', '', 'x'.repeat(33)]) {
      const invalid = await graphql(app, 'mutation($n: String!) { createWorkspace(name: $n) { workspace { name } } }', {
        n: name,
      });
      assert.equal(invalid.errors?.[0]?.extensions?.code, 'INVALID_WORKSPACE_NAME', name);
    }
    const northKeys = await graphql<{ apiKeys: { workspace: string }[] }>(north, '{ apiKeys { workspace } }');
    assert.deepEqual(
      [...new Set(northKeys.data?.apiKeys.map((k) => k.workspace))],
      ['north-region'],
      "another workspace's keys are not listed",
    );
  });

  test('the audit log records keys, workspaces, sessions, uploads, cancels, REPLACE and refused authentication', async () => {
    const upload = await uploadViaRest(app, {
      dataSourceName: 'audited',
      filename: 'a.csv',
      content: CSV,
      mode: 'REPLACE',
    });
    assert.equal(upload.status, 202);
    await call(app, 'POST', `/api/v1/tasks/${upload.body.taskId}/cancel`);
    await call(as(app, bearer(`trb_${'x'.repeat(40)}`)), 'GET', '/api/v1/tasks');
    const events = await graphql<{
      auditEvents: { nodes: { action: string; actor: string; target: string | null }[] };
    }>(
      app,
      '{ auditEvents(first: 200) { nodes { id at actor action target details } pageInfo { hasNextPage endCursor } } }',
    );
    const actions = new Set(events.data?.auditEvents.nodes.map((e) => e.action));
    for (const action of [
      'apikey.created',
      'apikey.revoked',
      'workspace.created',
      'session.opened',
      'upload.accepted',
      'datasource.replace',
      'task.cancelled',
      'auth.refused',
    ]) {
      assert.ok(actions.has(action), `${action} is recorded`);
    }
    const page = await graphql<{ auditEvents: { nodes: { id: string }[]; pageInfo: { endCursor: string } } }>(
      app,
      '{ auditEvents(first: 3) { nodes { id } pageInfo { hasNextPage endCursor } } }',
    );
    const next = await graphql<{ auditEvents: { nodes: { id: string }[] } }>(
      app,
      'query($a: String) { auditEvents(first: 3, after: $a) { nodes { id } } }',
      { a: page.data?.auditEvents.pageInfo.endCursor },
    );
    const ids = [...(page.data?.auditEvents.nodes ?? []), ...(next.data?.auditEvents.nodes ?? [])].map((n) =>
      Number(n.id),
    );
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'newest first across pages',
    );
    assert.equal(new Set(ids).size, 6);
  });
});

describe('sessions, cookies and CSRF', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ worker: false });
  });
  after(async () => {
    await app?.close();
  });

  test('POST /api/v1/session sets an HttpOnly, SameSite=Strict cookie; DELETE ends the session server-side', async () => {
    const opened = await call(as(app, undefined), 'POST', '/api/v1/session', { body: { apiKey: app.adminKey } });
    assert.equal(opened.status, 200);
    assert.deepEqual(opened.body, {
      workspace: 'default',
      role: 'ADMIN',
      serverAdmin: true,
      keyId: (opened.body as { keyId: string }).keyId,
      subject: null,
    });
    const setCookie = opened.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^tributary_session=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\//);
    assert.doesNotMatch(setCookie, /Secure/, 'not Secure on plain http');
    const cookie = setCookie.split(';')[0] ?? '';
    const withCookie = as(app, undefined);
    const read = await call(withCookie, 'GET', '/api/v1/tasks', { headers: { cookie } });
    assert.equal(read.status, 200);
    // A state change signed by the cookie needs an Origin of ours or a preflight header.
    const bare = await call(withCookie, 'DELETE', '/api/v1/session', { headers: { cookie } });
    assert.equal((bare.body as { code: string }).code, 'PREFLIGHT_REQUIRED');
    const signedOut = await call(withCookie, 'DELETE', '/api/v1/session', { headers: { cookie, origin: app.baseUrl } });
    assert.equal(signedOut.status, 204);
    assert.equal((await call(withCookie, 'GET', '/api/v1/tasks', { headers: { cookie } })).status, 401);
  });

  test('sign-in with a wrong key is UNAUTHENTICATED; a body without apiKey is INVALID_REQUEST', async () => {
    const wrong = await call(as(app, undefined), 'POST', '/api/v1/session', {
      body: { apiKey: `trb_${'w'.repeat(40)}` },
    });
    assert.equal(wrong.status, 401);
    assert.equal((wrong.body as { code: string }).code, 'UNAUTHENTICATED');
    const missing = await call(as(app, undefined), 'POST', '/api/v1/session', { body: {} });
    assert.equal((missing.body as { code: string }).code, 'INVALID_REQUEST');
  });

  test('with an https PUBLIC_URL the cookie is Secure, and that host is answered', async () => {
    const secure = await startTestApp({ worker: false, env: { PUBLIC_URL: 'https://tributary.example.com' } });
    try {
      const opened = await call(as(secure, undefined), 'POST', '/api/v1/session', {
        body: { apiKey: secure.adminKey },
      });
      assert.match(opened.headers.get('set-cookie') ?? '', /Secure/);
      const viaPublicHost = await call(secure, 'GET', '/api/v1/tasks', {
        headers: { origin: 'https://tributary.example.com' },
      });
      assert.equal(viaPublicHost.status, 200);
      assert.match(viaPublicHost.headers.get('strict-transport-security') ?? '', /max-age=31536000/);
    } finally {
      await secure.close();
    }
  });
});

describe('refused authentication is slowed per address', () => {
  test('after AUTH_FAILURES_PER_MINUTE failures, further refusals from the address are 429 with Retry-After', async () => {
    const app = await startTestApp({ worker: false, env: { AUTH_FAILURES_PER_MINUTE: '3' } });
    try {
      const bad = as(app, bearer(`trb_${'b'.repeat(40)}`));
      for (let i = 0; i < 3; i++) assert.equal((await call(bad, 'GET', '/api/v1/tasks')).status, 401);
      const limited = await call(bad, 'GET', '/api/v1/tasks');
      assert.equal(limited.status, 429);
      assert.equal((limited.body as { code: string }).code, 'TOO_MANY_REQUESTS');
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      const viaGraphql = await graphql(as(app, bearer(`trb_${'c'.repeat(40)}`)), '{ me { role } }');
      assert.equal(viaGraphql.status, 429);
      assert.equal(viaGraphql.errors?.[0]?.extensions?.code, 'TOO_MANY_REQUESTS');
      // A valid key still works from that address: behind a shared proxy, one guesser must not lock everyone out.
      assert.equal((await call(app, 'GET', '/api/v1/tasks')).status, 200);
      // Sending no credential at all is not a failed attempt (a browser's first visit): 401, never 429.
      assert.equal((await call(as(app, undefined), 'GET', '/api/v1/tasks')).status, 401);
    } finally {
      await app.close();
    }
  });
});

describe('behind a proxy (TRUST_PROXY)', () => {
  test('failures are counted per forwarded client address, not per proxy', async () => {
    const app = await startTestApp({ worker: false, env: { AUTH_FAILURES_PER_MINUTE: '2', TRUST_PROXY: 'loopback' } });
    try {
      const bad = as(app, bearer(`trb_${'p'.repeat(40)}`));
      const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
      for (let i = 0; i < 2; i++) await call(bad, 'GET', '/api/v1/tasks', from('203.0.113.9'));
      assert.equal((await call(bad, 'GET', '/api/v1/tasks', from('203.0.113.9'))).status, 429);
      assert.equal((await call(bad, 'GET', '/api/v1/tasks', from('198.51.100.7'))).status, 401, 'another client');
    } finally {
      await app.close();
    }
  });
});

describe('OIDC bearer tokens', () => {
  let app: TestApp;
  let oidc: OidcProvider;
  before(async () => {
    oidc = await startOidcProvider();
    app = await startTestApp({ env: { OIDC_ISSUER: oidc.issuer, OIDC_AUDIENCE: oidc.audience } });
  });
  after(async () => {
    await app?.close();
    await oidc?.close();
  });

  test("a token's workspace and role claims make the principal; the JWKS comes from the issuer's discovery document", async () => {
    const token = await oidc.token({
      sub: 'ana@example.com',
      tributary_workspace: 'default',
      tributary_role: 'uploader',
    });
    const ana = as(app, bearer(token));
    const me = await graphql<{ me: Record<string, unknown> }>(
      ana,
      '{ me { workspace role serverAdmin keyId subject } }',
    );
    assert.deepEqual(me.data?.me, {
      workspace: 'default',
      role: 'UPLOADER',
      serverAdmin: false,
      keyId: null,
      subject: 'ana@example.com',
    });
    assert.ok(oidc.jwksFetches() >= 1);
    const upload = await uploadViaRest(ana, { dataSourceName: 'oidc', filename: 'o.csv', content: CSV });
    assert.equal(upload.status, 202);
    const done = await waitForTerminal(app, String(upload.body.taskId));
    assert.equal(done.status, 'SUCCEEDED');
    const audit = await graphql<{ auditEvents: { nodes: { actor: string; action: string }[] } }>(
      app,
      '{ auditEvents(first: 20) { nodes { actor action } } }',
    );
    assert.ok(
      audit.data?.auditEvents.nodes.some((e) => e.actor === 'oidc:ana@example.com' && e.action === 'upload.accepted'),
    );
  });

  test('refused tokens: unknown workspace, no role, a stranger key, expired, wrong audience, wrong issuer', async () => {
    const refused = [
      await oidc.token({ tributary_workspace: 'nowhere', tributary_role: 'admin' }),
      await oidc.token({ tributary_workspace: 'default' }),
      await oidc.token({ tributary_workspace: 'default', tributary_role: 'owner' }),
      await oidc.token({ tributary_workspace: 'default', tributary_role: 'admin' }, { signWithStrangerKey: true }),
      await oidc.token({ tributary_workspace: 'default', tributary_role: 'admin' }, { expiresIn: -60 }),
      await oidc.token({ tributary_workspace: 'default', tributary_role: 'admin' }, { audience: 'other' }),
    ];
    for (const token of refused) {
      const answer = await call(as(app, bearer(token)), 'GET', '/api/v1/tasks');
      assert.equal(answer.status, 401, token);
      assert.equal((answer.body as { code: string }).code, 'UNAUTHENTICATED');
    }
  });
});

describe('production hardening', () => {
  test('NODE_ENV=production turns introspection off; security headers are on every response', async () => {
    const app = await startTestApp({ worker: false, env: { NODE_ENV: 'production' } });
    try {
      const introspection = await graphql(app, '{ __schema { types { name } } }');
      assert.equal(introspection.status, 400);
      assert.equal(introspection.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
      for (const target of ['/api/v1/tasks', '/', '/healthz']) {
        const answer = await call(app, 'GET', target);
        const csp = answer.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'self'/, target);
        assert.match(csp, /frame-ancestors 'none'/, target);
        assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', target);
        assert.equal(answer.headers.get('referrer-policy'), 'no-referrer', target);
      }
    } finally {
      await app.close();
    }
  });

  test('ADMIN_API_KEY sets the first key instead of a generated one, and no key file is written', async () => {
    const secret = `trb_${'K'.repeat(36)}`;
    const app = await startTestApp({ worker: false, env: { ADMIN_API_KEY: secret } });
    try {
      assert.equal(app.adminKey, secret);
      assert.equal((await call(as(app, bearer(secret)), 'GET', '/api/v1/tasks')).status, 200);
      await assert.rejects(stat(path.join(app.dataDir, 'admin-api-key')));
    } finally {
      await app.close();
    }
  });
});
