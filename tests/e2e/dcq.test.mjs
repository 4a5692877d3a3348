// dcq end to end: every command, each exit code, NDJSON from watch --count,
// watch on a terminal under tmux, and the client package installed and used
// by client/examples through CMake and through pkg-config.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const dcq = process.env.DC_DCQ;
const skip = !bin || !dcq;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server;

before(async () => { if (!skip) server = await startServer(bin, ['--demo', '--no-access-log']); });
after(async () => { if (server) assert.equal(await server.stop(), 0, server.stderr().slice(-3000)); });

// Runs dcq to its end: {code, stdout, stderr}. Piped, so JSON is the default format.
function run(args, { input, env = {} } = {}) {
  const r = spawnSync(dcq, args, { input, encoding: 'utf8', env: { ...process.env, DCQ_URL: server.url, ...env }, timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('query, mutate, explain and schema answer JSON when piped; exit 0', { skip }, () => {
  let r = run(['query', '{"table":"users","op":"findMany","columns":{"name":true},"orderBy":{"name":"asc"},"limit":2}']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  assert.equal(rows.length, 2);
  assert.deepEqual(Object.keys(rows[0]), ['name']);

  r = run(['mutate', '-'], { input: '{"op":"insert","table":"tags","values":{"name":"from-dcq"},"returning":true}' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout)[0].name, 'from-dcq');

  r = run(['query', '{"table":"tags","op":"findMany","where":{"name":"from-dcq"}}', '--format', 'ndjson']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.equal(JSON.parse(r.stdout.trim()).name, 'from-dcq');

  r = run(['query', '{"table":"users","op":"findMany","columns":{"name":true,"role":true},"limit":3}', '--format', 'table']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /name +│ role/);
  assert.match(r.stdout, /\(3 rows\)/);

  // An aggregate's groups are a table too (tests/client/table_test.cpp: int64 cells).
  r = run(['query', '{"table":"posts","op":"aggregate","groupBy":["published"],"aggregates":{"n":{"count":true},"views":{"sum":"views"}}}', '--format', 'table']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /published │ n +│ views/);
  assert.match(r.stdout, /\(2 rows\)/);

  // NDJSON keeps stdout one row per line; a paginate's cursor goes to stderr, whole.
  r = run(['query', '{"table":"users","op":"paginate","numItems":2,"columns":{"name":true}}', '--format', 'ndjson']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 2);
  const cursor = r.stderr.match(/^continueCursor: "(.+)"$/m)?.[1];
  assert.ok(cursor && cursor.length > 40, r.stderr);
  r = run(['query', JSON.stringify({ table: 'users', op: 'paginate', numItems: 2, columns: { name: true }, cursor }), '--format', 'ndjson']);
  assert.equal(r.code, 0, r.stderr);

  r = run(['explain', '{"table":"users","op":"findMany","where":{"email":"a@b.c"}}']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /by_email/);

  r = run(['schema']);
  assert.equal(r.code, 0);
  assert.ok(JSON.parse(r.stdout).tables.users);
  r = run(['schema', '--format', 'table']);
  assert.match(r.stdout, /users +│ name, email/);
});

test('a server error exits 1 and points at the path in the typed query', { skip }, () => {
  const r = run(['query', '{"table":"users","op":"findMany","where":{"nmae":"x"}}']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /INVALID_QUERY \(400\) at \/where\/nmae: unknown field 'nmae'/);
  const [, text, carets] = r.stderr.split('\n');
  const at = carets.indexOf('^');
  assert.equal(text.slice(at, at + 6), '"nmae"');
});

test('usage errors exit 2: bad JSON, no command, an unknown flag, a bad format', { skip }, () => {
  let r = run(['query', '{"table":']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not valid JSON/);
  assert.equal(run([]).code, 2);
  assert.equal(run(['query', '{}', '--bogus']).code, 2);
  assert.equal(run(['query', '{}', '--format', 'xml']).code, 2);
  assert.equal(run(['--url', 'ftp://x', 'schema']).code, 2);
  r = run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Exit codes/);
  r = run(['watch', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--count/);
});

test('-f FILE reads the request from a file; an error names FILE:LINE and points into it', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcq-file-'));
  try {
    const good = join(dir, 'admins.json');
    writeFileSync(good, JSON.stringify({ table: 'users', op: 'findMany', columns: { name: true }, where: { role: 'admin' }, orderBy: { name: 'asc' } }, null, 2));
    let r = run(['query', '-f', good]);
    assert.equal(r.code, 0, r.stderr);
    const direct = run(['query', readFileSync(good, 'utf8')]);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(direct.stdout));
    const bad = join(dir, 'typo.json');
    writeFileSync(bad, '{\n  "table": "users",\n  "op": "findMany",\n  "where": {"rol": "admin"}\n}\n');
    r = run(['query', '--file', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /at \/where\/rol/);
    assert.ok(r.stderr.includes(`at ${bad}:4\n`), r.stderr);
    assert.match(r.stderr, /"where": \{"rol": "admin"\}\n\s+\^+/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "table": "users",\n  "op": "findMany",,\n}\n');
    r = run(['explain', '-f', broken]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`at ${broken}:3\n`), r.stderr);
    assert.doesNotMatch(r.stderr, /json\.exception/, 'our words, not the parser library\'s');
    // Usage: a missing file, both a file and JSON, neither.
    assert.equal(run(['query', '-f', join(dir, 'absent.json')]).code, 2);
    assert.equal(run(['query', '{}', '-f', good]).code, 2);
    r = run(['query']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-f FILE/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('--format csv: a header, one line per row, RFC 4180 quoting; a page\'s cursor on stderr', { skip }, async () => {
  const title = 'Comma, "quote"\nand a line';
  const w = await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: title } });
  assert.equal(w.status, 200, w.text);
  let r = run(['query', '--format', 'csv', JSON.stringify({ table: 'tags', op: 'findMany', columns: { name: true }, where: { name: title } })]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'name\r\n"Comma, ""quote""\nand a line"\r\n');
  r = run(['query', '--format', 'csv', '{"table":"users","op":"findMany","columns":{"name":true,"credits":true,"address":true},"where":{"address":{"isNotNull":true}},"orderBy":{"name":"asc"},"limit":2}']);
  const lines = r.stdout.split('\r\n');
  assert.equal(lines[0], 'name,credits,address', r.stderr);
  assert.equal(lines.length, 4, r.stdout);
  assert.match(lines[1], /^[^,]+,\d+,"\{.*\}"$/, 'a number as written, an object as JSON (quoted: it holds commas or quotes)');
  r = run(['query', '--format', 'csv', '{"table":"posts","op":"paginate","numItems":2,"columns":{"title":true}}']);
  assert.equal(r.stdout.split('\r\n').length, 4, r.stdout);
  assert.match(r.stderr, /^continueCursor: "/);
  r = run(['query', '--format', 'csv', '{"table":"users","op":"count"}']);
  assert.match(r.stdout, /^count\r\n\d+\r\n$/);
  r = run(['schema', '--format', 'csv']);
  assert.match(r.stdout, /^table,fields,indexes,relations\r\n/);
  await post(server.url, '/v1/mutate', { op: 'delete', table: 'tags', where: { name: title } });
});

test('explain on a terminal (or --format table) draws the plan as a tree; --analyze adds what each access read', { skip }, () => {
  const q = { table: 'posts', where: { published: true, author: { role: 'admin' } }, columns: { title: true }, orderBy: { views: 'desc' }, limit: 3,
    with: { author: { columns: { name: true } }, tags: { columns: { name: true } } } };
  let r = run(['explain', '--format', 'table', JSON.stringify(q)]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^findMany: up to \d+ documents \(budget 32000\)$/);
  assert.match(lines[1], /^posts  index by_author by authorId · filter published = true · order views desc \(sort\) · limit 3/);
  assert.match(r.stdout, /\n├─ driven by author: users  index by_role_credits \[role = admin\]/);
  assert.match(r.stdout, /\n├─ with tags \(links\): postTags  index by_post by postId/);
  assert.match(r.stdout, /\n└─ with tags: tags  get by _id/);
  assert.match(r.stdout, /\nwarnings:\n  posts: in-memory sort/);
  assert.doesNotMatch(r.stdout, /read \d/, 'nothing was run');
  r = run(['explain', '--format', 'table', '--analyze', JSON.stringify(q)]);
  assert.equal(r.code, 0, r.stderr);
  const total = Number(r.stdout.match(/^findMany: .* · read (\d+)$/m)[1]);
  const perAccess = [...r.stdout.matchAll(/ · read (\d+)$/gm)].slice(1).reduce((t, m) => t + Number(m[1]), 0);
  assert.equal(perAccess, total, 'the accesses\' reads add up to the plan\'s');
  // Piped, explain stays JSON; a mutation's plan is JSON on a terminal too.
  assert.equal(JSON.parse(run(['explain', JSON.stringify(q)]).stdout).kind, 'read');
  assert.equal(JSON.parse(run(['explain', '--format', 'table', '{"op":"delete","table":"tags","where":{"name":"x"}}']).stdout).kind, 'mutation');
  // --analyze is for reads: the server refuses it on a mutation, at its key.
  r = run(['explain', '--analyze', '{"op":"delete","table":"tags","where":{"name":"x"}}']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/analyze/);
});

test('dcq schema TABLE: every field with its type whole, indexes, unique, relations; an unknown table names the tables; completion asks the server', { skip }, () => {
  let r = run(['schema', 'users', '--format', 'table']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^users\n/);
  assert.match(r.stdout, /\nrole +│ "admin" \| "editor" \| "member" +│/);
  assert.match(r.stdout, /\naddress +│ \{ city: string; country: string \} +│ yes/);
  assert.match(r.stdout, /\nindexes: by_email \(email\), by_role_credits \(role, credits\)\n/);
  assert.match(r.stdout, /\nunique: email\n/);
  assert.match(r.stdout, /\nrelation posts: many posts \(_id → authorId\)\n/);
  r = run(['schema', 'posts', '--format', 'table']);
  assert.match(r.stdout, /\nrelation tags: many tags \(_id → postTags → _id\)\n/);
  r = run(['schema', 'comments', '--format', 'csv']);
  assert.match(r.stdout, /^field,type,optional\r\npostId,id<posts>,\r\n/);
  const json = JSON.parse(run(['schema', 'users']).stdout);
  assert.equal(json.table, 'users');
  assert.ok(json.definition.documentType && json.relations.posts);
  r = run(['schema', 'nope']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no table 'nope'; the tables are .*users/);
  // Every table's field list whole, not cut to a cell.
  r = run(['schema', '--format', 'table']);
  assert.match(r.stdout, /authorId, title, body, published, category, views/);
  const completion = join(process.env.DC_SOURCE_DIR ?? new URL('../..', import.meta.url).pathname, 'client/dcq/dcq.bash-completion');
  const dir = join(dcq, '..');
  const c = spawnSync('bash', ['-c', `source ${completion}; COMP_WORDS=(dcq --url ${server.url} schema po); COMP_CWORD=4; _dcq; echo "\${COMPREPLY[*]}"`],
    { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
  assert.equal(c.stdout.trim(), 'postTags posts');
});

test('no server, or no answer in time, exits 3', { skip }, () => {
  let r = run(['schema'], { env: { DCQ_URL: 'http://127.0.0.1:1' } });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /CONNECTION_FAILED/);
  r = run(['watch', '{"table":"tags","op":"count"}', '--timeout', '500'], { env: { DCQ_URL: 'http://127.0.0.1:1' } });
  assert.equal(r.code, 3);
});

test('a token goes as a bearer: the flag and DCQ_TOKEN', { skip }, async () => {
  // An auth file whose only credential is an API key: anonymous calls are 401s.
  const blog = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;
  const guarded = await startServer(bin, ['--schema', join(blog, 'schema.json'), '--import', join(blog, 'data'),
    '--auth', join(blog, 'auth.json'), '--no-access-log']);
  try {
    const q = '{"table":"tags","op":"count"}';
    let r = run(['query', q], { env: { DCQ_URL: guarded.url } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UNAUTHENTICATED \(401\)/);
    const { hs256 } = await import('../lib/tokens.mjs');
    const token = hs256('conformance-secret-0123456789abcdef', { sub: 'dcq' });
    r = run(['query', q, '--token', token], { env: { DCQ_URL: guarded.url } });
    assert.equal(r.code, 0, r.stderr);
    r = run(['query', q], { env: { DCQ_URL: guarded.url, DCQ_TOKEN: token } });
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await guarded.stop();
  }
});

test('watch --count prints one NDJSON line per result and exits 0', { skip }, async () => {
  const q = '{"table":"tags","op":"findMany","columns":{"name":true},"where":{"name":{"like":"w%"}},"orderBy":{"name":"asc"}}';
  const child = spawn(dcq, ['watch', q, '--count', '3', '--format', 'ndjson'], { env: { ...process.env, DCQ_URL: server.url } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = () => out.split('\n').filter(Boolean).length;
  for (const name of ['w1', 'w2']) {
    const before = lines();
    while (lines() === before && lines() === 0) await sleep(20);
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name } })).status, 200);
    while (lines() === before) await sleep(20);
  }
  assert.equal(await exited, 0);
  const results = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(results.map((r) => r.map((t) => t.name)), [[], ['w1'], ['w1', 'w2']]);
});

test('watch --format json piped prints each result on one line', { skip }, () => {
  const r = run(['watch', '{"table":"tags","op":"findMany","columns":{"name":true},"limit":3}', '--count', '1', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.ok(Array.isArray(JSON.parse(lines[0])));
});

test('watch on a terminal redraws a table in place (tmux); Ctrl-C exits 0', { skip: skip || spawnSync('tmux', ['-V']).status !== 0 }, async () => {
  const session = `dcq-${process.pid}`;
  const tmux = (...args) => execFileSync('tmux', ['-L', session, ...args], { encoding: 'utf8' });
  const q = '{"table":"tags","op":"findMany","columns":{"name":true},"where":{"name":{"like":"t%"}},"orderBy":{"name":"asc"}}';
  const status = join(mkdtempSync(join(tmpdir(), 'dcq-')), 'status');
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30',
    `DCQ_URL=${server.url} ${dcq} watch '${q}'; echo "exit=$?" > ${status}; sleep 30`);
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  const until = async (re) => {
    for (let i = 0; i < 300; i++) { const s = screen(); if (re.test(s)) return s; await sleep(50); }
    assert.fail(`the screen never showed ${re}:\n${screen()}`);
  };
  try {
    await until(/\(1 row\)|\(no rows\)|rows\)/);
    await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'tmux-row' } });
    const s = await until(/tmux-row/);
    assert.match(s, /result 2/);
    assert.match(s, /tmux-row\*/);  // the changed cell is marked
    assert.equal((s.match(/dcq watch/g) ?? []).length, 1);  // redrawn in place, not appended
    tmux('send-keys', '-t', session, 'C-c');
    const written = () => { try { return readFileSync(status, 'utf8').trim(); } catch { return ''; } };
    for (let i = 0; i < 100 && !written(); i++) await sleep(50);
    assert.equal(written(), 'exit=0');
  } finally {
    try { tmux('kill-server'); } catch { /* already gone */ }
  }
});

test('client/examples/demo/schema.json is the demo server\'s schema', { skip }, () => {
  const served = JSON.parse(execFileSync(dcq, ['--url', server.url, 'schema', '--format', 'json'], { encoding: 'utf8' }));
  const file = JSON.parse(readFileSync(new URL('../../client/examples/demo/schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(served, file, 'the demo schema changed: regenerate the file with dcq schema --format json');
});

test('the installed package builds client/examples with CMake and with pkg-config', { skip: skip || !process.env.DC_BUILD_DIR, timeout: 600000 }, () => {
  const build = process.env.DC_BUILD_DIR;
  const source = process.env.DC_SOURCE_DIR;
  const prefix = mkdtempSync(join(tmpdir(), 'dc-prefix-'));
  const sh = (cmd, args, env = {}) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  // The prefix holds the installed library and the examples' build: about 1.2 GB on the sanitize build.
  try {
    sh('cmake', ['--install', build, '--prefix', prefix, '--component', 'client']);
    // A sanitizer build's library needs the sanitizer runtime in the program too.
    const sanitize = process.env.DC_SANITIZED === 'true' || process.env.DC_SANITIZED === '1' ? '-fsanitize=address,undefined' : '';
    const example = join(prefix, 'example-build');
    sh('cmake', ['-S', join(source, 'client/examples'), '-B', example, `-DCMAKE_PREFIX_PATH=${prefix}`,
      `-DCMAKE_EXE_LINKER_FLAGS=${sanitize}`, '-DCMAKE_BUILD_TYPE=Release']);
    sh('cmake', ['--build', example]);
    let out = sh(join(example, 'top_users'), [server.url]);
    assert.equal(out.trim().split('\n').length, 3);
    assert.match(out, /\(\d posts\)/);
    // The typed example, its header generated at build time by drizzle_convex_codegen: the same answer.
    assert.equal(sh(join(example, 'top_users_typed'), [server.url]), out);

    const pc = sh('pkg-config', ['--cflags', '--libs', 'drizzle-convex-client'], { PKG_CONFIG_PATH: join(prefix, 'lib/pkgconfig') });
    const exe = join(prefix, 'top_users_pc');
    sh('sh', ['-c', `c++ -std=c++20 ${join(source, 'client/examples/top_users.cpp')} -o ${exe} ${pc.trim()} ${sanitize}`]);
    out = sh(exe, [server.url]);
    assert.equal(out.trim().split('\n').length, 3);
    // dcq and its bash completion come with the package.
    sh(join(prefix, 'bin/dcq'), ['--url', server.url, 'schema']);
    sh('bash', ['-c', `source ${join(prefix, 'share/bash-completion/completions/dcq')}; COMP_WORDS=(dcq wa); COMP_CWORD=1; _dcq; [ "\${COMPREPLY[*]}" = watch ]`]);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

// A stand-in server on loopback that answers every request with `respond(req, res)`.
async function fakeServer(respond) {
  const http = await import('node:http');
  const requests = [];
  const srv = http.createServer((req, res) => { requests.push(req.url); respond(req, res); });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}`, requests, close: () => { srv.closeAllConnections(); return new Promise((r) => srv.close(r)); } };
}

// Runs dcq without blocking this process's event loop (the stand-in server lives in it).
function runAsync(args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(dcq, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const watchdog = setTimeout(() => p.kill('SIGKILL'), 30000);
    p.on('exit', (code, signal) => { clearTimeout(watchdog); resolve({ code: code ?? signal, stdout, stderr }); });
  });
}

// What a terminal acts on: C0 controls but line feed, DEL, C1 controls, bidi controls, line/paragraph separators.
const TERMINAL_CONTROL = /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;

test('strings from the server reach the terminal escaped: titles, clipboard writes, clears, C1 and bidi controls (table, JSON, NDJSON, errors)', { skip }, async () => {
  const hostile = ['\x1b]0;pwned\x07', '\x1b]52;c;ZXZpbA==\x07', '\x1b[2J\x1b[H', 'over\rwrite', '\u009b31mred', 'abc\u202edcba', 'a\u2066b\u2069', 'del\x7f', 'tab\tnew\nline'];
  const rows = hostile.map((s, i) => ({ name: s, ['k\x1b[1m' + i]: i }));
  const srv = await fakeServer((req, res) => {
    if (req.url === '/v1/query') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: rows }));
    } else {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'INVALID_QUERY', message: 'bad \x1b]0;title\x07 \u202egnirts', path: '/where' } }));
    }
  });
  try {
    const q = '{"table":"users","op":"findMany"}';
    for (const format of ['table', 'json', 'ndjson']) {
      const r = await runAsync(['--url', srv.url, 'query', q, '--format', format]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, TERMINAL_CONTROL, `${format}: ${JSON.stringify(r.stdout).slice(0, 400)}`);
      if (format === 'table') {
        assert.match(r.stdout, /\\x1b\]0;pwned\\x07/);
        assert.match(r.stdout, /abc\\u\{202e\}dcba/);
      } else {
        // JSON stays the same JSON: the escapes are JSON's own.
        const back = format === 'json' ? JSON.parse(r.stdout) : r.stdout.trim().split('\n').map((l) => JSON.parse(l));
        assert.deepEqual(back, rows);
      }
    }
    const e = await runAsync(['--url', srv.url, 'mutate', '{"op":"delete","table":"users","where":{}}']);
    assert.equal(e.code, 1);
    assert.doesNotMatch(e.stderr, TERMINAL_CONTROL, JSON.stringify(e.stderr));
    assert.match(e.stderr, /bad \\x1b\]0;title\\x07 \\u\{202e\}gnirts/);
  } finally { await srv.close(); }
});

test('an answer that never ends stops at --timeout; one past --max-answer stops there: exit 3, asked once', { skip }, async () => {
  const chunk = JSON.stringify('x'.repeat(65536)) + ',';
  const srv = await fakeServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"data":[');
    const t = setInterval(() => res.write(chunk), 20);
    res.on('close', () => clearInterval(t));
  });
  try {
    const q = '{"table":"users","op":"findMany"}';
    let r = await runAsync(['--url', srv.url, '--timeout', '1500', '--max-answer', String(1 << 30), 'query', q]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /TIMEOUT/);
    assert.equal(srv.requests.length, 1);
    r = await runAsync(['--url', srv.url, '--timeout', '60000', '--max-answer', '1000000', 'query', q]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ANSWER_TOO_LARGE/);
    assert.equal(srv.requests.length, 2, 'a cut-off answer is not asked for again');
  } finally { await srv.close(); }
});
