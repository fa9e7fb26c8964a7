import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type DateOrder,
  describeTimestampFormat,
  detectTimestampFormat,
  type TimestampFormat,
  TimestampReader,
} from './timestampFormats.ts';
import { ZonedClock } from './timeZones.ts';

const utc = new ZonedClock('UTC');
const read = (format: TimestampFormat, text: string, clock = utc) => new TimestampReader(format, clock).read(text);
const iso = (ms: number) => (Number.isNaN(ms) ? 'NaN' : new Date(ms).toISOString());
const detect = (values: string[], dateOrder: DateOrder | null = null) =>
  detectTimestampFormat(values, { dateOrder, clock: utc, minShare: 0.5 });

test('each format reads its values, calendar-exact', () => {
  const mdy: TimestampFormat = { kind: 'numeric', order: 'MDY', separator: '/' };
  assert.equal(iso(read(mdy, '3/1/2025')), '2025-03-01T00:00:00.000Z');
  assert.equal(iso(read(mdy, '12/31/2025 11:59 PM')), '2025-12-31T23:59:00.000Z');
  assert.equal(iso(read(mdy, '1/2/2025 12:05:09 am')), '2025-01-02T00:05:09.000Z');
  assert.equal(iso(read(mdy, '1/2/2025 12:00 PM')), '2025-01-02T12:00:00.000Z');
  assert.equal(iso(read(mdy, '1/2/2025 13:00 PM')), 'NaN');
  assert.equal(iso(read(mdy, '2/30/2025')), 'NaN', 'no 30 February');
  assert.equal(iso(read(mdy, '2/29/2024')), '2024-02-29T00:00:00.000Z');
  assert.equal(iso(read(mdy, '13/1/2025')), 'NaN');
  const dmyDot: TimestampFormat = { kind: 'numeric', order: 'DMY', separator: '.' };
  assert.equal(iso(read(dmyDot, '31.12.2025 23:15')), '2025-12-31T23:15:00.000Z');
  assert.equal(iso(read(dmyDot, '31/12/2025')), 'NaN', 'one separator per format');
  const ymd: TimestampFormat = { kind: 'numeric', order: 'YMD', separator: '/' };
  assert.equal(iso(read(ymd, '2025/3/9 08:00:00.250')), '2025-03-09T08:00:00.250Z');
  const mon: TimestampFormat = { kind: 'monthName', order: 'MDY' };
  assert.equal(iso(read(mon, 'Jan 1 2000')), '2000-01-01T00:00:00.000Z');
  assert.equal(iso(read(mon, 'January 15, 2000')), '2000-01-15T00:00:00.000Z');
  assert.equal(iso(read(mon, 'Sept 3, 2001 4:05 PM')), '2001-09-03T16:05:00.000Z');
  assert.equal(iso(read(mon, 'Tuesday, January 7, 2025')), '2025-01-07T00:00:00.000Z');
  assert.equal(iso(read(mon, 'Jam 1 2000')), 'NaN');
  const dmon: TimestampFormat = { kind: 'monthName', order: 'DMY' };
  assert.equal(iso(read(dmon, '1 Jan 2000')), '2000-01-01T00:00:00.000Z');
  assert.equal(iso(read(dmon, '01-Feb-2025')), '2025-02-01T00:00:00.000Z');
  assert.equal(iso(read(dmon, 'Tue, 1 Jul 2025 10:00:00 +0200')), '2025-07-01T08:00:00.000Z', 'RFC 2822');
  assert.equal(iso(read(dmon, 'Tue, 1 Jul 2025 10:00:00 GMT')), '2025-07-01T10:00:00.000Z');
  assert.equal(iso(read(dmon, 'Foo, 1 Jul 2025')), 'NaN', 'a weekday or nothing before the date');
  const seconds: TimestampFormat = { kind: 'epoch', unit: 'seconds' };
  assert.equal(iso(read(seconds, '1743431400')), '2025-03-31T14:30:00.000Z');
  assert.equal(iso(read(seconds, '5')), 'NaN', 'not a plausible instant');
  assert.equal(iso(read(seconds, '-99999999999')), 'NaN', 'no negative epochs');
  assert.equal(iso(read({ kind: 'epoch', unit: 'milliseconds' }, '20250301103000')), 'NaN', 'a compact date, not ms');
  assert.equal(iso(read({ kind: 'epoch', unit: 'milliseconds' }, '202503011030')), 'NaN');
  assert.equal(
    iso(read({ kind: 'iso' }, '2025-03-15\u00a0')),
    '2025-03-15T00:00:00.000Z',
    'a no-break space is trimmed',
  );
  const nbsp = Buffer.from('3/15/2025\u00a0');
  const mdyReader = new TimestampReader({ kind: 'numeric', order: 'MDY', separator: '/' }, utc);
  assert.equal(
    iso(mdyReader.readBytes(nbsp, 0, nbsp.length)),
    '2025-03-15T00:00:00.000Z',
    'bytes are read as detected',
  );
  assert.equal(iso(read({ kind: 'epoch', unit: 'milliseconds' }, '1743431400123')), '2025-03-31T14:30:00.123Z');
  assert.equal(iso(read({ kind: 'iso' }, '2025-03-31T14:30:00+02:00')), '2025-03-31T12:30:00.000Z');
});

