// Schema defaults on the write paths the conformance cases do not reach:
// a mutation sent over the live socket (graphql-transport-ws `subscribe`)
// gets them like one sent over HTTP (protocol.md section 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { withServer } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const fixture = new URL('../conformance/fixtures/accounts/', import.meta.url).pathname;

test('a mutation over the live socket gets the schema defaults and onUpdate', { skip: !bin }, async () => {
  await withServer(bin, ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data')], async (server) => {
    const client = createClient({ url: `${server.url.replace('http', 'ws')}/v1/live`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const once = (payload) => new Promise((resolve, reject) => {
      const results = [];
      client.subscribe({ query: JSON.stringify(payload) }, { next: (v) => results.push(v), error: reject, complete: () => resolve(results) });
    });
    try {
      const before = Date.now();
      const [inserted] = await once({ op: 'insert', table: 'accounts', values: { name: 'live' }, returning: true });
      const row = inserted.data[0];
      assert.equal(row.role, 'member');
      assert.equal(row.credits, 0);
      assert.match(row.token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(row.createdAt >= before - 1000 && row.createdAt <= Date.now() + 1000);
      assert.equal(row.updatedAt, undefined);
      const [updated] = await once({ op: 'update', table: 'accounts', set: { plan: 'pro' }, where: { name: 'live' }, returning: { updatedAt: true } });
      assert.equal(typeof updated.data[0].updatedAt, 'number');
    } finally {
      await client.dispose();
    }
  });
});
