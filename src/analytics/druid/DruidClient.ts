import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../errors/AppError.ts';

export interface DruidClientOptions {
  /** The router, e.g. http://127.0.0.1:8888: one URL for SQL, tasks and coordinator APIs. */
  url: string;
  /** Upper bound on the time one call may spend retrying before it fails with DRUID_UNAVAILABLE. Default 120 s. */
  retryBudgetMs?: number;
  /** Timeout of one HTTP attempt (capped by what is left of the budget). Default 30 s. */
  requestTimeoutMs?: number;
  /** First back-off pause; doubled after each failed attempt up to `maxBackoffMs`. Default 500 ms. */
  initialBackoffMs?: number;
  /** Default 8 s. */
  maxBackoffMs?: number;
}

/** One row of `GET /druid/indexer/v1/task/{id}/status`, as far as we use it. */
export interface DruidTaskStatus {
  id: string;
  /** RUNNING, SUCCESS or FAILED. */
  statusCode: 'RUNNING' | 'SUCCESS' | 'FAILED' | string;
  /** Where a RUNNING task is: PENDING, WAITING, RUNNING (or NONE once done). */
  runnerStatusCode: string | null;
  errorMsg: string | null;
  duration: number | null;
}

/** Row counters of one ingestion phase in a task report. */
export interface DruidRowStats {
  processed: number;
  processedWithError: number;
  unparseable: number;
  thrownAway: number;
}

/** The parts of `GET /druid/indexer/v1/task/{id}/reports` → ingestionStatsAndErrors.payload that we use. */
export interface DruidTaskReport {
  ingestionState: string | null;
  errorMsg: string | null;
  /** Per phase (determinePartitions, buildSegments), the row counters. */
  rowStats: Record<string, DruidRowStats>;
  /** Saved parse exceptions (`maxSavedParseExceptions`), as Druid's messages. */
  parseExceptionMessages: string[];
  /** How many segments with rows the task published (tombstones not counted); null when the report does not say. */
  segmentsPublished: number | null;
}

/** A used segment as the coordinator's metadata lists it. */
export interface DruidSegment {
  id: string;
  /** ISO interval. */
  interval: string;
  version: string;
  /** `numbered`, `tombstone`, … */
  shardSpecType: string;
}

/** A queryable segment and the range of lineage values in it (a segmentMetadata query, one answer per segment). */
export interface DruidSegmentLineage {
  id: string;
  numRows: number;
  /** The least and greatest value of the lineage column in the segment; null when it holds none. */
  minLineage: string | null;
  maxLineage: string | null;
}

/** A value bound to a `?` placeholder of a Druid SQL query. */
export interface DruidSqlParameter {
  type: 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'TIMESTAMP' | 'BOOLEAN';
  value: string | number | boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's retry budget for this call (e.g. a quick health check). */
  retryBudgetMs?: number;
}

interface RequestOptions extends CallOptions {
  accept?: string;
}

interface HttpAnswer {
  status: number;
  text: string;
}

/** A non-retryable answer (4xx other than 429) from Druid: the caller decides what it means. */
export class DruidHttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(what: string, status: number, body: string) {
    super(`${what}: HTTP ${status} ${body.slice(0, 1000)}`);
    this.name = 'DruidHttpError';
    this.status = status;
    this.body = body;
  }
}

/**
 * HTTP client for a Druid router. Every call is retried with exponential back-off on connection errors,
 * timeouts, 429 and 5xx answers, within a bounded total time; then it throws AppError('DRUID_UNAVAILABLE').
 * Other 4xx answers are not retried: each method maps the ones it expects, the rest throw DruidHttpError.
 */
export class DruidClient {
  readonly url: string;
  readonly #retryBudgetMs: number;
  readonly #requestTimeoutMs: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;

  constructor(options: DruidClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#retryBudgetMs = options.retryBudgetMs ?? 120_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#initialBackoffMs = options.initialBackoffMs ?? 500;
    this.#maxBackoffMs = options.maxBackoffMs ?? 8_000;
  }

