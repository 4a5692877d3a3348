// /metrics as a Prometheus server reads it (issue 17): the whole exposition
// parses strictly (tests/lib/prometheus.mjs), histograms are cumulative and
// end with +Inf, and the series an operator alerts on move with traffic:
// request durations by route and status class, auth failures by reason,
// rate limiting, the log's sync time, and Convex call durations by function
// and outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startServer, startEmulator, post, waitReady } from '../lib/server.mjs';
import { hs256 } from '../lib/tokens.mjs';
import { parsePrometheus, sample } from '../lib/prometheus.mjs';

const bin = process.env.DC_SERVER;
const blog = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;
const scrape = async (url) => {
  const res = await fetch(url + '/metrics');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4');
  return parsePrometheus(await res.text());
};
const duration = (m, route, code) => sample(m, 'dc_http_request_duration_seconds', 'dc_http_request_duration_seconds_count', { route, code });

test('request durations by route and status class; the log\'s sync time', { skip: !bin }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-metrics-'));
  const server = await startServer(bin, ['--demo', '--data-dir', dir, '--no-access-log']);
  try {
    const before = await scrape(server.url);
    for (let i = 0; i < 3; i++) assert.equal((await post(server.url, '/v1/query', { table: 'users', op: 'count' })).status, 200);
    assert.equal((await post(server.url, '/v1/query', { table: 'nope', op: 'count' })).status, 400);
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'metrics' } })).status, 200);
    assert.equal((await fetch(server.url + '/nowhere')).status, 404);
    const after = await scrape(server.url);
    assert.equal((duration(after, '/v1/query', '2xx') ?? 0) - (duration(before, '/v1/query', '2xx') ?? 0), 3);
    assert.equal(duration(after, '/v1/query', '4xx'), 1);
    assert.equal(duration(after, '/v1/mutate', '2xx'), 1);
    assert.equal(duration(after, 'other', '4xx'), 1, 'an unknown path is counted under route="other", never by its raw path');
    const routes = new Set(after.get('dc_http_request_duration_seconds').samples.map((s) => s.labels.route));
    assert.ok(!routes.has('/nowhere'));
    // Durations are seconds: three counts on a laptop take well under a second each.
    const sum = sample(after, 'dc_http_request_duration_seconds', 'dc_http_request_duration_seconds_sum', { route: '/v1/query', code: '2xx' });
    assert.ok(sum > 0 && sum < 10, `sum ${sum}`);
    assert.ok(sample(after, 'dc_engine_wal_sync_duration_seconds', 'dc_engine_wal_sync_duration_seconds_count') >= 1);
    // The demo data was snapshotted at the first start.
    assert.ok(sample(after, 'dc_engine_snapshot_duration_seconds', 'dc_engine_snapshot_duration_seconds_count') >= 1);
    assert.equal(sample(after, 'dc_engine_snapshot_failures_total', 'dc_engine_snapshot_failures_total'), 0);
    assert.equal(after.get('dc_http_requests_total').type, 'counter');
  } finally {
    await server.stop();
  }
});

test('documents read by table: a read under its root table, relations included; a mixed transaction under "(several)"', { skip: !bin }, async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  const reads = (m, table) => sample(m, 'dc_table_documents_read_total', 'dc_table_documents_read_total', { table }) ?? 0;
  try {
    const before = await scrape(server.url);
    let posts = 0;
    // A count with a filter no index serves reads its rows (a plain count is answered from the engine's counts).
    for (const body of [{ table: 'posts', op: 'findMany', with: { author: true }, limit: 3 }, { table: 'posts', op: 'count', where: { title: { like: '%a%' } } }]) {
      const res = await fetch(server.url + '/v1/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200);
      posts += Number(res.headers.get('x-docs-read'));
    }
    const tx = await fetch(server.url + '/v1/mutate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({
      op: 'transaction', ops: [
        { op: 'insert', table: 'tags', values: { name: 'by-table' } },
        { op: 'update', table: 'users', set: { name: 'Renamed' }, where: { name: 'nobody of that name' } }] }) });
    assert.equal(tx.status, 200, await tx.text());
    const after = await scrape(server.url);
    assert.ok(posts > 6, 'the read with authors read posts and their authors');
    assert.equal(reads(after, 'posts') - reads(before, 'posts'), posts, 'users read through posts.author count under posts');
    assert.equal(reads(after, 'users'), reads(before, 'users'));
    assert.equal(reads(after, '(several)') - reads(before, '(several)'), Number(tx.headers.get('x-docs-read')));
    assert.equal(after.get('dc_table_documents_read_total').type, 'counter');
  } finally {
    await server.stop();
  }
});

