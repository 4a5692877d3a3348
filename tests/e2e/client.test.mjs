// The C++ client library end to end: tests/client/e2e_test.cpp (the
// client_e2e program) against a proxy on the embedded engine, one with the
// blog's auth file, and one in front of the Convex emulator. This file
// starts them and carries out what the program asks for on stdout
// ("@faults {...}": the emulator's fault knob; "@restart": the embedded
// proxy stops and starts again on the same port; "@tls-connections": how
// many connections the TLS terminator has accepted), answering "ok" on stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import tls from 'node:tls';
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
  // https: a TLS terminator in front of the embedded proxy, with a certificate for "localhost" only.
  const dir = mkdtempSync(join(tmpdir(), 'dc-client-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  let tlsConnections = 0;
  const terminator = tls.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (socket) => {
    tlsConnections++;
    const upstream = net.connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise((resolve) => terminator.listen(0, '127.0.0.1', resolve));
  const tlsPort = terminator.address().port;
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
        DC_TLS_URL: `https://localhost:${tlsPort}`,
        DC_TLS_IP_URL: `https://127.0.0.1:${tlsPort}`,
        DC_TLS_CA: cert,
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
      } else if (line === '@tls-connections') {
        child.stdin.write(`ok ${tlsConnections}\n`);
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
    terminator.close();
    await demo.stop();
    await auth.stop();
    await convex.stop();
    await emulator.stop();
  }
});
