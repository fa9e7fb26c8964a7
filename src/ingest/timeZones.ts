/**
 * Wall-clock times in an IANA time zone → instants. Values without an offset are read in the upload's (or the data
 * source's) `timeZone`, default UTC. Offsets come from the runtime's ICU data (Intl), cached per zone and quarter
 * hour: every offset change in the tz database falls on a quarter hour.
 */

const QUARTER_HOUR_MS = 900_000;
const MAX_CACHED_OFFSETS = 100_000;

/** True for a zone name Intl knows ("Europe/Berlin", "America/New_York", "UTC"). */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The instant of a wall-clock time in one zone. */
export class ZonedClock {
  readonly zone: string;
  readonly isUtc: boolean;
  readonly #format: Intl.DateTimeFormat | null;
  readonly #offsets = new Map<number, number>();

  constructor(zone: string) {
    this.zone = zone;
    this.isUtc = zone === 'UTC' || zone === 'Etc/UTC' || zone === 'Z';
    this.#format = this.isUtc
      ? null
      : new Intl.DateTimeFormat('en-US', {
          timeZone: zone,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
          era: 'short',
        });
  }

  /**
   * The instant whose wall-clock time in this zone is `wallMs` (a wall time written as if it were UTC epoch ms). A
   * time in a spring-forward gap moves forward by the gap; one in a fall-back overlap is its first occurrence.
   */
  toInstant(wallMs: number): number {
    if (this.#format === null) return wallMs;
    // Offset changes are days apart, and offsets are within ±14 h: the offsets 36 h either side of the wall time are
    // the only ones in play.
    const before = this.offsetAt(wallMs - 129_600_000);
    const after = this.offsetAt(wallMs + 129_600_000);
    const first = Math.max(before, after);
    const second = Math.min(before, after);
    if (this.offsetAt(wallMs - first) === first) return wallMs - first;
    if (this.offsetAt(wallMs - second) === second) return wallMs - second;
    return wallMs - before; // in a gap: read with the offset before it, i.e. moved forward by the gap
  }

  /** The zone's offset from UTC at an instant, in ms (wall time − UTC). */
  offsetAt(instant: number): number {
    if (this.#format === null) return 0;
    const bucket = Math.floor(instant / QUARTER_HOUR_MS);
    const cached = this.#offsets.get(bucket);
    if (cached !== undefined) return Number.isNaN(cached) ? this.#exactOffset(instant) : cached;
    // A quarter hour with one offset throughout is cached; one with a change inside it (a few historical ones, and
    // zones whose changes fall between UTC quarter hours) is asked of Intl exactly each time.
    const startOffset = this.#exactOffset(bucket * QUARTER_HOUR_MS);
    const endOffset = this.#exactOffset((bucket + 1) * QUARTER_HOUR_MS - 1000);
    if (this.#offsets.size >= MAX_CACHED_OFFSETS) this.#offsets.clear();
    this.#offsets.set(bucket, startOffset === endOffset ? startOffset : Number.NaN);
    return startOffset === endOffset ? startOffset : this.#exactOffset(instant);
  }

  #exactOffset(instant: number): number {
    const seconds = Math.floor(instant / 1000) * 1000;
    const parts = (this.#format as Intl.DateTimeFormat).formatToParts(new Date(seconds));
    const field = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const era = parts.find((p) => p.type === 'era')?.value;
    const year = era === 'BC' || era === 'B' ? 1 - field('year') : field('year');
    // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
    const wall = new Date(0);
    wall.setUTCFullYear(year, field('month') - 1, field('day'));
    wall.setUTCHours(field('hour'), field('minute'), field('second'), 0);
    return wall.getTime() - seconds;
  }
}