test('auth failures by reason and rate limiting', { skip: !bin }, async () => {
  // The blog's rules, with the role `user` limited to 5 requests per second (a burst of 5).
  const auth = JSON.parse(readFileSync(join(blog, 'auth.json'), 'utf8'));
  auth.roles.user.limits = { ...auth.roles.user.limits, requestsPerSecond: 5, burst: 5 };
  const authFile = join(mkdtempSync(join(tmpdir(), 'dc-metrics-auth-')), 'auth.json');
  writeFileSync(authFile, JSON.stringify(auth));
  const server = await startServer(bin, ['--schema', join(blog, 'schema.json'), '--import', join(blog, 'data'),
    '--auth', authFile, '--no-access-log']);
  try {
    const token = hs256('conformance-secret-0123456789abcdef', { sub: 'u3' });
    const forged = hs256('not-the-secret-0123456789abcdef-xx', { sub: 'u3' });
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' })).status, 401);
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' }, { Authorization: `Bearer ${forged}` })).status, 401);
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' }, { Authorization: 'Basic abc' })).status, 401);
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'x' } },
      { Authorization: `Bearer ${token}` })).status, 403);
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' }, { Authorization: `Bearer ${token}` })).status, 200);
    let limited = 0;
    for (let i = 0; i < 10; i++) {
      const r = await post(server.url, '/v1/query', { table: 'tags', op: 'count' }, { Authorization: `Bearer ${token}` });
      if (r.status === 429) limited++;
    }
    assert.ok(limited >= 1, 'ten quick requests over a burst of five: some are refused');
    const m = await scrape(server.url);
    assert.equal(sample(m, 'dc_auth_failures_total', 'dc_auth_failures_total', { reason: 'missing' }), 1);
    assert.equal(sample(m, 'dc_auth_failures_total', 'dc_auth_failures_total', { reason: 'invalid' }), 2);
    assert.equal(sample(m, 'dc_auth_failures_total', 'dc_auth_failures_total', { reason: 'forbidden' }), 1);
    assert.equal(sample(m, 'dc_rate_limited_total', 'dc_rate_limited_total'), limited);
    assert.equal(duration(m, '/v1/query', '4xx'), 3 + limited);
  } finally {
    await server.stop();
  }
});

test('Convex call durations by adapter function and outcome', { skip: !bin, timeout: 60000 }, async () => {
  const KEY = 'metrics-admin-key';
  const emulator = await startEmulator(['--schema', join(blog, 'schema.json'), '--import', join(blog, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log']);
  try {
    await waitReady(server.url);
    assert.equal((await post(server.url, '/v1/query', { table: 'users', op: 'findMany', limit: 2 })).status, 200);
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'metrics' } })).status, 200);
    const m = await scrape(server.url);
    const calls = (fn, outcome) => sample(m, 'dc_convex_call_duration_seconds', 'dc_convex_call_duration_seconds_count', { function: fn, outcome });
    assert.ok(calls('execute', 'ok') >= 1);
    assert.equal(calls('mutate', 'ok'), 1);
    assert.ok(calls('describe', 'ok') >= 1, 'the schema is read from the adapter at start');
    for (const s of m.get('dc_convex_call_duration_seconds').samples) {
      assert.ok(['execute', 'mutate', 'describe', 'other'].includes(s.labels.function), s.labels.function);
    }
  } finally {
    await server.stop();
    await emulator.stop();
  }
});

test('process_* metrics as every Prometheus client exports them: CPU, memory, descriptors, start time', { skip: !bin }, async () => {
  const startedAround = Date.now() / 1000;
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  try {
    for (let i = 0; i < 50; i++) await post(server.url, '/v1/query', { table: 'posts', op: 'findMany', limit: 50 });
    const m = await scrape(server.url);
    const one = (name) => {
      const f = m.get(name);
      assert.ok(f, `${name} is exported`);
      assert.equal(f.samples.length, 1, name);
      return f.samples[0].value;
    };
    assert.equal(m.get('process_cpu_seconds_total').type, 'counter');
    assert.ok(one('process_cpu_seconds_total') > 0);
    const rss = one('process_resident_memory_bytes');
    assert.ok(rss > 2 ** 20 && rss < 8 * 2 ** 30, `rss ${rss}`);
    assert.ok(one('process_virtual_memory_bytes') >= rss);
    const fds = one('process_open_fds');
    assert.ok(fds >= 3 && fds < one('process_max_fds'), `fds ${fds}`);
    const start = one('process_start_time_seconds');
    assert.ok(Math.abs(start - startedAround) < 60, `start ${start} against ${startedAround}`);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
