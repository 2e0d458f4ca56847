// DHCP / BOOTP messages (RFC 2131 §2, RFC 951; options RFC 2132). Accessors over bytes with
// the RFC's field names, a validating parse that walks the options without trusting any length,
// and an emit (the fixed header, the magic cookie, then options appended with the opt* helpers).
//
//   0 op | 1 htype | 2 hlen | 3 hops | 4 xid (4) | 8 secs (2) | 10 flags (2) | 12 ciaddr | 16 yiaddr
//   20 siaddr | 24 giaddr | 28 chaddr (16) | 44 sname (64) | 108 file (128) | 236 magic cookie | 240 options
import { swap16 } from "./be";
import { count, Stat } from "../stats";
import { macLoad, macStore } from "./ethernet";

export const DHCP_OP: usize = 0;
export const DHCP_HTYPE: usize = 1;
export const DHCP_HLEN: usize = 2;
export const DHCP_HOPS: usize = 3;
export const DHCP_XID: usize = 4;
export const DHCP_SECS: usize = 8;
export const DHCP_FLAGS: usize = 10;
export const DHCP_CIADDR: usize = 12;
export const DHCP_YIADDR: usize = 16;
export const DHCP_SIADDR: usize = 20;
export const DHCP_GIADDR: usize = 24;
export const DHCP_CHADDR: usize = 28;
export const DHCP_COOKIE: usize = 236;
/** Fixed part + magic cookie: options start here. */
export const DHCP_FIXED: i32 = 240;
export const DHCP_MAGIC: u32 = 0x63825363;
/** The smallest BOOTP message (RFC 951 / RFC 2131 §2: 300 bytes with the 64-byte vendor area). */
export const DHCP_MIN_MSG: i32 = 300;

export const BOOTREQUEST: u8 = 1;
export const BOOTREPLY: u8 = 2;
export const HTYPE_ETHERNET: u8 = 1;
export const FLAG_BROADCAST: u16 = 0x8000;

// DHCP message types (option 53, RFC 2132 §9.6)
export const DHCPDISCOVER: u8 = 1;
export const DHCPOFFER: u8 = 2;
export const DHCPREQUEST: u8 = 3;
export const DHCPDECLINE: u8 = 4;
export const DHCPACK: u8 = 5;
export const DHCPNAK: u8 = 6;
export const DHCPRELEASE: u8 = 7;

// option codes (RFC 2132)
export const OPT_PAD: u8 = 0;
export const OPT_SUBNET_MASK: u8 = 1;
export const OPT_ROUTER: u8 = 3;
export const OPT_DNS: u8 = 6;
export const OPT_HOSTNAME: u8 = 12;
export const OPT_DOMAIN: u8 = 15;
export const OPT_NTP_SERVERS: u8 = 42;
export const OPT_REQUESTED_IP: u8 = 50;
export const OPT_LEASE_TIME: u8 = 51;
export const OPT_OVERLOAD: u8 = 52;
export const OPT_MSG_TYPE: u8 = 53;
export const OPT_SERVER_ID: u8 = 54;
export const OPT_PARAM_LIST: u8 = 55;
export const OPT_MAX_MSG_SIZE: u8 = 57;
export const OPT_T1: u8 = 58;
export const OPT_T2: u8 = 59;
export const OPT_CLIENT_ID: u8 = 61;
export const OPT_END: u8 = 255;

