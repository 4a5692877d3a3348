// An attacker's pass over auth (issue 30): a validly signed token whose
// claims are JSON objects, a token header written to inject HTTP headers,
// and rules narrowed by SIGHUP while plans and live subscriptions made under
// the old ones are still around. Each case failed before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { withServer as withFreshServer, post } from '../lib/server.mjs';
import { LiveClient } from '../lib/live.mjs';
import { hs256, keyPair } from '../lib/tokens.mjs';

const bin = process.env.DC_SERVER;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(root, 'tests/conformance/fixtures/blog');
const blog = ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data')];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SECRET = 'hardening-secret-0123456789abcdef0123';
const rsa = keyPair('RS256', 'rsa-1');
const own = { authorId: { $claim: 'sub' } };
const config = (userTables) => ({
  jwt: { secret: SECRET, jwks: 'jwks.json', algorithms: ['HS256', 'RS256'], clockSkewSeconds: 0 },
  defaultRole: 'user',
  roles: { user: { tables: userTables }, service: { bypass: true } },
});
const ownPosts = {
  posts: { select: { filter: own }, update: { filter: own, check: own }, delete: { filter: own }, insert: { set: own } },
};

function authFile(cfg) {
  const dir = mkdtempSync(join(tmpdir(), 'dc-hardening-'));
  writeFileSync(join(dir, 'auth.json'), JSON.stringify(cfg));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [rsa.jwk] }));
  return { file: join(dir, 'auth.json'), dir };
}

