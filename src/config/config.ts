import { availableParallelism } from 'node:os';
import path from 'node:path';
import { assertTrustProxy } from '../api/security/clientAddress.ts';

/** Everything the service reads from its environment, validated once at start. */
export type ProcessRole = 'all' | 'api' | 'worker';

export interface Config {
  /** all: API and worker in one process (the default); api or worker alone to scale them apart. */
  role: ProcessRole;
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  s3: S3Config | undefined;
  /** Apache Druid as the analytics store (needs S3: Druid reads the validated files from the bucket). */
  druid: DruidConfig | undefined;
  maxUploadBytes: number;
  maxRejectedRatio: number;
  /** Rejections kept in full per task (line, column, message, raw); all are counted per code. */
  maxStoredRejections: number;
  /** A gzip upload may decompress to at most this many bytes (guards against gzip bombs). */
  maxDecompressedBytes: number;
  workerConcurrency: number;
  /**
   * Threads that validate a file's rows besides the worker's own (0: the worker alone). Shared by the process's jobs.
   * Default: the machine's cores, at most 4.
   */
  validationThreads: number;
  /**
   * Hash a stored file again while validating it (CHECKSUM_MISMATCH when it changed since the upload). Off by default:
   * the upload hashed it once, and the object store keeps it (S3 checks its own checksums).
   */
  verifyStoredChecksum: boolean;
  /** Raw files and rejections of tasks finished longer ago are removed (task rows stay); undefined: kept. */
  retentionDays: number | undefined;
  /** How often the worker sweeps for lost jobs, dead uploads and left-over files. */
  sweepIntervalSeconds: number;
  /** On SIGTERM/SIGINT, how long uploads already arriving may take to finish before the process exits. */
  shutdownGraceSeconds: number;
  /** Retries of a failed ingestion attempt (transient errors only), with exponential backoff from the delay. */
  jobRetryLimit: number;
  jobRetryDelaySeconds: number;
  /** A running job's heartbeat: a job whose worker died is taken up again after about twice this. */
  jobHeartbeatSeconds: number;
  logLevel: string;
  /** The built web app served at `/`. */
  webRoot: string;
  /** Identity, sessions and the defences against hostile clients. */
  security: SecurityConfig;
}

export interface SecurityConfig {
  /** The address browsers use (https → Secure cookies); Host and Origin are checked against it and the listen address. */
  publicUrl: URL | undefined;
  /** The first (server-admin) key's secret, instead of a generated one. */
  adminApiKey: string | undefined;
  oidc: OidcConfig | undefined;
  sessionTtlHours: number;
  /** An upload that sends no byte for this long, or fewer than minBytesPerSecond over such a window, is ended. */
  uploadIdleTimeoutSeconds: number;
  uploadMinBytesPerSecond: number;
  /** Uploads in progress at once per workspace. */
  maxConcurrentUploads: number;
  maxColumns: number;
  /** A gzip upload may expand at most this many times (checked once 1 MiB is decompressed). */
  maxCompressionRatio: number;
  /** The GraphQL cost limit; each rejected row returned costs at least 1, so it also caps rejections per response. */
  maxQueryCost: number;
  /** Failed authentications per address and minute before further attempts get 429. */
  authFailuresPerMinute: number;
  /** NODE_ENV=production: no GraphQL introspection. */
  production: boolean;
  /** A request body other than an upload must arrive whole within this time. */
  bodyTimeoutSeconds: number;
  /** Open connections one API process accepts (a bound on sockets and file descriptors). */
  maxConnections: number;
  /** Proxies whose X-Forwarded-For is believed (addresses, CIDRs, `loopback`, …); unset: the TCP peer is the client. */
  trustProxy: string[] | undefined;
}

export interface OidcConfig {
  issuer: string;
  audience: string;
  /** The JWKS; when unset, read from the issuer's discovery document. */
  jwksUrl: string | undefined;
  workspaceClaim: string;
  roleClaim: string;
}

