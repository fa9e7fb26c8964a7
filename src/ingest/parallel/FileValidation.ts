import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors/AppError.ts';
import { type PartialTotals, RowValidator, type RowValidatorOptions, summaryOfTotals } from '../RowValidator.ts';
import type { CsvLayout, RejectionCounts, ValidationBatch, ValidationSummary } from '../types.ts';
import { ChunkCutter, type FileChunk } from './ChunkCutter.ts';
import type { PushReply } from './threadMessages.ts';
import type { ValidationThreads } from './ValidationThreads.ts';

export interface FileValidationTuning {
  /** Bytes per chunk sent to a thread. Default 2 MiB. */
  chunkBytes?: number;
  /**
   * The first chunk, validated in this thread with the sample: small, so that this thread (which also answers API
   * requests) is busy for as short a time as it can. Default 256 KiB (at most chunkBytes).
   */
  firstChunkBytes?: number;
  /** A chunk grows up to this size while no row end is found in it (one huge quoted field). Default 16 MiB. */
  maxChunkBytes?: number;
  /** Chunks validated ahead of the one whose rows are taken next. Default 2 per thread. */
  aheadPerThread?: number;
}

interface QueuedChunk {
  chunk: FileChunk;
  /** Validated ahead, as a new segment starting at the chunk (a guess until the row before is seen to end there). */
  guess: { segment: number; thread: number; reply: Promise<PushReply> } | null;
}

/** Where the rows taken so far end. */
type Position =
  /** In the file's first part, validated in this thread (the header, the sample, the schema). */
  | { kind: 'head' }
  /** At a row start: the next chunk starts a segment. */
  | { kind: 'rowStart' }
  /** Inside a row of a segment: the next chunk continues it, in the same thread. */
  | { kind: 'open'; segment: number; thread: number; linesBefore: number; totals: PartialTotals };

/**
 * Validates one file over several threads, with exactly the result of one RowValidator over the whole file: the same
 * output bytes in the same order, the same rejections with the same line numbers, the same totals.
 *
 * The file's first part (header, sample, schema and reading plan) is validated here. The rest is cut into chunks at
 * line breaks outside quotes (ChunkCutter), and each chunk is validated ahead in a thread as a segment of its own,
 * from its first byte as a row start. Rows are taken in file order; a segment's guess is kept only when the segment
 * before really ended at a row start there (its validator says so). Otherwise, the guess is dropped and the chunk
 * continues the segment before, in that segment's thread, so a stray quote costs speed, never a row. Line numbers:
 * each segment counts from 1, shifted by the lines of the segments before it.
 */
export class FileValidation {
  readonly #options: RowValidatorOptions;
  readonly #threads: ValidationThreads | null;
  readonly #chunkBytes: number;
  readonly #firstChunkBytes: number;
  readonly #maxChunkBytes: number;
  readonly #ahead: number;
  readonly #head: RowValidator;
  readonly #run = randomUUID();
  readonly #maxRejectionDetails: number;
  #rejectionDetails = 0;
  #nextSegment = 1;
  #nextThread = 0;
  /** Options of a segment after the head, once the head knows the schema. */
  #segmentOptions: RowValidatorOptions | null = null;
  /** Totals of the completed segments after the head. */
  readonly #done: PartialTotals;
  #linesDone = 0;
  #position: Position = { kind: 'head' };
  #summary: ValidationSummary | null = null;
  readonly #stats = { chunks: 0, segments: 0, continued: 0 };

  constructor(options: RowValidatorOptions, threads: ValidationThreads | null, tuning: FileValidationTuning = {}) {
    this.#options = options;
    this.#threads = threads !== null && threads.size > 0 ? threads : null;
    this.#chunkBytes = tuning.chunkBytes ?? 2 * 1024 * 1024;
    this.#firstChunkBytes = tuning.firstChunkBytes ?? 256 * 1024;
    this.#maxChunkBytes = tuning.maxChunkBytes ?? 16 * 1024 * 1024;
    this.#ahead = Math.max(1, (tuning.aheadPerThread ?? 2) * (threads?.size ?? 1));
    this.#head = new RowValidator(options);
    this.#maxRejectionDetails = options.maxRejectionDetails ?? Number.POSITIVE_INFINITY;
    this.#done = emptyTotals(0);
  }

