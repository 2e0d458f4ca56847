// UDP header (RFC 768).
import { swap16 } from "./be";
import { count, Stat } from "../stats";
import { sum16, pseudoSum, finish } from "../checksum";
import { PROTO_UDP } from "./ipv4";
import { rxCsumTrusted, txCsumOffloaded } from "./offload";

export const UDP_HLEN: i32 = 8;
export const UDP_SPORT: usize = 0;
export const UDP_DPORT: usize = 2;
export const UDP_LEN: usize = 4;
export const UDP_CSUM: usize = 6;

@inline export function udpSrcPort(p: usize): u32 { return swap16(load<u16>(p + UDP_SPORT)); }
@inline export function udpDstPort(p: usize): u32 { return swap16(load<u16>(p + UDP_DPORT)); }
@inline export function udpLength(p: usize): i32 { return <i32>swap16(load<u16>(p + UDP_LEN)); }
@inline export function udpChecksum(p: usize): u32 { return swap16(load<u16>(p + UDP_CSUM)); }

/**
 * Validate a UDP datagram: `len` bytes of IP payload at p, src/dst in host order.
 * Returns 8 (the payload is [p + 8, p + udpLength(p))) or -1 (counted).
 * A zero checksum means "none" (RFC 768).
 */
export function udpParse(p: usize, len: i32, src: u32, dst: u32): i32 {
  if (len < UDP_HLEN) { count(Stat.UdpTruncated); return -1; }
  let ulen = udpLength(p);
  if (ulen < UDP_HLEN || ulen > len) { count(Stat.UdpBadLength); return -1; }
  if (udpChecksum(p) != 0 && !rxCsumTrusted() && sum16(p, ulen, pseudoSum(src, dst, PROTO_UDP, <u32>ulen)) != 0xffff) {
    count(Stat.UdpBadChecksum);
    return -1;
  }
  return UDP_HLEN;
}

/** Write a UDP header before `payloadLen` bytes already at p + 8, with its checksum; returns the datagram length. */
export function udpEmit(p: usize, src: u32, dst: u32, sport: u16, dport: u16, payloadLen: i32): i32 {
  return udpEmitHeader(p, src, dst, sport, dport, p + <usize>UDP_HLEN, payloadLen);
}

/**
 * Write an 8-byte UDP header at h for `payloadLen` bytes held elsewhere (at `payload`), with
 * the checksum over both (the header's even length makes the chained sum exact); returns the
 * datagram length.
 */
export function udpEmitHeader(h: usize, src: u32, dst: u32, sport: u16, dport: u16, payload: usize, payloadLen: i32): i32 {
  let ulen = UDP_HLEN + payloadLen;
  store<u16>(h + UDP_SPORT, swap16(sport));
  store<u16>(h + UDP_DPORT, swap16(dport));
  store<u16>(h + UDP_LEN, swap16(<u16>ulen));
  store<u16>(h + UDP_CSUM, 0);
  if (txCsumOffloaded()) return ulen; // left to the link (as udpEmit)
  let s = sum16(h, UDP_HLEN, pseudoSum(src, dst, PROTO_UDP, <u32>ulen));
  let c = finish(sum16(payload, payloadLen, s));
  store<u16>(h + UDP_CSUM, swap16(c == 0 ? 0xffff : c));
  return ulen;
}
