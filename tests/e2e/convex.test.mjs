// The server on the Convex backend, against the emulator: one Convex call per
// request, and what happens when Convex is down, failing or stalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startEmulator, post, waitReady } from '../lib/server.mjs';
import { LiveClient } from '../lib/live.mjs';

const bin = process.env.DC_SERVER;
const fixture = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;
const KEY = 'e2e-admin-key';
const emulatorArgs = (extra = []) => ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY, ...extra];
const proxyArgs = (url, extra = []) => ['--convex-url', url, '--convex-deploy-key', KEY, ...extra];

const emu = (e, route, body) => body === undefined
  ? fetch(`${e.url}/_emulator/${route}`).then((r) => r.json())
  : fetch(`${e.url}/_emulator/${route}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());

async function pair(extra = []) {
  const emulator = await startEmulator(emulatorArgs());
  const server = await startServer(bin, proxyArgs(emulator.url, extra));
  await waitReady(server.url);
  return {
    emulator, server,
    async stop() {
      assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
      await emulator.stop();
    },
  };
}

const NESTED = { table: 'users', op: 'findMany', limit: 3, with: { posts: { limit: 2, with: { comments: { limit: 2, with: { author: true } }, tags: true } } } };

test('one Convex call per request: a 3-level with, and a transaction', async () => {
  const p = await pair();
  try {
    await emu(p.emulator, 'stats/reset', {});
    const r = await post(p.server.url, '/v1/query', NESTED);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.data[0].posts[0].comments.length > 0, 'the nested levels came back');
    let s = await emu(p.emulator, 'stats');
    assert.deepEqual(s.byKind, { query: 1 });
    const tx = await post(p.server.url, '/v1/mutate', { op: 'transaction', ops: [
      { op: 'insert', table: 'tags', values: { name: 'tx-one' } },
      { op: 'update', table: 'tags', where: { name: 'tx-one' }, set: { name: 'tx-two' } },
    ] });
    assert.equal(tx.status, 200, tx.text);
    s = await emu(p.emulator, 'stats');
    assert.deepEqual(s.byKind, { query: 1, mutation: 1 });
  } finally { await p.stop(); }
});

test('a write\'s request id reaches Convex\'s function logs, matching the access line; a read\'s does not', async () => {
  const p = await pair();
  try {
    const headers = { 'content-type': 'application/json', 'x-request-id': 'trace-write-42' };
    const w = await fetch(p.server.url + '/v1/mutate', { method: 'POST', headers, body: JSON.stringify({ op: 'insert', table: 'tags', values: { name: 'traced' } }) });
    assert.equal(w.status, 200, await w.text());
    assert.equal(w.headers.get('x-request-id'), 'trace-write-42');
    const r = await fetch(p.server.url + '/v1/query', { method: 'POST', headers: { ...headers, 'x-request-id': 'trace-read-43' },
      body: JSON.stringify({ table: 'tags', op: 'findMany', where: { name: 'traced' } }) });
    assert.equal(r.status, 200);
    const logs = await emu(p.emulator, 'logs');
    assert.deepEqual(logs.filter((l) => l.line.includes('trace-')), [{ path: 'drizzle:mutate', line: '[LOG] drizzle-convex request trace-write-42' }],
      'one log line for the write, none for the read (its arguments stay equal for Convex\'s query cache)');
    assert.match(p.server.stderr(), /"requestId":"trace-write-42","peer":"127\.0\.0\.1:\d+","method":"POST","path":"\/v1\/mutate"/);
  } finally { await p.stop(); }
});

test('Convex down at start: listening, /readyz 503 with a clear log line, ready once Convex answers', async () => {
  // Find a free port for the emulator, then start the server before it.
  const probe = await startEmulator(emulatorArgs());
  const port = probe.port;
  await probe.stop();
  const server = await startServer(bin, proxyArgs(`http://127.0.0.1:${port}`));
  try {
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    const q = await post(server.url, '/v1/query', { table: 'users', op: 'findFirst' });
    assert.equal(q.status, 503);
    assert.equal(q.json.error.code, 'UNAVAILABLE');
    const line = /Convex deployment at http:\/\/127\.0\.0\.1:\d+ is not usable yet .*retrying/;
    for (let i = 0; i < 200 && !line.test(server.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(server.stderr(), line);
    assert.doesNotMatch(server.stderr(), new RegExp(KEY));
    // /readyz gives the reason the log has, without the key.
    const why = await (await fetch(`${server.url}/readyz`)).json();
    assert.equal(why.error.code, 'UNAVAILABLE');
    assert.match(why.error.message, /^the backend is not ready: the Convex deployment at http:\/\/127\.0\.0\.1:\d+ is not usable yet: .+ \(retrying every \d+ s at most\)$/);
    assert.doesNotMatch(why.error.message, new RegExp(KEY));
    const emulator = await startEmulator(emulatorArgs(['--port', String(port)]));
    try {
      await waitReady(server.url, 20000);
      const ok = await post(server.url, '/v1/query', { table: 'users', op: 'findFirst', where: { _id: 'x' } });
      assert.equal(ok.status, 200, ok.text);
    } finally { await emulator.stop(); }
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('5xx bursts: reads are retried, then 503; a mutation is never repeated', async () => {
  const p = await pair();
  try {
    await emu(p.emulator, 'stats/reset', {});
    await emu(p.emulator, 'faults', { failNext: 2 });
    const r = await post(p.server.url, '/v1/query', { table: 'users', op: 'count' });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.data.count > 0);
    assert.equal((await emu(p.emulator, 'stats')).failed, 2, 'two failures, then the retry that succeeded');

    await emu(p.emulator, 'faults', { failNext: 50 });
    const down = await post(p.server.url, '/v1/query', { table: 'users', op: 'count' });
    assert.equal(down.status, 503, down.text);
    assert.equal(down.json.error.code, 'UNAVAILABLE');
    // Every attempt failed the same way: one log line per function per 10 s, not one per attempt
    // (two at most, should the bursts straddle 10 s on a slow machine; without the limiter, one per attempt: more).
    const retryLines = p.server.stderr().split('\n').filter((l) => /Convex call drizzle:execute attempt \d+ failed/.test(l));
    assert.ok(retryLines.length >= 1 && retryLines.length <= 2, retryLines.join('\n'));
    await emu(p.emulator, 'faults', { failNext: 0 });

    // The mutation commits, then the answer is lost to a 503: the proxy must
    // report the failure and not run it again.
    await emu(p.emulator, 'stats/reset', {});
    await emu(p.emulator, 'faults', { failAfterNext: 1 });
    const w = await post(p.server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'once-only' } });
    assert.equal(w.status, 503, w.text);
    assert.deepEqual((await emu(p.emulator, 'stats')).byKind, { mutation: 1 });
    const n = await post(p.server.url, '/v1/query', { table: 'tags', op: 'count', where: { name: 'once-only' } });
    assert.equal(n.json.data.count, 1);
  } finally { await p.stop(); }
});

test('a stalled upstream: 504 after the deadline, and the connection is closed', async () => {
  const p = await pair(['--convex-timeout', '700']);
  try {
    await emu(p.emulator, 'faults', { stall: true });
    const started = Date.now();
    const r = await post(p.server.url, '/v1/query', { table: 'users', op: 'findFirst' });
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json.error.code, 'UPSTREAM_TIMEOUT');
    assert.ok(Date.now() - started >= 600, 'answered only after the deadline');
    // The proxy closed its side: the emulator holds no stalled request.
    let s;
    for (let i = 0; i < 40; i++) {
      s = await emu(p.emulator, 'stats');
      if (s.stalled === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(s.stalled, 0);
    await emu(p.emulator, 'faults', { stall: false });
    const ok = await post(p.server.url, '/v1/query', { table: 'users', op: 'findFirst' });
    assert.equal(ok.status, 200, ok.text);
  } finally { await p.stop(); }
});

test('the adapter\'s errors keep their code and path through Convex', async () => {
  const p = await pair();
  try {
    const dup = await post(p.server.url, '/v1/mutate', { op: 'insert', table: 'users', values: { name: 'X', email: 'ada@x.io', role: 'member', credits: 1, langs: [] } });
    assert.equal(dup.status, 409, dup.text);
    assert.equal(dup.json.error.code, 'CONFLICT');
    assert.equal(dup.json.error.path, '/values/email');
  } finally { await p.stop(); }
});

test('https:// to Convex (queries and the sync WebSocket): verified against --convex-ca-file; refused without it', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'dc-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const emulator = await startEmulator(emulatorArgs(['--tls-cert', cert, '--tls-key', key]));
  try {
    const url = `https://localhost:${emulator.port}`;
    const trusted = await startServer(bin, proxyArgs(url, ['--convex-ca-file', cert]));
    try {
      await waitReady(trusted.url);
      const r = await post(trusted.url, '/v1/query', { table: 'users', op: 'count' });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.data.count > 0);
      // Live queries ride Convex's sync WebSocket over the same TLS (wss://), verified the same way.
      const live = await LiveClient.open(trusted.url);
      live.subscribe('n', { table: 'tags', op: 'count' });
      const before = (await live.waitVersion('n', 1, { timeoutMs: 10000 })).data.count;
      const w = await post(trusted.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'over-tls' } });
      assert.equal(w.status, 200, w.text);
      const second = await live.waitVersion('n', 2, { timeoutMs: 10000 });
      assert.equal(second.data.count, before + 1);
      await live.close();
    } finally { assert.equal(await trusted.stop(), 0); }
    const untrusted = await startServer(bin, proxyArgs(url));
    try {
      const line = /TLS handshake localhost:\d+: certificate verify failed/;
      for (let i = 0; i < 200 && !line.test(untrusted.stderr()); i++) await new Promise((res) => setTimeout(res, 50));
      assert.match(untrusted.stderr(), line);
      assert.equal((await fetch(`${untrusted.url}/readyz`)).status, 503);
    } finally { assert.equal(await untrusted.stop(), 0); }
  } finally { await emulator.stop(); }
});

