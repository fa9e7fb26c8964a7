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
}

export const TASK_FIELDS = `taskId dataSourceName filename fileSizeBytes status rowsTotal rowsValid rowsRejected rowsLoaded
  bytesProcessed errorCode errorMessage createdAt updatedAt format mode attempt minTime maxTime statusHistory { status at }`;

export const UPLOAD_MUTATION = `mutation Upload($file: Upload!, $dataSourceName: String!, $mode: IngestMode) {
  uploadSalesData(file: $file, dataSourceName: $dataSourceName, mode: $mode) {
    __typename
    ... on IngestionTaskStatus { ${TASK_FIELDS} }
    ... on UploadError { code message details }
  }
}`;

/** An error from the API (or the network) with the code to show next to its message. */
export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface GraphqlBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Turns a GraphQL response body into its data, or throws the first error with its code. */
export function unwrap<T>(body: GraphqlBody<T>, status: number): T {
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.extensions?.code ?? `HTTP_${status}`, first.message);
  if (!body.data) throw new ApiError(`HTTP_${status}`, 'The server answered without data.');
  return body.data;
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
