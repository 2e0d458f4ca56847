// Addresses of both families in one representation: 16 bytes in network byte order, an IPv4
// address held IPv4-mapped (::ffff:a.b.c.d, RFC 4291 §2.5.5.2). Structs keep one as two u64
// fields (`raddr: u64; raddr8: u64`) and functions take the address's pointer, so the TCB,
// TIME-WAIT entries, tuple lookup, hashing and the pseudo-header sum never ask which family
// they hold. Header room and the TCP MSS come from the family. A leaf: imports only checksum.
import { pseudoSum, pseudoSum6 } from "../checksum";

export const FAMILY_V4: i32 = 4;
export const FAMILY_V6: i32 = 6;
export const ADDR_BYTES: usize = 16;

/** Bytes 8..11 of a mapped address (00 00 ff ff) read as a little-endian u32. */
const MAPPED_MARK: u32 = 0xffff0000;

/** Is the address at `a` IPv4 (IPv4-mapped)? */
@inline export function addrIsV4(a: usize): bool {
  return load<u64>(a) == 0 && load<u32>(a, 8) == MAPPED_MARK;
}

/** FAMILY_V4 or FAMILY_V6. */
@inline export function addrFamily(a: usize): i32 { return addrIsV4(a) ? FAMILY_V4 : FAMILY_V6; }

/** The IPv4 address (host order) of a mapped address; meaningless for IPv6. */
@inline export function addrV4(a: usize): u32 { return bswap<u32>(load<u32>(a, 12)); }

/** Store IPv4 `v4` (host order) at `a` as ::ffff:v4. */
@inline export function addrSetV4(a: usize, v4: u32): void {
  store<u64>(a, 0);
  store<u32>(a, MAPPED_MARK, 8);
  store<u32>(a, bswap<u32>(v4), 12);
}

@inline export function addrEq(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

@inline export function addrCopy(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}

/** The unspecified address (::). (An unset IPv4 address is ::ffff:0.0.0.0, not this.) */
@inline export function addrIsZero(a: usize): bool { return (load<u64>(a) | load<u64>(a, 8)) == 0; }

/** Bytes of the IP header of `family` (IPv4 without options 20, IPv6 fixed header 40). */
@inline export function ipHeaderBytes(family: i32): i32 { return family == FAMILY_V4 ? 20 : 40; }

/** Largest TCP MSS for an IP MTU and family (RFC 9293 §3.7.1, RFC 8200 §8.3): MTU - 40 / - 60. */
@inline export function tcpMssFor(mtu: i32, family: i32): i32 { return mtu - ipHeaderBytes(family) - 20; }

/**
 * Pseudo-header sum for an upper-layer checksum between the 16-byte addresses `src` and `dst`:
 * RFC 9293 §3.1's IPv4 pseudo-header when both are IPv4, RFC 8200 §8.1's otherwise.
 */
export function pseudoSumAddr(src: usize, dst: usize, proto: u32, len: u32): u32 {
  if (addrIsV4(src) && addrIsV4(dst)) return pseudoSum(addrV4(src), addrV4(dst), proto, len);
  return pseudoSum6(src, dst, proto, len);
}
