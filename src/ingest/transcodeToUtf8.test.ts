import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { transcodeToUtf8 } from './transcodeToUtf8.ts';

/** Windows-1252's characters above 0x7F (0x81, 0x8D, 0x8F, 0x90 and 0x9D stand for themselves, as C1 controls). */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function encode(text: string, encoding: 'utf-16le' | 'utf-16be' | 'windows-1252'): Buffer {
  if (encoding === 'windows-1252') {
    return Buffer.from(
      [...text].map((c) => {
        const high = CP1252_HIGH.indexOf(c);
        return high >= 0 ? 0x80 + high : c.charCodeAt(0);
      }),
    );
  }
  const le = Buffer.from(`\ufeff${text}`, 'utf16le');
  if (encoding === 'utf-16be') le.swap16();
  return le;
}

async function transcode(bytes: Buffer, cuts: number[], encoding: 'utf-16le' | 'utf-16be' | 'windows-1252') {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  async function* chunks() {
    let from = 0;
    for (const point of points) {
      yield bytes.subarray(from, point);
      from = point;
    }
    yield bytes.subarray(from);
  }
  const out: Buffer[] = [];
  for await (const chunk of transcodeToUtf8(chunks(), encoding)) out.push(chunk);
  return Buffer.concat(out).toString('utf8');
}

test('property: UTF-16 (LE and BE, with BOM) read in any chunks gives back the text, BOM dropped', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.constantFrom('utf-16le' as const, 'utf-16be' as const),
      async (text, cuts, encoding) => {
        assert.equal(await transcode(encode(text, encoding), cuts, encoding), text);
      },
    ),
    { numRuns: 500 },
  );
});

test('property: Windows-1252 text (Latin-1 letters, €, curly quotes, dashes) read in any chunks gives back the text', async () => {
  const latin = [...Array.from({ length: 0x60 }, (_, i) => String.fromCharCode(0x20 + i)), ...CP1252_HIGH];
  const upper = Array.from({ length: 0x60 }, (_, i) => String.fromCharCode(0xa0 + i));
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...latin, ...upper), { maxLength: 300 }).map((cs) => cs.join('')),
      fc.array(fc.nat(), { maxLength: 8 }),
      async (text, cuts) => {
        assert.equal(await transcode(encode(text, 'windows-1252'), cuts, 'windows-1252'), text);
      },
    ),
    { numRuns: 500 },
  );
});
