import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { daysFromCivil, parseTimestamp, writeIsoTimestamp } from './timestamp.ts';

const utc = (iso: string) => Date.parse(iso);

test('accepts ISO dates and date-times', () => {
  const cases: [string, string][] = [
    ['2025-03-01', '2025-03-01T00:00:00.000Z'],
    ['2025-03-01T10:00', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01 10:00', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T10:00:05', '2025-03-01T10:00:05.000Z'],
    ['2025-03-01T10:00:05Z', '2025-03-01T10:00:05.000Z'],
    ['2025-03-01T10:00Z', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T10:00:05.1Z', '2025-03-01T10:00:05.100Z'],
    ['2025-03-01T10:00:05.12Z', '2025-03-01T10:00:05.120Z'],
    ['2025-03-01T10:00:05.123Z', '2025-03-01T10:00:05.123Z'],
    ['2025-03-01T10:00:05.123456789Z', '2025-03-01T10:00:05.123Z'],
    ['2025-03-01T10:00:05.999999999', '2025-03-01T10:00:05.999Z'],
    ['2025-03-01T10:00:05+02:00', '2025-03-01T08:00:05.000Z'],
    ['2025-03-01T10:00:05-0530', '2025-03-01T15:30:05.000Z'],
    ['2025-03-01T10:00+01:00', '2025-03-01T09:00:00.000Z'],
    ['2025-03-01T00:30:00+01:00', '2025-02-28T23:30:00.000Z'],
    ['  2025-03-01T10:00:00Z \t', '2025-03-01T10:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['1970-01-01', '1970-01-01T00:00:00.000Z'],
    ['1969-12-31T23:59:59.999Z', '1969-12-31T23:59:59.999Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
    ['2025-12-31T23:59:59', '2025-12-31T23:59:59.000Z'],
  ];
  for (const [text, iso] of cases) assert.equal(parseTimestamp(text), utc(iso), text);
});

test('year 0000 and 0099 are real years, not 1900 + n', () => {
  assert.equal(parseTimestamp('0099-01-01'), daysFromCivil(99, 1, 1) * 86_400_000);
  assert.equal(new Date(parseTimestamp('0099-06-15') as number).toISOString(), '0099-06-15T00:00:00.000Z');
  assert.equal(new Date(parseTimestamp('0000-03-01') as number).toISOString(), '0000-03-01T00:00:00.000Z');
});

test('rejects dates that do not exist and times out of range', () => {
  for (const text of [
    '2025-02-29',
    '2023-02-29',
    '1900-02-29',
    '2025-02-30',
    '2025-04-31',
    '2025-06-31',
    '2025-09-31',
    '2025-11-31',
    '2025-01-32',
    '2025-13-01',
    '2025-00-10',
    '2025-01-00',
    '2025-03-01T24:00',
    '2025-03-01T24:00:00Z',
    '2025-03-01T23:60',
    '2025-03-01T23:59:60',
    '2025-03-01T10:00:00+24:00',
    '2025-03-01T10:00:00+01:60',
  ]) {
    assert.equal(parseTimestamp(text), null, text);
  }
});

test('rejects other formats', () => {
  for (const text of [
    '',
    '   ',
    '2025',
    '2025-3-1',
    '25-03-01',
    '20250301',
    '2025/03/01',
    '01.03.2025',
    '03/01/2025',
    '2025-03-01T',
    '2025-03-01T10',
    '2025-03-01T1:00',
    '2025-03-01T10:0',
    '2025-03-01T10:00:0',
    '2025-03-01T10:00:00.',
    '2025-03-01T10:00:00.1234567890',
    '2025-03-01T10:00:00,5',
    '2025-03-01  10:00',
    '2025-03-01t10:00',
    '2025-03-01T10:00:00z',
    '2025-03-01T10:00:00ZZ',
    '2025-03-01T10:00:00+01',
    '2025-03-01T10:00:00+1:00',
    '2025-03-01T10:00:00+01:0',
    '2025-03-01T10:00:00 +01:00',
    '2025-03-01Z',
    '+2025-03-01',
    '１２３４-03-01',
    '2025-03-01x',
    'NaN',
    '1740823200000',
  ]) {
    assert.equal(parseTimestamp(text), null, text);
  }
});

test('matches Date.parse on every valid generated date-time with offset', () => {
  const two = (n: number) => String(n).padStart(2, '0');
  fc.assert(
    fc.property(
      fc.date({ min: new Date('0100-01-01T00:00:00Z'), max: new Date('9998-12-31T00:00:00Z'), noInvalidDate: true }),
      fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
      (date, offsetMinutes) => {
        const iso = date.toISOString(); // 2025-03-01T10:00:00.123Z
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const text = `${iso.slice(0, 23)}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
        assert.equal(parseTimestamp(text), date.getTime() - offsetMinutes * 60_000);
        assert.equal(parseTimestamp(iso), date.getTime());
      },
    ),
  );
});

test('writeIsoTimestamp writes what Date#toISOString does', () => {
  const out = Buffer.alloc(32);
  fc.assert(
    fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
      const end = writeIsoTimestamp(out, 0, ms);
      assert.equal(out.toString('latin1', 0, end), new Date(ms).toISOString());
    }),
  );
  // extended years (after an offset pushes 9999-12-31 over)
  const end = writeIsoTimestamp(out, 0, Date.UTC(10000, 0, 1));
  assert.equal(out.toString('latin1', 0, end), '+010000-01-01T00:00:00.000Z');
});
