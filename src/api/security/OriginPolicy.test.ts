import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OriginPolicy } from './OriginPolicy.ts';

test('on loopback: the listen port under 127.0.0.1, localhost and [::1]; nothing else', () => {
  const policy = new OriginPolicy({ publicUrl: undefined, listenHost: '127.0.0.1' });
  for (const host of ['127.0.0.1:8080', 'localhost:8080', 'LOCALHOST:8080', '[::1]:8080']) {
    assert.ok(policy.allowsHost(host, 8080), host);
  }
  for (const host of ['127.0.0.1:8081', 'evil.example:8080', 'evil.example', '', undefined]) {
    assert.ok(!policy.allowsHost(host, 8080), String(host));
  }
  assert.ok(policy.allowsOrigin('http://localhost:8080', 8080));
  assert.ok(!policy.allowsOrigin('https://localhost:8080', 8080), 'another scheme is another origin');
  assert.ok(!policy.allowsOrigin('null', 8080));
  assert.equal(policy.publicOrigin(8080), 'http://127.0.0.1:8080');
});

test('with PUBLIC_URL: its host with or without the default port, and the listen address', () => {
  const policy = new OriginPolicy({ publicUrl: new URL('https://tributary.example.com'), listenHost: '10.0.0.5' });
  assert.ok(policy.allowsHost('tributary.example.com', 8080));
  assert.ok(policy.allowsHost('tributary.example.com:443', 8080));
  assert.ok(policy.allowsHost('10.0.0.5:8080', 8080));
  assert.ok(!policy.allowsHost('tributary.example.com:80', 8080));
  assert.ok(policy.allowsOrigin('https://tributary.example.com', 8080));
  assert.ok(!policy.allowsOrigin('http://tributary.example.com', 8080));
  assert.equal(policy.publicOrigin(8080), 'https://tributary.example.com');
});
