// One bulk transfer between two emulated stacks (src/links/emulated.ts Sim, virtual clock):
// the client (198.51.100.1) connects to the server (198.51.100.2:80), writes `bytes`
// of seeded pseudo-random data and shuts down; the server reads everything, hashes
// it, and shuts down at end of stream; the run ends when both connections are CLOSED.
// Used by test/bulk.test.ts and test/property.test.ts.
import { createHash } from "node:crypto";
import { LinkOptions, Sim } from "../../src/links/emulated.js";
import { Prng } from "../../src/prng.js";
import type { BuildName } from "../../src/stack.js";
import { ERR_NAMES, EventKind, TCP_STATE_NAMES, TcpOpt } from "../../src/abi.js";
import { decodeFrame } from "../../src/trace.js";
import { TcpApi } from "../../src/scenarios.js";

export interface TransferOptions {
  bytes: number;
  /** Seed of the Sim (impairments, ISNs) and of the data. */
  seed: number;
  /** Impairments, applied to both directions. */
  link?: LinkOptions;
  /** Config for both stacks, then per side. */
  config?: Record<string, number>;
  client?: Record<string, number>;
  server?: Record<string, number>;
  build?: BuildName;
  nodelay?: boolean;
  /** Give up after this much virtual time (ms). */
  limitMs?: number;
  /** Bytes the server sends back after the client's end of stream (from CLOSE-WAIT); default 0. */
  replyBytes?: number;
  /** Impairment changes over time: at `atMs` of virtual time, set these link options. */
  schedule?: { atMs: number; link: Partial<LinkOptions> }[];
  /** Bytes per application write (default 65536). */
  chunk?: number;
}

export interface TransferResult {
  /** Client -> server stream. */
  sent: number;
  received: number;
  sentSha: string;
  receivedSha: string;
  /** Server -> client stream (written in CLOSE-WAIT). */
  replySent: number;
  replyReceived: number;
  replySha: string;
  replyReceivedSha: string;
  /** Each side's connection state at the end (RFC 9293 name). */
  final: { client: string; server: string };
  /** State paths of both connections, and the virtual time (ms) each state was entered. */
  path: { client: string[]; server: string[] };
  times: { client: number[]; server: number[] };
  errors: { client: string[]; server: string[] };
  virtualMs: number;
  wallMs: number;
  frames: number;
  /** Largest TCP payload and number of data segments sent by each side (first copies, drops included). */
  maxPayload: { client: number; server: number };
  dataSegments: { client: number; server: number };
  lost: number;
  duplicated: number;
  stats: { client: Record<string, number>; server: Record<string, number> };
}

/** Deterministic data: `n` bytes from a seeded PRNG. */
export function makeData(n: number, seed: number): Uint8Array {
  const d = new Uint8Array(n);
  new Prng(seed ^ 0x5a5a5a5a).fill(d);
  return d;
}

type Side = "client" | "server";
const EMPTY_SHA = createHash("sha256").digest("hex");

const dataCache = new Map<string, { data: Uint8Array; sha: string }>();
function dataFor(n: number, seed: number) {
  const k = `${n}/${seed}`;
  let d = dataCache.get(k);
  if (!d) {
    const data = makeData(n, seed);
    d = { data, sha: createHash("sha256").update(data).digest("hex") };
    if (n >= 1 << 20) dataCache.clear();
    dataCache.set(k, d);
  }
  return d;
}

