// The IPv6 network layer (RFC 8200) of the one interface: its address table with RFC 4862
// states, DAD and SLAAC; Neighbor Discovery (RFC 4861: NS/NA, the neighbor cache with NUD,
// router solicitation, router advertisements, the default router and prefix lists); ICMPv6
// (RFC 4443: echo, errors with rate limiting, packet too big recorded per destination); MLDv2
// reports for the solicited-node groups (RFC 3810, ip/mld.ts builds them); the output path.
//
// iface.ts hands it every 0x86DD frame (ip6Input) and runs its timers (ip6Poll); it sends frames
// itself (hostTx) in iface's tx buffer, and reaches iface's multicast MAC filter through the two
// function references ip6Init takes, so nothing here imports iface (imports point down).
//
// Memory (poolAlloc at init): Ip6Addrs address entries, Ip6Neighbors neighbor entries,
// Ip6Queue frames waiting for address resolution (a slot header + MTU + 14 bytes each). The
// default router list, on-link prefix list and path MTU table are small static arrays.
//
// Address table entry i is netif's address table entry LADDR_V6_FIRST + i while it is usable
// (preferred or deprecated); a tentative or duplicate address is not there, so TCP never
// matches it (RFC 4862 §5.4: a tentative address is not assigned).
import { count, Stat } from "../stats";
import { swap16 } from "../wire/be";
import { poolAlloc } from "../pool";
import { cfg, Cfg } from "../config";
import { hostTx, hostEvent } from "../host";
import { Err, EventKind } from "../errors";
import { netNow, netifSetup6, netifSetAddr6, LADDR_V6_FIRST, LOCAL_ADDRS, nearer } from "../netif";
import { addrIsZero, addrEq, addrCopy, addrIsV4 } from "./addr";
import { sipHash, sipKeyAt, randomU32 } from "../tcp/isn";
import { tcpAddressGone } from "../tcp/ifdown";
import { tcpInputAddr } from "../tcp/input";
import { udpInput6, udpIcmp6Error } from "../udp";
import { tcpIcmpError, ICMP_SOFT, ICMP_HARD, ICMP_TOO_BIG } from "../tcp/icmp";
import { ETH_HLEN, ethEmit, macStore } from "../wire/ethernet";
import {
  IPV6_HLEN, IPV6_MIN_MTU, ETHERTYPE_IPV6, NH_HOPOPTS, NH_DSTOPTS, NH_ROUTING, NH_FRAGMENT, NH_ICMPV6, NH_NONE,
  NH_TCP, NH_UDP, ipv6Parse, ipv6Emit, ip6HopLimit, a6IsMulticast, a6IsLinkLocal, a6IsLoopback, a6McastLinkScope,
  a6IsSolicitedFor, a6SolicitedNode, a6IsAllNodes, a6GroupMac, a6PrefixMatch,
} from "../wire/ipv6";
import {
  ICMP6_HLEN, ICMP6_DEST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, ICMP6_PARAM_PROBLEM, ICMP6_ECHO_REQUEST,
  ICMP6_ECHO_REPLY, MLD_QUERY, MLD1_REPORT, MLD1_DONE, MLD2_REPORT, ND_RS, ND_RA, ND_NS, ND_NA, ND_REDIRECT,
  UNREACH6_PORT, PARAM6_HEADER, PARAM6_NEXT_HEADER, PARAM6_OPTION, NDOPT_SLLA, NDOPT_TLLA, NA_ROUTER, NA_SOLICITED,
  NA_OVERRIDE, icmp6Parse, icmp6Finish, icmp6Type, icmp6Code, be16At, be32At, ndOptions, ndOpts, ndPrefixAt, ndMac,
  ndHas, NDOPTS_PREFIX_MAX, NdOpts, ndOptsAt,
} from "../wire/icmp6";
import { mldReportEmit, MLD_ALL_ROUTERS_V2 } from "./mld";
import { reasm6Init, reasm6On, reasm6Input, reasm6Expire, reasm6NextDeadline, reasm6RegionEnd, reasm6Len } from "./reasm6";
import { FEAT_FRAG6, FEAT_IP6_SHOULD } from "../features";
import { GROUPS6, GROUP_INDEX, GROUP_JOIN, GROUP_CONFIRM, ip6OpsSetup } from "./ip6ops";
import { mcastEvent } from "../igmp";

// ---------------------------------------------------------------------------
// constants (RFC 4861 §10, RFC 4862 §5, RFC 3810 §9)

const MAX_RTR_SOLICITATIONS: i32 = 3;
const MAX_RTR_SOLICITATION_DELAY: u32 = 1000;
const RTR_SOLICITATION_INTERVAL: u32 = 4000;
const MAX_MULTICAST_SOLICIT: u8 = 3;
const MAX_UNICAST_SOLICIT: u8 = 3;
const DELAY_FIRST_PROBE_TIME: u32 = 5000;
const REACHABLE_TIME: u32 = 30000;
const RETRANS_TIMER: u32 = 1000;
/** RFC 7217 §6: IDGEN_RETRIES. */
const IDGEN_RETRIES: u8 = 3;
/** RFC 4862 §5.5.3 (e): the two-hour rule. */
const TWO_HOURS_MS: u64 = 7200000;
/** RFC 3810 §9.11 Unsolicited Report Interval, §9.1 Robustness Variable. */
const MLD_URI_MS: u32 = 1000;
const MLD_ROBUSTNESS: u8 = 2;
/** Extension headers walked per packet at most (a bounded chain). */
export const IP6_EXT_MAX: i32 = 8;
/** ICMPv6 error rate limit (RFC 4443 §2.4 (f)): a bucket of this many, one back every REFILL ms. */
const ICMP6_BURST: u32 = 10;
const ICMP6_REFILL_MS: u32 = 100;
/** Path MTU entries expire after this long (RFC 8201 §4: no sooner than 5 minutes; 10 recommended). */
const PMTU_TIMEOUT_MS: u32 = 600000;
const DEFAULT_HOPS: u8 = 64;
const INF: u64 = 0xffffffffffffffff;
/** RFC 8200 §4.5 / RFC 7112 §5: parameter problem code 3, first fragment without the whole header chain. */
const PARAM6_INCOMPLETE_CHAIN: u8 = 3;
/** RFC 4443 §3.3 Time Exceeded code 1: fragment reassembly time exceeded. */
const TIME6_REASSEMBLY: u8 = 1;

// Address states (ip6AddrInfo's state): RFC 4862 §2
export const A6_FREE: u8 = 0;
export const A6_TENTATIVE: u8 = 1;
export const A6_PREFERRED: u8 = 2;
export const A6_DEPRECATED: u8 = 3;
export const A6_DUPLICATE: u8 = 4;
// Origins
export const A6_LINK_LOCAL: u8 = 1;
export const A6_SLAAC: u8 = 2;
export const A6_STATIC: u8 = 3;
// Neighbor states (RFC 4861 §7.3.2)
export const NB_FREE: u8 = 0;
export const NB_INCOMPLETE: u8 = 1;
export const NB_REACHABLE: u8 = 2;
export const NB_STALE: u8 = 3;
export const NB_DELAY: u8 = 4;
export const NB_PROBE: u8 = 5;
// Ip6Flags bits
export const IP6F_EUI64: u32 = 1;      // interface identifiers from the MAC (RFC 4291 App. A) instead of RFC 7217
export const IP6F_NO_SLAAC: u32 = 2;   // ignore the A flag of prefix information
export const IP6F_NO_RS: u32 = 4;      // send no router solicitations
export const IP6F_START_DELAY: u32 = 8; // a random delay before the first DAD NS / RS (RFC 4862 §5.4.2, RFC 4861 §6.3.7 SHOULDs)

@unmanaged class A6 {
  a0: u64; a1: u64;       // the address
  validUntil: u64;        // ms on clk (INF: infinite)
  prefUntil: u64;
  timer: u64;             // DAD: the next NS or the end of DAD
  state: u8; origin: u8; plen: u8; dadLeft: u8;
  dadCount: u8; mldLeft: u8; stable: u8; _p: u8;
}

@unmanaged class Nb {
  a0: u64; a1: u64;
  mac: u64;
  deadline: u32;          // INCOMPLETE/PROBE: next solicitation; REACHABLE: -> STALE; DELAY: -> PROBE
  state: u8; probes: u8; router: u8; _p: u8;
}

@unmanaged class Q6 {
  used: u32; nb: i32; len: i32; seq: u32;
}

@unmanaged class Rtr { a0: u64; a1: u64; until: u64; }
@unmanaged class Pfx { a0: u64; a1: u64; until: u64; plen: u32; _p: u32; }
@unmanaged class Pmtu { a0: u64; a1: u64; mtu: u32; until: u32; }
/** A group joined for UDP sockets: the address, the sockets' references, reports left to send (RFC 3810 §6.1). */
@unmanaged class G6 { a0: u64; a1: u64; refs: u32; mldLeft: u32; }

