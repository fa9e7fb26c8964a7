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
   * Removes what interrupted writes left behind; returns how many. Local: `.partial` files not written to since
   * `idleSince`. S3, which tells no time of last activity: multipart uploads started a day or more before `idleSince`.
   */
  removeAbandonedParts(idleSince: Date): Promise<number>;
  /** Throws when the store cannot be reached (readiness). */
  check(): Promise<void>;
}
