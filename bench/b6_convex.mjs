#!/usr/bin/env node
// B6: the proxy in front of Convex (the emulator) against the official
// ConvexHttpClient calling the same emulator, side by side in one run, so the
// emulator's own cost cancels out. Prints latency (sequential) and throughput
// (16 requests in flight) per read, their ratios, and Convex calls per request.
//
//   node bench/b6_convex.mjs [build/release/drizzle-convex-server] [seconds per figure, default 3]
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConvexHttpClient } from 'convex/browser';
import { makeFunctionReference } from 'convex/server';
import { startServer, startEmulator, post, waitReady } from '../tests/lib/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.argv[2] ?? join(root, 'build/release/drizzle-convex-server');
const seconds = Number(process.argv[3] ?? 3);
const fx = join(root, 'tests/conformance/fixtures/blog');
const KEY = 'bench-admin-key';
const execute = makeFunctionReference('drizzle:execute');

const emulator = await startEmulator(['--schema', join(fx, 'schema.json'), '--import', join(fx, 'data'), '--admin-key', KEY]);
const server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log']);
await waitReady(server.url);
const ids = await (await fetch(`${emulator.url}/_emulator/ids`)).json();
const stats = async () => (await (await fetch(`${emulator.url}/_emulator/stats`)).json()).calls;

const client = new ConvexHttpClient(emulator.url, { skipConvexDeploymentUrlCheck: true });
client.setAdminAuth(KEY);
const planOf = async (q) => (await post(server.url, '/v1/explain', q)).json.data;

const byId = { table: 'users', op: 'findFirst', where: { _id: ids.u1 } };
const nested = { table: 'users', op: 'findMany', limit: 5, with: { posts: { limit: 3, with: { comments: { limit: 3, with: { author: true } } } } } };
// Without the proxy, a client that has no single function for this loads
// level by level: users, then their posts, comments and comment authors.
const levels = [
  { table: 'users', op: 'findMany', limit: 5 },
  { table: 'posts', op: 'findMany', where: { authorId: { in: [ids.u1, ids.u2, ids.u3, ids.u4, ids.u5] } } },
  { table: 'comments', op: 'findMany', where: { postId: { in: [ids.p1, ids.p2, ids.p3] } } },
  { table: 'users', op: 'findMany', where: { _id: { in: [ids.u2, ids.u3] } } },
];

async function measure(label, fn) {
  // Latency: one request at a time.
  const lat = [];
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const t = process.hrtime.bigint();
    await fn();
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  lat.sort((a, b) => a - b);
  // Throughput: 16 in flight.
  let done = 0;
  const stop = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: 16 }, async () => { while (Date.now() < stop) { await fn(); done++; } }));
  const c0 = await stats();
  await fn();
  const calls = (await stats()) - c0;
  const r = { label, p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)], rps: done / seconds, calls };
  console.log(`${label.padEnd(48)} p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ${r.rps.toFixed(0)} req/s  ${calls} Convex call(s)`);
  return r;
}

const check = async (res) => { if (res.status !== 200) throw new Error(res.text); };
const planById = JSON.stringify(await planOf(byId));
const planNested = JSON.stringify(await planOf(nested));
const levelPlans = await Promise.all(levels.map(async (q) => JSON.stringify(await planOf(q))));

console.log(`# node bench/b6_convex.mjs ${process.argv.slice(2).join(' ')}  (${seconds} s per figure)`);
const a1 = await measure('proxy → emulator: findFirst by _id', async () => check(await post(server.url, '/v1/query', byId)));
const b1 = await measure('ConvexHttpClient → emulator: same plan', () => client.query(execute, { plan: planById }));
const a2 = await measure('proxy → emulator: 3-level with', async () => check(await post(server.url, '/v1/query', nested)));
const b2 = await measure('ConvexHttpClient → emulator: same plan, one call', () => client.query(execute, { plan: planNested }));
const c2 = await measure('ConvexHttpClient → emulator: level by level', async () => { for (const p of levelPlans) await client.query(execute, { plan: p }); });
console.log(`ratio proxy/client, by _id:       latency ${(a1.p50 / b1.p50).toFixed(2)}x  throughput ${(a1.rps / b1.rps).toFixed(2)}x`);
console.log(`ratio proxy/client, 3-level with: latency ${(a2.p50 / b2.p50).toFixed(2)}x  throughput ${(a2.rps / b2.rps).toFixed(2)}x (one call each)`);
console.log(`ratio proxy/level-by-level:       latency ${(a2.p50 / c2.p50).toFixed(2)}x  throughput ${(a2.rps / c2.rps).toFixed(2)}x (${a2.calls} vs ${c2.calls} calls)`);
await server.stop();
await emulator.stop();
