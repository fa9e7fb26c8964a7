import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse } from 'graphql';
import { queryCost } from './queryCost.ts';
import { typeDefs } from './typeDefs.ts';

const schema = makeExecutableSchema({ typeDefs });
const cost = (query: string, variables: Record<string, unknown> = {}) =>
  queryCost(schema, parse(query), variables, undefined);

test('a page of rejected rows costs 1 per row, 9 with its raw text; variables are priced too', () => {
  assert.equal(cost('{ ingestionTask(taskId: "x") { rejections(first: 100) { line } } }'), 1 + 100);
  assert.equal(cost('{ ingestionTask(taskId: "x") { rejections(first: 1000) { raw } } }'), 1 + 9000);
  assert.equal(cost('query($n: Int) { ingestionTask(taskId: "x") { rejections(first: $n) { raw } } }', { n: 10 }), 91);
  assert.equal(cost('{ ingestionTask(taskId: "x") { rejections { line } } }'), 1 + 100, 'the default page');
});

test('pages multiply what they hold, so rejections of every task at once are priced out', () => {
  const nested = cost('{ ingestionTasks(first: 1000) { nodes { rejections(first: 1000) { raw } } } }');
  assert.ok(nested > 1_000_000, String(nested));
  assert.equal(cost('{ ingestionTasks(first: 20) { nodes { taskId status } } }'), 20 * 2);
});

test('aliases repeat the cost: 25 pages of 1,000 raw rows cost 25 times one', () => {
  const aliases = Array.from({ length: 25 }, (_, i) => `a${i}: rejections(first: 1000) { raw }`).join(' ');
  assert.equal(cost(`{ ingestionTask(taskId: "x") { ${aliases} } }`), 1 + 25 * 9000);
});
