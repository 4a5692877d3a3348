// Prints one line per test suite from ctest's verbose log: its name, its
// result, how many tests it ran and its seconds. scripts/test.sh tees
// ctest's output to the log and calls this after it; docs/testing.md keeps
// the figures. (ctest's JUnit file cuts each suite's output to its head,
// and the counts are at the end.)
//
//   node scripts/suite_summary.mjs build/sanitize/ctest.log
import { readFileSync } from 'node:fs';

const log = readFileSync(process.argv[2], 'utf8');

// ctest --verbose prefixes every line a suite prints with its number.
const outputs = new Map();
for (const m of log.matchAll(/^(\d+): (.*)$/gm)) {
  const n = Number(m[1]);
  outputs.set(n, (outputs.get(n) ?? '') + m[2] + '\n');
}

// How each kind of suite reports its count.
const counters = [
  [/\[doctest\] test cases:\s*(\d+)/g, (m) => Number(m[1])],                           // doctest programs
  [/^# tests (\d+)$/gm, (m) => Number(m[1])],                                          // node --test (TAP)
  [/^\w+: (\d+) passed, (\d+) failed, (\d+) skipped$/gm, (m) => Number(m[1]) + Number(m[2]) + Number(m[3])],  // conformance
  [/drizzle differential: (\d+) same answers, (\d+) refused by both, (\d+) listed differences, (\d+) not expressible in RQBv2, (\d+) problems/g,
    (m) => Number(m[1]) + Number(m[2]) + Number(m[3]) + Number(m[5])],
  [/^(\d+) of (\d+) refused as expected$/gm, (m) => Number(m[2])],                    // typed must-not-compile
  [/^(\d+) inputs replayed$/gm, (m) => Number(m[1])],                                  // fuzz corpus replays
];

// The count a suite printed last: a suite that runs other programs (e2e_http
// runs doctest clients) prints their counts too, before its own.
function countOf(out) {
  let best = null;
  for (const [re, count] of counters) {
    for (const m of out.matchAll(re)) {
      if (!best || m.index > best.index) best = { index: m.index, count: count(m) };
    }
  }
  return best ? best.count : null;
}

const rows = [];
for (const m of log.matchAll(/^\s*\d+\/\d+ Test\s+#(\d+): (\S+) \.*\**\s*(\w[\w ]*?)\s+([\d.]+) sec/gm)) {
  const [, n, name, result, seconds] = m;
  rows.push({ name, seconds: Number(seconds), count: countOf(outputs.get(Number(n)) ?? ''), result: result === 'Passed' ? 'ok' : result });
}

const width = Math.max(5, ...rows.map((r) => r.name.length));
console.log(`${'suite'.padEnd(width)}  result   tests  seconds`);
let total = 0;
for (const r of rows) {
  total += r.seconds;
  console.log(`${r.name.padEnd(width)}  ${r.result.padEnd(7)}  ${String(r.count ?? '?').padStart(5)}  ${r.seconds.toFixed(1).padStart(7)}`);
}
console.log(`${'(sum of the suites\' seconds; two run at a time)'.padEnd(width)}           ${''.padStart(5)}  ${total.toFixed(1).padStart(7)}`);
