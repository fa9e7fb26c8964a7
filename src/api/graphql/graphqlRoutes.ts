import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { AppError } from '../../errors/AppError.ts';
import { multipartParts } from '../multipart/multipartParts.ts';
import { refuseMoreParts } from '../multipart/refuseMoreParts.ts';
import {
  executeGraphql,
  failure,
  type GraphqlLimits,
  type GraphqlRequest,
  type GraphqlResponse,
} from './executeGraphql.ts';
import { placeFiles } from './multipartMap.ts';
import { uploadedFile } from './scalars.ts';

/**
 * GraphQL over HTTP at POST /graphql: JSON requests, and multipart requests per the GraphQL multipart
 * request spec with exactly one file. The file part is handed to the resolver as a live stream (never
 * buffered). Authentication, origin and CSRF checks ran before the body was read (src/api/security/).
 */
export async function graphqlRoutes(
  app: FastifyInstance,
  options: { schema: GraphQLSchema; limits: GraphqlLimits; idleMs: number; log: Logger },
): Promise<void> {
  const { schema, limits, idleMs, log } = options;

  app.post('/graphql', { config: { access: 'SIGNED_IN' } }, async (request, reply) => {
    const context = { principal: request.principal as NonNullable<typeof request.principal> };
    if (request.isMultipart()) {
      try {
        return send(
          reply,
          await executeMultipart(request, reply, idleMs, (operations) =>
            executeGraphql(schema, operations, context, limits, log),
          ),
        );
      } catch (error) {
        if (error instanceof AppError && error.code === 'INVALID_REQUEST') {
          reply.header('connection', 'close');
          return send(reply, failure(400, error.details ?? error.message, 'INVALID_REQUEST'));
        }
        throw error;
      }
    }
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return send(
        reply,
        failure(400, 'Send one operation as a JSON object (batches are not supported).', 'INVALID_REQUEST'),
      );
    }
    return send(reply, await executeGraphql(schema, body as GraphqlRequest, context, limits, log));
  });
}

/** Reads `operations` and `map`, then the one file part, which the operation consumes while it arrives. */
async function executeMultipart(
  request: FastifyRequest,
  reply: FastifyReply,
  idleMs: number,
  run: (operations: GraphqlRequest) => Promise<GraphqlResponse>,
): Promise<GraphqlResponse> {
  const parts = multipartParts(request, { idleMs });
  let operationsText: string | undefined;
  let mapText: string | undefined;
  for await (const part of parts) {
    if (part.type === 'field') {
      if (part.valueTruncated) throw invalid(`The field "${part.fieldname.slice(0, 100)}" is longer than 1 MiB.`);
      if (part.fieldname === 'operations' && operationsText === undefined) operationsText = String(part.value);
      else if (part.fieldname === 'map' && mapText === undefined) mapText = String(part.value);
      else throw invalid(`Unexpected field "${part.fieldname}": send "operations", then "map", then the file.`);
      continue;
    }
    if (operationsText === undefined || mapText === undefined) {
      part.file.resume();
      throw invalid('The "operations" and "map" fields must come before the file.');
    }
    const file = uploadedFile({
      filename: part.filename,
      mimetype: part.mimetype,
      stream: part.file,
      beforeCommit: () => refuseMoreParts(parts),
    });
    const operations = placeFiles(operationsText, mapText, part.fieldname, file);
    const response = await run(operations);
    if (!part.file.readableEnded) {
      // The resolver refused the file before reading it all: drop the rest and close the connection.
      reply.header('connection', 'close');
      part.file.resume();
    }
    return response;
  }
  if (operationsText === undefined) throw invalid('The multipart request has no "operations" field.');
  return run(placeFiles(operationsText, mapText ?? '{}', null, null));
}

function invalid(message: string): AppError {
  return new AppError('INVALID_REQUEST', message);
}

async function send(reply: FastifyReply, response: GraphqlResponse): Promise<FastifyReply> {
  return reply.code(response.status).type('application/json; charset=utf-8').send(JSON.stringify(response.body));
}