  /** Submits a task with an explicit id. An id Druid already knows counts as submitted (a lost reply, re-sent). */
  async submitTask(spec: { id: string }, options?: CallOptions): Promise<{ taskId: string; alreadyExisted: boolean }> {
    const answer = await this.#call('submit task', 'POST', '/druid/indexer/v1/task', spec, options);
    if (answer.status === 200) return { taskId: spec.id, alreadyExisted: false };
    if (answer.status === 400 && isAlreadyExists(answer.text)) return { taskId: spec.id, alreadyExisted: true };
    throw new DruidHttpError(`submit task ${spec.id}`, answer.status, answer.text);
  }

  /** The task's status, or null when Druid does not know the id. */
  async taskStatus(taskId: string, options?: CallOptions): Promise<DruidTaskStatus | null> {
    const answer = await this.#call('task status', 'GET', `${taskPath(taskId)}/status`, undefined, options);
    if (answer.status === 404) return null;
    if (answer.status !== 200) throw new DruidHttpError(`task status ${taskId}`, answer.status, answer.text);
    const status = (JSON.parse(answer.text) as { status?: Record<string, unknown> | null }).status;
    if (!status) return null;
    return {
      id: taskId,
      statusCode: String(status.statusCode ?? status.status ?? 'UNKNOWN'),
      runnerStatusCode: typeof status.runnerStatusCode === 'string' ? status.runnerStatusCode : null,
      errorMsg: typeof status.errorMsg === 'string' ? status.errorMsg : null,
      duration: typeof status.duration === 'number' ? status.duration : null,
    };
  }

  /** The task's ingestion report, or null when there is none (yet). */
  async taskReport(taskId: string, options?: CallOptions): Promise<DruidTaskReport | null> {
    const answer = await this.#call('task report', 'GET', `${taskPath(taskId)}/reports`, undefined, options);
    if (answer.status === 404 || answer.status === 204 || answer.text.trim() === '') return null;
    if (answer.status !== 200) throw new DruidHttpError(`task report ${taskId}`, answer.status, answer.text);
    return parseReport(JSON.parse(answer.text));
  }

