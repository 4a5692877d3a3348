#!/usr/bin/env node
// Conformance runner: every case is {fixture (schema + documents), query,
// expected result}. Cases are backend-independent and run on three paths:
//   --backend embedded  the server on its embedded engine (--schema, --import)
//   --backend adapter   the Convex adapter under convex-test, in process, on
//                       the plans the server's /v1/explain makes
//   --backend convex    the server with --convex-url, against the Convex
//                       emulator (tests/emulator) seeded with the fixture
// Each fixture (and set of server flags) gets fresh servers on free loopback ports.
//
//   node tests/conformance/run.mjs --server build/debug/drizzle-convex-server [--backend B] [--filter TEXT] [--twice]
//
// --twice (embedded only) runs the cases of each server before its first
// write twice in a row: on the second pass each read answered 200 must come
// from the result cache (a hit, seen in /metrics) with the very bytes of the
// first pass; documents-read checks are skipped there (a hit reads none).
// The writes and what follows them run once, with the cache on.
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { startTarget } from './targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const bin = flag('--server');
const filter = flag('--filter');
const backend = flag('--backend') ?? 'embedded';
const twice = argv.includes('--twice');
if (!bin || !['embedded', 'adapter', 'convex'].includes(backend) || (twice && backend !== 'embedded')) {
  console.error('usage: run.mjs --server PATH [--backend embedded|adapter|convex] [--filter TEXT] [--twice (embedded only)]');
  process.exit(2);
}

// Canonical JSON (sorted keys) so unordered comparisons do not depend on key order.
const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));
const sameRows = (got, want, unordered) => {
  if (!unordered) return isDeepStrictEqual(got, want);
  if (!Array.isArray(got) || !Array.isArray(want) || got.length !== want.length) return false;
  return isDeepStrictEqual(got.map(canon).sort(), want.map(canon).sort());
};

// Partial match: every key of `want` must match; "$any" matches any value;
// arrays must have the same length and match element by element. Values the
// server makes up itself (defaults, protocol.md section 8) are matched by
// kind: "$uuid" a v4 UUID, "$nowMs" milliseconds since the epoch within ten
// minutes of this runner's clock, {"$sameAs": "/json/pointer"} the value at
// that pointer into the same answer (one `now` per request).
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const at = (root, pointer) => pointer.split('/').slice(1).reduce((v, k) => (v == null ? undefined : v[k.replace(/~1/g, '/').replace(/~0/g, '~')]), root);
function partialMatch(got, want, root = got) {
  if (want === '$any') return got !== undefined;
  if (want === '$uuid') return typeof got === 'string' && UUID_V4.test(got);
  if (want === '$nowMs') return typeof got === 'number' && Math.abs(got - Date.now()) < 600_000;
  if (want && typeof want === 'object' && typeof want.$sameAs === 'string') return got !== undefined && isDeepStrictEqual(got, at(root, want.$sameAs));
  if (Array.isArray(want)) return Array.isArray(got) && got.length === want.length && want.every((w, i) => partialMatch(got[i], w, root));
  if (want && typeof want === 'object') return got && typeof got === 'object' && Object.keys(want).every((k) => partialMatch(got[k], want[k], root));
  return isDeepStrictEqual(got, want);
}

