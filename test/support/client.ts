import type { TaskView } from '../../src/api/taskView.ts';

/** Where and as whom a test calls the API: `authorization` is the whole header value ("Bearer trb_…"). */
export interface ApiTarget {
  baseUrl: string;
  authorization?: string | undefined;
}

/** The same server, as another caller (another key, a JWT, or nobody). */
export function as(target: ApiTarget, authorization: string | undefined): ApiTarget {
  return { baseUrl: target.baseUrl, authorization };
}

export function bearer(secret: string): string {
  return `Bearer ${secret}`;
}

/** Headers that authenticate as the target. */
export function authHeaders(target: ApiTarget, extra: Record<string, string> = {}): Record<string, string> {
  return target.authorization ? { authorization: target.authorization, ...extra } : { ...extra };
}

export interface UploadError {
  __typename: 'UploadError';
  code: string;
  message: string;
  details: string | null;
  errorId?: string | null;
}

export type Task = TaskView & { __typename?: 'IngestionTaskStatus' };

export const TASK_FIELDS = `taskId dataSourceName filename fileSizeBytes sha256 status rowsTotal rowsValid rowsRejected
  rowsLoaded bytesProcessed errorCode errorMessage errorId createdAt updatedAt format mode attempt minTime maxTime
  statusHistory { status at } storeTaskId storeState replacedInterval { start end } rejectionCounts { code count }`;

const UPLOAD_MUTATION = `mutation Upload($file: Upload!, $dataSourceName: String!, $mode: IngestMode) {
  uploadSalesData(file: $file, dataSourceName: $dataSourceName, mode: $mode) {
    __typename
    ... on IngestionTaskStatus { ${TASK_FIELDS} }
    ... on UploadError { code message details errorId }
  }
}`;

