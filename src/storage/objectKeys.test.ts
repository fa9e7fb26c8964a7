import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { rawObjectKey, sanitiseFilename } from './objectKeys.ts';

test('the raw key is built from the data source, the date and the task id', () => {
  const key = rawObjectKey('sales', 'T1', 'March sales.csv', new Date('2025-03-01T23:59:59Z'));
  assert.equal(key, 'raw/sales/2025/03/01/T1/March_sales.csv');
});

test('hostile names stay one safe segment', () => {
  const cases: [string, string][] = [
    ['../../etc/passwd', 'passwd'],
    ['..%2f..%2fx', '2f..%2fx'.replace(/[^A-Za-z0-9._-]+/g, '_')],
    ['/absolute/name.csv', 'name.csv'],
    ['C:\\Users\\me\\file.csv', 'file.csv'],
    ['a.csv\u0000.exe', 'a.csv_.exe'],
    ['\u202Eevil.csv', 'evil.csv'],
    ['..', 'upload'],
    ['', 'upload'],
    ['CON', 'CON'],
    ['?#% ', 'upload'],
  ];
  for (const [input, expected] of cases) assert.equal(sanitiseFilename(input), expected, input);
  assert.equal(sanitiseFilename('x'.repeat(300)).length, 120);
});

test('any name gives a segment of safe characters that is not a dot path', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
      const safe = sanitiseFilename(name);
      assert.match(safe, /^[A-Za-z0-9-][A-Za-z0-9._-]{0,119}$/);
      assert.notEqual(safe, '..');
    }),
  );
});