@inline export function dhcpOp(p: usize): u8 { return load<u8>(p + DHCP_OP); }
@inline export function dhcpHtype(p: usize): u8 { return load<u8>(p + DHCP_HTYPE); }
@inline export function dhcpHlen(p: usize): u8 { return load<u8>(p + DHCP_HLEN); }
@inline export function dhcpXid(p: usize): u32 { return bswap<u32>(load<u32>(p + DHCP_XID)); }
@inline export function dhcpSecs(p: usize): u16 { return swap16(load<u16>(p + DHCP_SECS)); }
@inline export function dhcpFlags(p: usize): u16 { return swap16(load<u16>(p + DHCP_FLAGS)); }
@inline export function dhcpCiaddr(p: usize): u32 { return bswap<u32>(load<u32>(p + DHCP_CIADDR)); }
@inline export function dhcpYiaddr(p: usize): u32 { return bswap<u32>(load<u32>(p + DHCP_YIADDR)); }
@inline export function dhcpSiaddr(p: usize): u32 { return bswap<u32>(load<u32>(p + DHCP_SIADDR)); }
@inline export function dhcpGiaddr(p: usize): u32 { return bswap<u32>(load<u32>(p + DHCP_GIADDR)); }
/** The first 6 octets of chaddr as a MAC (meaningful when htype 1 / hlen 6). */
@inline export function dhcpChaddr(p: usize): u64 { return macLoad(p + DHCP_CHADDR); }

/**
 * What dhcpParse found in the options (static: one message at a time). Absent options are 0
 * (and `has*` false); a zero-length or malformed known option makes the message invalid.
 */
@unmanaged export class DhcpOptions {
  msgType: u8; hasMask: bool; hasLease: bool;
  mask: u32; router: u32; serverId: u32; lease: u32; t1: u32; t2: u32;
  dnsCount: u32; dns0: u32; dns1: u32; dns2: u32; // a count, then the list: one loop fills either
  ntpCount: u32; ntp0: u32; ntp1: u32; ntp2: u32;
}
const optsData: usize = memory.data(offsetof<DhcpOptions>(), 8);
export const dhcpOpts: DhcpOptions = changetype<DhcpOptions>(optsData);

@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }

/**
 * Validate a DHCP message of `len` bytes at p: at least the fixed part and the magic cookie,
 * options walked from 240 up to an END (pad skipped), each option's length checked against
 * the end of the message before it is read; known options must have their RFC 2132 length.
 * Option overload (52: options continued in sname/file) is refused explicitly. Fills dhcpOpts.
 * Returns 0 or -1 (counted: dhcp_truncated, dhcp_bad_cookie, dhcp_bad_option, dhcp_overload,
 * dhcp_no_msg_type). Checks nothing about xid/op/chaddr: that is the client's business.
 */
export function dhcpParse(p: usize, len: i32): i32 {
  memory.fill(optsData, 0, offsetof<DhcpOptions>());
  if (len < DHCP_FIXED) { count(Stat.DhcpTruncated); return -1; }
  if (be32(p + DHCP_COOKIE) != DHCP_MAGIC) { count(Stat.DhcpBadCookie); return -1; }
  let o = dhcpOpts;
  let i = DHCP_FIXED;
  let ended = false;
  while (i < len) {
    let code = load<u8>(p + <usize>i);
    if (code == OPT_PAD) { i++; continue; }
    if (code == OPT_END) { ended = true; break; }
    if (i + 2 > len) { count(Stat.DhcpTruncated); return -1; }      // no room for the length octet
    let l = <i32>load<u8>(p + <usize>(i + 1));
    let v = p + <usize>(i + 2);
    if (i + 2 + l > len) { count(Stat.DhcpTruncated); return -1; }  // the option runs past the end
    if (code == OPT_OVERLOAD) { count(Stat.DhcpOverload); return -1; } // refused: we do not read sname/file
    if (code == OPT_MSG_TYPE) {
      if (l != 1) { count(Stat.DhcpBadOption); return -1; }
      o.msgType = load<u8>(v);
    } else if (code == OPT_SUBNET_MASK || code == OPT_SERVER_ID || code == OPT_LEASE_TIME || code == OPT_T1 || code == OPT_T2) {
      if (l != 4) { count(Stat.DhcpBadOption); return -1; }
      let x = be32(v);
      if (code == OPT_SUBNET_MASK) { o.mask = x; o.hasMask = true; }
      else if (code == OPT_SERVER_ID) o.serverId = x;
      else if (code == OPT_LEASE_TIME) { o.lease = x; o.hasLease = true; }
      else if (code == OPT_T1) o.t1 = x;
      else o.t2 = x;
    } else if (code == OPT_ROUTER || code == OPT_DNS || code == OPT_NTP_SERVERS) {
      // lists of addresses (RFC 2132 §3.5, §3.8, §8.3): at least one, a multiple of 4; the first 3 kept
      if (l == 0 || (l & 3) != 0) { count(Stat.DhcpBadOption); return -1; }
      let n = l >> 2;
      if (n > 3) n = 3;
      if (code == OPT_ROUTER) o.router = be32(v);
      else {
        let at = optsData + (code == OPT_DNS ? offsetof<DhcpOptions>("dnsCount") : offsetof<DhcpOptions>("ntpCount"));
        store<u32>(at, <u32>n);
        for (let k = 0; k < n; k++) store<u32>(at + 4 + (<usize>k << 2), be32(v + (<usize>k << 2)));
      }
    }
    i += 2 + l;
  }
  if (!ended) { count(Stat.DhcpTruncated); return -1; }
  if (o.msgType == 0) { count(Stat.DhcpNoMsgType); return -1; }
  return 0;
}

