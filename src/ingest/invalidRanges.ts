import { isUtf8 } from 'node:buffer';
import { invalidUtf8Offsets } from './utf8.ts';

/**
 * Invalid UTF-8 bytes of one working buffer, queried for ascending ranges (rows come in order).
 * Checking a whole buffer with isUtf8 is cheap; the offsets are only computed when it fails.
 */
export class InvalidRanges {
  #offsets: number[] | null = null;
  #next = 0;

  /** Scans buf[0, end). */
  reset(buf: Buffer, end: number): void {
    this.#next = 0;
    this.#offsets = end === 0 || isUtf8(buf.subarray(0, end)) ? null : invalidUtf8Offsets(buf, 0, end);
  }

  /** True when buf[start, end) has an invalid byte. Ranges must be asked in ascending order. */
  has(start: number, end: number): boolean {
    const offsets = this.#offsets;
    if (offsets === null) return false;
    let next = this.#next;
    while (next < offsets.length && (offsets[next] as number) < start) next++;
    this.#next = next;
    return next < offsets.length && (offsets[next] as number) < end;
  }
}