function checkResponse(res, expect, pass = 1) {
  const status = expect.status ?? 200;
  if (res.status !== status) return `status ${res.status}, expected ${status}: ${res.text.slice(0, 500)}`;
  if (expect.error) {
    const e = res.json?.error;
    if (!e) return `no error body: ${res.text.slice(0, 300)}`;
    if (e.code !== expect.error.code) return `error code ${e.code}, expected ${expect.error.code}`;
    if ('path' in expect.error && e.path !== expect.error.path) return `error path ${JSON.stringify(e.path)}, expected ${JSON.stringify(expect.error.path)} (${e.message})`;
    if (expect.error.messageIncludes && !e.message.includes(expect.error.messageIncludes)) return `message "${e.message}" lacks "${expect.error.messageIncludes}"`;
    return null;
  }
  if ('match' in expect && !partialMatch(res.json?.data, expect.match)) {
    return `data does not match\n    got:      ${JSON.stringify(res.json?.data)}\n    expected: ${JSON.stringify(expect.match)}`;
  }
  if ('data' in expect && !sameRows(res.json?.data, expect.data, expect.unordered)) {
    return `data differs\n    got:      ${JSON.stringify(res.json?.data)}\n    expected: ${JSON.stringify(expect.data)}`;
  }
  // The adapter ran the plan the engine runs (its planning server's): both
  // count the same documents, unless the case names why not.
  if (res.engineDocsRead !== undefined) {
    compared++;
    const why = expect.docsReadDiffers ?? (res.countedByEngine ? 'the engine answered the count from its index counts' : undefined);
    if (res.docsRead !== res.engineDocsRead && !why) {
      return `the adapter read ${res.docsRead} documents, the engine ${res.engineDocsRead}, on the same plan`;
    }
  }
  if ('docsRead' in expect && pass === 1) {
    // What the plan cost: X-Docs-Read over HTTP, the adapter's own count without it.
    const read = res.docsRead ?? Number(res.headers?.get('x-docs-read'));
    // A named difference: {"convex": {"docsRead": N, "why": "..."}} where the
    // server in front of Convex plans on its own statistics (issue 31).
    const other = expect.docsReadOn?.[backend];
    const want = other ? other.docsRead : expect.docsRead;
    if (read !== want) return `read ${read} documents, expected ${want}${other ? ` on ${backend} (${other.why})` : ''}`;
  }
  return null;
}

// Who calls, in files with an auth file: {"as": {claims}} or {"apiKey": KEY}.
const caller = (x) => (x.as ? { as: x.as } : x.apiKey !== undefined ? { apiKey: x.apiKey } : undefined);

// The second pass of --twice: every /v1/query answered 200 must be a cache
// hit with the first pass's bytes. `answers` holds the first pass's texts by
// case and request. One exception: a page for a caller whose rules hide rows
// is never kept (its cursor is sealed anew each time), so under an auth file
// a page whose sealed cursor changed must match in everything else instead.
const withoutCursor = (text) => text.replace(/"continueCursor":"[^"]*"/, '"continueCursor":"…"');
function secondPass(target, answers, sealed) {
  return (key) => {
    let i = 0;
    return {
      ...target,
      async post(endpoint, body, who) {
        const before = endpoint === '/v1/query' ? await target.cacheHits() : 0;
        const res = await target.post(endpoint, body, who);
        const first = answers.get(`${key}#${i++}`);
        const resealed = sealed && res.text !== first && /"continueCursor":"/.test(res.text) && withoutCursor(res.text) === withoutCursor(first ?? '');
        if (res.text !== first && !resealed) res.problem = `the second pass answered differently\n    first:  ${first?.slice(0, 300)}\n    second: ${res.text.slice(0, 300)}`;
        else if (endpoint === '/v1/query' && res.status === 200 && !resealed) {
          reread++;
          if ((await target.cacheHits()) !== before + 1) res.problem = 'the second pass read again: not answered from the result cache';
        }
        return res;
      },
    };
  };
}
function firstPass(target, answers) {
  return (key) => {
    let i = 0;
    return { ...target, post: async (...args) => { const res = await target.post(...args); answers.set(`${key}#${i++}`, res.text); return res; } };
  };
}
const writes = (c) => c.endpoint === '/v1/mutate' || !!c.steps?.some((st) => st.mutate || st.endpoint === '/v1/mutate');

async function runCase(target, c, pass = 1) {
  const check = (res, expect) => res.problem ?? checkResponse(res, expect, pass);
  if (c.steps) {
    // A sequence: typically a mutation, then reads that check the state it left.
    for (let i = 0; i < c.steps.length; i++) {
      const st = c.steps[i];
      const endpoint = st.endpoint ?? (st.mutate ? '/v1/mutate' : '/v1/query');
      const res = await target.post(endpoint, st.mutate ?? st.query, caller(st) ?? caller(c));
      const problem = check(res, st.expect ?? {});
      if (problem) return `step ${i + 1}: ${problem}`;
    }
    return null;
  }
  if (c.pages) {
    // Paginate until done; every page must match, the last one with isDone.
    let cursor = null;
    for (let i = 0; i < c.pages.length; i++) {
      const res = await target.post('/v1/query', { ...c.query, cursor }, caller(c));
      if (res.problem) return `page ${i + 1}: ${res.problem}`;
      if (res.status !== 200) return `page ${i + 1}: status ${res.status}: ${res.text.slice(0, 300)}`;
      const d = res.json.data;
      if (!isDeepStrictEqual(d.page, c.pages[i])) return `page ${i + 1} differs\n    got:      ${JSON.stringify(d.page)}\n    expected: ${JSON.stringify(c.pages[i])}`;
      const last = i === c.pages.length - 1;
      if (d.isDone !== last) return `page ${i + 1}: isDone ${d.isDone}, expected ${last}`;
      if (typeof d.continueCursor !== 'string') return `page ${i + 1}: continueCursor is not a string`;
      cursor = d.continueCursor;
    }
    return null;
  }
  const res = await target.post(c.endpoint ?? '/v1/query', c.rawBody !== undefined ? c.rawBody : c.query, caller(c));
  return check(res, c.expect ?? {});
}