export interface S3Config {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

export interface DruidConfig {
  /** The router (or any URL serving the Overlord, Coordinator and SQL APIs). */
  url: string;
  /** How long calls to Druid are retried with backoff before the task fails with DRUID_UNAVAILABLE. */
  retrySeconds: number;
  /** How long a Druid ingestion task may run before we stop waiting. */
  taskTimeoutSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const GIB = 1024 ** 3;

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const s3Bucket = optional(env, 'S3_BUCKET');
  const s3Endpoint = optional(env, 'S3_ENDPOINT');
  if (s3Endpoint !== undefined) parseUrl(env, 'S3_ENDPOINT');
  const anyS3 = ['S3_ENDPOINT', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_FORCE_PATH_STYLE'].some(
    (name) => optional(env, name) !== undefined,
  );
  if (anyS3 && s3Bucket === undefined) {
    throw new ConfigError('S3_BUCKET is required when any other S3_* variable is set');
  }
  const accessKeyId = optional(env, 'S3_ACCESS_KEY_ID');
  const secretAccessKey = optional(env, 'S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  }
  const databaseUrl = optional(env, 'DATABASE_URL');
  if (databaseUrl !== undefined) {
    const url = parseUrl(env, 'DATABASE_URL');
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new ConfigError(`DATABASE_URL must be a postgres:// URL, got protocol "${url.protocol}"`);
    }
  }
  const druidUrl = optional(env, 'DRUID_URL');
  if (druidUrl !== undefined) {
    parseUrl(env, 'DRUID_URL');
    if (s3Bucket === undefined) {
      throw new ConfigError('DRUID_URL needs S3_BUCKET (and the other S3_* settings): Druid reads the files from S3');
    }
  }
  const host = optional(env, 'HOST') ?? '127.0.0.1';
  const role = oneOf(env, 'ROLE', ['all', 'api', 'worker'], 'all');
  if (role !== 'all' && (databaseUrl === undefined || druidUrl === undefined)) {
    // PGlite and DuckDB live in one process's files: an API and a worker process would each open them.
    throw new ConfigError(
      `ROLE=${role} runs the API and the workers as separate processes, which cannot share the embedded stores: ` +
        'set DATABASE_URL (PostgreSQL) and DRUID_URL with S3_BUCKET (Druid and S3), or leave ROLE unset',
    );
  }
  return {
    role,
    port: integer(env, 'PORT', 8080, 0, 65535),
    host,
    dataDir: path.resolve(optional(env, 'DATA_DIR') ?? './data'),
    databaseUrl,
    s3:
      s3Bucket === undefined
        ? undefined
        : {
            endpoint: s3Endpoint,
            bucket: s3Bucket,
            region: optional(env, 'S3_REGION') ?? 'us-east-1',
            accessKeyId,
            secretAccessKey,
            forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', s3Endpoint !== undefined),
          },
    druid:
      druidUrl === undefined
        ? undefined
        : {
            url: druidUrl.replace(/\/+$/, ''),
            retrySeconds: integer(env, 'DRUID_RETRY_SECONDS', 120, 1, 3600),
            // Under the job queue's 24 h expiry (pg-boss's maximum), with room for the retries around the task.
            taskTimeoutSeconds: integer(env, 'DRUID_TASK_TIMEOUT_SECONDS', 3600, 10, 20 * 3600),
          },
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 5 * GIB, 1, Number.MAX_SAFE_INTEGER),
    maxRejectedRatio: ratio(env, 'MAX_REJECTED_RATIO', 0.05),
    maxStoredRejections: integer(env, 'MAX_STORED_REJECTIONS', 10_000, 0, 10_000_000),
    maxDecompressedBytes: integer(env, 'MAX_DECOMPRESSED_BYTES', 20 * GIB, 1, Number.MAX_SAFE_INTEGER),
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 1, 1, 64),
    // Each thread is a V8 isolate (~30–50 MB): the default stops at 4, however many cores the machine has.
    validationThreads: integer(env, 'VALIDATION_THREADS', Math.min(availableParallelism(), 4), 0, 64),
    verifyStoredChecksum: boolean(env, 'VERIFY_STORED_CHECKSUM', false),
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 30, 0, 3600),
    retentionDays:
      optional(env, 'RETENTION_DAYS') === undefined ? undefined : integer(env, 'RETENTION_DAYS', 0, 1, 36_500),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS', 60, 1, 86_400),
    jobRetryLimit: integer(env, 'JOB_RETRY_LIMIT', 4, 0, 100),
    jobRetryDelaySeconds: integer(env, 'JOB_RETRY_DELAY_SECONDS', 2, 1, 3600),
    jobHeartbeatSeconds: integer(env, 'JOB_HEARTBEAT_SECONDS', 30, 10, 600),
    webRoot: path.resolve(optional(env, 'WEB_ROOT') ?? new URL('../../web/dist', import.meta.url).pathname),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    security: readSecurityConfig(env, host),
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function readSecurityConfig(env: NodeJS.ProcessEnv, host: string): SecurityConfig {
  let publicUrl: URL | undefined;
  if (optional(env, 'PUBLIC_URL') !== undefined) {
    publicUrl = parseUrl(env, 'PUBLIC_URL');
    if (publicUrl.protocol !== 'http:' && publicUrl.protocol !== 'https:') {
      throw new ConfigError(`PUBLIC_URL must be an http:// or https:// URL, got protocol "${publicUrl.protocol}"`);
    }
    if (publicUrl.pathname !== '/' || publicUrl.search !== '' || publicUrl.username !== '') {
      throw new ConfigError('PUBLIC_URL must be an origin only, such as https://tributary.example.com');
    }
  } else if (!isLoopbackHost(host)) {
    throw new ConfigError(
      `PUBLIC_URL is required when HOST (${host}) is not a loopback address: Host and Origin headers are checked against it`,
    );
  }
  const adminApiKey = optional(env, 'ADMIN_API_KEY');
  if (adminApiKey !== undefined && !/^trb_[A-Za-z0-9]{32,200}$/.test(adminApiKey)) {
    throw new ConfigError('ADMIN_API_KEY must be "trb_" followed by at least 32 letters and digits');
  }
  const issuer = optional(env, 'OIDC_ISSUER');
  const audience = optional(env, 'OIDC_AUDIENCE');
  if ((issuer === undefined) !== (audience === undefined)) {
    throw new ConfigError('OIDC_ISSUER and OIDC_AUDIENCE must be set together');
  }
  const jwksUrl = optional(env, 'OIDC_JWKS_URL');
  if (jwksUrl !== undefined) parseUrl(env, 'OIDC_JWKS_URL');
  if (issuer !== undefined) parseUrl(env, 'OIDC_ISSUER');
  return {
    publicUrl,
    adminApiKey,
    oidc:
      issuer === undefined || audience === undefined
        ? undefined
        : {
            issuer,
            audience,
            jwksUrl,
            workspaceClaim: optional(env, 'OIDC_WORKSPACE_CLAIM') ?? 'tributary_workspace',
            roleClaim: optional(env, 'OIDC_ROLE_CLAIM') ?? 'tributary_role',
          },
    sessionTtlHours: integer(env, 'SESSION_TTL_HOURS', 12, 1, 24 * 90),
    uploadIdleTimeoutSeconds: integer(env, 'UPLOAD_IDLE_TIMEOUT_SECONDS', 60, 1, 3600),
    uploadMinBytesPerSecond: integer(env, 'UPLOAD_MIN_BYTES_PER_SECOND', 1024, 0, 1024 ** 3),
    maxConcurrentUploads: integer(env, 'MAX_CONCURRENT_UPLOADS', 4, 1, 1000),
    maxColumns: integer(env, 'MAX_COLUMNS', 500, 1, 10_000),
    maxCompressionRatio: integer(env, 'MAX_COMPRESSION_RATIO', 100, 2, 100_000),
    maxQueryCost: integer(env, 'MAX_QUERY_COST', 10_000, 100, 1_000_000),
    authFailuresPerMinute: integer(env, 'AUTH_FAILURES_PER_MINUTE', 10, 1, 1_000_000),
    production: optional(env, 'NODE_ENV') === 'production',
    trustProxy: trustProxyList(env),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 4096, 16, 1_000_000),
    bodyTimeoutSeconds: integer(env, 'BODY_TIMEOUT_SECONDS', 30, 1, 3600),
  };
}

function trustProxyList(env: NodeJS.ProcessEnv): string[] | undefined {
  const text = optional(env, 'TRUST_PROXY');
  if (text === undefined) return undefined;
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  try {
    assertTrustProxy(entries);
  } catch {
    throw new ConfigError(`TRUST_PROXY must list addresses, CIDRs or loopback/linklocal/uniquelocal, got "${text}"`);
  }
  return entries;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = optional(env, name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new ConfigError(`${name} must be a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${text}`);
  return value;
}

function ratio(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = optional(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || value < 0 || value > 1) {
    throw new ConfigError(`${name} must be a number from 0 to 1, got "${text}"`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const text = optional(env, name)?.toLowerCase();
  if (text === undefined) return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${text}"`);
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const text = optional(env, name);
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  }
  return text as T;
}

function parseUrl(env: NodeJS.ProcessEnv, name: string): URL {
  const text = optional(env, name) ?? '';
  try {
    return new URL(text);
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${text}"`);
  }
}
