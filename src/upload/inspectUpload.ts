import { createHash } from 'node:crypto';
import { AppError } from '../errors/AppError.ts';
import { type Delimiter, detectFormat, type TextEncoding } from '../ingest/detectFormat.ts';
import type { FileFormat } from '../ingest/types.ts';

export const SNIFF_BYTES = 64 * 1024;

export interface InspectedUpload {
  sizeBytes: number;
  sha256: string;
  format: FileFormat;
  gzip: boolean;
  encoding: TextEncoding;
  delimiter: Delimiter | null;
}

/**
 * Passes an upload through while measuring it: counts bytes (FILE_TOO_LARGE past the limit, never a
 * silent truncation), hashes it (SHA-256), and recognises its format from the first 64 KiB before any
 * byte goes further (UNSUPPORTED_FORMAT, EMPTY_FILE). The result is filled in when the stream ends.
 */
export function inspectUpload(
  source: AsyncIterable<Buffer>,
  options: { maxBytes: number; onProgress?: (bytesReceived: number) => void },
): { stream: AsyncGenerator<Buffer>; result: () => InspectedUpload } {
  let inspected: InspectedUpload | undefined;
  async function* stream(): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let size = 0;
    let head: Buffer[] = [];
    let headBytes = 0;
    let format: Pick<InspectedUpload, 'format' | 'gzip' | 'encoding' | 'delimiter'> | undefined;
    const decide = (isWholeFile: boolean) => {
      const detected = detectFormat(Buffer.concat(head, headBytes).subarray(0, SNIFF_BYTES), isWholeFile);
      if (!detected.ok) throw new AppError(detected.code, detected.details);
      format = {
        format: detected.format,
        gzip: detected.gzip,
        encoding: detected.encoding,
        delimiter: detected.delimiter,
      };
    };
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > options.maxBytes) {
          throw new AppError('FILE_TOO_LARGE', `the file is over the limit of ${options.maxBytes} bytes`);
        }
        hash.update(chunk);
        options.onProgress?.(size);
        if (format) {
          yield chunk;
          continue;
        }
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes >= SNIFF_BYTES) {
          decide(false);
          yield Buffer.concat(head, headBytes);
          head = [];
        }
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('UPLOAD_INTERRUPTED', `the upload stopped after ${size} bytes`, {
        cause: error,
      });
    }
    if (!format) {
      decide(true);
      if (headBytes > 0) yield Buffer.concat(head, headBytes);
    }
    if (!format) throw new Error('unreachable: format decided');
    inspected = { sizeBytes: size, sha256: hash.digest('hex'), ...format };
  }
  return {
    stream: stream(),
    result: () => {
      if (!inspected) throw new Error('the upload has not been read to its end');
      return inspected;
    },
  };
}
