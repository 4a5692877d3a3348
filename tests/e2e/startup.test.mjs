// Start-up refusals: each is a clear message on stderr and exit code 2,
// never a crash or a server that half-starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = process.env.DC_SERVER;
const run = (args, env = {}) => spawnSync(bin, ['--port', '0', ...args], {
  encoding: 'utf8', timeout: 20000, env: { ...process.env, ...env },
});

test('an unknown flag is named, with the nearest known one, and exits 2', () => {
  const r = run(['--frobnicate', '1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown flag: --frobnicate\n/);
  assert.match(r.stderr, /run drizzle-convex-server --help for the options/);
  assert.ok(r.stderr.split('\n').length < 6, 'the error is not scrolled away by the usage');
  const typo = run(['--prot', '8080']);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown flag: --prot \(did you mean --port\?\)/);
  const last = run(['--schema']);
  assert.equal(last.status, 2);
  assert.match(last.stderr, /--schema needs a value/);
});

test('--flag=value works like --flag value', () => {
  const r = spawnSync(bin, ['--port=0', '--demo', '--check-config'], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /port = 0/);
});

test('--demo with --schema is refused', () => {
  const r = run(['--demo', '--schema', 'x.json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /either --demo or --schema/);
});

test('--import without --schema is refused', () => {
  const r = run(['--import', tmpdir()]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--import needs --schema/);
});

test('a schema error names the file position', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-'));
  const file = join(dir, 'schema.json');
  writeFileSync(file, JSON.stringify({ tables: { users: { documentType: { type: 'object', value: { a: { fieldType: { type: 'strng' }, optional: false } } } } } }));
  const r = run(['--schema', file]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown validator type 'strng' at \/tables\/users\/documentType\/value\/a\/fieldType\/type/);
});

test('an import that does not match the schema names the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-'));
  writeFileSync(join(dir, 'schema.json'), JSON.stringify({ tables: { tags: { documentType: { type: 'object', value: { name: { fieldType: { type: 'string' }, optional: false } } } } } }));
  mkdirSync(join(dir, 'export', 'tags'), { recursive: true });
  writeFileSync(join(dir, 'export', 'tags', 'documents.jsonl'), '{"name":"ok"}\n{"name":42}\n');
  const r = run(['--schema', join(dir, 'schema.json'), '--import', join(dir, 'export')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /documents\.jsonl:2: document does not match the schema of tags/);
});

test('the Convex backend needs a deploy key, and a key is never printed', () => {
  const r = run([], { CONVEX_URL: 'http://127.0.0.1:9' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--convex-url needs a deploy key/);
  const bad = run(['--convex-url', 'ftp://x'], { CONVEX_DEPLOY_KEY: 'prod:secret-key-123' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /invalid Convex URL 'ftp:\/\/x': expected http:\/\/ or https:\/\//);
  assert.doesNotMatch(bad.stderr + bad.stdout, /secret-key-123/);
});