  get rowsTotal(): number {
    return this.#totals().rowsTotal;
  }
  get rowsValid(): number {
    return this.#totals().rowsValid;
  }
  get rowsRejected(): number {
    const totals = this.#totals();
    return totals.rowsTotal - totals.rowsValid;
  }
  get rejectionCounts(): RejectionCounts {
    return this.#totals().rejectionCounts;
  }

  /** Validates the decompressed file; yields the output and rejections in file order. summary() after it ends. */
  async *run(source: AsyncIterable<Buffer>): AsyncGenerator<ValidationBatch> {
    const cutter = new ChunkCutter(this.#options.format, this.#chunkBytes, this.#maxChunkBytes, this.#firstChunkBytes);
    const queue: QueuedChunk[] = [];
    try {
      for await (const piece of source) {
        if (this.#threads === null) {
          yield this.#head.push(piece);
          continue;
        }
        for (const chunk of cutter.push(piece)) queue.push({ chunk, guess: null });
        this.#guessAhead(queue);
        while (queue.length > this.#ahead || (queue.length > 0 && this.#position.kind === 'head')) {
          yield await this.#take(queue.shift() as QueuedChunk);
          this.#guessAhead(queue);
        }
      }
      if (this.#threads === null) {
        yield this.#head.end();
        this.#summary = this.#head.summary();
        return;
      }
      queue.push({ chunk: cutter.end(), guess: null });
      while (queue.length > 0) {
        this.#guessAhead(queue);
        yield await this.#take(queue.shift() as QueuedChunk);
      }
      this.#summary = this.#finish();
    } finally {
      if (this.#threads !== null)
        for (let t = 0; t < this.#threads.size; t++) this.#threads.drop(t, { run: this.#run });
    }
  }

  /**
   * How the file was split: chunks taken, segments validated in threads (guesses included), and chunks that had to
   * continue the segment before (a wrong guess, or a row longer than a chunk).
   */
  get stats(): { chunks: number; segments: number; continued: number } {
    return { ...this.#stats };
  }

  /** How to read the validated CSV (RowValidator.csvLayout), with the longest row of all the file's parts. */
  get csvLayout(): CsvLayout | null {
    const layout = this.#head.csvLayout;
    return layout === null ? null : { ...layout, longestRowBytes: this.#totals().longestRow };
  }

  /** Totals of the whole file, after run() ended. */
  summary(): ValidationSummary {
    if (this.#summary === null) throw new Error('FileValidation.summary() before the run ended');
    return this.#summary;
  }

  /** Starts segments ahead at the chunks that probably start a row. */
  #guessAhead(queue: QueuedChunk[]): void {
    const options = this.#segmentOptions;
    const threads = this.#threads;
    if (options === null || threads === null) return;
    for (const queued of queue) {
      if (queued.guess !== null || !queued.chunk.likelyRowStart || queued.chunk.bytes.length === 0) continue;
      queued.guess = this.#startSegment(threads, options, queued.chunk);
    }
  }

  #startSegment(
    threads: ValidationThreads,
    options: RowValidatorOptions,
    chunk: FileChunk,
  ): { segment: number; thread: number; reply: Promise<PushReply> } {
    const segment = this.#nextSegment++;
    this.#stats.segments++;
    const thread = this.#nextThread;
    this.#nextThread = (thread + 1) % threads.size;
    const reply = threads.push(thread, {
      run: this.#run,
      segment,
      start: options,
      bytes: chunk.bytes,
      final: chunk.final,
    });
    // Taken (awaited) in order later, or dropped: never an unhandled rejection meanwhile.
    reply.catch(() => {});
    return { segment, thread, reply };
  }

  /** The rows of the next chunk in file order. */
  async #take(queued: QueuedChunk): Promise<ValidationBatch> {
    const { chunk } = queued;
    this.#stats.chunks++;
    const threads = this.#threads as ValidationThreads;
    const position = this.#position;
    if (position.kind === 'head') {
      // no guess is made before the head knows the schema (#guessAhead)
      const batch = this.#head.push(chunk.bytes);
      if (chunk.final) {
        const last = this.#head.end();
        return this.#capped({
          output: Buffer.concat([batch.output, last.output]),
          rejections: [...batch.rejections, ...last.rejections],
        });
      }
      const continuation = this.#head.continuation;
      if (continuation !== null && this.#head.atRowStart) {
        this.#linesDone = this.#head.linesConsumed;
        this.#segmentOptions = {
          ...this.#options,
          schema: this.#head.schema,
          keepSample: false,
          continueFrom: continuation,
        };
        this.#position = { kind: 'rowStart' };
      }
      return this.#capped(batch);
    }
    let reply: PushReply;
    let segment: number;
    let thread: number;
    let linesBefore: number;
    if (position.kind === 'open') {
      // The row before goes on in this chunk: a guess from its first byte was wrong.
      if (queued.guess) this.#dropGuess(threads, queued);
      this.#stats.continued++;
      ({ segment, thread, linesBefore } = position);
      reply = await threads.push(thread, { run: this.#run, segment, bytes: chunk.bytes, final: chunk.final });
    } else {
      const started =
        queued.guess ?? this.#startSegment(threads, this.#segmentOptions as RowValidatorOptions, queued.chunk);
      ({ segment, thread } = started);
      linesBefore = this.#linesDone;
      reply = await started.reply;
    }
    if (reply.complete) {
      addTotals(this.#done, reply.totals);
      this.#linesDone = linesBefore + reply.lines;
      this.#position = { kind: 'rowStart' };
    } else this.#position = { kind: 'open', segment, thread, linesBefore, totals: reply.totals };
    for (const rejection of reply.rejections) rejection.line += linesBefore;
    const output = Buffer.from(reply.output.buffer, reply.output.byteOffset, reply.output.byteLength);
    return this.#capped({ output, rejections: reply.rejections });
  }

  #dropGuess(threads: ValidationThreads, queued: QueuedChunk): void {
    const guess = queued.guess;
    if (!guess) return;
    threads.drop(guess.thread, { run: this.#run, segment: guess.segment });
    queued.guess = null;
  }

  /** Keeps the first maxRejectionDetails rejections of the file in full (each part kept up to that many). */
  #capped(batch: ValidationBatch): ValidationBatch {
    const room = this.#maxRejectionDetails - this.#rejectionDetails;
    if (batch.rejections.length > room) batch.rejections = batch.rejections.slice(0, Math.max(0, room));
    this.#rejectionDetails += batch.rejections.length;
    return batch;
  }

  /** Totals so far: the head, the completed segments, and the open one. */
  #totals(): PartialTotals {
    const totals = emptyTotals(this.#done.sums.length);
    addTotals(totals, this.#head.partialTotals());
    addTotals(totals, this.#done);
    if (this.#position.kind === 'open') addTotals(totals, this.#position.totals);
    return totals;
  }

  /** The head's file-level checks, over the whole file's totals. */
  #finish(): ValidationSummary {
    if (this.#position.kind === 'head') return this.#head.summary();
    const schema = this.#head.schema;
    if (schema === null) throw new Error('FileValidation: no schema after the head');
    const totals = this.#totals();
    if (totals.rowsTotal === 0) throw new AppError('NO_DATA_ROWS', 'The file has a header row but no data rows.');
    return summaryOfTotals(schema, totals);
  }
}

function emptyTotals(metrics: number): PartialTotals {
  return {
    rowsTotal: 0,
    rowsValid: 0,
    rejectionCounts: {},
    minTime: Number.POSITIVE_INFINITY,
    maxTime: Number.NEGATIVE_INFINITY,
    longestRow: 0,
    sums: new Array<number>(metrics).fill(0),
    compensations: new Array<number>(metrics).fill(0),
  };
}

/** Adds part into into (sums with Neumaier's compensation, as one validator sums its rows). */
function addTotals(into: PartialTotals, part: PartialTotals): void {
  into.rowsTotal += part.rowsTotal;
  into.rowsValid += part.rowsValid;
  for (const [code, count] of Object.entries(part.rejectionCounts) as [keyof RejectionCounts, number][]) {
    into.rejectionCounts[code] = (into.rejectionCounts[code] ?? 0) + count;
  }
  if (part.minTime < into.minTime) into.minTime = part.minTime;
  if (part.maxTime > into.maxTime) into.maxTime = part.maxTime;
  if (part.longestRow > into.longestRow) into.longestRow = part.longestRow;
  while (into.sums.length < part.sums.length) {
    into.sums.push(0);
    into.compensations.push(0);
  }
  for (let k = 0; k < part.sums.length; k++) {
    const sum = into.sums[k] as number;
    const v = part.sums[k] as number;
    const t = sum + v;
    const c = Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    into.sums[k] = t;
    into.compensations[k] = (into.compensations[k] as number) + c + (part.compensations[k] as number);
  }
}
