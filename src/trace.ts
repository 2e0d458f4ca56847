// The one frame decoder on the TypeScript side, for printing (CLI, ladders, pcaps) and for test
// assertions: Ethernet / ARP / IPv4 / ICMP / UDP / TCP, as a one-line summary plus structured views
// (IPv4 header fields, TCP flags and options, checksums verified, the payload as a view into the
// frame). Never throws: a frame too short for a header is reported with `bad` set.

import { formatMac, u32ToIp } from "./stack.js";

export interface FrameSummary {
  /** The innermost protocol decoded: "ETH", "ARP", "IPv4", "ICMP", "UDP" or "TCP". */
  proto: string;
  srcMac: string;
  dstMac: string;
  ethertype: number;
  /** IPv4 (or ARP sender/target protocol) addresses. */
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
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
  if (proto === 17 || proto === 6) {
    s.proto = proto === 17 ? "UDP" : "TCP";
    if (l4len < (proto === 17 ? 8 : 20)) return bad(s, `truncated ${s.proto.toLowerCase()}`);
    s.srcPort = dv.getUint16(l4);
    s.dstPort = dv.getUint16(l4 + 2);
    const segSum = onesSum(b.subarray(l4, l4 + l4len), pseudoSum(src32, dst32, proto, l4len));
    s.l4SumOk = segSum === 0xffff || (proto === 17 && dv.getUint16(l4 + 6) === 0);
  }
  if (proto === 17) {
    const ulen = dv.getUint16(l4 + 4);
    s.len = Math.max(0, ulen - 8);
    s.payload = b.subarray(l4 + 8, l4 + Math.max(8, Math.min(ulen, l4len)));
    s.info = `UDP ${s.src}:${s.srcPort} > ${s.dst}:${s.dstPort} len=${s.len}`;
    return s;
  }
  if (proto === 6) {
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
    s.info = `TCP ${s.src}:${s.srcPort} > ${s.dst}:${s.dstPort} [${s.flags}] seq=${s.seq}${ack} win=${s.win} len=${s.len}${opts}`;
    return s;
  }
  s.info = `IPv4 ${s.src} > ${s.dst} proto ${proto} len ${l4len}`;
  return s;
}

function bad(s: FrameSummary, why: string): FrameSummary {
  s.bad = why;
  s.info = `${s.proto} (${why})`;
  return s;
}
