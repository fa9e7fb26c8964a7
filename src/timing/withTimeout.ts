/**
 * `work`, or the error `onTimeout` makes when `ms` pass first. A late rejection of `work` is swallowed (the caller
 * has moved on), so a stalled read never becomes an unhandled rejection.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
    timer.unref?.();
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
