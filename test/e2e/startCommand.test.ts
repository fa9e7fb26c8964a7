import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { asTask, uploadViaGraphql, waitForTerminal } from '../support/client.ts';
import { freePort } from '../support/freePort.ts';

const main = new URL('../../src/main.ts', import.meta.url).pathname;

test('the start command runs the whole service on embedded defaults and stops cleanly on SIGTERM', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-start-'));
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (!output.includes('tributary started')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(output, /"database":"pglite","objectStore":"local","analyticsStore":"duckdb"/);
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${baseUrl}/readyz`)).status, 200);
    // The first start made the server-admin key: its secret alone in DATA_DIR/admin-api-key (0600), and the log
    // carries the sign-in link once.
    const keyFile = path.join(dataDir, 'admin-api-key');
    const secret = (await readFile(keyFile, 'utf8')).trim();
    assert.match(secret, /^trb_[A-Za-z0-9]{32,}$/);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.ok(output.includes(`${baseUrl}/sign-in#key=${secret}`), output);
    const api = { baseUrl, authorization: `Bearer ${secret}` };
    assert.equal((await fetch(`${baseUrl}/api/v1/tasks`)).status, 401);
    const upload = await uploadViaGraphql(api, {
      dataSourceName: 'smoke',
      filename: 'smoke.csv',
      content: 'sold_at,store,units\n2025-05-01T10:00:00Z,A,3\n',
    });
    const task = await waitForTerminal(api, asTask(upload.result).taskId);
    assert.equal(task.status, 'SUCCEEDED');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a bad configuration stops the start command with the variable named', async () => {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: 'eighty', DATA_DIR: tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /Configuration error: PORT must be a whole number, got "eighty"/);
});
