import type { Delimiter, TextEncoding } from '../ingest/detectFormat.ts';
import type { ReadingOptions } from '../ingest/readingOptions.ts';
import type { RejectionCounts } from '../ingest/types.ts';

export const ingestionStatuses = [
  'PENDING',
  'UPLOADED',
  'VALIDATING',
  'INGESTING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
] as const;
export type IngestionStatus = (typeof ingestionStatuses)[number];

export const terminalStatuses: readonly IngestionStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export type IngestMode = 'APPEND' | 'REPLACE';

/** One uploaded file on its way to the analytics store. Field names match the GraphQL and REST contract. */
export interface IngestionTask {
  taskId: string;
  workspace: string;
  /** Who uploaded it: `key:<id>` or `oidc:<subject>` (null for tasks from before workspaces). */
  createdBy: string | null;
  dataSourceName: string;
  filename: string;
  fileSizeBytes: number;
  sha256: string | null;
  objectKey: string;
  format: string | null;
  gzip: boolean;
  mode: IngestMode;
  status: IngestionStatus;
  /** When the task entered each status it has been in. */
  statusTimes: Partial<Record<IngestionStatus, string>>;
  attempt: number;
  bytesProcessed: number;
  rowsTotal: number | null;
  rowsValid: number | null;
  rowsRejected: number | null;
  rowsLoaded: number | null;
  minTime: Date | null;
  maxTime: Date | null;
  /** The analytics store's own job for this task (a Druid task id) and its last known state. */
  storeTaskId: string | null;
  storeState: string | null;
  /** For REPLACE uploads: the interval whose earlier rows were replaced. */
  replacedInterval: { start: Date; end: Date } | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** For server errors: the id under which the underlying error was logged. */
  errorId: string | null;
  /** Rejected rows per code, for the whole file (only the first MAX_STORED_REJECTIONS are kept in full). */
  rejectionCounts: RejectionCounts;
  /** An APPEND of a file a SUCCEEDED task of the data source already loaded is allowed (else DUPLICATE_FILE). */
  allowDuplicate: boolean;
  /** What the upload said about reading its file (timestamp column, date order, time zone, decimal separator). */
  readingOptions: ReadingOptions;
  /** The file's text encoding (transcoded to UTF-8 while it is read), once uploaded. */
  encoding: TextEncoding | null;
  /** The field delimiter of a delimited file, once uploaded; null for JSON lines. */
  delimiter: Delimiter | null;
  /** Set just before the analytics store commits the rows: from then on the task is not cancellable. */
  committingAt: Date | null;
  /** What validation accepted, which the store must hold after loading (set when INGESTING begins). */
  ledger: TaskLedger | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The totals a task's rows must have in the analytics store: counted while validating, checked after loading. */
export interface TaskLedger {
  rowsValid: number;
  metricSums: Record<string, number>;
}

export function isTerminal(status: IngestionStatus): boolean {
  return terminalStatuses.includes(status);
}
