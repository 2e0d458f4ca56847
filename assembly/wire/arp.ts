// ARP for IPv4 over Ethernet (RFC 826). Only htype 1 / ptype 0x0800 / hlen 6 / plen 4.
import { swap16 } from "./be";
import { count, Stat } from "../stats";
import { macLoad, macStore } from "./ethernet";

export const ARP_LEN: i32 = 28;
export const ARP_HTYPE: usize = 0;
export const ARP_PTYPE: usize = 2;
export const ARP_HLEN: usize = 4;
export const ARP_PLEN: usize = 5;
export const ARP_OPER: usize = 6;
export const ARP_SHA: usize = 8;
export const ARP_SPA: usize = 14;
export const ARP_THA: usize = 18;
export const ARP_TPA: usize = 24;

export const ARP_REQUEST: u16 = 1;
export const ARP_REPLY: u16 = 2;

@inline export function arpOper(p: usize): u32 { return swap16(load<u16>(p + ARP_OPER)); }
@inline export function arpSha(p: usize): u64 { return macLoad(p + ARP_SHA); }
@inline export function arpSpa(p: usize): u32 { return bswap<u32>(load<u32>(p + ARP_SPA)); }
@inline export function arpTha(p: usize): u64 { return macLoad(p + ARP_THA); }
@inline export function arpTpa(p: usize): u32 { return bswap<u32>(load<u32>(p + ARP_TPA)); }

/** Validate an ARP packet of `len` bytes (after the Ethernet header); returns 28 or -1 (counted). */
export function arpParse(p: usize, len: i32): i32 {
  if (len < ARP_LEN) { count(Stat.ArpTruncated); return -1; }
  let op = arpOper(p);
  // HTYPE 1, PTYPE 0x0800, HLEN 6, PLEN 4: the six fixed bytes 00 01 08 00 06 04 (see arpEmit).
  if (load<u32>(p + ARP_HTYPE) != 0x00080100 || load<u16>(p + ARP_HLEN) != 0x0406 ||
      (op != ARP_REQUEST && op != ARP_REPLY)) {
    count(Stat.ArpBadFormat);
    return -1;
  }
  return ARP_LEN;
}

/** Write an ARP packet at p; returns its length (28). */
export function arpEmit(p: usize, op: u16, sha: u64, spa: u32, tha: u64, tpa: u32): i32 {
  // HTYPE 1 (Ethernet), PTYPE 0x0800 (IPv4), HLEN 6, PLEN 4 in wire order: bytes 00 01 08 00 06 04.
  store<u32>(p + ARP_HTYPE, 0x00080100);
  store<u16>(p + ARP_HLEN, 0x0406);
  store<u16>(p + ARP_OPER, swap16(op));
  macStore(p + ARP_SHA, sha);
  store<u32>(p + ARP_SPA, bswap<u32>(spa));
  macStore(p + ARP_THA, tha);
  store<u32>(p + ARP_TPA, bswap<u32>(tpa));
  return ARP_LEN;
}
