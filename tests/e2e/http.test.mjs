// End-to-end HTTP behaviour of drizzle-convex-server on the demo data:
// the README's queries, bad input (each a precise 4xx, and the server stays
// up), and lifecycle (keep-alive, graceful shutdown).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, post } from '../lib/server.mjs';
import { PLAN_VERSION } from '../../adapter/dist/plan.js';

const bin = process.env.DC_SERVER;
let server;

before(async () => {
  assert.ok(bin, 'DC_SERVER must point at drizzle-convex-server');
  server = await startServer(bin, ['--demo']);
});

after(async () => {
  const code = await server.stop();
  assert.equal(code, 0, `server exit code ${code}\n${server.stderr().slice(-3000)}`);
});

const README_QUERY = {
  table: 'users', op: 'findMany', where: { role: 'admin' },
  with: { posts: { limit: 2, orderBy: { _creationTime: 'desc' } } }, limit: 5,
};

test('the README query answers admins with their two newest posts', async () => {
  const res = await post(server.url, '/v1/query', README_QUERY);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json; charset=utf-8/);
  const users = res.json.data;
  assert.ok(Array.isArray(users) && users.length > 0 && users.length <= 5);
  for (const u of users) {
    assert.equal(u.role, 'admin');
    assert.equal(typeof u._id, 'string');
    assert.ok(Array.isArray(u.posts) && u.posts.length <= 2);
    for (const p of u.posts) assert.equal(p.authorId, u._id);
    if (u.posts.length === 2) assert.ok(u.posts[0]._creationTime > u.posts[1]._creationTime);
  }
  const docsRead = Number(res.headers.get('x-docs-read'));
  const returned = users.length + users.reduce((n, u) => n + u.posts.length, 0);
  assert.equal(docsRead, returned, 'index-served reads read exactly what they return');
});

test('explain shows which index served which part of the filter', async () => {
  const res = await post(server.url, '/v1/explain', README_QUERY);
  assert.equal(res.status, 200);
  const plan = res.json.data;
  assert.equal(plan.planVersion, PLAN_VERSION);
  assert.equal(plan.root.access.source.type, 'index');
  assert.equal(plan.root.access.source.index, 'by_role_credits');
  assert.deepEqual(plan.root.access.indexFilter, [{ field: 'role', op: 'eq', value: 'admin' }]);
  assert.equal(plan.root.access.postFilter, null);
  const posts = plan.root.with[0].target.access;
  assert.equal(posts.source.index, 'by_author');
  assert.equal(posts.order.source, 'index');
  assert.equal(res.headers.get('x-docs-read'), '0', 'explain runs nothing');
});

test('findFirst by _id reads one document', async () => {
  const list = await post(server.url, '/v1/query', { table: 'posts', op: 'findFirst', columns: { _id: true } });
  const id = list.json.data._id;
  const res = await post(server.url, '/v1/query', { table: 'posts', op: 'findFirst', where: { _id: id } });
  assert.equal(res.status, 200);
  assert.equal(res.json.data._id, id);
  assert.equal(res.headers.get('x-docs-read'), '1');
});

test('GET /v1/schema includes tables, indexes and relations', async () => {
  const res = await fetch(server.url + '/v1/schema');
  assert.equal(res.status, 200);
  const s = await res.json();
  assert.deepEqual(Object.keys(s.tables).sort(), ['comments', 'postTags', 'posts', 'profiles', 'tags', 'users']);
  assert.deepEqual(s.tables.users.unique, [['email']]);
  assert.equal(s.relations.posts.tags.through.table, 'postTags');
});

test('health, readiness and metrics', async () => {
  assert.equal((await fetch(server.url + '/healthz')).status, 200);
  const ready = await fetch(server.url + '/readyz');
  assert.equal(ready.status, 200);
  assert.equal((await ready.json()).backend, 'embedded');
  const metrics = await (await fetch(server.url + '/metrics')).text();
  assert.match(metrics, /^dc_http_requests_total \d+$/m);
});

async function expectError(body, status, code, path, raw = false) {
  const res = await post(server.url, '/v1/query', raw ? body : JSON.stringify(body));
  assert.equal(res.status, status, res.text.slice(0, 300));
  assert.equal(res.json?.error?.code, code);
  if (path !== undefined) assert.equal(res.json.error.path, path);
  return res;
}

