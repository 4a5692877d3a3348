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

test('a live reader that stops reading an 8 MB result that keeps changing holds the server under 300 MiB (the defaults; --live-outbox-bytes)', { skip: !bin, timeout: 180000 }, async () => {
  const { LiveClient } = await import('../lib/live.mjs');
  const { readFileSync } = await import('node:fs');
  const peakMiB = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  try {
    const filler = 'z'.repeat(4000);
    for (let b = 0; b < 4; b++) {
      const values = Array.from({ length: 500 }, (_, i) => ({ name: `big-${b}-${String(i).padStart(3, '0')}-${filler}` }));
      assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values })).status, 200);
    }
    const query = { table: 'tags', op: 'findMany', orderBy: { name: 'asc' } };
    const slow = await LiveClient.open(server.url);
    slow.subscribe('all', query);
    await slow.waitVersion('all', 1, { timeoutMs: 60000 });
    slow.ws._socket.pause();  // never reads again
    for (let i = 0; i < 80; i++) {
      const w = await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: `a-${String(i).padStart(3, '0')}` } });
      assert.equal(w.status, 200);
    }
    const peak = peakMiB(server.proc.pid);
    console.log(`server peak RSS ${peak.toFixed(0)} MiB with a stopped reader of an ~8 MB result changed 80 times; socket ${slow.closeCode ?? 'open'}`);
    // ASan's allocator keeps what is freed (DC_SANITIZED): the bound holds on the other builds.
    if (process.env.DC_SANITIZED !== '1') assert.ok(peak < 300, `peak RSS ${peak.toFixed(0)} MiB`);
    slow.ws.terminate();
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});