const ROUTERS: i32 = 2;
const PREFIXES: i32 = 4;
const PMTUS: i32 = 4;
/** RFC 4861 §8.3 Redirects kept (the destination cache's overrides: destination, then its first hop). */
const REDIRECTS: i32 = 2;
/** RFC 8106 §5.3.1: at least three recursive DNS servers kept (entries like Rtr: address, until). */
const RDNSS_N: i32 = 3;
const NDOPT_RDNSS: u8 = 25;
/** IPv6 DNS servers the host sets (ip6SetDns), like iface's DNS_MAX IPv4 ones; :: = unset. */
export const DNS6_STATIC: i32 = 3;
// The small tables and scratch live in the pool (one block reserved at init, inside the
// interface's region), so that input and timers write nowhere but pools and counters.
const SMALL_BYTES: usize = <usize>(ROUTERS * 24 + PREFIXES * 32 + PMTUS * 24 + RDNSS_N * 24 + DNS6_STATIC * 16 + GROUPS6 * 24 + 32 + (FEAT_IP6_SHOULD ? REDIRECTS * 32 : 0));
let routers: usize = 0;
let prefixes: usize = 0;
let pmtus: usize = 0;
let rdnss: usize = 0;
let dnsStatic: usize = 0;
let groups: usize = 0;
let redirects: usize = 0;
let redirectNext: i32 = 0;
/** 16-byte scratch addresses. */
let tmpA: usize = 0;
let tmpB: usize = 0;
/** ip6SendGather's copy of the destination (the scratch addresses are rewritten by resolution). */
let fragDst: usize = 0;
const allNodes: usize = memory.data<u8>([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const allRouters: usize = memory.data<u8>([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
const unspecified: usize = memory.data(16, 8);

let enabled = false;
let started = false;
let flags: u32 = 0;
let txBuf: usize = 0;
let myMac: u64 = 0;
let ifMtu: i32 = 1500;
let linkMtu: i32 = 1500;
let addrs: usize = 0;
let addrCount: i32 = 0;
let nbs: usize = 0;
let nbCount: i32 = 0;
let queue: usize = 0;
let queueCount: i32 = 0;
let slotSize: usize = 0;
let queueSeq: u32 = 0;
let dadTransmits: u8 = 1;
let secret: u32 = 0;
let curHops: u8 = DEFAULT_HOPS;
let baseReachable: u32 = REACHABLE_TIME;
let reachable: u32 = REACHABLE_TIME;
let retrans: u32 = RETRANS_TIMER;
let rsLeft: i32 = 0;
/** The random start delay was taken (once after start: RFC 4861 §6.3.7 needs no second one before the RS). */
let delayed = false;
let rsAt: u32 = 0;
let mldAt: u32 = 0;           // next unsolicited report retransmission (mldPending != 0)
let mldPending: bool = false;
let mldQueryAt: u32 = 0;      // response to a query due (mldQueryDue)
let mldQueryDue: bool = false;
let icmpTokens: u32 = ICMP6_BURST;
let icmpRefillAt: u32 = 0;
let clk: u64 = 0;
let lastNow: u32 = 0;

let joinMac: (mac: u64) => i32 = noMac;
let leaveMac: (mac: u64) => i32 = noMac;
function noMac(mac: u64): i32 { return -1; }

@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }

/** Advance the 64-bit ms clock (lifetimes) from netNow. */
function tick(): void {
  let d = netNow - lastNow;
  if (<i32>d > 0) clk += <u64>d;
  lastNow = netNow;
}

@inline function addr(i: i32): A6 { return changetype<A6>(addrs + <usize>i * offsetof<A6>()); }
@inline function nb(i: i32): Nb { return changetype<Nb>(nbs + <usize>i * offsetof<Nb>()); }
@inline function slot(i: i32): Q6 { return changetype<Q6>(queue + <usize>i * slotSize); }
@inline function rtr(i: i32): Rtr { return changetype<Rtr>(routers + <usize>i * 24); }
@inline function pfx(i: i32): Pfx { return changetype<Pfx>(prefixes + <usize>i * 32); }
@inline function dns(i: i32): Rtr { return changetype<Rtr>(rdnss + <usize>i * 24); }
@inline function group(i: i32): G6 { return changetype<G6>(groups + <usize>i * 24); }
/** Redirect entry i: the destination's 16 bytes, then its first hop's (all zero: unused). */
@inline function redirect(i: i32): usize { return redirects + (<usize>i << 5); }
@inline function pmtu(i: i32): Pmtu { return changetype<Pmtu>(pmtus + <usize>i * 24); }
@inline function ptrOf<T>(x: T): usize { return changetype<usize>(x); }

// ---------------------------------------------------------------------------
// init

/**
 * Called by iface at init: the tx frame buffer, our MAC, the interface MTU and the multicast
 * filter. False (init fails) on a bad configuration or out of memory.
 */
export function ip6Init(tx: usize, mac: u64, mtu: i32, join: (mac: u64) => i32, leave: (mac: u64) => i32): bool {
  enabled = cfg(Cfg.Ip6Enable) != 0;
  if (!enabled) return true;
  flags = cfg(Cfg.Ip6Flags);
  let dt = cfg(Cfg.Ip6DadTransmits);
  addrCount = <i32>cfg(Cfg.Ip6Addrs);
  nbCount = <i32>cfg(Cfg.Ip6Neighbors);
  queueCount = <i32>cfg(Cfg.Ip6Queue);
  if (dt > 10 || addrCount < 1 || addrCount > LOCAL_ADDRS - LADDR_V6_FIRST || nbCount < 1 || nbCount > 256 ||
      queueCount > 64 || mtu < IPV6_MIN_MTU) return false;
  dadTransmits = <u8>dt;
  secret = cfg(Cfg.Ip6Secret);
  txBuf = tx; myMac = mac; ifMtu = mtu; linkMtu = mtu;
  joinMac = join; leaveMac = leave;
  let small = poolAlloc(SMALL_BYTES + offsetof<NdOpts>());
  addrs = poolAlloc(<usize>addrCount * offsetof<A6>());
  nbs = poolAlloc(<usize>nbCount * offsetof<Nb>());
  slotSize = (offsetof<Q6>() + <usize>(mtu + ETH_HLEN) + 15) & ~<usize>15;
  if (small == 0 || addrs == 0 || nbs == 0) return false;
  routers = small;
  prefixes = routers + <usize>(ROUTERS * 24);
  pmtus = prefixes + <usize>(PREFIXES * 32);
  rdnss = pmtus + <usize>(PMTUS * 24);
  dnsStatic = rdnss + <usize>(RDNSS_N * 24);
  groups = dnsStatic + <usize>(DNS6_STATIC * 16);
  tmpA = groups + <usize>(GROUPS6 * 24);
  tmpB = tmpA + 16;
  redirects = tmpB + 16;
  ndOptsAt(redirects + (FEAT_IP6_SHOULD ? <usize>(REDIRECTS * 32) : 0));
  if (queueCount > 0) {
    queue = poolAlloc(<usize>queueCount * slotSize);
    if (queue == 0) return false;
  }
  if (FEAT_FRAG6) {
    fragDst = poolAlloc(16);
    if (fragDst == 0 || !reasm6Init()) return false;
  }
  netifSetup6(ip6Output, ip6Select, ip6PathMtu);
  ip6OpsSetup(gatherOp, groupOp);
  return true;
}

/** End of IPv6's pools (0 when off). */
export function ip6RegionEnd(): usize {
  if (!enabled) return 0;
  let end = queueCount > 0 ? queue + <usize>queueCount * slotSize : nbs + <usize>nbCount * offsetof<Nb>();
  if (FEAT_FRAG6 && reasm6RegionEnd() > end) end = reasm6RegionEnd();
  if (FEAT_FRAG6 && fragDst + 16 > end) end = fragDst + 16;
  return end;
}

/**
 * Start IPv6 (abi.ts, after every init: the keyed hash is ready): join all-nodes, form the
 * link-local address and start its DAD; router solicitation follows it.
 */
export function ip6Start(): void {
  if (!enabled || started) return;
  started = true;
  tick();
  filterJoin(a6GroupMac(allNodes)); // RFC 4861 §7.2.1 / RFC 4291 §2.8: ff02::1
  reachable = randomReachable();
  store<u64>(tmpA, 0x80fe); // fe80::/64
  store<u64>(tmpA, 0, 8);
  rsLeft = (flags & IP6F_NO_RS) != 0 ? 0 : MAX_RTR_SOLICITATIONS;
  rsAt = netNow; // sent once the link-local address is usable (or has failed; addrUsable may delay it)
  let i = addrNew(tmpA, 64, A6_LINK_LOCAL, INF, INF);
  if (i >= 0) addrStartDad(i);
}

/**
 * The random delay (0..MAX_RTR_SOLICITATION_DELAY ms, the stack's PRNG) before the first message
 * after start, whichever it is: the first DAD NS and its group join (RFC 4862 §5.4.2) or, without
 * DAD, the first RS (RFC 4861 §6.3.7). 0 after the first call, or without IP6F_START_DELAY.
 */
function startDelay(): u32 {
  if (!FEAT_IP6_SHOULD || delayed) return 0;
  delayed = true;
  if ((flags & IP6F_START_DELAY) == 0) return 0;
  return <u32>((<u64>randomU32() * <u64>(MAX_RTR_SOLICITATION_DELAY + 1)) >> 32);
}

/** RFC 4861 §6.3.2: ReachableTime = BaseReachableTime x a random factor in [0.5, 1.5). */
function randomReachable(): u32 {
  return baseReachable / 2 + <u32>((<u64>randomU32() * <u64>baseReachable) >> 32);
}

// ---------------------------------------------------------------------------
// addresses (RFC 4862)

/**
 * The 64-bit interface identifier (network order in a little-endian u64 load) for `prefix`:
 * RFC 7217 F(prefix, MAC, DAD counter, secret) from the module's SipHash key, or EUI-64.
 */
function iid(prefix: u64, dadCount: u8): u64 {
  if ((flags & IP6F_EUI64) != 0) {
    // RFC 4291 Appendix A: MAC with ff:fe inserted and the universal/local bit inverted
    let m = myMac ^ 0x020000000000;
    let e: u64 = ((m >> 24) << 40) | (<u64>0xfffe << 24) | (m & 0xffffff);
    return bswap<u64>(e);
  }
  let m0 = prefix ^ (<u64>secret << 32), m1 = myMac | (<u64>dadCount << 48) | (<u64>0x72 << 56);
  sipKeyAt = keyed ? secretKey : 0;
  let h = sipHash(m0, m1);
  sipKeyAt = 0;
  return h;
}

/** RFC 7217 §5 secret_key set by ip6SetSecret; unset (all zero), the module's per-boot SipHash key. */
const secretKey: usize = memory.data(16, 8);
let keyed = false;

/**
 * ABI ip6SetSecret: the 16 bytes at `k` become RFC 7217's secret_key (all zero: back to the
 * module's key from the host's entropy, new at every start). Kept across reboots by the host, it
 * gives the device the same stable addresses on every boot. Set before init (ip6Start forms the
 * link-local address from it); set later it applies to the identifiers formed afterwards (new
 * SLAAC prefixes, DAD retries): existing addresses keep theirs. Always 0.
 */
export function ip6SetSecret(k: usize): i32 {
  memory.copy(secretKey, k, 16);
  keyed = !addrIsZero(secretKey);
  return 0;
}

/** A new entry for `prefix`'s first plen bits (at a) + an interface identifier; -1 (counted) when full. */
function addrNew(a: usize, plen: u8, origin: u8, valid: u64, pref: u64): i32 {
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.state != A6_FREE) continue;
    e.a0 = load<u64>(a);
    e.a1 = origin == A6_STATIC ? load<u64>(a, 8) : iid(load<u64>(a), 0);
    e.plen = plen; e.origin = origin; e.validUntil = valid; e.prefUntil = pref;
    e.dadCount = 0; e.stable = origin != A6_STATIC && (flags & IP6F_EUI64) == 0 ? 1 : 0;
    e.state = A6_TENTATIVE;
    return i;
  }
  count(Stat.Ip6AddrTableFull);
  return -1;
}

/** Index of our address (any state but free) equal to `a`, or -1. */
function addrFind(a: usize): i32 {
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.state != A6_FREE && e.a0 == load<u64>(a) && e.a1 == load<u64>(a, 8)) return i;
  }
  return -1;
}

@inline function usable(st: u8): bool { return st == A6_PREFERRED || st == A6_DEPRECATED; }

function addrEvent(i: i32, st: u8): void { hostEvent(-1, EventKind.Ip6AddrState, (i << 8) | <i32>st); }

/** Does another entry (than `i`, in a state that joined it) share address i's solicited-node group? */
function groupShared(i: i32): bool {
  let e = addr(i);
  for (let j = 0; j < addrCount; j++) {
    if (j == i) continue;
    let f = addr(j);
    if (f.state != A6_FREE && f.state != A6_DUPLICATE && (f.a1 >> 40) == (e.a1 >> 40)) return true;
  }
  return false;
}

/** A reference to group MAC `mac` in the interface's filter, with its McastFilter event (igmp.ts). */
function filterJoin(mac: u64): i32 {
  let r = joinMac(mac);
  if (r >= 0) mcastEvent(<u32>(mac >> 32), <u32>mac, true);
  return r;
}

function filterLeave(mac: u64): void {
  if (leaveMac(mac) >= 0) mcastEvent(<u32>(mac >> 32), <u32>mac, false);
}

/** Join address i's solicited-node group (MAC filter + MLDv2 report: RFC 4862 §5.4.2) and send DAD. */
function addrStartDad(i: i32): void {
  let e = addr(i);
  a6SolicitedNode(tmpB, ptrOf(e));
  let fresh = !groupShared(i);
  filterJoin(a6GroupMac(tmpB));
  e.state = A6_TENTATIVE;
  addrEvent(i, A6_TENTATIVE);
  e.dadLeft = dadTransmits;
  let d: u32 = FEAT_IP6_SHOULD && dadTransmits != 0 ? startDelay() : 0; // RFC 4862 §5.4.2: the join and the NS wait for it
  e.timer = clk + <u64>d;
  if (fresh) { e.mldLeft = MLD_ROBUSTNESS; mldSoon(d); }
  if (dadTransmits == 0) addrUsable(i);
  else if (d == 0) dadStep(i);
}

/** Send the next DAD NS of address i, or finish DAD when none is left (RFC 4862 §5.4.2/§5.4.3). */
function dadStep(i: i32): void {
  let e = addr(i);
  if (e.dadLeft == 0) { addrUsable(i); return; }
  e.dadLeft--;
  e.timer = clk + <u64>retrans;
  count(Stat.Ip6DadNsTx);
  sendNs(ptrOf(e), unspecified);
}

/** DAD passed: the address is assigned (preferred, or deprecated when its preferred lifetime is over). */
function addrUsable(i: i32): void {
  let e = addr(i);
  e.state = e.prefUntil <= clk ? A6_DEPRECATED : A6_PREFERRED;
  netifSetAddr6(LADDR_V6_FIRST + i, ptrOf(e));
  addrEvent(i, e.state);
  // RFC 4861 §6.3.7: solicit routers once the link-local address can be the source
  if (e.origin == A6_LINK_LOCAL && rsLeft > 0) rsAt = netNow + (FEAT_IP6_SHOULD ? startDelay() : 0);
}

/**
 * Address i leaves its solicited-node group: the MAC filter drops a reference and, when no other
 * address shares the group, MLDv2 state change reports say so (mldLeave).
 */
function groupLeave(i: i32): void {
  let e = addr(i);
  a6SolicitedNode(tmpB, ptrOf(e));
  filterLeave(a6GroupMac(tmpB));
  e.mldLeft = 0;
  if (!groupShared(i)) mldLeave(tmpB);
}

