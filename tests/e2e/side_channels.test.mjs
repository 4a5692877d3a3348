// What the rules hide must not leak sideways (issue 30, item 7): for a role
// with a row filter or a column list, no X-Docs-Read, no explain `analyze`,
// no other row's _id in a 409, no index over a hidden column in explain.
// Each case failed before its fix; the bypass role shows what was leaking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withServer, post } from '../lib/server.mjs';
import { hs256 } from '../lib/tokens.mjs';

const bin = process.env.DC_SERVER;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(root, 'tests/conformance/fixtures/blog');
const blog = ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data')];

const SECRET = 'side-channel-secret-0123456789abcdef';
const own = { authorId: { $claim: 'sub' } };
const auth = {
  jwt: { secret: SECRET, algorithms: ['HS256'] },
  defaultRole: 'reader',
  roles: {
    // Own posts only, without the author column; may add users (a unique email).
    reader: {
      tables: {
        posts: { select: { filter: own, columns: ['_id', '_creationTime', 'title', 'published', 'views'] } },
        users: { select: { filter: { _id: { $claim: 'sub' } }, columns: ['_id', 'name'] }, insert: {} },
      },
    },
    service: { bypass: true },
  },
};

const as = (claims) => ({ authorization: `Bearer ${hs256(SECRET, claims)}` });
const reader = as({ sub: 'u1' });
const service = as({ role: 'service', sub: 'ops' });

async function withAuth(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'dc-side-'));
  const file = join(dir, 'auth.json');
  writeFileSync(file, JSON.stringify(auth));
  try {
    await withServer(bin, [...blog, '--no-access-log', '--auth', file], fn);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('no X-Docs-Read for a role whose rules hide rows or columns (it counts the rows they hide); a bypass role still gets it', { skip: !bin }, async () => {
  await withAuth(async (server) => {
    const q = { table: 'posts', op: 'findMany', columns: { title: true } };
    const mine = await post(server.url, '/v1/query', q, reader);
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.json.data.length, 3);
    assert.equal(mine.headers.get('x-docs-read'), null);
    const w = await post(server.url, '/v1/mutate', { op: 'insert', table: 'users', values: { name: 'N', email: 'n@x.io', role: 'member', credits: 0, langs: [] } }, reader);
    assert.equal(w.status, 200, w.text);
    assert.equal(w.headers.get('x-docs-read'), null);
    const all = await post(server.url, '/v1/query', q, service);
    assert.equal(all.status, 200, all.text);
    assert.match(all.headers.get('x-docs-read') ?? '', /^\d+$/);
  });
});

test('explain analyze is 403 on /analyze for such a role; explain without it answers', { skip: !bin }, async () => {
  await withAuth(async (server) => {
    const q = { table: 'posts', op: 'findMany', columns: { title: true }, where: { views: { gt: 0 } } };
    const r = await post(server.url, '/v1/explain', { ...q, analyze: true }, reader);
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'FORBIDDEN');
    assert.equal(r.json.error.path, '/analyze');
    assert.equal((await post(server.url, '/v1/explain', q, reader)).status, 200);
    const s = await post(server.url, '/v1/explain', { ...q, analyze: true }, service);
    assert.equal(s.status, 200, s.text);
    assert.equal(typeof s.json.data.docsRead, 'number');
  });
});

test('explain shows no index over a column the role cannot see: its name, fields, ranges and filter parts are "(hidden)"', { skip: !bin }, async () => {
  await withAuth(async (server) => {
    const q = { table: 'posts', op: 'findMany', columns: { title: true } };
    const r = await post(server.url, '/v1/explain', q, reader);
    assert.equal(r.status, 200, r.text);
    const access = r.json.data.root.access;
    assert.equal(access.source.type, 'index', 'the caller still learns an index serves it');
    assert.equal(access.source.index, '(hidden)');
    assert.doesNotMatch(r.text, /by_author|authorId/);
    // Estimates count rows the rules hide: withheld whole.
    assert.equal(access.estimate, '(hidden)');
    // The same plan for a bypass role names it, with its estimate.
    const s = await post(server.url, '/v1/explain', { ...q, where: { authorId: 'u1' } }, service);
    assert.match(s.text, /by_author/);
    assert.equal(s.json.data.root.access.estimate.basis, 'counted');
    assert.equal(s.json.data.root.access.estimate.rows, 3);
  });
});

test('a 409 names no _id of the row it conflicts with for such a role; a bypass role gets the _id', { skip: !bin }, async () => {
  await withAuth(async (server) => {
    // grace@x.io is u2's: a row this reader cannot see.
    const values = { name: 'Copy', email: 'grace@x.io', role: 'member', credits: 0, langs: [] };
    const r = await post(server.url, '/v1/mutate', { op: 'insert', table: 'users', values }, reader);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.error.code, 'CONFLICT');
    assert.doesNotMatch(r.json.error.message, /u2/);
    assert.match(r.json.error.message, /another row/);
    const s = await post(server.url, '/v1/mutate', { op: 'insert', table: 'users', values }, service);
    assert.equal(s.status, 409, s.text);
    assert.match(s.json.error.message, /row u2/);
  });
});

