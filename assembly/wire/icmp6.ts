// ICMPv6 (RFC 4443) and the Neighbor Discovery messages and options (RFC 4861 §4), MLDv2
// (RFC 3810 §5). The checksum covers the RFC 8200 §8.1 pseudo-header.
import { swap16 } from "./be";
import { count, Stat } from "../stats";
import { sum16, pseudoSum6, finish } from "../checksum";
import { macLoad } from "./ethernet";
import { NH_ICMPV6 } from "./ipv6";

export const ICMP6_HLEN: i32 = 8;
export const ICMP6_DEST_UNREACH: u8 = 1;
export const ICMP6_PACKET_TOO_BIG: u8 = 2;
export const ICMP6_TIME_EXCEEDED: u8 = 3;
export const ICMP6_PARAM_PROBLEM: u8 = 4;
export const ICMP6_ECHO_REQUEST: u8 = 128;
export const ICMP6_ECHO_REPLY: u8 = 129;
export const MLD_QUERY: u8 = 130;
export const MLD1_REPORT: u8 = 131;
export const MLD1_DONE: u8 = 132;
export const ND_RS: u8 = 133;
export const ND_RA: u8 = 134;
export const ND_NS: u8 = 135;
export const ND_NA: u8 = 136;
export const ND_REDIRECT: u8 = 137;
export const MLD2_REPORT: u8 = 143;

// Destination Unreachable codes (§3.1)
export const UNREACH6_NOROUTE: u8 = 0;
export const UNREACH6_ADDR: u8 = 3;
export const UNREACH6_PORT: u8 = 4;
// Parameter Problem codes (§3.4)
export const PARAM6_HEADER: u8 = 0;      // erroneous header field
export const PARAM6_NEXT_HEADER: u8 = 1; // unrecognized Next Header type
export const PARAM6_OPTION: u8 = 2;      // unrecognized IPv6 option

// ND options (RFC 4861 §4.6)
export const NDOPT_SLLA: u8 = 1;
export const NDOPT_TLLA: u8 = 2;
export const NDOPT_PREFIX: u8 = 3;
export const NDOPT_REDIRECTED: u8 = 4;
export const NDOPT_MTU: u8 = 5;

// NA flags (first byte after the checksum)
export const NA_ROUTER: u8 = 0x80;
export const NA_SOLICITED: u8 = 0x40;
export const NA_OVERRIDE: u8 = 0x20;

@inline export function icmp6Type(p: usize): u8 { return load<u8>(p); }
@inline export function icmp6Code(p: usize): u8 { return load<u8>(p, 1); }
@inline export function be16At(p: usize): u32 { return swap16(load<u16>(p)); }
@inline export function be32At(p: usize): u32 { return bswap<u32>(load<u32>(p)); }

/** The checksum sum over pseudo-header and message: 0xffff when the message's checksum is right. */
function icmp6Sum(src: usize, dst: usize, p: usize, len: i32): u32 {
  return sum16(p, len, pseudoSum6(src, dst, <u32>NH_ICMPV6, <u32>len));
}

/** Validate an ICMPv6 message of `len` bytes between `src` and `dst`: 0 or -1 (counted). */
export function icmp6Parse(src: usize, dst: usize, p: usize, len: i32): i32 {
  if (len < 4) { count(Stat.Icmp6Truncated); return -1; }
  if (finish(icmp6Sum(src, dst, p, len)) != 0) { count(Stat.Icmp6BadChecksum); return -1; }
  return 0;
}

/** Fill in the checksum of the message of `len` bytes at p. */
export function icmp6Finish(src: usize, dst: usize, p: usize, len: i32): void {
  store<u16>(p, 0, 2);
  store<u16>(p, <u16>swap16(finish(icmp6Sum(src, dst, p, len))), 2);
}

/**
 * The ND options of a message, validated (RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2: every option
 * has a length > 0 and lies within the message). Filled by ndOptions; offsets are 0 when absent.
 */
@unmanaged export class NdOpts {
  slla: u64;      // source link-layer address (0 = absent)
  tlla: u64;      // target link-layer address (0 = absent)
  mtu: u32;       // MTU option value (0 = absent)
  prefixes: u32;  // how many prefix information options (first NDOPTS_PREFIX_MAX kept)
  prefix0: usize; prefix1: usize; prefix2: usize; prefix3: usize;
}
export const NDOPTS_PREFIX_MAX: i32 = 4;
/** The record ndOptions fills: its memory is the IPv6 layer's (ndOptsAt, at init). */
export let ndOpts: NdOpts = changetype<NdOpts>(0);
export function ndOptsAt(p: usize): void { ndOpts = changetype<NdOpts>(p); }

/** Prefix option `i` (0..prefixes-1, < NDOPTS_PREFIX_MAX): pointer to its 32 bytes. */
export function ndPrefixAt(i: i32): usize {
  return i == 0 ? ndOpts.prefix0 : i == 1 ? ndOpts.prefix1 : i == 2 ? ndOpts.prefix2 : ndOpts.prefix3;
}

/** Walk the options in [p, p + len): false (counted, nd_bad_option) when one is malformed. */
export function ndOptions(p: usize, len: i32): bool {
  ndOpts.slla = 0; ndOpts.tlla = 0; ndOpts.mtu = 0; ndOpts.prefixes = 0;
  let off = 0;
  while (off < len) {
    if (len - off < 2) { count(Stat.NdBadOption); return false; }
    let o = p + <usize>off;
    let olen = <i32>load<u8>(o, 1) << 3;
    if (olen == 0 || olen > len - off) { count(Stat.NdBadOption); return false; }
    let t = load<u8>(o);
    if ((t == NDOPT_SLLA || t == NDOPT_TLLA) && olen == 8) {
      let mac = macLoad(o + 2);
      if (t == NDOPT_SLLA) ndOpts.slla = mac | (<u64>1 << 63); else ndOpts.tlla = mac | (<u64>1 << 63); // bit 63: present
    } else if (t == NDOPT_MTU && olen == 8) {
      ndOpts.mtu = be32At(o + 4);
    } else if (t == NDOPT_PREFIX) {
      if (olen != 32) { count(Stat.NdBadOption); return false; } // RFC 4861 §4.6.2: length 4
      let n = <i32>ndOpts.prefixes;
      if (n < NDOPTS_PREFIX_MAX) {
        if (n == 0) ndOpts.prefix0 = o; else if (n == 1) ndOpts.prefix1 = o; else if (n == 2) ndOpts.prefix2 = o; else ndOpts.prefix3 = o;
      }
      ndOpts.prefixes = n + 1;
    }
    // other options (RDNSS, redirected header, nonce...) are skipped (§4.6: ignored when unknown)
    off += olen;
  }
  return true;
}

/** Present-bit-free MAC of an option field (ndOpts.slla / tlla). */
@inline export function ndMac(v: u64): u64 { return v & 0xffffffffffff; }
@inline export function ndHas(v: u64): bool { return (v >> 63) != 0; }
