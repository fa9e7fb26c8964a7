import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { readConfig } from '../../src/config/config.ts';
import { AppError } from '../../src/errors/AppError.ts';
import { S3ObjectStore } from '../../src/storage/S3ObjectStore.ts';
import { readServicesEnv, s3Settings, servicesMissing } from '../support/servicesEnv.ts';

const env = readServicesEnv();

/** A deterministic pseudo-random stream of `size` bytes in 1 MiB chunks, with its SHA-256. */
function generated(size: number): { stream: () => Readable; sha256: string } {
  const chunk = (index: number) => {
    const bytes = Buffer.alloc(Math.min(1024 * 1024, size - index * 1024 * 1024));
    for (let i = 0; i < bytes.length; i++) bytes[i] = (index * 131 + i * 7 + (i >>> 9)) & 255;
    return bytes;
  };
  const count = Math.ceil(size / (1024 * 1024));
  const hash = createHash('sha256');
  for (let i = 0; i < count; i++) hash.update(chunk(i));
  return {
    stream: () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < count; i++) yield chunk(i);
        })(),
      ),
    sha256: hash.digest('hex'),
  };
}

describe('S3ObjectStore against the S3 API server', { skip: env ? false : servicesMissing }, () => {
  const config = readConfig(s3Settings(env ?? {}));
  const store = new S3ObjectStore(
    config.s3 ?? {
      bucket: 'none',
      region: 'us-east-1',
      endpoint: undefined,
      accessKeyId: undefined,
      secretAccessKey: undefined,
      forcePathStyle: true,
    },
  );

  test('streams a 40 MiB multipart upload and reads back the same bytes', async () => {
    const key = `test/${randomUUID()}/large.bin`;
    const file = generated(40 * 1024 * 1024 + 12345);
    await store.put(key, file.stream());
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of await store.get(key)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    assert.equal(size, 40 * 1024 * 1024 + 12345);
    assert.equal(hash.digest('hex'), file.sha256);
    await store.delete(key);
  });

  test('a body that fails midway leaves no object behind', async () => {
    const key = `test/${randomUUID()}/broken.bin`;
    const body = Readable.from(
      (async function* () {
        yield Buffer.alloc(9 * 1024 * 1024, 1);
        throw new Error('client went away');
      })(),
    );
    await assert.rejects(store.put(key, body), /client went away/);
    await assert.rejects(
      store.get(key),
      (error: unknown) => error instanceof AppError && error.code === 'STORAGE_UNAVAILABLE',
    );
  });

  test('the bucket is reachable, and wrong credentials are STORAGE_UNAVAILABLE', async () => {
    await store.check();
    const wrong = new S3ObjectStore({
      ...(config.s3 as NonNullable<typeof config.s3>),
      secretAccessKey: 'wrong-secret',
    });
    await assert.rejects(
      wrong.check(),
      (error: unknown) => error instanceof AppError && error.code === 'STORAGE_UNAVAILABLE',
    );
  });
});
