// --config FILE (TOML) and --check-config (issue 17): the file holds any
// flag; flags beat the environment, which beats the file, which beats the
// defaults; --check-config prints every option (secrets masked) as a file
// that reads back the same, or exits 2 naming the bad key's path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const dir = mkdtempSync(join(tmpdir(), 'dc-config-'));
let n = 0;
const file = (text) => {
  const f = join(dir, `c${++n}.toml`);
  writeFileSync(f, text);
  return f;
};
const run = (args, env = {}) => {
  const clean = { ...process.env };
  delete clean.CONVEX_URL;
  delete clean.CONVEX_DEPLOY_KEY;
  for (const k of Object.keys(clean)) if (k.startsWith('DC_') || k.startsWith('CONVEX_SELF_HOSTED_')) delete clean[k];
  return spawnSync(bin, args, { encoding: 'utf8', env: { ...clean, ...env } });
};
const effective = (stdout) => Object.fromEntries(stdout.split('\n').filter((l) => l.includes(' = '))
  .map((l) => [l.slice(0, l.indexOf(' = ')), l.slice(l.indexOf(' = ') + 3)]));

test('--check-config prints every option, and what it prints reads back the same', { skip: !bin }, () => {
  const r = run(['--check-config']);
  assert.equal(r.status, 0, r.stderr);
  const printed = effective(r.stdout);
  const help = run(['--help']).stdout;
  const options = [...help.matchAll(/^\s+--([a-z-]+)/gm)].map((m) => m[1]).filter((o) => !['config', 'check-config'].includes(o));
  assert.ok(options.length > 30);
  assert.deepEqual(options.filter((o) => !(o in printed)), [], 'options --check-config leaves out');
  const again = run(['--config', file(r.stdout), '--check-config']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, r.stdout);
});

test('precedence: flags over the environment over the file over the defaults; the key stays masked', { skip: !bin }, () => {
  const f = file(`# operators comment their files
port = 9000
max-limit = 50
cors-origins = ["https://a.example", "https://b.example"]
no-access-log = true
[convex]
url = "http://from-file:3210"
deploy-key = "file-secret-0000"
timeout = 2500
[live]
outbox = 32
`);
  let r = run(['--config', f, '--check-config']);
  assert.equal(r.status, 0, r.stderr);
  let c = effective(r.stdout);
  assert.equal(c.port, '9000');
  assert.equal(c['max-limit'], '50');
  assert.equal(c['cors-origins'], '["https://a.example", "https://b.example"]');
  assert.equal(c['no-access-log'], 'true');
  assert.equal(c['convex-url'], '"http://from-file:3210"');
  assert.equal(c['convex-timeout'], '2500');
  assert.equal(c['live-outbox'], '32');
  assert.equal(c['read-budget'], '32000', 'a default the file leaves alone');
  assert.ok(!r.stdout.includes('file-secret'), 'the deploy key is never printed');
  assert.match(c['convex-deploy-key'], /^"\*+"/);

  r = run(['--config', f, '--check-config'], { CONVEX_URL: 'http://from-env:3210', CONVEX_DEPLOY_KEY: 'env-secret' });
  c = effective(r.stdout);
  assert.equal(c['convex-url'], '"http://from-env:3210"');
  assert.ok(!r.stdout.includes('env-secret'));

  r = run(['--config', f, '--check-config', '--convex-url', 'http://from-flag:3210', '--port', '9100'], { CONVEX_URL: 'http://from-env:3210' });
  c = effective(r.stdout);
  assert.equal(c['convex-url'], '"http://from-flag:3210"');
  assert.equal(c.port, '9100');
  assert.equal(c['max-limit'], '50');
});

