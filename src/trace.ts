// Decodes Ethernet frames on the TypeScript side for printing and test assertions:
// Ethernet / ARP / IPv4 / ICMP / UDP / TCP summaries. Never throws: a frame too short
// for a header is reported with `bad` set.

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
  /** Why decoding stopped early (truncated header, ...). */
  bad?: string;
  /** One-line human summary. */
  info: string;
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

function tcpOptions(b: Uint8Array, off: number, end: number): string[] {
  const out: string[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  while (off < end) {
    const kind = b[off];
    if (kind === 0) break;
    if (kind === 1) { off++; continue; }
    if (off + 1 >= end) { out.push("bad"); break; }
    const len = b[off + 1];
    if (len < 2 || off + len > end) { out.push("bad"); break; }
    if (kind === 2 && len === 4) out.push(`mss=${dv.getUint16(off + 2)}`);
    else if (kind === 3 && len === 3) out.push(`ws=${b[off + 2]}`);
    else if (kind === 4 && len === 2) out.push("sackOK");
    else if (kind === 8 && len === 10) out.push(`ts=${dv.getUint32(off + 2)}/${dv.getUint32(off + 6)}`);
    else if (kind === 5 && (len - 2) % 8 === 0) {
      for (let p = off + 2; p < off + len; p += 8) out.push(`sack=${dv.getUint32(p)}-${dv.getUint32(p + 4)}`);
    } else out.push(`opt${kind}`);
    off += len;
  }
  return out;
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
    if (s.icmpType === 8 || s.icmpType === 0) {
      s.icmpId = dv.getUint16(l4 + 4);
      s.icmpSeq = dv.getUint16(l4 + 6);
      s.info = `ICMP echo ${s.icmpType === 8 ? "request" : "reply"} ${s.src} > ${s.dst} id=${s.icmpId} seq=${s.icmpSeq} len=${s.len}`;
    } else if (s.icmpType === 3) {
      s.info = `ICMP ${s.src} > ${s.dst} unreachable code=${s.icmpCode}`;
    } else s.info = `ICMP ${s.src} > ${s.dst} type=${s.icmpType} code=${s.icmpCode}`;
    return s;
  }
  if (proto === 17) {
    s.proto = "UDP";
    if (l4len < 8) return bad(s, "truncated udp");
    s.srcPort = dv.getUint16(l4);
    s.dstPort = dv.getUint16(l4 + 2);
    s.len = Math.max(0, dv.getUint16(l4 + 4) - 8);
    s.info = `UDP ${s.src}:${s.srcPort} > ${s.dst}:${s.dstPort} len=${s.len}`;
    return s;
  }
  if (proto === 6) {
    s.proto = "TCP";
    if (l4len < 20) return bad(s, "truncated tcp");
    s.srcPort = dv.getUint16(l4);
    s.dstPort = dv.getUint16(l4 + 2);
    s.seq = dv.getUint32(l4 + 4);
    s.ack = dv.getUint32(l4 + 8);
    const off = (b[l4 + 12] >> 4) * 4;
    s.flags = tcpFlagString(b[l4 + 13] | ((b[l4 + 12] & 1) << 8));
    s.win = dv.getUint16(l4 + 14);
    if (off < 20 || off > l4len) return bad(s, "bad tcp offset");
    s.options = tcpOptions(b, l4 + 20, l4 + off);
    s.len = l4len - off;
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
