// Starts drizzle-convex-server on a free loopback port for a test and stops it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import assert from 'node:assert/strict';

export async function startServer(bin, args = [], { timeoutMs = 30000, env } = {}) {
  return startProgram(bin, ['--port', '0', ...args], { timeoutMs, env });
}

// Runs `fn(server)` on a fresh server, then stops it and checks that it
// exited cleanly: a sanitizer report (leak, use-after-free) makes it non-zero.
export async function withServer(bin, args, fn) {
  const server = await startServer(bin, args);
  try {
    await fn(server);
  } finally {
    assert.equal(await server.stop(), 0, server.stderr().slice(-3000));
  }
}

// The Convex emulator (tests/emulator/main.mjs); it prints the same ready line.
export async function startEmulator(args = [], { timeoutMs = 30000 } = {}) {
  const main = new URL('../emulator/main.mjs', import.meta.url).pathname;
  return startProgram(process.execPath, [main, '--port', '0', ...args], { timeoutMs });
}

// Starts a program that prints `listening on 127.0.0.1:PORT` once it accepts connections.
export async function startProgram(file, args, { timeoutMs = 30000, env } = {}) {
  const proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19)); });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not print its ready line in ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code} before it was ready\n${stderr}`)); });
  });
  proc.removeAllListeners('exit');
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    // Stops with SIGTERM and returns the exit code (SIGKILL after the deadline).
    async stop(deadlineMs = 10000) {
      if (proc.exitCode !== null) return proc.exitCode;
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), deadlineMs);
      const [code, signal] = await exited;
      clearTimeout(timer);
      return code ?? signal;
    },
  };
}

export async function post(url, path, body, headers = {}) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

// Polls /readyz until it answers 200 (a Convex-backed server loads its schema
// from the deployment after it starts listening).
export async function waitReady(url, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const res = await fetch(url + '/readyz');
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) { last = String(e); }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} was not ready in ${timeoutMs} ms: ${last}`);
}

// One value from the server's /metrics (Prometheus text), or undefined.
export async function metric(url, name) {
  const text = await (await fetch(url + '/metrics')).text();
  const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}
