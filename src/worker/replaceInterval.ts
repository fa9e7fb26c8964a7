/** The whole UTC days covering [minTime, maxTime]: what a REPLACE upload replaces. */
export function replaceInterval(minTime: number | null, maxTime: number | null): { start: Date; end: Date } | null {
  if (minTime === null || maxTime === null) return null;
  const day = 24 * 60 * 60 * 1000;
  const start = Math.floor(minTime / day) * day;
  const end = (Math.floor(maxTime / day) + 1) * day;
  return { start: new Date(start), end: new Date(end) };
}
