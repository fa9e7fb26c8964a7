import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { INGEST_QUEUE, type JobQueue } from '../jobs/JobQueue.ts';
import type { ObjectStore } from '../storage/ObjectStore.ts';
import { validatedPrefix } from '../storage/objectKeys.ts';
import type { RejectionStore } from '../tasks/RejectionStore.ts';
import type { TaskAttempts } from '../tasks/TaskAttempts.ts';
import type { TaskStore } from '../tasks/TaskStore.ts';

export interface SweepResult {
  /** Uploads that stopped arriving (their API process died): FAILED UPLOAD_INTERRUPTED, their object removed. */
  staleUploads: string[];
  /** Tasks in progress whose job was gone (lost to a crash on its last retry, expired): sent a new job. */
  resumed: string[];
  /** …and those that had been resumed too often already: FAILED. */
  abandoned: string[];
  /** Scratch files of no live attempt, removed. */
  scratchFiles: string[];
  /** Parts of interrupted object writes (local `.partial` files, S3 multipart uploads), removed. */
  abandonedParts: number;
  /** Finished tasks whose validated copies were removed. */
  validatedCopiesRemoved: string[];
  /** Finished tasks older than RETENTION_DAYS whose raw file and rejections were removed. */
  expired: string[];
}

export interface TaskSweeperDeps {
  db: SqlDatabase;
  tasks: TaskStore;
  attempts: TaskAttempts;
  rejections: RejectionStore;
  jobs: JobQueue;
  objects: ObjectStore;
  workDir: string;
  /** A task is resumed at most until it has had this many attempts; then it fails. */
  maxAttempts: number;
  /** A PENDING upload with no progress for this long is dead (live ones record progress every second). */
  staleUploadSeconds: number;
  /** Raw files and rejections of tasks finished longer ago are removed; undefined: kept. */
  retentionDays: number | undefined;
  log: Logger;
}

/** At most this many finished tasks are cleaned per sweep (the next sweep goes on). */
const CLEAN_BATCH = 200;

/**
 * Keeps every task moving to a terminal state, and the stores free of what dead processes leave, whatever dies: run
 * at the worker's start and every SWEEP_INTERVAL_SECONDS. Every step is idempotent, so several workers may sweep.
 */
export class TaskSweeper {
  readonly #deps: TaskSweeperDeps;

  constructor(deps: TaskSweeperDeps) {
    this.#deps = deps;
  }

