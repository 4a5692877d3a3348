// The README's walk-throughs, run as written (issue 35): the shell blocks
// that talk to a running server are taken from README.md itself and run
// with bash against a fresh server, each command on its own, so a README
// that drifts from the server fails here. What the test changes, and only
// this: `./scripts/run.sh` is the server the test started (same flags, the
// same environment for the Convex line, pointed at the emulator); the
// address 127.0.0.1:8787 / localhost:8787 is that server's; `dcq` is the
// build's, given that address; a `watch` stops after its first result
// (the README says Ctrl-C).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startEmulator } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const dcq = process.env.DC_DCQ;
const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

// The ```sh blocks of the README.
function shellBlocks() {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

// One command per entry: a line continues while a single quote is open.
function commands(block) {
  const out = [];
  let current = '';
  for (const line of block.split('\n')) {
    if (!line.trim() && !current) continue;
    current = current ? `${current}\n${line}` : line;
    if ((current.match(/'/g) ?? []).length % 2 === 0) {
      out.push(current);
      current = '';
    }
  }
  return out;
}

function runAgainst(url, command) {
  const host = new URL(url).host;
  const rewritten = command
    .replaceAll('localhost:8787', host)
    .replaceAll('127.0.0.1:8787', host)
    .replaceAll('build/release/client/dcq', `${dcq} --url ${url}`)
    .replace(/ watch ('[^']*')/, ' watch $1 --count 1');
  const r = spawnSync('bash', ['-c', rewritten], { encoding: 'utf8', cwd: root, timeout: 30000 });
  return { ...r, rewritten };
}

// The walk-throughs: blocks whose commands talk to the server (curl or dcq), not the set-up ones.
const walkthroughs = () => shellBlocks().filter((b) => /curl |client\/dcq /.test(b));

test('the README\'s walk-throughs run as written against the demo server', { skip: !bin || !dcq }, async () => {
  const blocks = walkthroughs();
  assert.ok(blocks.length >= 2, 'the five-minute path and the dcq block');
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  try {
    let ran = 0;
    for (const block of blocks) {
      for (const command of commands(block)) {
        if (command.startsWith('./scripts/run.sh')) continue;  // the server above
        const r = runAgainst(server.url, command);
        assert.equal(r.status, 0, `${command}\n→ ${r.rewritten}\n${r.stderr}`);
        assert.ok(r.stdout.trim().length > 0, `${command} printed nothing`);
        if (command.startsWith('curl ')) {
          const answer = JSON.parse(r.stdout);
          assert.ok('data' in answer, `${command}: ${r.stdout.slice(0, 300)}`);
        }
        ran++;
      }
    }
    assert.ok(ran >= 8, `${ran} commands`);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('the README\'s Convex line: the same server, pointed at a Convex deployment (the emulator) by CONVEX_URL and CONVEX_DEPLOY_KEY', { skip: !bin || !dcq }, async () => {
  const line = shellBlocks().flatMap(commands).find((c) => c.startsWith('CONVEX_URL='));
  assert.ok(line, 'the README shows how to point the server at Convex');
  const names = [...line.matchAll(/([A-Z_]+)=\S+/g)].map((m) => m[1]);
  assert.deepEqual(names, ['CONVEX_URL', 'CONVEX_DEPLOY_KEY']);
  const key = 'prod:readme-walkthrough';
  const fixture = join(root, 'tests/conformance/fixtures/blog');
  const emulator = await startEmulator(['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--admin-key', key]);
  // As run.sh passes the environment on to the server.
  const server = await startServer(bin, ['--no-access-log'], { env: { ...process.env, CONVEX_URL: emulator.url, CONVEX_DEPLOY_KEY: key } });
  try {
    const five = commands(walkthroughs()[0]).find((c) => c.startsWith('curl '));
    let r;
    for (let i = 0; i < 100; i++) {
      r = runAgainst(server.url, five);
      if (r.status === 0 && r.stdout.includes('"data"')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));  // /readyz: the schema comes from Convex first
    }
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Array.isArray(JSON.parse(r.stdout).data), r.stdout.slice(0, 300));
  } finally {
    await server.stop();
    await emulator.stop();
  }
});
