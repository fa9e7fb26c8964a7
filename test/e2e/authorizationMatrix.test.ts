import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import {
  type ApiTarget,
  as,
  bearer,
  call,
  graphql,
  previewViaGraphql,
  previewViaRest,
  uploadViaGraphql,
  uploadViaRest,
  waitForTerminal,
} from '../support/client.ts';
import { type OidcProvider, startOidcProvider } from '../support/oidcProvider.ts';
import { pendingTask } from '../support/pendingTask.ts';
import { sampleSalesCsv } from '../support/sampleSales.ts';
import { backends, startTestApp, type TestApp } from '../support/testApp.ts';

type Outcome = 'ALLOWED' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'HIDDEN';
type Access = 'PUBLIC' | 'SIGNED_IN' | 'VIEWER' | 'UPLOADER' | 'ADMIN' | 'SERVER_ADMIN';
/** `workspace`: the answer reveals workspace `default`'s data, so another workspace must get it as if absent. */
type Scope = 'workspace' | 'none';

/**
 * The rules as issue 7 states them, written here independently of src/auth/access.ts: VIEWER reads; UPLOADER also
 * uploads (APPEND) and cancels its own tasks; ADMIN also keys and the audit log; only a server admin creates
 * workspaces. Every GraphQL root field and every REST route must have an entry (or be a web app file).
 */
const EXPECTED: Record<string, { access: Access; scope: Scope }> = {
  'Query.me': { access: 'VIEWER', scope: 'none' },
  'Query.ingestionTask': { access: 'VIEWER', scope: 'workspace' },
  'Query.ingestionTasks': { access: 'VIEWER', scope: 'workspace' },
  'Query.dataSourceSummary': { access: 'VIEWER', scope: 'workspace' },
  'Query.dataSourceSchema': { access: 'VIEWER', scope: 'workspace' },
  'Query.dataSourceTimeSeries': { access: 'VIEWER', scope: 'workspace' },
  'Query.uploadLimits': { access: 'VIEWER', scope: 'none' },
  'Query.apiKeys': { access: 'ADMIN', scope: 'workspace' },
  'Query.auditEvents': { access: 'ADMIN', scope: 'workspace' },
  'Mutation.uploadSalesData': { access: 'UPLOADER', scope: 'none' },
  // A preview shows the stored schema of the caller's own workspace's data source only.
  'Mutation.previewUpload': { access: 'UPLOADER', scope: 'workspace' },
  'Mutation.cancelIngestionTask': { access: 'UPLOADER', scope: 'workspace' },
  'Mutation.createWorkspace': { access: 'SERVER_ADMIN', scope: 'none' },
  'Mutation.createApiKey': { access: 'ADMIN', scope: 'none' },
  'Mutation.revokeApiKey': { access: 'ADMIN', scope: 'workspace' },
  'Mutation.deleteDataSource': { access: 'ADMIN', scope: 'workspace' },
  'Subscription.ingestionTaskUpdated': { access: 'VIEWER', scope: 'workspace' },
  'GET /healthz': { access: 'PUBLIC', scope: 'none' },
  'HEAD /healthz': { access: 'PUBLIC', scope: 'none' },
  'GET /readyz': { access: 'PUBLIC', scope: 'none' },
  'HEAD /readyz': { access: 'PUBLIC', scope: 'none' },
  'POST /api/v1/session': { access: 'PUBLIC', scope: 'none' },
  'GET /api/v1/session': { access: 'SIGNED_IN', scope: 'none' },
  'HEAD /api/v1/session': { access: 'SIGNED_IN', scope: 'none' },
  'DELETE /api/v1/session': { access: 'SIGNED_IN', scope: 'none' },
  'POST /api/v1/uploads': { access: 'UPLOADER', scope: 'none' },
  'POST /api/v1/previews': { access: 'UPLOADER', scope: 'workspace' },
  'GET /api/v1/tasks': { access: 'VIEWER', scope: 'workspace' },
  // A HEAD of the list shows no task: any workspace's caller gets the same empty answer.
  'HEAD /api/v1/tasks': { access: 'VIEWER', scope: 'none' },
  'GET /api/v1/tasks/:taskId': { access: 'VIEWER', scope: 'workspace' },
  'HEAD /api/v1/tasks/:taskId': { access: 'VIEWER', scope: 'workspace' },
  'POST /api/v1/tasks/:taskId/cancel': { access: 'UPLOADER', scope: 'workspace' },
  'GET /api/v1/tasks/:taskId/rejections.csv': { access: 'VIEWER', scope: 'workspace' },
  'HEAD /api/v1/tasks/:taskId/rejections.csv': { access: 'VIEWER', scope: 'workspace' },
  'POST /graphql': { access: 'SIGNED_IN', scope: 'none' },
  'DELETE /api/v1/data-sources/:name': { access: 'ADMIN', scope: 'workspace' },
};

