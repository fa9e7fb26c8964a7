import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { executeGraphql, type GraphqlRequest, type GraphqlResponse } from './executeGraphql.ts';
import type { UploadedFile } from './scalars.ts';

const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name', 'graphql-require-preflight'];

/**
 * GraphQL over HTTP at POST /graphql: JSON requests, and multipart requests per the GraphQL multipart
 * request spec with exactly one file. The file part is handed to the resolver as a live stream (never
 * buffered), and a multipart request without a preflight header is refused before its body is read.
 */
export async function graphqlRoutes(app: FastifyInstance, options: { schema: GraphQLSchema }): Promise<void> {
  const { schema } = options;

  app.post('/graphql', {
    onRequest: async (request, reply) => {
      if (!/^multipart\//i.test(request.headers['content-type'] ?? '')) return;
      if (PREFLIGHT_HEADERS.some((name) => request.headers[name] !== undefined)) return;
      reply.header('connection', 'close');
      await send(reply, {
        status: 400,
        body: {
          errors: [
            new GraphQLError(
              'Multipart requests must carry the header "Apollo-Require-Preflight: true" (CSRF protection).',
              { extensions: { code: 'PREFLIGHT_REQUIRED' } },
            ),
          ],
        },
      });
    },
    handler: async (request, reply) => {
      if (request.isMultipart()) {
        try {
          return send(reply, await executeMultipart(schema, request, reply));
        } catch (error) {
          if (error instanceof MultipartError) return send(reply, invalid(error.message));
          throw error;
        }
      }
      return send(reply, await executeGraphql(schema, (request.body ?? {}) as GraphqlRequest));
    },
  });
}

async function executeMultipart(
  schema: GraphQLSchema,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<GraphqlResponse> {
  let operations: GraphqlRequest | undefined;
  let map: Record<string, string[]> | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      if (part.fieldname === 'operations') operations = parseJsonField(part.value, 'operations') as GraphqlRequest;
      else if (part.fieldname === 'map') map = parseMap(part.value);
      continue;
    }
    if (!operations || !map) {
      part.file.resume();
      return invalid('The "operations" and "map" fields must come before the file.');
    }
    const paths = map[part.fieldname];
    if (!paths) {
      part.file.resume();
      return invalid(`The file field "${part.fieldname}" is not named in "map".`);
    }
    const file: UploadedFile = { filename: part.filename, mimetype: part.mimetype, stream: part.file };
    for (const path of paths) {
      if (!setAtPath(operations, path, file))
        return invalid(`The map path "${path}" does not point into the variables.`);
    }
    const response = await executeGraphql(schema, operations);
    if (!part.file.readableEnded) {
      // The resolver refused the file before reading it all: drop the rest and close the connection.
      reply.header('connection', 'close');
      part.file.resume();
    }
    return response;
  }
  if (!operations) return invalid('The multipart request has no "operations" field.');
  if (map && Object.keys(map).length > 0) return invalid('The files named in "map" are missing from the request.');
  return executeGraphql(schema, operations);
}

function parseJsonField(value: unknown, name: string): unknown {
  try {
    return JSON.parse(String(value));
  } catch {
    throw new MultipartError(`The "${name}" field is not valid JSON.`);
  }
}

function parseMap(value: unknown): Record<string, string[]> {
  const map = parseJsonField(value, 'map');
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new MultipartError('"map" must be an object.');
  const entries = Object.entries(map);
  if (entries.length > 1) throw new MultipartError('Send one file per request.');
  for (const [, paths] of entries) {
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      throw new MultipartError('Each "map" entry must be an array of paths.');
    }
  }
  return map as Record<string, string[]>;
}

/** Puts the file at a path like "variables.file" inside the operations object. */
function setAtPath(operations: GraphqlRequest, path: string, file: UploadedFile): boolean {
  const keys = path.split('.');
  if (keys[0] !== 'variables' || keys.length < 2) return false;
  let target: Record<string, unknown> = operations as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null) return false;
    target = next as Record<string, unknown>;
  }
  const last = keys.at(-1) as string;
  if (['__proto__', 'constructor', 'prototype'].includes(last)) return false;
  target[last] = file;
  return true;
}

class MultipartError extends Error {}

function invalid(message: string): GraphqlResponse {
  return { status: 400, body: { errors: [new GraphQLError(message, { extensions: { code: 'INVALID_REQUEST' } })] } };
}

async function send(reply: FastifyReply, response: GraphqlResponse): Promise<FastifyReply> {
  return reply.code(response.status).type('application/json; charset=utf-8').send(JSON.stringify(response.body));
}
