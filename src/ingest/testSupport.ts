/** Helpers for the ingest tests (not used by production code). */
import { AppError } from '../errors/AppError.ts';
import { RowValidator, type RowValidatorOptions } from './RowValidator.ts';
import type { RowRejection, ValidationSummary } from './types.ts';

export interface RunResult {
  output: string;
  rejections: RowRejection[];
  summary: ValidationSummary | null;
  error: AppError | null;
}

/** Splits bytes at the given cut positions (ascending, deduplicated). */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const sorted = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let previous = 0;
  for (const cut of sorted) {
    parts.push(bytes.subarray(previous, cut));
    previous = cut;
  }
  parts.push(bytes.subarray(previous));
  return parts;
}

/** Runs a RowValidator over input (cut into chunks at `cuts`), collecting everything; AppErrors are returned. */
export function validate(
  input: string | Buffer,
  options: Partial<RowValidatorOptions> = {},
  cuts: readonly number[] = [],
): RunResult {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const validator = new RowValidator({ format: 'csv', schema: null, taskId: 'task-1', ...options });
  let output = '';
  const rejections: RowRejection[] = [];
  try {
    for (const part of splitAt(bytes, cuts)) {
      const batch = validator.push(part);
      output += batch.output;
      rejections.push(...batch.rejections);
      if (validator.rowsTotal !== validator.rowsValid + validator.rowsRejected) throw new Error('ledger broken');
    }
    const last = validator.end();
    output += last.output;
    rejections.push(...last.rejections);
    return { output, rejections, summary: validator.summary(), error: null };
  } catch (error) {
    if (error instanceof AppError) return { output, rejections, summary: null, error };
    throw error;
  }
}

/** The output's JSON lines, parsed. */
export function outputRows(output: string): Record<string, unknown>[] {
  return output === ''
    ? []
    : output
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
}
