import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors/AppError.ts';
import { withTimeout } from '../../timing/withTimeout.ts';

/**
 * The parts of a multipart upload request, paced: every part before the file must have arrived within `idleMs` of
 * the first read, and after the file the request must end (or show its next part) within `idleMs`; the file itself
 * is paced by the upload (`enforceUploadPace`). So no part of an upload can trickle forever. A body the parser
 * cannot read (no boundary, broken part headers) is INVALID_REQUEST; the multipart plugin's limit errors keep their
 * codes.
 */
export async function* multipartParts(request: FastifyRequest, options: { idleMs: number }): AsyncGenerator<Multipart> {
  const inner = request.parts();
  const started = performance.now();
  let fileSeen = false;
  try {
    for (;;) {
      const budget = fileSeen ? options.idleMs : options.idleMs - (performance.now() - started);
      const next = await withTimeout(inner.next(), budget, () =>
        fileSeen
          ? new AppError(
              'UPLOAD_INTERRUPTED',
              `the request did not end within ${seconds(options.idleMs)} s of the file`,
            )
          : new AppError(
              'UPLOAD_INTERRUPTED',
              `the fields before the file took more than ${seconds(options.idleMs)} s`,
            ),
      );
      if (next.done) return;
      if (next.value.type === 'file') fileSeen = true;
      yield next.value;
    }
  } catch (error) {
    if (error instanceof AppError || (error as { code?: string }).code?.startsWith('FST_')) throw error;
    throw new AppError('INVALID_REQUEST', 'the multipart body is malformed', { cause: error });
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
