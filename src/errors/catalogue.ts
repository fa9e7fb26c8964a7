/**
 * The one catalogue of error codes: code → HTTP status → human message.
 * REST renders these as RFC 9457 problem+json, GraphQL as `UploadError` or a task's `errorCode`,
 * and the web client shows the same messages. Codes are a public contract: never rename one.
 */
export const errorCatalogue = {
  EMPTY_FILE: { status: 400, message: 'The file is empty. Choose a file that contains a header row and data rows.' },
  UNSUPPORTED_FORMAT: {
    status: 415,
    message:
      'The file is not CSV, TSV or JSON lines (optionally gzip-compressed). Export your data as UTF-8 CSV and try again.',
  },
  FILE_TOO_LARGE: { status: 413, message: 'The file is larger than the upload limit. Split it into smaller files.' },
  INVALID_DATASOURCE_NAME: {
    status: 400,
    message: 'The data source name must be 1–64 characters of letters, digits, "_" or "-", starting with a letter.',
  },
  INVALID_REQUEST: { status: 400, message: 'The request is malformed.' },
  PREFLIGHT_REQUIRED: {
    status: 400,
    message:
      'Multipart GraphQL requests must carry a non-simple header such as "Apollo-Require-Preflight: true" (CSRF protection).',
  },
  TASK_NOT_FOUND: { status: 404, message: 'No ingestion task has this id.' },
  NO_TIMESTAMP_COLUMN: {
    status: 422,
    message:
      'No timestamp column was found. Name it timestamp, time, ts, date, datetime or *_date/*_time/*_ts/*_at, with ISO 8601 values.',
  },
  NO_DATA_ROWS: { status: 422, message: 'The file has a header row but no data rows.' },
  SCHEMA_MISMATCH: {
    status: 422,
    message:
      "The file's columns differ from the data source's schema. Use the same columns as the first upload, or a new data source.",
  },
  TOO_MANY_REJECTED_ROWS: {
    status: 422,
    message:
      'Too many rows were rejected, so nothing was loaded. Fix the rows listed in the rejections and upload again.',
  },
  DECOMPRESSED_TOO_LARGE: {
    status: 413,
    message: 'The decompressed file is larger than the upload limit. Split it into smaller files.',
  },
  LEDGER_MISMATCH: {
    status: 500,
    message:
      'The analytics store does not hold exactly the rows and totals that validation accepted. Nothing is reported as loaded.',
  },
  STORAGE_UNAVAILABLE: { status: 503, message: 'A storage service is unavailable. Try again shortly.' },
  TASK_NOT_CANCELLABLE: { status: 409, message: 'The task has already finished and cannot be cancelled.' },
  UPLOAD_INTERRUPTED: {
    status: 400,
    message: 'The upload stopped before the whole file arrived. Upload the file again.',
  },
  CHECKSUM_MISMATCH: {
    status: 500,
    message: 'The stored file does not match the SHA-256 recorded at upload. Upload the file again.',
  },
  DRUID_UNAVAILABLE: {
    status: 503,
    message: 'Apache Druid did not answer within the retry period. The stored file is kept; upload it again later.',
  },
  DRUID_TASK_FAILED: {
    status: 500,
    message: 'The Druid ingestion task failed. Its own error message follows.',
  },
  INTERNAL: { status: 500, message: 'An internal error occurred. The error has been logged.' },
  INVALID_HEADER: {
    status: 422,
    message:
      'The header row is invalid: every column needs a unique, non-empty name, and __time, __task_id and __row_count are reserved.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalogue, code);
}
