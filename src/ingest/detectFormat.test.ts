import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { detectFormat } from './detectFormat.ts';

const csv = 'order_date,region,amount\n2025-03-01,EMEA,12.5\n';
const utf8 = { encoding: 'utf-8' } as const;
const comma = { ...utf8, delimiter: ',' } as const;
const tab = { ...utf8, delimiter: '\t' } as const;
const json = { ...utf8, delimiter: null } as const;

function unsupported(head: Buffer, isWholeFile = true): string {
  const result = detectFormat(head, isWholeFile);
  assert.equal(result.ok, false, 'expected UNSUPPORTED_FORMAT');
  if (result.ok) return '';
  assert.equal(result.code, 'UNSUPPORTED_FORMAT');
  return result.details;
}

test('recognises CSV, TSV and JSON lines from content', () => {
  assert.deepEqual(detectFormat(Buffer.from(csv), true), { ok: true, format: 'csv', gzip: false, ...comma });
  assert.deepEqual(detectFormat(Buffer.from('a\tb\tc,d\n1\t2\t3\n'), true), {
    ok: true,
    format: 'tsv',
    gzip: false,
    ...tab,
  });
  assert.deepEqual(detectFormat(Buffer.from('a,b,c\td\n'), true), { ok: true, format: 'csv', gzip: false, ...comma });
  assert.deepEqual(detectFormat(Buffer.from('  \n{"a":1}\n'), true), {
    ok: true,
    format: 'jsonl',
    gzip: false,
    ...json,
  });
  assert.deepEqual(detectFormat(Buffer.from('date;amount\n'), true), {
    ok: true,
    format: 'csv',
    gzip: false,
    ...utf8,
    delimiter: ';',
  });
  assert.deepEqual(detectFormat(Buffer.from(`\ufeff${csv}`), true), { ok: true, format: 'csv', gzip: false, ...comma });
  assert.deepEqual(detectFormat(Buffer.from('\ufeff{"a":1}\n'), true), {
    ok: true,
    format: 'jsonl',
    gzip: false,
    ...json,
  });
});

test('looks inside gzip', () => {
  assert.deepEqual(detectFormat(zlib.gzipSync(csv), true), { ok: true, format: 'csv', gzip: true, ...comma });
  assert.deepEqual(detectFormat(zlib.gzipSync('{"a":1}\n'), true), { ok: true, format: 'jsonl', gzip: true, ...json });
  // only the first bytes of a large gzip file
  const rows = Array.from({ length: 50_000 }, (_, i) => `${(i * 7919) % 100_003}\t${(i * 104_729) % 99_991}\n`);
  const big = zlib.gzipSync(`a\tb\n${rows.join('')}`);
  assert.ok(big.length > 1024);
  assert.deepEqual(detectFormat(big.subarray(0, 1024), false), { ok: true, format: 'tsv', gzip: true, ...tab });
  const empty = detectFormat(zlib.gzipSync(Buffer.alloc(0)), true);
  assert.equal(empty.ok === false && empty.code, 'EMPTY_FILE');
  assert.match(unsupported(zlib.gzipSync(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))), /PNG/);
  assert.match(unsupported(Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), /gzip/);
  assert.match(unsupported(zlib.gzipSync(zlib.gzipSync(csv))), /gzip/);
});

test('empty files', () => {
  for (const head of [Buffer.alloc(0), Buffer.from('\ufeff'), Buffer.from(' \n\r\n\t')]) {
    const result = detectFormat(head, true);
    assert.equal(result.ok === false && result.code, 'EMPTY_FILE', JSON.stringify(head.toString()));
  }
});