test('values without an offset are read in the time zone; values with one are not', () => {
  const berlin = new ZonedClock('Europe/Berlin');
  const mdy: TimestampFormat = { kind: 'numeric', order: 'MDY', separator: '/' };
  assert.equal(iso(read(mdy, '1/15/2025 10:00', berlin)), '2025-01-15T09:00:00.000Z', 'CET, +01:00');
  assert.equal(iso(read(mdy, '7/15/2025 10:00', berlin)), '2025-07-15T08:00:00.000Z', 'CEST, +02:00');
  assert.equal(iso(read(mdy, '7/15/2025 10:00 Z', berlin)), '2025-07-15T10:00:00.000Z');
  assert.equal(iso(read({ kind: 'iso' }, '2025-07-15 10:00', berlin)), '2025-07-15T08:00:00.000Z');
  assert.equal(iso(read({ kind: 'iso' }, '2025-07-15T10:00Z', berlin)), '2025-07-15T10:00:00.000Z');
  const newYork = new ZonedClock('America/New_York');
  // 2025-03-09 02:30 does not exist in New York (spring forward): moved forward by the gap, to 03:30 EDT.
  assert.equal(iso(read(mdy, '3/9/2025 2:30', newYork)), '2025-03-09T07:30:00.000Z');
  // 2025-11-02 01:30 happens twice (fall back): the first, EDT.
  assert.equal(iso(read(mdy, '11/2/2025 1:30', newYork)), '2025-11-02T05:30:00.000Z');
});

test('detection: the format that reads most values; ties of day and month order are ambiguous', () => {
  assert.deepEqual(detect(['3/1/2025', '12/31/2025', '']), {
    kind: 'detected',
    format: { kind: 'numeric', order: 'MDY', separator: '/' },
    nonEmpty: 2,
    parsed: 2,
    counterExamples: [],
  });
  assert.equal(detect(['3/1/2025', '4/2/2025']).kind, 'ambiguous');
  const given = detect(['3/1/2025', '4/2/2025'], 'DMY');
  assert.equal(given.kind === 'detected' && describeTimestampFormat(given.format), 'D/M/YYYY');
  const dotted = detect(['31.01.2025', '1.2.2025']);
  assert.equal(dotted.kind === 'detected' && describeTimestampFormat(dotted.format), 'D.M.YYYY');
  const mixed = detect(['2025-01-01', '2025-01-02T10:00Z', 'soon']);
  assert.equal(mixed.kind === 'detected' && mixed.format.kind, 'iso');
  assert.deepEqual(mixed.kind === 'detected' && mixed.counterExamples, ['soon']);
  const epoch = detect(['1743431400', '1743431460']);
  assert.deepEqual(epoch.kind === 'detected' && epoch.format, { kind: 'epoch', unit: 'seconds' });
  assert.equal(detect(['1', '2', '3']).kind, 'none');
  assert.equal(detect(['soon', 'later', '2025-01-01']).kind, 'none', 'under half');
});

