import { AppError } from '../../errors/AppError.ts';
import type { GraphqlRequest } from './executeGraphql.ts';
import type { UploadedFile } from './scalars.ts';

const VARIABLE_NAME = /^[A-Za-z][_0-9A-Za-z]{0,63}$|^_[0-9A-Za-z][_0-9A-Za-z]{0,62}$/;
const MAP_PATH = /^variables\.([^.]+)(?:\.(\d{1,3}))?$/;

/**
 * Builds the operation from the multipart `operations` and `map` fields and puts the file where `map` says. Only
 * the paths `variables.<name>` and `variables.<name>.<index>` are accepted (a name cannot start with `__`), and only
 * into the request's own variables: no client string can reach an object's prototype. `fileField` null: no file
 * part arrived, so `map` must be empty.
 */
export function placeFiles(
  operationsText: string,
  mapText: string,
  fileField: string | null,
  file: UploadedFile | null,
): GraphqlRequest {
  const operations = parseJson(operationsText, 'operations');
  if (typeof operations !== 'object' || operations === null || Array.isArray(operations)) {
    throw invalid('"operations" must be one operation object (batches are not supported).');
  }
  const map = parseJson(mapText, 'map');
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw invalid('"map" must be an object.');
  const entries = Object.entries(map);
  if (entries.length > 1) throw invalid('Send one file per request.');
  const request = operations as GraphqlRequest;
  const variables = request.variables ?? {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
    throw invalid('"variables" must be an object.');
  }
  if (fileField === null || file === null) {
    if (entries.length > 0) throw invalid('The file named in "map" is missing from the request.');
    return request;
  }
  const [field, paths] = entries[0] ?? [];
  if (field !== fileField) throw invalid(`The file field "${fileField}" is not named in "map".`);
  if (!Array.isArray(paths) || paths.length === 0 || paths.length > 10) {
    throw invalid('Each "map" entry must be an array of 1 to 10 paths.');
  }
  for (const path of paths) {
    if (typeof path !== 'string') throw invalid('Each "map" path must be a string.');
    setFile(variables as Record<string, unknown>, path, file);
  }
  return { ...request, variables };
}

function setFile(variables: Record<string, unknown>, path: string, file: UploadedFile): void {
  const match = MAP_PATH.exec(path);
  const name = match?.[1];
  if (!match || name === undefined || !VARIABLE_NAME.test(name)) {
    throw invalid(`The map path "${path.slice(0, 100)}" is not "variables.<name>" or "variables.<name>.<index>".`);
  }
  const index = match[2];
  if (index === undefined) {
    Object.defineProperty(variables, name, { value: file, enumerable: true, writable: true, configurable: true });
    return;
  }
  const list = Object.hasOwn(variables, name) ? variables[name] : undefined;
  const position = Number(index);
  if (!Array.isArray(list) || position >= list.length) {
    throw invalid(`The map path "${path}" points past the list in variables.${name}.`);
  }
  list[position] = file;
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`The "${name}" field is not valid JSON.`);
  }
}

function invalid(message: string): AppError {
  return new AppError('INVALID_REQUEST', message);
}
