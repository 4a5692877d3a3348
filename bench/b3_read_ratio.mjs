#!/usr/bin/env node
// B3: documents read ÷ documents returned over the conformance queries that
// an index serves (explain shows no full scan and no in-memory sort).
//
//   node bench/b3_read_ratio.mjs build/release/drizzle-convex-server
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, post } from '../tests/lib/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.argv[2] ?? join(root, 'build/release/drizzle-convex-server');
const conf = join(root, 'tests/conformance');

function accesses(node, out = []) {
  out.push(node.access);
  for (const w of node.with ?? []) {
    if (w.junction) out.push(w.junction);
    accesses(w.target, out);
  }
  return out;
}
function filterAccesses(f, out) {
  if (!f || typeof f !== 'object') return;
  for (const k of ['exists', 'notExists']) if (f[k]?.target) { accesses(f[k].target).forEach((a) => out.push(a)); }
  for (const v of Object.values(f)) if (Array.isArray(v)) v.forEach((x) => filterAccesses(x, out)); else if (typeof v === 'object') filterAccesses(v, out);
}
// Rows returned, following the query's `with` tree (columns may drop _id).
function countRows(config, data) {
  const rows = Array.isArray(data) ? data : data === null || data === undefined ? [] : [data];
  let n = rows.length;
  for (const [rel, sub] of Object.entries(config.with ?? {})) {
    if (!sub) continue;
    for (const row of rows) n += countRows(sub === true ? {} : sub, row[rel]);
  }
  return n;
}

const server = await startServer(bin, ['--schema', join(conf, 'fixtures/blog/schema.json'), '--import', join(conf, 'fixtures/blog/data')]);
// strict: every access answered by its index range alone (no post-filter, no sort);
// indexed: every access is an index range or a get (post-filters and sorts allowed).
const sets = { strict: { read: 0, returned: 0, used: 0, worst: [] }, indexed: { read: 0, returned: 0, used: 0, worst: [] } };
let skipped = 0;
try {
  for (const f of readdirSync(join(conf, 'cases')).sort()) {
    const spec = JSON.parse(readFileSync(join(conf, 'cases', f), 'utf8'));
    if (spec.serverArgs) continue;
    for (const c of spec.cases) {
      if (!c.query || c.pages || (c.expect?.status ?? 200) !== 200) continue;
      if (c.query.op === 'count' || c.query.search) { skipped++; continue; }
      const ex = await post(server.url, '/v1/explain', c.query);
      const all = accesses(ex.json.data.root);
      all.forEach((a) => filterAccesses(a.postFilter, all));
      const indexed = all.every((a) => ['index', 'get', 'empty'].includes(a.source.type));
      const strict = indexed && all.every((a) => a.order.source !== 'sort' && !a.postFilter);
      if (!indexed) { skipped++; continue; }
      const res = await post(server.url, '/v1/query', c.query);
      const r = Number(res.headers.get('x-docs-read'));
      const n = countRows(c.query, res.json.data);
      for (const [name, on] of [['strict', strict], ['indexed', indexed]]) {
        if (!on) continue;
        const set = sets[name];
        set.read += r; set.returned += n; set.used++;
        set.worst.push([n ? r / n : r, r, n, `${f}: ${c.name}`]);
      }
    }
  }
} finally {
  await server.stop();
}
console.log(`B3 documents read / documents returned over the conformance queries (${skipped} with a full scan skipped)`);
for (const [name, set] of Object.entries(sets)) {
  set.worst.sort((a, b) => b[0] - a[0]);
  const what = name === 'strict' ? 'index range alone answers every access' : 'every access is an index range or a get';
  console.log(`  ${name} (${what}): ${set.used} queries, ${set.read} read / ${set.returned} returned = ${(set.read / set.returned).toFixed(3)}`);
  for (const [ratio, r, n, q] of set.worst.slice(0, 4)) console.log(`      ${ratio.toFixed(2)}  (${r}/${n})  ${q}`);
}
