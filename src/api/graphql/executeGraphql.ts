import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { AppError, toClientError } from '../../errors/AppError.ts';
import { aliasLimitRule } from './aliasLimitRule.ts';
import { depthLimitRule } from './depthLimitRule.ts';
import type { GraphqlContext } from './GraphqlContext.ts';
import { queryCost } from './queryCost.ts';

export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export interface GraphqlResponse {
  status: number;
  body: ExecutionResult;
}

/** The limits applied to every document, over HTTP and over WebSocket alike. */
export interface GraphqlLimits {
  /** See queryCost: also the most rejected rows one response can hold. */
  maxCost: number;
  introspection: boolean;
}

export const MAX_TOKENS = 5000;
export const MAX_DEPTH = 12;
export const MAX_ALIASES = 50;

type Logger = { error: (o: object, m: string) => void; warn: (o: object, m: string) => void };

export type PreparedOperation =
  | {
      ok: true;
      document: DocumentNode;
      operation: OperationDefinitionNode;
      operationName: string | undefined;
      variables: Record<string, unknown>;
    }
  | { ok: false; errors: GraphQLError[] };

/**
 * Parses (token limit), validates (the standard rules, depth, aliases, no introspection in production) and prices
 * one operation; refuses it when its cost is over the limit. The transport decides which operation types it runs.
 */
export function prepareOperation(
  schema: GraphQLSchema,
  request: GraphqlRequest,
  limits: GraphqlLimits,
): PreparedOperation {
  if (typeof request.query !== 'string' || request.query.trim() === '') {
    return refused('The request must carry a "query" string.', 'INVALID_REQUEST');
  }
  if (request.variables != null && (typeof request.variables !== 'object' || Array.isArray(request.variables))) {
    return refused('"variables" must be an object.', 'INVALID_REQUEST');
  }
  if (request.operationName != null && typeof request.operationName !== 'string') {
    return refused('"operationName" must be a string.', 'INVALID_REQUEST');
  }
  const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
  const variables = (request.variables as Record<string, unknown> | null | undefined) ?? {};
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: MAX_TOKENS });
  } catch (error) {
    return { ok: false, errors: [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
  }
  const rules = [
    ...specifiedRules,
    depthLimitRule(MAX_DEPTH),
    aliasLimitRule(MAX_ALIASES),
    ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  const errors = validate(schema, document, rules, { maxErrors: 10 });
  if (errors.length > 0) return { ok: false, errors: errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')) };
  const operation = getOperationAST(document, operationName);
  if (!operation) return refused('Name the operation to run with "operationName".', 'INVALID_REQUEST');
  let cost: number;
  try {
    cost = queryCost(schema, document, variables, operationName);
  } catch (error) {
    return { ok: false, errors: [withCode(error as GraphQLError, 'GRAPHQL_VALIDATION_FAILED')] };
  }
  if (cost > limits.maxCost) {
    return refused(
      `The query costs ${cost}; the limit is ${limits.maxCost} (each object returned costs 1, a rejected row with its raw text 9). Ask for fewer items, or page.`,
      'QUERY_TOO_COMPLEX',
    );
  }
  return { ok: true, document, operation, operationName, variables };
}

/** Runs one query or mutation sent over HTTP; subscriptions are refused (they run over WebSocket). */
export async function executeGraphql(
  schema: GraphQLSchema,
  request: GraphqlRequest,
  context: GraphqlContext,
  limits: GraphqlLimits,
  log: Logger,
): Promise<GraphqlResponse> {
  const prepared = prepareOperation(schema, request, limits);
  if (!prepared.ok) return { status: 400, body: { errors: prepared.errors } };
  if (prepared.operation.operation === 'subscription') {
    return failure(400, 'Subscriptions run over WebSocket (graphql-ws) at /graphql, not over POST.', 'INVALID_REQUEST');
  }
  const result = (await execute({
    schema,
    document: prepared.document,
    operationName: prepared.operationName,
    variableValues: prepared.variables,
    contextValue: context,
  })) as ExecutionResult;
  return { status: 200, body: maskErrors(result, log) };
}

/**
 * Errors as clients see them: a catalogue code, message and our own details, plus an error id for server errors.
 * Any other error (the database's, DuckDB's, a bug's) becomes INTERNAL; its text goes to the log only.
 */
export function maskErrors<T extends ExecutionResult>(result: T, log: Logger): T {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map((error) => maskError(error, log)) };
}

export function maskError(error: GraphQLError, log: Logger): GraphQLError {
  const original = error.originalError;
  if (
    original === undefined ||
    original === null ||
    (original instanceof GraphQLError && !(original instanceof AppError))
  ) {
    return error.extensions?.code ? error : withCode(error, 'INVALID_REQUEST');
  }
  const shown = toClientError(original, log, { path: error.path?.join('.') });
  return new GraphQLError(shown.details ? `${shown.message} ${shown.details}` : shown.message, {
    ...(error.path ? { path: error.path } : {}),
    ...(error.nodes ? { nodes: error.nodes } : {}),
    extensions: {
      code: shown.code,
      ...(shown.details ? { details: shown.details } : {}),
      ...(shown.errorId ? { errorId: shown.errorId } : {}),
    },
  });
}

/** The same error, carrying a code in `extensions` as every other error does (its own code when it has one). */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { code, ...error.extensions },
  });
}

function refused(message: string, code: string): PreparedOperation {
  return { ok: false, errors: [new GraphQLError(message, { extensions: { code } })] };
}

export function failure(status: number, message: string, code: string): GraphqlResponse {
  return { status, body: { errors: [new GraphQLError(message, { extensions: { code } })] } };
}
