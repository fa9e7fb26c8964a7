import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replaceInterval } from './replaceInterval.ts';

test('covers whole UTC days from the first row to the last', () => {
  const interval = replaceInterval(Date.parse('2025-03-01T10:00:00Z'), Date.parse('2025-03-03T00:00:00Z'));
  assert.deepEqual(interval, { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-03-04T00:00:00Z') });
});

test('one instant gives its day; no rows give no interval', () => {
  const t = Date.parse('2025-12-31T23:59:59.999Z');
  assert.deepEqual(replaceInterval(t, t), {
    start: new Date('2025-12-31T00:00:00Z'),
    end: new Date('2026-01-01T00:00:00Z'),
  });
  assert.equal(replaceInterval(null, null), null);
});
