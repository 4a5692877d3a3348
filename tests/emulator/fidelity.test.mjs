// The emulator's fidelity: the official `convex` npm clients, unchanged,
// work against it — ConvexHttpClient for queries and mutations, ConvexClient
// for a subscription over the sync WebSocket that sees a mutation's effect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ConvexHttpClient, ConvexClient } from 'convex/browser';
import { makeFunctionReference } from 'convex/server';
import { startEmulator } from '../lib/server.mjs';
import { PLAN_VERSION } from '../../adapter/dist/plan.js';

const fixture = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;
const KEY = 'fidelity-admin-key';
const execute = makeFunctionReference('drizzle:execute');
const mutate = makeFunctionReference('drizzle:mutate');
const describe = makeFunctionReference('drizzle:describe');

// Plans as the proxy makes them (the shapes of server/planner/plan_json.cpp).
const access = (table) => ({ table, source: { type: 'fullScan', index: 'by_creation_time', indexFields: ['_creationTime'], order: 'asc' },
  indexFilter: [], postFilter: null, order: { source: 'accessPath', keys: [], requestedKeys: 0 }, maxReads: null, requestPath: '/where' });
const countTags = JSON.stringify({ planVersion: PLAN_VERSION, kind: 'read', op: 'count', root: { access: access('tags') }, readBudget: 1000, maxReads: null, warnings: [] });
const insertTag = (name) => JSON.stringify({ planVersion: PLAN_VERSION, kind: 'mutation', transaction: false, readBudget: 1000,
  steps: [{ op: 'insert', table: 'tags', path: '', rowPaths: ['/values'], rows: [{ name }] }], rules: { tags: { unique: [['name']], references: [], onDelete: [] } } });

async function withEmulator(fn) {
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', KEY]);
  try { await fn(emulator.url); } finally { await emulator.stop(); }
}

test('ConvexHttpClient: queries and mutations with an admin key; refused without one', async () => {
  await withEmulator(async (url) => {
    const client = new ConvexHttpClient(url, { skipConvexDeploymentUrlCheck: true });
    await assert.rejects(client.query(execute, { plan: countTags }), /Could not find public function/);
    client.setAdminAuth(KEY);
    const before = await client.query(execute, { plan: countTags });
    assert.equal(typeof before.data.count, 'number');
    const inserted = await client.mutation(mutate, { plan: insertTag('from-http-client') });
    assert.equal(inserted.data.rowsAffected, 1);
    const after = await client.query(execute, { plan: countTags });
    assert.equal(after.data.count, before.data.count + 1);
    const schema = JSON.parse(await client.query(describe, {}));
    assert.deepEqual(schema.tables.tags.unique, [['name']]);
    // A ConvexError from the adapter arrives as the client's ConvexError data.
    await assert.rejects(client.mutation(mutate, { plan: insertTag('from-http-client') }), (e) => e.data?.code === 'CONFLICT');
    // describe names the plan version; a plan of another version is refused
    // whole (an older proxy's plan would be misread), and writes nothing.
    assert.equal(schema.planVersion, PLAN_VERSION);
    const v1 = (plan) => JSON.stringify({ ...JSON.parse(plan), planVersion: 1 });
    await assert.rejects(client.query(execute, { plan: v1(countTags) }), (e) => e.data?.code === 'UPSTREAM_ERROR' && new RegExp(`plan version ${PLAN_VERSION} and was sent version 1`).test(e.data.message));
    await assert.rejects(client.mutation(mutate, { plan: v1(insertTag('old-proxy')) }), (e) => e.data?.code === 'UPSTREAM_ERROR');
    const unchanged = await client.query(execute, { plan: countTags });
    assert.equal(unchanged.data.count, after.data.count);
  });
});

