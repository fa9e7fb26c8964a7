import { isAscii } from 'node:buffer';

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const INITIAL_BYTES = 4 * 1024 * 1024;
/** After a batch, a buffer grown beyond this (by a huge row) is given back. */
const KEEP_BYTES = 32 * 1024 * 1024;

/** Growable byte buffer for the JSON lines of one batch; writers index `bytes` directly after reserve(). */
export class OutputBuffer {
  bytes: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  length = 0;

  /** Makes room for n more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + n));
    this.bytes.copy(bigger, 0, 0, this.length);
    this.bytes = bigger;
  }

  /** The batch as a string; the buffer starts over. */
  take(): string {
    const used = this.bytes.subarray(0, this.length);
    // latin1 decoding is the same for ASCII and cheapest; TextDecoder is far faster than Buffer#toString
    // for the rest (measured ~6.5 GB/s vs ~0.2 GB/s on mostly-ASCII JSON with some accents)
    const text = this.length === 0 ? '' : isAscii(used) ? used.toString('latin1') : utf8.decode(used);
    this.length = 0;
    if (this.bytes.length > KEEP_BYTES) this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
    return text;
  }
}
