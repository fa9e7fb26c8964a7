import type { AnalyticsStore, LoadRequest } from '../../src/analytics/AnalyticsStore.ts';

/**
 * The same analytics store with its `load` replaced (to hold it at a gate, change what it is told, or fail after it);
 * `inner` is the real load. Every other method is the store's own.
 */
export function wrapLoad(
  store: AnalyticsStore,
  load: (request: LoadRequest, inner: (request: LoadRequest) => Promise<void>) => Promise<void>,
): AnalyticsStore {
  return {
    kind: store.kind,
    validatedFormat: store.validatedFormat,
    load: (request) => load(request, (r) => store.load(r)),
    dropDataSource: (storeName) => store.dropDataSource(storeName),
    totalsForTask: (storeName, schema, taskId) => store.totalsForTask(storeName, schema, taskId),
    summary: (storeName, schema) => store.summary(storeName, schema),
    dailySums: (storeName, metric) => store.dailySums(storeName, metric),
    check: () => store.check(),
    close: () => store.close(),
  };
}
