// drizzle-convex-client (client/ts) against the real server: every op,
// values decoded (int64 → bigint), errors with their paths, live reads with
// patches, a live read across a server restart, a token (a function called
// per request), and the same reads through the Convex emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { connect, clientSchema, unset, DrizzleConvexError } from 'drizzle-convex-client';
import { startServer, startEmulator, waitReady, startProgram } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const fixture = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;
const schemaJson = JSON.parse(readFileSync(join(fixture, 'schema.json'), 'utf8'));
const schema = clientSchema({ ...schemaJson, relations: schemaJson.relations });
const blogArgs = ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data')];

function jwt(claims) {
  const secret = JSON.parse(readFileSync(join(fixture, 'auth.json'), 'utf8')).jwt.secret;
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims });
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

// A read or mutation is a thenable (like Drizzle's queries), not a Promise.
const rejects = (thenable, predicate) => assert.rejects(Promise.resolve(thenable), predicate);

// Resolves with the first value `predicate` accepts among a subscription's results.
function nextMatching(read, predicate, ms = 10000) {
  return new Promise((resolve, reject) => {
    let stop = () => {};
    const timer = setTimeout(() => { stop(); reject(new Error('no matching live result in time')); }, ms);
    stop = read.subscribe((r) => { if (predicate(r)) { clearTimeout(timer); stop(); resolve(r); } }, (e) => { clearTimeout(timer); stop(); reject(e); });
  });
}

