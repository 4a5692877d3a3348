#!/usr/bin/env node
// Writes the server's demo blog out in the conformance fixture's layout
// (schema.json, data/<table>/documents.jsonl), so that B3 can run it
// through the Convex emulator (B3_FIXTURE=DIR).
//
//   node bench/export_demo.mjs DIR [SERVER]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, post } from '../tests/lib/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2];
if (!out) {
  console.error('usage: export_demo.mjs DIR [SERVER]');
  process.exit(2);
}
const server = await startServer(process.argv[3] ?? join(root, 'build/release/drizzle-convex-server'), []);
try {
  const res = await fetch(`${server.url}/v1/schema`);
  const body = await res.json();
  const schema = body.data ?? body;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'schema.json'), JSON.stringify(schema));
  for (const table of Object.keys(schema.tables)) {
    const r = await post(server.url, '/v1/query', { table });
    if (r.status !== 200) throw new Error(`${table}: ${r.status} ${r.text}`);
    mkdirSync(join(out, 'data', table), { recursive: true });
    writeFileSync(join(out, 'data', table, 'documents.jsonl'), r.json.data.map((d) => JSON.stringify(d)).join('\n') + '\n');
    console.log(`${table}: ${r.json.data.length} documents`);
  }
} finally {
  await server.stop();
}
