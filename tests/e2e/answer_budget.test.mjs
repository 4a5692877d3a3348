// The answer's budget (issue 30, items 4 and 5): rows that multiply through
// relations are counted while the answer is built and refused at the budget,
// before the server holds them; a relation order's join stops at the read
// budget as it is gathered. Memory is read from /proc (VmHWM: the peak).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, post } from '../lib/server.mjs';
import { LiveClient } from '../lib/live.mjs';

const bin = process.env.DC_SERVER;

function peakKiB(server) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'));
  return Number(m[1]);
}

// One new user with `n` posts; returns the user's id.
async function authorWithPosts(server, n) {
  const u = await post(server.url, '/v1/mutate', { op: 'insert', table: 'users', values: { name: 'Prolific', email: 'p@x.io', role: 'member', credits: 0 }, returning: true });
  assert.equal(u.status, 200, u.text);
  const id = u.json.data[0]._id;
  for (let done = 0; done < n; done += 500) {
    const values = Array.from({ length: Math.min(500, n - done) }, (_, i) => ({ authorId: id, title: `post ${done + i}`, body: 'b', published: true, views: i }));
    const r = await post(server.url, '/v1/mutate', { op: 'insert', table: 'posts', values });
    assert.equal(r.status, 200, r.text);
  }
  return id;
}

test('1 user, 1,000 posts, each with its 1,000 siblings: a 400 naming the relation, before a million rows are built', { timeout: 120000 }, async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  try {
    const id = await authorWithPosts(server, 1000);
    const before = peakKiB(server);
    const r = await post(server.url, '/v1/query', {
      table: 'users', op: 'findMany', where: { _id: id }, columns: { name: true },
      with: { posts: { columns: { title: true }, with: { author: { columns: { name: true }, with: { posts: { columns: { title: true } } } } } } },
    });
    assert.equal(r.status, 400, r.text.slice(0, 500));
    assert.equal(r.json.error.code, 'INVALID_QUERY');
    assert.equal(r.json.error.path, '/with/posts/with/author');
    assert.match(r.json.error.message, /100000 rows/);
    const grown = peakKiB(server) - before;
    // The whole answer would be ~30 MB of JSON and a million row objects.
    assert.ok(grown < 64 * 1024, `peak memory grew by ${grown} KiB while refusing`);
    // The same rows within the budget: the posts without their siblings.
    const ok = await post(server.url, '/v1/query', {
      table: 'users', op: 'findMany', where: { _id: id }, columns: { name: true },
      with: { posts: { columns: { title: true }, with: { author: { columns: { name: true } } } } },
    });
    assert.equal(ok.status, 200, ok.text.slice(0, 500));
    assert.equal(ok.json.data[0].posts.length, 1000);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('ordering 3,000 posts by the highest views among their author\'s posts: the 9,000,000-row join stops at the read budget as it is gathered', { timeout: 120000 }, async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  try {
    await authorWithPosts(server, 3000);
    // By their author's post count, the engine counts the posts in the
    // foreign-key index instead of joining them: the posts and one author.
    const counted = await post(server.url, '/v1/query', {
      table: 'posts', op: 'findMany', columns: { title: true }, orderBy: { author: { posts: 'desc(count)' } }, limit: 5,
    });
    assert.equal(counted.status, 200, counted.text.slice(0, 500));
    assert.equal(counted.json.data.length, 5);
    const posts = (await post(server.url, '/v1/query', { table: 'posts', op: 'count' })).json.data.count;
    assert.ok(Number(counted.headers.get('x-docs-read')) <= posts + 40, `read ${counted.headers.get('x-docs-read')} for ${posts} posts`);
    const before = peakKiB(server);
    const r = await post(server.url, '/v1/query', {
      table: 'posts', op: 'findMany', columns: { title: true }, orderBy: { author: { posts: { views: 'desc(max)' } } }, limit: 5,
    });
    assert.equal(r.status, 400, r.text.slice(0, 500));
    assert.equal(r.json.error.code, 'INVALID_QUERY');
    assert.match(r.json.error.message, /joins more than the budget of 32000 rows/);
    const grown = peakKiB(server) - before;
    // Before the fix the join was built whole first: 9 million row references.
    assert.ok(grown < 64 * 1024, `peak memory grew by ${grown} KiB while refusing`);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('a live result that outgrows the answer\'s budget gets error, then complete; the socket stays open', { timeout: 60000 }, async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log', '--answer-rows', '40']);
  try {
    const c = await LiveClient.open(server.url);
    c.subscribe('tags', { table: 'tags', op: 'findMany', columns: { name: true } });
    const first = await c.waitVersion('tags', 1);
    assert.ok(first.data.length <= 40);
    const values = Array.from({ length: 40 - first.data.length + 1 }, (_, i) => ({ name: `grown ${i}` }));
    const w = await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values });
    assert.equal(w.status, 200, w.text);
    const err = await c.waitFor((m) => m.type === 'error' && m.id === 'tags');
    assert.equal(err.payload[0].code, 'INVALID_QUERY');
    assert.match(err.payload[0].message, /--answer-rows/);
    const at = c.messages.indexOf(err);
    await c.waitFor((m) => m.type === 'complete' && m.id === 'tags', { from: at });
    // The socket serves on: a new subscription within the budget is answered.
    c.subscribe('few', { table: 'tags', op: 'findMany', columns: { name: true }, limit: 3 });
    const few = await c.waitVersion('few', 1);
    assert.equal(few.data.length, 3);
    await c.close();
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('a many-to-many relation counts its rows once sliced: 20 links under limit 5 fit --answer-rows 15', { timeout: 60000 }, async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log', '--answer-rows', '15']);
  try {
    const post1 = (await post(server.url, '/v1/query', { table: 'posts', op: 'findFirst', columns: { _id: true } })).json.data._id;
    const tags = await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: Array.from({ length: 20 }, (_, i) => ({ name: `linked-${i}` })), returning: true });
    assert.equal(tags.status, 200, tags.text);
    const links = tags.json.data.map((t) => ({ postId: post1, tagId: t._id }));
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'postTags', values: links })).status, 200);
    const r = await post(server.url, '/v1/query', { table: 'posts', op: 'findMany', where: { _id: post1 }, columns: { title: true },
      with: { tags: { columns: { name: true }, limit: 5, orderBy: { name: 'asc' } } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data[0].tags.length, 5);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});
