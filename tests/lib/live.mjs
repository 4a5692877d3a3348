// A raw /v1/live client for tests: every message kept in order, waits with
// deadlines, and the current result of each subscription rebuilt from `data`
// and `patch` messages (fast-json-patch applies RFC 6902 independently of the server).
import WebSocket from 'ws';
import jsonpatch from 'fast-json-patch';

export class LiveClient {
  // `token`: connection_init's credentials (auth.md section 3).
  static async open(baseUrl, { patches = false, init = true, protocol = 'graphql-transport-ws', token } = {}) {
    const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/v1/live', protocol);
    const c = new LiveClient(ws);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`))); });
    if (init) {
      c.send({ type: 'connection_init', payload: token === undefined ? { patches } : { patches, token } });
      await c.waitFor((m) => m.type === 'connection_ack');
    }
    return c;
  }

  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.state = new Map();   // id → {version, data}
    this.gaps = [];           // version gaps seen (must stay empty)
    this.waiters = [];
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => { this.closeCode = code; this.closeReason = String(reason); resolve({ code, reason: String(reason) }); this.wake(); }));
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw));
      m.receivedAt = performance.now();
      this.messages.push(m);
      if (m.type === 'next') this.apply(m);
      this.wake();
    });
    ws.on('error', () => {});
  }

  apply(m) {
    const s = this.state.get(m.id) ?? { version: 0, data: undefined };
    if ('data' in m.payload) {
      s.data = m.payload.data;
    } else {
      s.data = jsonpatch.applyPatch(structuredClone(s.data), m.payload.patch, true, false).newDocument;
    }
    if (m.payload.version !== s.version + 1) this.gaps.push({ id: m.id, had: s.version, got: m.payload.version });
    s.version = m.payload.version;
    this.state.set(m.id, s);
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  send(msg) { this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)); }

  subscribe(id, payload) { this.send({ type: 'subscribe', id, payload }); }

  // Resolves with the first message (from index `from` on) matching `pred`.
  waitFor(pred, { timeoutMs = 5000, from = 0 } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(from).find(pred);
        if (found) { done(); resolve(found); return true; }
        if (this.closeCode !== undefined) { done(); reject(new Error(`socket closed (${this.closeCode} ${this.closeReason}) while waiting; messages: ${JSON.stringify(this.messages).slice(0, 2000)}`)); return true; }
        return false;
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no matching message in ${timeoutMs} ms; messages: ${JSON.stringify(this.messages).slice(-2000)}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== check); };
      if (!check()) this.waiters.push(check);
    });
  }

  // Waits until subscription `id` holds at least `version`.
  async waitVersion(id, version, opts) {
    await this.waitFor(() => (this.state.get(id)?.version ?? 0) >= version, opts);
    return this.state.get(id);
  }

  close() { this.ws.close(); return this.closed; }
}
