// The compile-fail runner for tests/typed/must_not_compile.cpp: the file
// must compile as it is (every case's twin), and each case must not, with
// its expected diagnostic in the compiler's output. Two compilers at a time.
//
// Usage: node must_not_compile.mjs CXX -I... -I...
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [compiler, ...includes] = process.argv.slice(2);
const source = new URL('./must_not_compile.cpp', import.meta.url).pathname;
const cases = [...readFileSync(source, 'utf8').matchAll(/^\s*\/\/ CASE (\w+): (.+)$/gm)].map((m) => ({ name: m[1], expect: m[2].trim() }));
if (!compiler || cases.length === 0) {
  console.error('usage: node must_not_compile.mjs CXX -Iinclude...; found', cases.length, 'cases');
  process.exit(2);
}

// GCC quotes names with ‘ ’; the cases write ' for both.
const plain = (text) => text.replace(/[‘’]/g, "'");

function compile(defines) {
  return new Promise((resolve) => {
    execFile(compiler, ['-std=c++20', '-fsyntax-only', '-fdiagnostics-color=never', ...includes, ...defines, source],
      { maxBuffer: 64 << 20 }, (error, stdout, stderr) => resolve({ ok: !error, output: plain(stdout + stderr) }));
  });
}

let failures = 0;
const twins = await compile([]);
if (!twins.ok) {
  console.error('the twins (no case defined) do not compile:\n' + twins.output.slice(0, 4000));
  process.exit(1);
}
console.log(`twins compile; ${cases.length} cases`);

const queue = [...cases];
async function worker() {
  for (let c = queue.shift(); c; c = queue.shift()) {
    const r = await compile([`-DCASE_${c.name}`]);
    if (r.ok) {
      failures++;
      console.error(`FAIL ${c.name}: compiled, and must not`);
    } else if (!r.output.includes(c.expect)) {
      failures++;
      const first = r.output.split('\n').filter((l) => l.includes('error')).slice(0, 3).join('\n');
      console.error(`FAIL ${c.name}: refused, but without "${c.expect}":\n${first}`);
    } else {
      console.log(`ok   ${c.name}: "${c.expect}"`);
    }
  }
}
await Promise.all([worker(), worker()]);
console.log(`${cases.length - failures} of ${cases.length} refused as expected`);
process.exit(failures ? 1 : 0);
