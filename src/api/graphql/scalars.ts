import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** A file part of a GraphQL multipart request, placed into the variables by the multipart handler. */
export interface UploadedFile {
  readonly filename: string;
  readonly mimetype: string;
  readonly stream: AsyncIterable<Buffer>;
  /** Checks that nothing follows the file in the request (run before the upload is committed). */
  readonly beforeCommit?: () => Promise<void>;
}

/** Marks the files the multipart handler made: JSON variables can carry no symbol, so they cannot pose as a file. */
const UPLOADED_FILE = Symbol('UploadedFile');

export function uploadedFile(file: UploadedFile): UploadedFile {
  return Object.assign(Object.create(null), file, { [UPLOADED_FILE]: true }) as UploadedFile;
}

export function isUploadedFile(value: unknown): value is UploadedFile {
  return (
    typeof value === 'object' && value !== null && (value as { [UPLOADED_FILE]?: boolean })[UPLOADED_FILE] === true
  );
}

export const UploadScalar = new GraphQLScalarType({
  name: 'Upload',
  description:
    'A file sent as a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec).',
  parseValue(value) {
    if (isUploadedFile(value)) return value;
    throw new GraphQLError(
      'Upload values must be sent as a multipart request part, with a "map" entry pointing at it.',
    );
  },
  parseLiteral() {
    throw new GraphQLError('Upload literals are not supported: send the file as a multipart request part.');
  },
  serialize() {
    throw new GraphQLError('Upload is an input-only scalar.');
  },
});

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant as an ISO 8601 string in UTC, e.g. 2025-03-01T10:00:00.000Z.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`Not a valid instant: ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    const date = new Date(value as string);
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be ISO 8601');
    return date;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || Number.isNaN(Date.parse(ast.value))) {
      throw new GraphQLError('DateTime must be an ISO 8601 string');
    }
    return new Date(ast.value);
  },
});
