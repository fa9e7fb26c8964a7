import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  validate,
} from 'graphql';
import { depthLimitRule } from './depthLimitRule.ts';

export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export interface GraphqlResponse {
  status: number;
  body: ExecutionResult;
}

const MAX_DEPTH = 12;

/** Parses, validates (with a depth limit) and executes one query or mutation sent over HTTP. */
export async function executeGraphql(schema: GraphQLSchema, request: GraphqlRequest): Promise<GraphqlResponse> {
  if (typeof request.query !== 'string' || request.query.trim() === '') {
    return failure(400, 'The request must carry a "query" string.', 'INVALID_REQUEST');
  }
  if (request.variables != null && (typeof request.variables !== 'object' || Array.isArray(request.variables))) {
    return failure(400, '"variables" must be an object.', 'INVALID_REQUEST');
  }
  const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: 5000 });
  } catch (error) {
    return { status: 400, body: { errors: [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')] } };
  }
  const errors = validate(schema, document, undefined, { maxErrors: 10 }).concat(
    validate(schema, document, [depthLimitRule(MAX_DEPTH)]),
  );
  if (errors.length > 0) {
    return { status: 400, body: { errors: errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')) } };
  }
  const operation = getOperationAST(document, operationName);
  if (!operation) return failure(400, 'Name the operation to run with "operationName".', 'INVALID_REQUEST');
  if (operation.operation === 'subscription') {
    return failure(400, 'Subscriptions run over WebSocket (graphql-ws) at /graphql, not over POST.', 'INVALID_REQUEST');
  }
  const result = await execute({
    schema,
    document,
    operationName,
    variableValues: (request.variables as Record<string, unknown> | null | undefined) ?? undefined,
  });
  return { status: 200, body: result as ExecutionResult };
}

/** The same error, carrying a code in `extensions` as every other error does. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });
}

function failure(status: number, message: string, code: string): GraphqlResponse {
  return { status, body: { errors: [new GraphQLError(message, { extensions: { code } })] } };
}
