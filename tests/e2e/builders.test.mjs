// The sample Convex project's builder schema (docker/sample/convex/schema.ts),
// run as Convex would run it (the emulator, with the adapter wired in as the
// sample's drizzle.ts does), with the proxy in front: the proxy loads its
// describe answer, applies its defaults, refuses non-integral credits, and
// its /v1/schema loads back into a server of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { pathToFileURL } from 'node:url';
import { connect } from 'drizzle-convex-client';
import { startServer, startEmulator, post, waitReady } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const root = new URL('../..', import.meta.url).pathname;
const KEY = 'builders-admin-key';

// Inside the checkout, so the bundle's imports (convex, drizzle-convex-adapter) resolve from its node_modules.
async function bundleSampleSchema() {
  const dir = join(process.env.DC_BUILD_DIR ?? join(root, 'build'), 'e2e-builders');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'sample_schema.mjs');
  await build({
    entryPoints: [join(root, 'docker/sample/convex/schema.ts')], bundle: true, format: 'esm', platform: 'node',
    outfile: out, external: ['convex', 'convex/*', 'drizzle-convex-adapter'], logLevel: 'warning',
  });
  return out;
}

test('the sample builder schema through the emulator: defaults, integer, relations, /v1/schema round trip', { skip: !bin, timeout: 120000 }, async () => {
  const bundled = await bundleSampleSchema();
  const emulator = await startEmulator(['--schema', bundled, '--admin-key', KEY]);
  let server;
  let again;
  try {
    server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY]);
    await waitReady(server.url);
    const schema = await (await fetch(`${server.url}/v1/schema`)).json();
    const users = schema.tables.users.documentType.value;
    assert.equal(users.role.default, 'member');
    assert.equal(users.credits.integer, true);
    assert.deepEqual(users.createdAt.default, { $fn: 'now' });
    assert.deepEqual(schema.tables.users.unique, [['email']]);
    assert.deepEqual(schema.relations.posts.author, { one: 'users', from: 'authorId', to: '_id', optional: false, onDelete: 'cascade' });
    assert.deepEqual(schema.tables.posts.documentType.value.updatedAt.onUpdate, { $fn: 'now' });

    const before = Date.now();
    const ada = await post(server.url, '/v1/mutate', { op: 'insert', table: 'users', values: { name: 'Ada', email: 'ada@x.io' }, returning: true });
    assert.equal(ada.status, 200, ada.text);
    const row = ada.json.data[0];
    assert.equal(row.role, 'member');
    assert.equal(row.credits, 0);
    assert.ok(row.createdAt >= before - 1000 && row.createdAt <= Date.now() + 1000, `createdAt ${row.createdAt} is the write's time`);

    const half = await post(server.url, '/v1/mutate', { op: 'insert', table: 'users', values: { name: 'B', email: 'b@x.io', credits: 1.5 } });
    assert.equal(half.status, 400, half.text);
    assert.equal(half.json.error.path, '/values/credits');
    const dup = await post(server.url, '/v1/mutate', { op: 'insert', table: 'users', values: { name: 'A2', email: 'ada@x.io' } });
    assert.equal(dup.status, 409, dup.text);

    const postRow = await post(server.url, '/v1/mutate', { op: 'insert', table: 'posts', values: { authorId: row._id, title: 'Hi' }, returning: true });
    assert.equal(postRow.status, 200, postRow.text);
    assert.equal(postRow.json.data[0].published, false);
    assert.equal(typeof postRow.json.data[0].updatedAt, 'number', '$onUpdate without a default fills inserts too');
    const read = await post(server.url, '/v1/query', { table: 'posts', op: 'findFirst', with: { author: { columns: { name: true } } } });
    assert.deepEqual(read.json.data.author, { name: 'Ada' });

    // The TypeScript client takes the builder module itself as its schema.
    const sample = await import(pathToFileURL(bundled).href);
    const db = connect({ url: server.url, schema: sample });
    const [grace] = await db.insert(sample.users).values({ name: 'Grace', email: 'grace@x.io' }).returning();
    assert.equal(grace.role, 'member');
    const authors = await db.query.users.findMany({ columns: { name: true }, with: { posts: { columns: { title: true } } }, orderBy: { name: 'asc' } });
    assert.deepEqual(authors, [{ name: 'Ada', posts: [{ title: 'Hi' }] }, { name: 'Grace', posts: [] }]);

    // /v1/schema's output is a schema file the server loads unchanged.
    const file = join(process.env.DC_BUILD_DIR ?? join(root, 'build'), 'e2e-builders', 'schema.json');
    writeFileSync(file, JSON.stringify(schema));
    again = await startServer(bin, ['--schema', file]);
    assert.deepEqual(await (await fetch(`${again.url}/v1/schema`)).json(), schema);
  } finally {
    if (again) await again.stop();
    if (server) assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
    await emulator.stop();
  }
});
