// The narrow surface the interface hands to upper layers (TCP, UDP) so that they can emit IP
// datagrams without importing iface.ts (imports point down the data path). iface.ts fills it in
// at init (netifSetup) and whenever its address changes (netifSetAddr4).
//
// Family-neutral surface (addresses are 16 bytes, ip/addr.ts; what TCP uses):
//   localAddrPtr(idx) / localAddrIndex(a)   the interface's address table (index 0: IPv4)
//   ipTxPayloadFor(family)                  where a transport writes its datagram's payload
//   ipSendTo(dst, proto, len)               send that payload (IPv4 today; IPv6 plugs in here)
//   ipMtu, netNow                           the MTU and the one clock of the core
//   ipSendFragFn, ipNewId                   one IPv4 fragment with a given id and flags (ip/frag4.ts)
// IPv4-only forms kept for IPv4-only users: ipTxPayload, localAddr, ipSend(dst: u32, ...).
import { ADDR_BYTES, FAMILY_V4, addrEq, addrIsV4, addrIsZero, addrSetV4, addrV4, ipHeaderBytes } from "./ip/addr";

/**
 * The core's clock: time (u32 ms) of the latest ABI call that carries one (input, poll, ping);
 * iface sets it. Calls that carry no time (socket calls) use it. Wrap-safe comparisons only.
 */
export let netNow: u32 = 0;

/** The nearer of two "ms until the next deadline" values, -1 meaning none (what poll returns). */
@inline export function sooner(a: i32, b: i32): i32 { return b < 0 ? a : a < 0 || b < a ? b : a; }
/** `next` (ms, -1 = none) lowered to the ms from netNow until `deadline` (0 once it is due). */
@inline export function nearer(next: i32, deadline: u32): i32 {
  let d = <i32>(deadline - netNow);
  return sooner(next, d < 0 ? 0 : d);
}
/** IP MTU in bytes (payload limit = ipMtu - the family's IP header). */
export let ipMtu: i32 = 1500;
/** Where the IP header of an outgoing datagram starts in the tx frame (tx buffer + 14). */
let txIpBase: usize = 0;
/** IPv4 payload position (txIpBase + 20), for IPv4-only users. */
export let ipTxPayload: usize = 0;
/** Our IPv4 address (host order); also entry 0 of the address table. */
export let localAddr: u32 = 0;

/** Size of the address table: entry 0 IPv4, entries 1.. the IPv6 addresses (ip/ipv6.ts, at most LOCAL_ADDRS - 1). */
export const LOCAL_ADDRS: i32 = 8;
/** The table entry of IPv6 address number `i` of ip/ipv6.ts's address table. */
export const LADDR_V6_FIRST: i32 = 1;
const addrTable: usize = memory.data(<i32>ADDR_BYTES * LOCAL_ADDRS, 16);
/** The address table's IPv4 entry. */
export const LADDR_V4: i32 = 0;

function noSend(dst: u32, proto: u8, len: i32): bool { return false; }

/** Set by iface at init: builds the IPv4 + Ethernet headers around the payload at ipTxPayload and sends it. */
export let ipSendFn: (dst: u32, proto: u8, len: i32) => bool = noSend;

function noSendFrag(dst: u32, proto: u8, len: i32, id: u16, frag: u16): bool { return false; }

/**
 * Set by iface at init: like ipSendFn, but with the IPv4 identification and flags/offset field
 * given (ip/frag4.ts sends each fragment through it).
 */
export let ipSendFragFn: (dst: u32, proto: u8, len: i32, id: u16, frag: u16) => bool = noSendFrag;

/** The IPv4 identification of the next datagram we emit (RFC 791; one counter for the interface). */
let ipIdNext: u16 = 1;
export function ipNewId(): u16 { return ipIdNext++; }

/** Send `len` bytes of payload already written at ipTxPayload to IPv4 `dst` as protocol `proto`. False when it cannot (counted). */
export function ipSend(dst: u32, proto: u8, len: i32): bool { return ipSendFn(dst, proto, len); }

/** Where to write the payload of a datagram of `family` (after its IP header). 0 before init. */
@inline export function ipTxPayloadFor(family: i32): usize {
  return txIpBase == 0 ? 0 : txIpBase + <usize>ipHeaderBytes(family);
}

/**
 * Send `len` bytes already written at ipTxPayloadFor(family of dst) to the 16-byte address at
 * `dst`. False when it cannot: counted by the IP layer, or IPv6 (no IPv6 layer yet).
 */
export function ipSendTo(dst: usize, proto: u8, len: i32): bool {
  if (addrIsV4(dst)) return ipSendFn(addrV4(dst), proto, len);
  return ip6SendFn(0, dst, proto, len); // the source: RFC 6724 selection (ip/ipv6.ts)
}

/**
 * Send `len` bytes already written at ipTxPayloadFor(FAMILY_V6) from our IPv6 address at `src`
 * (a transport whose checksum covers the source) to `dst`. False when it cannot (counted).
 */
