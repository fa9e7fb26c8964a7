import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, toClientError } from '../errors/AppError.ts';
import { sendProblem } from './problem.ts';

/**
 * One renderer for every error a request ends with: problem+json on REST, `{ errors: [...] }` on /graphql, both with
 * the catalogue code. Fastify's own 4xx errors (bad JSON, schema validation, body limits) are INVALID_REQUEST; any
 * other error is INTERNAL, with its text logged under an error id and never sent.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const appError = asAppError(error);
    const shown = toClientError(appError ?? error, request.log, { url: request.url });
    // A body we did not read is not drained (it may be gigabytes): the connection closes instead.
    if (!request.raw.complete) reply.header('connection', 'close');
    if (appError?.retryAfterSeconds !== undefined) reply.header('retry-after', String(appError.retryAfterSeconds));
    if (request.url === '/graphql' || request.url.startsWith('/graphql?')) {
      return reply
        .code(shown.status)
        .type('application/json; charset=utf-8')
        .send({
          errors: [
            {
              message: shown.details ? `${shown.message} ${shown.details}` : shown.message,
              extensions: {
                code: shown.code,
                ...(shown.details ? { details: shown.details } : {}),
                ...(shown.errorId ? { errorId: shown.errorId } : {}),
              },
            },
          ],
        });
    }
    return sendProblem(reply, shown, request.url);
  });
}

function asAppError(error: FastifyError | AppError): AppError | undefined {
  if (error instanceof AppError) return error;
  const { code, statusCode, message } = error;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new AppError('FILE_TOO_LARGE');
  if (code?.startsWith('FST_') || (statusCode !== undefined && statusCode >= 400 && statusCode < 500)) {
    return new AppError('INVALID_REQUEST', message);
  }
  return undefined;
}
