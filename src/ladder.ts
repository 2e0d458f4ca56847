// The ladder (sequence-diagram) model of one TCP connection: the segments each side sent, in
// time order, with the state changes of both sides between them. Built from a scenario run
// (the core's own state events; lost segments known) or from a capture file (any classic
// pcap, ours or tcpdump's: the states are inferred from the segments, RFC 9293 §3.3.2).
// The terminal story (src/story.ts) and the SVG/HTML pictures (src/svg-ladder.ts) draw it.

import { readPcap } from "./pcap.js";
import { decodeFrame, type FrameSummary } from "./trace.js";
import { type ScenarioRun, type Side, CLIENT_IP, SERVER_IP } from "./scenarios.js";
import type { TcpStateName } from "./abi.js";

export interface LadderSegment {
  kind: "segment";
  /** ms since the first event. */
  t: number;
  src: Side;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  /** Sequence numbers relative to each side's ISN (like Wireshark's relative numbers). */
  relSeq: number;
  relAck: number;
  /** The link dropped it (scenario runs only: a capture shows what was on the wire). */
  lost: boolean;
  /** It re-sends sequence numbers that side sent before. */
  retransmission: boolean;
  /** Index of the segment among all segments (0-based). */
  index: number;
}

export interface LadderState { kind: "state"; t: number; side: Side; from: TcpStateName; to: TcpStateName }

export type LadderItem = LadderSegment | LadderState;

export interface Ladder {
  title: string;
  /** Each side's label, e.g. "client 198.51.100.1:49152". */
  ends: Record<Side, string>;
  /** Each side's initial sequence number (its SYN's seq; else its first seq seen). */
  isn: Record<Side, number>;
  /** The state each side is in before the first item. */
  initial: Record<Side, TcpStateName>;
  items: LadderItem[];
  /** True when the states were inferred from the segments (a capture), not reported by the stack. */
  inferred: boolean;
}

const has = (flags: string, f: string): boolean => flags.split(",").includes(f);

/** The short label of a segment: "SYN,ACK seq=0 ack=1 len=0" (relative numbers). */
export function segmentLabel(s: LadderSegment): string {
  return `${s.flags || "-"} seq=${s.relSeq}${has(s.flags, "ACK") ? ` ack=${s.relAck}` : ""} len=${s.len}`;
}

