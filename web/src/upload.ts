import { problemOf, reportUnauthenticated, type Task, UPLOAD_MUTATION, type UploadError } from './api.ts';

export const DATA_SOURCE_RULE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Says what is wrong with a data source name, or null when it follows the server's rule. */
export function dataSourceProblem(name: string): string | null {
  if (name === '') return 'Enter a data source name.';
  if (name.length > 64) return 'At most 64 characters.';
  if (!/^[A-Za-z]/.test(name)) return 'Start with a letter (A–Z or a–z).';
  if (!DATA_SOURCE_RULE.test(name)) return 'Use only letters, digits, "_" and "-".';
  return null;
}

const SIGNATURES: { name: string; bytes: number[] }[] = [
  { name: 'a PNG image', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { name: 'a PDF document', bytes: [0x25, 0x50, 0x44, 0x46] },
  { name: 'a ZIP archive (or an Excel/Office file)', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'a ZIP archive (or an Excel/Office file)', bytes: [0x50, 0x4b, 0x05, 0x06] },
  { name: 'a GIF image', bytes: [0x47, 0x49, 0x46, 0x38] },
  { name: 'a JPEG image', bytes: [0xff, 0xd8, 0xff] },
];

/** Names the non-tabular format the first bytes reveal, or null when they could be CSV, TSV, JSON lines or gzip. */
export function sniffNonTabular(head: Uint8Array): string | null {
  for (const signature of SIGNATURES) {
    if (signature.bytes.every((byte, i) => head[i] === byte)) return signature.name;
  }
  return null;
}

export interface FileCheck {
  code: 'EMPTY_FILE' | 'FILE_TOO_LARGE' | 'UNSUPPORTED_FORMAT';
  message: string;
}

/** The checks made in the browser before a byte is sent. */
export async function checkFile(file: File, maxUploadBytes: number | undefined): Promise<FileCheck | null> {
  if (file.size === 0) {
    return { code: 'EMPTY_FILE', message: `"${file.name}" is empty (0 bytes). Choose the file that holds the rows.` };
  }
  if (maxUploadBytes !== undefined && file.size > maxUploadBytes) {
    return {
      code: 'FILE_TOO_LARGE',
      message: `"${file.name}" is larger than the server accepts (limit ${maxUploadBytes.toLocaleString('en-US')} bytes). Split it into smaller files.`,
    };
  }
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const kind = sniffNonTabular(head);
  if (kind) {
    return {
      code: 'UNSUPPORTED_FORMAT',
      message: `"${file.name}" looks like ${kind}, not tabular data. Upload CSV, TSV or JSON lines (optionally gzip-compressed).`,
    };
  }
  return null;
}

export interface Progress {
  loaded: number;
  total: number;
  /** Bytes per second over the last few seconds, or null before there is enough to say. */
  bytesPerSecond: number | null;
}

export interface UploadHandle {
  done: Promise<Task | UploadError>;
  abort(): void;
}

export class UploadAborted extends Error {
  constructor() {
    super('The upload was cancelled.');
  }
}

/**
 * Sends one file as a GraphQL multipart request (operations, map, file) with XMLHttpRequest, which, unlike
 * fetch, reports upload progress. The preflight header is what the server asks of multipart requests (CSRF).
 */
export function uploadFile(
  input: { file: File; dataSourceName: string; mode: 'APPEND' | 'REPLACE'; reading?: ReadingChoice },
  onProgress: (progress: Progress) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: UPLOAD_MUTATION,
      variables: {
        file: null,
        dataSourceName: input.dataSourceName,
        mode: input.mode,
        ...readingVariables(input.reading),
      },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', input.file, input.file.name);

  const samples: { t: number; loaded: number }[] = [];
  const done = new Promise<Task | UploadError>((resolve, reject) => {
    xhr.upload.onprogress = (event) => {
      const now = performance.now();
      samples.push({ t: now, loaded: event.loaded });
      while (samples.length > 2 && now - (samples[0]?.t ?? now) > 3000) samples.shift();
      const first = samples[0];
      const span = first ? now - first.t : 0;
      const bytesPerSecond = first && span > 250 ? ((event.loaded - first.loaded) * 1000) / span : null;
      onProgress({
        loaded: event.loaded,
        total: event.lengthComputable ? event.total : input.file.size,
        bytesPerSecond,
      });
    };
    xhr.onload = () => {
      let body: {
        data?: { uploadSalesData?: Task | UploadError } | null;
        errors?: { message: string; extensions?: { code?: string } }[];
      };
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        resolve(uploadError(`HTTP_${xhr.status}`, `The server answered ${xhr.status} without a GraphQL body.`));
        return;
      }
      const result = body.data?.uploadSalesData;
      if (result) resolve(result);
      else {
        const first = body.errors?.[0];
        const code = first?.extensions?.code ?? `HTTP_${xhr.status}`;
        // The session ended while the file was chosen or sent: the app goes to the sign-in page, like any call.
        if (code === 'UNAUTHENTICATED') reportUnauthenticated();
        resolve(uploadError(code, first?.message ?? 'The upload failed.'));
      }
    };
    xhr.onerror = () =>
      resolve(uploadError('NETWORK_ERROR', 'The connection to the server was lost during the upload. Try again.'));
    xhr.onabort = () => reject(new UploadAborted());
  });
  xhr.open('POST', '/graphql');
  xhr.setRequestHeader('Apollo-Require-Preflight', 'true');
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.send(form);
  return { done, abort: () => xhr.abort() };
}

