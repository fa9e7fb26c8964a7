import { AppError } from '../errors/AppError.ts';
import { withTimeout } from '../timing/withTimeout.ts';

export interface UploadPace {
  /** No byte for this long ends the upload. Also the window over which the minimum rate is measured. */
  idleTimeoutMs: number;
  /** Fewer bytes per second than this, over a window of idleTimeoutMs spent waiting for the client, ends it. */
  minBytesPerSecond: number;
}

/**
 * Passes an upload through, ending it with UPLOAD_INTERRUPTED when the client stalls: no byte for `idleTimeoutMs`,
 * or a trickle below `minBytesPerSecond`. Only time spent waiting for the client counts, so a slow store downstream
 * (back-pressure) never ends an upload.
 */
export async function* enforceUploadPace(
  source: AsyncIterable<Buffer>,
  pace: UploadPace,
  now: () => number = performance.now.bind(performance),
): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  let windowWaitMs = 0;
  let windowBytes = 0;
  let total = 0;
  for (;;) {
    const waitStart = now();
    const next = await withTimeout(
      iterator.next(),
      pace.idleTimeoutMs,
      () =>
        new AppError(
          'UPLOAD_INTERRUPTED',
          `no byte arrived for ${Math.round(pace.idleTimeoutMs / 1000)} s after ${total} bytes`,
        ),
    );
    if (next.done) return;
    const chunk = next.value;
    total += chunk.length;
    windowWaitMs += now() - waitStart;
    windowBytes += chunk.length;
    if (windowWaitMs >= pace.idleTimeoutMs) {
      const rate = windowBytes / (windowWaitMs / 1000);
      if (rate < pace.minBytesPerSecond) {
        throw new AppError(
          'UPLOAD_INTERRUPTED',
          `the upload arrived at ${Math.round(rate)} bytes/s, below the minimum of ${pace.minBytesPerSecond} bytes/s`,
        );
      }
      windowWaitMs = 0;
      windowBytes = 0;
    }
    yield chunk;
  }
}