/** Another node has address i (RFC 4862 §5.4.5): never used; RFC 7217 §6 tries another identifier. */
function dadFailed(i: i32): void {
  let e = addr(i);
  count(Stat.Ip6DadConflicts);
  hostEvent(-1, EventKind.Ip6DadFailed, i);
  groupLeave(i);
  if (e.stable != 0 && e.dadCount < IDGEN_RETRIES) {
    e.dadCount++;
    e.a1 = iid(e.a0, e.dadCount);
    addrStartDad(i);
    return;
  }
  e.state = A6_DUPLICATE;
  e.mldLeft = 0;
  addrEvent(i, A6_DUPLICATE);
  if (e.origin == A6_LINK_LOCAL && rsLeft > 0) rsAt = netNow + (FEAT_IP6_SHOULD ? startDelay() : 0); // solicit from ::
}

/** Forget address i: connections on it end (EADDRNOTAVAIL), its group is left. */
function addrRemove(i: i32): void {
  let e = addr(i);
  if (usable(e.state)) {
    tcpAddressGone(LADDR_V6_FIRST + i);
    netifSetAddr6(LADDR_V6_FIRST + i, 0);
  }
  if (e.state != A6_DUPLICATE) groupLeave(i);
  e.state = A6_FREE;
  e.mldLeft = 0;
  addrEvent(i, A6_FREE);
}

/** ABI ip6AddrAdd: a static address (16 bytes at `a`) with its prefix length; its index or -Err. */
export function ip6AddrAdd(a: usize, plen: i32): i32 {
  if (!enabled) return -Err.ENOSYS;
  tick();
  if (plen < 1 || plen > 128 || addrIsZero(a) || a6IsMulticast(a) || a6IsLoopback(a) || addrIsV4(a)) return -Err.EINVAL;
  if (addrFind(a) >= 0) return -Err.EADDRINUSE;
  let i = addrNew(a, <u8>plen, A6_STATIC, INF, INF);
  if (i < 0) return -Err.ENOMEM;
  addrStartDad(i);
  return i;
}

/** ABI ip6AddrDel: remove our address equal to the 16 bytes at `a`; 0 or -EINVAL. */
export function ip6AddrDel(a: usize): i32 {
  if (!enabled) return -Err.ENOSYS;
  tick();
  let i = addrFind(a);
  if (i < 0) return -Err.EINVAL;
  addrRemove(i);
  return 0;
}

@inline function secsLeft(until: u64): u32 {
  return until == INF ? 0xffffffff : until <= clk ? 0 : <u32>((until - clk) / 1000);
}

/** ABI ip6AddrInfo: entry `i`'s fields at `out` (Ip6AddrInfoField); -EINVAL past the table. */
export function ip6AddrInfoWrite(i: i32, out: usize): i32 {
  if (!enabled) return -Err.ENOSYS;
  if (i < 0 || i >= addrCount) return -Err.EINVAL;
  tick();
  let e = addr(i);
  store<u32>(out, e.state);
  store<u32>(out, e.origin, 4);
  store<u32>(out, e.plen, 8);
  store<u32>(out, secsLeft(e.validUntil), 12);
  store<u32>(out, secsLeft(e.prefUntil), 16);
  store<u32>(out, e.dadCount, 20);
  storeWords(out + 24, ptrOf(e));
  return 0;
}

/** An address as the info layouts' four big-endian u32 words (addr0..addr3) at out. */
function storeWords(out: usize, a: usize): void {
  for (let k: usize = 0; k < 16; k += 4) store<u32>(out + k, bswap<u32>(load<u32>(a + k)));
}

/** ABI ip6NeighborInfo: neighbor entry `i` at `out` (Ip6NeighborField); -EINVAL past the cache. */
export function ip6NeighborInfoWrite(i: i32, out: usize): i32 {
  if (!enabled) return -Err.ENOSYS;
  if (i < 0 || i >= nbCount) return -Err.EINVAL;
  let n = nb(i);
  store<u32>(out, n.state);
  store<u32>(out, <u32>(n.mac >> 32), 4);
  store<u32>(out, <u32>n.mac, 8);
  store<u32>(out, n.router, 12);
  store<u32>(out, n.probes, 16);
  store<u32>(out, queuedFor(i), 20);
  storeWords(out + 24, ptrOf(n));
  return 0;
}

/** ABI ip6Info: the layer's parameters (Ip6InfoField). */
export function ip6InfoWrite(out: usize): i32 {
  if (!enabled) return -Err.ENOSYS;
  tick();
  store<u32>(out, addrCount);
  store<u32>(out, nbCount, 4);
  store<u32>(out, <u32>linkMtu, 8);
  store<u32>(out, curHops, 12);
  store<u32>(out, baseReachable, 16);
  store<u32>(out, reachable, 20);
  store<u32>(out, retrans, 24);
  let nr: u32 = 0;
  for (let i = 0; i < ROUTERS; i++) if (rtr(i).until > clk) nr++;
  store<u32>(out, nr, 28);
  let np: u32 = 0;
  for (let i = 0; i < PREFIXES; i++) if (pfx(i).until > clk) np++;
  store<u32>(out, np, 32);
  store<u32>(out, <u32>rsLeft, 36);
  store<u32>(out, <u32>RDNSS_N, 40);
  return 0;
}

/** ABI ip6DnsServerInfo: RDNSS entry `i` at `out` (Ip6DnsServerInfoField); -EINVAL past the table. */
export function ip6DnsServerInfoWrite(i: i32, out: usize): i32 {
  if (!enabled) return -Err.ENOSYS;
  if (i < 0 || i >= RDNSS_N) return -Err.EINVAL;
  tick();
  let d = dns(i);
  let live = d.until > clk;
  store<u32>(out, live ? 1 : 0);
  store<u32>(out, live ? secsLeft(d.until) : 0, 4);
  storeWords(out + 8, live ? ptrOf(d) : unspecified);
  return 0;
}

/**
 * ABI ip6SetDns: IPv6 DNS server `index` (0..DNS6_STATIC-1) = the 16 bytes at `a` (:: clears it).
 * The resolver asks these after iface's IPv4 servers and before the RDNSS ones. 0, -EINVAL
 * (index; a multicast, loopback or IPv4-mapped address: IPv4 servers go through ifaceSetDns).
 */
export function ip6SetDns(index: i32, a: usize): i32 {
  if (!enabled) return -Err.ENOSYS;
  if (<u32>index >= <u32>DNS6_STATIC || a6IsMulticast(a) || a6IsLoopback(a) || (addrIsV4(a) && !addrIsZero(a))) return -Err.EINVAL;
  let p = dnsStatic + (<usize>index << 4);
  if (addrEq(p, a)) return 0;
  addrCopy(p, a);
  hostEvent(-1, <i32>EventKind.AddressChanged, 4); // the DNS bit (iface.ts IFACE_CHANGED_DNS)
  return 0;
}

/**
 * ip6DnsServer: IPv6 DNS server number `n` copied to `out` (16 bytes): the ones set by ip6SetDns
 * first, then the live RDNSS entries (RFC 8106) that are not among them; false past the last.
 * The resolver's rotation (services/dns.ts).
 */
export function ip6DnsServer(n: i32, out: usize): bool {
  if (!enabled) return false;
  tick();
  for (let i = 0; i < DNS6_STATIC; i++) {
    let p = dnsStatic + (<usize>i << 4);
    if (!addrIsZero(p) && n-- == 0) { addrCopy(out, p); return true; }
  }
  for (let i = 0; i < RDNSS_N; i++) {
    let d = dns(i);
    if (d.until <= clk || staticDns(ptrOf(d))) continue;
    if (n-- == 0) { addrCopy(out, ptrOf(d)); return true; }
  }
  return false;
}

function staticDns(a: usize): bool {
  for (let i = 0; i < DNS6_STATIC; i++) if (addrEq(dnsStatic + (<usize>i << 4), a)) return true;
  return false;
}

/** ABI ip6PathMtu: the path MTU towards the 16 bytes at `dst` (the link MTU without a record). */
export function ip6PathMtu(dst: usize): i32 {
  if (!enabled) return -Err.ENOSYS;
  for (let i = 0; i < PMTUS; i++) {
    let m = pmtu(i);
    if (m.mtu != 0 && before(netNow, m.until) && m.a0 == load<u64>(dst) && m.a1 == load<u64>(dst, 8)) {
      return <i32>m.mtu < linkMtu ? <i32>m.mtu : linkMtu;
    }
  }
  return linkMtu;
}

/**
 * RFC 6724 §5 basics: for a link-local (or link-scope multicast) destination our link-local
 * address; otherwise a preferred global (rule 3), the longest match (rule 8), then a deprecated
 * one, then link-local. `dst` 0: no destination yet. Returns a netif table index or -1.
 */
export function ip6Select(dst: usize): i32 {
  let wantLL = dst != 0 && (a6IsLinkLocal(dst) || (a6IsMulticast(dst) && a6McastLinkScope(dst)));
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (!usable(e.state)) continue;
    let ll = e.origin == A6_LINK_LOCAL || a6IsLinkLocal(ptrOf(e));
    let score: i32;
    if (wantLL) score = ll ? (e.state == A6_PREFERRED ? 300 : 200) : -1;
    else {
      score = ll ? 100 : e.state == A6_PREFERRED ? 300 : 200;
      if (!ll && dst != 0) score += commonBits(ptrOf(e), dst) >> 1; // rule 8 within a class (at most +64)
    }
    if (score > bestScore) { bestScore = score; best = i; }
  }
  return best < 0 ? -1 : LADDR_V6_FIRST + best;
}

function commonBits(a: usize, b: usize): i32 {
  let n = 0;
  while (n < 128 && a6PrefixMatch(a, b, n + 1)) n++;
  return n;
}

// ---------------------------------------------------------------------------
// output

/**
 * Send `len` bytes already at the IPv6 payload position (tx + 54) from `src` (16 bytes; 0 =
 * select by RFC 6724) to `dst` as next header `nh` (netif's ip6SendFn). False (counted) when
 * there is no source, no route, or the payload is over the link MTU.
 */
export function ip6Output(src: usize, dst: usize, nh: u8, len: i32): bool {
  if (!enabled || txBuf == 0) return false;
  tick();
  if (src == 0 && (src = sourceFor(dst)) == 0) return false;
  return emit(src, dst, nh, len, a6IsMulticast(dst) ? 1 : curHops);
}

/** RFC 6724 source for `dst` (ip6Select): our address's 16 bytes, or 0 (counted) when there is none. */
function sourceFor(dst: usize): usize {
  let idx = ip6Select(dst);
  if (idx < 0) { count(Stat.Ipv6NoSource); return 0; }
  return ptrOf(addr(idx - LADDR_V6_FIRST));
}

/** Copy bytes [off, off + n) of head (headLen bytes) followed by body to `out`. */
function gather(out: usize, head: usize, headLen: i32, body: usize, off: i32, n: i32): void {
  let h = 0;
  if (off < headLen) {
    h = headLen - off < n ? headLen - off : n;
    memory.copy(out, head + <usize>off, <usize>h);
  }
  if (n > h) memory.copy(out + <usize>h, body + <usize>(off + h - headLen), <usize>(n - h));
}

/**
 * Send head (headLen bytes, e.g. a transport header with its checksum done) followed by body
 * (bodyLen bytes) as the payload of one IPv6 packet next header `nh` from `src` (16 bytes; 0 =
 * select by RFC 6724) to `dst`: whole when it fits the path MTU (ip6PathMtu), else as fragments
 * (RFC 8200 §4.5: each fragmentable part but the last a multiple of 8 bytes, M set on all but
 * the last, one random identification, RFC 7739). head and body may lie in the tx frame's
 * payload area (at tx + 54) only when the whole fits. False (counted) when there is no source or
 * route, the payload is over 65,527 bytes (or the path MTU without WT_FRAG), or a fragment could
 * not be sent (fragments already sent are not recalled).
 */
