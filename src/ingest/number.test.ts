import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isLongValue, lastNumber, parseNumber, parseNumberBytes } from './number.ts';

test('accepts plain decimal numbers', () => {
  const cases: [string, number][] = [
    ['12', 12],
    ['-3.5', -3.5],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['5.', 5],
    ['+7', 7],
    ['1e3', 1000],
    ['1E3', 1000],
    ['2.5e-3', 0.0025],
    ['1e+2', 100],
    [' 12 ', 12],
    ['\t-0.25\r', -0.25],
    ['007', 7],
    ['0', 0],
    ['0.1', 0.1],
    ['123456789012345', 123456789012345],
    ['12345678901234567890', 12345678901234567000],
    ['0.30000000000000004', 0.30000000000000004],
    ['1.7976931348623157e308', 1.7976931348623157e308],
    ['9007199254740993', 2 ** 53],
  ];
  for (const [text, value] of cases) assert.equal(parseNumber(text), value, text);
  assert.ok(Object.is(parseNumber('-0'), -0));
});

test('rejects everything else', () => {
  for (const text of [
    '',
    '   ',
    '-',
    '+',
    '.',
    '-.',
    'e3',
    '1e',
    '1e+',
    '1.2.3',
    '1,000',
    '1 000',
    '1.234,56',
    '1_000',
    'NaN',
    'nan',
    'Infinity',
    '-Infinity',
    '0x10',
    '0b101',
    '0o17',
    '1e309',
    '-1e309',
    '12abc',
    'abc',
    '$12',
    '12%',
    '１２',
    '--1',
    '+-1',
    '1e3.5',
  ]) {
    assert.equal(parseNumber(text), null, text);
  }
});

test('agrees with Number() on generated decimal strings', () => {
  const decimal = fc
    .tuple(
      fc.constantFrom('', '-', '+'),
      fc.stringMatching(/^[0-9]{0,20}$/),
      fc.option(fc.stringMatching(/^[0-9]{0,20}$/)),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{1,3}$/))),
    )
    .map(([sign, int, fraction, exponent]) => {
      let text = sign + int;
      if (fraction !== null) text += `.${fraction}`;
      if (exponent !== null) text += exponent.join('');
      return text;
    });
  fc.assert(
    fc.property(decimal, (text) => {
      const hasDigit = /[0-9]/.test(text.split(/[eE]/)[0] as string);
      const expected = hasDigit && Number.isFinite(Number(text)) ? Number(text) : null;
      assert.equal(parseNumber(text), expected);
    }),
    { numRuns: 2000 },
  );
});

test('"canonical" means the input is exactly String(value), so the output may copy it', () => {
  fc.assert(
    fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), (value) => {
      const text = String(value);
      const bytes = Buffer.from(text);
      const parsed = parseNumberBytes(bytes, 0, bytes.length);
      assert.ok(Object.is(parsed, value) || (parsed === 0 && value === 0), text);
    }),
  );
  const decimal = fc.stringMatching(/^-?[0-9]{1,10}(\.[0-9]{1,8})?$/);
  fc.assert(
    fc.property(decimal, (text) => {
      const bytes = Buffer.from(text);
      const value = parseNumberBytes(bytes, 0, bytes.length);
      if (lastNumber.canonical) assert.equal(String(value), text);
    }),
    { numRuns: 3000 },
  );
  for (const text of ['12.50', '007', '+1', '.5', '5.', '-0', '1e3', '0.0000001']) {
    const bytes = Buffer.from(text);
    parseNumberBytes(bytes, 0, bytes.length);
    assert.equal(lastNumber.canonical, false, text);
  }
  for (const text of ['12.5', '-3', '0', '0.000001', '123456789012345']) {
    const bytes = Buffer.from(text);
    parseNumberBytes(bytes, 0, bytes.length);
    assert.equal(lastNumber.canonical, true, text);
  }
});

test('long values are integers within ±2^53', () => {
  assert.ok(isLongValue(2 ** 53));
  assert.ok(isLongValue(-(2 ** 53)));
  assert.ok(isLongValue(0));
  assert.ok(!isLongValue(2 ** 53 + 2));
  assert.ok(!isLongValue(1.5));
});

test('found in review: a cell of 200,000 digits is a number (or not), never a RangeError', () => {
  const digits = '1'.repeat(200_000);
  assert.equal(parseNumber(digits), null, 'larger than a double holds');
  assert.equal(parseNumber(`0.${digits}`), Number(`0.${digits}`));
  assert.equal(parseNumber(`${digits}e5`), null);
});
