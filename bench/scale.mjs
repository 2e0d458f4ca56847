// Scale (issue 15): what one more connection costs the others. Two instances of the release
// module joined by the in-process link of bench/tcp.mjs; N connections from A to B:80 open and
// idle, then, with B holding N connections:
//   - receive cost per 64-byte segment, round-robin over all N connections (B's input() only);
//   - poll() cost with every connection idle;
//   - one more connection opened and closed, per second;
// each at N = 1, 100, 1000 and 10,000 beside N = 1 from the same run (the reference column): the
// goal is a ratio within 1.5 whatever N. And TIME-WAIT: connections opened and closed per second
// by a client whose TIME-WAIT table (TimeWaitEntries) holds 64 vs 12,000 live entries (of 16,384),
// and the cost of a connect refused (-EADDRNOTAVAIL) when 16,384 entries hold every ephemeral port.
// And the ARP cache: a frame sent to one of K resolved neighbours in turn (the cache lookup of
// every IP output: an ICMP echo request), and an ARP request from one of K cached neighbours
// (found and refreshed, answered), at K = 100 and 1000 beside K = 1, interleaved round by round.
// Figures, not tests: `node bench/scale.mjs` or `npm run bench scale` (`node bench/scale.mjs arp`:
// the ARP rows alone).
import { calibrate, timeInterleaved, timeOnce } from "./lib.mjs";
import { Host, IP_A, IP_B, connect, pair, tick } from "./tcp.mjs";
import { fileURLToPath } from "node:url";

const NS = [1, 100, 1000, 10000];
const ROUND_MS = Number(process.env.SCALE_BENCH_MS ?? 250);
const SMALL = { SndBuf: 2048, RcvBuf: 2048, IoBuf: 4096 };
// Live TIME-WAIT entries before the large-table churn is timed: below the 16,384 ephemeral ports,
// so connect still finds a free one (at 16,384 every port is taken: connect fails, timed apart).
const TW_LIVE = Number(process.env.SCALE_TW_LIVE ?? 12000);

/** A pair with `n` idle connections A -> B:80 (Nagle off); null when the stack refuses MaxSockets. */
function withConnections(n, extra = {}) {
  let p;
  try {
    // (one poll may send a delayed ACK on every connection at once: room for them all)
    p = pair({ ...SMALL, MaxSockets: n + 8, ...extra }, Math.max(8192, 2 * n + 64));
  } catch {
    return null;
  }
  const conns = [];
  for (let i = 0; i < n; i++) conns.push(connect(p, true));
  settle(p);
  return { p, conns };
}

/** Deliver everything and run due timers until the link is quiet. */
function settle(p) {
  for (let i = 0; i < 50; i++) {
    tick();
    p.pump();
    p.a.poll(); p.b.poll();
    p.pump();
    if (p.ab.size === 0 && p.ba.size === 0) return;
  }
}

/**
 * ns per 64-byte segment in B's input(), round after round over every connection: up to 16
 * segments per connection and round (the 2 KiB window takes 32), at least 1000 per round. The
 * first round (cold caches, code not yet optimized) is not counted, and at least 5 are.
 */
function receiveCost({ p, conns }) {
  const { a, b, ab, ba } = p;
  const reps = Math.min(16, Math.ceil(1000 / conns.length));
  let segs = 0, ns = 0;
  const end = performance.now() + ROUND_MS;
  for (let round = 0; performance.now() < end || round < 6; round++) {
    if (round === 1) { segs = 0; ns = 0; }
    tick();
    for (let r = 0; r < reps; r++) for (const [c] of conns) a.x.tcpWrite(c, a.io, 64);
    const k = ab.size;
    const t = process.hrtime.bigint();
    ab.deliver(b);
    ns += Number(process.hrtime.bigint() - t);
    segs += k;
    for (const [, s] of conns) while (b.x.tcpRead(s, b.io, 4096) > 0);
    ba.deliver(a);
    a.pollIfDue(); b.pollIfDue();
  }
  return ns / Math.max(1, segs);
}

/** ns per poll() of B with every connection idle. */
function pollCost({ p }) {
  const { b } = p;
  const now = tick();
  const fn = (iters) => { for (let i = 0; i < iters; i++) b.x.poll(now); };
  const iters = calibrate(fn, ROUND_MS / 3);
  return Math.min(timeOnce(fn, iters), timeOnce(fn, iters));
}

/**
 * Connections opened and closed per second beside the idle ones (A closes first, so each
 * leaves a TIME-WAIT entry at A): for `ms`, or exactly `count` connections.
 */
