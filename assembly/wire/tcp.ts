// TCP header (RFC 9293 §3.1) and options (RFC 9293 §3.2, RFC 7323, RFC 2018):
// offsets, big-endian accessors over linear memory, a validating parse and emit helpers.
// Knows no connection state.
import { swap16 } from "./be";
import { count, Stat } from "../stats";
import { sum16, finish } from "../checksum";
import { addrSetV4, pseudoSumAddr } from "../ip/addr";
import { rxCsumTrusted, txCsumOffloaded } from "./offload";

export const TCP_PROTO: u8 = 6;

// --- header offsets ---
export const TCP_SPORT = 0;
export const TCP_DPORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
export const TCP_OFF = 12;    // data offset (high nibble)
export const TCP_FLAGS = 13;
export const TCP_WND = 14;
export const TCP_CSUM = 16;
export const TCP_URP = 18;
export const TCP_HDR_MIN = 20;
export const TCP_HDR_MAX = 60;

// --- flags ---
export const TH_FIN: u32 = 0x01;
export const TH_SYN: u32 = 0x02;
export const TH_RST: u32 = 0x04;
export const TH_PSH: u32 = 0x08;
export const TH_ACK: u32 = 0x10;
export const TH_URG: u32 = 0x20;
export const TH_ECE: u32 = 0x40;
export const TH_CWR: u32 = 0x80;

// --- option kinds ---
export const OPT_EOL: u32 = 0;
export const OPT_NOP: u32 = 1;
export const OPT_MSS: u32 = 2;
export const OPT_WSCALE: u32 = 3;
export const OPT_SACK_PERM: u32 = 4;
export const OPT_SACK: u32 = 5;
export const OPT_TS: u32 = 8;

/** Maximum SACK blocks kept from one segment. */
export const SACK_MAX: i32 = 4;

/** Options found by tcpParse. All fields host order. */
@unmanaged export class TcpOptions {
  mss: u32;          // 0 = absent
  wscale: i32;       // -1 = absent (value as received, not clamped)
  sackPermitted: u32;
  tsPresent: u32;
  tsVal: u32;
  tsEcr: u32;
  sackCount: u32;    // 0..4
  sackStart0: u32; sackEnd0: u32;
  sackStart1: u32; sackEnd1: u32;
  sackStart2: u32; sackEnd2: u32;
  sackStart3: u32; sackEnd3: u32;
}

/** Address of SACK block i's left edge in a TcpOptions (right edge at +4). */
@inline export function sackBlockPtr(opts: TcpOptions, i: i32): usize {
  return changetype<usize>(opts) + offsetof<TcpOptions>("sackStart0") + (<usize>i << 3);
}

/**
 * One received segment, parsed once (tcpParseSeg) and handed up whole instead of positional
 * arguments: its endpoints, header fields (host order), options (inherited) and a view of its
 * payload in the rx buffer. Lives in static memory: never allocated, never copied.
 */
@unmanaged export class TcpSeg extends TcpOptions {
  src: u64; src8: u64;  // remote address, 16 bytes (ip/addr.ts): segSrc(s); set before parsing
  dst: u64; dst8: u64;  // local address, 16 bytes: segDst(s)
  sport: u32; dport: u32;
  seq: u32; ack: u32;
  flags: u32; wnd: u32; // window as on the wire (not scaled)
  data: usize; dlen: u32;
}

@inline export function segSrc(s: TcpSeg): usize { return changetype<usize>(s) + offsetof<TcpSeg>("src"); }
@inline export function segDst(s: TcpSeg): usize { return changetype<usize>(s) + offsetof<TcpSeg>("dst"); }

// --- accessors (host order in, network order on the wire) ---
@inline export function tcpSport(p: usize): u32 { return <u32>swap16(load<u16>(p + TCP_SPORT)); }
@inline export function tcpDport(p: usize): u32 { return <u32>swap16(load<u16>(p + TCP_DPORT)); }
@inline export function tcpSeq(p: usize): u32 { return bswap<u32>(load<u32>(p + TCP_SEQ)); }
@inline export function tcpAck(p: usize): u32 { return bswap<u32>(load<u32>(p + TCP_ACK)); }
@inline export function tcpDataOffset(p: usize): i32 { return (<i32>load<u8>(p + TCP_OFF) >> 4) << 2; }
@inline export function tcpFlags(p: usize): u32 { return <u32>load<u8>(p + TCP_FLAGS); }
@inline export function tcpWnd(p: usize): u32 { return <u32>swap16(load<u16>(p + TCP_WND)); }
@inline export function tcpCsum(p: usize): u32 { return <u32>swap16(load<u16>(p + TCP_CSUM)); }
@inline export function tcpUrp(p: usize): u32 { return <u32>swap16(load<u16>(p + TCP_URP)); }