const instants = fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) }).map((ms) => ms - (ms % 1000));
const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Writes an instant in a format, as an export would (UTC), with a random choice of time notation. */
function write(format: TimestampFormat, ms: number, twelveHour: boolean): string {
  const d = new Date(ms);
  const [y, mo, da] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  const h = d.getUTCHours();
  const time = twelveHour
    ? ` ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`
    : ` ${pad(h)}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  switch (format.kind) {
    case 'iso':
      return d.toISOString();
    case 'numeric': {
      const s = format.separator;
      const date =
        format.order === 'MDY'
          ? `${mo}${s}${da}${s}${y}`
          : format.order === 'DMY'
            ? `${da}${s}${mo}${s}${y}`
            : `${y}${s}${mo}${s}${da}`;
      return date + time;
    }
    case 'monthName':
      return (format.order === 'MDY' ? `${MON[mo - 1]} ${da}, ${y}` : `${da} ${MON[mo - 1]} ${y}`) + time;
    case 'epoch':
      return format.unit === 'seconds' ? String(ms / 1000) : String(ms);
  }
}

test('property: for every format, writing an instant and reading it gives the instant back', () => {
  const formats: TimestampFormat[] = [
    { kind: 'iso' },
    { kind: 'numeric', order: 'MDY', separator: '/' },
    { kind: 'numeric', order: 'DMY', separator: '/' },
    { kind: 'numeric', order: 'DMY', separator: '.' },
    { kind: 'numeric', order: 'DMY', separator: '-' },
    { kind: 'numeric', order: 'YMD', separator: '/' },
    { kind: 'monthName', order: 'MDY' },
    { kind: 'monthName', order: 'DMY' },
    { kind: 'epoch', unit: 'seconds' },
    { kind: 'epoch', unit: 'milliseconds' },
  ];
  fc.assert(
    fc.property(fc.constantFrom(...formats), instants, fc.boolean(), (format, ms, twelveHour) => {
      // plausible instants only: 9–10 digits of seconds, 13 of milliseconds
      if (format.kind === 'epoch' && (ms < (format.unit === 'seconds' ? 1e11 : 1e12) || ms >= 1e13)) return;
      assert.equal(read(format, write(format, ms, twelveHour)), ms, write(format, ms, twelveHour));
    }),
    { numRuns: 3000 },
  );
});

test('property: in a time zone, the wall-clock time read back is the time written there', () => {
  const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'];
  fc.assert(
    fc.property(fc.constantFrom(...zones), instants, (zone, ms) => {
      const clock = new ZonedClock(zone);
      const instant = clock.toInstant(ms);
      // Reading the wall time back in the zone gives the written wall time (outside a spring-forward gap).
      const wall = instant + clock.offsetAt(instant);
      if (wall !== ms) assert.ok(clock.offsetAt(ms + 86_400_000) !== clock.offsetAt(ms - 86_400_000), `${zone} ${ms}`);
    }),
    { numRuns: 2000 },
  );
});

test('found in review: zones 12 h and more from UTC, changes between quarter hours, years below 100', () => {
  const auckland = new ZonedClock('Pacific/Auckland');
  const isoReader = (clock: ZonedClock) => (text: string) =>
    iso(new TimestampReader({ kind: 'iso' }, clock).read(text));
  // 2025-09-28 02:30 does not exist in Auckland (NZST → NZDT): moved forward to 03:30 NZDT.
  assert.equal(isoReader(auckland)('2025-09-28 02:30'), '2025-09-27T14:30:00.000Z');
  // 2025-04-06 02:30 happens twice: the first, NZDT (+13).
  assert.equal(isoReader(auckland)('2025-04-06 02:30'), '2025-04-05T13:30:00.000Z');
  // St John's changed at 00:01 local time (2007–2011), between UTC quarter hours.
  assert.equal(isoReader(new ZonedClock('America/St_Johns'))('2010-03-14 01:05'), '2010-03-14T03:35:00.000Z');
  assert.equal(isoReader(new ZonedClock('Europe/Berlin'))('0050-06-01 10:00'), '0050-06-01T09:06:32.000Z');
});
