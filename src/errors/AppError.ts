import { type ErrorCode, errorCatalogue } from './catalogue.ts';

/** An error with a stable code from the catalogue; `details` says what exactly was wrong. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: string | undefined;

  constructor(code: ErrorCode, details?: string, options?: { cause?: unknown }) {
    super(errorCatalogue[code].message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = details;
  }
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError('INTERNAL', undefined, { cause: error });
}
