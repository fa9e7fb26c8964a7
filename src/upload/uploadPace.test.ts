import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../errors/AppError.ts';
import { enforceUploadPace } from './uploadPace.ts';

async function drain(source: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of source) bytes += chunk.length;
  return bytes;
}

test('a steady upload passes through untouched', async () => {
  async function* steady() {
    for (let i = 0; i < 5; i++) yield Buffer.alloc(1000);
  }
  assert.equal(await drain(enforceUploadPace(steady(), { idleTimeoutMs: 1000, minBytesPerSecond: 1 })), 5000);
});

test('no byte for the idle timeout ends the upload as UPLOAD_INTERRUPTED', async () => {
  async function* stalls() {
    yield Buffer.alloc(10);
    await sleep(500);
    yield Buffer.alloc(10);
  }
  await assert.rejects(
    drain(enforceUploadPace(stalls(), { idleTimeoutMs: 100, minBytesPerSecond: 0 })),
    (error: unknown) =>
      error instanceof AppError && error.code === 'UPLOAD_INTERRUPTED' && /no byte arrived/.test(error.details ?? ''),
  );
});

test('a trickle below the minimum rate ends it; time spent downstream does not count', async () => {
  async function* trickle() {
    for (let i = 0; i < 20; i++) {
      await sleep(20);
      yield Buffer.alloc(1);
    }
  }
  await assert.rejects(
    drain(enforceUploadPace(trickle(), { idleTimeoutMs: 100, minBytesPerSecond: 1000 })),
    (error: unknown) => error instanceof AppError && /below the minimum/.test(error.details ?? ''),
  );
  // A fast client behind a slow consumer (back-pressure) is never ended.
  async function* fast() {
    for (let i = 0; i < 5; i++) yield Buffer.alloc(10_000);
  }
  let bytes = 0;
  for await (const chunk of enforceUploadPace(fast(), { idleTimeoutMs: 50, minBytesPerSecond: 100_000 })) {
    bytes += chunk.length;
    await sleep(80);
  }
  assert.equal(bytes, 50_000);
});
