import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../../errors/AppError.ts';
import type { RowValidatorOptions } from '../RowValidator.ts';
import { splitAt, validate } from '../testSupport.ts';
import type { DataSourceSchema, RowRejection, ValidationSummary } from '../types.ts';
import { FileValidation } from './FileValidation.ts';
import { ValidationThreads } from './ValidationThreads.ts';

const threads = new ValidationThreads(2);
after(() => threads.close());

/** Over all runs: the threads and the recovery from wrong guesses were really used. */
const seen = { segments: 0, continued: 0 };
after(() => {
  assert.ok(seen.segments > 1000, `segments validated in threads: ${seen.segments}`);
  assert.ok(seen.continued > 50, `chunks that continued a segment: ${seen.continued}`);
});

const schema: DataSourceSchema = {
  timestampColumn: 'sold_at',
  dimensions: ['store', 'note'],
  metrics: [
    { name: 'units', type: 'long' },
    { name: 'amount', type: 'double' },
  ],
};

/** A cell as a file would hold it: plain, quoted (with delimiters, quotes, line breaks inside) or with a stray quote. */
const cell = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', 'é', '€', ' ', '😀'), maxLength: 6 }),
  fc
    .string({ unit: fc.constantFrom('a', ',', '\t', '"', '\n', '\r\n', '\r', 'ü'), maxLength: 8 })
    .map((v) => `"${v.replaceAll('"', '""')}"`),
  // a quote inside an unquoted cell is kept as it is: it makes the quote parity guess wrong
  fc.constantFrom('5" screen', 'a"b"c"', 'x"'),
);

const line = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.date({ min: new Date('2020-01-01Z'), max: new Date('2029-12-31Z'), noInvalidDate: true }),
        cell,
        cell,
        fc.integer({ min: -999, max: 999 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      )
      .map(([t, store, note, units, amount]) => [t.toISOString(), store, note, String(units), String(amount)]),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      ['2024-02-30T00:00:00Z', 'a', 'b', '1', '2'],
      ['', 'a', 'b', '1', '2'],
      ['2024-01-01T00:00:00Z', 'a', 'b', '1.5', '2'],
      ['2024-01-01T00:00:00Z', 'a', 'b', '1', 'x'],
      ['2024-01-01T00:00:00Z', 'a'],
      [''],
    ),
  },
  // an unclosed quote swallows the rest of the file
  { weight: 1, arbitrary: fc.constant(['2024-01-01T00:00:00Z', '"open', 'b', '1', '2']) },
);

const file = fc.record({
  lines: fc.array(line, { minLength: 0, maxLength: 80, size: 'max' }),
  delimiter: fc.constantFrom(',', '\t'),
  lineEnd: fc.constantFrom('\n', '\r\n', '\r'),
  chunkBytes: fc.integer({ min: 8, max: 600 }),
  firstChunkBytes: fc.integer({ min: 1, max: 600 }),
  pieces: fc.array(fc.nat({ max: 20_000 }), { maxLength: 10 }),
  sampleRows: fc.integer({ min: 1, max: 12 }),
  inferred: fc.boolean(),
  maxRejectionDetails: fc.constantFrom(3, Number.POSITIVE_INFINITY),
});

interface Result {
  output: string;
  rejections: RowRejection[];
  summary: ValidationSummary | null;
  error: AppError | null;
}

async function validateInParallel(
  bytes: Buffer,
  options: RowValidatorOptions,
  chunkBytes: number,
  cuts: number[],
  firstChunkBytes = chunkBytes,
): Promise<Result> {
  const validation = new FileValidation(options, threads, {
    chunkBytes,
    firstChunkBytes,
    maxChunkBytes: chunkBytes * 3,
  });
  let output = '';
  const rejections: RowRejection[] = [];
  async function* pieces() {
    for (const piece of splitAt(bytes, cuts)) yield piece;
  }
  try {
    for await (const batch of validation.run(pieces())) {
      output += batch.output;
      rejections.push(...batch.rejections);
    }
    return { output, rejections, summary: validation.summary(), error: null };
  } catch (error) {
    if (error instanceof AppError) return { output, rejections, summary: null, error };
    throw error;
  } finally {
    seen.segments += validation.stats.segments;
    seen.continued += validation.stats.continued;
  }
}

/** Equal, except metric sums: added in another order they may differ in the last bits. */
function assertSameSummary(actual: ValidationSummary | null, expected: ValidationSummary | null): void {
  if (actual === null || expected === null) {
    assert.equal(actual, expected);
    return;
  }
  const { metricSums: a, ...restActual } = actual;
  const { metricSums: e, ...restExpected } = expected;
  assert.deepEqual(restActual, restExpected);
  assert.deepEqual(Object.keys(a), Object.keys(e));
  for (const name of Object.keys(e)) {
    const x = a[name] as number;
    const y = e[name] as number;
    assert.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)), `${name}: ${x} vs ${y}`);
  }
}

/** The same file-level error, or the same output bytes, rejections (with their lines) and totals. */
function assertSameResult(many: Result, one: Result): void {
  assert.equal(many.error?.code, one.error?.code);
  assert.equal(many.error?.message, one.error?.message);
  if (one.error !== null) return;
  assert.equal(many.output, one.output);
  assert.deepEqual(many.rejections, one.rejections);
  assertSameSummary(many.summary, one.summary);
}

test('parallel validation gives exactly the one-thread result: rows, rejections and their lines, totals', async () => {
  await fc.assert(
    fc.asyncProperty(file, async (f) => {
      const header = ['sold_at', 'store', 'note', 'units', 'amount'].join(f.delimiter);
      const text = [header, ...f.lines.map((cells) => cells.join(f.delimiter))].join(f.lineEnd) + f.lineEnd;
      const bytes = Buffer.from(text);
      const options: RowValidatorOptions = {
        format: f.delimiter === ',' ? 'csv' : 'tsv',
        schema: f.inferred ? null : schema,
        taskId: 'task-p',
        sampleRows: f.sampleRows,
        maxRejectionDetails: f.maxRejectionDetails,
      };
      const cuts = f.pieces.map((c) => c % (bytes.length + 1));
      assertSameResult(
        await validateInParallel(bytes, options, f.chunkBytes, cuts, f.firstChunkBytes),
        validate(bytes, options),
      );
    }),
    { numRuns: 400 },
  );
});

test('JSON lines in parallel: the same rows, rejections and totals as one thread', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          line.map((cells) =>
            JSON.stringify({
              sold_at: cells[0],
              store: cells[1],
              note: cells[2],
              units: Number(cells[3]),
              amount: cells[4],
            }),
          ),
          fc.constantFrom('{', '[]', '', '{"sold_at":"2024-01-01T00:00:00Z","other":1}'),
        ),
        { maxLength: 60, size: 'max' },
      ),
      fc.integer({ min: 8, max: 400 }),
      fc.constantFrom('\n', '\r\n'),
      async (lines, chunkBytes, lineEnd) => {
        const bytes = Buffer.from(lines.join(lineEnd) + lineEnd);
        const options: RowValidatorOptions = { format: 'jsonl', schema, taskId: 'task-j', sampleRows: 2 };
        assertSameResult(await validateInParallel(bytes, options, chunkBytes, []), validate(bytes, options));
      },
    ),
    { numRuns: 200 },
  );
});
