import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../errors/AppError.ts';
import { placeFiles } from './multipartMap.ts';
import { isUploadedFile, uploadedFile } from './scalars.ts';

const file = uploadedFile({ filename: 'a.csv', mimetype: 'text/csv', stream: (async function* () {})() });
const operations = JSON.stringify({
  query: 'mutation($file: Upload!) { x }',
  variables: { file: null, list: [null, null] },
});

test('the file goes where map says: variables.<name> and variables.<name>.<index>', () => {
  const placed = placeFiles(operations, '{"0":["variables.file","variables.list.1"]}', '0', file);
  const variables = placed.variables as { file: unknown; list: unknown[] };
  assert.equal(variables.file, file);
  assert.equal(variables.list[1], file);
  assert.equal(variables.list[0], null);
});

test('paths outside the variables, through prototypes or past a list are refused, and nothing is polluted', () => {
  for (const path of [
    'variables.__proto__.mode',
    'variables.__proto__',
    'variables.constructor.prototype.mode',
    'variables.file.0',
    'variables.list.2',
    'variables.a.b.c',
    'query',
    'variables',
    'variables.',
    `variables.${'x'.repeat(65)}`,
  ]) {
    assert.throws(
      () => placeFiles(operations, JSON.stringify({ 0: [path] }), '0', file),
      (error: unknown) => error instanceof AppError && error.code === 'INVALID_REQUEST',
      path,
    );
  }
  assert.equal(({} as Record<string, unknown>).mode, undefined);
});

test('only files the multipart handler made count as uploads; JSON cannot pose as one', () => {
  assert.ok(isUploadedFile(file));
  assert.ok(!isUploadedFile({ stream: 1, filename: 'x' }));
  assert.ok(!isUploadedFile(JSON.parse('{"stream":{},"filename":"x"}')));
});
