import path from 'node:path';

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
  /** A gzip upload may decompress to at most this many bytes (guards against gzip bombs). */
  maxDecompressedBytes: number;
  workerConcurrency: number;
  /** Retries of a failed ingestion attempt (transient errors only), with exponential backoff from the delay. */
  jobRetryLimit: number;
  jobRetryDelaySeconds: number;
  logLevel: string;
  /** The built web app served at `/`. */
  webRoot: string;
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
  return {
    role: oneOf(env, 'ROLE', ['all', 'api', 'worker'], 'all'),
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: optional(env, 'HOST') ?? '127.0.0.1',
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
            retrySeconds: integer(env, 'DRUID_RETRY_SECONDS', 120, 1, 86_400),
            taskTimeoutSeconds: integer(env, 'DRUID_TASK_TIMEOUT_SECONDS', 3600, 10, 7 * 86_400),
          },
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 5 * GIB, 1, Number.MAX_SAFE_INTEGER),
    maxRejectedRatio: ratio(env, 'MAX_REJECTED_RATIO', 0.05),
    maxDecompressedBytes: integer(env, 'MAX_DECOMPRESSED_BYTES', 20 * GIB, 1, Number.MAX_SAFE_INTEGER),
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 1, 1, 64),
    jobRetryLimit: integer(env, 'JOB_RETRY_LIMIT', 4, 0, 100),
    jobRetryDelaySeconds: integer(env, 'JOB_RETRY_DELAY_SECONDS', 2, 1, 3600),
    webRoot: path.resolve(optional(env, 'WEB_ROOT') ?? new URL('../../web/dist', import.meta.url).pathname),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  };
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
