import { randomUUID } from 'node:crypto';
import { type ErrorCode, errorCatalogue } from './catalogue.ts';

/**
 * Codes whose details quote another system (the database, S3, DuckDB, Druid, the identity provider): the client
 * sees the catalogue message and an error id, and the details go to the log under that id.
 */
const DETAILS_LOGGED_ONLY: ReadonlySet<ErrorCode> = new Set([
  'INTERNAL',
  'STORAGE_UNAVAILABLE',
  'DRUID_UNAVAILABLE',
  'DRUID_TASK_FAILED',
  'IDENTITY_PROVIDER_UNAVAILABLE',
]);

/** An error with a stable code from the catalogue; `details` says what exactly was wrong. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: string | undefined;
  /** For 429 answers: when to try again (the Retry-After header). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, details?: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(errorCatalogue[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** The details a client may see: none for codes whose details quote another system. */
  get publicDetails(): string | undefined {
    return DETAILS_LOGGED_ONLY.has(this.code) ? undefined : this.details;
  }

  /** Whether the client gets an error id to quote (server errors, and any error whose details are withheld). */
  get needsErrorId(): boolean {
    return this.status >= 500 || DETAILS_LOGGED_ONLY.has(this.code);
  }
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError('INTERNAL', undefined, { cause: error });
}

/** What a client is shown of an error: the catalogue code and message, our own details, an id for server errors. */
export interface ClientError {
  code: ErrorCode;
  status: number;
  message: string;
  details: string | null;
  errorId: string | null;
}

/**
 * Turns any error into what the client may see, and logs the whole error (with its cause) under the error id
 * when there is one. Foreign text (SQL, DuckDB, Druid, S3 messages) never reaches the client.
 */
export function toClientError(
  error: unknown,
  log: { error: (object: object, message: string) => void; warn: (object: object, message: string) => void },
  context: Record<string, unknown> = {},
): ClientError {
  const appError = toAppError(error);
  const errorId = appError.needsErrorId ? randomUUID() : null;
  if (errorId !== null) {
    const level = appError.status >= 500 ? 'error' : 'warn';
    log[level]({ ...context, errorId, code: appError.code, details: appError.details, err: error }, 'request failed');
  }
  return {
    code: appError.code,
    status: appError.status,
    message: appError.message,
    details: appError.publicDetails ?? null,
    errorId,
  };
}