const groups = new Map();
for (const file of readdirSync(join(here, 'cases')).filter((f) => f.endsWith('.json')).sort()) {
  const spec = JSON.parse(readFileSync(join(here, 'cases', file), 'utf8'));
  // Isolated files (mutations) get a fresh server for every case.
  // An auth file (auth.md) in the fixture's directory: the servers run with --auth.
  const auth = spec.auth ? join(here, 'fixtures', spec.fixture, spec.auth) : undefined;
  const key = JSON.stringify([spec.fixture, spec.serverArgs ?? [], spec.isolated ? file : '', auth ?? '']);
  if (!groups.has(key)) groups.set(key, { fixture: spec.fixture, serverArgs: spec.serverArgs ?? [], isolated: !!spec.isolated, auth, cases: [] });
  for (const c of spec.cases) {
    if (!filter || `${file}: ${c.name}`.includes(filter)) groups.get(key).cases.push({ ...c, file });
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
let compared = 0; // responses whose documents read were compared between the adapter and the engine
let reread = 0; // --twice: reads of the second pass, each a cache hit
for (const g of groups.values()) {
  if (!g.cases.length) continue;
  const fx = join(here, 'fixtures', g.fixture);
  const batches = g.isolated ? g.cases.map((c) => [c]) : [g.cases];
  for (const batch of batches) {
    const target = await startTarget(backend, { bin, fixtureDir: fx, serverArgs: g.serverArgs, auth: g.auth });
    try {
      // --twice: the cases before the batch's first write run twice (the
      // second time from the result cache), then the rest once.
      const firstWrite = batch.findIndex(writes);
      const reads = firstWrite < 0 ? batch : batch.slice(0, firstWrite);
      const rest = firstWrite < 0 ? [] : batch.slice(firstWrite);
      const answers = new Map();
      const plain = () => target;
      const rounds = twice ? [[reads, 1, firstPass(target, answers)], [reads, 2, secondPass(target, answers, !!g.auth)], [rest, 1, plain]] : [[batch, 1, plain]];
      for (const [cases, pass, via] of rounds) {
        const label = pass === 2 ? ' (second pass)' : '';
        for (const c of cases) {
          // A case may name a backend where the reference it is checked against
          // is known to differ from Convex (convex-test's search, say); it is
          // reported as skipped with the reason, never as passed.
          const reason = c.differsOn?.[backend];
          if (reason) { skipped++; console.log(`ok - ${c.file}: ${c.name}${label} # SKIP ${backend}: ${reason}`); continue; }
          let problem;
          try { problem = await runCase(via(`${c.file}: ${c.name}`), c, pass); } catch (e) { problem = `threw: ${e.stack}`; }
          if (problem) { failed++; console.log(`not ok - ${c.file}: ${c.name}${label}\n    ${problem}`); }
          else { passed++; console.log(`ok - ${c.file}: ${c.name}${label}`); }
        }
      }
    } finally {
      const problem = await target.stop();
      if (problem) { failed++; console.log(`not ok - ${backend} target for fixture ${g.fixture}: ${problem}`); }
    }
  }
}
if (twice) console.log(`second pass: ${reread} reads answered from the result cache with the first pass's bytes`);
if (backend === 'adapter') console.log(`adapter: documents read compared with the engine's on ${compared} reads (every read before a case's first write)`);
console.log(`${backend}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed || !passed ? 1 : 0);