test('a bad file exits 2 and names the key\'s path, or the line of a syntax error', { skip: !bin }, () => {
  const cases = [
    ['port = "eighty"\n', /\/port: --port takes a number/],
    ['[live]\nnope = 3\n', /\/live\/nope: unknown flag: --live-nope/],
    ['demo = "yes"\n', /\/demo: is true or false/],
    ['port = true\n', /\/port: takes a value, not true\/false/],
    ['max-body = -1\n', /\/max-body: takes a number from 0/],
    ['[convex.deep]\nurl = "x"\n', /\/convex\/deep: tables nest one level only/],
    ['cors-origins = [1, 2]\n', /\/cors-origins: a list here holds strings/],
    ['config = "other.toml"\n', /\/config: not an option of the file/],
    ['port = \n', /not valid TOML[\s\S]*line|not valid TOML[\s\S]*1 \|/],
  ];
  for (const [text, message] of cases) {
    const r = run(['--config', file(text), '--check-config']);
    assert.equal(r.status, 2, `${JSON.stringify(text)} → ${r.status}\n${r.stdout}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '', 'nothing printed as the configuration');
  }
  const missing = run(['--config', join(dir, 'absent.toml'), '--check-config']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /absent\.toml: cannot be read/);
});

test('durations take ms, s or m; a bare number keeps the flag\'s unit; a wrong unit is named', { skip: !bin }, () => {
  const check = (args, env) => {
    const r = run([...args, '--check-config'], env);
    assert.equal(r.status, 0, r.stderr);
    return effective(r.stdout);
  };
  let c = check(['--read-timeout', '2m', '--request-timeout', '10s', '--convex-timeout', '750ms', '--live-idle-timeout=90s', '--live-init-timeout', '1m']);
  assert.equal(c['read-timeout'], '120', 'seconds');
  assert.equal(c['request-timeout'], '10000', 'milliseconds');
  assert.equal(c['convex-timeout'], '750');
  assert.equal(c['live-idle-timeout'], '90');
  assert.equal(c['live-init-timeout'], '60000');
  c = check(['--read-timeout', '45', '--request-timeout', '250']);
  assert.equal(c['read-timeout'], '45', 'a bare number: seconds, as before');
  assert.equal(c['request-timeout'], '250', 'a bare number: milliseconds, as before');
  c = check(['--config', file('[live]\nstuck-timeout = "3s"\n')], { DC_READ_TIMEOUT: '1m' });
  assert.equal(c['live-stuck-timeout'], '3000', 'from the file');
  assert.equal(c['read-timeout'], '60', 'from the environment');
  for (const [args, message] of [
    [['--read-timeout', '10x'], /--read-timeout takes a duration: a whole number with ms, s or m .*not '10x'/],
    [['--read-timeout', '1500ms'], /--read-timeout counts whole seconds: '1500ms' is not/],
    [['--request-timeout', '0s'], /--request-timeout takes from 1 to 3600000 milliseconds; '0s' is 0/],
    [['--read-timeout', '2h'], /takes a duration/],
    [['--read-timeout', '61m'], /--read-timeout takes from 1 to 3600 seconds; '61m' is 3660/],
    [['--convex-timeout', '-5s'], /takes a duration/],
  ]) {
    const r = run([...args, '--check-config']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, message);
  }
});

test('docker/drizzle-convex.example.toml is a valid configuration, and what it says is what the server takes', { skip: !bin }, () => {
  const example = new URL('../../docker/drizzle-convex.example.toml', import.meta.url).pathname;
  const r = run(['--config', example, '--check-config']);
  assert.equal(r.status, 0, r.stderr);
  const c = effective(r.stdout);
  assert.equal(c['request-timeout'], '5000');
  assert.equal(c['convex-timeout'], '10000');
  assert.equal(c['live-idle-timeout'], '60');
  assert.equal(c['log-format'], '"text"');
});

test('a server started with --config serves by it', { skip: !bin }, async () => {
  const server = await startServer(bin, ['--config', file('demo = true\nmax-limit = 5\nno-access-log = true\n')]);
  try {
    assert.equal((await post(server.url, '/v1/query', { table: 'users', op: 'findMany', limit: 5 })).status, 200);
    const over = await post(server.url, '/v1/query', { table: 'users', op: 'findMany', limit: 6 });
    assert.equal(over.status, 400);
    assert.match(over.text, /limit/);
  } finally {
    await server.stop();
  }
});

test('--log-format json: every line one JSON object, the access line with its own fields', { skip: !bin }, async () => {
  const server = await startServer(bin, ['--demo', '--log-format', 'json']);
  let stderr;
  try {
    await post(server.url, '/v1/query', { table: 'users', op: 'count' }, { 'X-Request-Id': 'trace"1\\' });
    await post(server.url, '/v1/query?q=%22%5C%FF', '{"table": "nope", "op": "count"}');
    await post(server.url, '/v1/query', { table: 'users\u00e9\ud83d\ude00', op: 'count' });
  } finally {
    assert.equal(await server.stop(), 0);
    stderr = server.stderr();
  }
  const lines = stderr.trim().split('\n');
  assert.ok(lines.length >= 5, stderr);
  const records = lines.map((l) => {
    try { return JSON.parse(l); } catch { assert.fail(`not one JSON object: ${l}`); }
  });
  for (const r of records) {
    assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:?\d\d$/);
    assert.ok(['trace', 'debug', 'info', 'warning', 'error', 'critical'].includes(r.level), r.level);
    assert.ok('message' in r || r.event === 'access', JSON.stringify(r));
  }
  const access = records.filter((r) => r.event === 'access');
  assert.equal(access.length, 3);
  assert.deepEqual(Object.keys(access[0]), ['time', 'level', 'event', 'requestId', 'peer', 'method', 'path', 'status', 'code', 'role', 'us', 'docsRead']);
  assert.equal(access[0].requestId, 'trace"1\\');
  assert.match(access[0].peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(access[0].code, null);
  assert.equal(access[0].role, 'admin', 'without --auth every caller is the built-in admin');
  assert.equal(access[1].status, 400);
  assert.equal(access[1].code, 'INVALID_QUERY');
  assert.ok(records.some((r) => r.message?.includes('memory-only')));

  // text (the default): lines for a person, the access line's JSON after the level.
  const text = await startServer(bin, ['--demo']);
  await post(text.url, '/v1/query', { table: 'users', op: 'count' });
  await text.stop();
  const first = text.stderr().split('\n')[0];
  assert.match(first, /^\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:?\d\d (\x1b\[[\d;]*m)?info/, 'a text timestamp names its zone');
  assert.match(text.stderr(), /info(\x1b\[m)? \{"event":"access"/);
});

test('SIGHUP re-reads --config: the log level and the auth file change, a live socket stays, the rest waits for a restart', { skip: !bin }, async () => {
  const { createHash } = await import('node:crypto');
  const { LiveClient } = await import('../lib/live.mjs');
  const sha = (k) => createHash('sha256').update(k).digest('hex');
  const authFile = (keys) => {
    const f = join(dir, `auth${++n}.json`);
    writeFileSync(f, JSON.stringify({ apiKeys: keys.map((k) => ({ name: k, sha256: sha(k), role: 'service' })), roles: { service: { bypass: true } } }));
    return f;
  };
  const a = authFile(['keep', 'old']);
  const b = authFile(['keep', 'new']);
  const config = join(dir, 'reloaded.toml');
  writeFileSync(config, `demo = true\nauth = "${a}"\nlog-level = "info"\nmax-limit = 1000\n`);
  const server = await startServer(bin, ['--config', config]);
  const bearer = (k) => ({ Authorization: `Bearer ${k}` });
  const waitLog = async (re) => {
    for (let i = 0; i < 100 && !re.test(server.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(server.stderr(), re);
  };
  try {
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' }, bearer('old'))).status, 200);
    const live = await LiveClient.open(server.url, { token: 'keep' });
    live.subscribe('q', { table: 'tags', op: 'count' });
    const first = await live.waitFor((m) => m.type === 'next');

    writeFileSync(config, `demo = true\nauth = "${b}"\nlog-level = "debug"\nmax-limit = 7\n`);
    server.proc.kill('SIGHUP');
    await waitLog(new RegExp(`auth rules reloaded from ${b.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.match(server.stderr(), /SIGHUP: log-level info → debug/);
    assert.match(server.stderr(), /SIGHUP: max-limit changed in .*reloaded\.toml; it takes effect after a restart/);
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' }, bearer('new'))).status, 200);
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' }, bearer('old'))).status, 401);
    assert.equal((await post(server.url, '/v1/query', { table: 'users', op: 'findMany', limit: 8 }, bearer('new'))).status, 200,
      'max-limit needs a restart: the old one is in force');

    // The live socket opened before the reload is still served.
    assert.equal((await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'after-reload' } }, bearer('keep'))).status, 200);
    const next = await live.waitFor((m) => m.type === 'next' && m !== first);
    assert.ok(next);
    assert.equal(live.closeCode, undefined, 'the live socket stayed open');

    // A file that no longer parses keeps what is in force.
    writeFileSync(config, 'log-level = \n');
    server.proc.kill('SIGHUP');
    await waitLog(/not re-read, the configuration in force stays/);
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' }, bearer('new'))).status, 200);
    live.close?.();
  } finally {
    await server.stop();
  }
});