  async sweep(): Promise<SweepResult> {
    const stale = await this.#deps.tasks.failStalePendingUploads(this.#deps.staleUploadSeconds);
    for (const upload of stale) await this.#deps.objects.delete(upload.object_key);
    const { resumed, abandoned } = await this.#resumeOrphans();
    const scratchFiles = await this.#removeScratch();
    // An interrupted write untouched as long as a dead upload is abandoned too.
    const idleSince = new Date(Date.now() - this.#deps.staleUploadSeconds * 1000);
    const abandonedParts = await this.#deps.objects.removeAbandonedParts(idleSince);
    const validatedCopiesRemoved = await this.#removeValidatedCopies();
    const expired = await this.#expire();
    const result: SweepResult = {
      staleUploads: stale.map((upload) => upload.id),
      resumed,
      abandoned,
      scratchFiles,
      abandonedParts,
      validatedCopiesRemoved,
      expired,
    };
    const found =
      stale.length + resumed.length + abandoned.length + scratchFiles.length + abandonedParts + expired.length;
    if (found > 0) this.#deps.log.warn(result, 'swept');
    return result;
  }

  /** Tasks in progress with no job that will run them (idle for a minute, so a job being sent is not mistaken). */
  async #resumeOrphans(): Promise<{ resumed: string[]; abandoned: string[] }> {
    const orphans = await this.#deps.db.query<{ id: string; attempt: number }>(
      `SELECT t.id, t.attempt FROM tasks t
       WHERE t.status IN ('UPLOADED', 'VALIDATING', 'INGESTING') AND t.updated_at < now() - interval '60 seconds'
         AND NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.name = $1 AND j.data->>'taskId' = t.id
                         AND j.state IN ('created', 'retry', 'active'))`,
      [INGEST_QUEUE],
    );
    const resumed: string[] = [];
    const abandoned: string[] = [];
    for (const orphan of orphans) {
      if (orphan.attempt < this.#deps.maxAttempts) {
        await this.#deps.jobs.sendIngest(orphan.id, this.#deps.db);
        resumed.push(orphan.id);
        continue;
      }
      const failed = await this.#deps.attempts.markFailed(
        { taskId: orphan.id, attempt: orphan.attempt },
        'INTERNAL',
        `An internal error occurred. The error has been logged. The task stopped ${orphan.attempt} times without ending (a worker process died each time), so it is not tried again.`,
        null,
      );
      if (failed) abandoned.push(orphan.id);
    }
    return { resumed, abandoned };
  }

  /** `{taskId}-attempt-{n}.jsonl` (or `.csv`) files whose attempt is not the running one of a task in progress. */
  async #removeScratch(): Promise<string[]> {
    const names = await readdir(this.#deps.workDir).catch(() => [] as string[]);
    const scratch = names
      .map((name) => ({ name, match: /^([0-9a-f-]{36})-attempt-(\d+)\.(?:jsonl|csv)$/.exec(name) }))
      .filter((entry) => entry.match !== null);
    if (scratch.length === 0) return [];
    const live = new Set(
      (
        await this.#deps.db.query<{ key: string }>(
          `SELECT id || '-attempt-' || attempt AS key FROM tasks
           WHERE id = ANY($1::text[]) AND status IN ('VALIDATING', 'INGESTING')`,
          [scratch.map((entry) => entry.match?.[1] as string)],
        )
      ).map((row) => row.key),
    );
    const removed: string[] = [];
    for (const { name, match } of scratch) {
      if (live.has(`${match?.[1]}-attempt-${match?.[2]}`)) continue;
      await rm(path.join(this.#deps.workDir, name), { force: true });
      removed.push(name);
    }
    return removed;
  }

  /** Finished tasks (a minute ago or more, so no attempt still reads them) keep no validated copy. */
  async #removeValidatedCopies(): Promise<string[]> {
    const finished = await this.#deps.db.query<{ id: string; store_name: string }>(
      `SELECT t.id, coalesce(d.store_name, t.data_source_name) AS store_name FROM tasks t
       LEFT JOIN data_sources d ON d.workspace = t.workspace AND d.name_key = lower(t.data_source_name)
       WHERE t.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND t.validated_removed_at IS NULL
         AND t.updated_at < now() - interval '60 seconds'
       ORDER BY t.updated_at LIMIT $1`,
      [CLEAN_BATCH],
    );
    for (const task of finished) {
      await this.#deps.objects.deletePrefix(validatedPrefix(task.store_name, task.id));
      await this.#deps.db.query('UPDATE tasks SET validated_removed_at = now() WHERE id = $1', [task.id]);
    }
    return finished.map((task) => task.id);
  }

  /** RETENTION_DAYS: the raw file and rejections of tasks finished longer ago go; the task row (the ledger) stays. */
  async #expire(): Promise<string[]> {
    if (this.#deps.retentionDays === undefined) return [];
    const old = await this.#deps.db.query<{ id: string; object_key: string }>(
      `SELECT id, object_key FROM tasks
       WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND raw_removed_at IS NULL
         AND updated_at < now() - make_interval(days => $1)
       ORDER BY updated_at LIMIT $2`,
      [this.#deps.retentionDays, CLEAN_BATCH],
    );
    for (const task of old) {
      await this.#deps.objects.delete(task.object_key);
      await this.#deps.rejections.deleteForTask(task.id);
      await this.#deps.db.query('UPDATE tasks SET raw_removed_at = now() WHERE id = $1', [task.id]);
    }
    return old.map((task) => task.id);
  }
}
