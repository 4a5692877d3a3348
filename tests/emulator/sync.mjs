// One client's sync WebSocket (Convex's protocol, convex-wire.md section 2):
// Connect, ModifyQuerySet → Transition with chained versions, Mutation →
// MutationResponse then a Transition at or past its ts, Authenticate, Ping.
// Queries are re-run after every mutation; a query appears in a Transition
// only when its result changed.
import { convexToJson, jsonToConvex } from 'convex/values';

export class SyncSession {
  constructor(ws, { adminKey, runFunction, nextTs, encodeTs, faults = {}, onClose }) {
    Object.assign(this, { ws, adminKey, runFunction, nextTs, encodeTs, faults, onClose });
    this.version = { querySet: 0, identity: 0, ts: 0n }; // the last Transition's end, as the client knows it
    this.received = { querySet: 0, identity: 0 };          // versions of the client's messages so far
    this.queries = new Map(); // queryId → {udfPath, args, last (JSON text)}
    this.admin = false;
    this.pending = Promise.resolve(); // messages are handled in order
    this.lastSent = Date.now();
    ws.on('message', (data) => { this.pending = this.pending.then(() => this.handle(String(data))).catch((e) => this.fatal(String(e?.message ?? e))); });
    ws.on('close', () => { clearInterval(this.heartbeat); onClose(); });
    ws.on('error', () => {});
    // Convex sends a Ping after 15 s of silence.
    this.heartbeat = setInterval(() => { if (Date.now() - this.lastSent >= 15000) this.send({ type: 'Ping' }); }, 5000);
  }

  send(msg) {
    if (this.ws.readyState !== 1) return;
    this.lastSent = Date.now();
    this.ws.send(JSON.stringify(msg));
  }

  fatal(error) {
    this.send({ type: 'FatalError', error });
    this.ws.close();
  }

  drop() {
    this.ws.terminate();
  }

  versionJson(v) {
    return { querySet: v.querySet, identity: v.identity, ts: this.encodeTs(v.ts) };
  }

  async evaluate(id, q) {
    const r = await this.runFunction('query', q.udfPath, q.args, { admin: this.admin });
    if (r.status === 'success') {
      return { type: 'QueryUpdated', queryId: id, value: convexToJson(r.value), logLines: r.logLines ?? [], journal: null };
    }
    const m = { type: 'QueryFailed', queryId: id, errorMessage: r.errorMessage, logLines: r.logLines ?? [], journal: null };
    if (r.errorData !== undefined) m.errorData = convexToJson(r.errorData);
    return m;
  }

  // Re-runs `ids` (all queries by default) and sends the ones whose result changed.
  async transition(ids, extra = []) {
    const mods = [...extra];
    for (const id of ids ?? this.queries.keys()) {
      const q = this.queries.get(id);
      if (!q) continue;
      const m = await this.evaluate(id, q);
      const text = JSON.stringify(m);
      if (text !== q.last) {
        q.last = text;
        mods.push(m);
      }
    }
    const end = { querySet: this.received.querySet, identity: this.received.identity, ts: this.nextTs() };
    let start = this.version;
    if (this.faults.breakTransitions > 0) {
      // Fault knob: a Transition that does not start where the last one ended, as if one was lost.
      this.faults.breakTransitions--;
      start = { ...start, ts: start.ts + 1n };
    }
    this.send({ type: 'Transition', startVersion: this.versionJson(start), endVersion: this.versionJson(end), modifications: mods, clientClockSkew: 0, serverTs: Number(end.ts) });
    this.version = end;
  }

  // Called after any mutation of the deployment (HTTP or WebSocket).
  invalidate() {
    if (!this.connected || this.queries.size === 0) return;
    this.pending = this.pending.then(() => this.transition()).catch(() => {});
  }

  async handle(text) {
    let m;
    try { m = JSON.parse(text); } catch { return this.fatal('WSMessageInvalidJson'); }
    switch (m.type) {
      case 'Connect':
        this.connected = true;
        return;
      case 'Authenticate': {
        if (m.baseVersion !== this.received.identity) return this.fatal('BaseVersionMismatch');
        if (m.tokenType === 'Admin' && m.value !== this.adminKey) {
          this.send({ type: 'AuthError', error: 'The provided admin key was invalid', baseVersion: m.baseVersion, authUpdateAttempted: true });
          return this.ws.close();
        }
        this.admin = m.tokenType === 'Admin';
        this.received.identity++;
        // A new identity re-runs every query under it.
        for (const q of this.queries.values()) q.last = null;
        return this.transition();
      }
      case 'ModifyQuerySet': {
        if (m.baseVersion !== this.received.querySet || !(m.newVersion > m.baseVersion)) return this.fatal('BaseVersionMismatch');
        this.received.querySet = m.newVersion;
        const added = [];
        const removed = [];
        for (const mod of m.modifications) {
          if (mod.type === 'Add') {
            if (this.queries.has(mod.queryId)) return this.fatal(`Duplicate query id ${mod.queryId}`);
            this.queries.set(mod.queryId, { udfPath: mod.udfPath, args: jsonToConvex(mod.args?.[0] ?? {}), last: null });
            added.push(mod.queryId);
          } else if (mod.type === 'Remove') {
            if (!this.queries.delete(mod.queryId)) return this.fatal(`Unknown query id ${mod.queryId}`);
            removed.push({ type: 'QueryRemoved', queryId: mod.queryId });
          }
        }
        return this.transition(added, removed);
      }
      case 'Mutation': {
        const r = await this.runFunction('mutation', m.udfPath, jsonToConvex(m.args?.[0] ?? {}), { admin: this.admin });
        if (r.status === 'success') {
          this.send({ type: 'MutationResponse', requestId: m.requestId, success: true, result: convexToJson(r.value), ts: this.encodeTs(r.ts), logLines: r.logLines ?? [] });
        } else {
          const out = { type: 'MutationResponse', requestId: m.requestId, success: false, result: r.errorMessage, ts: null, logLines: r.logLines ?? [] };
          if (r.errorData !== undefined) out.errorData = convexToJson(r.errorData);
          this.send(out);
        }
        // The client settles a mutation once a Transition reaches its ts.
        return this.transition();
      }
      case 'Action':
        this.send({ type: 'ActionResponse', requestId: m.requestId, success: false, result: 'actions are not supported by the emulator', logLines: [] });
        return;
      case 'Event':
        return;
      default:
        return this.fatal(`unknown message type ${m.type}`);
    }
  }
}
