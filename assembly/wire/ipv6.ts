// IPv6 fixed header (RFC 8200 §3) and extension header numbers (§4). Addresses are 16 bytes in
// network order (ip/addr.ts); the views below hand out pointers into the packet.
import { swap16 } from "./be";
import { count, Stat } from "../stats";

export const IPV6_HLEN: i32 = 40;
export const IP6_PLEN: usize = 4;
export const IP6_NH: usize = 6;
export const IP6_HOPS: usize = 7;
export const IP6_SRC: usize = 8;
export const IP6_DST: usize = 24;

export const ETHERTYPE_IPV6: u16 = 0x86dd;

// Next Header values (IANA "Assigned Internet Protocol Numbers")
export const NH_HOPOPTS: u8 = 0;
export const NH_TCP: u8 = 6;
export const NH_UDP: u8 = 17;
export const NH_ROUTING: u8 = 43;
export const NH_FRAGMENT: u8 = 44;
export const NH_ICMPV6: u8 = 58;
export const NH_NONE: u8 = 59;
export const NH_DSTOPTS: u8 = 60;

/** The IPv6 minimum link MTU (RFC 8200 §5). */
export const IPV6_MIN_MTU: i32 = 1280;

@inline export function ip6Version(p: usize): u32 { return <u32>load<u8>(p) >> 4; }
@inline export function ip6PayloadLen(p: usize): i32 { return <i32>swap16(load<u16>(p + IP6_PLEN)); }
@inline export function ip6NextHeader(p: usize): u8 { return load<u8>(p + IP6_NH); }
@inline export function ip6HopLimit(p: usize): u8 { return load<u8>(p + IP6_HOPS); }
@inline export function ip6Src(p: usize): usize { return p + IP6_SRC; }
@inline export function ip6Dst(p: usize): usize { return p + IP6_DST; }

/**
 * Validate an IPv6 packet of `len` bytes available at p (after the Ethernet header): version 6,
 * the payload length within the frame (Ethernet padding after it is ignored). Returns the payload
 * length, or -1 (counted). A zero payload length (a jumbogram, RFC 2675) is not supported: its
 * Hop-by-Hop header then lies past the payload and the walk drops it as truncated.
 */
export function ipv6Parse(p: usize, len: i32): i32 {
  if (len < IPV6_HLEN) { count(Stat.Ipv6Truncated); return -1; }
  if (ip6Version(p) != 6) { count(Stat.Ipv6BadVersion); return -1; }
  let plen = ip6PayloadLen(p);
  if (plen > len - IPV6_HLEN) { count(Stat.Ipv6BadLength); return -1; }
  return plen;
}

/** Write a 40-byte IPv6 header (traffic class and flow label 0). */
export function ipv6Emit(p: usize, src: usize, dst: usize, nh: u8, payloadLen: i32, hops: u8): void {
  store<u32>(p, 0x60); // version 6, traffic class 0, flow label 0 (network order 60 00 00 00)
  store<u16>(p + IP6_PLEN, <u16>swap16(<u32>payloadLen));
  store<u8>(p + IP6_NH, nh);
  store<u8>(p + IP6_HOPS, hops);
  memory.copy(p + IP6_SRC, src, 16);
  memory.copy(p + IP6_DST, dst, 16);
}

// Address classes (RFC 4291 §2.4)
@inline export function a6IsMulticast(a: usize): bool { return load<u8>(a) == 0xff; }
/** fe80::/10 */
@inline export function a6IsLinkLocal(a: usize): bool { return load<u8>(a) == 0xfe && (load<u8>(a, 1) & 0xc0) == 0x80; }
/** ::1 */
@inline export function a6IsLoopback(a: usize): bool { return load<u64>(a) == 0 && load<u64>(a, 8) == 0x0100000000000000; }
/** Link-local scope multicast ff02::/16 (and ff.2 with flags). */
@inline export function a6McastLinkScope(a: usize): bool { return (load<u8>(a, 1) & 0xf) == 2; }
/** Is the address at `a` the solicited-node group (ff02::1:ffXX:XXXX, RFC 4291 §2.7.1) of the address at `t`? */
export function a6IsSolicitedFor(a: usize, t: usize): bool {
  return load<u64>(a) == 0x02ff && load<u32>(a, 8) == 0x01000000 && load<u8>(a, 12) == 0xff &&
    load<u8>(a, 13) == load<u8>(t, 13) && load<u16>(a, 14) == load<u16>(t, 14);
}
/** Write the solicited-node group of the address at `t` at `a`. */
export function a6SolicitedNode(a: usize, t: usize): void {
  store<u64>(a, 0x02ff);
  store<u32>(a, 0x01000000, 8);
  store<u8>(a, 0xff, 12);
  store<u8>(a, load<u8>(t, 13), 13);
  store<u16>(a, load<u16>(t, 14), 14);
}
/** Is `a` ff02::1 (all nodes)? */
@inline export function a6IsAllNodes(a: usize): bool { return load<u64>(a) == 0x02ff && load<u64>(a, 8) == 0x0100000000000000; }
/** The Ethernet group MAC of IPv6 multicast `a` (RFC 2464 §7: 33:33 + the last 4 bytes). */
@inline export function a6GroupMac(a: usize): u64 { return 0x333300000000 | <u64>bswap<u32>(load<u32>(a, 12)); }
/** Do the first `bits` bits of `a` and `b` agree? */
export function a6PrefixMatch(a: usize, b: usize, bits: i32): bool {
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  if (bits == 0) return true;
  let m = <u32>(0xff00 >> bits) & 0xff;
  return ((<u32>load<u8>(a + <usize>i) ^ <u32>load<u8>(b + <usize>i)) & m) == 0;
}