@inline export function setTcpSport(p: usize, v: u32): void { store<u16>(p + TCP_SPORT, swap16(<u16>v)); }
@inline export function setTcpDport(p: usize, v: u32): void { store<u16>(p + TCP_DPORT, swap16(<u16>v)); }
@inline export function setTcpSeq(p: usize, v: u32): void { store<u32>(p + TCP_SEQ, bswap<u32>(v)); }
@inline export function setTcpAck(p: usize, v: u32): void { store<u32>(p + TCP_ACK, bswap<u32>(v)); }
@inline export function setTcpDataOffset(p: usize, bytes: i32): void { store<u8>(p + TCP_OFF, <u8>((bytes >> 2) << 4)); }
@inline export function setTcpFlags(p: usize, v: u32): void { store<u8>(p + TCP_FLAGS, <u8>v); }
@inline export function setTcpWnd(p: usize, v: u32): void { store<u16>(p + TCP_WND, swap16(<u16>v)); }
@inline export function setTcpCsum(p: usize, v: u32): void { store<u16>(p + TCP_CSUM, swap16(<u16>v)); }
@inline export function setTcpUrp(p: usize, v: u32): void { store<u16>(p + TCP_URP, swap16(<u16>v)); }

@inline function be16(p: usize): u32 { return <u32>swap16(load<u16>(p)); }
@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline function put16(p: usize, v: u32): void { store<u16>(p, swap16(<u16>v)); }
@inline function put32(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }

/** True when the segment's checksum verifies, with the pseudo-header of the 16-byte addresses `src` and `dst`. */
export function tcpChecksumOk(seg: usize, len: i32, src: usize, dst: usize): bool {
  return sum16(seg, len, pseudoSumAddr(src, dst, TCP_PROTO, <u32>len)) == 0xffff; // (sum16 is folded to 16 bits)
}

/** Compute and store the checksum of a `len`-byte segment at `seg` from `src` to `dst` (16-byte addresses). */
export function tcpSetChecksum(seg: usize, len: i32, src: usize, dst: usize): void {
  store<u16>(seg + TCP_CSUM, 0);
  if (txCsumOffloaded()) return; // left to the link (Cfg.CsumOffload bit 1)
  setTcpCsum(seg, finish(sum16(seg, len, pseudoSumAddr(src, dst, TCP_PROTO, <u32>len))));
}

function clearOptions(o: TcpOptions): void {
  memory.fill(changetype<usize>(o), 0, offsetof<TcpOptions>());
  o.wscale = -1;
}

/**
 * Parse the option bytes [p, end) into `o`. Returns false (counted TcpBadOption) when an
 * option's length is 0/1 or runs past the header. Unknown options and known options with a
 * wrong length are skipped by their length.
 */
export function tcpParseOptions(p: usize, end: usize, o: TcpOptions): bool {
  clearOptions(o);
  while (p < end) {
    let kind = <u32>load<u8>(p);
    if (kind == OPT_EOL) break;
    if (kind == OPT_NOP) { p++; continue; }
    if (p + 1 >= end) { count(Stat.TcpBadOption); return false; }
    let olen = <usize>load<u8>(p + 1);
    if (olen < 2 || p + olen > end) { count(Stat.TcpBadOption); return false; }
    if (kind == OPT_MSS && olen == 4) {
      o.mss = be16(p + 2);
    } else if (kind == OPT_WSCALE && olen == 3) {
      o.wscale = <i32>load<u8>(p + 2);
    } else if (kind == OPT_SACK_PERM && olen == 2) {
      o.sackPermitted = 1;
    } else if (kind == OPT_TS && olen == 10) {
      o.tsPresent = 1;
      o.tsVal = be32(p + 2);
      o.tsEcr = be32(p + 6);
    } else if (kind == OPT_SACK && olen >= 10 && ((olen - 2) & 7) == 0) {
      let n = <i32>((olen - 2) >> 3);
      if (n > SACK_MAX) n = SACK_MAX;
      for (let i = 0; i < n; i++) {
        let b = sackBlockPtr(o, i);
        store<u32>(b, be32(p + 2 + (<usize>i << 3)));
        store<u32>(b, be32(p + 6 + (<usize>i << 3)), 4);
      }
      o.sackCount = <u32>n;
    }
    p += olen;
  }
  return true;
}

/**
 * Validate a TCP segment of `len` bytes (the IP payload) at `seg` from `src` to `dst`
 * (16-byte addresses) and fill `opts`. Returns the header length, or -1 with one counter:
 * TcpTruncated (< 20 bytes), TcpBadOffset (data offset < 5 words or beyond the segment),
 * TcpBadChecksum, TcpBadOption. Never reads outside [seg, seg + len).
 */
