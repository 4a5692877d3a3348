// The read-result cache (--result-cache, docs/performance.md): a read asked
// again while nothing it read has changed is answered from the earlier
// answer's bytes with X-Docs-Read: 0; a write that reaches what it read
// drops it before the write is acknowledged, so no reader ever sees an
// answer older than a write it saw succeed; callers under other rules or
// claim values never share an answer; an auth reload drops everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startServer, startEmulator, post, metric, waitReady } from '../lib/server.mjs';
import { LiveClient } from '../lib/live.mjs';
import { hs256 } from '../lib/tokens.mjs';

const bin = process.env.DC_SERVER;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(root, 'tests/conformance/fixtures/blog');
const blog = ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--no-access-log'];
const docsRead = (res) => Number(res.headers.get('x-docs-read'));

test('a repeated read is a hit with the same bytes and X-Docs-Read 0; a write it read drops it, one it did not leaves it', { skip: !bin }, async () => {
  const server = await startServer(bin, blog);
  try {
    const u1 = { table: 'posts', op: 'findMany', where: { authorId: 'u1' }, orderBy: { _creationTime: 'asc' } };
    const first = await post(server.url, '/v1/query', u1);
    assert.equal(first.status, 200);
    assert.ok(docsRead(first) > 0);
    const again = await post(server.url, '/v1/query', u1);
    assert.equal(again.text, first.text);
    assert.equal(docsRead(again), 0, 'a hit reads nothing');
    assert.equal(await metric(server.url, 'dc_result_cache_hits_total'), 1);
    // The same query written with other bytes is another key (a miss), with the same answer.
    const spaced = await post(server.url, '/v1/query', JSON.stringify(u1, null, 1));
    assert.equal(spaced.json.data.length, first.json.data.length);
    assert.ok(docsRead(spaced) > 0);
    // A post of u2 does not reach u1's range: still a hit.
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'posts', values: { authorId: 'u2', title: 'elsewhere', published: true, category: 'misc', views: 1 } })).status, 200);
    assert.equal(docsRead(await post(server.url, '/v1/query', u1)), 0);
    // A post of u1 does: the next read runs, and holds the new row.
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'posts', values: { authorId: 'u1', title: 'fresh', published: true, category: 'misc', views: 1 } })).status, 200);
    const after = await post(server.url, '/v1/query', u1);
    assert.ok(docsRead(after) > 0);
    assert.equal(after.json.data.length, first.json.data.length + 1);
    assert.equal(after.json.data.at(-1).title, 'fresh');
    assert.ok(await metric(server.url, 'dc_result_cache_invalidations_total') >= 1);
    assert.ok(await metric(server.url, 'dc_result_cache_bytes') > after.text.length);
    assert.ok(await metric(server.url, 'dc_result_cache_entries') >= 2);
    // Errors are not kept.
    const bad = { table: 'posts', op: 'findMany', where: { nope: 1 } };
    assert.equal((await post(server.url, '/v1/query', bad)).status, 400);
    const hits = await metric(server.url, 'dc_result_cache_hits_total');
    assert.equal((await post(server.url, '/v1/query', bad)).status, 400);
    assert.equal(await metric(server.url, 'dc_result_cache_hits_total'), hits);
  } finally {
    await server.stop();
  }
});

test('--result-cache 0 keeps nothing; a relation read is dropped by a write to the related table', { skip: !bin }, async () => {
  const off = await startServer(bin, [...blog, '--result-cache', '0']);
  try {
    const q = { table: 'users', op: 'findMany', limit: 3 };
    await post(off.url, '/v1/query', q);
    assert.ok(docsRead(await post(off.url, '/v1/query', q)) > 0);
    assert.equal(await metric(off.url, 'dc_result_cache_hits_total'), 0);
    assert.equal(await metric(off.url, 'dc_result_cache_bytes'), 0);
  } finally {
    await off.stop();
  }
  const on = await startServer(bin, [...blog, '--result-cache', '1048576']);
  try {
    const q = { table: 'users', op: 'findFirst', where: { _id: 'u1' }, with: { posts: { columns: { title: true } } } };
    const before = await post(on.url, '/v1/query', q);
    assert.equal(docsRead(await post(on.url, '/v1/query', q)), 0);
    assert.equal((await post(on.url, '/v1/mutate', { op: 'update', table: 'posts', where: { authorId: 'u1' }, set: { title: 'renamed' } })).status, 200);
    const after = await post(on.url, '/v1/query', q);
    assert.ok(docsRead(after) > 0);
    assert.ok(after.json.data.posts.length > 0 && after.json.data.posts.every((p) => p.title === 'renamed'));
    assert.notEqual(after.text, before.text);
  } finally {
    await on.stop();
  }
});

