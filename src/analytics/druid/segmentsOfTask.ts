import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../errors/AppError.ts';
import type { IngestMode } from '../../tasks/IngestionTask.ts';
import { LINEAGE_COLUMN } from '../AnalyticsStore.ts';
import { type DruidClient, isoInterval } from './DruidClient.ts';
import { lineageRows } from './druidSql.ts';

export interface SegmentsOfTaskInput {
  storeName: string;
  taskId: string;
  mode: IngestMode;
  /** The days the task wrote. */
  interval: { start: Date; end: Date };
  /** From the Druid task's report (segments with rows it published), when known. */
  segmentsPublished: number | null;
  timeoutMs: number;
  pollMs?: number;
}

/**
 * The used segments that hold our task's rows, found by their data: Druid keeps no record of which task published a
 * segment (`/task/{id}/segments` answers "not persisted anymore"), and an appended segment's version is the version of
 * the days it joined, shared with every other append. Every row of a segment our Druid task built carries our task id
 * in the lineage column (its input is one validated file), so a segment whose lineage values are all our task id is
 * ours: a segmentMetadata query gives each queryable segment's least and greatest value. We wait until the segments
 * of the days are loaded, the rows of those segments add up to the rows SQL sees for the task (none of ours elsewhere,
 * e.g. merged by a compaction), and they are as many as the report says were published.
 *
 * A REPLACE also published tombstones for its days without rows, under the same version as its segments (the version
 * of its REPLACE lock, which no other task uses): every used segment of its days with that version is ours.
 */
export async function segmentsOfTask(client: DruidClient, input: SegmentsOfTaskInput): Promise<string[]> {
  const { storeName, taskId, interval } = input;
  const deadline = performance.now() + input.timeoutMs;
  let seen = 'nothing yet';
  for (;;) {
    const loaded = await client.loadStatus(storeName, interval);
    const visible = await lineageRows(client, storeName, taskId);
    if (loaded === null && visible === 0) return []; // no used segment in its days: nothing of the task is left
    if (loaded !== null && loaded >= 100) {
      const segments = await client.segmentLineage(storeName, interval, LINEAGE_COLUMN);
      const ours = segments.filter((s) => s.minLineage === taskId && s.maxLineage === taskId);
      const oursRows = ours.reduce((sum, s) => sum + s.numRows, 0);
      const enough = input.segmentsPublished === null || ours.length >= input.segmentsPublished || visible === 0;
      if (oursRows === visible && enough) {
        return input.mode === 'REPLACE'
          ? await withSameVersion(
              client,
              input,
              ours.map((s) => s.id),
            )
          : ours.map((s) => s.id);
      }
      seen = `${ours.length} segment(s) with ${oursRows} of the task's rows, SQL sees ${visible} rows, the report says ${input.segmentsPublished ?? '?'} segment(s) were published`;
    } else {
      seen = `loadstatus ${loaded ?? 0} % for ${isoInterval(interval)}`;
    }
    if (performance.now() > deadline) {
      throw new AppError(
        'DRUID_UNAVAILABLE',
        `could not tell within ${Math.round(input.timeoutMs / 1000)} s which segments of ${storeName} hold the rows of task ${taskId}: ${seen}`,
      );
    }
    await sleep(input.pollMs ?? 1_000);
  }
}

/** The task's segments and every other used segment of its days under their version (a REPLACE's tombstones). */
async function withSameVersion(client: DruidClient, input: SegmentsOfTaskInput, ours: string[]): Promise<string[]> {
  const used = await client.usedSegments(input.storeName, input.interval);
  const versions = new Set(used.filter((s) => ours.includes(s.id)).map((s) => s.version));
  const sameVersion = used.filter((s) => versions.has(s.version)).map((s) => s.id);
  return [...new Set([...ours, ...sameVersion])];
}