async function withAuth(cfg, fn) {
  const { file, dir } = authFile(cfg);
  try {
    await withFreshServer(bin, [...blog, '--no-access-log', '--auth', file], (server) => fn(server, file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const as = (claims) => ({ authorization: `Bearer ${hs256(SECRET, claims)}` });
const service = as({ role: 'service', sub: 'ops' });

test('a claim that is a JSON object (or array, number, boolean) is a value: 403 naming the claim, nothing read or written', { skip: !bin }, async () => {
  await withAuth(config(ownPosts), async (server) => {
    const before = await post(server.url, '/v1/query', { table: 'posts', op: 'findMany', orderBy: { _id: 'asc' } }, service);
    assert.equal(before.status, 200, before.text);
    for (const sub of [{ ne: 'nobody' }, { isNotNull: true }, { OR: [{ published: true }] }, { in: ['u1', 'u2', 'u3', 'u4'] },
      { $integer: 'AQAAAAAAAAA=' }, ['u1'], true, 7]) {
      const who = as({ sub });
      const what = JSON.stringify(sub);
      const read = await post(server.url, '/v1/query', { table: 'posts', op: 'findMany' }, who);
      assert.equal(read.status, 403, `${what}: ${read.text}`);
      assert.equal(read.json.error.code, 'FORBIDDEN', what);
      assert.match(read.json.error.message, /claim 'sub'/, what);
      assert.match(read.json.error.message, /string/, `${what}: the type expected`);
      assert.ok(!read.text.includes('nobody') && !read.text.includes('AQAAAAAAAAA'), `${what}: the claim's value is not echoed`);
      for (const op of [
        { op: 'update', table: 'posts', set: { title: 'owned' }, where: {} },
        { op: 'delete', table: 'posts', where: {} },
        { op: 'insert', table: 'posts', values: { title: 'x', published: true, views: 0 } },
      ]) {
        const res = await post(server.url, '/v1/mutate', op, who);
        assert.equal(res.status, 403, `${what} ${op.op}: ${res.text}`);
      }
    }
    const after = await post(server.url, '/v1/query', { table: 'posts', op: 'findMany', orderBy: { _id: 'asc' } }, service);
    assert.deepEqual(after.json, before.json, 'no row changed');
    // The same rule with a string claim still gives the caller their own rows.
    const mine = await post(server.url, '/v1/query', { table: 'posts', op: 'findMany', columns: { authorId: true } }, as({ sub: 'u1' }));
    assert.equal(mine.status, 200, mine.text);
    assert.ok(mine.json.data.length > 0 && mine.json.data.every((p) => p.authorId === 'u1'));
  });
});

// One raw request: Node's own client would refuse to parse a split response.
function rawRequest(url, lines) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(`${lines.join('\r\n')}\r\n\r\n`));
    let text = '';
    socket.on('data', (d) => { text += d.toString('latin1'); });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

test('a token header written to inject headers cannot add or split one: the challenge keeps RFC 6750 characters', { skip: !bin }, async () => {
  await withAuth(config(ownPosts), async (server) => {
    for (const token of [
      hs256(SECRET, { sub: 'u1' }, { alg: 'HS256\r\nSet-Cookie: pwned=1' }),
      rsa.sign({ sub: 'u1' }, { kid: 'k\r\n\r\nHTTP/1.1 200 OK\r\nX-Forged: 1' }),
      hs256(SECRET, { sub: 'u1' }, { alg: 'x\u0000"\\\n\u0085' }),
    ]) {
      const text = await rawRequest(server.url, ['GET /v1/schema HTTP/1.1', `Host: ${new URL(server.url).host}`,
        `Authorization: Bearer ${token}`, 'Connection: close']);
      const head = text.slice(0, text.indexOf('\r\n\r\n'));
      const lines = head.split('\r\n');
      assert.match(lines[0], /^HTTP\/1\.1 401 /, text);
      assert.ok(!lines.some((l) => /^(set-cookie|x-forged):/i.test(l)), `an injected header: ${head}`);
      assert.equal(lines.filter((l) => /^HTTP\//.test(l)).length, 1, `a second status line: ${head}`);
      const length = Number(lines.find((l) => /^content-length:/i.test(l)).split(':')[1]);
      assert.equal(Buffer.byteLength(text.slice(head.length + 4), 'latin1'), length, `bytes after the body: ${text}`);
      const challenge = lines.find((l) => /^www-authenticate:/i.test(l));
      assert.ok(challenge, head);
      const description = /error_description="([^"]*)"$/.exec(challenge);
      assert.ok(description, challenge);
      assert.match(description[1], /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/, challenge);
    }
  });
});

test('SIGHUP that narrows a role: the next read follows the new rules, with no write between; live sockets whose rules changed reconnect, the others stay', { skip: !bin }, async () => {
  const wide = config({ posts: { select: {} } });
  const narrow = config({ posts: { select: { filter: { published: true }, columns: ['_id', 'title'] } } });
  await withAuth(wide, async (server, file) => {
    const who = as({ sub: 'u1' });
    const q = { table: 'posts', op: 'findMany', orderBy: { _id: 'asc' } };
    const first = await post(server.url, '/v1/query', q, who);
    const again = await post(server.url, '/v1/query', q, who);  // now from the plan cache
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, first.json);
    assert.ok(first.json.data.some((p) => p.published === false), 'the fixture has unpublished posts');
    const live = await LiveClient.open(server.url, { token: hs256(SECRET, { sub: 'u1' }) });
    live.subscribe('s', q);
    await live.waitVersion('s', 1);
    const unchanged = await LiveClient.open(server.url, { token: hs256(SECRET, { role: 'service', sub: 'ops' }) });
    unchanged.subscribe('s', { table: 'posts', op: 'count' });
    await unchanged.waitVersion('s', 1);

    writeFileSync(file, JSON.stringify(narrow));
    server.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && !server.stderr().includes('auth rules reloaded'); i++) await sleep(50);
    assert.match(server.stderr(), /auth rules reloaded/, 'the reload was logged');

    const after = await post(server.url, '/v1/query', q, who);
    assert.equal(after.status, 200, after.text);
    assert.ok(after.json.data.length > 0);
    for (const p of after.json.data) {
      assert.deepEqual(Object.keys(p).sort(), ['_id', 'title'], `a hidden column after the reload: ${JSON.stringify(p)}`);
    }
    assert.ok(after.json.data.length < first.json.data.length, 'hidden rows after the reload');
    const { code } = await live.closed;
    assert.equal(code, 1012, 'a live socket admitted under the old rules is told to reconnect');
    // A role written the same in both files is served on.
    const inserted = await post(server.url, '/v1/mutate', { op: 'insert', table: 'posts', values: { authorId: 'u1', title: 't', published: true, views: 0 } }, service);
    assert.equal(inserted.status, 200, inserted.text);
    await unchanged.waitVersion('s', 2);
    assert.equal(unchanged.closeCode, undefined, 'the socket whose rules did not change stays open');
    await unchanged.close();
  });
});

test('credentials of the wrong type are refused, never downgraded: a non-string live token (4403), a role claim that is not a non-empty string (401)', { skip: !bin }, async () => {
  const cfg = { ...config(ownPosts), anonymousRole: 'anon', roles: { ...config(ownPosts).roles, anon: { tables: { posts: { select: {} } } } } };
  await withAuth(cfg, async (server) => {
    for (const token of [42, { sub: 'u1' }, ['t'], true]) {
      const c = await LiveClient.open(server.url, { init: false });
      c.send({ type: 'connection_init', payload: { token } });
      const { code } = await c.closed;
      assert.equal(code, 4403, `token ${JSON.stringify(token)}`);
      assert.ok(!c.messages.some((m) => m.type === 'connection_ack'));
    }
    // An absent or null token is no credentials: the anonymous role.
    for (const payload of [{}, { token: null }]) {
      const c = await LiveClient.open(server.url, { init: false });
      c.send({ type: 'connection_init', payload });
      await c.waitFor((m) => m.type === 'connection_ack');
      await c.close();
    }
    for (const role of [42, '', ['user'], { name: 'user' }, null]) {
      const res = await post(server.url, '/v1/query', { table: 'posts', op: 'count' }, as({ sub: 'u1', role }));
      assert.equal(res.status, 401, `role ${JSON.stringify(role)}: ${res.text}`);
      assert.match(res.json.error.message, /non-empty string/);
    }
  });
});
