// `_count` and aggregates live (protocol.md section 11): a subscription with relation
// counts is pushed when a write changes a count, a write to the junction of
// a many-to-many relation included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { withServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const fixture = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;

test('a live _count is pushed when a write to the junction changes it', { skip: !bin }, async () => {
  await withServer(bin, ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data')], async (server) => {
    const client = createClient({ url: `${server.url.replace('http', 'ws')}/v1/live`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const seen = [];
    let wake = () => {};
    const stop = client.subscribe(
      { query: JSON.stringify({ table: 'tags', op: 'findMany', where: { name: 'unused' }, columns: { name: true }, with: { _count: { posts: true } } }) },
      { next: (v) => { seen.push(v.data); wake(); }, error: (e) => assert.fail(JSON.stringify(e)), complete: () => {} });
    const next = async (n) => { while (seen.length < n) await new Promise((r) => { wake = r; setTimeout(r, 50); }); return seen[n - 1]; };
    try {
      assert.deepEqual(await next(1), [{ name: 'unused', _count: { posts: 0 } }]);
      const link = await post(server.url, '/v1/mutate', { op: 'insert', table: 'postTags', values: { postId: 'p4', tagId: 't4' } });
      assert.equal(link.status, 200, link.text);
      assert.deepEqual(await next(2), [{ name: 'unused', _count: { posts: 1 } }]);
      // A write that changes no count pushes nothing.
      const other = await post(server.url, '/v1/mutate', { op: 'update', table: 'posts', set: { views: 1 }, where: { _id: 'p4' } });
      assert.equal(other.status, 200, other.text);
      const again = await post(server.url, '/v1/mutate', { op: 'insert', table: 'postTags', values: { postId: 'p5', tagId: 't4' } });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(await next(3), [{ name: 'unused', _count: { posts: 2 } }]);
    } finally {
      stop();
      await client.dispose();
    }
  });
});

test('a live aggregate is pushed when a write changes its answer, a junction write included', { skip: !bin }, async () => {
  await withServer(bin, ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data')], async (server) => {
    const client = createClient({ url: `${server.url.replace('http', 'ws')}/v1/live`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const seen = [];
    let wake = () => {};
    const query = {
      table: 'posts', op: 'aggregate', where: { tags: { name: 'math' } }, groupBy: ['published'],
      aggregates: { n: { count: true }, views: { sum: 'views' } },
    };
    const stop = client.subscribe(
      { query: JSON.stringify(query) },
      { next: (v) => { seen.push(v.data); wake(); }, error: (e) => assert.fail(JSON.stringify(e)), complete: () => {} });
    const next = async (n) => { while (seen.length < n) await new Promise((r) => { wake = r; setTimeout(r, 50); }); return seen[n - 1]; };
    const write = async (body) => { const r = await post(server.url, '/v1/mutate', body); assert.equal(r.status, 200, r.text); };
    try {
      assert.deepEqual(await next(1), [{ published: false, n: 1, views: 20 }, { published: true, n: 1, views: 800 }]);
      // p4 (published, 450 views) gets the math tag: only the junction is written.
      await write({ op: 'insert', table: 'postTags', values: { postId: 'p4', tagId: 't2' } });
      assert.deepEqual(await next(2), [{ published: false, n: 1, views: 20 }, { published: true, n: 2, views: 1250 }]);
      // A write the answer does not show pushes nothing; the next push is the views change.
      await write({ op: 'update', table: 'posts', set: { title: 'COBOL, counted' }, where: { _id: 'p4' } });
      await write({ op: 'update', table: 'posts', set: { views: 50 }, where: { _id: 'p4' } });
      assert.deepEqual(await next(3), [{ published: false, n: 1, views: 20 }, { published: true, n: 2, views: 850 }]);
      assert.equal(seen.length, 3);
    } finally {
      stop();
      await client.dispose();
    }
  });
});