test('every option of --help has an environment variable, and --check-config shows what it set', { skip: !bin }, () => {
  const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
  const flags = [...(help.stdout + help.stderr).matchAll(/^  (--[a-z-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--config' && f !== '--check-config');
  assert.ok(flags.length > 40, `${flags.length} options`);
  const envName = (f) => ({ '--auth': 'DC_AUTH_FILE', '--convex-url': 'CONVEX_URL', '--convex-deploy-key': 'CONVEX_DEPLOY_KEY' })[f]
    ?? `DC_${f.slice(2).toUpperCase().replaceAll('-', '_')}`;
  const fixture = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;
  const base = effective(run(['--check-config']).stdout);
  // A value each option takes that differs from its default (paths that must exist, do).
  const paths = { '--schema': join(fixture, 'schema.json'), '--import': join(fixture, 'data'), '--auth': join(fixture, 'auth.json'),
    '--data-dir': mkdtempSync(join(tmpdir(), 'dc-env-')), '--convex-ca-file': '/etc/ssl/certs/ca-certificates.crt' };
  const strings = { '--host': '127.0.0.2', '--cors-origins': 'https://app.example', '--log-format': 'json', '--log-level': 'warn',
    '--convex-module': 'other', '--convex-url': 'http://127.0.0.1:3210', '--convex-deploy-key': 'a-key' };
  const problems = [];
  for (const flag of flags) {
    const key = flag.slice(2);
    const was = base[key];
    assert.ok(was !== undefined, `${key} is printed by --check-config`);
    const value = paths[flag] ?? strings[flag] ?? (was === 'true' || was === 'false' ? '1' : String(Number(was) + 1));
    const r = run(['--check-config'], { [envName(flag)]: value });
    const now = effective(r.stdout)[key];
    if (r.status !== 0) problems.push(`${envName(flag)}=${value}: exit ${r.status}: ${r.stderr.trim()}`);
    else if (now === was) problems.push(`${envName(flag)}=${value} left ${key} at ${was}`);
  }
  assert.deepEqual(problems, []);
  // Convex's self-hosting names stand in for ours; a flag beats the environment.
  const aliased = effective(run(['--check-config'], { CONVEX_SELF_HOSTED_URL: 'http://127.0.0.1:3210', CONVEX_SELF_HOSTED_ADMIN_KEY: 'k' }).stdout);
  assert.equal(aliased['convex-url'], '"http://127.0.0.1:3210"');
  assert.match(aliased['convex-deploy-key'], /set, masked/);
  assert.equal(effective(run(['--check-config', '--port', '9001'], { DC_PORT: '9002' }).stdout).port, '9001');
  const bad = run(['--check-config'], { DC_DEMO: 'maybe' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /DC_DEMO: takes 1, true or yes/);
});

test('an access line names no role for a request refused before auth, even on a connection whose last request had one', { skip: !bin }, async () => {
  const server = await startServer(bin, ['--demo', '--log-format', 'json', '--max-body', '200']);
  let stderr;
  try {
    // One keep-alive connection: an answered request, then one over --max-body.
    const http = await import('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body) => new Promise((resolve, reject) => {
      const req = http.request(server.url + '/v1/query', { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    assert.equal(await send({ table: 'users', op: 'count' }), 200);
    assert.equal(await send({ table: 'users', op: 'findMany', where: { name: 'x'.repeat(400) } }), 413);
    agent.destroy();
  } finally {
    assert.equal(await server.stop(), 0);
    stderr = server.stderr();
  }
  const access = stderr.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.event === 'access');
  assert.deepEqual(access.map((r) => [r.status, r.role, r.code]), [[200, 'admin', null], [413, null, 'TOO_LARGE']]);
  assert.equal(access[0].peer, access[1].peer, 'one connection');
});
