import type { Multipart } from '@fastify/multipart';
import { AppError } from '../../errors/AppError.ts';

/**
 * Reads on after an upload's one file part: the request must end there. A second file, or a field after the file
 * (which would otherwise be silently ignored, e.g. `mode=REPLACE`), is INVALID_REQUEST and the upload is not kept.
 */
export async function refuseMoreParts(parts: AsyncIterator<Multipart>): Promise<void> {
  let next: IteratorResult<Multipart>;
  try {
    next = await parts.next();
  } catch (error) {
    // The request did not end in time (UPLOAD_INTERRUPTED) keeps its code; a parser refusal past the file limit is
    // a second file.
    if (error instanceof AppError) throw error;
    throw new AppError('INVALID_REQUEST', 'send one file per request');
  }
  if (next.done) return;
  const part = next.value;
  if (part.type === 'file') part.file.resume();
  throw new AppError(
    'INVALID_REQUEST',
    part.type === 'file'
      ? 'send one file per request'
      : `the field "${part.fieldname.slice(0, 100)}" comes after the file; send every field before the file`,
  );
}