test('reads: columns, nested with, findFirst, paginate, count, aggregate; int64 as bigint', { skip: !bin }, async () => {
  const server = await startServer(bin, blogArgs);
  const db = connect({ url: server.url, schema, WebSocket });
  try {
    const users = await db.query.users.findMany({
      columns: { name: true, balance: true },
      where: { role: 'admin' },
      with: { posts: { columns: { title: true }, orderBy: { _creationTime: 'desc' }, limit: 2 }, profile: { columns: { bio: true } } },
      orderBy: { name: 'asc' },
    });
    assert.ok(users.length > 0);
    for (const u of users) {
      assert.deepEqual(Object.keys(u).sort(), [...('balance' in u ? ['balance'] : []), 'name', 'posts', 'profile'].sort());
      assert.ok(Array.isArray(u.posts) && u.posts.length <= 2);
      assert.ok(u.profile === null || typeof u.profile.bio === 'string');
    }
    const withBalance = await db.query.users.findFirst({ where: { balance: { isNotNull: true } }, columns: { balance: true } });
    assert.equal(typeof withBalance.balance, 'bigint');
    const big = await db.query.users.findMany({ where: { balance: { gt: 0n } }, columns: { balance: true } });
    assert.ok(big.every((u) => u.balance > 0n), 'a bigint in a filter is sent as $integer');

    let cursor = null;
    const titles = [];
    for (;;) {
      const page = await db.query.posts.paginate({ numItems: 40, cursor, columns: { title: true }, orderBy: { _creationTime: 'asc' } });
      titles.push(...page.page.map((p) => p.title));
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    assert.equal(titles.length, await db.query.posts.count());
    assert.equal(typeof (await db.query.posts.count({ where: { published: true } })), 'number');
    assert.equal(await db.query.posts.findFirst({ where: { title: 'no such title' } }), null);
    const counted = await db.query.users.findFirst({ where: { _id: 'u1' }, columns: { name: true }, with: { _count: { posts: true } } });
    assert.deepEqual(counted, { name: 'Ada Lovelace', _count: { posts: 3 } });
    // aggregate: an int64 sum arrives as a bigint; groups come ordered.
    const byRole = await db.query.users.aggregate({ groupBy: 'role', aggregates: { people: { count: true }, balance: { sum: 'balance' } } });
    assert.deepEqual(byRole, [
      { role: 'admin', people: 2, balance: 1000n },
      { role: 'editor', people: 2, balance: -1n },
      { role: 'member', people: 4, balance: null },
    ]);
    assert.deepEqual(await db.query.posts.aggregate({ where: { published: false }, aggregates: { n: { count: true }, views: { avg: 'views' } } }),
      { n: 3, views: (20 + 100 + 50) / 3 });
  } finally {
    await db.close();
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});

test('writes: insert, onConflict, update with unset, delete, returning, transaction, explain', { skip: !bin }, async () => {
  const server = await startServer(bin, blogArgs);
  const db = connect({ url: server.url, schema });
  try {
    const ins = await db.insert(schema.tags).values([{ name: 'ts-a' }, { name: 'ts-b' }]);
    assert.equal(ins.rowsAffected, 2);
    assert.equal(ins.ids.length, 2);
    const [row] = await db.insert(schema.tags).values({ name: 'ts-a' }).onConflictDoUpdate({ target: 'name', set: { name: 'ts-a2' } }).returning({ name: true });
    assert.deepEqual(row, { name: 'ts-a2' });
    const skipped = await db.insert(schema.tags).values({ name: 'ts-b' }).onConflictDoNothing({ target: ['name'] });
    assert.equal(skipped.rowsAffected, 0);

    const user = await db.query.users.findFirst({ where: { nickname: { isNotNull: true } }, columns: { _id: true } });
    const upd = await db.update(schema.users).set({ nickname: unset, balance: 7n }).where({ _id: user._id }).returning({ nickname: true, balance: true });
    assert.deepEqual(upd, [{ balance: 7n }]);

    const del = await db.delete(schema.tags).where({ name: { startsWith: 'ts-' } }).returning({ name: true });
    assert.deepEqual(del.map((t) => t.name).sort(), ['ts-a2', 'ts-b']);

    const [made, gone] = await db.transaction([
      db.insert(schema.tags).values({ name: 'ts-t' }).returning({ name: true }),
      db.delete(schema.tags).where({ name: 'ts-t' }),
    ]);
    assert.deepEqual(made, [{ name: 'ts-t' }]);
    assert.deepEqual(gone, { rowsAffected: 1 });

    const plan = await db.explain(db.query.posts.findMany({ where: { published: true }, limit: 3 }));
    assert.equal(plan.kind, 'read');
    const mplan = await db.explain(db.delete(schema.tags).where({ name: 'x' }));
    assert.equal(mplan.kind, 'mutation');
    // Plans are JSON as the server wrote them ("$unset" and all), not decoded values.
    const unsetPlan = await db.explain(db.update(schema.users).set({ nickname: unset }).where({}));
    assert.deepEqual(unsetPlan.steps[0].set.nickname, { $unset: true });
  } finally {
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});

test('errors: code, status and path from the server; network failures apart; a failed transaction leaves nothing', { skip: !bin }, async () => {
  const server = await startServer(bin, blogArgs);
  const db = connect({ url: server.url, schema });
  try {
    await rejects(db.query.users.findMany({ where: { nme: 'x' } }), (e) =>
      e instanceof DrizzleConvexError && e.code === 'INVALID_QUERY' && e.status === 400 && e.path === '/where/nme' && !e.isNetworkError);
    await rejects(db.insert(schema.tags).values({ name: 7 }), (e) => e.code === 'INVALID_VALUE' && e.path === '/values/name');
    const before = await db.query.tags.count();
    await rejects(db.transaction([
      db.insert(schema.tags).values({ name: 'tx-1' }),
      db.insert(schema.tags).values({ name: 'tx-1' }),
    ]), (e) => e.code === 'CONFLICT' && e.status === 409);
    assert.equal(await db.query.tags.count(), before);
  } finally {
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
  const gone = connect({ url: server.url, schema, timeout: 3000 });
  await rejects(gone.query.tags.findMany(), (e) => e instanceof DrizzleConvexError && e.code === 'NETWORK_ERROR' && e.isNetworkError && e.status === 0);
  const aborted = new AbortController();
  aborted.abort();
  await rejects(gone.query.tags.findMany().execute({ signal: aborted.signal }), (e) => e.code === 'ABORTED');
});

test('a token: sent on every request (a function is called each time) and in the live connection', { skip: !bin }, async () => {
  const server = await startServer(bin, [...blogArgs, '--auth', join(fixture, 'auth.json')]);
  let calls = 0;
  const db = connect({ url: server.url, schema, WebSocket, token: () => { calls++; return jwt({ sub: 'nobody' }); } });
  try {
    // Role "user" sees users' _id and name only (auth.json).
    const users = await db.query.users.findMany({ columns: { name: true }, limit: 2 });
    assert.equal(users.length, 2);
    await rejects(db.query.users.findMany({ columns: { email: true } }), (e) => e.code === 'FORBIDDEN' || e.code === 'INVALID_QUERY');
    assert.ok(calls >= 2);
    const anonymous = connect({ url: server.url, schema });
    await rejects(anonymous.query.users.findMany(), (e) => e.status === 401);
    const live = await nextMatching(db.query.tags.findMany({ columns: { name: true } }), (t) => t.length > 0);
    assert.ok(live.length > 0);
  } finally {
    await db.close();
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});

test('live: results pushed on change (patches applied), stopped by the returned function', { skip: !bin }, async () => {
  const server = await startServer(bin, blogArgs);
  const db = connect({ url: server.url, schema, WebSocket });
  try {
    const read = db.query.tags.findMany({ columns: { name: true }, orderBy: { name: 'asc' } });
    const results = [];
    const stop = read.subscribe((r) => results.push(r));
    const first = await nextMatching(read, () => true);
    await db.insert(schema.tags).values({ name: 'zz-live' });
    const after = await nextMatching(read, (r) => r.some((t) => t.name === 'zz-live'));
    assert.equal(after.length, first.length + 1);
    // A callback that throws is reported to its own onError and leaves the shared socket (and the read above) alone.
    const thrown = new Promise((resolve) => db.query.tags.findMany({ columns: { name: true } }).subscribe(() => { throw new Error('boom'); }, resolve));
    assert.equal((await thrown).code, 'CALLBACK_ERROR');
    await db.insert(schema.tags).values({ name: 'zz-after-throw' });
    await nextMatching(read, (r) => r.some((t) => t.name === 'zz-after-throw'));
    assert.equal(server.stderr().match(/"event":"live_upgrade"/g)?.length, 1, 'one socket all along: no reconnection');
    stop();
    const seen = results.length;
    await db.insert(schema.tags).values({ name: 'zz-after-stop' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(results.length, seen, 'no result after stop');
  } finally {
    await db.close();
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('live: a subscription comes back after the server restarts', { skip: !bin, timeout: 60000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-ts-restart-'));
  const port = await freePort();
  const args = ['--port', String(port), '--data-dir', dir, ...blogArgs];
  let server = await startProgram(bin, args);
  const db = connect({ url: server.url, schema, WebSocket });
  try {
    const read = db.query.tags.findMany({ columns: { name: true } });
    await nextMatching(read, () => true);
    const waiting = nextMatching(read, (r) => r.some((t) => t.name === 'after-restart'), 30000);
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
    server = await startProgram(bin, args);
    await db.insert(schema.tags).values({ name: 'after-restart' });
    await waiting;
  } finally {
    await db.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('through the Convex emulator: reads, writes and errors on the Convex path', { skip: !bin, timeout: 60000 }, async () => {
  const KEY = 'ts-client-admin-key';
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY]);
  const db = connect({ url: server.url, schema, WebSocket });
  try {
    await waitReady(server.url);
    const posts = await db.query.posts.findMany({ columns: { title: true }, with: { author: { columns: { name: true } } }, limit: 3 });
    assert.equal(posts.length, 3);
    assert.equal(typeof posts[0].author.name, 'string');
    const [tag] = await db.insert(schema.tags).values({ name: 'via-convex' }).returning();
    assert.equal(tag.name, 'via-convex');
    assert.equal(typeof tag._id, 'string');
    await rejects(db.query.posts.findMany({ where: { titel: 'x' } }), (e) => e.code === 'INVALID_QUERY' && e.path === '/where/titel');
    const live = await nextMatching(db.query.tags.findMany({ where: { name: 'via-convex' } }), (r) => r.length === 1);
    assert.equal(live[0].name, 'via-convex');
  } finally {
    await db.close();
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
    await emulator.stop();
  }
});

// The retry policy alone, against a stand-in that answers 503 a given number of times.
async function flakyServer(failures, retryAfter = '0') {
  const { createServer: createHttpServer } = await import('node:http');
  let seen = 0;
  let lastPath = null;
  const server = createHttpServer((req, res) => {
    seen++;
    lastPath = req.url;
    req.resume();
    req.on('end', () => {
      if (seen <= failures) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': retryAfter });
        return res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'try again' } }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ _id: 't1', _creationTime: 1, name: 'x' }] }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, seen: () => seen, lastPath: () => lastPath, close: () => new Promise((r) => server.close(r)) };
}

test('reads are retried on 503 (at most 3 times, honouring Retry-After); mutations never', async () => {
  const twice = await flakyServer(2);
  try {
    const db = connect({ url: twice.url, schema });
    assert.deepEqual((await db.query.tags.findMany()).map((t) => t.name), ['x']);
    assert.equal(twice.seen(), 3);
  } finally { await twice.close(); }

  const always = await flakyServer(100);
  try {
    const db = connect({ url: always.url, schema });
    await rejects(db.query.tags.findMany(), (e) => e.code === 'UNAVAILABLE' && e.status === 503 && e.retryAfter === 0);
    assert.equal(always.seen(), 4, 'one try and three retries');
    await rejects(db.insert(schema.tags).values({ name: 'y' }), (e) => e.status === 503);
    assert.equal(always.seen(), 5, 'a mutation is sent once');
  } finally { await always.close(); }

  // An abort while waiting to retry ends the call as ABORTED.
  const waiting = await flakyServer(100, '5');
  try {
    const db = connect({ url: waiting.url, schema });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    await rejects(db.query.tags.findMany().execute({ signal: stop.signal }), (e) => e instanceof DrizzleConvexError && e.code === 'ABORTED');
  } finally { await waiting.close(); }

  // A base URL with a path keeps it (a proxy mounted under /api).
  const mounted = await flakyServer(0);
  try {
    const db = connect({ url: `${mounted.url}/api/`, schema });
    await db.query.tags.findMany();
    assert.equal(mounted.lastPath(), '/api/v1/query');
  } finally { await mounted.close(); }

  // A Retry-After past the call's timeout ends the call instead of waiting.
  const slow = await flakyServer(100, '30');
  try {
    const db = connect({ url: slow.url, schema, timeout: 2000 });
    const started = Date.now();
    await rejects(db.query.tags.findMany(), (e) => e.status === 503 && e.retryAfter === 30);
    assert.ok(Date.now() - started < 2000);
  } finally { await slow.close(); }
});

test('live: refused credentials (close 4403) are reported once, with no reconnection', { skip: !bin }, async () => {
  const server = await startServer(bin, [...blogArgs, '--auth', join(fixture, 'auth.json')]);
  const db = connect({ url: server.url, schema, WebSocket, token: 'not-a-valid-token' });
  try {
    const error = await new Promise((resolve) => {
      db.query.tags.findMany().subscribe(() => resolve(null), resolve);
    });
    assert.ok(error instanceof DrizzleConvexError, String(error));
    assert.equal(error.code, 'UNAUTHENTICATED');
    await new Promise((r) => setTimeout(r, 1500));
    const upgrades = server.stderr().match(/"event":"live_upgrade"/g)?.length ?? 0;
    assert.equal(upgrades, 1, 'one connection, no retries after 4403');
  } finally {
    await db.close();
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});

test('live: a server whose patches never apply gets an error after three fresh starts, not an endless loop', async () => {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'graphql-transport-ws' });
  let subscribes = 0;
  wss.on('connection', (ws) => ws.on('message', (raw) => {
    const m = JSON.parse(raw);
    if (m.type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack' }));
    if (m.type === 'subscribe') {
      subscribes++;
      ws.send(JSON.stringify({ type: 'next', id: m.id, payload: { data: [{ _id: 't1', _creationTime: 1, name: 'a' }], version: 1 } }));
      ws.send(JSON.stringify({ type: 'next', id: m.id, payload: { patch: [{ op: 'remove', path: '/9' }], version: 2 } }));
    }
  }));
  await new Promise((r) => wss.once('listening', r));
  const db = connect({ url: `http://127.0.0.1:${wss.address().port}`, schema, WebSocket });
  try {
    const error = await new Promise((resolve) => db.query.tags.findMany().subscribe(() => {}, resolve));
    assert.equal(error.code, 'UPSTREAM_ERROR');
    assert.equal(subscribes, 4, 'the first start and three more');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(subscribes, 4, 'then it stops');
  } finally {
    await db.close();
    await new Promise((r) => wss.close(r));
  }
});