export function ip6SendGather(src: usize, dst: usize, nh: u8, head: usize, headLen: i32, body: usize, bodyLen: i32): bool {
  if (!enabled || txBuf == 0) return false;
  tick();
  if (src == 0 && (src = sourceFor(dst)) == 0) return false;
  let hops: u8 = a6IsMulticast(dst) ? 1 : curHops;
  let total = headLen + bodyLen;
  let pay = icmpOut();
  let mtu = a6IsMulticast(dst) ? linkMtu : ip6PathMtu(dst);
  if (total <= mtu - IPV6_HLEN) {
    if (bodyLen > 0) memory.copy(pay + <usize>headLen, body, <usize>bodyLen); // body first: it may overlap the frame
    memory.copy(pay, head, <usize>headLen);
    return emit(src, dst, nh, total, hops);
  }
  if (!FEAT_FRAG6 || total > 65535 - 8) { count(Stat.Ipv6TooBig); return false; }
  addrCopy(fragDst, dst);
  let chunk = (mtu - IPV6_HLEN - 8) & ~7;
  if (!a6IsMulticast(dst) && !queueRoom(dst, (total + chunk - 1) / chunk)) return false;
  let id = randomU32();
  let off = 0;
  while (off < total) {
    let n = total - off;
    let more = n > chunk;
    if (more) n = chunk;
    store<u8>(pay, nh);
    store<u8>(pay, 0, 1);
    store<u16>(pay, <u16>swap16(<u32>(off | (more ? 1 : 0))), 2);
    store<u32>(pay, id, 4);
    gather(pay + 8, head, headLen, body, off, n);
    if (!emit(src, fragDst, NH_FRAGMENT, 8 + n, hops)) return false;
    count(Stat.Ipv6FragTx);
    off += n;
  }
  return true;
}

/** ip6SendGather for ip/ip6ops.ts: 0, -EAGAIN (refused by queueRoom), -EHOSTUNREACH. */
function gatherOp(src: usize, dst: usize, nh: u8, head: usize, headLen: i32, body: usize, bodyLen: i32): i32 {
  noRoom = false;
  if (ip6SendGather(src, dst, nh, head, headLen, body, bodyLen)) return 0;
  return noRoom ? -Err.EAGAIN : -Err.EHOSTUNREACH;
}

/** Set when queueRoom refused a datagram (gatherOp's -EAGAIN). */
let noRoom = false;

/**
 * The `n` fragments of one datagram to unicast `dst` either all wait for its next hop's address
 * resolution or none is sent: a fragment replaced in the queue (RFC 4861 §7.2.2) would lose the
 * whole datagram silently. False (counted, noRoom) when the queue (Ip6Queue slots, at most 3 per
 * neighbor) cannot hold them; resolution starts anyway so that a retry can pass.
 */
function queueRoom(dst: usize, n: i32): bool {
  if (!nextHop(dst)) return true; // emit counts the missing route
  let i = nbFind(tmpA);
  if (i >= 0 && nb(i).state != NB_INCOMPLETE) return true;
  let free = 0;
  for (let k = 0; k < queueCount; k++) if (slot(k).used == 0) free++;
  let held = i >= 0 ? <i32>queuedFor(i) : 0;
  if (n <= free && held + n <= 3) return true;
  count(Stat.Ipv6FragNoQueue);
  noRoom = true;
  if (i < 0) i = nbPending();
  if (nb(i).probes == 0) nbSolicit(i);
  return false;
}

/** RFC 4861 §5.2 next-hop determination into tmpA: on-link destinations directly, else the default router; false (counted) without one. */
function nextHop(dst: usize): bool {
  let hop = dst;
  let k = FEAT_IP6_SHOULD ? redirectFind(dst) : -1;
  if (k >= 0) hop = redirect(k) + 16; // §8.3: a redirect's first hop (the destination itself when on-link)
  else if (!onLink(hop)) {
    let r = defaultRouter();
    if (r < 0) { count(Stat.Ipv6NoRoute); return false; }
    hop = ptrOf(rtr(r));
  }
  addrCopy(tmpA, hop);
  return true;
}

/** The redirect entry for destination `dst`, or -1. */
function redirectFind(dst: usize): i32 {
  for (let i = 0; i < REDIRECTS; i++) if (addrEq(redirect(i), dst)) return i;
  return -1;
}

/**
 * RFC 4861 §7.3.1: forward progress (TCP: the peer at `dst` acknowledged new data) confirms the
 * first hop towards it: its entry (not INCOMPLETE) becomes REACHABLE for ReachableTime, so NUD
 * sends no probes. On TCP's ACK path: nothing is looked up while the entry confirmed last for the
 * same destination is REACHABLE with more than half its time left.
 */
function nbConfirm(dst: usize): void {
  if (confirmNb >= 0 && load<u64>(dst) == confirmD0 && load<u64>(dst, 8) == confirmD1) {
    let c = nb(confirmNb);
    if (c.state == NB_REACHABLE && before(netNow + (reachable >> 1), c.deadline)) return;
  }
  tick();
  if (!nextHop(dst)) return;
  let i = nbFind(tmpA);
  if (i < 0 || nb(i).state == NB_INCOMPLETE) return;
  let e = nb(i);
  e.state = NB_REACHABLE; e.deadline = netNow + reachable; e.probes = 0;
  confirmNb = i; confirmD0 = load<u64>(dst); confirmD1 = load<u64>(dst, 8);
}
let confirmNb: i32 = -1;
let confirmD0: u64 = 0;
let confirmD1: u64 = 0;

/** A new INCOMPLETE neighbor entry for tmpA (no solicitation sent yet). */
function nbPending(): i32 {
  let n = nbAllocate();
  let e = nb(n);
  addrCopy(ptrOf(e), tmpA);
  e.mac = 0; e.router = 0;
  e.state = NB_INCOMPLETE;
  e.probes = 0;
  e.deadline = netNow;
  return n;
}

/** Build the header and frame around the payload at tx + 54 and send it (resolving the next hop). */
function emit(src: usize, dst: usize, nh: u8, len: i32, hops: u8): bool {
  if (<u32>len > <u32>(linkMtu - IPV6_HLEN)) { count(Stat.Ipv6TooBig); return false; }
  if (a6IsMulticast(dst)) { emitMulticast(src, dst, nh, len, hops); return true; }
  let ip = txBuf + <usize>ETH_HLEN;
  ipv6Emit(ip, src, dst, nh, len, hops);
  let frameLen = ETH_HLEN + IPV6_HLEN + len;
  if (!nextHop(ip + 24)) return false;
  ethEmit(txBuf, 0, myMac, ETHERTYPE_IPV6);
  count(Stat.Ipv6Tx);
  let n = nbFind(tmpA);
  if (n >= 0 && nb(n).state != NB_INCOMPLETE) {
    let e = nb(n);
    if (e.state == NB_STALE) { e.state = NB_DELAY; e.deadline = netNow + DELAY_FIRST_PROBE_TIME; } // §7.3.3
    macStore(txBuf, e.mac);
    transmit(txBuf, frameLen);
    return true;
  }
  if (n < 0) n = nbPending();
  let queued = enqueue(n, txBuf, frameLen);
  let e = nb(n);
  if (e.probes == 0) nbSolicit(n); // §7.2.2: the first multicast NS now (overwrites tx: the frame is queued)
  return queued;
}

/**
 * Send to multicast `dst` (no neighbor resolution: the group's MAC, RFC 2464 §7). A leaf below
 * emit: the NS that resolution sends comes here, so emit -> nbSolicit -> sendNs never reaches
 * emit again (no call cycle: wasm2c needs no call-depth counter for the MCU module).
 */
function emitMulticast(src: usize, dst: usize, nh: u8, len: i32, hops: u8): void {
  emitMac(src, dst, nh, len, hops, a6GroupMac(dst));
}

/** Build the header and frame around the payload at tx + 54 and send it to link address `mac` (a leaf, as emitMulticast). */
function emitMac(src: usize, dst: usize, nh: u8, len: i32, hops: u8, mac: u64): void {
  ipv6Emit(txBuf + <usize>ETH_HLEN, src, dst, nh, len, hops);
  ethEmit(txBuf, mac, myMac, ETHERTYPE_IPV6);
  count(Stat.Ipv6Tx);
  transmit(txBuf, ETH_HLEN + IPV6_HLEN + len);
}

function transmit(f: usize, len: i32): void {
  count(Stat.TxFrames);
  hostTx(f, len);
}

function onLink(a: usize): bool {
  if (a6IsLinkLocal(a)) return true;
  for (let i = 0; i < PREFIXES; i++) {
    let p = pfx(i);
    if (p.until > clk && a6PrefixMatch(ptrOf(p), a, <i32>p.plen)) return true;
  }
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.origin == A6_STATIC && usable(e.state) && a6PrefixMatch(ptrOf(e), a, <i32>e.plen)) return true;
  }
  return false;
}

/** RFC 4861 §6.3.6: a router not known unreachable (its entry not INCOMPLETE) first, else any. */
function defaultRouter(): i32 {
  let any = -1;
  for (let i = 0; i < ROUTERS; i++) {
    let r = rtr(i);
    if (r.until <= clk) continue;
    let n = nbFind(ptrOf(r));
    if (n < 0 || nb(n).state != NB_INCOMPLETE) return i;
    if (any < 0) any = i;
  }
  return any;
}

// ---------------------------------------------------------------------------
// the neighbor cache (RFC 4861 §7.3)

function nbFind(a: usize): i32 {
  for (let i = 0; i < nbCount; i++) {
    let e = nb(i);
    if (e.state != NB_FREE && e.a0 == load<u64>(a) && e.a1 == load<u64>(a, 8)) return i;
  }
  return -1;
}

/** A free entry, else (counted) a STALE one, else an INCOMPLETE one, else the first. */
function nbAllocate(): i32 {
  let victim = -1;
  let rank = 9;
  for (let i = 0; i < nbCount; i++) {
    let e = nb(i);
    if (e.state == NB_FREE) return i;
    let r = e.router != 0 ? 5 : e.state == NB_STALE ? 0 : e.state == NB_INCOMPLETE ? 1 : 2;
    if (r < rank) { rank = r; victim = i; }
  }
  count(Stat.NdCacheFull);
  nbFree(victim);
  return victim;
}

function nbFree(i: i32): void {
  dropQueued(i);
  nb(i).state = NB_FREE;
}

/** INCOMPLETE/PROBE: send the next NS (multicast while INCOMPLETE, unicast while PROBE, §7.3.3). */
function nbSolicit(i: i32): void {
  let e = nb(i);
  e.probes++;
  e.deadline = netNow + retrans;
  addrCopy(tmpA, ptrOf(e));
  let s = ip6Select(tmpA);
  if (s < 0) return; // no usable source yet: the timer retries
  let src = ptrOf(addr(s - LADDR_V6_FIRST));
  if (e.state == NB_INCOMPLETE) sendNs(tmpA, src);
  else { addrCopy(tmpB, tmpA); nsBuild(tmpB, src, tmpB, e.mac); } // PROBE: unicast to the cached address
}

/** Learn `mac` for neighbor `a` from an NS, RS, RA or redirect (§7.2.3, §6.3.4): STALE when new or changed. */
function nbLearn(a: usize, mac: u64, isRouter: bool): i32 {
  let i = nbFind(a);
  if (i < 0) {
    i = nbAllocate();
    let e = nb(i);
    addrCopy(ptrOf(e), a);
    e.mac = mac; e.state = NB_STALE; e.probes = 0; e.router = isRouter ? 1 : 0;
    return i;
  }
  let e = nb(i);
  if (isRouter) e.router = 1;
  if (e.state == NB_INCOMPLETE) {
    e.mac = mac; e.state = NB_STALE; e.probes = 0;
    flushQueue(i);
  } else if (e.mac != mac) {
    e.mac = mac; e.state = NB_STALE;
  }
  return i;
}

function enqueue(n: i32, frame: usize, len: i32): bool {
  // at most 3 frames per neighbor: the oldest goes (RFC 4861 §7.2.2 SHOULD replace the oldest)
  let free = -1, oldest = -1, held = 0;
  for (let i = 0; i < queueCount; i++) {
    let s = slot(i);
    if (s.used == 0) { if (free < 0) free = i; continue; }
    if (s.nb != n) continue;
    held++;
    if (oldest < 0 || before(s.seq, slot(oldest).seq)) oldest = i;
  }
  let k = held >= 3 ? oldest : free;
  if (k < 0) { count(Stat.NdQueueFull); return false; }
  if (held >= 3) count(Stat.NdQueueFull);
  let s = slot(k);
  s.used = 1; s.nb = n; s.len = len; s.seq = queueSeq++;
  memory.copy(ptrOf(s) + offsetof<Q6>(), frame, <usize>len);
  return true;
}

function queuedFor(n: i32): u32 {
  let c: u32 = 0;
  for (let i = 0; i < queueCount; i++) if (slot(i).used != 0 && slot(i).nb == n) c++;
  return c;
}

