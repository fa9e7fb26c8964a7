import zlib from 'node:zlib';
import type { FileFormat } from './types.ts';
import { INCOMPLETE, utf8SequenceAt } from './utf8.ts';

/** The text encodings an upload may have; the worker transcodes the others to UTF-8 as it reads. */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** The field delimiters of delimited files (TSV is the tab). */
export type Delimiter = ',' | ';' | '\t' | '|';

export type DetectFormatResult =
  | {
      ok: true;
      format: FileFormat;
      gzip: boolean;
      encoding: TextEncoding;
      /** null for JSON lines. */
      delimiter: Delimiter | null;
    }
  | { ok: false; code: 'EMPTY_FILE' | 'UNSUPPORTED_FORMAT'; details: string };

/** Compressed bytes of a gzip upload's head that are decompressed to recognise its content. */
export const GZIP_SNIFF_BYTES = 8 * 1024;

/** Share of control characters (other than whitespace) above which a head is binary. */
export const BINARY_BYTE_SHARE = 0.1;
/**
 * Share of bytes that are not valid UTF-8 above which a head is binary rather than Windows-1252 text (accented
 * letters in Western European text are a few per cent of the bytes).
 */
export const NOT_TEXT_SHARE = 0.3;

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
  // UTF-16 with a byte order mark: sniff the head as the UTF-8 the worker will read.
  let encoding: TextEncoding = 'utf-8';
  if (startsWith(content, [0xff, 0xfe]) || startsWith(content, [0xfe, 0xff])) {
    encoding = content[0] === 0xff ? 'utf-16le' : 'utf-16be';
    const even = content.length - (content.length % 2);
    const text = new TextDecoder(encoding).decode(content.subarray(0, even));
    isWholeFile = isWholeFile && even === content.length;
    // A head cut inside a surrogate pair ends in U+FFFD: drop it.
    content = Buffer.from(isWholeFile ? text : text.replace(/\uFFFD$/, ''), 'utf8');
  }
  const start = startsWith(content, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  // a head that is not the whole file may end inside a UTF-8 character: ignore that tail
  // (A gzip head is inflated only in part, so it may end inside a character too.)
  const complete = isWholeFile ? content.length : completeEnd(content);
  if (content.indexOf(0, start) !== -1 && content.indexOf(0, start) < complete) {
    return {
      ok: false,
      code: 'UNSUPPORTED_FORMAT',
      details: `${inside}contains NUL bytes, so it is binary, not text (UTF-16 needs its byte order mark).`,
    };
  }
  const { control, invalidUtf8, multibyteUtf8 } = countNonTextBytes(content, start, complete);
  const length = complete - start;
  if (control > length * BINARY_BYTE_SHARE || invalidUtf8 > length * NOT_TEXT_SHARE) {
    return {
      ok: false,
      code: 'UNSUPPORTED_FORMAT',
      details: `${inside}is not text in a supported encoding (binary data).`,
    };
  }
  if (invalidUtf8 > 0 && multibyteUtf8 === 0 && encoding === 'utf-8') {
    // Not UTF-8, and mostly text: the ANSI code page of Western Windows (what Excel saves as "CSV" there). A head that
    // also holds valid multi-byte UTF-8 ("Zürich") is UTF-8 with a few bad bytes: those rows are INVALID_ENCODING.
    encoding = 'windows-1252';
    content = Buffer.from(new TextDecoder('windows-1252').decode(content.subarray(start, complete)), 'utf8');
    return sniffText(content, 0, content.length, isWholeFile, gzip, encoding);
  }
  return sniffText(content, start, complete, isWholeFile, gzip, encoding);
}

/** JSON lines or a delimited file, from UTF-8 text in content[start, complete). */
function sniffText(
  content: Buffer,
  from: number,
  complete: number,
  isWholeFile: boolean,
  gzip: boolean,
  encoding: TextEncoding,
): DetectFormatResult {
  let start = from;
  while (start < complete && isWhitespaceByte(content[start] as number)) start++;
  if (start >= complete) {
    return isWholeFile
      ? { ok: false, code: 'EMPTY_FILE', details: 'The file contains only whitespace.' }
      : { ok: false, code: 'UNSUPPORTED_FORMAT', details: 'The start of the file is only whitespace.' };
  }
  if (content[start] === 0x7b /* { */) return { ok: true, format: 'jsonl', gzip, encoding, delimiter: null };
  const delimiter = detectDelimiter(content.toString('utf8', start, complete), isWholeFile);
  return { ok: true, format: delimiter === '\t' ? 'tsv' : 'csv', gzip, encoding, delimiter };
}

const DELIMITERS: Delimiter[] = [',', ';', '\t', '|'];

/**
 * The delimiter of a delimited file, from its header and first records (quotes respected, so a `;` inside a quoted
 * field does not count): the candidate that splits the header into the most fields and every sampled record into as
 * many; failing that, the one most frequent in the header; `,` when none occurs.
 */
export function detectDelimiter(text: string, isWholeFile: boolean): Delimiter {
  const records = splitRecords(text, 21, isWholeFile);
  const header = records[0] ?? '';
  let best: Delimiter = ',';
  let bestCount = 0;
  let consistent: Delimiter | null = null;
  let consistentCount = 0;
  for (const delimiter of DELIMITERS) {
    const count = countOutsideQuotes(header, delimiter);
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
    if (
      count > consistentCount &&
      records.slice(1).every((r) => r === '' || countOutsideQuotes(r, delimiter) === count)
    ) {
      consistent = delimiter;
      consistentCount = count;
    }
  }
  return consistent ?? best;
}

/** Up to `limit` records of the text (a newline inside quotes continues a record); an unfinished last one is dropped. */
function splitRecords(text: string, limit: number, isWholeFile: boolean): string[] {
  const records: string[] = [];
  let quoted = false;
  let begin = 0;
  for (let i = 0; i < text.length && records.length < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (!quoted && (c === 10 || c === 13)) {
      records.push(text.slice(begin, i));
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      begin = i + 1;
    }
  }
  if (records.length < limit && (isWholeFile || records.length === 0) && begin < text.length) {
    records.push(text.slice(begin));
  }
  return records;
}

function countOutsideQuotes(record: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const c = record[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === delimiter) count++;
  }
  return count;
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

/** Control characters (other than whitespace), bytes that are not part of valid UTF-8, and valid multi-byte UTF-8 characters. */
function countNonTextBytes(
  bytes: Buffer,
  start: number,
  end: number,
): { control: number; invalidUtf8: number; multibyteUtf8: number } {
  let control = 0;
  let invalidUtf8 = 0;
  let multibyteUtf8 = 0;
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      if (isControlByte(b)) control++;
      i++;
      continue;
    }
    const length = utf8SequenceAt(bytes, i, end);
    if (length > 0) {
      i += length;
      multibyteUtf8++;
    } else {
      invalidUtf8++;
      i++;
    }
  }
  return { control, invalidUtf8, multibyteUtf8 };
}