test('names binary formats by their magic bytes', () => {
  const magic = (bytes: number[] | string, rest = 64) =>
    Buffer.concat([
      typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes),
      Buffer.alloc(rest, 0x01),
    ]);
  const cases: [Buffer, RegExp][] = [
    [magic([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), /PNG image/],
    [magic('%PDF-1.7\n'), /PDF/],
    [magic([0x50, 0x4b, 0x03, 0x04]), /ZIP.*XLSX/],
    [magic([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01]), /ELF executable/],
    [magic([0xff, 0xd8, 0xff, 0xe0]), /JPEG/],
    [magic('GIF89a'), /GIF/],
    [magic('GIF87a'), /GIF/],
    [magic('BZh91AY&SY'), /bzip2/],
    [magic([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), /xz/],
    [magic([0x28, 0xb5, 0x2f, 0xfd]), /zstd/],
    [magic([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), /7z/],
    [magic('Rar!\x1a\x07\x00'), /RAR/],
    [magic([0x50, 0x41, 0x52, 0x31, 0x15, 0x04]), /Parquet is not supported yet/],
    [magic([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), /Office/],
  ];
  for (const [head, details] of cases) assert.match(unsupported(head), details);
  // a CSV whose header merely starts like a magic is still text
  assert.equal(detectFormat(Buffer.from('PAR1,date\n1,2025-01-01\n'), true).ok, true);
  assert.equal(detectFormat(Buffer.from('BZh,date\n1,2025-01-01\n'), true).ok, true);
});

test('UTF-16 with a byte order mark is read as the text it holds; UTF-32 must be saved as UTF-8', () => {
  const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]);
  const utf16be = Buffer.from(utf16le);
  utf16be.swap16();
  assert.deepEqual(detectFormat(utf16le, true), {
    ok: true,
    format: 'csv',
    gzip: false,
    encoding: 'utf-16le',
    delimiter: ',',
  });
  assert.deepEqual(detectFormat(utf16be, true), {
    ok: true,
    format: 'csv',
    gzip: false,
    encoding: 'utf-16be',
    delimiter: ',',
  });
  // a head cut in the middle of a character (odd length) is still recognised
  assert.equal(detectFormat(utf16le.subarray(0, 15), false).ok, true);
  assert.match(unsupported(Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0])), /UTF-32.*UTF-8/);
  assert.match(unsupported(Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x61])), /UTF-32.*UTF-8/);
  // UTF-16 without a BOM has NUL bytes
  assert.match(unsupported(Buffer.from(csv, 'utf16le')), /NUL/);
});

test('delimiters: , ; tab and | from the header and first records, quotes respected', () => {
  const delimiter = (text: string) => {
    const result = detectFormat(Buffer.from(text), true);
    return result.ok ? result.delimiter : result.code;
  };
  assert.equal(delimiter('Datum;Umsatz;Menge\n31.01.2025;1.234,56;3\n'), ';');
  assert.equal(delimiter('a|b|c\n1|2|3\n'), '|');
  assert.equal(delimiter('a\tb\n1\t2\n'), '\t');
  // The header has as many commas as semicolons; only ";" splits every record alike.
  assert.equal(delimiter('a;b,c;d\n1;2;3\n4;5;6\n'), ';');
  // A delimiter inside quotes does not count.
  assert.equal(delimiter('"a;b";"c;d",e,f\n"1;2",3,4\n'), ',');
  assert.equal(delimiter('single\n1\n'), ',');
});

test('NUL bytes and mostly non-text bytes are binary', () => {
  assert.match(unsupported(Buffer.from('date,amount\n2025-01-01,\u0000\n')), /NUL/);
  const random = Buffer.alloc(4096);
  let x = 12345;
  for (let i = 0; i < random.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    random[i] = 1 + ((x >>> 16) % 255); // no NUL
  }
  assert.match(unsupported(random), /not text in a supported encoding/);
  // a Windows-1252 file with accented letters (not valid UTF-8) is text in that encoding
  const latin1 = Buffer.from('name;date\nCaf\xe9;2025-01-01\nJos\xe9;2025-01-02\n', 'latin1');
  assert.deepEqual(detectFormat(latin1, true), {
    ok: true,
    format: 'csv',
    gzip: false,
    encoding: 'windows-1252',
    delimiter: ';',
  });
});

test('a multi-byte character cut at the end of the head is fine', () => {
  const text = Buffer.from(`date,name\n${'2025-01-01,café\n'.repeat(100)}`);
  for (let cut = text.length - 40; cut < text.length; cut++) {
    assert.deepEqual(detectFormat(text.subarray(0, cut), false), { ok: true, format: 'csv', gzip: false, ...comma });
  }
});

test('found in review: a stray byte in UTF-8 text is not Windows-1252; a character cut by a partial gzip inflate is fine', () => {
  const mixed = Buffer.concat([
    Buffer.from('date,city,units\n2025-03-01,Zürich,5\n'),
    Buffer.from('2025-03-02,caf\xe9,6\n', 'latin1'),
    Buffer.from('2025-03-03,Kraków,7\n'),
  ]);
  const result = detectFormat(mixed, true);
  assert.equal(result.ok && result.encoding, 'utf-8', 'the bad row is rejected INVALID_ENCODING later');
  const cyrillic = `date,name\n${'2025-01-01,Москва Санкт-Петербург 東京\n'.repeat(3000)}`;
  const gz = zlib.gzipSync(cyrillic);
  for (const cut of [4096, 6000, 8191, 12_000]) {
    const head = detectFormat(gz.subarray(0, cut), false);
    assert.equal(head.ok && head.encoding, 'utf-8', `cut at ${cut}`);
  }
  const blank = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('\r\n', 'utf16le')]);
  const empty = detectFormat(blank, true);
  assert.equal(empty.ok === false && empty.code, 'EMPTY_FILE', 'a whole UTF-16 file of whitespace is empty');
});
