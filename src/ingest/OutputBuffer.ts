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

  /**
   * The batch's bytes (a copy: this buffer is reused); it starts over. The bytes are ASCII, because writers
   * escape everything else, so they can go to a file or a socket as they are, without a round trip through a
   * string (measured: decoding to a string and encoding it back cost ~15 % of validation time).
   */
  take(): Buffer {
    const batch = Buffer.from(this.bytes.subarray(0, this.length));
    this.length = 0;
    if (this.bytes.length > KEEP_BYTES) this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
    return batch;
  }
}
