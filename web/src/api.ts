/** The GraphQL API, as this app uses it: one fetch helper, the task fields, and typed errors that keep their code. */

export type Status = 'PENDING' | 'UPLOADED' | 'VALIDATING' | 'INGESTING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const STATUSES: Status[] = [
  'PENDING',
  'UPLOADED',
  'VALIDATING',
  'INGESTING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
];
export const TERMINAL: ReadonlySet<Status> = new Set<Status>(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export interface Task {
  __typename?: 'IngestionTaskStatus';
  taskId: string;
  dataSourceName: string;
  filename: string;
  fileSizeBytes: number;
  status: Status;
  rowsTotal: number | null;
  rowsValid: number | null;
  rowsRejected: number | null;
  rowsLoaded: number | null;
  bytesProcessed: number;
  errorCode: string | null;
  errorMessage: string | null;
  /** For server errors: the id an operator finds the underlying error under in the log. */
  errorId: string | null;
  createdAt: string;
  updatedAt: string;
  format: string | null;
  mode: 'APPEND' | 'REPLACE';
  attempt: number;
  minTime: string | null;
  maxTime: string | null;
  statusHistory: { status: Status; at: string }[];
}

export interface Rejection {
  line: number;
  column: string | null;
  code: string;
  message: string;
  raw: string | null;
}

export interface UploadError {
  __typename: 'UploadError';
  code: string;
  message: string;
  details: string | null;
  errorId?: string | null;
}

export const TASK_FIELDS = `taskId dataSourceName filename fileSizeBytes status rowsTotal rowsValid rowsRejected rowsLoaded
  bytesProcessed errorCode errorMessage errorId createdAt updatedAt format mode attempt minTime maxTime statusHistory { status at }`;

export const UPLOAD_MUTATION = `mutation Upload($file: Upload!, $dataSourceName: String!, $mode: IngestMode,
  $timestampColumn: String, $dateOrder: DateOrder, $timeZone: String) {
  uploadSalesData(file: $file, dataSourceName: $dataSourceName, mode: $mode, timestampColumn: $timestampColumn,
    dateOrder: $dateOrder, timeZone: $timeZone) {
    __typename
    ... on IngestionTaskStatus { ${TASK_FIELDS} }
    ... on UploadError { code message details errorId }
  }
}`;

/** An error from the API (or the network) with the code to show next to its message (and an error id to quote). */
export class ApiError extends Error {
  readonly code: string;
  /** For server errors: quote it to an operator, who finds the underlying error in the log under this id. */
  readonly errorId: string | undefined;
  /** The server's own detail (problem+json `detail`), when there is one. */
  readonly detail: string | undefined;
  constructor(
    code: string,
    message: string,
    extra: { errorId?: string | undefined; detail?: string | undefined } = {},
  ) {
    super(message);
    this.code = code;
    this.errorId = extra.errorId;
    this.detail = extra.detail;
  }
}

/** Any caught value as an ApiError (fetch's own failures are network errors). */
export function asApiError(caught: unknown): ApiError {
  return caught instanceof ApiError ? caught : new ApiError('NETWORK_ERROR', String(caught));
}

let unauthenticatedHandler: (() => void) | undefined;

/** What the app does when any call answers UNAUTHENTICATED (no session, or it ended): App sends the user to sign in. */
export function setUnauthenticatedHandler(handler: (() => void) | undefined): void {
  unauthenticatedHandler = handler;
}

/** Tells the app that the server no longer knows this browser (called by every API helper on UNAUTHENTICATED). */
export function reportUnauthenticated(): void {
  unauthenticatedHandler?.();
}

interface GraphqlBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; errorId?: string } }[];
}

/** Turns a GraphQL response body into its data, or throws the first error with its code. */
export function unwrap<T>(body: GraphqlBody<T>, status: number): T {
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code ?? `HTTP_${status}`;
    if (code === 'UNAUTHENTICATED') reportUnauthenticated();
    throw new ApiError(code, first.message, { errorId: first.extensions?.errorId });
  }
  if (!body.data) throw new ApiError(`HTTP_${status}`, 'The server answered without data.');
  return body.data;
}

/** A REST error answer (problem+json: code, title, detail, errorId) as an ApiError; the caller decides what 401 means. */
export async function problemOf(response: Response): Promise<ApiError> {
  let problem: { code?: unknown; title?: unknown; detail?: unknown; errorId?: unknown } = {};
  try {
    problem = (await response.json()) as typeof problem;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const code = typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`;
  const title = typeof problem.title === 'string' ? problem.title : `The server answered ${response.status}.`;
  const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
  const errorId = typeof problem.errorId === 'string' ? problem.errorId : undefined;
  return new ApiError(code, detail ? `${title} (${detail})` : title, { errorId, detail });
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError('NETWORK_ERROR', 'The server could not be reached. Check your connection and try again.');
  }
  let body: GraphqlBody<T>;
  try {
    body = (await response.json()) as GraphqlBody<T>;
  } catch {
    throw new ApiError(`HTTP_${response.status}`, `The server answered ${response.status} without a GraphQL body.`);
  }
  return unwrap(body, response.status);
}

export const TASK_QUERY = `query Task($id: ID!) { ingestionTask(taskId: $id) { ${TASK_FIELDS} } }`;

export async function cancelTask(taskId: string): Promise<Task | null> {
  const data = await gql<{ cancelIngestionTask: Task | null }>(
    `mutation Cancel($id: ID!) { cancelIngestionTask(taskId: $id) { ${TASK_FIELDS} } }`,
    { id: taskId },
  );
  return data.cancelIngestionTask;
}

let limits: Promise<{ maxUploadBytes: number; maxRejectedRatio: number }> | undefined;
/** The server's upload limits, asked once per page load. */
export function uploadLimits(): Promise<{ maxUploadBytes: number; maxRejectedRatio: number }> {
  limits ??= gql<{ uploadLimits: { maxUploadBytes: number; maxRejectedRatio: number } }>(
    '{ uploadLimits { maxUploadBytes maxRejectedRatio } }',
  ).then((data) => data.uploadLimits);
  limits.catch(() => {
    limits = undefined;
  });
  return limits;
}
