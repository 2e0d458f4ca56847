// The one frame decoder on the TypeScript side, for printing (CLI, ladders, pcaps) and for test
// assertions: Ethernet / ARP / IPv4 / IPv6 (extension headers walked) / ICMP / ICMPv6 (NDP, MLD) /
// UDP / TCP over either family, as a one-line summary plus structured views (IP header fields, TCP
// flags and options, checksums verified, the payload as a view into the frame). Never throws: a
// frame too short for a header is reported with `bad` set. IPv6 addresses print RFC 5952-style, in
// brackets next to a port ("[2001:db8::1]:80").

import { bytesToIp6, formatMac, u32ToIp } from "./stack.js";

export interface FrameSummary {
  /** The innermost protocol decoded: "ETH", "ARP", "IPv4", "IPv6", "ICMP", "ICMPv6", "UDP" or "TCP". */
  proto: string;
  srcMac: string;
  dstMac: string;
  ethertype: number;
  /** IPv4 or IPv6 (or ARP sender/target protocol) addresses. */
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl?: number;
  ipId?: number;
  /** TCP flags, in the order FIN,SYN,RST,PSH,ACK (then URG,ECE,CWR), comma-separated. */
  flags?: string;
  seq?: number;
  ack?: number;
  win?: number;
  /** TCP options as short names: "mss=1460", "ws=7", "sackOK", "ts=..", "sack=a-b". */
  options?: string[];
  /** Payload length of the innermost protocol (TCP/UDP data, ICMP data, ...). */
  len: number;
  arpOp?: "request" | "reply";
  /** ARP sender hardware address. */
  arpSha?: string;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  /** The IPv4 header (set for every IPv4 frame whose header is well formed, fragments included). */
  ip?: Ipv4Header;
  /** The IPv6 header and its extension headers (set for every IPv6 frame whose fixed header is well formed). */
  ip6?: Ipv6Header;
  /** ICMPv6 neighbor discovery: the target address of an NS/NA/redirect. */
  ndTarget?: string;
  /** TCP flag bits (FIN 0x01 ... CWR 0x80, NS 0x100), header length and parsed options. */
  tcpFlags?: number;
  tcpHlen?: number;
  tcpOpts?: TcpOpts;
  /** The TCP, UDP or ICMP checksum verifies (UDP checksum 0 = none counts as ok). */
  l4SumOk?: boolean;
  /** The innermost payload (TCP or UDP data, ICMP data after its 8-byte header): a view into the frame. */
  payload?: Uint8Array;
  /** Why decoding stopped early (truncated header, ...). */
  bad?: string;
  /** One-line human summary. */
  info: string;
}

export interface Ipv4Header {
  /** Header length in bytes, total length, identification, flags and fragment offset (bytes). */
  hlen: number; total: number; id: number; df: boolean; mf: boolean; fragOffset: number;
  proto: number; ttl: number;
  /** The header's options (bytes 20 to hlen), a view into the frame. */
  options: Uint8Array;
  /** Source and destination as u32 (network order value). */
  src32: number; dst32: number;
  /** The header checksum verifies. */
  sumOk: boolean;
}

export interface Ipv6Header {
  /** Payload length (bytes after the fixed 40-byte header), traffic class, flow label, hop limit. */
  payloadLen: number; tclass: number; flowLabel: number; hopLimit: number;
  /** The fixed header's Next Header, then the extension headers walked (their protocol numbers, in order). */
  nextHeader: number; extHeaders: number[];
  /** The upper-layer protocol after the extension headers (59: none). */
  proto: number;
  /** A fragment header's fields (RFC 8200 §4.5), when there is one. */
  frag?: { id: number; offset: number; more: boolean };
  /** Source and destination, 16 bytes each (views into the frame). */
  src: Uint8Array; dst: Uint8Array;
}

/** TCP options, parsed (what a test asserts on). */
export interface TcpOpts { mss?: number; wscale?: number; sackOk?: boolean; ts?: [number, number]; sack?: [number, number][] }

