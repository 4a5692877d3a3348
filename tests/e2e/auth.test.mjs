// Auth end to end (../shared/docs/auth.md): credentials and their 401s, rate
// limits, the safe default without --auth, SIGHUP reload, /v1/schema per
// role, live connections (connection_init token, 4403, expiry, shared
// topics), and Convex calls acting as the caller. The rules themselves are
// checked on every path by tests/conformance (12_auth_reads, 13_auth_writes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { withServer as withFreshServer, startServer, startEmulator, post, waitReady, metric } from '../lib/server.mjs';
import { LiveClient } from '../lib/live.mjs';
import { hs256, keyPair, now } from '../lib/tokens.mjs';

const bin = process.env.DC_SERVER;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(root, 'tests/conformance/fixtures/blog');
const blog = ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data')];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SECRET = 'e2e-secret-0123456789abcdef0123456789';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'drizzle-convex';
const API_KEY = 'billing-key-7f3a';
const rsa = keyPair('RS256', 'rsa-1');
const ec = keyPair('ES256', 'ec-1');

const posts = {
  select: { filter: { OR: [{ published: true }, { authorId: { $claim: 'sub' } }] } },
  insert: { columns: ['title', 'published'], set: { authorId: { $claim: 'sub' }, views: 0 }, check: { authorId: { $claim: 'sub' } } },
};
const baseConfig = {
  jwt: { secret: SECRET, jwks: 'jwks.json', algorithms: ['HS256', 'RS256', 'ES256'], issuer: ISSUER, audience: AUDIENCE, clockSkewSeconds: 0 },
  apiKeys: [{ name: 'billing', sha256: createHash('sha256').update(API_KEY).digest('hex'), role: 'service', claims: { sub: 'billing' } }],
  defaultRole: 'user',
  roles: {
    service: { bypass: true },
    user: { tables: { posts, users: { select: { columns: ['_id', 'name'] } } } },
    member: { tables: { posts: { select: { filter: { category: { $claim: 'team' } } } } } },
    limited: { limits: { requestsPerSecond: 1, burst: 2 }, tables: { tags: { select: {} } } },
    quiet: { tables: { posts: { select: { live: false } } } },
  },
};