interface Credential {
  name: string;
  authorization: string | undefined;
  /** Null: the credential must be refused. */
  principal: { role: 'VIEWER' | 'UPLOADER' | 'ADMIN'; serverAdmin: boolean; workspace: string } | null;
}

const RANK = { VIEWER: 0, UPLOADER: 1, ADMIN: 2 } as const;

function expectedOutcome(credential: Credential, rule: { access: Access; scope: Scope }): Outcome {
  if (rule.access === 'PUBLIC') return 'ALLOWED';
  const principal = credential.principal;
  if (principal === null) return 'UNAUTHENTICATED';
  if (rule.access === 'SERVER_ADMIN' && !principal.serverAdmin) return 'FORBIDDEN';
  if (rule.access !== 'SIGNED_IN' && rule.access !== 'SERVER_ADMIN' && RANK[principal.role] < RANK[rule.access]) {
    return 'FORBIDDEN';
  }
  return rule.scope === 'workspace' && principal.workspace !== 'default' ? 'HIDDEN' : 'ALLOWED';
}

/** What a GraphQL answer amounts to; `seesDefault` tells whether the data shows workspace `default`'s objects. */
function graphqlOutcome(
  answer: Awaited<ReturnType<typeof graphql<Record<string, unknown>>>>,
  seesDefault: (data: Record<string, unknown>) => boolean,
): string {
  const code = answer.errors?.[0]?.extensions?.code;
  if (answer.status === 401) return code === 'UNAUTHENTICATED' ? 'UNAUTHENTICATED' : `401 with ${code}`;
  if (code === 'FORBIDDEN') return 'FORBIDDEN';
  if (code === 'TASK_NOT_FOUND' || code === 'API_KEY_NOT_FOUND' || code === 'DATA_SOURCE_NOT_FOUND') return 'HIDDEN';
  if (answer.errors?.length) return `error ${code}: ${answer.errors[0]?.message}`;
  return seesDefault(answer.data ?? {}) ? 'ALLOWED' : 'HIDDEN';
}

function restOutcome(status: number, body: unknown, method = 'GET'): string {
  if (method === 'HEAD') {
    // A HEAD answer has the status of the GET, without its body.
    body = { code: { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'TASK_NOT_FOUND' }[status] };
  }
  const code = typeof body === 'object' && body !== null ? (body as { code?: string }).code : undefined;
  if (status === 401) return code === 'UNAUTHENTICATED' ? 'UNAUTHENTICATED' : `401 with ${code}`;
  if (status === 403) return code === 'FORBIDDEN' ? 'FORBIDDEN' : `403 with ${code}`;
  if (status === 404 && (code === 'TASK_NOT_FOUND' || code === 'DATA_SOURCE_NOT_FOUND')) return 'HIDDEN';
  if (status >= 200 && status < 300) return 'ALLOWED';
  return `HTTP ${status} ${code ?? ''}`;
}

