import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors/AppError.ts';
import type { ObjectStore } from './ObjectStore.ts';

/** Objects as files under one folder: written to a temporary name, fsynced, then renamed into place. */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local';
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  async put(key: string, body: Readable): Promise<void> {
    const target = this.#pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.partial-${randomUUID()}`;
    try {
      await pipeline(body, createWriteStream(partial));
      const handle = await open(partial, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.#pathOf(key);
    try {
      await access(file);
    } catch (error) {
      throw new AppError('STORAGE_UNAVAILABLE', `object ${key} is missing from the local store`, { cause: error });
    }
    return createReadStream(file, { highWaterMark: 1024 * 1024 });
  }

  async delete(key: string): Promise<void> {
    await rm(this.#pathOf(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const folder = this.#pathOf(prefix.replace(/\/+$/, ''));
    const files = await readdir(folder, { recursive: true }).catch(() => [] as string[]);
    await rm(folder, { recursive: true, force: true });
    return files.length;
  }

  async removeAbandonedParts(idleSince: Date): Promise<number> {
    const entries = await readdir(this.#root, { recursive: true, withFileTypes: true }).catch(() => []);
    let removed = 0;
    for (const entry of entries) {
      if (!entry.isFile() || !/\.partial-[0-9a-f-]{36}$/.test(entry.name)) continue;
      const file = path.join(entry.parentPath, entry.name);
      const written = await stat(file).then(
        (info) => info.mtime,
        () => null,
      );
      // A write still in progress keeps touching its file; one untouched since `idleSince` was abandoned.
      if (written === null || written >= idleSince) continue;
      await rm(file, { force: true });
      removed++;
    }
    return removed;
  }

  async check(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    await access(this.#root);
  }

  /** The file behind a key; keys are server-built, and this refuses any that would leave the root. */
  #pathOf(key: string): string {
    const file = path.resolve(this.#root, key);
    if (!file.startsWith(`${this.#root}${path.sep}`)) throw new Error(`object key escapes the store: ${key}`);
    return file;
  }
}