export function runTransfer(o: TransferOptions): TransferResult {
  const t0 = performance.now();
  const { data, sha } = dataFor(o.bytes, o.seed);
  const sim = new Sim({ seed: o.seed });
  const link = sim.link({ delayMs: 1, ...o.link });
  const host = (name: "client" | "server", ip: string, mac: string, cfg?: Record<string, number>) =>
    sim.addHost({ name, ip, mac, prefix: 24, link, build: o.build, config: { ...o.config, ...cfg } });
  const stacks = {
    client: host("client", "198.51.100.1", "02:00:00:00:00:01", o.client),
    server: host("server", "198.51.100.2", "02:00:00:00:00:02", o.server),
  };
  const maxPayload = { client: 0, server: 0 }, dataSegments = { client: 0, server: 0 };
  sim.tap((r) => {
    if (r.duplicate) return;
    const d = decodeFrame(r.frame);
    if (d.proto !== "TCP" || d.len === 0) return;
    const side = r.fromName as "client" | "server";
    dataSegments[side]++;
    if (d.len > maxPayload[side]) maxPayload[side] = d.len;
  });
  const api = { client: new TcpApi(stacks.client), server: new TcpApi(stacks.server) };
  const conn = { client: -1, server: -1 };
  const path = { client: [] as string[], server: [] as string[] };
  const times = { client: [] as number[], server: [] as number[] };
  const errors = { client: [] as string[], server: [] as string[] };
  // each side's outgoing stream (the server's reply starts at end of stream) and incoming hash
  const reply = o.replyBytes ? dataFor(o.replyBytes, o.seed + 1) : { data: new Uint8Array(0), sha: EMPTY_SHA };
  const out = {
    client: { data, off: 0, ready: true, shut: false },
    server: { data: reply.data, off: 0, ready: false, shut: false },
  };
  const inc = {
    client: { hash: createHash("sha256"), n: 0, eof: false },
    server: { hash: createHash("sha256"), n: 0, eof: false },
  };
  let accepted = false;
  const chunk = o.chunk ?? 65536;

  const listener = api.server.open();
  api.server.bind(listener, 80);
  api.server.listen(listener, 4);

  const step = (side: Side) => {
    const h = conn[side], t = api[side];
    if (h <= 0 || (side === "server" && !accepted)) return;
    const i = inc[side];
    for (;;) {
      const r = t.read(h);
      if (r instanceof Uint8Array) { i.hash.update(r); i.n += r.length; continue; }
      if (r === 0 && !i.eof) { i.eof = true; if (side === "server") out.server.ready = true; }
      break;
    }
    const w = out[side];
    if (!w.ready) return;
    while (w.off < w.data.length) {
      const n = t.write(h, w.data.subarray(w.off, Math.min(w.data.length, w.off + chunk)));
      if (n <= 0) break;
      w.off += n;
    }
    const st = t.state(h);
    if (w.off === w.data.length && !w.shut && (st === 4 || st === 7)) { w.shut = true; t.shutdown(h); }
  };
  // application work runs as a Sim event after the core call that raised the event returns
  let due = false;
  const app = () => {
    due = false;
    if (!accepted) {
      const h = api.server.accept(listener);
      if (h > 0) {
        accepted = true;
        if (h !== conn.server) throw new Error(`accepted handle ${h} is not the child ${conn.server} whose states were seen`);
      }
    }
    step("client");
    step("server");
  };
  for (const side of ["client", "server"] as const) {
    stacks[side].onEvents((sock, kind, arg) => {
      if (kind === EventKind.State && sock === conn[side]) { path[side].push(TCP_STATE_NAMES[arg & 255]); times[side].push(sim.now()); }
      if (kind === EventKind.State && side === "server" && conn.server < 0 && (arg >> 8) === 1) {
        conn.server = sock; // the passive child, before accept (so its whole path is seen)
        path.server.push(TCP_STATE_NAMES[arg >> 8], TCP_STATE_NAMES[arg & 255]);
        times.server.push(sim.now(), sim.now());
      }
      if ((kind === EventKind.Error || kind === EventKind.Reset) && sock === conn[side]) errors[side].push(ERR_NAMES[arg] ?? String(arg));
      if (!due) { due = true; sim.after(0, app); }
    });
  }
  sim.at(1, () => {
    conn.client = api.client.open();
    path.client.push("CLOSED");
    times.client.push(sim.now());
    if (o.nodelay) api.client.setOption(conn.client, TcpOpt.NoDelay, 1);
    api.client.connect(conn.client, "198.51.100.2", 80);
  });
  for (const c of o.schedule ?? []) sim.at(c.atMs, () => link.set(c.link));
  const closed = (side: "client" | "server") => conn[side] > 0 && api[side].state(conn[side]) === 0;
  sim.runUntil(() => closed("client") && closed("server"), o.limitMs ?? 3_600_000);
  const state = (side: "client" | "server") => {
    const s = conn[side] > 0 ? api[side].state(conn[side]) : -1;
    return s < 0 ? `gone(${s})` : TCP_STATE_NAMES[s];
  };
  return {
    sent: out.client.off, received: inc.server.n, sentSha: sha, receivedSha: inc.server.hash.digest("hex"),
    replySent: out.server.off, replyReceived: inc.client.n, replySha: reply.sha, replyReceivedSha: inc.client.hash.digest("hex"),
    final: { client: state("client"), server: state("server") },
    path, times, errors, virtualMs: sim.now(), wallMs: performance.now() - t0,
    frames: link.sent, maxPayload, dataSegments, lost: link.dropped, duplicated: link.duplicated,
    stats: { client: stacks.client.stats(), server: stacks.server.stats() },
  };
}