test('bad input: malformed JSON', async () => {
  await expectError('{"table": "users",', 400, 'INVALID_QUERY', '', true);
  await expectError('', 400, 'INVALID_QUERY', '', true);
  await expectError('\u0000\u0001', 400, 'INVALID_QUERY', '', true);
});

test('bad input: a body that is not JSON by its Content-Type is 415; JSON, none, and curl\'s form default are read', async () => {
  const send = (type) => fetch(server.url + '/v1/query', {
    method: 'POST', body: JSON.stringify({ table: 'tags', op: 'count' }), headers: type === null ? {} : { 'content-type': type },
  });
  for (const type of ['application/xml', 'text/plain;charset=UTF-8', 'multipart/form-data; boundary=x']) {
    const res = await send(type);
    assert.equal(res.status, 415, type);
    const body = await res.json();
    assert.equal(body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(body.error.message, /application\/json/);
  }
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/x-www-form-urlencoded']) {
    assert.equal((await send(type)).status, 200, type);
  }
  // fetch adds text/plain to a string body: a Blob without a type sends none.
  const none = await fetch(server.url + '/v1/query', { method: 'POST', body: new Blob([JSON.stringify({ table: 'tags', op: 'count' })]) });
  assert.equal(none.status, 200);
});

test('bad input: malformed JSON is described in our words, never the parser library\'s', async () => {
  const empty = await expectError('', 400, 'INVALID_QUERY', '', true);
  assert.match(empty.json.error.message, /empty/);
  const cut = await expectError('{"table": "users",', 400, 'INVALID_QUERY', '', true);
  assert.match(cut.json.error.message, /at line 1, column \d+: the text ends before the JSON value does/);
  for (const r of [empty, cut]) assert.doesNotMatch(r.json.error.message, /syntax error|json\.exception|expected $/);
});

test('bad input: wrong types and unknown names', async () => {
  await expectError({ table: 42 }, 400, 'INVALID_QUERY', '/table');
  await expectError({ table: 'users', where: { credits: { gt: 'lots' } } }, 400, 'INVALID_QUERY', '/where/credits/gt');
  await expectError({ table: 'users', where: { nope: 1 } }, 400, 'INVALID_QUERY', '/where/nope');
  await expectError({ table: 'users', with: { nope: true } }, 400, 'INVALID_QUERY', '/with/nope');
  await expectError({ table: 'users', limit: -1 }, 400, 'INVALID_QUERY', '/limit');
});

test('bad input: a 10 MB body is 413 and nothing is read', async () => {
  const big = JSON.stringify({ table: 'users', where: { name: 'x'.repeat(10 * 1024 * 1024) } });
  const res = await fetch(server.url + '/v1/query', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } })
    .catch((e) => ({ status: 'reset', e }));
  // The server answers 413 as soon as the declared length is over the limit.
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error.code, 'TOO_LARGE');
});

test('bad input: 1000-deep nesting', async () => {
  const deep = '{"table":"users","where":' + '{"NOT":'.repeat(1000) + '{}' + '}'.repeat(1000) + '}';
  const res = await expectError(deep, 400, 'INVALID_QUERY', '', true);
  assert.match(res.json.error.message, /nested deeper/);
});

test('bad input: in with 100k values', async () => {
  const values = Array.from({ length: 100000 }, (_, i) => `v${i}`);
  const res = await expectError({ table: 'users', where: { email: { in: values } } }, 400, 'INVALID_QUERY', '/where/email/in');
  assert.match(res.json.error.message, /100000 values/);
});

test('bad input: wrong method, unknown route, /v1/live without a WebSocket upgrade', async () => {
  const get = await fetch(server.url + '/v1/query');
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  assert.equal((await get.json()).error.code, 'METHOD_NOT_ALLOWED');
  assert.equal((await fetch(server.url + '/v2/query')).status, 404);
  const live = await fetch(server.url + '/v1/live');
  assert.equal(live.status, 426);
  assert.equal(live.headers.get('upgrade'), 'websocket');
  assert.equal((await live.json()).error.code, 'UPGRADE_REQUIRED');
});

test('bad input: a broken HTTP request gets a 400 and the connection closes', async () => {
  const reply = await new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1', () => sock.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
    setTimeout(() => { sock.destroy(); resolve(data); }, 5000);
  });
  assert.match(reply, /^HTTP\/1\.1 400/);
});