function flushQueue(n: i32): void {
  let mac = nb(n).mac;
  while (true) {
    let best = -1;
    for (let i = 0; i < queueCount; i++) {
      let s = slot(i);
      if (s.used != 0 && s.nb == n && (best < 0 || before(s.seq, slot(best).seq))) best = i;
    }
    if (best < 0) return;
    let s = slot(best);
    let f = ptrOf(s) + offsetof<Q6>();
    macStore(f, mac);
    s.used = 0;
    transmit(f, s.len);
  }
}

function dropQueued(n: i32): void {
  for (let i = 0; i < queueCount; i++) {
    let s = slot(i);
    if (s.used != 0 && s.nb == n) { s.used = 0; count(Stat.NdQueueDropped); }
  }
}

// ---------------------------------------------------------------------------
// ND messages out

@inline function icmpOut(): usize { return txBuf + <usize>(ETH_HLEN + IPV6_HLEN); }

/** Multicast NS for `target` from `src` (:: for DAD: no SLLA option, RFC 4861 §4.3, RFC 4862 §5.4.2). */
function sendNs(target: usize, src: usize): void {
  addrCopy(tmpB, target);
  a6SolicitedNode(tmpA, tmpB);
  nsBuild(tmpB, src, tmpA, a6GroupMac(tmpA));
}

function nsWrite(target: usize, src: usize): i32 {
  let p = icmpOut();
  store<u64>(p, ND_NS); // type, code 0, checksum 0, reserved 0
  addrCopy(p + 8, target);
  if (addrIsZero(src)) return 24;
  store<u8>(p + 24, NDOPT_SLLA);
  store<u8>(p + 25, 1);
  macStore(p + 26, myMac);
  return 32;
}

/** NS for `target` to `dst` at link address `mac`: the solicited-node group, or the neighbor itself (PROBE); never through emit. */
function nsBuild(target: usize, src: usize, dst: usize, mac: u64): void {
  let len = nsWrite(target, src);
  icmp6Finish(src, dst, icmpOut(), len);
  count(Stat.NdNsTx);
  emitMac(src, dst, NH_ICMPV6, len, 255, mac);
}

/** NA for our address `target` to `dst` (ff02::1 answering DAD), with TLLA (§7.2.4). */
function sendNa(target: usize, dst: usize, solicited: bool): void {
  addrCopy(tmpB, dst);
  let p = icmpOut();
  store<u64>(p, ND_NA);
  store<u8>(p + 4, (solicited ? NA_SOLICITED : 0) | NA_OVERRIDE);
  addrCopy(p + 8, target);
  store<u8>(p + 24, NDOPT_TLLA);
  store<u8>(p + 25, 1);
  macStore(p + 26, myMac);
  icmp6Finish(target, tmpB, p, 32);
  count(Stat.NdNaTx);
  emit(target, tmpB, NH_ICMPV6, 32, 255);
}

/** Our usable link-local address, or :: (the source of RS and MLD reports). */
function llSource(): usize {
  let src = unspecified;
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.origin == A6_LINK_LOCAL && usable(e.state)) src = ptrOf(e);
  }
  return src;
}

/** RS to ff02::2 (§6.3.7): from the link-local address with SLLA, or from :: without. */
function sendRs(): void {
  let src = llSource();
  let p = icmpOut();
  store<u64>(p, ND_RS);
  let len = 8;
  if (!addrIsZero(src)) {
    store<u8>(p + 8, NDOPT_SLLA);
    store<u8>(p + 9, 1);
    macStore(p + 10, myMac);
    len = 16;
  }
  icmp6Finish(src, allRouters, p, len);
  count(Stat.NdRsTx);
  emit(src, allRouters, NH_ICMPV6, len, 255);
}

// ---------------------------------------------------------------------------
// Groups joined for UDP sockets (udp.ts): the MAC filter and MLDv2 (RFC 3810 §6.1)

/** RFC 3810 §6: no reports for link-local all-nodes (never joined here) nor for interface-local (scope 1) or reserved (scope 0) groups. */
function reported(g: usize): bool { return (load<u8>(g, 1) & 0xf) > 1; }

/** The group table entry holding the 16 bytes at `g`, or -1. */
export function ip6GroupIndex(g: usize): i32 {
  if (groups == 0) return -1;
  for (let i = 0; i < GROUPS6; i++) {
    let e = group(i);
    if (e.refs != 0 && addrEq(ptrOf(e), g)) return i;
  }
  return -1;
}

/**
 * A socket joins IPv6 group `g` (16 bytes): a reference to its table entry; a new entry enters
 * the MAC filter (RFC 2464 §7) and is reported (RFC 3810 §6.1: [Robustness Variable] state
 * change reports, TO_EXCLUDE with no sources). The entry's index, -EINVAL (not multicast,
 * ff02::1, which every node receives), -ENOMEM (table or MAC filter full), -ENOSYS (IPv6 off).
 */
export function ip6GroupJoin(g: usize): i32 {
  if (!enabled) return -Err.ENOSYS;
  if (!a6IsMulticast(g) || a6IsAllNodes(g)) return -Err.EINVAL;
  let k = ip6GroupIndex(g);
  if (k >= 0) { group(k).refs++; return k; }
  for (let i = 0; i < GROUPS6; i++) if (addrEq(ptrOf(group(i)), g)) group(i).mldLeft = 0; // a leave still being reported: joined again
  for (let i = 0; i < GROUPS6; i++) {
    let e = group(i);
    if (e.refs != 0) continue;
    if (filterJoin(a6GroupMac(g)) < 0) return -Err.ENOMEM;
    addrCopy(ptrOf(e), g);
    e.refs = 1;
    e.mldLeft = reported(g) ? <u32>MLD_ROBUSTNESS : 0;
    if (e.mldLeft != 0) mldSoon();
    return i;
  }
  return -Err.ENOMEM;
}

/** Drop a reference to group entry `k`; the last one leaves the MAC filter and reports it (mldLeave). */
export function ip6GroupLeave(k: i32): void {
  if (groups == 0 || <u32>k >= <u32>GROUPS6) return;
  let e = group(k);
  if (e.refs == 0 || --e.refs != 0) return;
  filterLeave(a6GroupMac(ptrOf(e)));
  e.mldLeft = 0;
  if (reported(ptrOf(e))) mldLeave(ptrOf(e));
}

/**
 * RFC 3810 §6.1: leaving group g (16 bytes), a state change report with a TO_INCLUDE record and
 * no sources now, and [Robustness Variable] - 1 more at random intervals within the Unsolicited
 * Report Interval, as for a join: the group table keeps the group until then (an entry with no
 * references and reports left; g's own entry when a socket group leaves, else a free one; with
 * none free, the report goes once).
 */
function mldLeave(g: usize): void {
  for (let i = 0; i < GROUPS6; i++) {
    let e = group(i);
    if (e.refs == 0 && (e.mldLeft == 0 || addrEq(ptrOf(e), g))) {
      addrCopy(ptrOf(e), g);
      e.mldLeft = <u32>MLD_ROBUSTNESS - 1;
      mldLater();
      break;
    }
  }
  let p = icmpOut();
  mldAddRecord(p, 0, g, MLD_TO_INCLUDE);
  mldEmit(p, 1);
}

/** ip/ip6ops.ts's group operations for udp.ts: GROUP_INDEX / GROUP_JOIN of the 16 bytes at `arg`, GROUP_LEAVE of entry `arg`. */
function groupOp(op: i32, arg: usize): i32 {
  if (op == GROUP_INDEX) return ip6GroupIndex(arg);
  if (op == GROUP_JOIN) return ip6GroupJoin(arg);
  if (FEAT_IP6_SHOULD && op == GROUP_CONFIRM) { if (enabled) nbConfirm(arg); return 0; }
  ip6GroupLeave(<i32>arg);
  return 0;
}

// ---------------------------------------------------------------------------
// MLDv2 (RFC 3810)

function mldSoon(delay: u32 = 0): void {
  if (!mldPending) { mldPending = true; mldAt = netNow + delay; }
}

/** The next retransmission of state change reports: at a random time in (0, Unsolicited Report Interval] (RFC 3810 §6.1). */
function mldLater(): void {
  if (!mldPending) { mldPending = true; mldAt = netNow + 1 + randomU32() % MLD_URI_MS; }
}

/** Our reportable groups: the solicited-node group of each address (except duplicates), once each. */
function mldSend(changes: bool): void {
  let p = icmpOut();
  let n = 0;
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.state == A6_FREE || e.state == A6_DUPLICATE) continue;
    if (changes) { if (e.mldLeft == 0) continue; e.mldLeft--; }
    a6SolicitedNode(tmpA, ptrOf(e));
    let dup = false; // two addresses may share a group (one record for it)
    for (let j = 0; j < n; j++) if (addrEq(p + <usize>(20 + 20 * j), tmpA)) dup = true;
    if (dup) continue;
    if (!mldAddRecord(p, n, tmpA, changes ? MLD_TO_EXCLUDE : MLD_IS_EXCLUDE)) break;
    n++;
  }
  for (let i = 0; i < GROUPS6; i++) {
    let g = group(i);
    let left = g.refs == 0; // a group left, its reports still going (mldLeave)
    if (left ? !changes : !reported(ptrOf(g))) continue;
    if (changes) { if (g.mldLeft == 0) continue; g.mldLeft--; }
    if (!mldAddRecord(p, n, ptrOf(g), left ? MLD_TO_INCLUDE : changes ? MLD_TO_EXCLUDE : MLD_IS_EXCLUDE)) break;
    n++;
  }
  if (n != 0) mldEmit(p, n);
}

/** Send the report of `n` records at p + 16 from our link-local address (:: until it is usable: RFC 3590). */
function mldEmit(p: usize, n: i32): void {
  let src = llSource();
  let len = mldReportEmit(p, n);
  icmp6Finish(src, MLD_ALL_ROUTERS_V2, p + 8, len - 8);
  count(Stat.MldReportsTx);
  emit(src, MLD_ALL_ROUTERS_V2, NH_HOPOPTS, len, 1);
}

// MLDv2 record types (RFC 3810 §5.2.12)
const MLD_IS_EXCLUDE: u32 = 2;
const MLD_TO_INCLUDE: u32 = 3;
const MLD_TO_EXCLUDE: u32 = 4;

/** Record n of `type` (TO_EXCLUDE for a join, IS_EXCLUDE answering a query, TO_INCLUDE leaving) for group g. */
function mldAddRecord(p: usize, n: i32, g: usize, type: u32): bool {
  let r = p + <usize>(8 + 8 + 20 * n);
  if (8 + 8 + 20 * (n + 1) > linkMtu - IPV6_HLEN) return false;
  store<u32>(r, type); // type, aux len 0, sources 0
  addrCopy(r + 4, g);
  return true;
}

// ---------------------------------------------------------------------------
// input

/** Is IPv6 on (Cfg.Ip6Enable)? Off, iface treats 0x86DD as an unknown EtherType. */
export function ip6Enabled(): bool { return enabled; }

/** An IPv6 packet of `len` bytes at p (after Ethernet); `linkGroup`: sent to a group MAC. */
export function ip6Input(p: usize, len: i32, linkGroup: bool, srcMac: u64): void {
  tick();
  let plen = ipv6Parse(p, len);
  if (plen < 0) return;
  count(Stat.Ipv6Rx);
  let src = p + 8, dst = p + 24;
  // RFC 4291 §2.7: never from a multicast source; §2.5.3: loopback never on a link
  if (a6IsMulticast(src) || a6IsLoopback(src) || a6IsLoopback(dst) || addrIsV4(src)) { count(Stat.Ipv6BadSource); return; }
  let mcast = a6IsMulticast(dst);
  let tentative = false;
  if (mcast) {
    if (!groupJoined(dst)) { count(Stat.Ipv6NotForUs); return; }
  } else {
    let i = addrFind(dst);
    if (i < 0 || linkGroup) { count(Stat.Ipv6NotForUs); return; }
    tentative = !usable(addr(i).state); // RFC 4862 §5.4: only NS/NA reach a tentative address
  }
  ip6Chain(p, plen, mcast, linkGroup, tentative, srcMac, false);
}

/**
 * The extension header chain and the upper layer of the packet at p (payload length plen, its
 * addresses checked); `whole`: a reassembled packet (no fragment header may follow).
 */
