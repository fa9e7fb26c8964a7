import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors/AppError.ts';
import { retryTransient } from './retryTransient.ts';

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });

test('a transaction that hit a deadlock is run again; other failures are thrown at once; it gives up', async () => {
  let calls = 0;
  assert.equal(
    await retryTransient(async () => {
      calls++;
      if (calls < 3) throw deadlock();
      return 'committed';
    }),
    'committed',
  );
  assert.equal(calls, 3);
  for (const failure of [new AppError('UPLOAD_CANCELLED', 'cancelled'), new Error('a bug')]) {
    calls = 0;
    await assert.rejects(
      retryTransient(async () => {
        calls++;
        throw failure;
      }),
      (e: unknown) => e === failure,
    );
    assert.equal(calls, 1, String(failure));
  }
  calls = 0;
  await assert.rejects(
    retryTransient(async () => {
      calls++;
      throw deadlock();
    }, 2),
    /deadlock/,
  );
  assert.equal(calls, 2);
});