/**
 * Write a BOOTREQUEST's fixed part and magic cookie at p (zeroing sname/file) and the
 * message type option; returns the offset where further options go.
 */
export function dhcpEmit(p: usize, msgType: u8, xid: u32, secs: u16, flags: u16, ciaddr: u32, chaddr: u64): i32 {
  memory.fill(p, 0, <usize>DHCP_FIXED);
  // op, htype, hlen (hops stays 0) in one store: bytes BOOTREQUEST, HTYPE_ETHERNET, 6.
  store<u32>(p + DHCP_OP, <u32>BOOTREQUEST | <u32>HTYPE_ETHERNET << 8 | 6 << 16);
  store<u32>(p + DHCP_XID, bswap<u32>(xid));
  store<u16>(p + DHCP_SECS, swap16(secs));
  store<u16>(p + DHCP_FLAGS, swap16(flags));
  store<u32>(p + DHCP_CIADDR, bswap<u32>(ciaddr));
  macStore(p + DHCP_CHADDR, chaddr);
  store<u32>(p + DHCP_COOKIE, bswap<u32>(DHCP_MAGIC));
  return optU8(p, DHCP_FIXED, OPT_MSG_TYPE, msgType);
}

/** Append option `code` with a one-octet value at p + at; returns the new end. */
export function optU8(p: usize, at: i32, code: u8, v: u8): i32 {
  optHead(p, at, code, 1);
  store<u8>(p + <usize>at, v, 2);
  return at + 3;
}

/** An option's code and length octets at p + at. */
@inline function optHead(p: usize, at: i32, code: u8, len: u32): void { store<u16>(p + <usize>at, <u16>(<u32>code | (len << 8))); }

/** Append option `code` with a 16-bit value. */
export function optU16(p: usize, at: i32, code: u8, v: u16): i32 {
  optHead(p, at, code, 2);
  store<u16>(p + <usize>at, swap16(v), 2);
  return at + 4;
}

/** Append option `code` with a 32-bit value (an address in host order). */
export function optU32(p: usize, at: i32, code: u8, v: u32): i32 {
  optHead(p, at, code, 4);
  store<u32>(p + <usize>at, bswap<u32>(v), 2);
  return at + 6;
}

/** Append option `code` with `n` bytes from `src` (n <= 255). */
export function optBytes(p: usize, at: i32, code: u8, src: usize, n: i32): i32 {
  optHead(p, at, code, <u32>n);
  memory.copy(p + <usize>(at + 2), src, <usize>n);
  return at + 2 + n;
}

/** Append END and pad with zeros to the 300-byte BOOTP minimum; returns the message length. */
export function optEnd(p: usize, at: i32): i32 {
  store<u8>(p + <usize>at, OPT_END);
  at++;
  if (at < DHCP_MIN_MSG) { memory.fill(p + <usize>at, 0, <usize>(DHCP_MIN_MSG - at)); at = DHCP_MIN_MSG; }
  return at;
}