const durable = () => ['--data-dir', mkdtempSync(join(tmpdir(), 'dc-result-cache-data-')), '--engine-threads', '2', '--threads', '2'];
for (const [mode, flags] of [['memory only', () => ['--threads', '2']], ['durable, group commit on engine threads', durable]]) test(`no stale answer after an acknowledged write (${mode}): writers and readers racing, and a live subscriber's view`, { skip: !bin }, async () => {
  const server = await startServer(bin, [...blog, ...flags()]);
  try {
    const count = { table: 'tags', op: 'count' };
    const list = { table: 'tags', op: 'findMany', orderBy: { _creationTime: 'asc' } };
    const live = await LiveClient.open(server.url);
    live.subscribe('tags', list);
    let acknowledged = (await post(server.url, "/v1/query", count)).json.data.count;
    // Each round: readers hammer the cached reads while one insert is in flight;
    // once the insert is acknowledged, every read started after sees it.
    for (let round = 0; round < 40; round++) {
      const write = post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: `race-${round}` } });
      const during = await Promise.all(Array.from({ length: 8 }, () => post(server.url, '/v1/query', count)));
      for (const r of during) assert.ok(r.json.data.count === acknowledged || r.json.data.count === acknowledged + 1, r.text);
      assert.equal((await write).status, 200);
      acknowledged += 1;
      const seen = await Promise.all([post(server.url, '/v1/query', count), post(server.url, '/v1/query', list)]);
      assert.equal(seen[0].json.data.count, acknowledged, `round ${round}: the count after the write was acknowledged`);
      assert.equal(seen[1].json.data.at(-1).name, `race-${round}`);
    }
    assert.ok(await metric(server.url, 'dc_result_cache_hits_total') > 0, 'the readers between writes were served from the cache');
    // The live view ends where the HTTP reads do.
    await live.waitFor(() => live.state.get('tags')?.data?.at(-1)?.name === 'race-39');
    assert.equal(live.state.get('tags').data.length, acknowledged);
    await live.close();
  } finally {
    await server.stop();
  }
});

test('callers under different rules or claim values never share an answer; a SIGHUP reload drops every answer', { skip: !bin }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-result-cache-'));
  const secret = 'result-cache-secret-0123456789abcdef';
  const rules = (filter) => ({
    jwt: { secret, algorithms: ['HS256'] },
    defaultRole: 'user',
    roles: { admin: { bypass: true }, user: { tables: { posts: { select: { filter } }, users: { select: {} } } } },
  });
  const authFile = join(dir, 'auth.json');
  writeFileSync(authFile, JSON.stringify(rules({ authorId: { $claim: 'sub' } })));
  const server = await startServer(bin, [...blog, '--auth', authFile]);
  const as = (sub) => ({ authorization: `Bearer ${hs256(secret, { sub, role: 'user', exp: Math.floor(Date.now() / 1000) + 3600 })}` });
  try {
    const q = { table: 'posts', op: 'findMany', columns: { authorId: true, published: true } };
    const u1 = await post(server.url, '/v1/query', q, as('u1'));
    const u2 = await post(server.url, '/v1/query', q, as('u2'));
    assert.equal(u1.status, 200);
    assert.ok(u1.json.data.length > 0 && u1.json.data.every((p) => p.authorId === 'u1'));
    assert.ok(u1.json.data.some((p) => !p.published), 'the fixture gives u1 an unpublished post');
    assert.ok(u2.json.data.length > 0 && u2.json.data.every((p) => p.authorId === 'u2'));
    const u1again = await post(server.url, '/v1/query', q, as('u1'));
    assert.equal(u1again.text, u1.text);
    assert.equal(u1again.headers.get('x-docs-read'), null, 'a caller whose rules hide rows is not told documents read, hit or not');
    assert.equal(await metric(server.url, 'dc_result_cache_hits_total'), 1);
    // Narrower rules by SIGHUP: the same request is not answered from before.
    writeFileSync(authFile, JSON.stringify(rules({ AND: [{ authorId: { $claim: 'sub' } }, { published: true }] })));
    server.proc.kill('SIGHUP');
    let replay;
    for (let i = 0; i < 100; i++) {
      replay = await post(server.url, '/v1/query', q, as('u1'));
      if (replay.json.data.every((p) => p.published)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(replay.json.data.length > 0 && replay.json.data.every((p) => p.published && p.authorId === 'u1'), replay.text);
    assert.ok(await metric(server.url, 'dc_result_cache_invalidations_total') >= 2, 'the reload dropped the kept answers');
  } finally {
    await server.stop();
  }
});

test('on Convex nothing is kept: the deployment has writers the proxy cannot see', { skip: !bin }, async () => {
  const KEY = 'result-cache-admin-key';
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log']);
  try {
    await waitReady(server.url);
    const q = { table: 'tags', op: 'findMany', orderBy: { name: 'asc' } };
    const first = await post(server.url, '/v1/query', q);
    assert.equal(first.status, 200);
    const again = await post(server.url, '/v1/query', q);
    assert.equal(again.status, 200);
    assert.ok(docsRead(again) > 0, 'the read ran again on Convex');
    assert.equal(await metric(server.url, 'dc_result_cache_hits_total'), 0);
    assert.equal(await metric(server.url, 'dc_result_cache_entries'), 0);
  } finally {
    await server.stop();
    await emulator.stop();
  }
});
