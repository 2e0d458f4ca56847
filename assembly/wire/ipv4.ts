// IPv4 header (RFC 791). Options are accepted on input (skipped) and never emitted.
import { swap16 } from "./be";
import { count, Stat } from "../stats";
import { checksum, checksumInto } from "../checksum";

export const IPV4_HLEN: i32 = 20;
export const IP_VIHL: usize = 0;
export const IP_TOS: usize = 1;
export const IP_TOTLEN: usize = 2;
export const IP_ID: usize = 4;
export const IP_FRAG: usize = 6;
export const IP_TTL: usize = 8;
export const IP_PROTO: usize = 9;
export const IP_CSUM: usize = 10;
export const IP_SRC: usize = 12;
export const IP_DST: usize = 16;

export const IP_FLAG_DF: u16 = 0x4000;
export const IP_FLAG_MF: u16 = 0x2000;
export const IP_OFFSET_MASK: u16 = 0x1fff;

export const PROTO_ICMP: u8 = 1;
export const PROTO_TCP: u8 = 6;
export const PROTO_UDP: u8 = 17;

@inline export function ipVersion(p: usize): u32 { return <u32>load<u8>(p + IP_VIHL) >> 4; }
/** Header length in bytes. */
@inline export function ipHeaderLen(p: usize): i32 { return <i32>(load<u8>(p + IP_VIHL) & 0xf) << 2; }
@inline export function ipTotalLen(p: usize): i32 { return <i32>swap16(load<u16>(p + IP_TOTLEN)); }
@inline export function ipId(p: usize): u32 { return swap16(load<u16>(p + IP_ID)); }
@inline export function ipFrag(p: usize): u32 { return swap16(load<u16>(p + IP_FRAG)); }
@inline export function ipTtl(p: usize): u8 { return load<u8>(p + IP_TTL); }
@inline export function ipProto(p: usize): u8 { return load<u8>(p + IP_PROTO); }
@inline export function ipSrc(p: usize): u32 { return bswap<u32>(load<u32>(p + IP_SRC)); }
@inline export function ipDst(p: usize): u32 { return bswap<u32>(load<u32>(p + IP_DST)); }

/**
 * Validate an IPv4 packet of `len` bytes available at p (after the Ethernet header).
 * Fragments pass (iface hands them to ip/reasm4.ts).
 * Returns the header length, or -1 (counted). On success the payload is
 * [p + hlen, p + ipTotalLen(p)), which lies within the `len` bytes.
 */
export function ipv4Parse(p: usize, len: i32): i32 {
  if (len < IPV4_HLEN) { count(Stat.Ipv4Truncated); return -1; }
  if (ipVersion(p) != 4) { count(Stat.Ipv4BadVersion); return -1; }
  let hlen = ipHeaderLen(p);
  if (hlen < IPV4_HLEN) { count(Stat.Ipv4BadIhl); return -1; }
  if (hlen > len) { count(Stat.Ipv4Truncated); return -1; }
  let total = ipTotalLen(p);
  if (total < hlen || total > len) { count(Stat.Ipv4BadTotalLength); return -1; }
  if (checksum(p, hlen) != 0) { count(Stat.Ipv4BadChecksum); return -1; }
  return hlen;
}

/** Write a 20-byte IPv4 header (no options; flags and fragment offset `frag`, normally DF) with its checksum; returns 20. */
export function ipv4Emit(p: usize, src: u32, dst: u32, proto: u8, payloadLen: i32, id: u16, ttl: u8, frag: u16 = IP_FLAG_DF): i32 {
  store<u16>(p + IP_VIHL, 0x0045); // version 4, IHL 5; TOS 0
  store<u16>(p + IP_TOTLEN, swap16(<u16>(payloadLen + IPV4_HLEN)));
  store<u16>(p + IP_ID, swap16(id));
  store<u16>(p + IP_FRAG, swap16(frag));
  store<u8>(p + IP_TTL, ttl);
  store<u8>(p + IP_PROTO, proto);
  store<u32>(p + IP_SRC, bswap<u32>(src));
  store<u32>(p + IP_DST, bswap<u32>(dst));
  checksumInto(p, IPV4_HLEN, IP_CSUM);
  return IPV4_HLEN;
}

/** Bytes of the IP Router Alert option (RFC 2113): type 148, length 4, value 0. */
export const IP_RA_LEN: i32 = 4;

/**
 * Write a 24-byte IPv4 header carrying the Router Alert option (RFC 2113; IGMPv2 needs it,
 * RFC 2236 §2) before `payloadLen` bytes already at p + 24. Returns 24.
 */
export function ipv4EmitRouterAlert(p: usize, src: u32, dst: u32, proto: u8, payloadLen: i32, id: u16, ttl: u8): i32 {
  ipv4Emit(p, src, dst, proto, payloadLen + IP_RA_LEN, id, ttl);
  store<u8>(p + IP_VIHL, 0x46);
  store<u32>(p + <usize>IPV4_HLEN, bswap<u32>(0x94040000));
  checksumInto(p, IPV4_HLEN + IP_RA_LEN, IP_CSUM);
  return IPV4_HLEN + IP_RA_LEN;
}
