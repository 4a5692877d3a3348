// Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/seed-*) from
// the conformance cases and a few hand-made protocol messages. The fuzzer
// adds its own finds next to them; both are committed and replayed by the
// fuzz_corpus_* tests.
//
//   node fuzz/seed_corpora.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const corpus = (t) => path.join(root, "fuzz", "corpus", t);
const seeds = {};
const add = (target, bytes) => (seeds[target] ??= new Set()).add(Buffer.isBuffer(bytes) ? bytes.toString("latin1") : bytes);

// Requests and live messages: every query and mutation of the conformance suite.
for (const file of fs.readdirSync(path.join(root, "tests/conformance/cases")).sort()) {
  const spec = JSON.parse(fs.readFileSync(path.join(root, "tests/conformance/cases", file), "utf8"));
  const org = spec.fixture === "org";
  for (const c of spec.cases) {
    if (c.rawBody !== undefined) add("request", (org ? "Q" : "q") + c.rawBody);
    if (c.query) {
      const body = JSON.stringify(c.query);
      add("request", (c.endpoint === "/v1/explain" ? "e" : org ? "Q" : "q") + body);
      if (!org) add("live_message", JSON.stringify({ id: "1", type: "subscribe", payload: c.query }));
    }
    for (const step of c.steps ?? []) {
      if (step.mutate) add("request", (org ? "m" : "M") + JSON.stringify(step.mutate));
      if (step.query) add("request", (org ? "Q" : "q") + JSON.stringify(step.query));
    }
  }
}

for (const m of [
  { type: "connection_init" }, { type: "connection_init", payload: { patches: true, token: "t" } }, { type: "ping" },
  { type: "pong" }, { type: "complete", id: "1" },
  { type: "subscribe", id: "2", payload: { query: '{"table":"users","op":"findFirst"}' } },
  { type: "subscribe", id: "3", payload: { op: "insert", table: "tags", values: { name: "x" } } }, { type: "nope" },
]) add("live_message", JSON.stringify(m));

// Cursors: a sort key alone (wrapped with the right fingerprint) or a whole cursor text.
for (const c of ['[100]', '[9007199254740993]', '[{"$undefined":null}]', '[null]', '["x", 1]', '[{"$integer":"AQAAAAAAAAA="}]',
                 '[]', '{"q":"nope","k":[1]}', '{"k":[1]}']) add("cursor", c);

// Convex answers: a status selector byte, then the body.
const ok = (value) => JSON.stringify({ status: "success", value, logLines: [] });
for (const [sel, body] of [
  ["\x00", ok({ data: [{ _id: "a", n: { $integer: "AQAAAAAAAAA=" }, b: { $bytes: "AAE=" }, f: { $float: "AAAAAAAA+H8=" } }], docsRead: 1 })],
  ["\x00", ok({ data: null, docsRead: 0 })],
  ["\x00", JSON.stringify({ status: "error", errorMessage: "Uncaught Error: boom", errorData: { code: "X" } })],
  ["\x02", JSON.stringify({ status: "error", errorMessage: "failed" })],
  ["\x03", JSON.stringify({ code: "BadJsonBody", message: "bad" })], ["\x04", "rate limited"], ["\x05", "<html>"],
  ["\x00", JSON.stringify({ type: "Transition", startVersion: { querySet: 0, identity: 0, ts: "AAAAAAAAAAA=" },
                            endVersion: { querySet: 1, identity: 0, ts: "AQAAAAAAAAA=" }, modifications: [] })],
]) add("convex_answer", sel + body);

// Log and snapshot files, framed as the engine writes them.
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const frame = (payload) => {
  const p = Buffer.from(payload);
  const h = Buffer.alloc(8);
  h.writeUInt32LE(p.length, 0);
  h.writeUInt32LE(crc32(p), 4);
  return Buffer.concat([h, p]);
};
const tag = (id, name) => ({ t: "tags", id, d: { _id: id, _creationTime: 1700000000000, name } });
const rec1 = frame(JSON.stringify({ seq: 1, changes: [tag("k17a", "one")] }));
const rec2 = frame(JSON.stringify({ seq: 2, changes: [{ t: "tags", id: "k17a", d: null }, tag("k17b", "two")] }));
for (const sel of ["\x00", "\x01"]) {
  add("log", Buffer.concat([Buffer.from("L" + sel), rec1, rec2]));
  add("log", Buffer.concat([Buffer.from("L" + sel), rec1, rec2.subarray(0, 11)]));
}
const line = (json) => crc32(Buffer.from(json)).toString(16).padStart(8, "0") + " " + json + "\n";
const docs = [JSON.stringify(tag("k17a", "one")), JSON.stringify(tag("k17b", "two"))];
add("log", "S\x00" + '{"version":2,"seq":2}\n' + docs.map(line).join("") + line('{"end":true,"count":2}'));
add("log", "S\x00" + docs.join("\n") + "\n");  // version 1: no checksums

for (const [target, set] of Object.entries(seeds)) {
  fs.mkdirSync(corpus(target), { recursive: true });
  let i = 0;
  for (const s of set) fs.writeFileSync(path.join(corpus(target), `seed-${String(i++).padStart(3, "0")}`), Buffer.from(s, "latin1"));
  console.log(`${target}: ${set.size} seeds`);
}