// An auth file (and its JWKS) in a fresh directory.
function authDir(config = baseConfig) {
  const dir = mkdtempSync(join(tmpdir(), 'dc-auth-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
  writeFileSync(join(dir, 'auth.json'), JSON.stringify(config));
  return join(dir, 'auth.json');
}

const withServer = (args, fn) => withFreshServer(bin, [...blog, '--no-access-log', ...args], fn);

const claims = (extra = {}) => ({ sub: 'u1', iss: ISSUER, aud: AUDIENCE, ...extra });
const bearer = (token) => ({ authorization: `Bearer ${token}` });
const countPosts = { table: 'posts', op: 'count' };

test('valid credentials of each kind are accepted and act under their role', { skip: !bin }, async () => {
  await withServer(['--auth', authDir()], async (server) => {
    for (const [what, headers, count] of [
      ['HS256', bearer(hs256(SECRET, claims())), 10],
      ['RS256 picked by kid from the JWKS', bearer(rsa.sign(claims())), 10],
      ['ES256 (raw R‖S signature) picked by kid', bearer(ec.sign(claims())), 10],
      ['audience as an array', bearer(hs256(SECRET, claims({ aud: ['other', AUDIENCE] }))), 10],
      ['an API key of a bypass role', bearer(API_KEY), 12],
      ['the same HS256 token again (cached)', bearer(hs256(SECRET, claims())), 10],
    ]) {
      const res = await post(server.url, '/v1/query', countPosts, headers);
      assert.equal(res.status, 200, `${what}: ${res.text}`);
      assert.equal(res.json.data.count, count, what);
    }
  });
});

test('every refused credential is a 401 UNAUTHENTICATED with a WWW-Authenticate challenge', { skip: !bin }, async () => {
  const other = keyPair('RS256', 'rsa-1');  // same kid, another key
  const unsigned = (c) => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ exp: now() + 60, ...c })).toString('base64url')}.`;
  // HS256 "signed" with the RSA public key as the secret: the classic algorithm confusion.
  const confused = hs256(rsa.publicPem, claims(), { kid: 'rsa-1' });
  const cases = [
    ['no credentials (no anonymousRole)', {}, 'Bearer'],
    ['a wrong signature', bearer(hs256('another-secret-0123456789abcdef0123', claims())), 'invalid_token'],
    ['alg none', bearer(unsigned(claims())), 'invalid_token'],
    ['HS256 signed with the RSA public key', bearer(confused), 'invalid_token'],
    ['an RS256 token from another key under a known kid', bearer(other.sign(claims())), 'invalid_token'],
    ['expired', bearer(hs256(SECRET, claims({ exp: now() - 10 }))), 'invalid_token'],
    ['not yet valid', bearer(hs256(SECRET, claims({ nbf: now() + 600 }))), 'invalid_token'],
    ['a wrong audience', bearer(hs256(SECRET, claims({ aud: 'someone-else' }))), 'invalid_token'],
    ['a wrong issuer', bearer(hs256(SECRET, claims({ iss: 'https://evil.test' }))), 'invalid_token'],
    ['an unknown kid', bearer(keyPair('RS256', 'nobody').sign(claims())), 'invalid_token'],
    ['a role the file does not define', bearer(hs256(SECRET, claims({ role: 'root' }))), 'invalid_token'],
    ['an unknown API key', bearer('not-a-key'), 'invalid_token'],
    ['a scheme other than Bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 'invalid_token'],
    ['a token of three parts that is garbage', bearer('a.b.c'), 'invalid_token'],
  ];
  await withServer(['--auth', authDir()], async (server) => {
    for (const [what, headers, challenge] of cases) {
      const res = await post(server.url, '/v1/query', countPosts, headers);
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      assert.equal(res.json.error.code, 'UNAUTHENTICATED', what);
      const header = res.headers.get('www-authenticate') ?? '';
      assert.ok(header.startsWith('Bearer') && header.includes(challenge), `${what}: WWW-Authenticate ${header}`);
    }
    // The same refusals on every data endpoint; probes stay open.
    for (const path of ['/v1/mutate', '/v1/explain']) assert.equal((await post(server.url, path, countPosts)).status, 401, path);
    assert.equal((await fetch(`${server.url}/v1/schema`)).status, 401);
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(server.url + path)).status, 200, path);
  });
});

test('mutated tokens are always refused with 401, and the server stays up', { skip: !bin }, async () => {
  await withServer(['--auth', authDir()], async (server) => {
    const good = hs256(SECRET, claims());
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}"';
    let seed = 12345;
    const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    // The last character of the signature carries 2 unused bits: leave it alone, every other change breaks the MAC.
    const lastSig = good.length - 1;
    for (let i = 0; i < 300; i++) {
      let t = good;
      for (let k = 1 + rand(3); k > 0; k--) {
        const at = rand(lastSig);
        const kind = rand(3);
        const c = alphabet[rand(alphabet.length)];
        t = kind === 0 ? t.slice(0, at) + c + t.slice(at + 1) : kind === 1 ? t.slice(0, at) + t.slice(at + 1) : t.slice(0, at) + c + t.slice(at);
      }
      if (t === good) continue;
      const res = await post(server.url, '/v1/query', countPosts, bearer(t));
      assert.equal(res.status, 401, `mutation ${i}: ${JSON.stringify(t)} got ${res.status} ${res.text}`);
    }
    assert.equal((await post(server.url, '/v1/query', countPosts, bearer(good))).status, 200);
  });
});

test('an anonymous role serves callers without credentials, but bad credentials are still refused', { skip: !bin }, async () => {
  const config = { ...baseConfig, anonymousRole: 'anon', roles: { ...baseConfig.roles, anon: { tables: { posts: { select: { filter: { published: true } } } } } } };
  await withServer(['--auth', authDir(config)], async (server) => {
    const anonymous = await post(server.url, '/v1/query', countPosts);
    assert.equal(anonymous.status, 200, anonymous.text);
    assert.equal(anonymous.json.data.count, 9);
    assert.equal((await post(server.url, '/v1/query', countPosts, bearer('not-a-key'))).status, 401);
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'x' } })).json.error.code, 'FORBIDDEN');
  });
});

test('a role over its requestsPerSecond gets 429 RATE_LIMITED with Retry-After; other callers are not held', { skip: !bin }, async () => {
  await withServer(['--auth', authDir()], async (server) => {
    const limited = bearer(hs256(SECRET, claims({ role: 'limited', sub: 'l1' })));
    const q = { table: 'tags', op: 'count' };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(server.url, '/v1/query', q, limited)).status);
    assert.deepEqual(statuses.slice(0, 2), [200, 200], `burst of 2: ${statuses}`);
    const refused = await post(server.url, '/v1/query', q, limited);
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, 'RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, `Retry-After ${refused.headers.get('retry-after')}`);
    // Keyed by role and sub: another subject of the same role has its own bucket.
    const other = await post(server.url, '/v1/query', q, bearer(hs256(SECRET, claims({ role: 'limited', sub: 'l2' }))));
    assert.equal(other.status, 200);
    await sleep(1100);
    assert.equal((await post(server.url, '/v1/query', q, limited)).status, 200, 'refilled after a second');
  });
});

test('/v1/schema shows a role only the tables and columns it may read', { skip: !bin }, async () => {
  await withServer(['--auth', authDir()], async (server) => {
    const user = await (await fetch(`${server.url}/v1/schema`, { headers: bearer(hs256(SECRET, claims())) })).json();
    assert.deepEqual(Object.keys(user.tables).sort(), ['posts', 'users']);
    assert.deepEqual(Object.keys(user.tables.users.documentType.value), ['name']);
    assert.ok(!JSON.stringify(user.tables.users).includes('email'), 'no index or constraint names a hidden column');
    assert.deepEqual(Object.keys(user.relations.posts), ['author']);
    const service = await (await fetch(`${server.url}/v1/schema`, { headers: bearer(API_KEY) })).json();
    assert.ok(Object.keys(service.tables).length >= 6, 'a bypass role sees every table');
  });
});

test('without --auth the server refuses a non-loopback address, naming --auth and --insecure-no-auth', { skip: !bin }, async () => {
  await assert.rejects(startServer(bin, [...blog, '--host', '0.0.0.0']), (e) => {
    assert.match(e.message, /exited with [1-9]/);
    assert.match(e.message, /--auth/);
    assert.match(e.message, /--insecure-no-auth/);
    return true;
  });
  // A bad auth file stops it at start-up with the JSON Pointer of the bad part.
  const bad = authDir({ ...baseConfig, roles: { user: { tables: { posts: { select: { colums: [] } } } } } });
  await assert.rejects(startServer(bin, [...blog, '--auth', bad]), /\/roles\/user\/tables\/posts\/select/);
  // So does a rule naming a column, relation or table the schema lacks.
  const misnamed = authDir({ ...baseConfig, roles: { ...baseConfig.roles, user: { tables: { posts: { select: { filter: { author: { nmae: 'x' } } } } } } } });
  await assert.rejects(startServer(bin, [...blog, '--auth', misnamed]), /no column or relation 'nmae' at \/roles\/user\/tables\/posts\/select\/filter\/author\/nmae/);
  const noTable = authDir({ ...baseConfig, roles: { ...baseConfig.roles, user: { tables: { post: { select: {} } } } } });
  await assert.rejects(startServer(bin, [...blog, '--auth', noTable]), /no table 'post' at \/roles\/user\/tables\/post/);
});

test('SIGHUP reloads the auth file; a bad file keeps the rules in force', { skip: !bin }, async () => {
  const file = authDir();
  await withServer(['--auth', file], async (server) => {
    assert.equal((await post(server.url, '/v1/query', countPosts)).status, 401);
    const withAnonymous = { ...baseConfig, anonymousRole: 'anon', roles: { ...baseConfig.roles, anon: { tables: { posts: { select: {} } } } } };
    writeFileSync(file, JSON.stringify(withAnonymous));
    server.proc.kill('SIGHUP');
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await sleep(100);
      status = (await post(server.url, '/v1/query', countPosts)).status;
    }
    assert.equal(status, 200, 'the anonymous role of the new file serves');
    writeFileSync(file, '{"roles": ');
    server.proc.kill('SIGHUP');
    for (let i = 0; i < 50 && !server.stderr().includes('not reloaded'); i++) await sleep(100);
    assert.match(server.stderr(), /not reloaded/);
    assert.equal((await post(server.url, '/v1/query', countPosts)).status, 200, 'the old rules stay');
  });
});

test('live: credentials in connection_init; refused ones close with 4403 before connection_ack', { skip: !bin }, async () => {
  await withServer(['--auth', authDir()], async (server) => {
    for (const token of [undefined, 'not-a-key', hs256(SECRET, claims({ exp: now() - 5 }))]) {
      const c = await LiveClient.open(server.url, { init: false });
      c.send({ type: 'connection_init', payload: token === undefined ? {} : { token } });
      const { code } = await c.closed;
      assert.equal(code, 4403, `token ${token}`);
      assert.ok(!c.messages.some((m) => m.type === 'connection_ack'));
    }
    const quiet = await LiveClient.open(server.url, { token: hs256(SECRET, claims({ role: 'quiet' })) });
    quiet.subscribe('q', { table: 'posts', op: 'count' });
    const refused = await quiet.waitFor((m) => m.type === 'error');
    assert.equal(refused.payload[0].extensions?.code ?? refused.payload[0].code, 'FORBIDDEN', JSON.stringify(refused));
    await quiet.close();
  });
});

test('live: a subscriber never receives a row its rules hide, before or after writes by others', { skip: !bin }, async () => {
  await withServer(['--auth', authDir()], async (server) => {
    const u2 = await LiveClient.open(server.url, { token: hs256(SECRET, claims({ sub: 'u2' })) });
    const q = { table: 'posts', op: 'findMany', columns: { title: true, authorId: true } };
    u2.subscribe('s', q);
    const first = await u2.waitVersion('s', 1);
    assert.equal(first.data.length, 9, 'published posts; u2 has no unpublished ones');
    const u1 = bearer(hs256(SECRET, claims({ sub: 'u1' })));
    const hidden = await post(server.url, '/v1/mutate', { op: 'insert', table: 'posts', values: { title: 'Draft by u1', published: false } }, u1);
    assert.equal(hidden.status, 200, hidden.text);
    const shown = await post(server.url, '/v1/mutate', { op: 'insert', table: 'posts', values: { title: 'Public by u1', published: true } }, u1);
    assert.equal(shown.status, 200, shown.text);
    const after = await u2.waitFor(() => (u2.state.get('s')?.data ?? []).some((p) => p.title === 'Public by u1'));
    assert.ok(after);
    for (const m of u2.messages) assert.ok(!JSON.stringify(m).includes('Draft by u1'), `a hidden row reached u2: ${JSON.stringify(m)}`);
    assert.ok(!u2.state.get('s').data.some((p) => p.title === 'Draft by u1'));
    await u2.close();
  });
});

test('live: callers with equal claim values share one topic; the socket closes with 4403 when the token expires', { skip: !bin }, async () => {
  await withServer(['--auth', authDir()], async (server) => {
    const q = { table: 'posts', op: 'findMany', columns: { title: true } };
    const a = await LiveClient.open(server.url, { token: hs256(SECRET, claims({ role: 'member', sub: 'a', team: 'math' })) });
    const b = await LiveClient.open(server.url, { token: hs256(SECRET, claims({ role: 'member', sub: 'b', team: 'math' })) });
    const c = await LiveClient.open(server.url, { token: hs256(SECRET, claims({ role: 'member', sub: 'c', team: 'history', exp: now() + 2 })) });
    for (const x of [a, b, c]) x.subscribe('s', q);
    const [ra, rb, rc] = await Promise.all([a.waitVersion('s', 1), b.waitVersion('s', 1), c.waitVersion('s', 1)]);
    assert.deepEqual(ra.data, rb.data);
    assert.equal(ra.data.length, 3, 'math posts');
    assert.equal(rc.data.length, 2, 'history posts');
    assert.equal(await metric(server.url, 'dc_live_topics'), 2, 'a and b (team math) share a topic; c has its own');
    const { code, reason } = await c.closed;
    assert.equal(code, 4403, reason);
    assert.match(reason, /expired/);
    assert.equal(a.closeCode, undefined, 'a later expiry does not close the others');
    await a.close();
    await b.close();
  });
});

test('Convex: calls act as the caller (acting-as identity), so the functions see the user in ctx.auth', { skip: !bin }, async () => {
  const KEY = 'auth-e2e-admin-key';
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--auth', authDir(), '--no-access-log']);
  try {
    await waitReady(server.url);
    const ids = await (await fetch(`${emulator.url}/_emulator/ids`)).json();
    const u1 = ids.u1;
    const res = await post(server.url, '/v1/query', countPosts, bearer(hs256(SECRET, claims({ sub: u1, email: 'ada@x.io', email_verified: true }))));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.data.count, 10, 'the rules are in the plan');
    const stats = await (await fetch(`${emulator.url}/_emulator/stats`)).json();
    assert.ok(stats.actingAs >= 1, 'the call carried an acting-as identity');
    assert.equal(stats.lastIdentity.subject, u1);
    assert.equal(stats.lastIdentity.issuer, ISSUER);
    assert.equal(stats.lastIdentity.tokenIdentifier, `${ISSUER}|${u1}`);
    assert.equal(stats.lastIdentity.email, 'ada@x.io');
    assert.equal(stats.lastIdentity.emailVerified, true);
    // A bypass API key still acts as its subject (issuer: the proxy).
    await post(server.url, '/v1/query', countPosts, bearer(API_KEY));
    const after = await (await fetch(`${emulator.url}/_emulator/stats`)).json();
    assert.equal(after.lastIdentity.subject, 'billing');
  } finally {
    assert.equal(await server.stop(), 0, server.stderr().slice(-3000));
    await emulator.stop();
  }
});

test('/v1/schema per role keeps a relation over several fields only when the role sees all of them', { skip: !bin }, async () => {
  const org = join(root, 'tests/conformance/fixtures/org');
  const config = {
    jwt: { secret: SECRET, algorithms: ['HS256'] },
    roles: {
      full: { tables: { regions: { select: {} }, offices: { select: {} } } },
      partial: { tables: { regions: { select: { columns: ['_id', 'country', 'name'] } }, offices: { select: {} } } },
      noOpen: { tables: { regions: { select: {} }, offices: { select: { columns: ['country', 'regionCode', 'city'] } } } },
    },
  };
  const args = ['--schema', join(org, 'schema.json'), '--import', join(org, 'data'), '--no-access-log', '--auth', authDir(config)];
  await withFreshServer(bin, args, async (server) => {
    const schemaAs = async (role) => {
      const res = await fetch(`${server.url}/v1/schema`, { headers: bearer(hs256(SECRET, { sub: 'x', role })) });
      assert.equal(res.status, 200, await res.clone().text());
      return res.json();
    };
    const full = await schemaAs('full');
    assert.deepEqual(full.relations.offices.region.from, ['country', 'regionCode']);
    assert.ok(full.relations.regions.offices);
    const partial = await schemaAs('partial');
    // regions.code is hidden: every relation keyed on it is left out, the others stay.
    assert.equal(partial.relations.offices.region, undefined);
    assert.equal(partial.relations.regions.offices, undefined);
    assert.deepEqual(Object.keys(partial.tables.regions.documentType.value).sort(), ['country', 'name']);
    // A relation's where is shown only to roles that may read the columns it names (offices.open here).
    assert.deepEqual(full.relations.regions.openOffices.where, { open: true });
    const noOpen = await schemaAs('noOpen');
    assert.deepEqual(noOpen.relations.regions.openOffices.from, ['country', 'code']);
    assert.equal(noOpen.relations.regions.openOffices.where, undefined);
    const res = await post(server.url, '/v1/query', { table: 'offices', columns: { city: true }, where: { city: 'Lyon' }, with: { region: true } },
      bearer(hs256(SECRET, { sub: 'x', role: 'full' })));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.data[0].region.name, 'Auvergne-Rhône-Alpes');
  });
});
