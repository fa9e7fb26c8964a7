import type { PartialTotals, RowValidatorOptions } from '../RowValidator.ts';
import type { RowRejection } from '../types.ts';

/** Validate bytes of one part ("segment") of a file, in a validation thread. */
export interface PushRequest {
  type: 'push';
  id: number;
  /** One validation of one file. */
  run: string;
  /** The part: it starts at a row start and goes on over as many chunks as its last row needs. */
  segment: number;
  /** Given with the segment's first chunk: how to validate it (with `continueFrom`). */
  start?: RowValidatorOptions;
  bytes: Uint8Array;
  /** The file's last bytes. */
  final: boolean;
}

/** Forget a run's open segments (the run ended, or a guess was wrong). */
export interface DropRequest {
  type: 'drop';
  run: string;
  /** One segment; all of the run's when absent. */
  segment?: number;
}

export type ThreadRequest = PushRequest | DropRequest;

export interface PushReply {
  id: number;
  /** The valid rows' output of these bytes. */
  output: Uint8Array;
  /** Lines counted from 1 at the segment's start. */
  rejections: RowRejection[];
  /** The segment ended at a row start (or the file ended): it is complete, and `lines` is final. */
  complete: boolean;
  /** Physical lines the segment covered so far. */
  lines: number;
  /** The segment's totals so far. */
  totals: PartialTotals;
}

export interface ErrorReply {
  id: number;
  error: string;
}

export type ThreadReply = PushReply | ErrorReply;