function ip6Chain(p: usize, plen: i32, mcast: bool, linkGroup: bool, tentative: bool, srcMac: u64, whole: bool): void {
  let src = p + 8;
  // RFC 8200 §4: the extension header chain, bounded; §4.1: Hop-by-Hop only first
  let nh = load<u8>(p + 6);
  let off = IPV6_HLEN;
  let end = IPV6_HLEN + plen;
  let nhOff = 6;
  for (let n = 0; nh == NH_HOPOPTS || nh == NH_DSTOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT; n++) {
    if (n >= IP6_EXT_MAX) { count(Stat.Ipv6ExtChainTooLong); return; }
    if (nh == NH_HOPOPTS && off != IPV6_HLEN) {
      count(Stat.Ipv6HbhNotFirst);
      paramProblem(p, plen, PARAM6_NEXT_HEADER, nhOff, false, mcast || linkGroup);
      return;
    }
    if (end - off < 8) { count(Stat.Ipv6ExtTruncated); return; }
    let h = p + <usize>off;
    let hl = nh == NH_FRAGMENT ? 8 : (<i32>load<u8>(h, 1) + 1) << 3;
    if (hl > end - off) { count(Stat.Ipv6ExtTruncated); return; }
    if (nh == NH_HOPOPTS || nh == NH_DSTOPTS) {
      if (!options(p, plen, off, hl, mcast || linkGroup)) return;
    } else if (nh == NH_ROUTING) {
      // §4.4: Segments Left 0: ignored; otherwise we (a host, never forwarding) reject it, and
      // type 0 is an unrecognized type (RFC 5095 §3): parameter problem at the Routing Type
      if (load<u8>(h, 3) != 0) {
        count(load<u8>(h, 2) == 0 ? Stat.Ipv6Rh0 : Stat.Ipv6RoutingRejected);
        paramProblem(p, plen, PARAM6_HEADER, off + 2, false, mcast || linkGroup);
        return;
      }
    } else {
      // an atomic fragment (offset 0, M 0) is a whole packet (RFC 6946 §4); others are reassembled
      if ((be16At(h + 2) & 0xfff9) != 0) { fragment(p, plen, off, mcast, linkGroup, tentative, srcMac, whole); return; }
      count(Stat.Ipv6AtomicFragments);
    }
    nhOff = off;
    nh = load<u8>(h);
    off += hl;
  }
  let pl = p + <usize>off;
  let n = end - off;
  let dst = p + 24;
  if (nh == NH_ICMPV6) { icmp6Input(p, pl, n, mcast, linkGroup, tentative, srcMac); return; }
  if (tentative) { count(Stat.Ipv6NotForUs); return; }
  if (nh == NH_NONE) { count(Stat.Ipv6NoNextHeader); return; }
  if (nh == NH_TCP) {
    if (mcast) { count(Stat.Ipv6NotForUs); return; } // RFC 9293 §3.9.2.1: no TCP to multicast
    tcpInputAddr(src, dst, pl, n);
    return;
  }
  if (nh == NH_UDP) {
    if (udpInput6(src, dst, pl, n, mcast || linkGroup)) return;
    count(Stat.Ipv6UdpNoPort); // RFC 4443 §3.1 port unreachable (never for a group destination)
    ip6PortUnreachable(p, plen, mcast || linkGroup);
    return;
  }
  count(Stat.Ipv6UnknownNextHeader);
  paramProblem(p, plen, PARAM6_NEXT_HEADER, nhOff, false, mcast || linkGroup);
}

/**
 * A fragment (RFC 8200 §4.5): its fragment header at p + fh. Its own rules (each answered as
 * §4.5 says), then reassembly (ip/reasm6.ts); a completed packet goes through the chain again.
 */
function fragment(p: usize, plen: i32, fh: i32, mcast: bool, linkGroup: bool, tentative: bool, srcMac: u64, whole: bool): void {
  count(Stat.Ipv6FragRx);
  if (!FEAT_FRAG6 || !reasm6On()) { count(Stat.Ipv6FragNoReasm); return; }
  if (whole) { count(Stat.Ipv6FragNested); return; }
  if (tentative) { count(Stat.Ipv6FragToTentative); return; }
  let group = mcast || linkGroup;
  let h = p + <usize>fh;
  let fo = <i32>be16At(h + 2);
  let off = fo & 0xfff8;
  let len = IPV6_HLEN + plen - fh - 8;
  if ((fo & 1) != 0) {
    if (len == 0) { count(Stat.Ipv6FragZeroLength); return; }
    // a non-last fragment not a multiple of 8: code 0 pointing to the Payload Length
    if ((len & 7) != 0) { count(Stat.Ipv6FragMisaligned); paramProblem(p, plen, PARAM6_HEADER, 4, false, group); return; }
  }
  // the reassembled payload would pass 65,535 bytes: code 0 pointing to the Fragment Offset
  if (fh - IPV6_HLEN + 8 + off + len > 65535) { count(Stat.Ipv6FragPast64k); paramProblem(p, plen, PARAM6_HEADER, fh + 2, false, group); return; }
  // RFC 7112 §5: the first fragment carries every header up to and including the upper-layer header
  if (off == 0 && !chainComplete(load<u8>(h), h + 8, len)) {
    count(Stat.Ipv6FragIncompleteChain);
    paramProblem(p, plen, PARAM6_INCOMPLETE_CHAIN, 0, false, group);
    return;
  }
  let r = reasm6Input(p, fh, plen, netNow);
  if (r != 0) ip6Chain(r, reasm6Len, mcast, linkGroup, false, srcMac, true);
}

/** Do the `len` bytes at d hold the extension headers from `nh` on and the upper-layer header? */
function chainComplete(nh: u8, d: usize, len: i32): bool {
  let o = 0;
  for (let n = 0; nh == NH_HOPOPTS || nh == NH_DSTOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT; n++) {
    if (n >= IP6_EXT_MAX || len - o < 8) return false;
    let x = d + <usize>o;
    o += nh == NH_FRAGMENT ? 8 : (<i32>load<u8>(x, 1) + 1) << 3;
    nh = load<u8>(x);
  }
  let need = nh == NH_TCP ? 20 : nh == NH_UDP ? 8 : nh == NH_ICMPV6 ? 4 : 0;
  return len - o >= need;
}

/** Time Exceeded code 1 for each packet that expired with its first fragment (RFC 8200 §4.5). */
function reasmExpire(): i32 {
  for (let q = reasm6Expire(netNow); q != 0; q = reasm6Expire(netNow)) {
    sendError(q, reasm6Len, ICMP6_TIME_EXCEEDED, TIME6_REASSEMBLY, 0, false, a6IsMulticast(q + 24));
  }
  return reasm6NextDeadline();
}

/** Options of a Hop-by-Hop or Destination Options header at p + off (RFC 8200 §4.2). */
function options(p: usize, plen: i32, off: i32, hl: i32, group: bool): bool {
  let h = p + <usize>off;
  let o = 2;
  while (o < hl) {
    let t = load<u8>(h + <usize>o);
    if (t == 0) { o++; continue; } // Pad1
    if (hl - o < 2) { count(Stat.Ipv6BadOption); return false; }
    let ol = <i32>load<u8>(h + <usize>o, 1) + 2;
    if (ol > hl - o) { count(Stat.Ipv6BadOption); return false; }
    if (t != 1 && t != 5) { // PadN, Router Alert (RFC 2711)
      let act = t >> 6;
      count(Stat.Ipv6UnknownOption);
      // 10: discard + parameter problem code 2 even to multicast (RFC 4443 §2.4 (e.3)); 11: only unicast
      if (act == 2 || (act == 3 && !group)) paramProblem(p, plen, PARAM6_OPTION, off + o, true, group);
      if (act != 0) return false;
    }
    o += ol;
  }
  return true;
}

/** Is ff.. `a` one we receive: all-nodes, or the solicited-node group of one of our addresses? */
function groupJoined(a: usize): bool {
  if (a6IsAllNodes(a) || ip6GroupIndex(a) >= 0) return true;
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.state != A6_FREE && e.state != A6_DUPLICATE && a6IsSolicitedFor(a, ptrOf(e))) return true;
  }
  return false;
}

/** Take one ICMPv6 error token; false (counted) when rate-limited (RFC 4443 §2.4 (f)). */
function icmpErrorAllowed(): bool {
  if (!before(netNow, icmpRefillAt)) {
    let add = (netNow - icmpRefillAt) / ICMP6_REFILL_MS + 1;
    icmpTokens = icmpTokens + add > ICMP6_BURST ? ICMP6_BURST : icmpTokens + add;
    icmpRefillAt = netNow + ICMP6_REFILL_MS;
  }
  if (icmpTokens == 0) { count(Stat.Icmp6RateLimited); return false; }
  icmpTokens--;
  return true;
}

/** Does the packet (its chain walked as far as it is well formed, bounded) carry an ICMPv6 error message (§2.4 (e.1))? */
function isIcmp6Error(ip: usize, plen: i32): bool {
  let nh = load<u8>(ip + 6);
  let off = IPV6_HLEN, end = IPV6_HLEN + plen;
  for (let n = 0; n < IP6_EXT_MAX && (nh == NH_HOPOPTS || nh == NH_DSTOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT); n++) {
    if (end - off < 8) return false;
    let h = ip + <usize>off;
    if (nh == NH_FRAGMENT && (be16At(h + 2) & 0xfff8) != 0) return false; // a later fragment: no ICMPv6 header in it
    off += nh == NH_FRAGMENT ? 8 : (<i32>load<u8>(h, 1) + 1) << 3;
    nh = load<u8>(h);
  }
  return nh == NH_ICMPV6 && off < end && load<u8>(ip + <usize>off) < 128;
}

function paramProblem(ip: usize, plen: i32, code: u8, ptr: i32, mcastOk: bool, group: bool): void {
  sendError(ip, plen, ICMP6_PARAM_PROBLEM, code, <u32>ptr, mcastOk, group);
}

/** RFC 4443 §3.1 code 4 for a UDP datagram no socket takes (the UDP layer calls it). */
export function ip6PortUnreachable(ip: usize, plen: i32, group: bool): void {
  sendError(ip, plen, ICMP6_DEST_UNREACH, UNREACH6_PORT, 0, false, group);
}

/**
 * An ICMPv6 error about the packet at `ip` (RFC 4443 §2.4): never for a group destination
 * (unless `mcastOk`: §2.4 (e.3) exceptions), never to :: or a multicast source, never about an
 * ICMPv6 error; rate-limited; quoting as much as fits in the minimum MTU (§2.4 (c)).
 */
function sendError(ip: usize, plen: i32, type: u8, code: u8, param: u32, mcastOk: bool, group: bool): void {
  let src = ip + 8;
  if ((group && !mcastOk) || addrIsZero(src) || a6IsMulticast(src)) { count(Stat.Icmp6ErrorsSuppressed); return; }
  if (isIcmp6Error(ip, plen)) { count(Stat.Icmp6ErrorsSuppressed); return; }
  if (!icmpErrorAllowed()) return;
  let dst = ip + 24;
  let me: usize = 0;
  if (!a6IsMulticast(dst)) { let i = addrFind(dst); if (i >= 0 && usable(addr(i).state)) me = ptrOf(addr(i)); }
  if (me == 0 && (me = sourceFor(src)) == 0) return;
  let quote = IPV6_HLEN + plen;
  let room = (IPV6_MIN_MTU < linkMtu ? IPV6_MIN_MTU : linkMtu) - IPV6_HLEN - ICMP6_HLEN;
  if (quote > room) quote = room;
  let o = icmpOut();
  store<u32>(o, <u32>type | (<u32>code << 8));
  store<u32>(o + 4, bswap<u32>(param));
  memory.copy(o + <usize>ICMP6_HLEN, ip, <usize>quote);
  addrCopy(tmpB, src);
  let len = ICMP6_HLEN + quote;
  icmp6Finish(me, tmpB, o, len);
  if (emit(me, tmpB, NH_ICMPV6, len, curHops)) count(Stat.Icmp6ErrorsTx);
}