test('the HTTP API: /api/run/<path> and /api/query_ts', async () => {
  await withEmulator(async (url) => {
    const run = await fetch(`${url}/api/run/drizzle/describe`, { method: 'POST', headers: { authorization: `Convex ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ args: {} }) });
    const body = await run.json();
    assert.equal(body.status, 'success');
    assert.ok(JSON.parse(body.value).tables.users);
    const bad = await fetch(`${url}/api/query`, { method: 'POST', headers: { authorization: 'Convex wrong-key' }, body: JSON.stringify({ path: 'drizzle:describe', args: {} }) });
    assert.equal(bad.status, 401);
    assert.equal((await bad.json()).code, 'BadAdminKey');
    const ts = await (await fetch(`${url}/api/query_ts`, { method: 'POST' })).json();
    assert.equal(Buffer.from(ts.ts, 'base64').length, 8);
  });
});

test('ConvexClient: a subscription over the sync WebSocket sees a mutation', async () => {
  await withEmulator(async (url) => {
    const client = new ConvexClient(url, { skipConvexDeploymentUrlCheck: true, webSocketConstructor: WebSocket });
    client.setAdminAuth(KEY);
    const seen = [];
    let wake;
    const unsubscribe = client.onUpdate(execute, { plan: countTags }, (v) => { seen.push(v.data.count); wake?.(); });
    const next = () => new Promise((resolve, reject) => {
      wake = resolve;
      setTimeout(() => reject(new Error(`no update; seen ${JSON.stringify(seen)}`)), 10000).unref();
    });
    try {
      if (!seen.length) await next();
      const first = seen[0];
      const update = next();
      const r = await client.mutation(mutate, { plan: insertTag('from-ws-client') });
      assert.equal(r.data.rowsAffected, 1);
      await update;
      assert.equal(seen.at(-1), first + 1);
    } finally {
      unsubscribe();
      await client.close();
    }
  });
});

test('ConvexClient: after the emulator drops its WebSocket, the client reconnects and resubscribes', async () => {
  await withEmulator(async (url) => {
    const client = new ConvexClient(url, { skipConvexDeploymentUrlCheck: true, webSocketConstructor: WebSocket });
    client.setAdminAuth(KEY);
    const seen = [];
    const unsubscribe = client.onUpdate(execute, { plan: countTags }, (v) => seen.push(v.data.count));
    const waitFor = async (pred, what) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(pred(), `${what}; seen ${JSON.stringify(seen)}`);
    };
    try {
      await waitFor(() => seen.length > 0, 'a first result');
      const first = seen[0];
      await fetch(`${url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ dropWebSockets: true }) });
      const http = new ConvexHttpClient(url, { skipConvexDeploymentUrlCheck: true });
      http.setAdminAuth(KEY);
      await http.mutation(mutate, { plan: insertTag('while-disconnected') });
      await waitFor(() => seen.at(-1) === first + 1, 'the count after the reconnect');
    } finally {
      unsubscribe();
      await client.close();
    }
  });
});

test('an admin key acting as a user (ConvexHttpClient.setAdminAuth): functions see the identity; a malformed identity is a 400', async () => {
  await withEmulator(async (url) => {
    const whoami = makeFunctionReference('_emulator:whoami');
    const client = new ConvexHttpClient(url);
    client.setAdminAuth(KEY);
    assert.equal(await client.query(whoami, {}), null, 'plain admin: no user');
    client.setAdminAuth(KEY, { issuer: 'https://issuer.example', subject: 'u1', name: 'Ada', emailVerified: true, org: 'acme' });
    const id = await client.query(whoami, {});
    assert.equal(id.subject, 'u1');
    assert.equal(id.issuer, 'https://issuer.example');
    assert.equal(id.tokenIdentifier, 'https://issuer.example|u1');
    assert.equal(id.name, 'Ada');
    assert.equal(id.org, 'acme');
    const raw = (identity) => fetch(`${url}/api/query`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Convex ${KEY}:${identity}` },
      body: JSON.stringify({ path: '_emulator:whoami', args: {}, format: 'json' }),
    });
    for (const bad of ['not base64!', Buffer.from('{"name":"no subject"}').toString('base64'), Buffer.from('[1]').toString('base64'),
                       Buffer.from('{"subject":"u1","issuer":"i","emailVerified":"yes"}').toString('base64')]) {
      const r = await raw(bad);
      assert.equal(r.status, 400, bad);
      assert.equal((await r.json()).code, 'InvalidActingAsIdentity');
    }
    assert.equal((await raw(Buffer.from('{"subject":"u2","issuer":"i"}').toString('base64'))).status, 200);
  });
});
