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
      'A request signed in by the session cookie that changes something must carry this site\'s Origin or a header such as "Apollo-Require-Preflight: true" (CSRF protection).',
  },
  TASK_NOT_FOUND: { status: 404, message: 'No ingestion task has this id.' },
  NO_TIMESTAMP_COLUMN: {
    status: 422,
    message:
      'No timestamp column was found: no column has a date or time word in its name ("Order Date", "created_at", "timestamp") and values in a supported date format. Name the column with timestampColumn, or see the supported formats in the API guide.',
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
  TASK_NOT_CANCELLABLE: {
    status: 409,
    message:
      'The task has finished, or its rows are being committed to the analytics store, so it cannot be cancelled.',
  },
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
    message: "The Druid ingestion task failed. Druid's own error is in the server log under the error id.",
  },
  INTERNAL: { status: 500, message: 'An internal error occurred. The error has been logged.' },
  INVALID_HEADER: {
    status: 422,
    message:
      'The header row is invalid: every column needs a unique, non-empty name, and __time, __task_id and __row_count are reserved.',
  },
  UNAUTHENTICATED: {
    status: 401,
    message: 'Sign in: send "Authorization: Bearer <API key or token>", or open a session at /sign-in.',
  },
  FORBIDDEN: { status: 403, message: 'Your role does not allow this operation. Ask an admin of your workspace.' },
  TOO_MANY_REQUESTS: {
    status: 429,
    message: 'Too many failed sign-in attempts or requests from your address. Wait and try again.',
  },
  TOO_MANY_UPLOADS: {
    status: 429,
    message: 'Your workspace already has the most uploads in progress that it may. Wait for one to finish.',
  },
  TOO_MANY_COLUMNS: {
    status: 422,
    message: 'The file has more columns than allowed. Split it, or drop the columns you do not need.',
  },
  COMPRESSION_RATIO_TOO_HIGH: {
    status: 413,
    message: 'The compressed file expands far more than sales data does, so it was not read. Upload it uncompressed.',
  },
  UPLOAD_CANCELLED: {
    status: 409,
    message: 'The task was cancelled while its file was uploading, so the file was not kept.',
  },
  CROSS_ORIGIN_REFUSED: {
    status: 403,
    message: "The request came from another site's page, or lacks the header that proves it did not.",
  },
  HOST_NOT_ALLOWED: {
    status: 421,
    message: 'The request is addressed to a host name this server does not answer for (see PUBLIC_URL).',
  },
  INVALID_WORKSPACE_NAME: {
    status: 400,
    message: 'A workspace name is 1–32 lower-case letters, digits or "-", starting with a letter.',
  },
  WORKSPACE_EXISTS: { status: 409, message: 'A workspace with this name already exists. Choose another name.' },
  API_KEY_NOT_FOUND: { status: 404, message: 'Your workspace has no API key with this id.' },
  QUERY_TOO_COMPLEX: {
    status: 400,
    message: 'The GraphQL query asks for too much at once. Ask for fewer items or fields, or page through them.',
  },
  DATA_SOURCE_NOT_FOUND: { status: 404, message: 'Your workspace has no data source with this name.' },
  DATA_SOURCE_BUSY: {
    status: 409,
    message: 'The data source has uploads in progress. Wait for them to finish, or cancel them, then delete it.',
  },
  DUPLICATE_FILE: {
    status: 409,
    message:
      'This data source already holds this file (the same SHA-256), so it was not appended again. Upload with allowDuplicate if it really is new data.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'This Idempotency-Key was used for a different request. Use a new key for a new upload.',
  },
  SHUTTING_DOWN: {
    status: 503,
    message: 'The server is restarting and takes no new uploads right now. Upload again in a few seconds.',
  },
  IDENTITY_PROVIDER_UNAVAILABLE: {
    status: 503,
    message: 'The identity provider could not be reached to check your token. Try again shortly.',
  },
  AMBIGUOUS_DATE_FORMAT: {
    status: 422,
    message:
      'Every sampled date of the timestamp column reads both month-first and day-first (e.g. 3/4/2025). Upload again with dateOrder MDY (month first) or DMY (day first); the choice is remembered for the data source.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalogue, code);
}
