import type { FastifyReply } from 'fastify';
import type { ClientError } from '../errors/AppError.ts';

/** Sends an error as RFC 9457 problem+json, carrying the catalogue code (and an error id for server errors). */
export function sendProblem(reply: FastifyReply, error: ClientError, instance?: string): FastifyReply {
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send({
      type: `urn:tributary:error:${error.code}`,
      title: error.message,
      status: error.status,
      code: error.code,
      ...(error.details ? { detail: error.details } : {}),
      ...(error.errorId ? { errorId: error.errorId } : {}),
      ...(instance ? { instance: instance.slice(0, 300) } : {}),
    });
}
