import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_KEY_PATTERN, newApiKeySecret, randomBase62, secretHash } from './apiKeySecret.ts';

test('a new key is trb_ and 40 base62 characters, different each time, and matches the accepted pattern', () => {
  const keys = new Set(Array.from({ length: 1000 }, () => newApiKeySecret()));
  assert.equal(keys.size, 1000);
  for (const key of keys) {
    assert.match(key, /^trb_[A-Za-z0-9]{40}$/);
    assert.match(key, API_KEY_PATTERN);
  }
});

test('base62 characters are drawn evenly (rejection sampling): every character appears, none dominates', () => {
  const text = randomBase62(62_000);
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 62);
  for (const [c, n] of counts) assert.ok(n > 800 && n < 1200, `${c}: ${n}`);
});

test('only a SHA-256 of the secret is kept', () => {
  assert.match(secretHash('trb_x'), /^[0-9a-f]{64}$/);
  assert.notEqual(secretHash('trb_x'), secretHash('trb_y'));
});