/** The RFC 1071 ones'-complement sum of `b` (16-bit words, big-endian), folded: 0xffff over a block whose checksum verifies. */
export function onesSum(b: ArrayLike<number>, initial = 0): number {
  let s = initial;
  const n = b.length;
  for (let i = 0; i + 1 < n; i += 2) s += (b[i] << 8) | b[i + 1];
  if (n & 1) s += b[n - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The IPv4 pseudo-header sum (RFC 793 §3.1 / RFC 768) for protocol `proto` and an L4 length. */
export function pseudoSum(src32: number, dst32: number, proto: number, len: number): number {
  return (src32 >>> 16) + (src32 & 0xffff) + (dst32 >>> 16) + (dst32 & 0xffff) + proto + len;
}

/** The IPv6 pseudo-header sum (RFC 8200 §8.1) for next header `proto` and an upper-layer length. */
export function pseudoSum6(src: Uint8Array, dst: Uint8Array, proto: number, len: number): number {
  let s = proto + (len >>> 16) + (len & 0xffff);
  for (let i = 0; i < 16; i += 2) s += ((src[i] << 8) | src[i + 1]) + ((dst[i] << 8) | dst[i + 1]);
  return s;
}

const TCP_FLAG_NAMES: [number, string][] = [
  [0x01, "FIN"], [0x02, "SYN"], [0x04, "RST"], [0x08, "PSH"], [0x10, "ACK"], [0x20, "URG"], [0x40, "ECE"], [0x80, "CWR"],
];

export function tcpFlagString(bits: number): string {
  return TCP_FLAG_NAMES.filter(([b]) => bits & b).map(([, n]) => n).join(",");
}

function ip4(b: Uint8Array, off: number): string {
  return u32ToIp(((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0);
}

/** Parse TCP options between `off` and `end`: structured, and as short names ("bad" where a length lies). */
function tcpOptions(b: Uint8Array, off: number, end: number): { opts: TcpOpts; names: string[] } {
  const names: string[] = [];
  const opts: TcpOpts = {};
  const be16 = (p: number) => (b[p] << 8) | b[p + 1];
  const be32 = (p: number) => ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  while (off < end) {
    const kind = b[off];
    if (kind === 0) break;
    if (kind === 1) { off++; continue; }
    if (off + 1 >= end) { names.push("bad"); break; }
    const len = b[off + 1];
    if (len < 2 || off + len > end) { names.push("bad"); break; }
    if (kind === 2 && len === 4) { opts.mss = be16(off + 2); names.push(`mss=${opts.mss}`); }
    else if (kind === 3 && len === 3) { opts.wscale = b[off + 2]; names.push(`ws=${opts.wscale}`); }
    else if (kind === 4 && len === 2) { opts.sackOk = true; names.push("sackOK"); }
    else if (kind === 8 && len === 10) { opts.ts = [be32(off + 2), be32(off + 6)]; names.push(`ts=${opts.ts[0]}/${opts.ts[1]}`); }
    else if (kind === 5 && (len - 2) % 8 === 0) {
      opts.sack = [];
      for (let p = off + 2; p < off + len; p += 8) {
        opts.sack.push([be32(p), be32(p + 4)]);
        names.push(`sack=${be32(p)}-${be32(p + 4)}`);
      }
    } else names.push(`opt${kind}`);
    off += len;
  }
  return { opts, names };
}

/** Decode one Ethernet frame. */
export function decodeFrame(frame: Uint8Array): FrameSummary {
  const b = frame;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 14) {
    return { proto: "ETH", srcMac: "", dstMac: "", ethertype: 0, len: b.length, bad: "truncated ethernet", info: `truncated frame (${b.length} bytes)` };
  }
  const s: FrameSummary = {
    proto: "ETH", dstMac: formatMac(b, 0), srcMac: formatMac(b, 6), ethertype: dv.getUint16(12), len: b.length - 14, info: "",
  };
  const p = 14;
  if (s.ethertype === 0x0806) {
    s.proto = "ARP";
    if (b.length < p + 28) return bad(s, "truncated arp");
    const op = dv.getUint16(p + 6);
    s.src = ip4(b, p + 14);
    s.dst = ip4(b, p + 24);
    s.arpSha = formatMac(b, p + 8);
    s.len = 0;
    if (op === 1) {
      s.arpOp = "request";
      s.info = s.src === s.dst ? `ARP announce ${s.src} is-at ${s.arpSha}` : `ARP who-has ${s.dst} tell ${s.src}`;
    } else if (op === 2) {
      s.arpOp = "reply";
      s.info = `ARP ${s.src} is-at ${s.arpSha}`;
    } else s.info = `ARP op ${op}`;
    return s;
  }
  if (s.ethertype === 0x86dd) return decodeIpv6(s, b, dv, p);
  if (s.ethertype !== 0x0800) {
    s.info = `ethertype 0x${s.ethertype.toString(16).padStart(4, "0")} ${s.srcMac} > ${s.dstMac}`;
    return s;
  }
  s.proto = "IPv4";
  if (b.length < p + 20) return bad(s, "truncated ipv4");
  const ihl = (b[p] & 15) * 4;
  const total = dv.getUint16(p + 2);
  s.src = ip4(b, p + 12);
  s.dst = ip4(b, p + 16);
  s.ttl = b[p + 8];
  s.ipId = dv.getUint16(p + 4);
  const proto = b[p + 9];
  if ((b[p] >> 4) !== 4 || ihl < 20 || total < ihl || p + total > b.length) return bad(s, "bad ipv4 header");
  const frag = dv.getUint16(p + 6);
  const l4 = p + ihl;
  const l4len = total - ihl;
  s.len = l4len;
  const src32 = dv.getUint32(p + 12), dst32 = dv.getUint32(p + 16);
  s.ip = {
    hlen: ihl, total, id: dv.getUint16(p + 4), df: (frag & 0x4000) !== 0, mf: (frag & 0x2000) !== 0, fragOffset: (frag & 0x1fff) * 8,
    proto, ttl: b[p + 8], options: b.subarray(p + 20, l4), src32, dst32, sumOk: onesSum(b.subarray(p, l4)) === 0xffff,
  };
  s.payload = b.subarray(l4, p + total);
  if ((frag & 0x3fff) !== 0) { // MF or a fragment offset
    s.info = `IPv4 fragment ${s.src} > ${s.dst} proto ${proto} len ${l4len}`;
    return s;
  }
  if (proto === 1) {
    s.proto = "ICMP";
    if (l4len < 8) return bad(s, "truncated icmp");
    s.icmpType = b[l4];
    s.icmpCode = b[l4 + 1];
    s.len = l4len - 8;
    s.l4SumOk = onesSum(b.subarray(l4, l4 + l4len)) === 0xffff;
    s.payload = b.subarray(l4 + 8, l4 + l4len);
    if (s.icmpType === 8 || s.icmpType === 0) {
      s.icmpId = dv.getUint16(l4 + 4);
      s.icmpSeq = dv.getUint16(l4 + 6);
      s.info = `ICMP echo ${s.icmpType === 8 ? "request" : "reply"} ${s.src} > ${s.dst} id=${s.icmpId} seq=${s.icmpSeq} len=${s.len}`;
    } else if (s.icmpType === 3) {
      s.info = `ICMP ${s.src} > ${s.dst} unreachable code=${s.icmpCode}`;
    } else s.info = `ICMP ${s.src} > ${s.dst} type=${s.icmpType} code=${s.icmpCode}`;
    return s;
  }
  if (proto === 17 || proto === 6) return transport(s, b, dv, proto, l4, l4len, pseudoSum(src32, dst32, proto, l4len), hostPort(s.src, s.dst));
  s.info = `IPv4 ${s.src} > ${s.dst} proto ${proto} len ${l4len}`;
  return s;
}

/** "a:port" for IPv4, "[a]:port" for IPv6. */
function hostPort(src: string, dst: string): (a: string, port: number) => string {
  return src.includes(":") || dst.includes(":") ? (a, port) => `[${a}]:${port}` : (a, port) => `${a}:${port}`;
}

/** UDP or TCP at `l4` (either family; `pseudo` is the family's pseudo-header sum). */
function transport(s: FrameSummary, b: Uint8Array, dv: DataView, proto: number, l4: number, l4len: number, pseudo: number,
  hp: (a: string, port: number) => string): FrameSummary {
  s.proto = proto === 17 ? "UDP" : "TCP";
  if (l4len < (proto === 17 ? 8 : 20)) return bad(s, `truncated ${s.proto.toLowerCase()}`);
  s.srcPort = dv.getUint16(l4);
  s.dstPort = dv.getUint16(l4 + 2);
  const segSum = onesSum(b.subarray(l4, l4 + l4len), pseudo);
  // UDP checksum 0: none, allowed over IPv4 only (RFC 8200 §8.1)
  s.l4SumOk = segSum === 0xffff || (proto === 17 && dv.getUint16(l4 + 6) === 0 && s.ip6 === undefined);
  const from = hp(s.src!, s.srcPort), to = hp(s.dst!, s.dstPort);
  if (proto === 17) {
    const ulen = dv.getUint16(l4 + 4);
    s.len = Math.max(0, ulen - 8);
    s.payload = b.subarray(l4 + 8, l4 + Math.max(8, Math.min(ulen, l4len)));
    s.info = `UDP ${from} > ${to} len=${s.len}`;
    return s;
  }
  s.seq = dv.getUint32(l4 + 4);
  s.ack = dv.getUint32(l4 + 8);
  const off = (b[l4 + 12] >> 4) * 4;
  s.tcpFlags = b[l4 + 13] | ((b[l4 + 12] & 1) << 8);
  s.flags = tcpFlagString(s.tcpFlags);
  s.win = dv.getUint16(l4 + 14);
  s.tcpHlen = off;
  if (off < 20 || off > l4len) return bad(s, "bad tcp offset");
  const o = tcpOptions(b, l4 + 20, l4 + off);
  s.options = o.names;
  s.tcpOpts = o.opts;
  s.len = l4len - off;
  s.payload = b.subarray(l4 + off, l4 + l4len);
  const ack = s.flags.includes("ACK") ? ` ack=${s.ack}` : "";
  const opts = s.options.length ? ` <${s.options.join(",")}>` : "";
  s.info = `TCP ${from} > ${to} [${s.flags}] seq=${s.seq}${ack} win=${s.win} len=${s.len}${opts}`;
  return s;
}

/** Extension headers (RFC 8200 §4): hop-by-hop, routing, fragment, destination options. */
const EXT_HOP = 0, EXT_ROUTING = 43, EXT_FRAG = 44, EXT_DSTOPTS = 60, NO_NEXT = 59;
const MAX_EXT = 8; // a longer chain is reported, not walked

const ICMP6_NAMES: Record<number, string> = {
  1: "unreachable", 2: "packet too big", 3: "time exceeded", 4: "parameter problem", 128: "echo request", 129: "echo reply",
  130: "MLD query", 131: "MLD report", 132: "MLD done", 133: "router solicitation", 134: "router advertisement",
  135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect", 143: "MLDv2 report",
};

/** An IPv6 packet at `p` (RFC 8200): fixed header, extension-header chain, then ICMPv6, UDP or TCP. */
function decodeIpv6(s: FrameSummary, b: Uint8Array, dv: DataView, p: number): FrameSummary {
  s.proto = "IPv6";
  if (b.length < p + 40) return bad(s, "truncated ipv6");
  const vtf = dv.getUint32(p);
  const payloadLen = dv.getUint16(p + 4);
  const src = b.subarray(p + 8, p + 24), dst = b.subarray(p + 24, p + 40);
  s.src = bytesToIp6(b, p + 8);
  s.dst = bytesToIp6(b, p + 24);
  s.ttl = b[p + 7];
  if ((vtf >>> 28) !== 6 || p + 40 + payloadLen > b.length) return bad(s, "bad ipv6 header");
  const h: Ipv6Header = {
    payloadLen, tclass: (vtf >>> 20) & 0xff, flowLabel: vtf & 0xfffff, hopLimit: b[p + 7], nextHeader: b[p + 6], extHeaders: [],
    proto: b[p + 6], src, dst,
  };
  s.ip6 = h;
  const end = p + 40 + payloadLen;
  let nh = b[p + 6];
  let o = p + 40;
  while (nh === EXT_HOP || nh === EXT_ROUTING || nh === EXT_FRAG || nh === EXT_DSTOPTS) {
    if (h.extHeaders.length === MAX_EXT) return bad(s, "ipv6 extension header chain too long");
    if (o + 8 > end) return bad(s, "truncated ipv6 extension header");
    const len = nh === EXT_FRAG ? 8 : (b[o + 1] + 1) * 8;
    if (o + len > end) return bad(s, "truncated ipv6 extension header");
    h.extHeaders.push(nh);
    if (nh === EXT_FRAG) {
      const fo = dv.getUint16(o + 2);
      h.frag = { id: dv.getUint32(o + 4), offset: fo & 0xfff8, more: (fo & 1) !== 0 };
    }
    nh = b[o];
    o += len;
  }
  h.proto = nh;
  const l4len = end - o;
  s.len = l4len;
  s.payload = b.subarray(o, end);
  if (h.frag && (h.frag.offset !== 0 || h.frag.more)) {
    s.info = `IPv6 fragment ${s.src} > ${s.dst} id=${h.frag.id} off=${h.frag.offset}${h.frag.more ? "+" : ""} proto ${nh} len ${l4len}`;
    return s;
  }
  if (nh === 17 || nh === 6) return transport(s, b, dv, nh, o, l4len, pseudoSum6(src, dst, nh, l4len), hostPort(s.src, s.dst));
  if (nh === 58) {
    s.proto = "ICMPv6";
    if (l4len < 4) return bad(s, "truncated icmpv6");
    const t = b[o];
    s.icmpType = t;
    s.icmpCode = b[o + 1];
    s.l4SumOk = onesSum(b.subarray(o, end), pseudoSum6(src, dst, 58, l4len)) === 0xffff;
    const body = l4len >= 8 ? o + 8 : end;
    s.payload = b.subarray(body, end);
    s.len = end - body;
    const name = ICMP6_NAMES[t] ?? `type=${t}`;
    let detail = "";
    if ((t === 128 || t === 129) && l4len >= 8) {
      s.icmpId = dv.getUint16(o + 4);
      s.icmpSeq = dv.getUint16(o + 6);
      detail = ` id=${s.icmpId} seq=${s.icmpSeq} len=${s.len}`;
    } else if ((t === 135 || t === 136 || t === 137) && l4len >= 24) {
      s.ndTarget = bytesToIp6(b, o + 8);
      const f = b[o + 4];
      const flags = t === 136 ? [[0x80, "R"], [0x40, "S"], [0x20, "O"]].filter(([bit]) => f & (bit as number)).map(([, n]) => n).join("") : "";
      detail = ` ${t === 136 ? "" : "who-has "}${s.ndTarget}${flags ? ` [${flags}]` : ""}`;
      s.payload = b.subarray(o + 24, end);
      s.len = end - o - 24;
    } else if (t === 134 && l4len >= 16) {
      detail = ` hoplimit=${b[o + 4]} lifetime=${dv.getUint16(o + 6)}s${b[o + 5] & 0x80 ? " M" : ""}${b[o + 5] & 0x40 ? " O" : ""}`;
    } else if (t === 2 && l4len >= 8) detail = ` mtu=${dv.getUint32(o + 4)}`;
    else if (t === 143 && l4len >= 8) detail = ` records=${dv.getUint16(o + 6)}`;
    else if (t <= 4) detail = ` code=${s.icmpCode}`;
    s.info = `ICMPv6 ${name} ${s.src} > ${s.dst}${detail}`;
    return s;
  }
  s.info = nh === NO_NEXT ? `IPv6 ${s.src} > ${s.dst} no next header` : `IPv6 ${s.src} > ${s.dst} proto ${nh} len ${l4len}`;
  return s;
}

function bad(s: FrameSummary, why: string): FrameSummary {
  s.bad = why;
  s.info = `${s.proto} (${why})`;
  return s;
}