/** A time on the ladder: to the microsecond (captures); whole ms print as such. */
export const fmtMs = (t: number): string => `${Number(t.toFixed(3))} ms`;
/** A gap between two times: ms below a second, else seconds. */
export const fmtGap = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s` : `${Math.round(ms)} ms`);

/** The state names each side went through, in order (its initial state first). */
export function statePath(l: Ladder, side: Side): TcpStateName[] {
  return [l.initial[side], ...l.items.filter((x): x is LadderState => x.kind === "state" && x.side === side).map((x) => x.to)];
}

/** Relative numbers: each side's seq from its ISN, its ack from the other side's ISN. */
function relative(isn: Record<Side, number>, src: Side, seq: number, ack: number): { relSeq: number; relAck: number } {
  const dst: Side = src === "client" ? "server" : "client";
  return { relSeq: (seq - isn[src]) >>> 0, relAck: (ack - isn[dst]) >>> 0 };
}

/** The ladder of a scenario run (its records, remarks and ports). */
export function ladderFromRun(name: string, run: ScenarioRun): Ladder {
  const segs = run.records.filter((r) => r.event === "segment");
  const isn = {} as Record<Side, number>;
  for (const side of ["client", "server"] as const) {
    const own = segs.filter((s) => s.src === side);
    isn[side] = (own.find((s) => has(s.flags, "SYN")) ?? own[0])?.seq ?? 0;
  }
  const initial = {} as Record<Side, TcpStateName>;
  for (const side of ["client", "server"] as const) {
    const first = run.records.find((r) => r.event === "state" && r.side === side);
    initial[side] = first && first.event === "state" ? first.from : "CLOSED";
  }
  const items: LadderItem[] = [];
  let index = 0;
  run.records.forEach((r, i) => {
    if (r.event === "state") { items.push({ kind: "state", t: r.t, side: r.side, from: r.from, to: r.to }); return; }
    items.push({
      kind: "segment", t: r.t, src: r.src, flags: r.flags, seq: r.seq, ack: r.ack, len: r.len, ...relative(isn, r.src, r.seq, r.ack),
      lost: r.dropped, retransmission: run.remarks.get(i)?.includes("retransmission") ?? false, index: index++,
    });
  });
  const port = (p: number | undefined) => (p === undefined ? "" : `:${p}`);
  return {
    title: name, initial, isn, items, inferred: false,
    ends: { client: `client ${CLIENT_IP}${port(run.ports.client)}`, server: `server ${SERVER_IP}${port(run.ports.server)}` },
  };
}

// ---------------------------------------------------------------------------
// Captures

/** Link types of classic pcap files we can read TCP over IPv4 and IPv6 from. */
const LINKTYPE = { ETHERNET: 1, RAW: 101, IPV4: 228, IPV6: 229, LINUX_SLL: 113, LINUX_SLL2: 276, NULL: 0, LOOP: 108 } as const;
const ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd;
/** BSD loopback (DLT_NULL / DLT_LOOP) address families of IPv6: Linux, NetBSD/OpenBSD, FreeBSD, macOS. */
const AF_INET6 = [10, 24, 28, 30];

/** The ethertype of an IP packet by its version nibble (0: neither 4 nor 6). */
const byVersion = (d: Uint8Array): number => (d.length === 0 ? 0 : d[0] >> 4 === 4 ? ETH_IPV4 : d[0] >> 4 === 6 ? ETH_IPV6 : 0);

/** The IPv4 or IPv6 packet inside a captured frame of `linkType`, with its ethertype (null: neither, or a link type we do not read). */
function ipOf(linkType: number, d: Uint8Array): { type: number; ip: Uint8Array } | null {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const ip = (type: number, at: number) => (type === ETH_IPV4 || type === ETH_IPV6 ? { type, ip: d.subarray(at) } : null);
  switch (linkType) {
    case LINKTYPE.RAW: return ip(byVersion(d), 0);
    case LINKTYPE.IPV4: return ip(byVersion(d) === ETH_IPV4 ? ETH_IPV4 : 0, 0);
    case LINKTYPE.IPV6: return ip(byVersion(d) === ETH_IPV6 ? ETH_IPV6 : 0, 0);
    case LINKTYPE.LINUX_SLL: return d.length >= 16 ? ip(dv.getUint16(14), 16) : null;
    case LINKTYPE.LINUX_SLL2: return d.length >= 20 ? ip(dv.getUint16(0), 20) : null;
    case LINKTYPE.NULL: case LINKTYPE.LOOP: {
      if (d.length < 4) return null;
      const le = dv.getUint32(0, true), be = dv.getUint32(0, false);
      if (le === 2 || be === 2) return ip(ETH_IPV4, 4);
      return AF_INET6.includes(le) || AF_INET6.includes(be) ? ip(ETH_IPV6, 4) : null;
    }
    default: return null;
  }
}

/** Decode a captured frame of any supported link type as an Ethernet frame (trace.ts decodes it). */
function decodeCaptured(linkType: number, data: Uint8Array): FrameSummary | null {
  if (linkType === LINKTYPE.ETHERNET) return decodeFrame(data);
  const p = ipOf(linkType, data);
  if (!p) return null;
  const frame = new Uint8Array(14 + p.ip.length);
  frame[12] = p.type >> 8; // the ethertype; the MACs stay zero
  frame[13] = p.type & 0xff;
  frame.set(p.ip, 14);
  return decodeFrame(frame);
}

interface CapturedSeg { t: number; d: FrameSummary }

/** One TCP connection of a capture (4-tuple), in order of first appearance. */
export interface CaptureConn { key: string; a: string; b: string; segments: number; hasSyn: boolean }

/** "198.51.100.1:80", or an IPv6 endpoint bracketed: "[2001:db8::1]:80" (RFC 3986 §3.2.2). */
function endpoint(d: FrameSummary, src: boolean): string {
  const [a, p] = src ? [d.src!, d.srcPort] : [d.dst!, d.dstPort];
  return a.includes(":") ? `[${a}]:${p}` : `${a}:${p}`;
}

/** The TCP segments of a capture grouped by connection. */
export function captureConnections(bytes: Uint8Array): { conns: CaptureConn[]; segs: Map<string, CapturedSeg[]> } {
  const f = readPcap(bytes);
  if (!(Object.values(LINKTYPE) as number[]).includes(f.linkType)) {
    throw new Error(`pcap: link type ${f.linkType} is not supported (Ethernet, raw IP, Linux cooked, loopback are)`);
  }
  const conns: CaptureConn[] = [];
  const byKey = new Map<string, CaptureConn>();
  const segs = new Map<string, CapturedSeg[]>();
  let t0: number | undefined;
  for (const p of f.packets) {
    const d = decodeCaptured(f.linkType, p.data);
    if (!d || d.proto !== "TCP" || d.bad) continue;
    const us = p.tsSec * 1e6 + p.tsUsec;
    t0 ??= us;
    const a = endpoint(d, true), b = endpoint(d, false);
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    let list = segs.get(key);
    if (!list) {
      list = [];
      segs.set(key, list);
      const conn = { key, a, b, segments: 0, hasSyn: false };
      conns.push(conn);
      byKey.set(key, conn);
    }
    list.push({ t: (us - t0) / 1000, d });
    const c = byKey.get(key)!;
    c.segments++;
    if (has(d.flags!, "SYN")) c.hasSyn = true;
  }
  return { conns, segs };
}

/**
 * The ladder of connection `conn` (1-based, in order of first appearance; default: the first one
 * that opens with a SYN, else the first) of a pcap file. The client is the side whose SYN comes
 * first (else the first sender); states are inferred from the segments as seen at the capture
 * point, so a state change is drawn at the time the segment causing it was captured.
 */
export function ladderFromPcap(bytes: Uint8Array, conn?: number, title = "capture"): Ladder {
  const { conns, segs } = captureConnections(bytes);
  if (!conns.length) throw new Error("pcap: no TCP/IPv4 segments (nor TCP/IPv6) in the capture");
  let c: CaptureConn;
  if (conn !== undefined) {
    if (!Number.isInteger(conn) || conn < 1 || conn > conns.length) throw new Error(`--conn ${conn}: the capture has ${conns.length} TCP connection(s)`);
    c = conns[conn - 1];
  } else c = conns.find((x) => x.hasSyn) ?? conns[0];
  const list = segs.get(c.key)!;
  const firstSyn = list.find((s) => s.d.flags === "SYN");
  const clientEnd = firstSyn ? endpoint(firstSyn.d, true) : endpoint(list[0].d, true);
  const sideOf = (d: FrameSummary): Side => (endpoint(d, true) === clientEnd ? "client" : "server");
  const serverEnd = clientEnd === c.a ? c.b : c.a;
  const isn = {} as Record<Side, number>;
  for (const side of ["client", "server"] as const) {
    const own = list.filter((s) => sideOf(s.d) === side);
    isn[side] = (own.find((s) => has(s.d.flags!, "SYN")) ?? own[0])?.d.seq ?? 0;
  }
  const t0 = list[0].t;
  const serverListens = list.some((x) => sideOf(x.d) === "server" && x.d.flags === "SYN,ACK") &&
    !list.some((x) => sideOf(x.d) === "server" && x.d.flags === "SYN");
  const inf = new StateInference(firstSyn !== undefined, serverListens);
  const items: LadderItem[] = [];
  const sndMax: Partial<Record<Side, number>> = {};
  list.forEach((s, index) => {
    const d = s.d, src = sideOf(d), flags = d.flags!;
    const t = Math.round((s.t - t0) * 1000) / 1000;
    const end = (d.seq! + d.len + (has(flags, "SYN") ? 1 : 0) + (has(flags, "FIN") ? 1 : 0)) >>> 0;
    let retransmission = false;
    if (end !== d.seq) {
      const max = sndMax[src];
      if (max !== undefined && ((end - max) | 0) <= 0) retransmission = true;
      else sndMax[src] = end;
    }
    const { before, after } = inf.segment(src, flags, d.seq!, d.ack!, d.len);
    const states = (cs: Change[]) => cs.map(([side, from, to]): LadderState => ({ kind: "state", t, side, from, to }));
    items.push(...states(before), {
      kind: "segment", t, src, flags, seq: d.seq!, ack: d.ack!, len: d.len, ...relative(isn, src, d.seq!, d.ack!),
      lost: false, retransmission, index,
    }, ...states(after));
  });
  const tEnd = items.length ? items[items.length - 1].t : 0;
  items.push(...inf.finish().map(([side, from, to]): LadderState => ({ kind: "state", t: tEnd, side, from, to })));
  return {
    title, isn, items, inferred: true, initial: { ...inf.initial },
    ends: { client: `client ${clientEnd}`, server: `server ${serverEnd}` },
  };
}

/** A state change: side, from, to. */
export type Change = [Side, TcpStateName, TcpStateName];

interface Seg { src: Side; syn: boolean; fin: boolean; ack: boolean; rst: boolean; seq: number; ackNo: number; end: number }

/**
 * RFC 9293's state machine driven by the segments both sides sent, seen from one capture point.
 * What a segment says about its sender applies when it is captured. What it does to its
 * receiver is delivered in order per direction: a SYN or FIN only once the receiver's own next
 * segment acknowledges it (until then it may still be in flight: FINs can cross), pure ACKs,
 * data and RSTs at once when nothing is queued before them; whatever is left at the end of the
 * capture is delivered then. The client starts CLOSED; the server LISTEN when it answers a SYN
 * with SYN,ACK, else CLOSED (simultaneous open, refused); both ESTABLISHED when the capture holds
 * no SYN (it began mid-connection).
 */
export class StateInference {
  readonly initial: Record<Side, TcpStateName>;
  readonly state: Record<Side, TcpStateName>;
  /** The sequence number just past each side's SYN and FIN, once sent. */
  private synEnd: Partial<Record<Side, number>> = {};
  private finEnd: Partial<Record<Side, number>> = {};
  /** Segments on their way to each side, oldest first. */
  private queue: Record<Side, Seg[]> = { client: [], server: [] };

  constructor(sawSyn: boolean, serverListens = true) {
    this.initial = sawSyn ? { client: "CLOSED", server: serverListens ? "LISTEN" : "CLOSED" } : { client: "ESTABLISHED", server: "ESTABLISHED" };
    this.state = { ...this.initial };
  }

  /** Feed one segment sent by `src`: the changes before it (deliveries to src, src sending it) and after it (delivered to the peer). */
  segment(src: Side, flags: string, seq: number, ack: number, len: number): { before: Change[]; after: Change[] } {
    const dst: Side = src === "client" ? "server" : "client";
    const f = flags.split(",");
    const seg: Seg = {
      src, syn: f.includes("SYN"), fin: f.includes("FIN"), ack: f.includes("ACK"), rst: f.includes("RST"), seq, ackNo: ack,
      end: (seq + len + (f.includes("SYN") ? 1 : 0) + (f.includes("FIN") ? 1 : 0)) >>> 0,
    };
    const before: Change[] = [];
    this.deliver(src, seg, before);
    this.send(seg, before);
    const after: Change[] = [];
    this.queue[dst].push(seg);
    this.deliver(dst, null, after);
    return { before, after };
  }

  /** Deliver everything still queued (the end of the capture). */
  finish(): Change[] {
    const out: Change[] = [];
    for (const side of ["client", "server"] as const) {
      for (const q of this.queue[side].splice(0)) this.receive(side, q, out);
    }
    return out;
  }

  private go(side: Side, to: TcpStateName, out: Change[]): void {
    if (this.state[side] !== to) { out.push([side, this.state[side], to]); this.state[side] = to; }
  }

  /** Deliver queued segments to `side`: SYN/FIN only when `sending` acknowledges them. */
  private deliver(side: Side, sending: Seg | null, out: Change[]): void {
    const q = this.queue[side];
    while (q.length) {
      const h = q[0];
      if ((h.syn || h.fin) && !(sending?.ack && ((sending.ackNo - h.end) | 0) >= 0)) return;
      q.shift();
      this.receive(side, h, out);
    }
  }

  /** What sending `s` says about its sender. */
  private send(s: Seg, out: Change[]): void {
    const me = s.src, st = this.state[me];
    if (s.rst) { if (st !== "LISTEN" && st !== "CLOSED") this.go(me, "CLOSED", out); return; }
    if (s.syn) {
      this.synEnd[me] = (s.seq + 1) >>> 0;
      if (!s.ack && st === "CLOSED") this.go(me, "SYN-SENT", out);
    }
    if (s.fin) {
      this.finEnd[me] = s.end;
      if (st === "ESTABLISHED" || st === "SYN-RECEIVED") this.go(me, "FIN-WAIT-1", out);
      else if (st === "CLOSE-WAIT") this.go(me, "LAST-ACK", out);
    }
  }

  /** What receiving `s` does to `me`. */
  private receive(me: Side, s: Seg, out: Change[]): void {
    const st = this.state[me];
    const acks = (x: number | undefined) => s.ack && x !== undefined && ((s.ackNo - x) | 0) >= 0;
    if (s.rst) {
      if (st === "SYN-RECEIVED" && this.initial[me] === "LISTEN") this.go(me, "LISTEN", out);
      else if (st !== "LISTEN") this.go(me, "CLOSED", out);
      return;
    }
    if (s.syn && !s.ack) {
      if (st === "LISTEN" || st === "SYN-SENT") this.go(me, "SYN-RECEIVED", out);
    } else if (s.syn) {
      if ((st === "SYN-SENT" || st === "SYN-RECEIVED") && acks(this.synEnd[me])) this.go(me, "ESTABLISHED", out);
    } else if (st === "SYN-RECEIVED" && acks(this.synEnd[me])) this.go(me, "ESTABLISHED", out);
    const st2 = this.state[me];
    if (acks(this.finEnd[me])) {
      if (st2 === "FIN-WAIT-1") this.go(me, s.fin ? "TIME-WAIT" : "FIN-WAIT-2", out);
      else if (st2 === "CLOSING") this.go(me, "TIME-WAIT", out);
      else if (st2 === "LAST-ACK") this.go(me, "CLOSED", out);
    }
    if (s.fin) {
      const st3 = this.state[me];
      if (st3 === "ESTABLISHED" || st3 === "SYN-RECEIVED") this.go(me, "CLOSE-WAIT", out);
      else if (st3 === "FIN-WAIT-1") this.go(me, "CLOSING", out);
      else if (st3 === "FIN-WAIT-2") this.go(me, "TIME-WAIT", out);
    }
  }
}
