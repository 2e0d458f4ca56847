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

/** Link types of classic pcap files we can read TCP/IPv4 from. */
const LINKTYPE = { ETHERNET: 1, RAW: 101, IPV4: 228, LINUX_SLL: 113, LINUX_SLL2: 276, NULL: 0, LOOP: 108 } as const;

/** The IPv4 packet inside a captured frame of `linkType` (null: not IPv4 or a link type we do not read). */
function ipv4Of(linkType: number, d: Uint8Array): Uint8Array | null {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  switch (linkType) {
    case LINKTYPE.RAW: case LINKTYPE.IPV4: return d.length > 0 && d[0] >> 4 === 4 ? d : null;
    case LINKTYPE.LINUX_SLL: return d.length >= 16 && dv.getUint16(14) === 0x0800 ? d.subarray(16) : null;
    case LINKTYPE.LINUX_SLL2: return d.length >= 20 && dv.getUint16(0) === 0x0800 ? d.subarray(20) : null;
    case LINKTYPE.NULL: case LINKTYPE.LOOP: {
      if (d.length < 4) return null;
      const fam = dv.getUint32(0, true) === 2 || dv.getUint32(0, false) === 2;
      return fam ? d.subarray(4) : null;
    }
    default: return null;
  }
}

/** Decode a captured frame of any supported link type as an Ethernet frame (trace.ts decodes it). */
function decodeCaptured(linkType: number, data: Uint8Array): FrameSummary | null {
  if (linkType === LINKTYPE.ETHERNET) return decodeFrame(data);
  const ip = ipv4Of(linkType, data);
  if (!ip) return null;
  const frame = new Uint8Array(14 + ip.length);
  frame[12] = 0x08; // ethertype IPv4; the MACs stay zero
  frame.set(ip, 14);
  return decodeFrame(frame);
}

interface CapturedSeg { t: number; d: FrameSummary }

/** One TCP connection of a capture (4-tuple), in order of first appearance. */
export interface CaptureConn { key: string; a: string; b: string; segments: number; hasSyn: boolean }

function endpoint(d: FrameSummary, src: boolean): string {
  return src ? `${d.src}:${d.srcPort}` : `${d.dst}:${d.dstPort}`;
}

/** The TCP segments of a capture grouped by connection. */
export function captureConnections(bytes: Uint8Array): { conns: CaptureConn[]; segs: Map<string, CapturedSeg[]> } {
  const f = readPcap(bytes);
  if (![1, 101, 228, 113, 276, 0, 108].includes(f.linkType)) {
    throw new Error(`pcap: link type ${f.linkType} is not supported (Ethernet, raw IPv4, Linux cooked, loopback are)`);
  }
  const conns: CaptureConn[] = [];
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
    if (!list) { list = []; segs.set(key, list); conns.push({ key, a, b, segments: 0, hasSyn: false }); }
    list.push({ t: (us - t0) / 1000, d });
    const c = conns.find((x) => x.key === key)!;
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
  if (!conns.length) throw new Error("pcap: no TCP/IPv4 segments in the capture");
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
  const inf = new StateInference(firstSyn !== undefined);
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
    items.push({
      kind: "segment", t, src, flags, seq: d.seq!, ack: d.ack!, len: d.len, ...relative(isn, src, d.seq!, d.ack!),
      lost: false, retransmission, index,
    });
    for (const [side, from, to] of inf.segment(src, flags, d.seq!, d.ack!, d.len)) items.push({ kind: "state", t, side, from, to });
  });
  return {
    title, isn, items, inferred: true, initial: { ...inf.initial },
    ends: { client: `client ${clientEnd}`, server: `server ${serverEnd}` },
  };
}

/**
 * RFC 9293's state machine driven by the segments both sides sent, seen from the wire. The
 * client starts CLOSED, the server LISTEN when the capture holds the SYN (else both start
 * ESTABLISHED: the capture began mid-connection).
 */
export class StateInference {
  readonly initial: Record<Side, TcpStateName>;
  readonly state: Record<Side, TcpStateName>;
  /** The sequence number just past each side's FIN, once it sent one. */
  private finEnd: Partial<Record<Side, number>> = {};
  private synEnd: Partial<Record<Side, number>> = {};

  constructor(sawSyn: boolean) {
    this.initial = sawSyn ? { client: "CLOSED", server: "LISTEN" } : { client: "ESTABLISHED", server: "ESTABLISHED" };
    this.state = { ...this.initial };
  }

  /** Feed one segment sent by `src`; returns the state changes it causes, in order. */
  segment(src: Side, flags: string, seq: number, ack: number, len: number): [Side, TcpStateName, TcpStateName][] {
    const dst: Side = src === "client" ? "server" : "client";
    const out: [Side, TcpStateName, TcpStateName][] = [];
    const go = (side: Side, to: TcpStateName) => {
      if (this.state[side] !== to) { out.push([side, this.state[side], to]); this.state[side] = to; }
    };
    const syn = has(flags, "SYN"), fin = has(flags, "FIN"), isAck = has(flags, "ACK");
    if (has(flags, "RST")) {
      if (this.state[dst] === "SYN-RECEIVED" && this.initial[dst] === "LISTEN") go(dst, "LISTEN");
      else if (this.state[dst] !== "LISTEN") go(dst, "CLOSED");
      if (this.state[src] !== "LISTEN") go(src, "CLOSED");
      return out;
    }
    // what sending it says about the sender
    if (syn) {
      this.synEnd[src] = (seq + 1) >>> 0;
      if (!isAck && this.state[src] === "CLOSED") go(src, "SYN-SENT");
    }
    if (fin) {
      this.finEnd[src] = (seq + len + (syn ? 1 : 0) + 1) >>> 0;
      const s = this.state[src];
      if (s === "ESTABLISHED" || s === "SYN-RECEIVED") go(src, "FIN-WAIT-1");
      else if (s === "CLOSE-WAIT") go(src, "LAST-ACK");
    }
    // what receiving it does to the receiver
    const acksOwn = (x: number | undefined) => isAck && x !== undefined && ((ack - x) | 0) >= 0;
    const r = this.state[dst];
    if (syn && !isAck) {
      if (r === "LISTEN" || r === "CLOSED") go(dst, "SYN-RECEIVED");
      else if (r === "SYN-SENT") go(dst, "SYN-RECEIVED"); // simultaneous open
    } else if (syn && isAck) {
      if (r === "SYN-SENT" || r === "SYN-RECEIVED") go(dst, "ESTABLISHED");
    } else if (acksOwn(this.synEnd[dst]) && this.state[dst] === "SYN-RECEIVED") {
      go(dst, "ESTABLISHED");
    }
    const finAcked = acksOwn(this.finEnd[dst]);
    const s2 = this.state[dst];
    if (finAcked) {
      if (s2 === "FIN-WAIT-1") go(dst, fin ? "TIME-WAIT" : "FIN-WAIT-2");
      else if (s2 === "CLOSING") go(dst, "TIME-WAIT");
      else if (s2 === "LAST-ACK") go(dst, "CLOSED");
    }
    if (fin) {
      const s3 = this.state[dst];
      if (s3 === "ESTABLISHED" || s3 === "SYN-RECEIVED") go(dst, "CLOSE-WAIT");
      else if (s3 === "FIN-WAIT-1") go(dst, "CLOSING");
      else if (s3 === "FIN-WAIT-2") go(dst, "TIME-WAIT");
    }
    return out;
  }
}
