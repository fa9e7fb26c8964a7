import { createHash } from 'node:crypto';
import { AppError } from '../../errors/AppError.ts';
import type { DataSourceSchema } from '../../ingest/types.ts';
import type { IngestMode } from '../../tasks/IngestionTask.ts';
import { LINEAGE_COLUMN } from '../AnalyticsStore.ts';

/** Name of the `count` metric: SUM of it is the number of source rows (rollup is off, but stay exact anyway). */
export const ROW_COUNT_METRIC = '__row_count';

const MAX_TASK_ID_PART = 100;
/** Names the spec gives columns of its own. */
const RESERVED = ['__time', LINEAGE_COLUMN, ROW_COUNT_METRIC];

/**
 * The Druid task id of one attempt of one of our tasks: deterministic, so re-submitting after a lost reply hits
 * Druid's "already exists" instead of starting a second ingestion. Druid ids must not be empty, start with ".",
 * or contain "/" or whitespace; we keep to [A-Za-z0-9_-] and add a hash when the task id had to be altered.
 */
export function druidTaskId(taskId: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer: ${attempt}`);
  let part = taskId.replace(/[^A-Za-z0-9_-]/g, '_');
  if (part !== taskId || part.length > MAX_TASK_ID_PART || part === '') {
    const hash = createHash('sha256').update(taskId).digest('hex').slice(0, 12);
    part = `${part.slice(0, MAX_TASK_ID_PART - 13)}_${hash}`;
  }
  return `tributary_${part}_a${attempt}`;
}

export interface IngestionSpecInput {
  storeName: string;
  schema: DataSourceSchema;
  taskId: string;
  attempt: number;
  /** s3://bucket/key of the validated JSON-lines file. */
  s3Uri: string;
  mode: IngestMode;
  /** Whole UTC days covering the rows: the interval the task locks, and for REPLACE the one whose rows it replaces. */
  interval: { start: Date; end: Date };
  /**
   * An APPEND may take Druid's concurrent APPEND lock: every one of its days holds committed rows (see
   * `daysHoldCommittedRows`). Otherwise it takes an exclusive lock. Ignored for REPLACE (always a REPLACE lock).
   */
  concurrentAppend: boolean;
}

/** s3://bucket/key, with the key as is (Druid's s3 input source takes the key unencoded). */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key.replace(/^\/+/, '')}`;
}

/**
 * A native batch (`index_parallel`) task reading one JSON-lines file from S3. Pure: no I/O.
 *
 * Locks: the task names its interval, so Druid takes its lock before the task starts and a task whose lock conflicts
 * WAITS instead of failing ("Failed to get locks for intervals", which a task that finds its intervals while it runs
 * ends with). A REPLACE takes a REPLACE lock and an APPEND whose days all hold committed rows an APPEND lock
 * (`useConcurrentLocks`), so any number of appends to the same days run side by side. An APPEND to a day without rows
 * takes an exclusive lock instead (and waits for, or is waited for by, other loads of that day): Druid 33 gives an
 * APPEND lock on an empty day the version 1970-01-01 and partition 0, without looking at unused segments, so after an
 * undo or a drop it would reuse the id of a segment we marked unused — its publish is then silently lost, or a
 * historical serves the old segment's cached files under that id. An exclusive lock gets a new version instead. A
 * REPLACE and an APPEND of the same days are also ordered by us before either is submitted (see `awaitLoadTurn`).
 */
export function ingestionSpec(input: IngestionSpecInput): { id: string } & Record<string, unknown> {
  const { schema, mode, interval } = input;
  const reserved = [...schema.dimensions, ...schema.metrics.map((m) => m.name)].filter((n) => RESERVED.includes(n));
  if (reserved.length > 0) {
    throw new AppError('INVALID_HEADER', `${reserved.map((n) => `"${n}"`).join(', ')} is reserved by the Druid store`);
  }
  const granularitySpec = {
    type: 'uniform',
    segmentGranularity: 'DAY',
    queryGranularity: 'NONE',
    rollup: false,
    intervals: [`${interval.start.toISOString()}/${interval.end.toISOString()}`],
  };
  return {
    type: 'index_parallel',
    id: druidTaskId(input.taskId, input.attempt),
    context: mode === 'REPLACE' || input.concurrentAppend ? { useConcurrentLocks: true } : {},
    spec: {
      dataSchema: {
        dataSource: input.storeName,
        timestampSpec: { column: '__time', format: 'iso' },
        dimensionsSpec: {
          dimensions: [...schema.dimensions, LINEAGE_COLUMN].map((name) => ({ type: 'string', name })),
        },
        metricsSpec: [
          { type: 'count', name: ROW_COUNT_METRIC },
          ...schema.metrics.map((m) => ({
            type: m.type === 'long' ? 'longSum' : 'doubleSum',
            name: m.name,
            fieldName: m.name,
          })),
        ],
        granularitySpec,
      },
      ioConfig: {
        type: 'index_parallel',
        inputSource: { type: 's3', uris: [input.s3Uri] },
        inputFormat: { type: 'json' },
        ...(mode === 'APPEND' ? { appendToExisting: true } : { appendToExisting: false, dropExisting: true }),
      },
      tuningConfig: {
        type: 'index_parallel',
        partitionsSpec: { type: 'dynamic' },
        maxParseExceptions: 0,
        maxSavedParseExceptions: 10,
        logParseExceptions: true,
        maxNumConcurrentSubTasks: 1,
      },
    },
  };
}