function icmp6Input(ip: usize, p: usize, len: i32, mcast: bool, linkGroup: bool, tentative: bool, srcMac: u64): void {
  let src = ip + 8, dst = ip + 24;
  if (icmp6Parse(src, dst, p, len) < 0) return;
  count(Stat.Icmp6Rx);
  let type = icmp6Type(p);
  if (tentative && type != ND_NS && type != ND_NA) { count(Stat.Ipv6NotForUs); return; }
  if (type == ICMP6_ECHO_REQUEST) echoRequest(ip, p, len, mcast);
  else if (type == ICMP6_ECHO_REPLY) {
    if (len < 8) { count(Stat.Icmp6Truncated); return; }
    count(Stat.Icmp6EchoRepliesRx);
    hostEvent(-1, EventKind.EchoReply, <i32>be16At(p + 6));
  }
  else if (type == ND_NS) ndNs(ip, p, len, tentative);
  else if (type == ND_NA) ndNa(ip, p, len);
  else if (type == ND_RA) ndRa(ip, p, len);
  else if (type == ND_RS) { if (ndCheck(ip, p, len, 8)) count(Stat.NdRsIgnored); } // a host (§6.2.6 is for routers)
  else if (type == ND_REDIRECT) ndRedirect(ip, p, len);
  else if (type == MLD_QUERY) mldQuery(ip, p, len);
  else if (type == MLD1_REPORT || type == MLD1_DONE || type == MLD2_REPORT) count(Stat.MldOtherRx);
  else if (type == ICMP6_PACKET_TOO_BIG) packetTooBig(p, len);
  else if (type == ICMP6_DEST_UNREACH || type == ICMP6_TIME_EXCEEDED || type == ICMP6_PARAM_PROBLEM) icmp6Error(p, len, type);
  else if (type < 128) count(Stat.Icmp6ErrorsRx); // unknown error types: passed up (§2.4 (d)): nobody wants them
  else count(Stat.Icmp6UnknownType); // unknown informational: silently discarded (§2.4 (b))
}

/** RFC 4443 §4.2: the reply carries the request's identifier, sequence number and data. */
function echoRequest(ip: usize, p: usize, len: i32, mcast: bool): void {
  if (len < 8) { count(Stat.Icmp6Truncated); return; }
  count(Stat.Icmp6EchoRequestsRx);
  let src = ip + 8;
  if (addrIsZero(src)) { count(Stat.Ipv6BadSource); return; }
  let me: usize = 0;
  if (!mcast) me = ptrOf(addr(addrFind(ip + 24)));
  else if ((me = sourceFor(src)) == 0) return;
  if (FEAT_FRAG6 && len > ip6PathMtu(src) - IPV6_HLEN) {
    // RFC 8200 §4.5: a reply over the path MTU (e.g. to a reassembled request) goes in fragments,
    // built in place in the request (the tx frame holds each fragment in turn)
    store<u8>(p, ICMP6_ECHO_REPLY);
    addrCopy(tmpB, src);
    icmp6Finish(me, tmpB, p, len);
    if (ip6SendGather(me, tmpB, NH_ICMPV6, p, len, 0, 0)) count(Stat.Icmp6EchoRepliesTx);
    return;
  }
  let o = icmpOut();
  memory.copy(o, p, <usize>len);
  store<u8>(o, ICMP6_ECHO_REPLY);
  addrCopy(tmpB, src);
  icmp6Finish(me, tmpB, o, len);
  if (ip6SendGather(me, tmpB, NH_ICMPV6, o, len, 0, 0)) count(Stat.Icmp6EchoRepliesTx);
}

/** ABI ip6Ping: echo request to the 16 bytes at `dst` with `len` data bytes; 0, 1 bad length, 2 cannot send. */
export function ip6Ping(dst: usize, id: u16, seq: u16, len: i32): i32 {
  if (!enabled) return -Err.ENOSYS;
  tick();
  if (<u32>len > <u32>(linkMtu - IPV6_HLEN - ICMP6_HLEN) || addrIsZero(dst) || addrIsV4(dst)) return -Err.EINVAL;
  let me = sourceFor(dst);
  if (me == 0) return -Err.EADDRNOTAVAIL;
  addrCopy(tmpB, dst);
  let o = icmpOut();
  store<u32>(o, ICMP6_ECHO_REQUEST);
  store<u32>(o + 4, (<u32>bswap<u16>(id)) | (<u32>bswap<u16>(seq) << 16));
  for (let i = 0; i < len; i++) store<u8>(o + <usize>(ICMP6_HLEN + i), <u8>i);
  icmp6Finish(me, tmpB, o, ICMP6_HLEN + len);
  return emit(me, tmpB, NH_ICMPV6, ICMP6_HLEN + len, curHops) ? 0 : -Err.EHOSTUNREACH;
}

/** RFC 8201 §4: record the path MTU of the quoted destination (never below 1280). */
function packetTooBig(p: usize, len: i32): void {
  count(Stat.Icmp6PacketTooBigRx);
  if (len < ICMP6_HLEN + IPV6_HLEN) { count(Stat.Icmp6Truncated); return; }
  let q = p + <usize>ICMP6_HLEN;
  let qsrc = q + 8, qdst = q + 24;
  if (addrFind(qsrc) < 0) { count(Stat.Icmp6BadQuote); return; } // not about a packet of ours
  let mtu = be32At(p + 4);
  if (mtu < <u32>IPV6_MIN_MTU) mtu = <u32>IPV6_MIN_MTU;
  if (mtu >= <u32>linkMtu) return;
  let k = -1;
  for (let i = 0; i < PMTUS; i++) {
    let m = pmtu(i);
    if (m.mtu != 0 && m.a0 == load<u64>(qdst) && m.a1 == load<u64>(qdst, 8)) { k = i; break; }
    if (k < 0 && (m.mtu == 0 || !before(netNow, m.until))) k = i;
  }
  if (k < 0) k = 0;
  let m = pmtu(k);
  addrCopy(ptrOf(m), qdst);
  m.mtu = mtu;
  m.until = netNow + PMTU_TIMEOUT_MS;
  if (load<u8>(q + 6) == NH_TCP && len >= ICMP6_HLEN + IPV6_HLEN + 8) tcpIcmpError(ICMP_TOO_BIG, qsrc, qdst, q + <usize>IPV6_HLEN, <i32>mtu);
}

/** Destination unreachable, time exceeded, parameter problem: handed to TCP (RFC 5461 mapping). */
function icmp6Error(p: usize, len: i32, type: u8): void {
  count(Stat.Icmp6ErrorsRx);
  if (len < ICMP6_HLEN + IPV6_HLEN + 8) return;
  let q = p + <usize>ICMP6_HLEN;
  let code = icmp6Code(p);
  let hard = (type == ICMP6_DEST_UNREACH && code == UNREACH6_PORT) || (type == ICMP6_PARAM_PROBLEM && code == PARAM6_NEXT_HEADER);
  if (load<u8>(q + 6) == NH_UDP) { udpIcmp6Error(hard, q + 8, q + 24, q + <usize>IPV6_HLEN); return; }
  if (load<u8>(q + 6) != NH_TCP) return;
  tcpIcmpError(hard ? ICMP_HARD : ICMP_SOFT, q + 8, q + 24, q + <usize>IPV6_HLEN);
}

/** RFC 4861 §6.1 / §7.1: hop limit 255, code 0, at least `min` bytes (checksum already verified). */
function ndCheck(ip: usize, p: usize, len: i32, min: i32): bool {
  if (ip6HopLimit(ip) != 255) { count(Stat.NdBadHopLimit); return false; }
  if (icmp6Code(p) != 0) { count(Stat.NdBadCode); return false; }
  if (len < min) { count(Stat.NdTruncated); return false; }
  return true;
}

/** Neighbor Solicitation (RFC 4861 §7.1.1 validation, §7.2.3 processing, RFC 4862 §5.4.3 DAD). */
function ndNs(ip: usize, p: usize, len: i32, tentative: bool): void {
  if (!ndCheck(ip, p, len, 24)) return;
  let target = p + 8, src = ip + 8, dst = ip + 24;
  if (a6IsMulticast(target)) { count(Stat.NdBadTarget); return; }
  if (!ndOptions(p + 24, len - 24)) return;
  let dad = addrIsZero(src);
  // §7.1.1: from :: only to a solicited-node group and without a source link-layer address
  if (dad && (!a6IsSolicitedFor(dst, target) || ndHas(ndOpts.slla))) { count(Stat.NdBadDadNs); return; }
  count(Stat.NdNsRx);
  let i = addrFind(target);
  if (i < 0) { count(Stat.NdNotForUs); return; }
  let e = addr(i);
  if (e.state == A6_TENTATIVE) {
    if (dad) dadFailed(i); // another node probes the same address (§5.4.3)
    return;                // an address resolution for a tentative address: silently ignored
  }
  if (e.state == A6_DUPLICATE) return;
  if (!dad && ndHas(ndOpts.slla)) nbLearn(src, ndMac(ndOpts.slla), false);
  addrCopy(tmpA, target);
  sendNa(tmpA, dad ? allNodes : src, !dad);
}

/** Neighbor Advertisement (§7.1.2 validation, §7.2.5 processing, RFC 4862 §5.4.4). */
function ndNa(ip: usize, p: usize, len: i32): void {
  if (!ndCheck(ip, p, len, 24)) return;
  let target = p + 8, dst = ip + 24;
  let fl = load<u8>(p + 4);
  if (a6IsMulticast(target)) { count(Stat.NdBadTarget); return; }
  if (a6IsMulticast(dst) && (fl & NA_SOLICITED) != 0) { count(Stat.NdBadNa); return; }
  if (!ndOptions(p + 24, len - 24)) return;
  count(Stat.NdNaRx);
  let mine = addrFind(target);
  if (mine >= 0) {
    if (addr(mine).state == A6_TENTATIVE) dadFailed(mine);
    else count(Stat.NdAddrConflict); // someone else claims an address we use
    return;
  }
  let i = nbFind(target);
  if (i < 0) { count(Stat.NdNaUnsolicited); return; } // §7.2.5: no entry, silently discarded
  let e = nb(i);
  let hasT = ndHas(ndOpts.tlla);
  let mac = ndMac(ndOpts.tlla);
  let solicited = (fl & NA_SOLICITED) != 0;
  let ovr = (fl & NA_OVERRIDE) != 0;
  if (e.state == NB_INCOMPLETE) {
    if (!hasT) return;
    e.mac = mac;
    e.state = solicited ? NB_REACHABLE : NB_STALE;
    e.deadline = netNow + reachable;
    e.probes = 0;
    e.router = (fl & NA_ROUTER) != 0 ? 1 : 0;
    flushQueue(i);
    return;
  }
  let differs = hasT && mac != e.mac;
  if (!ovr && differs) {
    if (e.state == NB_REACHABLE) e.state = NB_STALE;
    return;
  }
  if (hasT) e.mac = mac;
  if (solicited) { e.state = NB_REACHABLE; e.deadline = netNow + reachable; e.probes = 0; }
  else if (differs) e.state = NB_STALE;
  let wasRouter = e.router != 0;
  e.router = (fl & NA_ROUTER) != 0 ? 1 : 0;
  if (wasRouter && e.router == 0) { // §7.2.5: no longer a router: off the default router list
    routerDrop(target);
  }
}

/**
 * Redirect (RFC 4861 §8.1 validation, §8.3 processing): from a link-local source with hop limit
 * 255 and code 0, 40 bytes or more, a unicast destination, a target that is link-local (a better
 * router) or the destination itself (on-link), valid options, and from the router we use for that
 * destination now. It sets the destination's first hop (a small table, the oldest replaced; an
 * entry is dropped when its first hop fails address resolution) and, with a Target Link-Layer
 * Address option, the target's neighbor entry (STALE when new or changed, §8.3); a target other
 * than the destination is a router. Builds without FEAT_IP6_SHOULD count every redirect nd_redirect_ignored.
 */
function ndRedirect(ip: usize, p: usize, len: i32): void {
  if (!FEAT_IP6_SHOULD) { count(Stat.NdRedirectIgnored); return; } // never acted on: validity is moot
  let src = ip + 8, target = p + 8, dst = p + 24;
  if (!ndCheck(ip, p, len, 40)) return;
  if (!a6IsLinkLocal(src)) { count(Stat.NdRedirectBadSource); return; }
  if (a6IsMulticast(dst) || (!a6IsLinkLocal(target) && !addrEq(target, dst))) { count(Stat.NdRedirectBadTarget); return; }
  if (!ndOptions(p + 40, len - 40)) return;
  if (!nextHop(dst) || !addrEq(tmpA, src)) { count(Stat.NdRedirectNotFirstHop); return; }
  count(Stat.NdRedirectRx);
  let k = redirectFind(dst);
  if (k < 0) { k = redirectNext; redirectNext = (k + 1) % REDIRECTS; }
  addrCopy(redirect(k), dst);
  addrCopy(redirect(k) + 16, target);
  let router = !addrEq(target, dst);
  if (ndHas(ndOpts.tlla)) nbLearn(target, ndMac(ndOpts.tlla), router);
  else if (router) { let n = nbFind(target); if (n >= 0) nb(n).router = 1; }
}