// A raw exchange on one connection: `steps` are [text to send, pattern the reply must reach before the next step].
async function exchange(steps, { waitMs = 5000 } = {}) {
  const sock = net.connect(server.port, '127.0.0.1');
  await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
  let data = '';
  let ended = false;
  const wakers = new Set();
  sock.on('data', (d) => { data += d; for (const w of wakers) w(); });
  sock.on('close', () => { ended = true; for (const w of wakers) w(); });
  const until = (pattern) => new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(data)) { wakers.delete(check); clearTimeout(t); resolve(); return; }
      if (ended) { wakers.delete(check); clearTimeout(t); reject(new Error(`connection closed before ${pattern}; got ${JSON.stringify(data)}`)); }
    };
    const t = setTimeout(() => { wakers.delete(check); reject(new Error(`no ${pattern} within ${waitMs} ms; got ${JSON.stringify(data)}`)); }, waitMs);
    wakers.add(check);
    check();
  });
  try {
    for (const [text, pattern] of steps) {
      if (text) sock.write(text);
      await until(pattern);
    }
    return data;
  } finally { sock.destroy(); }
}

test('Expect: 100-continue gets a 100 before the body is sent, then the answer', async () => {
  const body = JSON.stringify({ table: 'tags', op: 'count' });
  const head = `POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`;
  const reply = await exchange([[head, /^HTTP\/1\.1 100 Continue\r\n\r\n/], [body, /HTTP\/1\.1 200 OK[\s\S]*"count":12/]]);
  assert.match(reply, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
});

test('Expect: 100-continue with a declared body over --max-body: 413 at once, no 100, nothing read', async () => {
  const head = 'POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\nExpect: 100-continue\r\n\r\n';
  const reply = await exchange([[head, /HTTP\/1\.1 413[\s\S]*TOO_LARGE/]]);
  assert.doesNotMatch(reply, /100 Continue/);
});

test('Transfer-Encoding other than chunked (gzip, chunked) is a 501 naming the coding, never read as plain chunked', async () => {
  const raw = 'POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1d\r\n{"table":"tags","op":"count"}\r\n0\r\n\r\n';
  const reply = await exchange([[raw, /HTTP\/1\.1 501[\s\S]*NOT_IMPLEMENTED[\s\S]*gzip/]]);
  assert.doesNotMatch(reply, /"count"/);
  // chunked twice: Beast would read no body and the chunks as the next request (smuggling).
  const twice = 'POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, chunked\r\n\r\n1d\r\n{"table":"tags","op":"count"}\r\n0\r\n\r\n';
  const t = await exchange([[twice, /HTTP\/1\.1 400[\s\S]*chunked once/]]);
  assert.doesNotMatch(t, /"count"/);
  assert.equal((t.match(/HTTP\/1\.1 /g) ?? []).length, 1, 'one answer, the rest unread');
  // Plain chunked is still read.
  const plain = 'POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1d\r\n{"table":"tags","op":"count"}\r\n0\r\n\r\n';
  assert.match(await exchange([[plain, /"count":12/]]), /^HTTP\/1\.1 200/);
});

test('the server is still up and correct after all the bad input', async () => {
  const res = await post(server.url, '/v1/query', { table: 'users', op: 'count' });
  assert.equal(res.status, 200);
  assert.equal(res.json.data.count, 40);
});

test('keep-alive: many requests on one connection, answered in order', async () => {
  const bodies = Array.from({ length: 5 }, (_, i) => JSON.stringify({ table: 'tags', op: 'findFirst', offset: i, orderBy: { name: 'asc' }, columns: { name: true } }));
  const raw = bodies.map((b) => `POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`).join('');
  const text = await new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1', () => sock.write(raw));
    let data = '';
    sock.on('data', (d) => {
      data += d;
      if ((data.match(/HTTP\/1\.1 200/g) ?? []).length === 5) { sock.end(); resolve(data); }
    });
    sock.on('error', reject);
    setTimeout(() => { sock.destroy(); resolve(data); }, 5000);
  });
  const names = [...text.matchAll(/"name":"([^"]+)"/g)].map((m) => m[1]);
  assert.equal(names.length, 5);
  assert.deepEqual(names, [...names].sort());
});

test('graceful shutdown: SIGTERM with an idle keep-alive connection exits 0 promptly', async () => {
  const other = await startServer(bin, ['--demo']);
  const sock = net.connect(other.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  sock.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await new Promise((r) => sock.once('data', r));
  const started = Date.now();
  const code = await other.stop(10000);
  sock.destroy();
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 4000, `shutdown took ${Date.now() - started} ms`);
});
