import path from 'node:path';
import type { S3Config } from '../config/config.ts';
import { LocalObjectStore } from './LocalObjectStore.ts';
import type { ObjectStore } from './ObjectStore.ts';
import { S3ObjectStore } from './S3ObjectStore.ts';

/** The S3 store when a bucket is configured, a folder in `dataDir` otherwise. */
export function openObjectStore(options: { s3: S3Config | undefined; dataDir: string }): ObjectStore {
  return options.s3 ? new S3ObjectStore(options.s3) : new LocalObjectStore(path.join(options.dataDir, 'objects'));
}
