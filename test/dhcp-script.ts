// A scripted DHCP server for the client's tests (test/dhcp*.test.ts): decode what the client
// sent, build server replies (any option, malformed on request), and a client stack on the
// iface harness with a virtual clock (run / rx / dora).
import { expect } from "vitest";
import { Cfg, EventKind } from "../src/abi.js";
import { harness } from "./iface-harness.js";
import type { Link } from "../src/links/emulated.js";
import { decodeFrame } from "../src/trace.js";
import { arp, eth, ipv4, MAC_A, MAC_BCAST, macBytes, ipBytes, udp } from "./wire-build.js";

export const SERVER = "198.51.100.1";
export const SERVER_MAC = "02:00:00:00:00:fe";
export const OTHER_MAC = "02:00:00:00:00:77";
export const OFFER_IP = "198.51.100.50";
export const DNS = ["198.51.100.53", "198.51.100.54"];
export const DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7;
export const ST = { STOPPED: 0, INIT: 1, SELECTING: 2, REQUESTING: 3, CHECKING: 4, BOUND: 5, RENEWING: 6, REBINDING: 7, INIT_REBOOT: 8, REBOOTING: 9 };

export interface Msg {
  t: number; type: number; xid: number; ciaddr: string; flags: number; secs: number; chaddr: string;
  opts: Map<number, number[]>; srcIp: string; dstIp: string; dstMac: string; sport: number; dport: number; len: number;
}

export const ipStr = (b: number[] | Uint8Array, o = 0) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
export const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** Decode a frame carrying a DHCP message to UDP port `port` (67: a client's, 68: a server's), or null. */
export function decode(raw: Uint8Array, t: number, port = 67): Msg | null {
  const f = decodeFrame(raw);
  if (f.proto !== "UDP" || f.dstPort !== port || !f.payload) return null;
  const d = f.payload;
  if (d.length < 240) return null;
  const opts = new Map<number, number[]>();
  let i = 240;
  while (i < d.length && d[i] !== 255) {
    if (d[i] === 0) { i++; continue; }
    opts.set(d[i], [...d.subarray(i + 2, i + 2 + d[i + 1])]);
    i += 2 + d[i + 1];
  }
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return {
    t, type: opts.get(53)?.[0] ?? 0, xid: dv.getUint32(4), secs: dv.getUint16(8), flags: dv.getUint16(10),
    ciaddr: ipStr(d, 12), chaddr: [...d.subarray(28, 34)].map((x) => x.toString(16).padStart(2, "0")).join(":"),
    opts, srcIp: f.src!, dstIp: f.dst!, dstMac: f.dstMac, sport: f.srcPort!, dport: f.dstPort!, len: d.length,
  };
}

export interface ReplyOpts {
  yiaddr?: string; op?: number; chaddr?: string; sport?: number; dstIp?: string; dstMac?: string;
  lease?: number; t1?: number; t2?: number; mask?: string | null; router?: string | null; dns?: string[]; ntp?: string[];
  serverId?: string | null; extra?: number[]; noType?: boolean; noLease?: boolean; noEnd?: boolean; cookie?: number; raw?: number[];
}

/** The DHCP payload of a server reply. */
export function replyBody(type: number, xid: number, o: ReplyOpts = {}): number[] {
  const d = new Array(240).fill(0);
  d[0] = o.op ?? 2; d[1] = 1; d[2] = 6;
  d.splice(4, 4, ...be32(xid));
  d.splice(16, 4, ...ipBytes(o.yiaddr ?? OFFER_IP));
  d.splice(28, 6, ...macBytes(o.chaddr ?? MAC_A));
  d.splice(236, 4, ...be32(o.cookie ?? 0x63825363));
  const opts: number[] = [];
  if (!o.noType) opts.push(53, 1, type);
  if (o.serverId !== null) opts.push(54, 4, ...ipBytes(o.serverId ?? SERVER));
  if (type !== NAK) {
    if (!o.noLease) opts.push(51, 4, ...be32(o.lease ?? 120));
    if (o.t1 !== undefined) opts.push(58, 4, ...be32(o.t1));
    if (o.t2 !== undefined) opts.push(59, 4, ...be32(o.t2));
    if (o.mask !== null) opts.push(1, 4, ...ipBytes(o.mask ?? "255.255.255.0"));
    if (o.router !== null) opts.push(3, 4, ...ipBytes(o.router ?? SERVER));
    const dns = o.dns ?? DNS;
    if (dns.length) opts.push(6, 4 * dns.length, ...dns.flatMap(ipBytes));
    if (o.ntp?.length) opts.push(42, 4 * o.ntp.length, ...o.ntp.flatMap(ipBytes));
  }
  opts.push(...(o.extra ?? []));
  if (!o.noEnd) opts.push(255);
  return [...d, ...opts];
}

