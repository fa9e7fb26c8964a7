import type { FileFormat } from '../types.ts';
import { lastLineEnd, lastRowEndByQuoteParity } from './rowCuts.ts';

/** A piece of a file, in order. */
export interface FileChunk {
  bytes: Buffer;
  /** Cut after a line break outside quotes (or the file's start): probably a row start, to be checked. */
  likelyRowStart: boolean;
  /** The file's last chunk. */
  final: boolean;
}

/**
 * Cuts a file's bytes into chunks of about `targetBytes` (the first of about `firstBytes`), each ending after a line
 * break that probably ends a row
 * (rowCuts.ts). Where none is found within `maxBytes` (one quoted field longer than that), the chunk ends anywhere and
 * the next one must continue the same row: `likelyRowStart` false. Memory: at most maxBytes plus one piece.
 */
export class ChunkCutter {
  readonly #format: FileFormat;
  readonly #chunkBytes: number;
  /** The size of the next chunk: firstBytes for the first, then chunkBytes. */
  #targetBytes: number;
  readonly #maxBytes: number;
  #pieces: Buffer[] = [];
  #length = 0;
  #nextLikelyRowStart = true;

  constructor(format: FileFormat, targetBytes: number, maxBytes: number, firstBytes = targetBytes) {
    this.#format = format;
    this.#chunkBytes = targetBytes;
    this.#targetBytes = Math.min(firstBytes, targetBytes);
    this.#maxBytes = Math.max(maxBytes, targetBytes);
  }

  push(piece: Buffer): FileChunk[] {
    if (piece.length === 0) return [];
    this.#pieces.push(piece);
    this.#length += piece.length;
    const chunks: FileChunk[] = [];
    while (this.#length >= this.#targetBytes) {
      const joined = this.#pieces.length > 1;
      const bytes = joined ? Buffer.concat(this.#pieces, this.#length) : (this.#pieces[0] as Buffer);
      // The last row end within the target size, else (one row longer than that) the last one there is.
      let cut = this.#lastRowEnd(bytes, this.#targetBytes);
      if (cut <= 0) cut = this.#lastRowEnd(bytes, Math.min(bytes.length, this.#maxBytes));
      if (cut <= 0 && bytes.length < this.#maxBytes) {
        // no row end yet: wait for more bytes
        this.#pieces = [bytes];
        break;
      }
      const at = cut <= 0 ? bytes.length : cut;
      // A joined buffer is ours alone: the chunk may be a view of it (sent along, it carries the small rest too).
      const chunk = joined ? bytes.subarray(0, at) : ownBytes(bytes, 0, at);
      chunks.push({ bytes: chunk, likelyRowStart: this.#nextLikelyRowStart, final: false });
      this.#nextLikelyRowStart = cut > 0;
      this.#targetBytes = this.#chunkBytes;
      const rest = ownBytes(bytes, at, bytes.length);
      this.#pieces = rest.length > 0 ? [rest] : [];
      this.#length = rest.length;
      if (cut > 0 && rest.length < this.#targetBytes) break;
    }
    return chunks;
  }

  #lastRowEnd(bytes: Buffer, end: number): number {
    return this.#format === 'jsonl' ? lastLineEnd(bytes, end) : lastRowEndByQuoteParity(bytes, end);
  }

  /** The rest of the file (possibly empty), as the final chunk. */
  end(): FileChunk {
    const bytes = Buffer.concat(this.#pieces, this.#length);
    this.#pieces = [];
    this.#length = 0;
    return { bytes, likelyRowStart: this.#nextLikelyRowStart, final: true };
  }
}

/**
 * bytes[start, end) in a buffer of its own: a chunk is sent to other threads (a view would carry its whole underlying
 * buffer along) and kept until its rows are accepted.
 */
function ownBytes(bytes: Buffer, start: number, end: number): Buffer {
  if (start === 0 && end === bytes.length && bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) {
    return bytes;
  }
  const copy = Buffer.allocUnsafeSlow(end - start);
  bytes.copy(copy, 0, start, end);
  return copy;
}
