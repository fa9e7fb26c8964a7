import type { Readable } from 'node:stream';

/** Durable storage of uploaded files: a local folder (embedded) or an S3 API server (real). */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  /**
   * Streams `body` to `key`. The object appears only once the whole stream was stored; if the stream
   * fails, nothing is left behind and the stream's error is thrown.
   */
  put(key: string, body: Readable): Promise<void>;
  get(key: string): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix` (e.g. all validated copies of one task). */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Removes what interrupted writes left behind (a local `.partial` file not written to, an S3 multipart upload
   * not finished) since before `olderThan`; returns how many.
   */
  removeAbandonedParts(olderThan: Date): Promise<number>;
  /** Throws when the store cannot be reached (readiness). */
  check(): Promise<void>;
}
