// Ethernet II framing (IEEE 802.3 with EtherType). MAC addresses are handled as
// u64 values in host order holding the 48 bits big-endian (0x0200_0000_0001 is
// 02:00:00:00:00:01), and stored/loaded from the wire with macStore/macLoad.
import { swap16 } from "./be";
import { count, Stat } from "../stats";

export const ETH_HLEN: i32 = 14;
export const ETH_DST: usize = 0;
export const ETH_SRC: usize = 6;
export const ETH_TYPE: usize = 12;

export const ETHERTYPE_IPV4: u16 = 0x0800;
export const ETHERTYPE_ARP: u16 = 0x0806;

export const MAC_BROADCAST: u64 = 0xffffffffffff;

/** Load a 48-bit MAC stored big-endian at p. */
@inline export function macLoad(p: usize): u64 {
  return (<u64>swap16(load<u16>(p)) << 32) | <u64>bswap<u32>(load<u32>(p, 2));
}

/** Store a 48-bit MAC big-endian at p. */
@inline export function macStore(p: usize, mac: u64): void {
  store<u16>(p, swap16(<u16>(mac >> 32)));
  store<u32>(p, bswap<u32>(<u32>mac), 2);
}

/** True for group (multicast/broadcast) addresses: I/G bit of the first octet. */
@inline export function macIsGroup(mac: u64): bool { return ((mac >> 40) & 1) != 0; }

@inline export function ethDst(f: usize): u64 { return macLoad(f + ETH_DST); }
@inline export function ethSrc(f: usize): u64 { return macLoad(f + ETH_SRC); }
@inline export function ethType(f: usize): u32 { return swap16(load<u16>(f + ETH_TYPE)); }

/** Validate an Ethernet frame of `len` bytes; returns the header length (14) or -1 (counted). */
export function ethParse(f: usize, len: i32): i32 {
  if (len < ETH_HLEN) { count(Stat.EthTruncated); return -1; }
  return ETH_HLEN;
}

/** Write an Ethernet header at f; returns its length. */
export function ethEmit(f: usize, dst: u64, src: u64, type: u16): i32 {
  macStore(f + ETH_DST, dst);
  macStore(f + ETH_SRC, src);
  store<u16>(f + ETH_TYPE, swap16(type));
  return ETH_HLEN;
}