function openClose({ p }, ms = ROUND_MS, count = Infinity) {
  const { a, b, pump } = p;
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < ms && n < count) {
    tick();
    const [c, s] = connect(p, false);
    a.x.tcpClose(c);
    for (let i = 0; i < 100; i++) {
      pump();
      if (b.x.tcpRead(s, b.io, 4096) === 0) break;
    }
    b.x.tcpClose(s);
    pump();
    a.pollIfDue(); b.pollIfDue();
    n++;
  }
  return n / ((performance.now() - t) / 1000);
}

/** Open+close per second with a TIME-WAIT table of `entries`, `live` entries in use first (2*MSL is 2 min). */
function timeWaitChurn(entries, live) {
  const w = withConnections(0, { TimeWaitEntries: entries });
  if (!w) return NaN;
  openClose(w, Infinity, live);
  // (at most up to the 16,384 ephemeral ports: past them connect is refused, timed apart)
  return openClose(w, ROUND_MS, 16384 - live);
}

/** ns per connect refused with every ephemeral port held by one of 16,384 TIME-WAIT entries. */
function exhaustedConnect() {
  const w = withConnections(0, { TimeWaitEntries: 16384 });
  if (!w) return NaN;
  try { openClose(w, Infinity, 16384); } catch { /* (a build that refuses the last ones) */ }
  const { a } = w.p;
  const h = a.x.tcpOpen();
  const fn = (iters) => {
    for (let i = 0; i < iters; i++) if (a.x.tcpConnect(h, IP_B, 80) >= 0) throw new Error("connect not refused");
  };
  const iters = calibrate(fn, ROUND_MS / 3);
  return timeOnce(fn, iters);
}

const ARP_KS = (process.env.SCALE_ARP_KS ?? "1,100,1000").split(",").map(Number);

/**
 * A stack (198.51.100.1/20: up to 2,800 neighbours from 198.51.100.2 on, in-process only; SCALE_ARP_KS=1,1000,2500 tries more) with `k`
 * neighbours resolved, and a function sending an ARP request from neighbour `i` to it.
 */
function arpStation(k) {
  let frames = 0;
  const h = new Host(IP_A, 1, { PrefixLen: 20, ArpEntries: 4096, ArpQueue: 8, MaxSockets: 1 }, { push: () => { frames++; } });
  const ipOf = (i) => (0xc6336402 + i) >>> 0; // 198.51.100.2 on
  const frame = new Uint8Array(60);
  const arpFrom = (i, op) => {
    const dv = new DataView(frame.buffer);
    frame.set([0x02, 0, 0, 0, 0, 1], 0);                       // to us
    frame.set([0x02, 0xaa, 0, 0, (i >> 8) & 255, i & 255], 6);   // from the neighbour
    dv.setUint16(12, 0x0806);
    dv.setUint16(14, 1); dv.setUint16(16, 0x0800); frame[18] = 6; frame[19] = 4; dv.setUint16(20, op);
    frame.set(frame.subarray(6, 12), 22); dv.setUint32(28, ipOf(i));
    frame.fill(0, 32, 38); dv.setUint32(38, IP_A);
    h.input(frame, 0, 60);
  };
  tick();
  for (let i = 0; i < k; i++) { h.x.ping(ipOf(i), 1, 1, 0, tick()); arpFrom(i, 2); }
  if (h.x.ifaceInfo(h.io) !== 0 || new Uint32Array(h.x.memory.buffer, h.io, 16)[15] !== k) throw new Error("ARP neighbours not resolved");
  return { h, ipOf, arpFrom, sent: () => frames };
}

