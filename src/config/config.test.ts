import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, readConfig } from './config.ts';

test('defaults need no environment at all', () => {
  const config = readConfig({});
  assert.equal(config.port, 8080);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.dataDir, path.resolve('./data'));
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.s3, undefined);
  assert.equal(config.maxUploadBytes, 5 * 1024 ** 3);
  assert.equal(config.maxRejectedRatio, 0.05);
});

test('S3 settings are read together', () => {
  const config = readConfig({
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_BUCKET: 'uploads',
    S3_ACCESS_KEY_ID: 'a',
    S3_SECRET_ACCESS_KEY: 'b',
  });
  assert.deepEqual(config.s3, {
    endpoint: 'http://127.0.0.1:9000',
    bucket: 'uploads',
    region: 'us-east-1',
    accessKeyId: 'a',
    secretAccessKey: 'b',
    forcePathStyle: true,
  });
});

test('Druid settings come with their retry bounds', () => {
  const config = readConfig({ DRUID_URL: 'http://127.0.0.1:8888/', S3_BUCKET: 'b', DRUID_RETRY_SECONDS: '5' });
  assert.deepEqual(config.druid, { url: 'http://127.0.0.1:8888', retrySeconds: 5, taskTimeoutSeconds: 3600 });
});

test('security settings: defaults, and PUBLIC_URL with a public HOST', () => {
  const defaults = readConfig({}).security;
  assert.equal(defaults.publicUrl, undefined);
  assert.equal(defaults.oidc, undefined);
  assert.deepEqual(
    [defaults.uploadIdleTimeoutSeconds, defaults.maxConcurrentUploads, defaults.maxColumns, defaults.maxQueryCost],
    [60, 4, 500, 10_000],
  );
  assert.equal(defaults.production, false);
  const deployed = readConfig({
    HOST: '0.0.0.0',
    PUBLIC_URL: 'https://tributary.example.com',
    OIDC_ISSUER: 'https://id.example.com/realms/sales',
    OIDC_AUDIENCE: 'tributary',
    NODE_ENV: 'production',
  }).security;
  assert.equal(deployed.publicUrl?.origin, 'https://tributary.example.com');
  assert.deepEqual(deployed.oidc, {
    issuer: 'https://id.example.com/realms/sales',
    audience: 'tributary',
    jwksUrl: undefined,
    workspaceClaim: 'tributary_workspace',
    roleClaim: 'tributary_role',
  });
  assert.equal(deployed.production, true);
});

test('a bad variable is named in the error', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /^PORT must be a whole number/],
    [{ PORT: '70000' }, /^PORT must be between/],
    [{ MAX_UPLOAD_BYTES: '-1' }, /^MAX_UPLOAD_BYTES/],
    [{ MAX_REJECTED_RATIO: '1.5' }, /^MAX_REJECTED_RATIO/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be a postgres/],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL must be a URL/],
    [{ S3_ENDPOINT: 'http://x' }, /^S3_BUCKET is required/],
    [{ S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'a' }, /S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY/],
    [{ S3_BUCKET: 'b', S3_FORCE_PATH_STYLE: 'maybe' }, /^S3_FORCE_PATH_STYLE/],
    [{ DRUID_URL: 'http://127.0.0.1:8888' }, /^DRUID_URL needs S3_BUCKET/],
    [{ DRUID_URL: 'nope', S3_BUCKET: 'b' }, /^DRUID_URL must be a URL/],
    [{ HOST: '0.0.0.0' }, /^PUBLIC_URL is required when HOST \(0\.0\.0\.0\) is not a loopback address/],
    [{ PUBLIC_URL: 'ftp://x' }, /^PUBLIC_URL must be an http/],
    [{ PUBLIC_URL: 'https://x.example/app' }, /^PUBLIC_URL must be an origin only/],
    [{ ADMIN_API_KEY: 'secret' }, /^ADMIN_API_KEY must be "trb_"/],
    [{ OIDC_ISSUER: 'https://id.example' }, /^OIDC_ISSUER and OIDC_AUDIENCE must be set together/],
    [{ OIDC_ISSUER: 'nope', OIDC_AUDIENCE: 'a' }, /^OIDC_ISSUER must be a URL/],
    [{ UPLOAD_IDLE_TIMEOUT_SECONDS: '0' }, /^UPLOAD_IDLE_TIMEOUT_SECONDS/],
    [{ MAX_COLUMNS: 'many' }, /^MAX_COLUMNS/],
    [{ MAX_QUERY_COST: '10' }, /^MAX_QUERY_COST must be between/],
    [{ TRUST_PROXY: 'the proxy' }, /^TRUST_PROXY must list addresses/],
    [{ ROLE: 'worker' }, /^ROLE=worker runs the API and the workers as separate processes.*DATABASE_URL.*DRUID_URL/],
    [{ ROLE: 'api', DATABASE_URL: 'postgres://x/y' }, /^ROLE=api .*DRUID_URL/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => readConfig(env),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
    );
  }
});
