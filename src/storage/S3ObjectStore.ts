import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Config } from '../config/config.ts';
import { AppError } from '../errors/AppError.ts';
import type { ObjectStore } from './ObjectStore.ts';

/**
 * Objects in an S3 API bucket. `put` streams a multipart upload with 8 MiB parts (at most two in
 * flight, so memory stays flat); S3 never shows a partial object, and a failed upload is aborted.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3';
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(config: S3Config) {
    this.#bucket = config.bucket;
    this.#client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      maxAttempts: 5,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.accessKeyId && config.secretAccessKey
        ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
        : {}),
    });
  }

  async put(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: body },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    let streamError: unknown;
    body.once('error', (error) => {
      streamError = error;
      void upload.abort();
    });
    try {
      await upload.done();
    } catch (error) {
      throw streamError ?? asStorageError(error, `upload of ${key}`);
    }
    if (streamError) {
      await this.delete(key);
      throw streamError;
    }
  }

  async get(key: string): Promise<Readable> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      return response.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey) {
        throw new AppError('STORAGE_UNAVAILABLE', `object ${key} is missing from bucket ${this.#bucket}`, {
          cause: error,
        });
      }
      throw asStorageError(error, `download of ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      throw asStorageError(error, `delete of ${key}`);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.#client
        .send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }))
        .catch((error: unknown) => {
          throw asStorageError(error, `listing ${prefix}`);
        });
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        await this.delete(object.Key);
        deleted++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  async removeAbandonedParts(idleSince: Date): Promise<number> {
    const olderThan = new Date(idleSince.getTime() - 24 * 3600_000);
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.#client
        .send(
          new ListMultipartUploadsCommand({
            Bucket: this.#bucket,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        )
        .catch((error: unknown) => {
          throw asStorageError(error, 'listing multipart uploads');
        });
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= olderThan) continue;
        await this.#client
          .send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: upload.Key, UploadId: upload.UploadId }))
          .catch((error: unknown) => {
            throw asStorageError(error, `aborting the multipart upload of ${upload.Key}`);
          });
        removed++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return removed;
  }

  async check(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      throw asStorageError(error, `bucket ${this.#bucket}`);
    }
  }

  close(): void {
    this.#client.destroy();
  }
}

function asStorageError(error: unknown, what: string): AppError {
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('STORAGE_UNAVAILABLE', `S3 ${what} failed: ${message}`, { cause: error });
}
