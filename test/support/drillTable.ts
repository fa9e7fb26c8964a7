/** One drill's outcome, as the closing notes of issue 8 tabulate them. */
export interface DrillRow {
  drill: string;
  recoveryMs: number;
  outcome: string;
  rowsLost: number;
  rowsDuplicated: number;
  filesLeft: number;
}

/** The row as a Markdown table line. */
export function drillRowLine(row: DrillRow): string {
  return `| ${row.drill} | 1 | ${(row.recoveryMs / 1000).toFixed(1)} s | ${row.outcome} | ${row.rowsLost} | ${row.rowsDuplicated} | ${row.filesLeft} |`;
}

/** Prints the drills as a Markdown table. */
export function printDrillTable(rows: readonly DrillRow[]): void {
  console.log('\n| drill | runs | recovery after restart | outcome | rows lost | rows duplicated | files left |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(drillRowLine(row));
}
