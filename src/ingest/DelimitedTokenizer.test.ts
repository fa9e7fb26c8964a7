import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DelimitedTokenizer } from './DelimitedTokenizer.ts';
import { MAX_ROW_BYTES, type TokenizedRow } from './TokenizedRow.ts';
import { splitAt } from './testSupport.ts';

interface Row {
  line: number;
  fields: string[];
  raw: string;
  problem: string | null;
  invalid: boolean;
}

function tokenize(input: string | Buffer, cuts: number[] = [], delimiter: ',' | ';' | '\t' | '|' = ','): Row[] {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const tokenizer = new DelimitedTokenizer(delimiter);
  const rows: Row[] = [];
  const onRow = (row: TokenizedRow) =>
    rows.push({
      line: row.line,
      fields: row.problem === 'ROW_TOO_LONG' ? [] : row.fields(),
      raw: row.rawText(),
      problem: row.problem,
      invalid: row.invalidUtf8,
    });
  for (const part of splitAt(bytes, cuts)) tokenizer.push(part, false, onRow);
  tokenizer.push(Buffer.alloc(0), true, onRow);
  return rows;
}

const brief = (rows: Row[]) => rows.map((r) => [r.line, ...r.fields]);

test('splits rows and fields; blank lines are skipped but counted', () => {
  assert.deepEqual(brief(tokenize('a,b\n1,2\n\n3,\n,4')), [
    [1, 'a', 'b'],
    [2, '1', '2'],
    [4, '3', ''],
    [5, '', '4'],
  ]);
  assert.deepEqual(brief(tokenize('a\tb,c\n1\t2\n', [], '\t')), [
    [1, 'a', 'b,c'],
    [2, '1', '2'],
  ]);
});

test('line endings: \\n, \\r\\n, lone \\r, mixed', () => {
  assert.deepEqual(brief(tokenize('a\r\nb\rc\nd\r\r\ne')), [
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
    [4, 'd'],
    [6, 'e'],
  ]);
});

test('RFC 4180 quoting: delimiters, doubled quotes and line breaks inside quotes', () => {
  const rows = tokenize('h1,h2\n"a,b","say ""hi"""\n"multi\nline",x\n"crlf\r\nin",y\n"lone\rcr",z\nnext,row\n');
  assert.deepEqual(brief(rows), [
    [1, 'h1', 'h2'],
    [2, 'a,b', 'say "hi"'],
    [3, 'multi\nline', 'x'],
    [5, 'crlf\r\nin', 'y'],
    [7, 'lone\rcr', 'z'],
    [9, 'next', 'row'],
  ]);
  assert.equal(rows[2]?.raw, '"multi\nline",x');
  assert.deepEqual(brief(tokenize('"",""""\n')), [[1, '', '"']]);
});

test('lenient quotes: a quote inside an unquoted field is literal; text after a closing quote is kept', () => {
  assert.deepEqual(brief(tokenize('5" pipe,x\n"ab"cd,y\n')), [
    [1, '5" pipe', 'x'],
    [2, 'abcd', 'y'],
  ]);
});

test('an unclosed quote swallows the rest of the file and is reported', () => {
  const rows = tokenize('a,b\n"open,1\n2,3\n');
  assert.equal(rows.length, 2);
  assert.equal(rows[1]?.line, 2);
  assert.equal(rows[1]?.problem, 'UNCLOSED_QUOTE');
  assert.equal(rows[1]?.raw, '"open,1\n2,3\n');
});

test('every chunk split of a small file gives the same rows', () => {
  const text = Buffer.from(
    '\ufeffa,b,c\r\n"x,1","q""uote",é\r\n\r\n"multi\r\nline",2,3\rlone,cr,end\n"tail"x,"€",\n"unclosed,\n',
  );
  const expected = tokenize(text);
  assert.equal(expected.length, 6);
  for (let i = 0; i <= text.length; i++) {
    assert.deepEqual(tokenize(text, [i]), expected, `split at ${i}`);
    for (let j = i + 1; j <= text.length; j += 3)
      assert.deepEqual(tokenize(text, [i, j]), expected, `split at ${i},${j}`);
  }
  // byte by byte
  assert.deepEqual(
    tokenize(
      text,
      Array.from({ length: text.length }, (_, i) => i),
    ),
    expected,
  );
});