export function tcpParseAddr(seg: usize, len: i32, src: usize, dst: usize, opts: TcpOptions): i32 {
  if (len < TCP_HDR_MIN) { count(Stat.TcpTruncated); return -1; }
  let off = tcpDataOffset(seg);
  if (off < TCP_HDR_MIN || off > len) { count(Stat.TcpBadOffset); return -1; }
  if (!rxCsumTrusted() && !tcpChecksumOk(seg, len, src, dst)) { count(Stat.TcpBadChecksum); return -1; }
  if (!tcpParseOptions(seg + TCP_HDR_MIN, seg + <usize>off, opts)) return -1;
  return off;
}

/** Parse the segment of `len` bytes at `p` into `s`, whose src and dst are already set. False when invalid (counted). */
export function tcpParseSeg(p: usize, len: i32, s: TcpSeg): bool {
  let hlen = tcpParseAddr(p, len, segSrc(s), segDst(s), s);
  if (hlen < 0) return false;
  s.sport = tcpSport(p); s.dport = tcpDport(p);
  s.seq = tcpSeq(p); s.ack = tcpAck(p);
  s.flags = tcpFlags(p); s.wnd = tcpWnd(p);
  s.data = p + <usize>hlen; s.dlen = <u32>(len - hlen);
  return true;
}

const v4Src: usize = memory.data(16, 16);
const v4Dst: usize = memory.data(16, 16);

/** tcpParseAddr between IPv4 addresses (host order): the dissector's form. */
export function tcpParse(seg: usize, len: i32, src: u32, dst: u32, opts: TcpOptions): i32 {
  addrSetV4(v4Src, src); addrSetV4(v4Dst, dst);
  return tcpParseAddr(seg, len, v4Src, v4Dst, opts);
}

// --- emit ---

/** Write a header without options' bytes; `hdrLen` = 20 + option bytes (multiple of 4). Checksum zeroed. */
export function tcpEmitHeader(p: usize, sport: u32, dport: u32, seq: u32, ack: u32, flags: u32, wnd: u32, hdrLen: i32): void {
  setTcpSport(p, sport);
  setTcpDport(p, dport);
  setTcpSeq(p, seq);
  setTcpAck(p, ack);
  setTcpDataOffset(p, hdrLen);
  setTcpFlags(p, flags);
  setTcpWnd(p, wnd > 0xffff ? 0xffff : wnd);
  store<u16>(p + TCP_CSUM, 0);
  store<u16>(p + TCP_URP, 0);
}

// Each option's first four bytes are written as one little-endian u32 (wasm memory is little-endian):
// optWord(a, b, c, d) holds the bytes a, b, c, d in that order.
@inline function optWord(a: u32, b: u32, c: u32, d: u32): u32 { return a | (b << 8) | (c << 16) | (d << 24); }

/** MSS option (4 bytes). Returns bytes written. */
export function tcpOptMss(p: usize, mss: u32): i32 {
  store<u32>(p, optWord(OPT_MSS, 4, (mss >> 8) & 0xff, mss & 0xff));
  return 4;
}

/** NOP + window scale option (4 bytes). */
export function tcpOptWscale(p: usize, shift: u32): i32 {
  store<u32>(p, optWord(OPT_NOP, OPT_WSCALE, 3, shift & 0xff));
  return 4;
}

/** NOP NOP + SACK-permitted (4 bytes). */
export function tcpOptSackPerm(p: usize): i32 {
  store<u32>(p, optWord(OPT_NOP, OPT_NOP, OPT_SACK_PERM, 2));
  return 4;
}

/** NOP NOP + timestamps (12 bytes). */
export function tcpOptTs(p: usize, val: u32, ecr: u32): i32 {
  store<u32>(p, optWord(OPT_NOP, OPT_NOP, OPT_TS, 10));
  put32(p + 4, val); put32(p + 8, ecr);
  return 12;
}

/** NOP NOP + SACK with `n` blocks read as (start, end) u32 pairs from `blocks` (4 + 8n bytes). */
export function tcpOptSack(p: usize, blocks: usize, n: i32): i32 {
  store<u32>(p, optWord(OPT_NOP, OPT_NOP, OPT_SACK, <u32>(2 + (n << 3))));
  for (let i = 0; i < n; i++) {
    put32(p + 4 + (<usize>i << 3), load<u32>(blocks + (<usize>i << 3)));
    put32(p + 8 + (<usize>i << 3), load<u32>(blocks + (<usize>i << 3), 4));
  }
  return 4 + (n << 3);
}

/** Test entry: tcpParse (IPv4) with the options written to the TcpOptions at `out` (a raw pointer). */
export function tcpParseAt(seg: usize, len: i32, src: u32, dst: u32, out: usize): i32 {
  return tcpParse(seg, len, src, dst, changetype<TcpOptions>(out));
}

/** Test entry: tcpParseAddr with 16-byte addresses at `src` and `dst` (IPv6 or IPv4-mapped). */
export function tcpParseAt6(seg: usize, len: i32, src: usize, dst: usize, out: usize): i32 {
  return tcpParseAddr(seg, len, src, dst, changetype<TcpOptions>(out));
}
