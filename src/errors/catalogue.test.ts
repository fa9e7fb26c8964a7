import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { errorCatalogue } from './catalogue.ts';

test('every error code is documented in docs/API.md with its status', async () => {
  const doc = await readFile(new URL('../../docs/API.md', import.meta.url), 'utf8');
  for (const [code, entry] of Object.entries(errorCatalogue)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${entry.status} \\|`), `${code} is missing from docs/API.md`);
  }
});

test('every entry has a client-error or server-error status and a full-sentence message', () => {
  for (const [code, entry] of Object.entries(errorCatalogue)) {
    assert.match(code, /^[A-Z][A-Z_]+$/);
    assert.ok(entry.status >= 400 && entry.status < 600, code);
    assert.match(entry.message, /^[A-Z].{15,}\.$/, code);
  }
});