function uploadError(code: string, message: string): UploadError {
  return { __typename: 'UploadError', code, message, details: null };
}

/** What the user chose about reading a file; empty means "detect". */
export interface ReadingChoice {
  timestampColumn?: string;
  dateOrder?: 'MDY' | 'DMY';
  timeZone?: string;
}

function readingVariables(reading: ReadingChoice | undefined): Record<string, string> {
  const variables: Record<string, string> = {};
  if (reading?.timestampColumn) variables.timestampColumn = reading.timestampColumn;
  if (reading?.dateOrder) variables.dateOrder = reading.dateOrder;
  if (reading?.timeZone) variables.timeZone = reading.timeZone;
  return variables;
}

/** What the server would make of a file (POST /api/v1/previews): see UploadPreview in the GraphQL schema. */
export interface UploadPreview {
  format: string;
  encoding: string;
  delimiter: string | null;
  header: string[];
  timestampCandidates: {
    column: string;
    format: string | null;
    ambiguous: boolean;
    parseRate: number;
    counterExamples: string[];
  }[];
  timestampColumn: string | null;
  timestampFormat: string | null;
  timeZone: string;
  decimalSeparator: string | null;
  schemaIsStored: boolean;
  fitsStoredSchema: boolean | null;
  missingColumns: string[];
  extraColumns: string[];
  columns: string[];
  rows: (string | null)[][];
  rowsRead: number;
  rowsValid: number;
  rowsRejected: number;
  rejections: { line: number; column: string | null; code: string; message: string }[];
  problem: { code: string; message: string } | null;
  complete: boolean;
}

/** The server reads at most this much of a file for a preview: only this slice is sent. */
export const PREVIEW_BYTES = 10 * 1024 * 1024;

/** Asks the server for a preview of the file's first 10 MB; nothing is stored. */
export async function previewFile(
  file: File,
  dataSourceName: string,
  reading: ReadingChoice,
  signal: AbortSignal,
): Promise<UploadPreview> {
  const form = new FormData();
  form.append('dataSourceName', dataSourceName);
  for (const [name, value] of Object.entries(readingVariables(reading))) form.append(name, value);
  form.append('file', file.slice(0, PREVIEW_BYTES), file.name);
  const response = await fetch('/api/v1/previews', { method: 'POST', body: form, signal });
  if (response.status === 401) reportUnauthenticated();
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as UploadPreview;
}

const CHOICE_KEY = 'tributary.readingChoice';

/** The reading choice last made for a data source in this browser (the server also keeps what succeeded). */
export function rememberedChoice(workspace: string, dataSourceName: string): ReadingChoice {
  try {
    const all = JSON.parse(localStorage.getItem(CHOICE_KEY) ?? '{}') as Record<string, ReadingChoice>;
    return all[`${workspace}/${dataSourceName.toLowerCase()}`] ?? {};
  } catch {
    return {};
  }
}

export function rememberChoice(workspace: string, dataSourceName: string, choice: ReadingChoice): void {
  try {
    const all = JSON.parse(localStorage.getItem(CHOICE_KEY) ?? '{}') as Record<string, ReadingChoice>;
    all[`${workspace}/${dataSourceName.toLowerCase()}`] = choice;
    localStorage.setItem(CHOICE_KEY, JSON.stringify(all));
  } catch {
    // Private mode or a full store: the server keeps the choice of a successful upload anyway.
  }
}
