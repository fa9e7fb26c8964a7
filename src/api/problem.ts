import type { FastifyReply } from 'fastify';
import type { AppError } from '../errors/AppError.ts';

/** Sends an error as RFC 9457 problem+json, carrying the catalogue code. */
export function sendProblem(reply: FastifyReply, error: AppError, instance?: string): FastifyReply {
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send({
      type: `urn:tributary:error:${error.code}`,
      title: error.message,
      status: error.status,
      code: error.code,
      ...(error.details ? { detail: error.details } : {}),
      ...(instance ? { instance } : {}),
    });
}
