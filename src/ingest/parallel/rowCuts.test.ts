import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { lastLineEnd, lastRowEndByQuoteParity } from './rowCuts.ts';

/** The reference: the last line feed after which an even number of quotes came before it. */
function reference(text: string): number {
  let quotes = 0;
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quotes++;
    else if (text[i] === '\n' && quotes % 2 === 0) last = i + 1;
  }
  return last;
}

test('the cut is after the last line feed outside quotes, for sparse and dense quotes alike', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r'), maxLength: 400, size: 'max' }),
      fc.string({ unit: fc.constantFrom('a', '\n'), maxLength: 300 }),
      (dense, sparse) => {
        for (const text of [dense, sparse + dense, dense + sparse, `${sparse}"${dense}`]) {
          const bytes = Buffer.from(text, 'latin1');
          assert.equal(lastRowEndByQuoteParity(bytes, bytes.length), reference(text), JSON.stringify(text));
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('JSON lines are cut after their last line feed; none is -1', () => {
  assert.equal(lastLineEnd(Buffer.from('{"a":"x\\ny"}\n{"b'), 13), 13);
  assert.equal(lastLineEnd(Buffer.from('{"a":1}'), 7), -1);
});
