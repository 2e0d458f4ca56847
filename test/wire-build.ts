// Test-side frame builders (independent of the AssemblyScript code under test):
// Ethernet, ARP, IPv4, ICMP, UDP with correct checksums unless told otherwise.

import { onesSum } from "../src/trace.js";

export const MAC_A = "02:00:00:00:00:01";
export const MAC_BCAST = "ff:ff:ff:ff:ff:ff";

export function macBytes(mac: string): number[] {
  return mac.split(":").map((h) => parseInt(h, 16));
}

export function ipBytes(ip: string): number[] {
  return ip.split(".").map(Number);
}

/** RFC 1071 checksum of bytes (returns the value to store). */
export function inetChecksum(b: Uint8Array | number[], initial = 0): number {
  return ~onesSum(b, initial) & 0xffff;
}

function be16(v: number): number[] { return [(v >> 8) & 255, v & 255]; }

// --- DNS messages (RFC 1035 §4.1) ---
/** A name as labels in wire form, ending in the root label. */
export function qname(name: string): number[] {
  const out: number[] = [];
  for (const l of name.split(".").filter((x) => x.length > 0)) out.push(l.length, ...Buffer.from(l, "latin1"));
  out.push(0);
  return out;
}
export const u16 = be16;
export const u32 = (v: number) => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
/** A resource record: owner (wire bytes), type, class (IN), ttl, rdata. */
export const rr = (owner: number[], type: number, ttl: number, rdata: number[], cls = 1) =>
  [...owner, ...u16(type), ...u16(cls), ...u32(ttl), ...u16(rdata.length), ...rdata];

export function eth(dst: string, src: string, type: number, payload: Uint8Array | number[]): Uint8Array {
  return Uint8Array.from([...macBytes(dst), ...macBytes(src), ...be16(type), ...payload]);
}

export function arp(op: number, sha: string, spa: string, tha: string, tpa: string): number[] {
  return [0, 1, 8, 0, 6, 4, ...be16(op), ...macBytes(sha), ...ipBytes(spa), ...macBytes(tha), ...ipBytes(tpa)];
}

export interface IpOpts {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  id?: number;
  /** flags+offset field (default 0x4000 = DF). */
  frag?: number;
  /** IPv4 options bytes (multiple of 4). */
  options?: number[];
  /** Override fields after the checksum is computed (to build broken headers). */
  version?: number;
  ihl?: number;
  totalLength?: number;
  badChecksum?: boolean;
}

export function ipv4(o: IpOpts, payload: Uint8Array | number[]): number[] {
  const opts = o.options ?? [];
  const hlen = 20 + opts.length;
  const total = hlen + payload.length;
  const h = [
    ((o.version ?? 4) << 4) | ((o.ihl ?? hlen / 4) & 15), 0, ...be16(o.totalLength ?? total), ...be16(o.id ?? 1),
    ...be16(o.frag ?? 0x4000), o.ttl ?? 64, o.proto, 0, 0, ...ipBytes(o.src), ...ipBytes(o.dst), ...opts,
  ];
  const c = inetChecksum(h);
  h[10] = c >> 8;
  h[11] = c & 255;
  if (o.badChecksum) h[11] ^= 0x5a;
  return [...h, ...payload];
}

export function icmpEcho(type: number, id: number, seq: number, data: number[] = [], badChecksum = false): number[] {
  const m = [type, 0, 0, 0, ...be16(id), ...be16(seq), ...data];
  const c = inetChecksum(m);
  m[2] = c >> 8;
  m[3] = (c & 255) ^ (badChecksum ? 0x11 : 0);
  return m;
}

/** Sum of the IPv4 pseudo-header (RFC 768 / RFC 9293 §3.1), the `initial` for inetChecksum. */
export function pseudo(src: string, dst: string, proto: number, len: number): number {
  const s = ipBytes(src);
  const d = ipBytes(dst);
  return ((s[0] << 8) | s[1]) + ((s[2] << 8) | s[3]) + ((d[0] << 8) | d[1]) + ((d[2] << 8) | d[3]) + proto + len;
}

export interface UdpOpts {
  /** "none" = checksum field 0; "bad" = a wrong checksum. */
  checksum?: "ok" | "none" | "bad";
  /** Override the UDP length field. */
  length?: number;
}

export function udp(src: string, dst: string, sport: number, dport: number, data: number[], o: UdpOpts = {}): number[] {
  const len = 8 + data.length;
  const m = [...be16(sport), ...be16(dport), ...be16(len), 0, 0, ...data];
  if (o.checksum !== "none") {
    let c = inetChecksum(m, pseudo(src, dst, 17, len));
    if (c === 0) c = 0xffff;
    if (o.checksum === "bad") c ^= 0x0101;
    m[6] = c >> 8;
    m[7] = c & 255;
  }
  if (o.length !== undefined) { m[4] = o.length >> 8; m[5] = o.length & 255; }
  return m;
}