test('on Convex the planner learns table sizes from whole-table reads and then drives a relation filter', async () => {
  const p = await pair();
  try {
    const q = { table: 'posts', columns: { title: true }, where: { tags: { name: 'classic' } }, orderBy: { views: 'desc' }, limit: 2 };
    const before = await post(p.server.url, '/v1/explain', q);
    assert.equal(before.status, 200, before.text);
    assert.equal(before.json.data.root.access.drivenBy, undefined, 'no sizes yet: the skip-scan stays');
    const first = await post(p.server.url, '/v1/query', q);
    // Two whole-table reads the adapter reports per access.
    assert.equal((await post(p.server.url, '/v1/query', { table: 'posts', op: 'count' })).status, 200);
    assert.equal((await post(p.server.url, '/v1/query', { table: 'tags' })).status, 200);
    const after = await post(p.server.url, '/v1/explain', q);
    const d = after.json.data.root.access.drivenBy;
    assert.ok(d, 'driven once posts and tags have been counted');
    assert.equal(d.relation, 'tags');
    assert.ok(d.estimate.driven * 2 <= d.estimate.scan, JSON.stringify(d.estimate));
    const second = await post(p.server.url, '/v1/query', q);
    assert.deepEqual(second.json.data, first.json.data, 'the same answer');
    assert.ok(Number(second.headers.get('x-docs-read')) < Number(first.headers.get('x-docs-read')),
      `${second.headers.get('x-docs-read')} < ${first.headers.get('x-docs-read')}`);
  } finally { await p.stop(); }
});
