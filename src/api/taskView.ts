import type { RejectionCounts } from '../ingest/types.ts';
import { type IngestionStatus, type IngestionTask, ingestionStatuses } from '../tasks/IngestionTask.ts';

/** The task as clients see it: the same field names in REST JSON and GraphQL. */
export function taskView(task: IngestionTask) {
  return {
    taskId: task.taskId,
    dataSourceName: task.dataSourceName,
    filename: task.filename,
    fileSizeBytes: task.fileSizeBytes,
    sha256: task.sha256,
    status: task.status,
    rowsTotal: task.rowsTotal,
    rowsValid: task.rowsValid,
    rowsRejected: task.rowsRejected,
    rowsLoaded: task.rowsLoaded,
    bytesProcessed: task.bytesProcessed,
    storeTaskId: task.storeTaskId,
    storeState: task.storeState,
    replacedInterval: task.replacedInterval
      ? { start: task.replacedInterval.start.toISOString(), end: task.replacedInterval.end.toISOString() }
      : null,
    errorCode: task.errorCode,
    errorMessage: task.errorMessage,
    errorId: task.errorId,
    format: task.format,
    encoding: task.encoding,
    delimiter: task.delimiter,
    readingOptions: task.readingOptions,
    mode: task.mode,
    attempt: task.attempt,
    statusHistory: statusHistory(task),
    rejectionCounts: rejectionCountList(task.rejectionCounts),
    minTime: task.minTime?.toISOString() ?? null,
    maxTime: task.maxTime?.toISOString() ?? null,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}

export type TaskView = ReturnType<typeof taskView>;

/** Rejected rows per code, most first (ties by code), for the whole file. */
export function rejectionCountList(counts: RejectionCounts): { code: string; count: number }[] {
  return Object.entries(counts)
    .map(([code, count]) => ({ code, count: count ?? 0 }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

export function statusHistory(task: IngestionTask): { status: IngestionStatus; at: string }[] {
  return ingestionStatuses
    .filter((status) => task.statusTimes[status] !== undefined)
    .map((status) => ({ status, at: new Date(task.statusTimes[status] as string).toISOString() }))
    .sort((a, b) => a.at.localeCompare(b.at));
}