/** ARP rows: ns per frame sent to K neighbours in turn, per ARP request from them, and per poll() with them cached, K vs 1. */
export function arpRows() {
  const st = ARP_KS.map((k) => ({ k, ...arpStation(k) }));
  const cases = [];
  for (const s of st) {
    let i = 0;
    cases.push({
      key: `send${s.k}`,
      fn: (iters) => { const now = tick(); for (let n = 0; n < iters; n++) { s.h.x.ping(s.ipOf(i), 1, 1, 0, now); if (++i === s.k) i = 0; } },
    });
    let j = 0;
    cases.push({ key: `arp${s.k}`, fn: (iters) => { tick(); for (let n = 0; n < iters; n++) { s.arpFrom(j, 1); if (++j === s.k) j = 0; } } });
    cases.push({ key: `poll${s.k}`, fn: (iters) => { const now = tick(); for (let n = 0; n < iters; n++) s.h.x.poll(now); } });
  }
  const t = timeInterleaved(cases, { runMs: ROUND_MS / 2, reps: 7 });
  for (const s of st) {
    const before = s.sent();
    s.h.x.ping(s.ipOf(s.k - 1), 1, 1, 0, tick());
    if (s.sent() !== before + 1) throw new Error("ping to a cached neighbour did not go out at once");
  }
  const rows = [];
  for (const k of ARP_KS) {
    rows.push({ name: `scale: ARP lookup, a frame to one of K resolved neighbours in turn, K = ${k} vs K = 1`, ours: t[`send${k}`], reference: t.send1, unit: "ns", ratio: t[`send${k}`] / t.send1 });
  }
  for (const k of ARP_KS) {
    rows.push({ name: `scale: ARP resolve, a request from one of K cached neighbours in turn (refreshed, answered), K = ${k} vs K = 1`, ours: t[`arp${k}`], reference: t.arp1, unit: "ns", ratio: t[`arp${k}`] / t.arp1 });
  }
  for (const k of ARP_KS) {
    rows.push({ name: `scale: poll() with K resolved neighbours cached and no ARP timer due, K = ${k} vs K = 1`, ours: t[`poll${k}`], reference: t.poll1, unit: "ns", ratio: t[`poll${k}`] / t.poll1 });
  }
  return rows;
}

/** The receive rows alone (`node bench/scale.mjs rx`): N = 1 and each N, alternating, best of 3. */
function receiveRows() {
  const base = withConnections(1);
  receiveCost(base);
  const rows = [];
  for (const n of NS.filter((x) => x > 1)) {
    const w = withConnections(n);
    let ref = Infinity, rx = Infinity;
    for (let r = 0; r < 3; r++) { ref = Math.min(ref, receiveCost(base)); rx = Math.min(rx, receiveCost(w)); }
    rows.push({ name: `scale: receive per 64-byte segment (round-robin), N = ${n} vs N = 1`, ours: rx, reference: ref, unit: "ns", ratio: rx / ref });
  }
  return rows;
}

export default async function scaleBench() {
  const rows = [];
  const base = withConnections(1);
  // warm-up: the module's code is optimized by the engine as it runs; the reference is taken after
  receiveCost(base); pollCost(base); openClose(base);
  const ref = { rx: receiveCost(base), poll: pollCost(base), oc: openClose(base) };
  for (const n of NS) {
    const w = n === 1 ? base : withConnections(n);
    const label = `N = ${n}`;
    if (!w) {
      for (const what of ["receive per 64-byte segment (round-robin)", "poll() with every connection idle", "open+close of one more connection"])
        rows.push({ name: `scale: ${what}, ${label} vs N = 1`, ours: NaN, reference: undefined, unit: "MaxSockets refused" });
      continue;
    }
    const rx = n === 1 ? ref.rx : receiveCost(w);
    const poll = n === 1 ? ref.poll : pollCost(w);
    const oc = n === 1 ? ref.oc : openClose(w);
    rows.push(
      { name: `scale: receive per 64-byte segment (round-robin), ${label} vs N = 1`, ours: rx, reference: ref.rx, unit: "ns", ratio: rx / ref.rx },
      { name: `scale: poll() with every connection idle, ${label} vs N = 1`, ours: poll, reference: ref.poll, unit: "ns", ratio: poll / ref.poll },
      { name: `scale: open+close of one more connection, ${label} vs N = 1`, ours: oc / 1e3, reference: ref.oc / 1e3, unit: "k conn/s", ratio: oc / ref.oc },
    );
  }
  const small = timeWaitChurn(64, 64);
  const large = timeWaitChurn(16384, TW_LIVE);
  rows.push({ name: `scale: TIME-WAIT churn, open+close/s, ${TW_LIVE} live entries (16,384-entry table) vs 64`, ours: large / 1e3, reference: small / 1e3, unit: "k conn/s", ratio: large / small });
  rows.push({ name: "scale: connect refused (EADDRNOTAVAIL; before: EADDRINUSE), 16,384 TIME-WAIT entries hold every ephemeral port", ours: exhaustedConnect(), reference: undefined, unit: "ns" });
  rows.push(...arpRows());
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import("./table.mjs");
  const only = { arp: arpRows, rx: receiveRows }[process.argv[2]];
  printTable(only ? only() : await scaleBench());
}
