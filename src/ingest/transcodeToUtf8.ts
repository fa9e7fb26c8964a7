import type { TextEncoding } from './detectFormat.ts';

/**
 * Streams text in `encoding` as UTF-8 bytes (a UTF-16 byte order mark is dropped), chunk by chunk: memory stays
 * that of one chunk, and a character cut between chunks is carried over. UTF-8 passes through untouched.
 */
export async function* transcodeToUtf8(source: AsyncIterable<Buffer>, encoding: TextEncoding): AsyncGenerator<Buffer> {
  if (encoding === 'utf-8') {
    yield* source;
    return;
  }
  const decoder = new TextDecoder(encoding);
  for await (const chunk of source) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, 'utf8');
}
