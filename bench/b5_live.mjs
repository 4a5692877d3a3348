#!/usr/bin/env node
// B5: live-query fan-out. N WebSocket clients (patches on) watch Q distinct
// queries (`items` of one bucket, by index); writes update one row of a random
// bucket at a steady rate. Prints, per affected client, the time from the
// write's acknowledgment (HTTP 200 received) to its `next` (p50/p99/max),
// messages/s received, the server's RSS per idle subscribed client, and the
// server's CPU time per message it delivered while the writes ran (from
// /proc/PID/stat). Client and server share the machine's cores; the clients
// run in --processes Node processes (default 1; the writer is the first),
// so one event loop need not read every message.
//
//   node bench/b5_live.mjs [server binary] [--clients 10000] [--queries 100] [--rate 50] [--seconds 20] [--processes 1] [--convex] [--latencies FILE]
// --latencies writes the ack → next distribution (share, ms; 0.1 % steps) for bench/plot.sh.
// --convex runs the server on the Convex emulator (use a smaller scale, e.g. --clients 500 --queries 10 --rate 10).
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { fork } from 'node:child_process';
import WebSocket from 'ws';
import { startServer, startEmulator, post, waitReady } from '../tests/lib/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const bin = args[0] && !args[0].startsWith('--') ? args[0] : join(root, 'build/release/drizzle-convex-server');
const CLIENTS = Number(opt('--clients', 10000));
const QUERIES = Number(opt('--queries', 100));
const RATE = Number(opt('--rate', 50));
const SECONDS = Number(opt('--seconds', 20));
const CONVEX = args.includes('--convex');
const LATENCIES = opt('--latencies', null);
const ROWS_PER_BUCKET = 5;
const schema = join(root, 'bench/fixtures/b5/schema.json');
const KEY = 'bench-admin-key';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKiB = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);

const PROCESSES = Math.max(1, Number(opt('--processes', 1)));
// Times on one clock for every process: milliseconds since the epoch.
const clock = () => performance.timeOrigin + performance.now();
// Server CPU (user + system), in seconds, from /proc/PID/stat.
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks (100 per second on Linux)
};
const queryOf = (b) => ({ table: 'items', op: 'findMany', where: { bucket: b }, orderBy: { n: 'asc' } });

// One client process: opens its share of the sockets, subscribes, and
// reports what it received when told the writes are over.
function clientSide(wsUrl, first, count, report) {
  const received = [];  // [stamp, time] per next carrying a stamp
  const state = { messages: 0, sockets: [] };
  const open = (i) => new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'connection_init', payload: { patches: true } }));
      ws.send(JSON.stringify({ type: 'subscribe', id: 'q', payload: queryOf(i % QUERIES) }));
    });
    ws.on('message', (raw) => {
      const now = clock();
      state.messages++;
      const text = String(raw);
      if (text.startsWith('{"type":"next"')) {
        const m = JSON.parse(text);
        if (m.payload.version === 1) { resolve(); return; }
        for (const op of m.payload.patch ?? []) {
          if (typeof op.value === 'number' && op.path.endsWith('/stamp')) received.push([op.value, now]);
        }
        if (m.payload.data) received.push([-2, now]);  // a collapsed full result (not expected here)
      }
    });
    ws.on('error', reject);
    state.sockets.push(ws);
  });
  return {
    state,
    received,
    async connect() {
      for (let i = first; i < first + count; i += 250) {
        await Promise.all(Array.from({ length: Math.min(250, first + count - i) }, (_, k) => open(i + k)));
      }
    },
  };
}

if (process.argv.includes('--worker')) {
  // A forked client process: {connect: {wsUrl, first, count}}, then {report}, then {close}.
  let side;
  process.on('message', async (msg) => {
    if (msg.connect) {
      side = clientSide(msg.connect.wsUrl, msg.connect.first, msg.connect.count);
      await side.connect();
      process.send({ connected: true });
    } else if (msg.reset) {
      side.state.messages = 0;
      process.send({ reset: true });
    } else if (msg.report) {
      process.send({ report: { received: side.received, messages: side.state.messages } });
    } else if (msg.close) {
      for (const ws of side.state.sockets) ws.terminate();
      process.exit(0);
    }
  });
} else {
let emulator;
let server;
if (CONVEX) {
  emulator = await startEmulator(['--schema', schema, '--admin-key', KEY]);
  server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log', '--schema', schema]);
  await waitReady(server.url);
} else {
  server = await startServer(bin, ['--schema', schema, '--no-access-log']);
}
// Never leave a server behind, whatever fails below.
process.on('exit', () => { server.proc.kill('SIGKILL'); emulator?.proc.kill('SIGKILL'); });
process.on('uncaughtException', (e) => { console.error(e); process.exit(1); });
process.on('unhandledRejection', (e) => { console.error(e); process.exit(1); });

const rows = [];
for (let b = 0; b < QUERIES; b++) for (let k = 0; k < ROWS_PER_BUCKET; k++) rows.push({ bucket: b, n: k, stamp: -1, label: `item ${b}/${k}` });
const ins = await post(server.url, '/v1/mutate', { op: 'insert', table: 'items', values: rows });
if (ins.status !== 200) throw new Error(ins.text);
const idsByBucket = [];
for (let b = 0; b < QUERIES; b++) idsByBucket.push(ins.json.data.ids.slice(b * ROWS_PER_BUCKET, (b + 1) * ROWS_PER_BUCKET));
await sleep(500);
const rssBefore = rssKiB(server.proc.pid);

// Connect and subscribe, a few hundred at a time.
const wsUrl = server.url.replace('http', 'ws') + '/v1/live';
const acked = new Map();      // write stamp → time its HTTP answer arrived
// The clients: this process's share, and one forked process per other share.
const share = Math.ceil(CLIENTS / PROCESSES);
const local = clientSide(wsUrl, 0, Math.min(share, CLIENTS));
const workers = [];
for (let p = 1; p < PROCESSES && p * share < CLIENTS; p++) {
  const w = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), '--worker']);
  w.range = { first: p * share, count: Math.min(share, CLIENTS - p * share) };
  workers.push(w);
}
const ask = (w, msg, key) => new Promise((resolve) => { const on = (m) => { if (m[key] !== undefined) { w.off('message', on); resolve(m[key]); } }; w.on('message', on); w.send(msg); });
process.on('exit', () => { for (const w of workers) w.kill('SIGKILL'); });
const t0 = performance.now();
await Promise.all([local.connect(), ...workers.map((w) => ask(w, { connect: { wsUrl, ...w.range } }, 'connected'))]);
const connectSeconds = (performance.now() - t0) / 1000;
await sleep(1000);
const rssIdle = rssKiB(server.proc.pid);