test('paginate cursors of such a role are sealed: opaque (no _id inside), unforgeable, unalterable; they page on', { skip: !bin }, async () => {
  await withAuth(async (server) => {
    const q = { table: 'posts', op: 'paginate', numItems: 1, columns: { title: true }, orderBy: { _creationTime: 'asc' } };
    const titles = [];
    let cursor = null;
    for (let page = 0; page < 5; page++) {
      const r = await post(server.url, '/v1/query', { ...q, cursor }, reader);
      assert.equal(r.status, 200, r.text);
      titles.push(...r.json.data.page.map((p) => p.title));
      if (r.json.data.isDone) break;
      cursor = r.json.data.continueCursor;
      const inside = Buffer.from(cursor, 'base64').toString('latin1');
      // Quoted, as the plain cursor writes them: random sealed bytes hold a bare `p7` one time in a hundred.
      assert.doesNotMatch(inside, /"q"|"k"|"p\d+"|_id/, 'a sealed cursor shows nothing of the row');
    }
    assert.equal(titles.length, 3, `u1's three posts, one per page: ${titles}`);
    // A cursor made the plain way (what the bypass role gets: base64 of JSON) is refused for this role.
    const plain = await post(server.url, '/v1/query', { ...q, cursor: null }, service);
    const forged = plain.json.data.continueCursor;
    assert.match(Buffer.from(forged, 'base64').toString(), /"k":/, 'a bypass role still gets the plain cursor');
    const f = await post(server.url, '/v1/query', { ...q, cursor: forged }, reader);
    assert.equal(f.status, 400, f.text);
    assert.equal(f.json.error.path, '/cursor');
    // However the key is written: JSON escapes in it change nothing.
    const escaped = JSON.stringify({ ...q, cursor: forged }).replace('"cursor"', '"\\u0063ursor"');
    const e = await post(server.url, '/v1/query', escaped, reader);
    assert.equal(e.status, 400, e.text);
    assert.equal(e.json.error.path, '/cursor');
    // Nor through explain, nor through a live subscription.
    assert.equal((await post(server.url, '/v1/explain', { ...q, cursor: forged }, reader)).status, 400);
    const { LiveClient } = await import('../lib/live.mjs');
    const live = await LiveClient.open(server.url, { token: reader.authorization.slice('Bearer '.length) });
    live.subscribe('forged', { ...q, cursor: forged });
    const err = await live.waitFor((m) => m.id === 'forged' && m.type === 'error');
    assert.equal(err.payload[0].path, '/cursor');
    await live.close();
    // One altered character of a sealed cursor is refused too.
    const first = (await post(server.url, '/v1/query', { ...q, cursor: null }, reader)).json.data.continueCursor;
    const flipped = first.slice(0, 20) + (first[20] === 'A' ? 'B' : 'A') + first.slice(21);
    const t = await post(server.url, '/v1/query', { ...q, cursor: flipped }, reader);
    assert.equal(t.status, 400, t.text);
    assert.equal(t.json.error.path, '/cursor');
  });
});

test('with the auth file\'s cursorKey, a sealed cursor opens on another server (a replica, a restart); without it, it does not', { skip: !bin }, async () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const dir = mkdtempSync(join(tmpdir(), 'dc-side-key-'));
  const keyed = join(dir, 'keyed.json');
  const unkeyed = join(dir, 'unkeyed.json');
  writeFileSync(keyed, JSON.stringify({ ...auth, cursorKey: key }));
  writeFileSync(unkeyed, JSON.stringify(auth));
  const q = { table: 'posts', op: 'paginate', numItems: 1, columns: { title: true }, orderBy: { _creationTime: 'asc' } };
  const cursorFrom = async (file) => {
    let c;
    await withServer(bin, [...blog, '--no-access-log', '--auth', file], async (server) => {
      c = (await post(server.url, '/v1/query', { ...q, cursor: null }, reader)).json.data.continueCursor;
    });
    return c;
  };
  try {
    const fromKeyed = await cursorFrom(keyed);
    const fromUnkeyed = await cursorFrom(unkeyed);
    await withServer(bin, [...blog, '--no-access-log', '--auth', keyed], async (server) => {
      const r = await post(server.url, '/v1/query', { ...q, cursor: fromKeyed }, reader);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.data.page.length, 1);
    });
    await withServer(bin, [...blog, '--no-access-log', '--auth', unkeyed], async (server) => {
      const r = await post(server.url, '/v1/query', { ...q, cursor: fromUnkeyed }, reader);
      assert.equal(r.status, 400, 'a key made at start dies with its server');
    });
    writeFileSync(keyed, JSON.stringify({ ...auth, cursorKey: 'c2hvcnQ=' }));
    const bad = spawnSync(bin, [...blog, '--auth', keyed, '--port', '0'], { encoding: 'utf8', timeout: 20000 });
    assert.ok(bad.status !== 0 && bad.status !== null, `the server must refuse to start: status ${bad.status}`);
    assert.match(bad.stderr + bad.stdout, /\/cursorKey/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