export function reply(type: number, xid: number, o: ReplyOpts = {}): Uint8Array {
  const body = o.raw ?? replyBody(type, xid, o);
  const dst = o.dstIp ?? "255.255.255.255";
  return eth(o.dstMac ?? (dst === "255.255.255.255" ? MAC_BCAST : MAC_A), SERVER_MAC, 0x0800,
    ipv4({ src: SERVER, dst, proto: 17 }, udp(SERVER, dst, o.sport ?? 67, 68, body)));
}

export const arpFrom = (op: number, sha: string, spa: string, tpa: string) =>
  eth(op === 1 ? MAC_BCAST : MAC_A, sha, 0x0806, arp(op, sha, spa, op === 1 ? "00:00:00:00:00:00" : MAC_A, tpa));

/** A started client that has sent its first DISCOVER (`d`), waiting in SELECTING. */
export function selecting(build: "testing" | "testing-mcu" = "testing", config: Partial<Record<keyof typeof Cfg, number>> = {}) {
  const c = client(build, config);
  c.h.s.dhcpStart();
  c.collect();
  return { c, d: c.last(DISCOVER) };
}

/** A client stack without an address, and a log of its DHCP messages and ARP frames. */
export function client(build: "testing" | "testing-mcu" = "testing", config: Partial<Record<keyof typeof Cfg, number>> = {}) {
  const h = harness({ build, ip: undefined, config } as never);
  const msgs: Msg[] = [];
  const arps: { t: number; op: string; spa: string; tpa: string; sha: string }[] = [];
  let seen = 0;
  const collect = () => {
    for (; seen < h.sent.length; seen++) {
      const raw = h.sent[seen];
      const t = h.clock.now();
      const a = decodeFrame(raw);
      if (a.proto === "ARP") {
        arps.push({ t, op: a.arpOp ?? "?", sha: a.arpSha!, spa: a.src!, tpa: a.dst! });
      } else {
        const m = decode(raw, t);
        if (m) msgs.push(m);
      }
    }
  };
  const states = () => h.events.filter((e) => e[1] === EventKind.DhcpState).map((e) => e[2]);
  /** Advance virtual time to `until`, polling at every deadline the stack asks for. */
  const run = (until: number) => {
    for (let n = 0; n < 100000; n++) {
      const now = h.clock.now();
      const r = h.at(now);
      collect();
      if (r < 0 || now + r >= until) break;
      h.clock.set(now + Math.max(r, 1));
    }
    if (h.clock.now() < until) h.at(until);
    collect();
  };
  const rx = (f: Uint8Array) => { h.rx(f); h.s.poll(); collect(); };
  const last = (type?: number) => { collect(); const l = msgs.filter((m) => type === undefined || m.type === type); return l[l.length - 1]; };
  const info = () => h.s.dhcpInfoRaw();
  /** DISCOVER -> OFFER -> REQUEST -> ACK -> ACD -> BOUND; returns the REQUEST. */
  const dora = (o: ReplyOpts = {}) => {
    expect(h.s.dhcpStart()).toBe(0);
    collect();
    const d = last(DISCOVER);
    rx(reply(OFFER, d.xid, o));
    const req = last(REQUEST);
    rx(reply(ACK, req.xid, o));
    run(h.clock.now() + 10_000);
    return req;
  };
  return { h, msgs, arps, collect, states, run, rx, last, info, dora };
}

export const hex = (v: number) => v >>> 0;

/**
 * A DHCP server on an emulated link as raw frames (a stack drops datagrams from 0.0.0.0, RFC 1122
 * §3.2.1.3): every client message is decoded (its time from `now`) and logged; `answer` may reply.
 */
export function scriptedServer(link: Link, now: () => number, answer: (m: Msg) => Uint8Array | null): Msg[] {
  const seen: Msg[] = [];
  let send: ((f: Uint8Array) => void) | null = null;
  link.attach({
    name: "dhcp-server",
    attach(fn) { send = fn; },
    input(frame) {
      const m = decode(frame, now());
      if (!m || !send) return;
      seen.push(m);
      const r = answer(m);
      if (r) send(r);
    },
  });
  return seen;
}
