// GET /v1/openapi.json (issue 35): the OpenAPI 3.1 document docs/openapi.json
// is what the server serves, without credentials, and its request schemas
// agree with the parser over the whole conformance suite: every request the
// server accepts validates, and every request the schema rejects is one the
// server refuses with 400 (the suite checks the server's side of each case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { withServer } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const root = new URL('../../', import.meta.url).pathname;
const doc = JSON.parse(readFileSync(join(root, 'docs/openapi.json'), 'utf8'));

function validators() {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  ajv.addSchema({ $id: 'openapi', components: doc.components });
  const at = (name) => ajv.getSchema(`openapi#/components/schemas/${name}`);
  const explain = ajv.compile({ oneOf: [{ $ref: 'openapi#/components/schemas/ExplainRead' }, { $ref: 'openapi#/components/schemas/Mutation' }] });
  return { '/v1/query': at('ReadQuery'), '/v1/mutate': at('Mutation'), '/v1/explain': explain };
}

// Every request of the conformance suite with the status the suite expects.
function requests() {
  const dir = join(root, 'tests/conformance/cases');
  const out = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    for (const c of JSON.parse(readFileSync(join(dir, file), 'utf8')).cases) {
      const name = `${file}: ${c.name}`;
      const status = (e) => e?.status ?? 200;
      if (c.steps) {
        c.steps.forEach((st, i) => out.push({ name: `${name} (step ${i + 1})`, endpoint: st.endpoint ?? (st.mutate ? '/v1/mutate' : '/v1/query'), body: st.mutate ?? st.query, status: status(st.expect) }));
      } else if (c.rawBody === undefined && c.query !== undefined) {
        out.push({ name, endpoint: c.endpoint ?? '/v1/query', body: c.pages ? { ...c.query, cursor: null } : c.query, status: status(c.expect) });
      }
    }
  }
  return out.filter((r) => ['/v1/query', '/v1/mutate', '/v1/explain'].includes(r.endpoint));
}

test('the served document is docs/openapi.json, OpenAPI 3.1, served without credentials; GET / names the endpoints', { skip: !bin }, async () => {
  await withServer(bin, ['--demo'], async (server) => {
    const res = await fetch(`${server.url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const served = await res.json();
    assert.deepEqual(served, doc);
    assert.equal(served.openapi, '3.1.0');
    for (const path of ['/v1/query', '/v1/mutate', '/v1/explain', '/v1/schema', '/v1/live', '/healthz', '/readyz', '/metrics']) {
      assert.ok(served.paths[path], `${path} is described`);
    }
    const home = await (await fetch(`${server.url}/`)).json();
    assert.equal(home.name, 'drizzle-convex');
    assert.equal(home.version, doc.info.version);
    assert.ok(home.endpoints.includes('/v1/openapi.json'));
  });
});

test('the request schemas agree with the parser on every conformance request', () => {
  const check = validators();
  const all = requests();
  const accepted = all.filter((r) => r.status === 200);
  assert.ok(accepted.length > 300, `${accepted.length} accepted requests`);
  const problems = [];
  let rejected = 0;
  for (const r of all) {
    const ok = check[r.endpoint](r.body);
    if (r.status === 200 && !ok) problems.push(`${r.name}: accepted by the server, refused by the schema: ${JSON.stringify(check[r.endpoint].errors?.[0])}`);
    if (!ok && r.status !== 200) {
      rejected++;
      if (r.status !== 400) problems.push(`${r.name}: refused by the schema, but the server answers ${r.status}, not 400`);
    }
  }
  assert.deepEqual(problems, []);
  // The schema is not a bare `{}`: it refuses a share of what the parser refuses.
  assert.ok(rejected >= 30, `the schemas refuse ${rejected} of the suite's bad requests`);
});