export function ipSendFrom6(src: usize, dst: usize, proto: u8, len: i32): bool { return ip6SendFn(src, dst, proto, len); }

function noSend6(src: usize, dst: usize, proto: u8, len: i32): bool { return false; }
function noSelect6(dst: usize): i32 { return -1; }
function noPmtu6(dst: usize): i32 { return ipMtu; }
/** Set by ip/ipv6.ts at init (WT_IPV6 builds): IPv6 output and RFC 6724 source selection. */
let ip6SendFn: (src: usize, dst: usize, proto: u8, len: i32) => bool = noSend6;
let ip6SelectFn: (dst: usize) => i32 = noSelect6;
let ip6PmtuFn: (dst: usize) => i32 = noPmtu6;
export function netifSetup6(send: (src: usize, dst: usize, proto: u8, len: i32) => bool, select: (dst: usize) => i32, pmtu: (dst: usize) => i32): void {
  ip6SendFn = send;
  ip6SelectFn = select;
  ip6PmtuFn = pmtu;
}
/** The IP MTU towards the 16-byte address at `dst`: the link MTU for IPv4, IPv6's path MTU record (RFC 8201) else. */
export function pathMtu(dst: usize): i32 { return addrIsV4(dst) ? ipMtu : ip6PmtuFn(dst); }
/** Index of our address to use as the source towards IPv6 `dst` (RFC 6724), -1 when none. */
export function localAddrFor6(dst: usize): i32 { return ip6SelectFn(dst); }

/** Our address number `idx` (16 bytes; IPv4-mapped for IPv4; :: when unset). Index 0 is the IPv4 address. */
@inline export function localAddrPtr(idx: i32): usize { return addrTable + (<usize>idx << 4); }

/** Index of our address equal to the one at `a`, or -1. Unset entries are all-zero (::) and match nothing. */
export function localAddrIndex(a: usize): i32 {
  if (addrIsZero(a)) return -1;
  for (let i = 0; i < LOCAL_ADDRS; i++) if (addrEq(localAddrPtr(i), a)) return i;
  return -1;
}

/** Index of our address of `family` to use towards a new peer (IPv4: 0). -1 when there is none. */
export function localAddrFor(family: i32): i32 {
  if (family == FAMILY_V4) return localAddr != 0 ? LADDR_V4 : -1;
  return ip6SelectFn(0); // IPv6: a preferred global address, else the link-local one
}

/** Table entry `idx` (>= 1) = the IPv6 address at `a` (0: unset, matching nothing). */
export function netifSetAddr6(idx: i32, a: usize): void {
  let p = localAddrPtr(idx);
  if (a != 0) memory.copy(p, a, ADDR_BYTES);
  else memory.fill(p, 0, ADDR_BYTES);
}

/** The interface's IPv4 address changed (host order; 0 = none). */
export function netifSetAddr4(addr: u32): void {
  localAddr = addr;
  let p = localAddrPtr(LADDR_V4);
  if (addr != 0) addrSetV4(p, addr);
  else memory.fill(p, 0, ADDR_BYTES); // unset: matches no address
}

/**
 * Called by iface at init. `ipBase`: where the IP header goes in the tx frame (the transport
 * payload follows it: + 20 for IPv4, + 40 for IPv6); `send`: IPv4 output.
 */
export function netifSetup(
  ipBase: usize, addr: u32, mtu: i32, send: (dst: u32, proto: u8, len: i32) => bool,
  sendFrag: (dst: u32, proto: u8, len: i32, id: u16, frag: u16) => bool,
): void {
  txIpBase = ipBase;
  ipTxPayload = ipBase + <usize>ipHeaderBytes(FAMILY_V4);
  ipMtu = mtu;
  ipSendFn = send;
  ipSendFragFn = sendFrag;
  netifSetAddr4(addr);
}


// Broadcast and multicast for UDP and IGMP (set by iface at init): whether an address is one of
// our broadcast addresses (limited or subnet), and the interface's reference-counted group filter.
function noBcast(a: u32): bool { return a == 0xffffffff; }
function noGroup(g: u32): i32 { return -1; }
let isBroadcastFn: (a: u32) => bool = noBcast;
let groupJoinFn: (g: u32) => i32 = noGroup;
let groupLeaveFn: (g: u32) => i32 = noGroup;

/** Is `a` (host order) 255.255.255.255 or the subnet broadcast of our address? */
export function ipIsBroadcast(a: u32): bool { return isBroadcastFn(a); }
/** One more reference to IPv4 group `g` in the interface's filter: 0 or -Err (iface's ifaceJoinGroup). */
export function ipGroupJoin(g: u32): i32 { return groupJoinFn(g); }
/** One reference less: 0 or -Err (iface's ifaceLeaveGroup). */
export function ipGroupLeave(g: u32): i32 { return groupLeaveFn(g); }

/** Called by iface at init. */
export function netifSetupGroups(isBcast: (a: u32) => bool, join: (g: u32) => i32, leave: (g: u32) => i32): void {
  isBroadcastFn = isBcast;
  groupJoinFn = join;
  groupLeaveFn = leave;
}