// Steady writes: one row of a random bucket gets a new stamp.
local.state.messages = 0;
await Promise.all(workers.map((w) => ask(w, { reset: true }, 'reset')));
const messagesSent = async () => Number((await (await fetch(server.url + '/metrics')).text()).match(/^dc_live_messages_total (\d+)$/m)?.[1] ?? 0);
const sentBefore = await messagesSent();
const cpuBefore = cpuSeconds(server.proc.pid);
let stamp = 0;
const writes = [];
const start = performance.now();
const interval = 1000 / RATE;
let inFlight = 0;
let lateTicks = 0;
for (let tick = 0; tick < RATE * SECONDS; tick++) {
  const due = start + tick * interval;
  const wait = due - performance.now();
  if (wait > 0) await sleep(wait); else lateTicks++;
  const s = stamp++;
  const bucket = Math.floor(Math.random() * QUERIES);
  const id = idsByBucket[bucket][Math.floor(Math.random() * ROWS_PER_BUCKET)];
  inFlight++;
  writes.push(post(server.url, '/v1/mutate', { op: 'update', table: 'items', where: { _id: id }, set: { stamp: s } }).then((r) => {
    inFlight--;
    if (r.status !== 200) throw new Error(r.text);
    acked.set(s, clock());
  }));
}
await Promise.all(writes);
const writeSeconds = (performance.now() - start) / 1000;
await sleep(2000);  // let the last ones arrive
const cpuDuring = cpuSeconds(server.proc.pid) - cpuBefore;
const sentDuring = (await messagesSent()) - sentBefore;
const reports = await Promise.all(workers.map((w) => ask(w, { report: true }, 'report')));
const received = [...local.received, ...reports.flatMap((r) => r.received)];
const messages = local.state.messages + reports.reduce((n, r) => n + r.messages, 0);
const expected = stamp * (CLIENTS / QUERIES);
const lat = received.filter(([s]) => s >= 0).map(([s, t]) => t - acked.get(s)).sort((a, b) => a - b);
const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))];
const metrics = await (await fetch(server.url + '/metrics')).text();
const metric = (name) => Number(metrics.match(new RegExp(`^${name} (\\d+)$`, 'm'))?.[1]);

console.log(`B5 live fan-out (${CONVEX ? 'Convex emulator' : 'embedded engine'}): node bench/b5_live.mjs ${args.join(' ')}`);
console.log(`  clients ${CLIENTS}, distinct queries ${QUERIES} (topics on the server: ${metric('dc_live_topics')}), connected+subscribed in ${connectSeconds.toFixed(1)} s`);
console.log(`  server RSS: ${(rssBefore / 1024).toFixed(1)} MiB before clients, ${(rssIdle / 1024).toFixed(1)} MiB with ${CLIENTS} idle subscribed clients → ${((rssIdle - rssBefore) / CLIENTS).toFixed(1)} KiB per client`);
console.log(`  writes: ${stamp} at ${RATE}/s over ${writeSeconds.toFixed(1)} s (${lateTicks} ticks late); evaluations ${metric('dc_live_evaluations_total')}, changes ${metric('dc_live_changes_total')}, collapses ${metric('dc_live_collapses_total')}`);
console.log(`  nexts with a stamp received: ${lat.length} of ${expected} expected (full results instead of patches: ${received.filter(([s]) => s === -2).length})`);
console.log(`  write ack → next: p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms, max ${lat.at(-1).toFixed(1)} ms`);
console.log(`  messages/s received by the clients during writes: ${(messages / (writeSeconds + 2)).toFixed(0)} (${PROCESSES} client process${PROCESSES > 1 ? 'es' : ''}); received ${messages} of the ${sentDuring} the server sent`);
console.log(`  server CPU during the writes: ${cpuDuring.toFixed(2)} s for ${sentDuring} live messages sent → ${(cpuDuring * 1e6 / Math.max(1, sentDuring)).toFixed(1)} µs per message (writes and evaluations included)`);
if (LATENCIES) {
  // The distribution in 0.1 % steps: share q, and the latency at or under which
  // that share of the deliveries came (q = 0.5 is the p50 printed above).
  const rows = [];
  for (let i = 0; i <= 1000; i++) rows.push(`${(i / 1000).toFixed(3)} ${pct(i / 1000).toFixed(3)}`);
  writeFileSync(LATENCIES, `# B5 write ack -> next (${lat.length} deliveries): share, ms: node bench/b5_live.mjs ${args.join(' ')}\n${rows.join('\n')}\n`);
}

for (const ws of local.state.sockets) ws.terminate();
for (const w of workers) w.send({ close: true });
await server.stop();
if (emulator) await emulator.stop();
}
