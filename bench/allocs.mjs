#!/usr/bin/env node
// Heap allocations per request on the server: an LD_PRELOAD shim
// (bench/alloc/count_allocs.c, built here with cc) counts every malloc,
// calloc, realloc and aligned allocation in the server process; the count is
// read before and after N sequential keep-alive requests (after a warm-up),
// so start-up and shutdown are not in it. Other threads' allocations in
// that window (timers, the metrics' own work) are counted too: the figure is
// an upper bound.
//
//   node bench/allocs.mjs build/release/drizzle-convex-server [N]
//   BASELINE_SERVER=<older build> node bench/allocs.mjs build/release/drizzle-convex-server
//
// Cases: findFirst by _id (B1's request) answered from the result cache, the
// same read executed (--result-cache 0), and each with the access log on
// (the default) and off; a single-row insert.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { startProgram } from '../tests/lib/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.argv[2] ?? join(root, 'build/release/drizzle-convex-server');
const n = Number(process.argv[3] ?? 4000);
const work = mkdtempSync(join(tmpdir(), 'dc-allocs-'));
const shim = join(work, 'count_allocs.so');
execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', shim, join(root, 'bench/alloc/count_allocs.c'), '-ldl']);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function request(port, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function count(proc, file) {
  proc.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(20);
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (text.endsWith('\n')) return Number(text);
    }
  }
  throw new Error('the shim wrote no count');
}

// Allocations per request for `body` on a server started with `flags`.
async function measure(server, flags, path, body) {
  const file = join(work, `count-${Math.random().toString(36).slice(2)}`);
  const env = { ...process.env, LD_PRELOAD: shim, DC_ALLOC_COUNT_FILE: file };
  const s = await startProgram(server, ['--demo', '--port', '0', ...flags], { env });
  try {
    const make = typeof body === 'function' ? body : () => body;
    for (let i = 0; i < 200; i++) {
      const res = await request(s.port, path, make(i));
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.text}`);
    }
    const before = await count(s.proc, file + '');
    execFileSync('rm', ['-f', file]);
    for (let i = 0; i < n; i++) await request(s.port, path, make(200 + i));
    const after = await count(s.proc, file);
    return (after - before) / n;
  } finally {
    await s.stop();
  }
}

// B1's request: the demo's first post by _id (the demo's ids are deterministic).
const probe = await startProgram(bin, ['--demo', '--port', '0', '--no-access-log']);
const first = await request(probe.port, '/v1/query', JSON.stringify({ table: 'posts', op: 'findFirst', columns: { _id: true } }));
await probe.stop();
const id = JSON.parse(first.text).data._id;
const read = JSON.stringify({ table: 'posts', op: 'findFirst', where: { _id: id } });
const insert = (i) => JSON.stringify({ op: 'insert', table: 'tags', values: { name: `alloc-${i}` } });

const cases = [
  ['findFirst by _id, result cache hit, access log on', [], '/v1/query', read],
  ['findFirst by _id, result cache hit, access log off', ['--no-access-log'], '/v1/query', read],
  ['findFirst by _id, executed (--result-cache 0), access log on', ['--result-cache', '0'], '/v1/query', read],
  ['findFirst by _id, executed (--result-cache 0), access log off', ['--result-cache', '0', '--no-access-log'], '/v1/query', read],
  ['insert one row, memory only, access log off', ['--no-access-log'], '/v1/mutate', insert],
];
const baseline = process.env.BASELINE_SERVER;
const knows = (server, flag) => execFileSync(server, ['--help'], { encoding: 'utf8' }).includes(flag);
console.log(`allocations per request, ${n} sequential keep-alive requests after 200 warm-up ones (node bench/allocs.mjs ${process.argv.slice(2).join(' ')})`);
for (const [name, flags, path, body] of cases) {
  const ours = await measure(bin, flags, path, body);
  let line = `  ${name.padEnd(64)} ${ours.toFixed(1).padStart(6)}`;
  if (baseline) {
    const theirs = flags.includes('--result-cache') && !knows(baseline, '--result-cache')
      ? await measure(baseline, flags.filter((f, i) => f !== '--result-cache' && flags[i - 1] !== '--result-cache'), path, body)
      : name.includes('hit') && !knows(baseline, '--result-cache') ? NaN : await measure(baseline, flags, path, body);
    line += `   baseline ${Number.isNaN(theirs) ? '   (no result cache)' : theirs.toFixed(1).padStart(6)}`;
  }
  console.log(line);
}
agent.destroy();