/** POST /graphql with a JSON body; returns the parsed response and status. */
export async function graphql<T = Record<string, unknown>>(
  target: ApiTarget,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; details?: string; errorId?: string } }[];
}> {
  const response = await fetch(`${target.baseUrl}/graphql`, {
    method: 'POST',
    headers: authHeaders(target, { 'content-type': 'application/json' }),
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** Uploads a file through the GraphQL multipart request spec, as apollo-upload-client does. */
export async function uploadViaGraphql(
  target: ApiTarget,
  input: { dataSourceName: string; filename: string; content: Buffer | string; mode?: 'APPEND' | 'REPLACE' },
  headers: Record<string, string> = authHeaders(target),
): Promise<{ status: number; result?: Task | UploadError; body: unknown }> {
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({
      query: UPLOAD_MUTATION,
      variables: { file: null, dataSourceName: input.dataSourceName, mode: input.mode ?? 'APPEND' },
    }),
  );
  form.set('map', JSON.stringify({ 0: ['variables.file'] }));
  form.set('0', new Blob([input.content]), input.filename);
  const response = await fetch(`${target.baseUrl}/graphql`, { method: 'POST', body: form, headers });
  const body = (await response.json()) as { data?: { uploadSalesData?: Task | UploadError } };
  return { status: response.status, result: body.data?.uploadSalesData, body };
}

/** Uploads through REST: multipart fields dataSourceName (and mode), then file. */
export async function uploadViaRest(
  target: ApiTarget,
  input: {
    dataSourceName: string;
    filename: string;
    content: Buffer | string;
    mode?: 'APPEND' | 'REPLACE';
    allowDuplicate?: boolean;
    /** Reading options (REST fields): timestampColumn, dateOrder, timeZone, decimalSeparator. */
    reading?: Record<string, string>;
  },
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | null; body: Record<string, unknown> }> {
  const form = new FormData();
  form.set('dataSourceName', input.dataSourceName);
  if (input.mode) form.set('mode', input.mode);
  if (input.allowDuplicate !== undefined) form.set('allowDuplicate', String(input.allowDuplicate));
  for (const [name, value] of Object.entries(input.reading ?? {})) form.set(name, value);
  form.set('file', new Blob([input.content]), input.filename);
  const response = await fetch(`${target.baseUrl}/api/v1/uploads`, {
    method: 'POST',
    body: form,
    headers: authHeaders(target, headers),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

export async function getTask(target: ApiTarget, taskId: string): Promise<Task> {
  const response = await fetch(`${target.baseUrl}/api/v1/tasks/${taskId}`, { headers: authHeaders(target) });
  if (response.status !== 200) throw new Error(`GET task ${taskId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Task;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** GET/POST/DELETE on the API as the target, with optional JSON body. */
export async function call(
  target: ApiTarget,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> | string | null }> {
  const response = await fetch(`${target.baseUrl}${path}`, {
    method,
    headers: authHeaders(target, {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    }),
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: Record<string, unknown> | string | null = text === '' ? null : text;
  if (/json/.test(response.headers.get('content-type') ?? '') && text !== '') body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body };
}

/** Polls the task until it is SUCCEEDED, FAILED or CANCELLED. */
export async function waitForTerminal(target: ApiTarget, taskId: string, timeoutMs = 60_000): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await getTask(target, taskId);
    if (TERMINAL.has(task.status)) return task;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${task.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function asTask(result: Task | UploadError | undefined): Task {
  if (!result || result.__typename === 'UploadError') {
    throw new Error(`expected a task, got ${JSON.stringify(result)}`);
  }
  return result;
}

export function asUploadError(result: Task | UploadError | undefined): UploadError {
  if (result?.__typename !== 'UploadError') throw new Error(`expected an UploadError, got ${JSON.stringify(result)}`);
  return result;
}

export const PREVIEW_MUTATION = `mutation($file: Upload!, $dataSourceName: String!, $timestampColumn: String, $dateOrder: DateOrder, $timeZone: String) {
  previewUpload(file: $file, dataSourceName: $dataSourceName, timestampColumn: $timestampColumn, dateOrder: $dateOrder, timeZone: $timeZone) {
    __typename
    ... on UploadError { code message }
    ... on UploadPreview {
      format encoding delimiter header timestampColumn timestampFormat decimalSeparator schemaIsStored fitsStoredSchema
      missingColumns extraColumns columns rows rowsRead rowsValid rowsRejected complete bytesRead
      timestampCandidates { column format ambiguous parseRate counterExamples }
      schema { timestampColumn dimensions metrics { name type } dateOrder timeZone }
      rejections { line column code message }
      problem { code message }
    }
  }
}`;

/** GraphQL previewUpload (multipart, as clients send an Upload): the preview or the UploadError. */
export async function previewViaGraphql(
  target: ApiTarget,
  input: { dataSourceName: string; filename: string; content: Buffer | string; reading?: Record<string, string> },
  headers: Record<string, string> = authHeaders(target),
): Promise<{ status: number; result?: Record<string, unknown>; body: unknown }> {
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({
      query: PREVIEW_MUTATION,
      variables: { file: null, dataSourceName: input.dataSourceName, ...input.reading },
    }),
  );
  form.set('map', JSON.stringify({ 0: ['variables.file'] }));
  form.set('0', new Blob([input.content]), input.filename);
  const response = await fetch(`${target.baseUrl}/graphql`, { method: 'POST', body: form, headers });
  const body = (await response.json()) as { data?: { previewUpload?: Record<string, unknown> } };
  return { status: response.status, result: body.data?.previewUpload, body };
}

/** REST POST /api/v1/previews: fields dataSourceName (and reading options), then file. */
export async function previewViaRest(
  target: ApiTarget,
  input: { dataSourceName: string; filename: string; content: Buffer | string; reading?: Record<string, string> },
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.set('dataSourceName', input.dataSourceName);
  for (const [name, value] of Object.entries(input.reading ?? {})) form.set(name, value);
  form.set('file', new Blob([input.content]), input.filename);
  const response = await fetch(`${target.baseUrl}/api/v1/previews`, {
    method: 'POST',
    body: form,
    headers: authHeaders(target, headers),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
