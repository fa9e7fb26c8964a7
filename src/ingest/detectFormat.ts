import zlib from 'node:zlib';
import type { FileFormat } from './types.ts';
import { INCOMPLETE, utf8SequenceAt } from './utf8.ts';

export type DetectFormatResult =
  | { ok: true; format: FileFormat; gzip: boolean }
  | { ok: false; code: 'EMPTY_FILE' | 'UNSUPPORTED_FORMAT'; details: string };

/** Compressed bytes of a gzip upload's head that are decompressed to recognise its content. */
export const GZIP_SNIFF_BYTES = 8 * 1024;

/** Share of non-text bytes (control characters, invalid UTF-8) above which a head is binary. */
export const BINARY_BYTE_SHARE = 0.1;

interface Magic {
  bytes: number[];
  /** Extra condition on the bytes after the magic (for short, text-like magics). */
  and?: (head: Buffer) => boolean;
  details: string;
}

const binaryAfter = (offset: number) => (head: Buffer) =>
  head.length <= offset || isControlByte(head[offset] as number) || (head[offset] as number) >= 0x80;

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const MAGICS: Magic[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], details: 'looks like a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], details: 'looks like a JPEG image' },
  { bytes: ascii('GIF87a'), details: 'looks like a GIF image' },
  { bytes: ascii('GIF89a'), details: 'looks like a GIF image' },
  { bytes: ascii('%PDF-'), details: 'looks like a PDF document' },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    details: 'looks like a ZIP archive (XLSX and DOCX files are ZIP archives); export the sheet as CSV',
  },
  { bytes: [0x50, 0x4b, 0x05, 0x06], details: 'looks like an (empty) ZIP archive' },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    details: 'looks like a legacy Microsoft Office file (XLS/DOC); export the sheet as CSV',
  },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], details: 'looks like an ELF executable' },
  {
    bytes: ascii('BZh'),
    // block size 1-9, then the block magic (pi) or the end-of-stream magic (sqrt pi)
    and: (h) =>
      (h[3] ?? 0) >= 0x31 &&
      (h[3] ?? 0) <= 0x39 &&
      (startsWithAt(h, 4, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) ||
        startsWithAt(h, 4, [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])),
    details: 'looks like bzip2-compressed data; only gzip compression is supported',
  },
  {
    bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
    details: 'looks like xz-compressed data; only gzip compression is supported',
  },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], details: 'looks like zstd-compressed data; only gzip compression is supported' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], details: 'looks like a 7z archive' },
  { bytes: ascii('Rar!\x1a\x07'), details: 'looks like a RAR archive' },
  {
    bytes: ascii('PAR1'),
    and: binaryAfter(4),
    details: 'looks like a Parquet file; Parquet is not supported yet, export as CSV',
  },
  { bytes: [0x1f, 0x8b], details: 'looks like gzip-compressed data inside gzip' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], details: 'looks like UTF-32 text; save the file as UTF-8' },
  { bytes: [0xff, 0xfe, 0x00, 0x00], details: 'looks like UTF-32 text; save the file as UTF-8' },
  { bytes: [0xff, 0xfe], details: 'looks like UTF-16 text; save the file as UTF-8' },
  { bytes: [0xfe, 0xff], details: 'looks like UTF-16 text; save the file as UTF-8' },
];

/**
 * Recognises an upload from its first bytes (up to 64 KiB; isWholeFile when that is the whole file),
 * by content only. Gzip is looked through: the partial head is decompressed and its content sniffed.
 */
