import type { Principal } from '../auth/Principal.ts';
import type { DataSourceStore } from '../datasources/DataSourceStore.ts';
import type { ReadingOptions } from '../ingest/readingOptions.ts';
import { assertDataSourceName } from '../upload/dataSourceName.ts';
import { PREVIEW_MAX_BYTES, previewFile, type UploadPreview } from './previewFile.ts';

/**
 * Previews of uploads (GraphQL previewUpload, REST POST /api/v1/previews): the first PREVIEW_MAX_BYTES of the file,
 * against the stored schema of the caller's workspace's data source. Stores nothing; reads no more than that.
 */
export class PreviewService {
  readonly #dataSources: DataSourceStore;
  readonly #maxRejectedRatio: number;

  constructor(deps: { dataSources: DataSourceStore; maxRejectedRatio: number }) {
    this.#dataSources = deps.dataSources;
    this.#maxRejectedRatio = deps.maxRejectedRatio;
  }

  async preview(input: {
    principal: Principal;
    dataSourceName: string;
    reading: ReadingOptions;
    file: AsyncIterable<Buffer>;
  }): Promise<UploadPreview> {
    assertDataSourceName(input.dataSourceName);
    const { head, isWholeFile } = await readHead(input.file, PREVIEW_MAX_BYTES);
    const dataSource = await this.#dataSources.get(input.principal.workspace, input.dataSourceName);
    return previewFile(head, isWholeFile, dataSource?.schema ?? null, input.reading, {
      maxRejectedRatio: this.#maxRejectedRatio,
    });
  }
}

/**
 * The first `max` bytes of a stream, and whether that was all of it. The stream is left where reading stopped (not
 * destroyed): the transport drops the rest and closes the connection.
 */
async function readHead(source: AsyncIterable<Buffer>, max: number): Promise<{ head: Buffer; isWholeFile: boolean }> {
  const iterator = source[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  while (size <= max) {
    const next = await iterator.next();
    if (next.done) return { head: Buffer.concat(parts, size), isWholeFile: true };
    parts.push(next.value);
    size += next.value.length;
  }
  return { head: Buffer.concat(parts, size).subarray(0, max), isWholeFile: false };
}
