import { AppError } from './AppError.ts';
import type { ErrorCode } from './catalogue.ts';

/** Our own "try again": a race another task won (e.g. it fixed the data source's schema first). */
export class RetryAttempt extends Error {
  override name = 'RetryAttempt';
}

/** Catalogue codes for a service that did not answer: worth another attempt with backoff. */
const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set([
  'STORAGE_UNAVAILABLE',
  'DRUID_UNAVAILABLE',
  'IDENTITY_PROVIDER_UNAVAILABLE',
]);

/** Node and undici codes of a network that failed us. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * PostgreSQL SQLSTATEs of a database that went away or refused for now: connection exceptions (class 08), shutdown or
 * crash (57P01–57P03), too many connections (53300), serialization failure (40001), deadlock (40P01).
 */
const TRANSIENT_SQLSTATE = /^(08...|57P0[123]|53300|40001|40P01)$/;

/** node-postgres' own messages (no SQLSTATE) when its connection is gone. */
const PG_CLIENT_LOST =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect)$/;

/**
 * The catalogue of transient causes: storage, database, network, Druid unavailable. These are retried with backoff;
 * everything else fails the task at once (a DuckDB Binder error will not go away on its own).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof RetryAttempt) return true;
  if (error instanceof AppError) return TRANSIENT_CODES.has(error.code);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || TRANSIENT_SQLSTATE.test(code))) return true;
  if (error instanceof Error && PG_CLIENT_LOST.test(error.message)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isTransient(cause);
}