for (const backend of backends) {
  describe(`the authorization matrix on ${backend}`, () => {
    let app: TestApp;
    let oidc: OidcProvider;
    let credentials: Credential[];
    let defaultTaskId: string;
    let uploaderActor: string;
    let metric: string;
    const keys: Record<string, string> = {};
    /** Probes: one request per operation, aimed at workspace `default`'s objects. */
    let probes: Record<string, (target: ApiTarget) => Promise<string>>;

    before(async () => {
      oidc = await startOidcProvider();
      app = await startTestApp({
        backend,
        // Probes leave PENDING tasks behind (cancel targets); the upload limit has its own test.
        env: { OIDC_ISSUER: oidc.issuer, OIDC_AUDIENCE: oidc.audience, MAX_CONCURRENT_UPLOADS: '1000' },
      });
      for (const role of ['VIEWER', 'UPLOADER', 'ADMIN', 'REVOKED'] as const) {
        const created = await graphql<{ createApiKey: { apiKey: { id: string }; secret: string } }>(
          app,
          'mutation($name: String!, $role: Role!) { createApiKey(name: $name, role: $role) { apiKey { id } secret } }',
          { name: `${role.toLowerCase()} key`, role: role === 'REVOKED' ? 'ADMIN' : role },
        );
        assert.equal(created.errors, undefined, JSON.stringify(created.errors));
        keys[role] = created.data?.createApiKey.secret ?? '';
        keys[`${role}_ID`] = created.data?.createApiKey.apiKey.id ?? '';
      }
      const revoked = await graphql(app, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
        id: keys.REVOKED_ID,
      });
      assert.equal(revoked.errors, undefined);
      const acme = await graphql<{ createWorkspace: { adminKey: { secret: string } } }>(
        app,
        'mutation { createWorkspace(name: "acme") { workspace { name } adminKey { secret } } }',
      );
      assert.equal(acme.errors, undefined, JSON.stringify(acme.errors));
      uploaderActor = `key:${keys.UPLOADER_ID}`;
      credentials = [
        { name: 'no credential', authorization: undefined, principal: null },
        { name: 'malformed', authorization: 'Bearer not-a-key', principal: null },
        { name: 'revoked key', authorization: bearer(keys.REVOKED ?? ''), principal: null },
        {
          name: 'expired JWT',
          authorization: bearer(
            await oidc.token({ tributary_workspace: 'default', tributary_role: 'admin' }, { expiresIn: -120 }),
          ),
          principal: null,
        },
        {
          name: 'wrong-audience JWT',
          authorization: bearer(
            await oidc.token({ tributary_workspace: 'default', tributary_role: 'admin' }, { audience: 'someone-else' }),
          ),
          principal: null,
        },
        {
          name: 'VIEWER',
          authorization: bearer(keys.VIEWER ?? ''),
          principal: { role: 'VIEWER', serverAdmin: false, workspace: 'default' },
        },
        {
          name: 'VIEWER by OIDC JWT',
          authorization: bearer(await oidc.token({ tributary_workspace: 'default', tributary_role: 'viewer' })),
          principal: { role: 'VIEWER', serverAdmin: false, workspace: 'default' },
        },
        {
          name: 'UPLOADER',
          authorization: bearer(keys.UPLOADER ?? ''),
          principal: { role: 'UPLOADER', serverAdmin: false, workspace: 'default' },
        },
        {
          name: 'ADMIN',
          authorization: bearer(keys.ADMIN ?? ''),
          principal: { role: 'ADMIN', serverAdmin: false, workspace: 'default' },
        },
        {
          name: 'ADMIN of another workspace',
          authorization: bearer(acme.data?.createWorkspace.adminKey.secret ?? ''),
          principal: { role: 'ADMIN', serverAdmin: false, workspace: 'acme' },
        },
        {
          name: 'server admin',
          authorization: app.authorization,
          principal: { role: 'ADMIN', serverAdmin: true, workspace: 'default' },
        },
      ];

      const sample = sampleSalesCsv(60);
      const uploaded = await uploadViaRest(as(app, bearer(keys.UPLOADER ?? '')), {
        dataSourceName: 'sales',
        filename: 'sales.csv',
        content: sample.csv,
      });
      assert.equal(uploaded.status, 202, JSON.stringify(uploaded.body));
      defaultTaskId = String(uploaded.body.taskId);
      assert.equal((await waitForTerminal(app, defaultTaskId)).status, 'SUCCEEDED');
      const schema = await graphql<{ dataSourceSchema: { metrics: { name: string }[] } }>(
        app,
        '{ dataSourceSchema(dataSourceName: "sales") { metrics { name } } }',
      );
      metric = schema.data?.dataSourceSchema.metrics[0]?.name ?? '';
      assert.notEqual(metric, '');

      /** A task of `default` that the UPLOADER created and that is still cancellable. */
      const cancellableTask = () => pendingTask(app, { dataSourceName: 'sales', createdBy: uploaderActor });
      const freshKeyId = async () =>
        (await app.services.keys.create({ workspace: 'default', name: 'to revoke', role: 'VIEWER', createdBy: null }))
          .apiKey.id;
      const small = 'sold_at,units\n2025-01-01T00:00:00Z,1\n';
      /** A data source of `default` with no task in progress. */
      const deletableDataSource = async () => {
        const name = `del_${randomUUID().slice(0, 8)}`;
        await app.services.dataSources.ensure('default', name);
        return name;
      };
      const q =
        (query: string, variables: Record<string, unknown>, sees: (d: Record<string, unknown>) => boolean) =>
        async (target: ApiTarget) =>
          graphqlOutcome(await graphql(target, query, variables), sees);
      const rest =
        (method: string, path: string | (() => Promise<string> | string), body?: unknown) =>
        async (target: ApiTarget) => {
          const url = typeof path === 'string' ? path : await path();
          const answer = await call(target, method, url, body === undefined ? {} : { body });
          return restOutcome(answer.status, answer.body, method);
        };
      const taskPath = (suffix = '') => `/api/v1/tasks/${defaultTaskId}${suffix}`;
      const seesTask = (data: Record<string, unknown>) => JSON.stringify(data).includes(defaultTaskId);

      probes = {
        'Query.me': q('{ me { workspace role } }', {}, (d) => d.me !== null),
        'Query.ingestionTask': q(
          'query($id: ID!) { ingestionTask(taskId: $id) { taskId } }',
          { id: defaultTaskId },
          seesTask,
        ),
        'Query.ingestionTasks': q('{ ingestionTasks(first: 100) { nodes { taskId } } }', {}, seesTask),
        'Query.dataSourceSummary': q(
          '{ dataSourceSummary(dataSourceName: "sales") { rowCount } }',
          {},
          (d) => d.dataSourceSummary !== null,
        ),
        'Query.dataSourceSchema': q(
          '{ dataSourceSchema(dataSourceName: "sales") { timestampColumn } }',
          {},
          (d) => d.dataSourceSchema !== null,
        ),
        'Query.dataSourceTimeSeries': async (target) =>
          graphqlOutcome(
            await graphql(
              target,
              'query($m: String!) { dataSourceTimeSeries(dataSourceName: "sales", metric: $m) { day value } }',
              { m: metric },
            ),
            (d) => (d.dataSourceTimeSeries as unknown[]).length > 0,
          ),
        'Query.uploadLimits': q('{ uploadLimits { maxUploadBytes } }', {}, (d) => d.uploadLimits !== null),
        'Query.apiKeys': q('{ apiKeys { id } }', {}, (d) => JSON.stringify(d).includes(keys.VIEWER_ID ?? '?')),
        'Query.auditEvents': q('{ auditEvents(first: 200) { nodes { target } } }', {}, seesTask),
        'Mutation.uploadSalesData': async (target) => {
          const upload = await uploadViaGraphql(target, {
            dataSourceName: 'matrix',
            filename: 'm.csv',
            content: small,
          });
          const errors = (upload.body as { errors?: { extensions?: { code?: string } }[] }).errors;
          if (upload.status === 401) return errors?.[0]?.extensions?.code ?? '401';
          if (upload.result?.__typename === 'UploadError') return upload.result.code;
          return upload.result?.status === 'UPLOADED' ? 'ALLOWED' : JSON.stringify(upload.body);
        },
        'Mutation.previewUpload': async (target) => {
          const answer = await previewViaGraphql(target, {
            dataSourceName: 'sales',
            filename: 'p.csv',
            content: small,
          });
          const errors = (answer.body as { errors?: { extensions?: { code?: string } }[] }).errors;
          if (answer.status === 401) return errors?.[0]?.extensions?.code ?? '401';
          if (answer.result?.__typename === 'UploadError') return String(answer.result.code);
          if (answer.result?.__typename !== 'UploadPreview') return JSON.stringify(answer.body);
          // Another workspace's caller previews its own (absent) data source: default's schema stays hidden.
          return answer.result.schemaIsStored === true ? 'ALLOWED' : 'HIDDEN';
        },
        'Mutation.cancelIngestionTask': async (target) => {
          const id = await cancellableTask();
          const answer = await graphql<{ cancelIngestionTask: { status: string } | null }>(
            target,
            'mutation($id: ID!) { cancelIngestionTask(taskId: $id) { status } }',
            { id },
          );
          return graphqlOutcome(
            answer,
            (d) => (d.cancelIngestionTask as { status: string } | null)?.status === 'CANCELLED',
          );
        },
        'Mutation.createWorkspace': async (target) =>
          graphqlOutcome(
            await graphql(target, 'mutation($n: String!) { createWorkspace(name: $n) { workspace { name } } }', {
              n: `w${randomUUID().slice(0, 8)}`,
            }),
            (d) => d.createWorkspace !== null,
          ),
        'Mutation.createApiKey': q(
          'mutation { createApiKey(name: "matrix", role: VIEWER) { secret } }',
          {},
          (d) => d.createApiKey !== null,
        ),
        'Mutation.revokeApiKey': async (target) =>
          graphqlOutcome(
            await graphql(target, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
              id: await freshKeyId(),
            }),
            (d) => d.revokeApiKey !== null,
          ),
        'Subscription.ingestionTaskUpdated': (target) => subscriptionOutcome(target, defaultTaskId),
        'Mutation.deleteDataSource': async (target) =>
          graphqlOutcome(
            await graphql(target, 'mutation($n: String!) { deleteDataSource(name: $n) }', {
              n: await deletableDataSource(),
            }),
            (d) => d.deleteDataSource === true,
          ),
        'DELETE /api/v1/data-sources/:name': rest(
          'DELETE',
          async () => `/api/v1/data-sources/${await deletableDataSource()}`,
        ),
        'GET /healthz': rest('GET', '/healthz'),
        'HEAD /healthz': rest('HEAD', '/healthz'),
        'GET /readyz': rest('GET', '/readyz'),
        'HEAD /readyz': rest('HEAD', '/readyz'),
        'POST /api/v1/session': rest('POST', '/api/v1/session', { apiKey: keys.VIEWER }),
        'GET /api/v1/session': rest('GET', '/api/v1/session'),
        'HEAD /api/v1/session': rest('HEAD', '/api/v1/session'),
        'DELETE /api/v1/session': rest('DELETE', '/api/v1/session'),
        'POST /api/v1/previews': async (target) => {
          const answer = await previewViaRest(target, { dataSourceName: 'sales', filename: 'p.csv', content: small });
          const outcome = restOutcome(answer.status, answer.body);
          return outcome === 'ALLOWED' && answer.body.schemaIsStored !== true ? 'HIDDEN' : outcome;
        },
        'POST /api/v1/uploads': async (target) => {
          const upload = await uploadViaRest(target, { dataSourceName: 'matrix', filename: 'm.csv', content: small });
          return restOutcome(upload.status, upload.body);
        },
        'GET /api/v1/tasks': async (target) => {
          const answer = await call(target, 'GET', '/api/v1/tasks?first=100');
          const outcome = restOutcome(answer.status, answer.body);
          return outcome === 'ALLOWED' && !JSON.stringify(answer.body).includes(defaultTaskId) ? 'HIDDEN' : outcome;
        },
        'HEAD /api/v1/tasks': rest('HEAD', '/api/v1/tasks'),
        'GET /api/v1/tasks/:taskId': rest('GET', () => taskPath()),
        'HEAD /api/v1/tasks/:taskId': rest('HEAD', () => taskPath()),
        'POST /api/v1/tasks/:taskId/cancel': rest(
          'POST',
          async () => `/api/v1/tasks/${await cancellableTask()}/cancel`,
        ),
        'GET /api/v1/tasks/:taskId/rejections.csv': rest('GET', () => taskPath('/rejections.csv')),
        'HEAD /api/v1/tasks/:taskId/rejections.csv': rest('HEAD', () => taskPath('/rejections.csv')),
        'POST /graphql': q('{ __typename }', {}, () => true),
      };
    });

    after(async () => {
      await app?.close();
      await oidc?.close();
    });

    /** A subscription's first answer: an event, TASK_NOT_FOUND, or the socket closed at connection_init (4401). */
    async function subscriptionOutcome(target: ApiTarget, taskId: string): Promise<string> {
      const client = createClient({
        url: `${target.baseUrl.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        connectionParams: target.authorization ? { authorization: target.authorization } : {},
      });
      try {
        const events = client.iterate({
          query: 'subscription($id: ID!) { ingestionTaskUpdated(taskId: $id) { taskId } }',
          variables: { id: taskId },
        });
        const first = await events.next();
        return first.value?.data ? 'ALLOWED' : JSON.stringify(first);
      } catch (error) {
        const text = Array.isArray(error) ? JSON.stringify(error) : String(error);
        if ((error as { code?: number }).code === 4401) return 'UNAUTHENTICATED';
        if (text.includes('"FORBIDDEN"')) return 'FORBIDDEN';
        if (text.includes('"TASK_NOT_FOUND"')) return 'HIDDEN';
        return `subscription failed: ${text}`;
      } finally {
        await client.dispose();
      }
    }

    test('every GraphQL operation and REST route has a rule, the same rule the server enforces', async () => {
      const schema = await graphql<{
        __schema: Record<'queryType' | 'mutationType' | 'subscriptionType', { fields: { name: string }[] }>;
      }>(
        app,
        '{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }',
      );
      const types = schema.data?.__schema;
      assert.ok(types);
      const graphqlOperations = [
        ...types.queryType.fields.map((f) => `Query.${f.name}`),
        ...types.mutationType.fields.map((f) => `Mutation.${f.name}`),
        ...types.subscriptionType.fields.map((f) => `Subscription.${f.name}`),
      ];
      const routes = app.server.routeAccess();
      const apiRoutes = routes.filter((r) => isApiRoute(r.url));
      const discovered = [...graphqlOperations, ...apiRoutes.map((r) => `${r.method} ${r.url}`)];
      assert.deepEqual(
        discovered.filter((op) => !(op in EXPECTED)),
        [],
        'operations without an expected rule in this test',
      );
      assert.deepEqual(
        Object.keys(EXPECTED).filter((op) => !discovered.includes(op)),
        [],
        'rules for operations that no longer exist',
      );
      for (const route of apiRoutes) {
        assert.equal(route.access, EXPECTED[`${route.method} ${route.url}`]?.access, `${route.method} ${route.url}`);
      }
      // Everything else is the web app (static files and the index.html fallback): open to all.
      for (const route of routes.filter((r) => !isApiRoute(r.url))) {
        assert.equal(route.access, 'PUBLIC', `${route.method} ${route.url}`);
      }
      assert.deepEqual(Object.keys(probes).sort(), Object.keys(EXPECTED).sort(), 'one probe per operation');
    });

    test('every operation × {no credential, malformed, revoked key, expired JWT, wrong-audience JWT, VIEWER, UPLOADER, ADMIN, ADMIN of another workspace, server admin}', async () => {
      const mismatches: string[] = [];
      let checked = 0;
      for (const [operation, rule] of Object.entries(EXPECTED)) {
        for (const credential of credentials) {
          const probe = probes[operation];
          assert.ok(probe, operation);
          const observed = await probe(as(app, credential.authorization));
          const expected = expectedOutcome(credential, rule);
          checked++;
          if (observed !== expected)
            mismatches.push(`${operation} as ${credential.name}: ${observed}, expected ${expected}`);
        }
      }
      assert.deepEqual(mismatches, []);
      assert.ok(checked >= 300, `checked ${checked} pairs`);
    });

    test('the web app files are open to everyone; the API is not', async () => {
      assert.equal((await call(as(app, undefined), 'GET', '/')).status, 200);
      assert.equal((await call(as(app, undefined), 'GET', '/sign-in')).status, 200);
      assert.equal((await call(as(app, undefined), 'GET', '/api/v1/tasks')).status, 401);
    });
  });
}

function isApiRoute(url: string): boolean {
  return /^\/(api|graphql|healthz|readyz)(\/|$)/.test(url);
}
