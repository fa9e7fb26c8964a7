/**
 * A subscription's source stream whose `return()` takes effect at once. An async generator suspended on an `await`
 * queues `return()` until it next wakes (for a task, its next change: maybe never), so a completed subscription
 * would keep its listener forever. Here `return()` first aborts the signal the source waits on.
 */
export function abortableSource<T, R>(
  open: (signal: AbortSignal) => AsyncIterator<T>,
  map: (value: T) => R,
): AsyncIterableIterator<R> {
  const controller = new AbortController();
  const source = open(controller.signal);
  const iterator: AsyncIterableIterator<R> = {
    async next() {
      const result = await source.next();
      return result.done ? { done: true, value: undefined } : { done: false, value: map(result.value) };
    },
    async return() {
      controller.abort();
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      controller.abort();
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
