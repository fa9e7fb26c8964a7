import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors/AppError.ts';

/**
 * The parts of a multipart request. A body the parser cannot read (no boundary, broken part headers) is
 * INVALID_REQUEST, not an internal error; the multipart plugin's own limit errors keep their codes.
 */
export async function* multipartParts(request: FastifyRequest): AsyncGenerator<Multipart> {
  try {
    yield* request.parts();
  } catch (error) {
    if (error instanceof AppError || (error as { code?: string }).code?.startsWith('FST_')) throw error;
    throw new AppError('INVALID_REQUEST', 'the multipart body is malformed', { cause: error });
  }
}
