// docker/: the compose stack with Convex's self-hosted backend (issue 17).
// No Docker engine runs here, so the compose file is checked by parsing it
// (python3-yaml) against what the server, the Dockerfile and Convex's
// backend expect, and docker/deploy-adapter.sh runs its five steps with
// stand-ins for `docker compose` and `npx` against the Convex emulator:
// the key it reads from "generate_admin_key.sh" is the emulator's admin key,
// and "up proxy" starts the real server with the environment compose would
// give it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync, rmSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { startEmulator, startServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER && resolve(process.env.DC_SERVER);
const root = new URL('../../', import.meta.url).pathname;
const docker = join(root, 'docker');
const yaml = (file) => JSON.parse(execFileSync('python3', ['-c',
  'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' }));
const compose = () => yaml(join(docker, 'compose.yml'));
const envNames = (text) => new Set([...text.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
const environment = (service) => Object.fromEntries((service.environment ?? []).map((e) => {
  const i = e.indexOf('=');
  return [e.slice(0, i), e.slice(i + 1)];
}));

test('compose.yml: backend, dashboard and proxy as Convex and the server expect them', () => {
  const c = compose();
  assert.deepEqual(Object.keys(c.services).sort(), ['backend', 'dashboard', 'grafana', 'prometheus', 'proxy']);
  const { backend, dashboard, proxy, prometheus, grafana } = c.services;

  assert.match(backend.image, /^ghcr\.io\/get-convex\/convex-backend:/);
  assert.deepEqual(backend.ports, ['${PORT:-3210}:3210', '${SITE_PROXY_PORT:-3211}:3211']);
  assert.deepEqual(backend.healthcheck.test, ['CMD', 'curl', '-f', 'http://localhost:3210/version']);
  assert.ok(backend.volumes.includes('data:/convex/data') && 'data' in c.volumes);

  assert.match(dashboard.image, /^ghcr\.io\/get-convex\/convex-dashboard:/);
  assert.deepEqual(dashboard.ports, ['${DASHBOARD_PORT:-6791}:6791']);
  assert.equal(dashboard.depends_on.backend.condition, 'service_healthy');

  // The proxy: built from the repository's Dockerfile, after the backend is healthy, ready at /readyz.
  assert.equal(proxy.build.context, '..');
  assert.ok(existsSync(join(docker, proxy.build.context, proxy.build.dockerfile)));
  assert.equal(proxy.depends_on.backend.condition, 'service_healthy');
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const port = dockerfile.match(/^ENV .*\bDC_PORT=(\d+)/m)[1];
  assert.match(dockerfile, /^ENV .*\bDC_HOST=0\.0\.0\.0/m, 'all interfaces inside the container');
  assert.match(dockerfile, /^EXPOSE (\d+)$/m);
  assert.equal(dockerfile.match(/^EXPOSE (\d+)$/m)[1], port);
  assert.deepEqual(proxy.ports, [`\${PROXY_PORT:-8787}:${port}`]);
  assert.deepEqual(proxy.healthcheck.test, ['CMD', 'curl', '-f', `http://localhost:${port}/readyz`]);
  assert.match(dockerfile, /apt-get install[^\n]* curl/, 'the runtime image needs curl for the health check');

  // Its environment names exactly what the server reads, and points at the backend service.
  // One variable per option of the usage text (config.cpp env_name), and the three named ones.
  const options = [...readFileSync(join(root, 'server/app/config.cpp'), 'utf8').matchAll(/"  --([a-z-]+)/g)].map((m) => m[1]);
  const read = new Set(['CONVEX_URL', 'CONVEX_DEPLOY_KEY', 'DC_AUTH_FILE', 'DC_CONFIG', 'CONVEX_SELF_HOSTED_URL', 'CONVEX_SELF_HOSTED_ADMIN_KEY',
    ...options.map((o) => `DC_${o.toUpperCase().replaceAll('-', '_')}`)]);
  const env = environment(proxy);
  for (const name of Object.keys(env)) assert.ok(read.has(name), `the server does not read ${name}`);
  assert.equal(env.CONVEX_URL, 'http://backend:3210');
  // The auth file is mounted read-only and must exist: compose must not make a directory in its place.
  const mount = proxy.volumes.find((v) => typeof v === 'object' && v.target.startsWith('/conf/'));
  assert.equal(mount.target, env.DC_AUTH_FILE);
  assert.equal(mount.source, '${PROXY_AUTH_JSON:-./auth.json}');
  assert.deepEqual([mount.type, mount.read_only, mount.bind.create_host_path], ['bind', true, false]);

  // Monitoring only when asked for; Prometheus scrapes the proxy's port and the backend's.
  for (const s of [prometheus, grafana]) assert.deepEqual(s.profiles, ['monitoring']);
  for (const s of ['backend', 'dashboard', 'proxy']) assert.equal(c.services[s].profiles, undefined, `${s} runs without a profile`);
  const scrape = yaml(join(docker, 'prometheus.yml'));
  const targets = scrape.scrape_configs.flatMap((j) => j.static_configs.flatMap((sc) => sc.targets));
  assert.deepEqual(targets.sort(), ['backend:3210', `proxy:${port}`].sort());
  assert.ok(prometheus.volumes.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
  const datasource = yaml(join(docker, 'grafana/provisioning/datasources/prometheus.yml'));
  assert.equal(datasource.datasources[0].url, 'http://prometheus:9090');
  const provider = yaml(join(docker, 'grafana/provisioning/dashboards/drizzle-convex.yml'));
  const dashboardMount = grafana.volumes.find((v) => v.startsWith('./grafana/drizzle-convex.json:'));
  assert.ok(dashboardMount.split(':')[1].startsWith(provider.providers[0].options.path + '/'), 'the dashboard is where the provider looks');

  // The image checks its own health; the build context holds no secrets or installed packages.
  assert.match(dockerfile, /HEALTHCHECK [^\n]*curl -fsS "http:\/\/127\.0\.0\.1:\$\{DC_PORT\}\/readyz"/, 'the health check follows DC_PORT');
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
  for (const entry of ['docker/.env', 'docker/auth.json', '**/node_modules/', 'build/', '.git/']) assert.ok(ignored.includes(entry), entry);
});

test('.env.example holds every variable compose.yml and deploy-adapter.sh use, and nothing else', () => {
  const text = readFileSync(join(docker, 'compose.yml'), 'utf8');
  const used = new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
  const script = readFileSync(join(docker, 'deploy-adapter.sh'), 'utf8');
  for (const m of script.matchAll(/env_value ([A-Z_][A-Z0-9_]*)/g)) used.add(m[1]);
  const listed = envNames(readFileSync(join(docker, '.env.example'), 'utf8'));
  assert.deepEqual([...used].filter((n) => !listed.has(n)), [], 'used but missing from .env.example');
  assert.deepEqual([...listed].filter((n) => !used.has(n)), [], 'in .env.example but used nowhere');
});

test('the sample Convex project type-checks with the adapter', () => {
  const tsc = join(root, 'node_modules/.bin/tsc');
  const r = spawnSync(tsc, ['--noEmit', '-p', join(docker, 'sample/tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const pkg = JSON.parse(readFileSync(join(docker, 'sample/package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  assert.equal(pkg.dependencies.convex, lock.packages['node_modules/convex'].version, 'the sample pins the convex the tests run');
});

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('deploy-adapter.sh: key, deploy, auth file and proxy, against the emulator; a second run keeps them', { skip: !bin, timeout: 240000 }, async () => {
  const key = 'convex-self-hosted|' + 'ab'.repeat(32);
  const emulator = await startEmulator(['--schema', join(root, 'tests/conformance/fixtures/blog/schema.json'),
    '--import', join(root, 'tests/conformance/fixtures/blog/data'), '--admin-key', key]);
  const work = mkdtempSync(join(tmpdir(), 'dc-compose-'));
  const dir = join(work, 'docker');
  cpSync(docker, dir, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.endsWith('/.env') && !src.endsWith('/auth.json') });
  const proxyPort = await freePort();
  const emulatorPort = new URL(emulator.url).port;
  writeFileSync(join(dir, '.env'), readFileSync(join(dir, '.env.example'), 'utf8')
    .replace(/^PORT=.*$/m, `PORT=${emulatorPort}`).replace(/^PROXY_PORT=.*$/m, `PROXY_PORT=${proxyPort}`));
  // Stand-ins: each records its call; "up proxy" starts the server as compose would configure it.
  const log = join(work, 'calls.log');
  mkdirSync(join(work, 'bin'));
  const fake = (name, body) => {
    const file = join(work, 'bin', name);
    writeFileSync(file, `#!/usr/bin/env node\n${body}`);
    chmodSync(file, 0o755);
    return file;
  };
  const dockerStandIn = fake('docker', `
const { appendFileSync, readFileSync, writeFileSync, openSync } = require('node:fs');
const { spawn } = require('node:child_process');
const args = process.argv.slice(2).join(' ');
appendFileSync(${JSON.stringify(log)}, 'docker ' + args + '\\n');
const env = Object.fromEntries(readFileSync('.env', 'utf8').split('\\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
if (args === 'compose up -d backend dashboard') process.exit(0);
if (args === 'compose exec -T backend ./generate_admin_key.sh') { console.log('Admin key:'); console.log(${JSON.stringify(key)}); process.exit(0); }
if (args === 'compose up -d --build proxy') {
  const out = openSync('proxy.log', 'a');
  const child = spawn(${JSON.stringify(bin)}, ['--host', '127.0.0.1', '--port', env.PROXY_PORT, '--no-access-log'], {
    detached: true, stdio: ['ignore', out, out],
    env: { ...process.env, CONVEX_URL: ${JSON.stringify(emulator.url)}, CONVEX_DEPLOY_KEY: env.CONVEX_SELF_HOSTED_ADMIN_KEY, DC_AUTH_FILE: env.PROXY_AUTH_JSON || './auth.json' },
  });
  writeFileSync('proxy.pid', String(child.pid));
  child.unref();
  process.exit(0);
}
process.exit(64);
`);
  const npxStandIn = fake('npx', `
const { appendFileSync } = require('node:fs');
appendFileSync(${JSON.stringify(log)}, 'npx ' + process.argv.slice(2).join(' ') + ' in ' + process.cwd().split('/').pop() +
  ' url=' + process.env.CONVEX_SELF_HOSTED_URL + ' key=' + process.env.CONVEX_SELF_HOSTED_ADMIN_KEY + '\\n');
`);
  const npmStandIn = fake('npm', `
const { appendFileSync } = require('node:fs');
appendFileSync(${JSON.stringify(log)}, 'npm ' + process.argv.slice(2).join(' ') + ' in ' + process.cwd().split('/').pop() + '\\n');
`);
  // The sample's adapter dependency, by path from the copied folder: the repository's (its dist/ built).
  symlinkSync(join(root, 'adapter'), join(work, 'adapter'));
  const run = (env = {}) => spawnSync(join(dir, 'deploy-adapter.sh'), [], {
    encoding: 'utf8', env: { ...process.env, DOCKER_COMPOSE: `${dockerStandIn} compose`, NPX: npxStandIn, NPM: npmStandIn, ...env },
  });
  const stopProxy = () => {
    const pidFile = join(dir, 'proxy.pid');
    if (existsSync(pidFile)) {
      try { process.kill(Number(readFileSync(pidFile, 'utf8'))); } catch { /* gone */ }
      rmSync(pidFile);
    }
  };
  try {
    const first = run();
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /ready: http:\/\/127\.0\.0\.1:\d+/);
    const apiKey = first.stdout.match(/^\s+(dcx_[0-9a-f]{48})$/m)?.[1];
    assert.ok(apiKey, 'the new service key is printed once:\n' + first.stdout);
    const env = readFileSync(join(dir, '.env'), 'utf8');
    assert.ok(env.includes(`CONVEX_SELF_HOSTED_ADMIN_KEY=${key}\n`));
    const auth = JSON.parse(readFileSync(join(dir, 'auth.json'), 'utf8'));
    assert.equal(auth.apiKeys[0].sha256, createHash('sha256').update(apiKey).digest('hex'));
    const calls = readFileSync(log, 'utf8');
    assert.match(calls, /^npm install --no-audit --no-fund in sample\n/m, 'the sample\'s packages are installed before the deploy');
    assert.ok(calls.indexOf('npm install') < calls.indexOf('npx convex deploy'));
    assert.match(calls, new RegExp(`npx convex deploy --yes in sample url=http://127\\.0\\.0\\.1:${emulatorPort} key=${key.replace('|', '\\|')}`));

    // The proxy in front of the "self-hosted" backend answers the service key, and refuses no key.
    const proxy = `http://127.0.0.1:${proxyPort}`;
    const rows = await post(proxy, '/v1/query', { table: 'users', op: 'count' }, { Authorization: `Bearer ${apiKey}` });
    assert.equal(rows.status, 200, rows.text);
    assert.equal(rows.json.data.count, 8);
    assert.equal((await post(proxy, '/v1/query', { table: 'users', op: 'count' })).status, 401);

    // Again: the key and the auth file are kept, nothing new is printed, the proxy is restarted.
    stopProxy();
    const second = run();
    assert.equal(second.status, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /kept the one in docker\/\.env/);
    assert.match(second.stdout, /kept \.\/auth\.json/);
    assert.doesNotMatch(second.stdout, /dcx_/);
    assert.equal(readFileSync(log, 'utf8').match(/generate_admin_key/g).length, 1);
    stopProxy();
    // A tool missing: said before any step runs.
    const missing = run({ NPM: join(work, 'bin', 'no-such-npm') });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /'.*no-such-npm' is needed \(to install the sample project's packages/);
    assert.doesNotMatch(missing.stdout, /1\/5/);
  } finally {
    stopProxy();
    await emulator.stop();
  }
});

test('auth.example.json is an auth file the server accepts', { skip: !bin }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-auth-example-'));
  const file = join(dir, 'auth.json');
  const apiKey = 'dcx_example';
  writeFileSync(file, readFileSync(join(docker, 'auth.example.json'), 'utf8')
    .replace('REPLACED_BY_DEPLOY_ADAPTER_SH', createHash('sha256').update(apiKey).digest('hex')));
  const server = await startServer(bin, ['--demo', '--auth', file, '--no-access-log']);
  try {
    const r = await post(server.url, '/v1/query', { table: 'posts', op: 'count' }, { Authorization: `Bearer ${apiKey}` });
    assert.equal(r.status, 200, r.text);
  } finally {
    await server.stop();
  }
});

test('the Grafana dashboard queries only metrics the server exports', () => {
  const dash = JSON.parse(readFileSync(join(docker, 'grafana/drizzle-convex.json'), 'utf8'));
  const exported = new Map();  // name → type, from the server's sources
  const sources = execFileSync('grep', ['-rhoE', '"dc_[a-z_]+"', join(root, 'server')], { encoding: 'utf8' });
  for (const m of sources.matchAll(/"(dc_[a-z_]+)"/g)) exported.set(m[1], true);
  const histograms = new Set(execFileSync('grep', ['-rhoE', 'histogram\\("dc_[a-z_]+"|->write\\(out, "dc_[a-z_]+"|write\\(out, "dc_[a-z_]+"',
    join(root, 'server')], { encoding: 'utf8' }).match(/dc_[a-z_]+/g));
  histograms.add('dc_http_request_duration_seconds');
  const ids = new Set();
  assert.ok(dash.panels.length >= 8);
  for (const panel of dash.panels) {
    assert.ok(!ids.has(panel.id), `panel id ${panel.id} twice`);
    ids.add(panel.id);
    assert.ok(panel.targets.length > 0, panel.title);
    for (const t of panel.targets) {
      for (const [, name, suffix] of t.expr.matchAll(/\b(dc_[a-z_]+?)(_bucket|_count|_sum)?\b(?=[\[{( )/]|$)/g)) {
        assert.ok(exported.has(name), `${panel.title}: ${name} is not exported`);
        if (suffix) assert.ok(histograms.has(name), `${panel.title}: ${name}${suffix} on a metric that is not a histogram`);
      }
      if (t.expr.includes('histogram_quantile')) assert.match(t.expr, /_bucket\[/);
    }
  }
});

test('the runtime image installs the Debian package of every shared library the server loads', { skip: !bin }, () => {
  // No Docker engine runs here, so this is what stands for starting the image:
  // a library missing from the runtime stage would stop the server at exec.
  const base = new Set(['libc6', 'libstdc++6', 'libgcc-s1']);  // in debian:bookworm-slim already
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
  const installed = new Set(runtime.match(/apt-get install[^\n]*/)[0].split(/\s+/));
  let libraries = execFileSync('ldd', [bin], { encoding: 'utf8' }).split('\n')
    .map((line) => line.match(/=> (\/\S+)/)?.[1]).filter(Boolean);
  if (process.env.DC_SANITIZED === '1') {
    // The image ships the release build. It loads no sanitizer runtime and no
    // libboost_system (its functions are inline; only this build keeps the
    // dependency), and it links jemalloc, which this build does not
    // (CMakeLists.txt): that one is looked up here instead.
    libraries = libraries.filter((l) => !/lib(asan|ubsan|boost_system)\.so/.test(l));
    const jemalloc = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).match(/libjemalloc\.so\.2 .*=> (\S+)/);
    assert.ok(jemalloc, 'libjemalloc.so.2 is installed (scripts/install-deps.sh)');
    libraries.push(jemalloc[1]);
  }
  assert.ok(libraries.some((l) => l.includes('libjemalloc')), 'the server links jemalloc');
  for (const lib of libraries) {
    const owner = spawnSync('dpkg', ['-S', lib], { encoding: 'utf8' }).stdout || spawnSync('dpkg', ['-S', lib.replace(/^\/lib\//, '/usr/lib/')], { encoding: 'utf8' }).stdout;
    assert.ok(owner, `no Debian package owns ${lib}`);
    const pkg = owner.split(':')[0];
    if (!base.has(pkg)) assert.ok(installed.has(pkg), `the runtime stage does not install ${pkg} (for ${lib})`);
  }
});
