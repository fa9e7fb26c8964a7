import type { DruidRowStats } from './DruidClient.ts';

/**
 * Compares a successful task's row counters with the rows validation accepted; null when they agree, else what
 * differs. The sequential `index_parallel` task reads the file twice (determinePartitions, then buildSegments),
 * each phase counting every row, so the phases are checked one by one rather than summed: buildSegments must
 * have processed exactly `rowCount` rows, determinePartitions either none or `rowCount`, and no phase may report
 * a row processed with error, unparseable or thrown away.
 */
export function reconcileRowStats(rowStats: Record<string, DruidRowStats>, rowCount: number): string | null {
  const problems: string[] = [];
  const build = rowStats.buildSegments;
  if (!build) {
    problems.push(`the report has no buildSegments row stats (phases: ${Object.keys(rowStats).join(', ') || 'none'})`);
  } else if (build.processed !== rowCount) {
    problems.push(`buildSegments processed ${build.processed} rows, validation accepted ${rowCount}`);
  }
  const determine = rowStats.determinePartitions;
  if (determine && determine.processed !== 0 && determine.processed !== rowCount) {
    problems.push(`determinePartitions processed ${determine.processed} rows, validation accepted ${rowCount}`);
  }
  for (const [phase, stats] of Object.entries(rowStats)) {
    for (const counter of ['processedWithError', 'unparseable', 'thrownAway'] as const) {
      if (stats[counter] !== 0) problems.push(`${phase}.${counter} = ${stats[counter]} (expected 0)`);
    }
  }
  return problems.length === 0 ? null : problems.join('; ');
}
