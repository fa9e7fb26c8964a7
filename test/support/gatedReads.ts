import { Readable } from 'node:stream';
import type { ObjectStore } from '../../src/storage/ObjectStore.ts';

/**
 * The object store with each read of a key for which `holdAt` gives a gate held after its first chunk until that gate
 * passes (e.g. one the test opens once it has killed the S3 API server): the reader is then mid-file, whatever the
 * speed of the machine. Every other call goes straight to the real store.
 */
export function gateReads(store: ObjectStore, holdAt: (key: string) => (() => Promise<void>) | null): ObjectStore {
  return {
    kind: store.kind,
    put: (key, body) => store.put(key, body),
    get: async (key) => {
      const inner = await store.get(key);
      const pass = holdAt(key);
      if (!pass) return inner;
      return Readable.from(
        (async function* () {
          let first = true;
          for await (const chunk of inner) {
            yield chunk;
            if (first) {
              first = false;
              await pass();
            }
          }
        })(),
        { objectMode: false },
      );
    },
    delete: (key) => store.delete(key),
    deletePrefix: (prefix) => store.deletePrefix(prefix),
    removeAbandonedParts: (idleSince) => store.removeAbandonedParts(idleSince),
    check: () => store.check(),
  };
}