  /** The last `bytes` (default 8 KiB) of the task's log; null when unavailable (best effort: never throws). */
  async taskLogTail(taskId: string, options?: CallOptions & { bytes?: number }): Promise<string | null> {
    const offset = -Math.abs(options?.bytes ?? 8192);
    try {
      const answer = await this.#call('task log', 'GET', `${taskPath(taskId)}/log?offset=${offset}`, undefined, {
        ...options,
        retryBudgetMs: options?.retryBudgetMs ?? Math.min(this.#retryBudgetMs, 10_000),
      });
      return answer.status === 200 && answer.text !== '' ? answer.text : null;
    } catch {
      return null;
    }
  }

  /** Asks Druid to stop the task. A task Druid does not know (or has finished) is fine. */
  async shutdownTask(taskId: string, options?: CallOptions): Promise<void> {
    const answer = await this.#call('shutdown task', 'POST', `${taskPath(taskId)}/shutdown`, undefined, options);
    if (answer.status === 200 || answer.status === 404 || answer.status === 400) return;
    throw new DruidHttpError(`shutdown task ${taskId}`, answer.status, answer.text);
  }

  /** Ids of the tasks Druid knows for a data source (running, pending, waiting and complete). */
  async tasksOfDataSource(dataSource: string, options?: CallOptions): Promise<{ id: string; statusCode: string }[]> {
    const query = `datasource=${encodeURIComponent(dataSource)}`;
    const answer = await this.#call('list tasks', 'GET', `/druid/indexer/v1/tasks?${query}`, undefined, options);
    if (answer.status !== 200) throw new DruidHttpError(`list tasks of ${dataSource}`, answer.status, answer.text);
    return (JSON.parse(answer.text) as { id: string; statusCode: string }[]).map((t) => ({
      id: t.id,
      statusCode: t.statusCode,
    }));
  }

  /**
   * Percentage (0–100) of the data source's used segments inside `interval` that are loaded on historicals,
   * with a forced refresh of the coordinator's segment metadata; null when there is no used segment there.
   */
  async loadStatus(
    dataSource: string,
    interval: { start: Date; end: Date },
    options?: CallOptions,
  ): Promise<number | null> {
    const query = `forceMetadataRefresh=true&interval=${encodeURIComponent(isoInterval(interval))}`;
    const path = `/druid/coordinator/v1/datasources/${encodeURIComponent(dataSource)}/loadstatus?${query}`;
    const answer = await this.#call('load status', 'GET', path, undefined, options);
    if (answer.status === 204 || answer.status === 404 || answer.text.trim() === '') return null;
    if (answer.status !== 200) throw new DruidHttpError(`load status of ${dataSource}`, answer.status, answer.text);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    return Number(body[dataSource] ?? 0);
  }

  /**
   * The used segments (overshadowed ones included, until the coordinator marks them unused) that overlap `interval`,
   * as the coordinator's metadata cache holds them: call `loadStatus` first, which refreshes that cache.
   */
  async usedSegments(
    dataSource: string,
    interval: { start: Date; end: Date },
    options?: CallOptions,
  ): Promise<DruidSegment[]> {
    const path = `/druid/coordinator/v1/metadata/datasources/${encodeURIComponent(dataSource)}/segments?full`;
    const answer = await this.#call('used segments', 'POST', path, [isoInterval(interval)], options);
    if (answer.status === 204 || answer.status === 404 || answer.text.trim() === '') return [];
    if (answer.status !== 200) throw new DruidHttpError(`used segments of ${dataSource}`, answer.status, answer.text);
    return (JSON.parse(answer.text) as Record<string, unknown>[]).map((segment) => ({
      id: String(segment.identifier),
      interval: String(segment.interval),
      version: String(segment.version),
      shardSpecType: String((segment.shardSpec as { type?: unknown } | undefined)?.type ?? 'unknown'),
    }));
  }

  /**
   * Each queryable segment overlapping `interval`, with the range of values of `column` in it: a native segmentMetadata
   * query that is not merged. Only segments the broker serves answer (used, loaded, not overshadowed).
   */
  async segmentLineage(
    dataSource: string,
    interval: { start: Date; end: Date },
    column: string,
    options?: CallOptions,
  ): Promise<DruidSegmentLineage[]> {
    const query = {
      queryType: 'segmentMetadata',
      dataSource,
      intervals: [isoInterval(interval)],
      merge: false,
      analysisTypes: ['minmax'],
      toInclude: { type: 'list', columns: [column] },
    };
    const answer = await this.#call('segment metadata', 'POST', '/druid/v2', query, options);
    if (answer.status !== 200)
      throw new DruidHttpError(`segment metadata of ${dataSource}`, answer.status, answer.text);
    return (JSON.parse(answer.text) as Record<string, unknown>[]).map((segment) => {
      const stats = ((segment.columns ?? {}) as Record<string, { minValue?: unknown; maxValue?: unknown }>)[column];
      return {
        id: String(segment.id),
        numRows: Number(segment.numRows ?? 0),
        minLineage: typeof stats?.minValue === 'string' ? stats.minValue : null,
        maxLineage: typeof stats?.maxValue === 'string' ? stats.maxValue : null,
      };
    });
  }

  /** Marks these segments unused (their rows leave queries); returns how many changed. Safe to repeat. */
  async markSegmentsUnused(dataSource: string, segmentIds: string[], options?: CallOptions): Promise<number> {
    return this.#markSegments('markUnused', dataSource, segmentIds, options);
  }

  /**
   * Marks these segments used again; returns how many changed. Druid marks none that a used segment would
   * overshadow, so take the overshadowing ones out first. Safe to repeat.
   */
  async markSegmentsUsed(dataSource: string, segmentIds: string[], options?: CallOptions): Promise<number> {
    return this.#markSegments('markUsed', dataSource, segmentIds, options);
  }

  async #markSegments(
    action: 'markUsed' | 'markUnused',
    dataSource: string,
    segmentIds: string[],
    options: CallOptions | undefined,
  ): Promise<number> {
    if (segmentIds.length === 0) return 0;
    // The Overlord's segment-state API (Druid 33's Coordinator forwards its own to it). Both answer 500 to an Accept
    // of */* (no writer for application/octet-stream), after having done the work: hence the explicit JSON.
    const path = `/druid/indexer/v1/datasources/${encodeURIComponent(dataSource)}/${action}`;
    const answer = await this.#call(action, 'POST', path, { segmentIds }, { ...options, accept: 'application/json' });
    if (answer.status !== 200) throw new DruidHttpError(`${action} in ${dataSource}`, answer.status, answer.text);
    return Number((JSON.parse(answer.text) as { numChangedSegments?: unknown }).numChangedSegments ?? 0);
  }

  /** Marks every segment of a data source unused (its rows leave queries); a data source Druid does not know is fine. */
  async markDataSourceUnused(dataSource: string, options?: CallOptions): Promise<void> {
    const path = `/druid/coordinator/v1/datasources/${encodeURIComponent(dataSource)}`;
    const answer = await this.#call('mark data source unused', 'DELETE', path, undefined, options);
    if (answer.status === 200 || answer.status === 204 || answer.status === 404) return;
    throw new DruidHttpError(`mark ${dataSource} unused`, answer.status, answer.text);
  }

  /** Runs a Druid SQL query; rows as objects. A query error (4xx) throws DruidHttpError. */
  async sql(
    query: string,
    parameters: DruidSqlParameter[] = [],
    options?: CallOptions,
  ): Promise<Record<string, unknown>[]> {
    const body = { query, parameters, resultFormat: 'object', context: { sqlTimeZone: 'Etc/UTC' } };
    const answer = await this.#call('SQL query', 'POST', '/druid/v2/sql', body, options);
    if (answer.status !== 200) throw new DruidHttpError('SQL query', answer.status, answer.text);
    return JSON.parse(answer.text) as Record<string, unknown>[];
  }

  /** Resolves when the router answers its health check; DRUID_UNAVAILABLE otherwise. */
  async health(options?: CallOptions): Promise<void> {
    const answer = await this.#call('health check', 'GET', '/status/health', undefined, options);
    if (answer.status !== 200 || answer.text.trim() !== 'true') {
      throw new AppError('DRUID_UNAVAILABLE', `Druid router at ${this.url} is not healthy: HTTP ${answer.status}`);
    }
  }

  /**
   * One request, retried on connection errors, timeouts, 429 and 5xx until the budget is spent.
   * Returns every other answer (2xx, 3xx, 4xx) to the caller.
   */
  async #call(
    what: string,
    method: string,
    path: string,
    body: unknown,
    options: RequestOptions | undefined,
  ): Promise<HttpAnswer> {
    const signal = options?.signal;
    const budgetMs = options?.retryBudgetMs ?? this.#retryBudgetMs;
    const deadline = performance.now() + budgetMs;
    let backoff = this.#initialBackoffMs;
    let attempts = 0;
    let lastError = '';
    for (;;) {
      signal?.throwIfAborted();
      attempts += 1;
      const left = deadline - performance.now();
      const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(Math.min(this.#requestTimeoutMs, left))));
      try {
        const response = await fetch(`${this.url}${path}`, {
          method,
          headers: {
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(options?.accept ? { accept: options.accept } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        const text = await response.text();
        if (response.status < 500 && response.status !== 429) return { status: response.status, text };
        lastError = `HTTP ${response.status} ${text.slice(0, 500)}`;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        lastError = describeFetchError(error);
      }
      // Leave the next attempt a fair window: one cut short by the budget would only report its own timeout.
      const minAttemptMs = Math.min(1_000, budgetMs / 4);
      const pause = Math.min(backoff, deadline - performance.now() - minAttemptMs);
      if (pause < 0) {
        throw new AppError(
          'DRUID_UNAVAILABLE',
          `${what} (${method} ${this.url}${path}) failed ${attempts} time(s) within ${Math.round(budgetMs / 1000)} s; ` +
            `last error: ${lastError}`,
        );
      }
      try {
        await sleep(pause, undefined, signal ? { signal } : undefined);
      } catch {
        throw signal?.reason;
      }
      backoff = Math.min(backoff * 2, this.#maxBackoffMs);
    }
  }
}

export function isoInterval(interval: { start: Date; end: Date }): string {
  return `${interval.start.toISOString()}/${interval.end.toISOString()}`;
}

function taskPath(taskId: string): string {
  return `/druid/indexer/v1/task/${encodeURIComponent(taskId)}`;
}

function isAlreadyExists(text: string): boolean {
  try {
    const body = JSON.parse(text) as { errorCode?: unknown; errorMessage?: unknown; error?: unknown };
    if (body.errorCode === 'entryAlreadyExists') return true;
    return /already exists/i.test(String(body.errorMessage ?? body.error ?? ''));
  } catch {
    return /already exists/i.test(text);
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `timed out (${error.message})`;
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? `: ${(cause as { code?: string }).code ?? ''} ${cause.message}` : '';
  return `${error.message}${causeText}`;
}

function parseReport(raw: unknown): DruidTaskReport {
  const payload = ((raw as Record<string, { payload?: Record<string, unknown> }> | null)?.ingestionStatsAndErrors
    ?.payload ?? {}) as Record<string, unknown>;
  const rowStats: Record<string, DruidRowStats> = {};
  for (const [phase, value] of Object.entries((payload.rowStats ?? {}) as Record<string, unknown>)) {
    const stats = (value ?? {}) as Record<string, unknown>;
    // A phase holds either the counters themselves or, for some task types, { totals: counters }.
    const counters = (typeof stats.processed === 'number' ? stats : (stats.totals ?? {})) as Record<string, unknown>;
    rowStats[phase] = {
      processed: Number(counters.processed ?? 0),
      processedWithError: Number(counters.processedWithError ?? 0),
      unparseable: Number(counters.unparseable ?? 0),
      thrownAway: Number(counters.thrownAway ?? 0),
    };
  }
  const parseExceptionMessages: string[] = [];
  for (const events of Object.values((payload.unparseableEvents ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(events)) continue;
    for (const event of events) {
      // Druid 33: { input, errorType, details: [messages], timeOfExceptionMillis }; older: { details: { message } }.
      const e = (event ?? {}) as { details?: unknown; message?: unknown };
      const details = Array.isArray(e.details)
        ? e.details.map(String).join('; ')
        : (e.details as { message?: unknown } | undefined)?.message;
      const message = details ?? e.message ?? (typeof event === 'string' ? event : JSON.stringify(event));
      parseExceptionMessages.push(String(message));
    }
  }
  return {
    ingestionState: typeof payload.ingestionState === 'string' ? payload.ingestionState : null,
    errorMsg: typeof payload.errorMsg === 'string' ? payload.errorMsg : null,
    rowStats,
    parseExceptionMessages,
    segmentsPublished: typeof payload.segmentsPublished === 'number' ? payload.segmentsPublished : null,
  };
}

/** True for the SQL error Druid answers when a FROM names a data source it does not (yet) know. */
export function isUnknownDataSourceError(error: unknown): boolean {
  return error instanceof DruidHttpError && error.status === 400 && /Object '.*' not found/.test(error.body);
}

/** Druid's own message from an error answer ({"errorMessage": ...} or {"error": ...}), else the raw text. */
export function druidErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errorMessage?: unknown; error?: unknown };
    const message = parsed.errorMessage ?? parsed.error;
    if (typeof message === 'string' && message !== '') return message.slice(0, 2_000);
  } catch {
    // not JSON: the text itself
  }
  return body.slice(0, 2_000);
}
