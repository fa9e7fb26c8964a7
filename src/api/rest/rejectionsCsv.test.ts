import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, rejectionCsvRecord } from './rejectionsCsv.ts';

test('formula-like values are exported as text', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('+1'), `"'+1"`);
  assert.equal(csvCell('-1+1'), `"'-1+1"`);
  assert.equal(csvCell('@SUM(1)'), `"'@SUM(1)"`);
  assert.equal(csvCell('\tx'), `"'\tx"`);
  assert.equal(csvCell('\rx'), `"'\rx"`);
});

test('plain values stay plain and special characters are quoted', () => {
  assert.equal(csvCell('EU'), 'EU');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
});

test('a record lists line, column, code, message and raw text', () => {
  const record = rejectionCsvRecord({
    line: 7,
    column: 'amount',
    code: 'INVALID_NUMBER',
    message: 'amount "abc" is not a number',
    raw: '2025-03-01,EU,abc',
  });
  assert.equal(record, '7,amount,INVALID_NUMBER,"amount ""abc"" is not a number","2025-03-01,EU,abc"\r\n');
});
