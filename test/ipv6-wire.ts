// Test-side IPv6 frame builders and parsers (independent of the AssemblyScript code under test):
// IPv6 headers, extension headers, ICMPv6 with the RFC 8200 §8.1 pseudo-header checksum, ND
// messages and options (RFC 4861 §4), MLD queries (RFC 3810 §5.1).
import { ip6ToBytes, bytesToIp6 } from "../src/stack.js";
import { macBytes } from "./wire-build.js";

export const ETH_IPV6 = 0x86dd;

/** The Ethernet destination for an IPv6 destination: 33:33 + last 4 bytes for multicast, else `unicastMac`. */
export function dstMacFor(dst: string, unicastMac: string): number[] {
  const b = ip6ToBytes(dst);
  return b[0] === 0xff ? [0x33, 0x33, b[12], b[13], b[14], b[15]] : macBytes(unicastMac);
}

export function solicitedNode(a: string): string {
  const b = ip6ToBytes(a);
  return bytesToIp6(Uint8Array.from([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, b[13], b[14], b[15]]));
}

function sum(b: ArrayLike<number>, s = 0): number {
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
  return s;
}

/** ICMPv6 checksum over the pseudo-header and `msg` (checksum field zero). */
export function icmp6Checksum(src: string, dst: string, msg: number[]): number {
  let s = sum(ip6ToBytes(src)) + sum(ip6ToBytes(dst)) + (msg.length >>> 16) + (msg.length & 0xffff) + 58;
  s = sum(msg, s);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** A UDP datagram over IPv6 from `sport` to `dport` with its RFC 8200 §8.1 checksum (never 0). */
export function udp6(src: string, dst: string, sport: number, dport: number, data: number[]): number[] {
  const len = 8 + data.length;
  const d = [...u16be(sport), ...u16be(dport), ...u16be(len), 0, 0, ...data];
  let s = sum(ip6ToBytes(src)) + sum(ip6ToBytes(dst)) + (len >>> 16) + (len & 0xffff) + 17;
  s = sum(d, s);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff || 0xffff;
  d[6] = c >> 8; d[7] = c & 255;
  return d;
}

/** An ICMPv6 message with its checksum (`badChecksum` flips it). */
export function icmp6(src: string, dst: string, type: number, code: number, body: number[], badChecksum = false): number[] {
  const m = [type, code, 0, 0, ...body];
  let c = icmp6Checksum(src, dst, m);
  if (badChecksum) c ^= 0x5555;
  m[2] = c >> 8; m[3] = c & 255;
  return m;
}

export interface Ip6Opts { src: string; dst: string; nh: number; hops?: number; plen?: number; version?: number }

export function ip6(o: Ip6Opts, payload: number[]): number[] {
  const plen = o.plen ?? payload.length;
  return [(o.version ?? 6) << 4, 0, 0, 0, plen >> 8, plen & 255, o.nh, o.hops ?? 64,
    ...ip6ToBytes(o.src), ...ip6ToBytes(o.dst), ...payload];
}

/** A whole frame from `srcMac` to our `ourMac` (or the group MAC of a multicast destination). */
export function frame6(srcMac: string, ourMac: string, o: Ip6Opts, payload: number[]): Uint8Array {
  return Uint8Array.from([...dstMacFor(o.dst, ourMac), ...macBytes(srcMac), 0x86, 0xdd, ...ip6(o, payload)]);
}

export const u32be = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
export const u16be = (v: number) => [(v >> 8) & 255, v & 255];

export function optLla(type: 1 | 2, mac: string): number[] { return [type, 1, ...macBytes(mac)]; }
export function optMtu(mtu: number): number[] { return [5, 1, 0, 0, ...u32be(mtu)]; }
export function optPrefix(prefix: string, len: number, flags: number, valid: number, pref: number): number[] {
  return [3, 4, len, flags, ...u32be(valid), ...u32be(pref), 0, 0, 0, 0, ...ip6ToBytes(prefix)];
}

export function nsBody(target: string, opts: number[] = []): number[] { return [0, 0, 0, 0, ...ip6ToBytes(target), ...opts]; }
export function naBody(target: string, flags: number, opts: number[] = []): number[] { return [flags, 0, 0, 0, ...ip6ToBytes(target), ...opts]; }
export interface RaOpts { hops?: number; flags?: number; lifetime?: number; reachable?: number; retrans?: number }
export function raBody(r: RaOpts, opts: number[] = []): number[] {
  return [r.hops ?? 64, r.flags ?? 0, ...u16be(r.lifetime ?? 1800), ...u32be(r.reachable ?? 0), ...u32be(r.retrans ?? 0), ...opts];
}

/** A decoded IPv6 frame we sent. */
export interface Out6 {
  raw: Uint8Array;
  dstMac: string;
  src: string;
  dst: string;
  hops: number;
  nh: number;
  /** After the extension headers we know (Hop-by-Hop skipped): the upper-layer header and its type. */
  upper: number;
  payload: Uint8Array;
  type: number;
  code: number;
}

export function parse6(raw: Uint8Array): Out6 | null {
  if (raw.length < 54 || raw[12] !== 0x86 || raw[13] !== 0xdd) return null;
  const ip = raw.subarray(14);
  const plen = (ip[4] << 8) | ip[5];
  let nh = ip[6];
  let off = 40;
  if (nh === 0) { nh = ip[40]; off += (ip[41] + 1) * 8; }
  const payload = ip.subarray(off, 40 + plen);
  const mac = Array.from(raw.subarray(0, 6), (x) => x.toString(16).padStart(2, "0")).join(":");
  return {
    raw, dstMac: mac, src: bytesToIp6(ip, 8), dst: bytesToIp6(ip, 24), hops: ip[7], nh: ip[6], upper: nh, payload,
    type: payload[0], code: payload[1],
  };
}

/** Is the ICMPv6 checksum of a frame we sent right? */
export function icmp6ChecksumOk(o: Out6): boolean {
  const m = Array.from(o.payload);
  const c = (m[2] << 8) | m[3];
  m[2] = 0; m[3] = 0;
  return icmp6Checksum(o.src, o.dst, m) === c;
}
