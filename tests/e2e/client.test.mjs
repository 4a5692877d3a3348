// The C++ client library end to end: tests/client/e2e_test.cpp (the
// client_e2e program) against a proxy on the embedded engine, one with the
// blog's auth file, and one in front of the Convex emulator. This file
// starts them and carries out what the program asks for on stdout
// ("@faults {...}": the emulator's fault knob; "@restart": the embedded
// proxy stops and starts again on the same port), answering "ok" on stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startServer, startEmulator, startProgram, waitReady } from '../lib/server.mjs';
import { hs256 } from '../lib/tokens.mjs';

const bin = process.env.DC_SERVER;
const program = process.env.DC_CLIENT_E2E;
const blog = new URL('../conformance/fixtures/blog/', import.meta.url).pathname;
const KEY = 'client-e2e-admin-key';

test('the C++ client library against the server (embedded, auth, Convex emulator)', { skip: !bin || !program, timeout: 240000 }, async () => {
  let demo = await startServer(bin, ['--demo', '--no-access-log']);
  const port = demo.port;
  const auth = await startServer(bin, ['--schema', join(blog, 'schema.json'), '--import', join(blog, 'data'),
    '--auth', join(blog, 'auth.json'), '--no-access-log']);
  const emulator = await startEmulator(['--schema', join(blog, 'schema.json'), '--import', join(blog, 'data'), '--admin-key', KEY]);
  const convex = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', KEY, '--no-access-log']);
  try {
    await waitReady(convex.url);
    const child = spawn(program, [], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DC_URL: demo.url,
        DC_AUTH_URL: auth.url,
        DC_AUTH_TOKEN: hs256('conformance-secret-0123456789abcdef', { sub: 'client-e2e' }),
        DC_CONVEX_URL: convex.url,
      },
    });
    let output = '';
    child.stderr.on('data', (d) => { output += d; });
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    for await (const line of lines) {
      output += line + '\n';
      if (line.startsWith('@faults ')) {
        const res = await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: line.slice(8) });
        assert.equal(res.status, 200);
        child.stdin.write('ok\n');
      } else if (line === '@restart') {
        assert.equal(await demo.stop(), 0, demo.stderr().slice(-2000));
        demo = await startProgram(bin, ['--port', String(port), '--demo', '--no-access-log']);
        child.stdin.write('ok\n');
      }
    }
    const code = await exited;
    console.log(output.split('\n').filter((l) => /test cases|assertions|ERROR|FAILED/.test(l)).join('\n'));
    assert.equal(code, 0, output.slice(-6000));
  } finally {
    await demo.stop();
    await auth.stop();
    await convex.stop();
    await emulator.stop();
  }
});