/** Take router `a` off the default router list. */
function routerDrop(a: usize): void {
  for (let r = 0; r < ROUTERS; r++) if (addrEq(ptrOf(rtr(r)), a)) rtr(r).until = 0;
}

/** Router Advertisement (§6.1.2 validation, §6.3.4 processing, RFC 4862 §5.5.3 prefixes). */
function ndRa(ip: usize, p: usize, len: i32): void {
  let src = ip + 8;
  if (!ndCheck(ip, p, len, 16)) return;
  if (!a6IsLinkLocal(src)) { count(Stat.NdRaBadSource); return; }
  if (!ndOptions(p + 16, len - 16)) return;
  count(Stat.NdRaRx);
  rsLeft = 0; // §6.3.7: an RA ends solicitation
  let hops = load<u8>(p + 4);
  if (hops != 0) curHops = hops;
  let life = be16At(p + 6);
  let rt = be32At(p + 8);
  let rtx = be32At(p + 12);
  if (rt != 0 && rt <= 3600000 && rt != baseReachable) { baseReachable = rt; reachable = randomReachable(); }
  if (rtx != 0) retrans = rtx;
  // default router list
  let r = -1;
  for (let i = 0; i < ROUTERS; i++) if (addrEq(ptrOf(rtr(i)), src)) r = i;
  if (life != 0) {
    if (r < 0) for (let i = 0; i < ROUTERS; i++) if (rtr(i).until <= clk) { r = i; break; }
    if (r < 0) count(Stat.NdRouterListFull);
    else {
      let x = rtr(r);
      addrCopy(ptrOf(x), src);
      x.until = clk + <u64>life * 1000;
    }
  } else if (r >= 0) rtr(r).until = 0;
  if (ndHas(ndOpts.slla)) nbLearn(src, ndMac(ndOpts.slla), true);
  else { let n = nbFind(src); if (n >= 0) nb(n).router = 1; }
  let m = ndOpts.mtu;
  if (m != 0) {
    if (m >= <u32>IPV6_MIN_MTU && m <= <u32>ifMtu) linkMtu = <i32>m; else count(Stat.NdBadMtu);
  }
  let np = <i32>ndOpts.prefixes;
  if (np > NDOPTS_PREFIX_MAX) np = NDOPTS_PREFIX_MAX;
  for (let i = 0; i < np; i++) prefixInfo(ndPrefixAt(i));
  // RDNSS options (RFC 8106 §5.1): the options were validated by ndOptions (lengths within the message)
  for (let o = 16; o < len; o += <i32>load<u8>(p + <usize>o, 1) << 3) {
    if (load<u8>(p + <usize>o) == NDOPT_RDNSS) rdnssOption(p + <usize>o, <i32>load<u8>(p + <usize>o, 1));
  }
}

/** One RDNSS option at o (`units` 8-byte units): its servers' lifetimes (RFC 8106 §5.3.1). */
function rdnssOption(o: usize, units: i32): void {
  if (units < 3 || (units & 1) == 0) { count(Stat.NdRdnssBad); return; } // §5.1: 3 + 2 per extra address
  count(Stat.NdRdnssRx);
  let life = be32At(o + 4);
  let until: u64 = life == 0xffffffff ? INF : clk + <u64>life * 1000;
  for (let a = o + 8; a < o + (<usize>units << 3); a += 16) {
    if (addrIsZero(a) || a6IsMulticast(a) || a6IsLoopback(a)) { count(Stat.NdRdnssBad); continue; }
    let k = -1, free = -1, soonest = -1;
    for (let i = 0; i < RDNSS_N; i++) {
      let d = dns(i);
      if (d.until <= clk) { if (free < 0) free = i; continue; }
      if (addrEq(ptrOf(d), a)) k = i;
      if (soonest < 0 || d.until < dns(soonest).until) soonest = i;
    }
    if (k < 0) {
      if (life == 0) continue;                 // §5.3.1: a zero lifetime for an unknown server: nothing to do
      if (free >= 0) k = free;
      else if (until > dns(soonest).until) { k = soonest; count(Stat.NdRdnssReplaced); }
      else continue;
    }
    let d = dns(k);
    addrCopy(ptrOf(d), a);
    d.until = until;                          // a zero lifetime removes it now
  }
}

/** One Prefix Information option (32 bytes at o): the on-link list (L) and SLAAC (A). */
function prefixInfo(o: usize): void {
  let plen = <i32>load<u8>(o, 2);
  let fl = load<u8>(o, 3);
  let valid = be32At(o + 4);
  let pref = be32At(o + 8);
  let prefix = o + 16;
  if (a6IsLinkLocal(prefix) || plen > 128) { count(Stat.NdPrefixIgnored); return; } // §6.3.4 / RFC 4862 §5.5.3 (b)
  if ((fl & 0x80) != 0) onLinkPrefix(prefix, plen, valid);
  if ((fl & 0x40) == 0 || (flags & IP6F_NO_SLAAC) != 0) return;
  if (pref > valid) { count(Stat.NdPrefixIgnored); return; } // RFC 4862 §5.5.3 (c)
  if (plen != 64) { count(Stat.NdPrefixIgnored); return; }    // §5.5.3 (d): prefix + 64-bit IID must be 128
  let validMs: u64 = valid == 0xffffffff ? INF : clk + <u64>valid * 1000;
  let prefMs: u64 = pref == 0xffffffff ? INF : clk + <u64>pref * 1000;
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.state == A6_FREE || e.origin != A6_SLAAC || e.a0 != load<u64>(prefix)) continue;
    // §5.5.3 (e): preferred lifetime as advertised; valid lifetime by the two-hour rule
    e.prefUntil = prefMs;
    let remaining: u64 = e.validUntil == INF ? INF : e.validUntil > clk ? e.validUntil - clk : 0;
    if (validMs == INF || <u64>valid * 1000 > TWO_HOURS_MS || (remaining != INF && <u64>valid * 1000 > remaining)) e.validUntil = validMs;
    else if (remaining != INF && remaining <= TWO_HOURS_MS) { /* ignore */ }
    else e.validUntil = clk + TWO_HOURS_MS;
    if (e.state == A6_DEPRECATED && prefMs > clk) { e.state = A6_PREFERRED; addrEvent(i, A6_PREFERRED); }
    return;
  }
  if (valid == 0) return;
  let i = addrNew(prefix, 64, A6_SLAAC, validMs, prefMs);
  if (i >= 0) { count(Stat.Ip6SlaacAddrs); addrStartDad(i); }
}

function onLinkPrefix(prefix: usize, plen: i32, valid: u32): void {
  let k = -1;
  for (let i = 0; i < PREFIXES; i++) {
    let x = pfx(i);
    if (x.until > clk && <i32>x.plen == plen && a6PrefixMatch(ptrOf(x), prefix, plen)) { k = i; break; }
  }
  if (valid == 0) { if (k >= 0) pfx(k).until = 0; return; } // §6.3.4: a zero lifetime times the prefix out now
  if (k < 0) for (let i = 0; i < PREFIXES; i++) if (pfx(i).until <= clk) { k = i; break; }
  if (k < 0) { count(Stat.NdPrefixListFull); return; }
  let x = pfx(k);
  addrCopy(ptrOf(x), prefix);
  x.plen = <u32>plen;
  x.until = valid == 0xffffffff ? INF : clk + <u64>valid * 1000;
}

/** MLD query (RFC 3810 §5.1, §6.2; MLDv1 queries of 24 bytes too): answer after a random delay. */
function mldQuery(ip: usize, p: usize, len: i32): void {
  if (len < 24) { count(Stat.MldBadQuery); return; }
  if (!a6IsLinkLocal(ip + 8) || ip6HopLimit(ip) != 1) { count(Stat.MldBadQuery); return; } // §5.1.14/§6.2
  count(Stat.MldQueriesRx);
  let g = p + 8;
  if (!addrIsZero(g) && !groupJoined(g)) return; // a group-specific query for a group we are not in
  let maxMs = be16At(p + 4); // MLDv2 codes below 32768 are ms as is (§5.1.3); larger: the float form
  if (len >= 28 && maxMs >= 32768) maxMs = ((maxMs & 0xfff) | 0x1000) << (((maxMs >> 12) & 7) + 3);
  let delay = maxMs == 0 ? 0 : randomU32() % maxMs;
  let at = netNow + delay;
  if (!mldQueryDue || before(at, mldQueryAt)) { mldQueryDue = true; mldQueryAt = at; }
}

// ---------------------------------------------------------------------------
// timers

/** Run IPv6's timers; ms until the next deadline, -1 for none. */
export function ip6Poll(): i32 {
  if (!enabled || !started) return -1;
  tick();
  let next: i32 = -1;
  // addresses: DAD, lifetimes (RFC 4862 §5.5.4: deprecated at the preferred, removed at the valid lifetime)
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.state == A6_FREE) continue;
    if (e.validUntil <= clk) { count(Stat.Ip6AddrExpired); addrRemove(i); continue; }
    if (e.state == A6_TENTATIVE && e.timer <= clk) dadStep(i);
    if (e.state == A6_PREFERRED && e.prefUntil <= clk) {
      e.state = A6_DEPRECATED;
      addrEvent(i, A6_DEPRECATED);
    }
    if (e.state == A6_TENTATIVE) next = msUntil(next, e.timer);
    else if (usable(e.state)) {
      if (e.state == A6_PREFERRED && e.prefUntil != INF) next = msUntil(next, e.prefUntil);
      if (e.validUntil != INF) next = msUntil(next, e.validUntil);
    }
  }
  // neighbors (RFC 4861 §7.3.3)
  for (let i = 0; i < nbCount; i++) {
    let e = nb(i);
    if (e.state == NB_FREE || e.state == NB_STALE) continue;
    if (!before(netNow, e.deadline)) {
      if (e.state == NB_REACHABLE) { e.state = NB_STALE; continue; }
      if (e.state == NB_DELAY) { e.state = NB_PROBE; e.probes = 0; nbSolicit(i); }
      else if (e.probes >= (e.state == NB_INCOMPLETE ? MAX_MULTICAST_SOLICIT : MAX_UNICAST_SOLICIT)) {
        count(Stat.NdResolutionFailed);
        if (e.router != 0) routerDrop(ptrOf(e));
        if (FEAT_IP6_SHOULD) for (let r = 0; r < REDIRECTS; r++) if (addrEq(redirect(r) + 16, ptrOf(e))) memory.fill(redirect(r), 0, 32); // §7.3.3
        nbFree(i);
        continue;
      } else nbSolicit(i);
    }
    next = nearer(next, e.deadline);
  }
  // router solicitation (§6.3.7)
  if (rsLeft > 0 && rsReady()) {
    if (!before(netNow, rsAt)) {
      sendRs();
      rsLeft--;
      rsAt = netNow + RTR_SOLICITATION_INTERVAL;
    }
    if (rsLeft > 0) next = nearer(next, rsAt);
  }
  // MLD: unsolicited reports (twice, 1 s apart) and query responses
  if (mldPending && !before(netNow, mldAt)) {
    mldSend(true);
    mldPending = false;
    for (let i = 0; i < addrCount; i++) if (addr(i).mldLeft != 0) mldPending = true;
    for (let i = 0; i < GROUPS6; i++) if (group(i).mldLeft != 0) mldPending = true;
    if (mldPending) { mldPending = false; mldLater(); }
  }
  if (mldPending) next = nearer(next, mldAt);
  if (mldQueryDue) {
    if (!before(netNow, mldQueryAt)) { mldQueryDue = false; mldSend(false); }
    else next = nearer(next, mldQueryAt);
  }
  if (FEAT_FRAG6) next = nearer6(next, reasmExpire());
  // default routers and on-link prefixes time out on their own (checked where used)
  for (let i = 0; i < ROUTERS; i++) { let r = rtr(i); if (r.until > clk && r.until != INF) next = msUntil(next, r.until); }
  return next;
}

/** The link-local address is usable, or it failed (RS from ::), or there is none: solicit. */
function rsReady(): bool {
  for (let i = 0; i < addrCount; i++) {
    let e = addr(i);
    if (e.origin == A6_LINK_LOCAL && e.state == A6_TENTATIVE) return false;
  }
  return true;
}

@inline function nearer6(next: i32, ms: i32): i32 { return ms >= 0 && (next < 0 || ms < next) ? ms : next; }

function msUntil(next: i32, until: u64): i32 {
  let d: u64 = until <= clk ? 0 : until - clk;
  let ms: i32 = d > 0x7fffffff ? 0x7fffffff : <i32>d;
  return next < 0 || ms < next ? ms : next;
}