export function detectFormat(head: Buffer, headIsWholeFile: boolean): DetectFormatResult {
  let isWholeFile = headIsWholeFile;
  if (head.length === 0) return { ok: false, code: 'EMPTY_FILE', details: 'The file has 0 bytes.' };
  let content = head;
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (gzip) {
    // Only the first GZIP_SNIFF_BYTES are decompressed: deflate expands at most ~1,032 times, so a gzip bomb costs
    // at most ~8 MB here, whatever the upload (its whole expansion is checked while validating).
    const compressed = head.subarray(0, GZIP_SNIFF_BYTES);
    isWholeFile = isWholeFile && head.length <= GZIP_SNIFF_BYTES;
    try {
      content = zlib.gunzipSync(compressed, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch (error) {
      return {
        ok: false,
        code: 'UNSUPPORTED_FORMAT',
        details: `The gzip data is corrupt (${(error as Error).message}).`,
      };
    }
    if (content.length === 0) {
      return isWholeFile
        ? { ok: false, code: 'EMPTY_FILE', details: 'The gzip file contains 0 bytes.' }
        : { ok: false, code: 'UNSUPPORTED_FORMAT', details: 'The start of the gzip data could not be decompressed.' };
    }
  }
  const inside = gzip ? 'The compressed file ' : 'The file ';
  for (const magic of MAGICS) {
    if (startsWith(content, magic.bytes) && (magic.and === undefined || magic.and(content))) {
      return { ok: false, code: 'UNSUPPORTED_FORMAT', details: `${inside}${magic.details}.` };
    }
  }
  let start = startsWith(content, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  // a head that is not the whole file may end inside a UTF-8 character: ignore that tail
  const complete = isWholeFile || gzip ? content.length : completeEnd(content);
  if (content.indexOf(0, start) !== -1 && content.indexOf(0, start) < complete) {
    return {
      ok: false,
      code: 'UNSUPPORTED_FORMAT',
      details: `${inside}contains NUL bytes, so it is binary, not text.`,
    };
  }
  const nonText = countNonTextBytes(content, start, complete);
  if (nonText > (complete - start) * BINARY_BYTE_SHARE) {
    return { ok: false, code: 'UNSUPPORTED_FORMAT', details: `${inside}is mostly not UTF-8 text (binary data).` };
  }
  while (start < complete && isWhitespaceByte(content[start] as number)) start++;
  if (start >= complete) {
    return isWholeFile
      ? { ok: false, code: 'EMPTY_FILE', details: 'The file contains only whitespace.' }
      : { ok: false, code: 'UNSUPPORTED_FORMAT', details: 'The start of the file is only whitespace.' };
  }
  if (content[start] === 0x7b /* { */) return { ok: true, format: 'jsonl', gzip };
  let lineEnd = start;
  let tabs = 0;
  let commas = 0;
  while (lineEnd < complete) {
    const b = content[lineEnd] as number;
    if (b === 0x0a || b === 0x0d) break;
    if (b === 0x09) tabs++;
    else if (b === 0x2c) commas++;
    lineEnd++;
  }
  return { ok: true, format: tabs > 0 && tabs > commas ? 'tsv' : 'csv', gzip };
}

function startsWith(bytes: Buffer, magic: readonly number[]): boolean {
  return startsWithAt(bytes, 0, magic);
}

function startsWithAt(bytes: Buffer, offset: number, magic: readonly number[]): boolean {
  if (bytes.length < offset + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[offset + i] !== magic[i]) return false;
  return true;
}

function isWhitespaceByte(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c || b === 0x0b;
}

function isControlByte(b: number): boolean {
  return (b < 0x20 && !isWhitespaceByte(b)) || b === 0x7f;
}

/** End of the head without an unfinished UTF-8 character at its end. */
function completeEnd(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 3; i--) {
    const b = bytes[i] as number;
    if (b < 0x80) break;
    if (b >= 0xc0) return utf8SequenceAt(bytes, i, bytes.length) === INCOMPLETE ? i : bytes.length;
  }
  return bytes.length;
}

/** Control characters (other than whitespace) and bytes that are not part of valid UTF-8. */
function countNonTextBytes(bytes: Buffer, start: number, end: number): number {
  let count = 0;
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      if (isControlByte(b)) count++;
      i++;
      continue;
    }
    const length = utf8SequenceAt(bytes, i, end);
    if (length > 0) i += length;
    else {
      count++;
      i++;
    }
  }
  return count;
}
