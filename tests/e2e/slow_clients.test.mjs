// Slow or stalled clients cannot hold the server: many half-sent requests do
// not delay a normal one, and each stalled connection is closed at the read
// deadline (--read-timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;

test('stalled half-requests do not block others and are closed at the deadline', { timeout: 60000 }, async () => {
  const server = await startServer(bin, ['--demo', '--read-timeout', '2']);
  const STALLED = 300;
  const sockets = [];
  const closedAt = [];
  const opened = Date.now();
  try {
    await Promise.all(Array.from({ length: STALLED }, (_, i) => new Promise((resolve, reject) => {
      const s = net.connect(server.port, '127.0.0.1', () => {
        // Headers promise a body that never comes.
        s.write(`POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"table":`);
        resolve();
      });
      s.on('error', () => {});
      s.on('close', () => closedAt.push(Date.now() - opened));
      s.on('error', reject);
      sockets.push(s);
    })));
    // A normal client is served while those wait.
    const t0 = Date.now();
    const res = await post(server.url, '/v1/query', { table: 'tags', op: 'count' });
    assert.equal(res.status, 200);
    assert.equal(res.json.data.count, 12);
    assert.ok(Date.now() - t0 < 1500, `a normal request took ${Date.now() - t0} ms next to ${STALLED} stalled ones`);
    // The server closes every stalled connection once the 2 s deadline passes.
    const deadline = Date.now() + 10000;
    while (closedAt.length < STALLED && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(closedAt.length, STALLED, `${STALLED - closedAt.length} stalled connections still open`);
    assert.ok(Math.min(...closedAt) >= 1500, 'no connection was closed before its deadline');
    const after = await post(server.url, '/v1/query', { table: 'tags', op: 'count' });
    assert.equal(after.status, 200);
  } finally {
    for (const s of sockets) s.destroy();
    assert.equal(await server.stop(), 0);
  }
});
