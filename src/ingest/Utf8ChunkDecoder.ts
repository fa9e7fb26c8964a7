import { isUtf8 } from 'node:buffer';
import { INCOMPLETE, incompleteTailStart, utf8SequenceAt } from './utf8.ts';

/**
 * Streaming UTF-8 decoding that keeps invalid bytes detectable: each byte that is not part of a valid
 * sequence becomes the lone surrogate U+DC00+byte ("surrogateescape"). Valid UTF-8 never decodes to a
 * lone surrogate, so a row is invalid exactly when it contains one (see hasEscapedBytes).
 * Sequences split across chunks are carried over to the next chunk.
 */
export class Utf8ChunkDecoder {
  #carry: Buffer | null = null;
  #sawInvalid = false;

  /** True once any invalid byte has been decoded (rows then need the hasEscapedBytes check). */
  get sawInvalid(): boolean {
    return this.#sawInvalid;
  }

  decode(chunk: Uint8Array, final: boolean): string {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#carry !== null) {
      bytes = Buffer.concat([this.#carry, bytes]);
      this.#carry = null;
    }
    let end = bytes.length;
    if (!final) {
      end = incompleteTailStart(bytes, end);
      if (end < bytes.length) this.#carry = Buffer.from(bytes.subarray(end));
    }
    if (end === 0) return '';
    const body = end === bytes.length ? bytes : bytes.subarray(0, end);
    if (isUtf8(body)) return body.toString('utf8');
    this.#sawInvalid = true;
    return decodeWithEscapes(body);
  }
}

function decodeWithEscapes(bytes: Buffer): string {
  let text = '';
  let runStart = 0;
  let i = 0;
  const end = bytes.length;
  while (i < end) {
    if ((bytes[i] as number) < 0x80) {
      i++;
      continue;
    }
    const length = utf8SequenceAt(bytes, i, end);
    if (length > 0) {
      i += length;
      continue;
    }
    // invalid (or, at the final end, unfinished): escape this one byte
    if (length === 0 || length === INCOMPLETE) {
      if (i > runStart) text += bytes.toString('utf8', runStart, i);
      text += String.fromCharCode(0xdc00 + (bytes[i] as number));
      i++;
      runStart = i;
    }
  }
  if (end > runStart) text += bytes.toString('utf8', runStart, end);
  return text;
}

const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;
const ESCAPED_BYTES = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g;

/** True when text[start, end) contains an escaped invalid byte. */
export function hasEscapedBytes(text: string, start: number, end: number): boolean {
  if (start === 0 && end === text.length) return ESCAPED_BYTE.test(text);
  return ESCAPED_BYTE.test(text.slice(start, end));
}

/** Shows escaped invalid bytes as U+FFFD (for messages and raw rows). */
export function showEscapedBytes(text: string): string {
  return text.replace(ESCAPED_BYTES, '\uFFFD');
}