test('random chunk splits never change the rows (property)', () => {
  const cell = fc.oneof(
    fc.stringMatching(/^[a-z0-9 .é€-]{0,6}$/),
    fc.stringMatching(/^[a-z,"\r\n]{0,6}$/).map((s) => `"${s.replaceAll('"', '""')}"`),
  );
  const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
  const file = fc
    .array(fc.tuple(fc.array(cell, { minLength: 1, maxLength: 4 }), lineEnd), { minLength: 1, maxLength: 12 })
    .map((rows) => Buffer.from(rows.map(([cells, end]) => cells.join(',') + end).join('')));
  fc.assert(
    fc.property(file, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
      const positions = cuts.map((c) => c % (bytes.length + 1));
      assert.deepEqual(tokenize(bytes, positions), tokenize(bytes));
    }),
    { numRuns: 500 },
  );
});

test('invalid UTF-8 marks only the rows that contain it, also when a character is cut between chunks', () => {
  const bytes = Buffer.concat([
    Buffer.from('a,b\ncafé,1\n'),
    Buffer.from([0x63, 0xe9, 0x2c, 0x32, 0x0a]),
    Buffer.from('"ok\xff",3\n', 'latin1'),
  ]);
  for (let i = 0; i <= bytes.length; i++) {
    const rows = tokenize(bytes, [i]);
    assert.deepEqual(
      rows.map((r) => r.invalid),
      [false, false, true, true],
      `split at ${i}`,
    );
    assert.equal(rows[2]?.raw, 'c\ufffd,2');
  }
});

test('raw is capped at 4096 characters with an ellipsis', () => {
  const long = 'x'.repeat(5000);
  const rows = tokenize(`a\n${long}\n"${long}"\n`, [3000, 7000]);
  assert.equal(rows[1]?.raw, `${'x'.repeat(4096)}…`);
  assert.equal(rows[2]?.raw, `"${'x'.repeat(4095)}…`);
  assert.equal(rows[1]?.fields[0], long);
  assert.equal(rows[2]?.fields[0], long);
});

test('a 1 MB field and 10,000 columns', () => {
  const field = 'y'.repeat(1_000_000);
  const rows = tokenize(`a,b\n${field},"${field}"\n`, [100, 500_000, 1_500_000]);
  assert.equal(rows[1]?.fields[0]?.length, 1_000_000);
  assert.equal(rows[1]?.fields[1]?.length, 1_000_000);
  const wide = Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',');
  const wideRows = tokenize(`${wide}\n${wide}\n`, [30_000]);
  assert.equal(wideRows[1]?.fields.length, 10_000);
  assert.equal(wideRows[1]?.fields[9_999], 'c9999');
});

test('rows longer than MAX_ROW_BYTES are reported as too long, however they are chunked', () => {
  const row = Buffer.alloc(MAX_ROW_BYTES + 10, 0x61);
  const bytes = Buffer.concat([Buffer.from('h\n'), row, Buffer.from('\nnext\n')]);
  for (const cuts of [[], [1_000_000, 5_000_000, 9_000_000, 13_000_000, 17_000_000]]) {
    const rows = tokenize(bytes, cuts);
    assert.deepEqual(
      rows.map((r) => [r.line, r.problem]),
      [
        [1, null],
        [2, 'ROW_TOO_LONG'],
        [3, null],
      ],
    );
    assert.equal(rows[1]?.raw.length, 4097);
  }
});

test('semicolon and pipe delimiters, on the fast and the slow path, quotes respected', () => {
  for (const delimiter of [';', '|'] as const) {
    const d = delimiter;
    const rows = tokenize(`a${d}b,c${d}"x${d}y"\n1${d}"2""q"${d}"multi\nline"\n`, [], delimiter);
    assert.deepEqual(
      rows.map((r) => r.fields),
      [
        ['a', 'b,c', `x${d}y`],
        ['1', '2"q', 'multi\nline'],
      ],
      delimiter,
    );
  }
});
