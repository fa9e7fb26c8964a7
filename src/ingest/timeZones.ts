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
        });
  }

  /**
   * The instant whose wall-clock time in this zone is `wallMs` (a wall time written as if it were UTC epoch ms). A
   * time in a spring-forward gap moves forward by the gap; one in a fall-back overlap is its first occurrence.
   */
  toInstant(wallMs: number): number {
    if (this.#format === null) return wallMs;
    // Offset changes are far more than a day apart: the offsets 12 h either side are the only ones in play.
    const before = this.offsetAt(wallMs - 43_200_000);
    const after = this.offsetAt(wallMs + 43_200_000);
    const first = Math.max(before, after);
    const second = Math.min(before, after);
    if (this.offsetAt(wallMs - first) === first) return wallMs - first;
    if (this.offsetAt(wallMs - second) === second) return wallMs - second;
    return wallMs - before; // in a gap: read with the offset before it, i.e. moved forward by the gap
  }

  /** The zone's offset from UTC at an instant, in ms (wall time − UTC). */
  offsetAt(instant: number): number {
    const format = this.#format;
    if (format === null) return 0;
    const bucket = Math.floor(instant / QUARTER_HOUR_MS);
    const cached = this.#offsets.get(bucket);
    if (cached !== undefined) return cached;
    const parts = format.formatToParts(new Date(bucket * QUARTER_HOUR_MS));
    const field = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const wall = Date.UTC(
      field('year'),
      field('month') - 1,
      field('day'),
      field('hour'),
      field('minute'),
      field('second'),
    );
    const offset = wall - bucket * QUARTER_HOUR_MS;
    if (this.#offsets.size >= MAX_CACHED_OFFSETS) this.#offsets.clear();
    this.#offsets.set(bucket, offset);
    return offset;
  }
}
