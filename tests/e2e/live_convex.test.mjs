// /v1/live on the Convex backend against the emulator: live queries are
// subscriptions over Convex's sync WebSocket (one socket, one query per
// distinct plan), surviving Transition gaps and dropped sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, startEmulator, post, waitReady, metric } from '../lib/server.mjs';
import { LiveClient } from '../lib/live.mjs';

const bin = process.env.DC_SERVER;
const fixture = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;
const KEY = 'e2e-admin-key';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const emu = (e, route, body) => body === undefined
  ? fetch(`${e.url}/_emulator/${route}`).then((r) => r.json())
  : fetch(`${e.url}/_emulator/${route}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());


async function until(what, fn, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const tagsByName = { table: 'tags', op: 'findMany', orderBy: { name: 'asc' } };
const names = (c, id) => (c.state.get(id)?.data ?? []).map((t) => t.name);

test('Convex: shared upstream subscription, writes pushed, Transition gaps resync, dropped sockets reconnect; clients converge without complete', { skip: !bin }, async () => {
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log']);
  try {
    await waitReady(server.url);
    const a = await LiveClient.open(server.url);
    const b = await LiveClient.open(server.url, { patches: true });
    a.subscribe('q', tagsByName);
    b.subscribe('q', tagsByName);
    await a.waitVersion('q', 1);
    await b.waitVersion('q', 1);
    assert.deepEqual(names(a, 'q'), ['classic', 'history', 'math', 'unused']);
    assert.equal(await metric(server.url, 'dc_live_topics'), 1);
    assert.equal((await emu(emulator, 'stats')).syncConnects, 1, 'one upstream socket');

    const write = async (name) => {
      const w = await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name } });
      assert.equal(w.status, 200, w.text);
    };
    await write('alpha');
    await a.waitFor(() => names(a, 'q').includes('alpha'));
    await b.waitFor(() => names(b, 'q').includes('alpha'));
    assert.equal(a.state.get('q').version, 2);
    assert.equal(b.state.get('q').version, 2);

    // A Transition that does not continue the last one: the proxy resubscribes.
    await emu(emulator, 'faults', { breakTransitions: 1 });
    await write('beta');
    await until('a resync', async () => (await metric(server.url, 'dc_convex_sync_resyncs_total')) >= 1);
    await until('a second upstream socket', async () => (await emu(emulator, 'stats')).syncConnects >= 2);
    await a.waitFor(() => names(a, 'q').includes('beta'));
    await b.waitFor(() => names(b, 'q').includes('beta'));

    // The emulator drops every sync socket; writes continue meanwhile.
    await emu(emulator, 'faults', { dropWebSockets: true });
    await write('gamma');
    await write('delta');
    await until('a reconnect', async () => (await emu(emulator, 'stats')).syncConnects >= 3);
    const final = (await post(server.url, '/v1/query', tagsByName)).json.data;
    await a.waitFor(() => JSON.stringify(a.state.get('q').data) === JSON.stringify(final));
    await b.waitFor(() => JSON.stringify(b.state.get('q').data) === JSON.stringify(final));
    assert.deepEqual(names(a, 'q'), ['alpha', 'beta', 'classic', 'delta', 'gamma', 'history', 'math', 'unused']);
    for (const c of [a, b]) {
      assert.deepEqual(c.gaps, []);
      assert.equal(c.messages.filter((m) => m.type === 'complete' || m.type === 'error').length, 0);
    }
    assert.equal(a.closeCode, undefined, 'the clients stayed connected');

    // The query leaves the upstream set with its last subscriber: no more work upstream.
    a.send({ type: 'complete', id: 'q' });
    b.send({ type: 'complete', id: 'q' });
    await until('the topic to go', async () => (await metric(server.url, 'dc_live_topics')) === 0);
    await a.close();
    await b.close();
  } finally {
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
    await emulator.stop();
  }
});

test('Convex: a query the adapter refuses ends with an error naming its code and path', { skip: !bin }, async () => {
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log', '--read-budget', '3']);
  try {
    await waitReady(server.url);
    const c = await LiveClient.open(server.url);
    c.subscribe('big', { table: 'users', op: 'findMany', with: { posts: true } });
    const err = await c.waitFor((m) => m.type === 'error' && m.id === 'big');
    assert.equal(err.payload[0].code, 'INVALID_QUERY', JSON.stringify(err));
    assert.ok(err.payload[0].path, JSON.stringify(err));
    await c.close();
  } finally {
    await server.stop();
    await emulator.stop();
  }
});

test('Convex: a live query through a relation with a predefined where and bare values in column OR follows writes', { skip: !bin }, async () => {
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log']);
  try {
    await waitReady(server.url);
    const ids = await emu(emulator, 'ids');  // fixture id → deployment id
    const c = await LiveClient.open(server.url);
    // users.publishedPosts: many posts where {published: true}.
    c.subscribe('quiet', { table: 'users', columns: { name: true }, where: { publishedPosts: false, role: { OR: ['member', 'editor'] } }, orderBy: { name: 'asc' } });
    await c.waitVersion('quiet', 1);
    const quiet = () => c.state.get('quiet').data.map((u) => u.name);
    assert.deepEqual(quiet(), ['Barbara Liskov', 'Émilie du Châtelet']);
    const insert = async (values) => {
      const w = await post(server.url, '/v1/mutate', { op: 'insert', table: 'posts', values });
      assert.equal(w.status, 200, w.text);
    };
    await insert({ authorId: ids.u8, title: 'Draft', published: false, views: 0 });  // unpublished: still quiet
    await insert({ authorId: ids.u5, title: 'CLU', published: true, views: 1 });
    await c.waitFor(() => quiet().length === 1);
    assert.deepEqual(quiet(), ['Émilie du Châtelet']);
    assert.deepEqual(c.gaps, []);
    await c.close();
  } finally {
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
    await emulator.stop();
  }
});

test('Convex: a live query ordered by related rows reorders when only the related table changes', { skip: !bin }, async () => {
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log']);
  try {
    await waitReady(server.url);
    const ids = await emu(emulator, 'ids');
    const c = await LiveClient.open(server.url);
    c.subscribe('talkers', { table: 'users', columns: { name: true }, where: { role: 'member' },
      orderBy: { comments: 'desc(count)', name: 'asc' } });
    await c.waitVersion('talkers', 1);
    const names = () => c.state.get('talkers').data.map((u) => u.name);
    assert.deepEqual(names(), ['Alan Turing', 'Ken Thompson', 'Barbara Liskov', 'Émilie du Châtelet']);
    for (const body of ['First', 'Second', 'Third']) {
      const w = await post(server.url, '/v1/mutate', { op: 'insert', table: 'comments', values: { postId: ids.p1, authorId: ids.u8, body } });
      assert.equal(w.status, 200, w.text);
    }
    await c.waitFor(() => names()[0] === 'Émilie du Châtelet');
    assert.deepEqual(names(), ['Émilie du Châtelet', 'Alan Turing', 'Ken Thompson', 'Barbara Liskov']);
    assert.deepEqual(c.gaps, []);
    await c.close();
  } finally {
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
    await emulator.stop();
  }
});

test('Convex: a live aggregate follows a junction write (the adapter folds the groups)', { skip: !bin }, async () => {
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log']);
  try {
    await waitReady(server.url);
    const ids = await emu(emulator, 'ids');
    const c = await LiveClient.open(server.url);
    c.subscribe('math', { table: 'posts', op: 'aggregate', where: { tags: { name: 'math' } }, groupBy: ['published'],
      aggregates: { n: { count: true }, views: { sum: 'views' } } });
    await c.waitVersion('math', 1);
    assert.deepEqual(c.state.get('math').data, [{ published: false, n: 1, views: 20 }, { published: true, n: 1, views: 800 }]);
    const w = await post(server.url, '/v1/mutate', { op: 'insert', table: 'postTags', values: { postId: ids.p4, tagId: ids.t2 } });
    assert.equal(w.status, 200, w.text);
    await c.waitFor(() => c.state.get('math').data[1]?.n === 2);
    assert.deepEqual(c.state.get('math').data, [{ published: false, n: 1, views: 20 }, { published: true, n: 2, views: 1250 }]);
    await c.close();
  } finally {
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
    await emulator.stop();
  }
});
