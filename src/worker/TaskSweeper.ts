import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SqlDatabase } from '../db/SqlDatabase.ts';
import { INGEST_QUEUE, type JobQueue } from '../jobs/JobQueue.ts';
import type { TaskAttempts } from '../tasks/TaskAttempts.ts';
import type { TaskStore } from '../tasks/TaskStore.ts';

export interface SweepResult {
  /** Uploads that stopped arriving (their API process died): FAILED UPLOAD_INTERRUPTED. */
  staleUploads: string[];
  /** Tasks in progress whose job was gone (lost to a crash on its last retry, expired): sent a new job. */
  resumed: string[];
  /** …and those that had been resumed too often already: FAILED. */
  abandoned: string[];
  /** Scratch files of no live attempt, removed. */
  scratchFiles: string[];
}

export interface TaskSweeperDeps {
  db: SqlDatabase;
  tasks: TaskStore;
  attempts: TaskAttempts;
  jobs: JobQueue;
  workDir: string;
  /** A task is resumed at most until it has had this many attempts; then it fails. */
  maxAttempts: number;
  staleUploadSeconds: number;
  log: Logger;
}

/**
 * Keeps every task moving to a terminal state whatever dies: run at the worker's start and every minute. It finds
 * uploads that stopped arriving, tasks in progress that no job will ever run again (a job lost with a process on
 * its last retry, or expired), and scratch files no attempt will read again.
 */
export class TaskSweeper {
  readonly #deps: TaskSweeperDeps;

  constructor(deps: TaskSweeperDeps) {
    this.#deps = deps;
  }

  async sweep(): Promise<SweepResult> {
    const staleUploads = await this.#deps.tasks.failStalePendingUploads(this.#deps.staleUploadSeconds);
    const { resumed, abandoned } = await this.#resumeOrphans();
    const scratchFiles = await this.#removeScratch();
    const result = { staleUploads, resumed, abandoned, scratchFiles };
    if (staleUploads.length + resumed.length + abandoned.length + scratchFiles.length > 0) {
      this.#deps.log.warn(result, 'swept');
    }
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

  /** `{taskId}-attempt-{n}.jsonl` files whose attempt is not the running one of a task in progress. */
  async #removeScratch(): Promise<string[]> {
    const names = await readdir(this.#deps.workDir).catch(() => [] as string[]);
    const scratch = names
      .map((name) => ({ name, match: /^([0-9a-f-]{36})-attempt-(\d+)\.jsonl$/.exec(name) }))
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
}
