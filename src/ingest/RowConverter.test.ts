import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validate } from './testSupport.ts';

test('the compact CSV writes each instant as its epoch ms, before and after 1970 and at digit boundaries', () => {
  const instants = [0, 1, 9_999_999, 10_000_000, 1_735_689_600_000, -1, -86_400_000, -2_208_988_800_000];
  fc.assert(
    fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
      for (const instant of [ms, ...instants]) {
        const iso = new Date(instant).toISOString();
        const result = validate(`sold_at,units\n${iso},1\n`, { output: 'csv', taskId: 't' });
        assert.equal(result.error, null, iso);
        assert.equal(String(result.output).split(',')[0], String(instant), iso);
      }
    }),
    { numRuns: 50 },
  );
});
