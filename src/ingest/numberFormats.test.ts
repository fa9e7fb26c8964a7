import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type DecimalSeparator, detectDecimalSeparator, NumberReader } from './numberFormats.ts';

const dot = new NumberReader('.');
const comma = new NumberReader(',');

test('numbers as exports write them', () => {
  const cases: [NumberReader, string, number][] = [
    [dot, '1,234.56', 1234.56],
    [dot, '$1,234.56', 1234.56],
    [dot, '-$1,234.56', -1234.56],
    [dot, '$-5', -5],
    [dot, '(1,234.56)', -1234.56],
    [dot, '1234-', -1234],
    [dot, 'USD 12', 12],
    [dot, '12 USD', 12],
    [dot, '12.5%', 0.125],
    [dot, "1'234'567.5", 1234567.5],
    [dot, '1 234 567', 1234567],
    [dot, '2.5e3', 2500],
    [dot, '−7', -7],
    [comma, '1.234,56', 1234.56],
    [comma, '1.234,56 €', 1234.56],
    [comma, '€ -3,5', -3.5],
    [comma, '1 234,5', 1234.5],
    [comma, '12,5 %', 0.125],
    [comma, '7', 7],
  ];
  for (const [reader, text, value] of cases)
    assert.equal(reader.read(text), value, `${reader.decimalSeparator} ${text}`);
  for (const [reader, text] of [
    [dot, '1,23,4'],
    [dot, '1.234,56'],
    [dot, '(-5)'],
    [dot, '-$-5'],
    [dot, '12,5'],
    [dot, '$'],
    [dot, 'abc'],
    [dot, '1,2345'],
    [comma, '1,234.56'],
    [comma, '12.5'],
  ] as [NumberReader, string][]) {
    assert.ok(Number.isNaN(reader.read(text)), `${reader.decimalSeparator} ${text} is not a number`);
  }
  assert.equal(dot.read('$5'), 5);
  assert.equal(dot.decorated, true, 'a currency value is marked (its column is stored as double)');
  assert.equal(dot.read('5'), 5);
  assert.equal(dot.decorated, false);
});

test('the decimal separator a sample shows', () => {
  assert.equal(detectDecimalSeparator(['12,5', '3', '1.234,56']), ',');
  assert.equal(detectDecimalSeparator(['1,234', '1,5']), ',');
  assert.equal(detectDecimalSeparator(['1,234', '2,345']), '.', 'groups of three decide nothing');
  assert.equal(detectDecimalSeparator(['12.5', '1,5']), '.', 'both kinds of evidence: the default');
  assert.equal(detectDecimalSeparator(['$1,234.56']), '.');
});

/** Writes a number with thousands separators, a currency and a sign notation, as a spreadsheet might. */
function write(
  value: number,
  decimal: DecimalSeparator,
  style: { currency: number; negative: number; group: boolean },
) {
  const [integer, fraction] = Math.abs(value).toFixed(2).split('.') as [string, string];
  const thousands = decimal === '.' ? ',' : '.';
  const grouped = style.group ? integer.replace(/\B(?=(\d{3})+(?!\d))/g, thousands) : integer;
  let text = `${grouped}${decimal}${fraction}`;
  text = [text, `$${text}`, `${text} €`, `EUR ${text}`][style.currency] as string;
  if (value < 0) text = [`-${text}`, `(${text})`, `${text}-`][style.negative] as string;
  return text;
}

test('property: every notation of a number reads back as the same value', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -99_999_999_999, max: 99_999_999_999 }),
      fc.constantFrom<DecimalSeparator>('.', ','),
      fc.record({
        currency: fc.integer({ min: 0, max: 3 }),
        negative: fc.integer({ min: 0, max: 2 }),
        group: fc.boolean(),
      }),
      (cents, decimal, style) => {
        const value = cents / 100;
        const text = write(value, decimal, style);
        assert.equal(new NumberReader(decimal).read(text), Number(value.toFixed(2)), text);
      },
    ),
    { numRuns: 5000 },
  );
});

test('found in review: codes of things are not amounts, 0,250 is a decimal, percents are exact, long cells are quick', () => {
  for (const text of ['SKU-12345', 'XYZ-001', 'ABC 123', '12 ABC']) assert.ok(Number.isNaN(dot.read(text)), text);
  assert.equal(dot.read('12 CHF'), 12);
  assert.ok(Number.isNaN(dot.read('0,250')), 'a thousands group never follows a leading 0');
  assert.equal(detectDecimalSeparator(['0,250', '1,500']), ',');
  assert.equal(dot.read('0.07%'), 0.0007);
  const started = performance.now();
  for (const cell of [`${'1'.repeat(100_000)}x`, `1${'\t'.repeat(100_000)}1`, `$${' '.repeat(100_000)}x`]) {
    assert.ok(Number.isNaN(dot.read(cell)));
    assert.ok(Number.isNaN(comma.read(cell)));
  }
  assert.ok(performance.now() - started < 200, 'linear, not quadratic');
});
