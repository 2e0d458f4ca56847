// The interface: MAC/IPv4 configuration, ARP (RFC 826) cache and pending queue,
// IPv4 input dispatch (ICMP, UDP, TCP) and output with next-hop choice, ICMP echo
// (RFC 792) and port unreachable.
//
// Memory (all from poolAlloc at init, contiguous, in this order):
//   rx buffer   MTU + 14 bytes: the host writes one frame here, input(len) reads it
//   tx buffer   MTU + 14 bytes: every frame we build (upper layers write at + 34)
//   ARP cache   ArpEntries entries
//   ARP queue   ArpQueue slots, each a header + one whole frame awaiting resolution
//   multicast   McastGroups entries (group MAC, reference count)
//   reassembly  ReasmSlots datagrams in flight (ip/reasm4.ts); fragments on send: ip/frag4.ts
//
// The IPv4 address, prefix, gateway and DNS servers can change at run time
// (ifaceSetIpv4 / ifaceClearIpv4 / ifaceSetDns): a DHCP client drives them. Without an
// address the interface sends UDP only, from 0.0.0.0 to 255.255.255.255, and accepts
// only UDP (broadcast, joined multicast, or unicast to our MAC: RFC 2131 §4.1).
import { count, Stat } from "./stats";
import { poolAlloc } from "./pool";
import { cfg, Cfg } from "./config";
import { hostTx, hostEvent } from "./host";
import { Err, EventKind } from "./errors";
import { LADDR_V4, netifSetup, netifSetupGroups, netifSetAddr4, netNow, ipNewId, nearer, sooner } from "./netif";
import { reasm4Init, reasm4Input, reasm4Expire, reasm4NextDeadline, reasm4RegionEnd } from "./ip/reasm4";
import { frag4Init, ip4SendGather } from "./ip/frag4";
import {
  ETH_HLEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, MAC_BROADCAST, ethParse, ethEmit, ethDst, ethSrc, ethType,
  macStore, macIsGroup,
} from "./wire/ethernet";
import { ARP_LEN, ARP_REQUEST, ARP_REPLY, arpParse, arpEmit, arpOper, arpSha, arpSpa, arpTpa } from "./wire/arp";
import {
  IPV4_HLEN, PROTO_ICMP, PROTO_TCP, PROTO_UDP, IP_FLAG_DF, IP_FLAG_MF, IP_OFFSET_MASK, IP_RA_LEN,
  ipv4Parse, ipv4Emit, ipv4EmitRouterAlert, ipSrc, ipDst, ipProto, ipTotalLen, ipFrag,
} from "./wire/ipv4";
import { PROTO_IGMP } from "./wire/igmp";
import { igmpInput, igmpPoll } from "./igmp";
import { FEAT_FRAG, FEAT_IGMP, FEAT_IPV6 } from "./features";
import { ETHERTYPE_IPV6 } from "./wire/ipv6";
import { ip6Init, ip6Enabled, ip6Input, ip6Poll, ip6RegionEnd } from "./ip/ipv6";
import {
  ICMP_HLEN, ICMP_TYPE, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, UNREACH_PORT, UNREACH_PROTOCOL,
  ICMP_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY,
  icmpParse, icmpType, icmpCode, icmpSeq, icmpFinish, icmpEmitEcho, icmpEmitUnreach, icmpEmitError,
} from "./wire/icmp";
import { udpParse, udpEmit } from "./wire/udp";
import { udpDeliver, udpIcmpUnreach, CAST_UNICAST, CAST_BROADCAST, CAST_MULTICAST } from "./udp";
import { tcpInput4, tcpPoll } from "./tcp/input";
import { tcpIcmpUnreach } from "./tcp/icmp";
import { tcpAddressGone } from "./tcp/ifdown";
import { FEAT_SCALE } from "./features";
import { Bits, Chain, addrKey, bitIs, bitPut, bitsInit, bitsNextClear, chainAdd, chainHead, chainInit, chainNext, chainRemove } from "./tcp/index";

/** Retransmit an unanswered ARP request after this long. */
export const ARP_RETRY_MS: u32 = 1000;
/** Requests sent before giving up on a neighbour (its queued frames are dropped). */
export const ARP_MAX_TRIES: u32 = 3;
/** A frame waits at most this long for resolution. */
export const ARP_QUEUE_TIMEOUT_MS: u32 = ARP_RETRY_MS * ARP_MAX_TRIES;
/** ICMP error rate limit: a bucket of this many messages, one token back every ICMP_REFILL_MS. */
export const ICMP_BURST: u32 = 10;
export const ICMP_REFILL_MS: u32 = 100;
const DEFAULT_TTL: u8 = 64;
/** TTL of multicast datagrams we send: IP_MULTICAST_TTL's default (RFC 1112 §6.1), and IGMP's (RFC 2236 §2). */
const MULTICAST_TTL: u8 = 1;

const ARP_FREE: u32 = 0;
const ARP_PENDING: u32 = 1;
const ARP_RESOLVED: u32 = 2;

@unmanaged class ArpEntry {
  ip: u32;
  deadline: u32;   // resolved: expiry; pending: next retransmission
  mac: u64;
  state: u32;
  tries: u32;
}

@unmanaged class QueueSlot {
  used: u32;
  nextHop: u32;
  since: u32;
  len: i32;
  seq: u32;        // arrival order, so a neighbour's frames leave in order
  _pad0: u32;
  _pad1: u32;
  _pad2: u32;
}
// the frame follows the 32-byte header

/** One multicast filter entry: a group MAC and how many joins hold it (0 = free). */
@unmanaged class McastEntry {
  mac: u64;
  refs: u32;
  _pad: u32;
}

/** DNS servers kept (ifaceSetDns index 0..DNS_MAX-1). */
export const DNS_MAX: i32 = 3;
/** AddressChanged event arg bits: what changed. */
export const IFACE_CHANGED_ADDR: i32 = 1;    // address or prefix (set or cleared)
export const IFACE_CHANGED_GATEWAY: i32 = 2;
export const IFACE_CHANGED_DNS: i32 = 4;
export const MCAST_MAX: u32 = 256;

let rxBuf: usize = 0;
let rxCap: i32 = 0;
let txBuf: usize = 0;
let arpTable: usize = 0;
let arpCount: i32 = 0;
// Scale build (FEAT_SCALE): entries in use hashed by address (a keyed hash: tcp/index.ts) and a
// bitmap of the entries in use, whose first clear bit is the free entry a scan would find first.
// Only a full cache still scans (the eviction choice: O(ArpEntries) per new neighbour then), as
// does poll (the entries' timers).
const arpChain = changetype<Chain>(memory.data(offsetof<Chain>(), 8));
// (its header, whose count changes at run time, lies in the interface's region like the rest)
let arpBits = changetype<Bits>(0);
let queue: usize = 0;
let queueCount: i32 = 0;
let slotSize: usize = 0;
let queueSeq: u32 = 0;
let mcastTable: usize = 0;
let mcastCount: i32 = 0;
const dnsServers: usize = memory.data(DNS_MAX * 4, 4);
let configGen: u32 = 0;

let myMac: u64 = 0;
let myIp: u32 = 0;
let netmask: u32 = 0;
let prefixLen: u32 = 0;
let gateway: u32 = 0;
let mtu: i32 = 1500;
let arpTimeout: u32 = 60000;
let now: u32 = 0;
let icmpTokens: u32 = ICMP_BURST;
let icmpRefillAt: u32 = 0;

/** The time of the call in progress (input, poll, ping), shared with upper layers through netif. */
@inline function setNow(t: u32): void {
  now = t;
  netNow = t;
}

@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }

// The scale build's ARP timers (issue 15: poll costs O(timers due)): arpDueAt is the earliest entry
// deadline (arpDueSet: some entry has one), so poll walks the cache only once that instant is due (a
// walk that finds nothing due changes nothing: skipping it is the same behaviour, and poll returns the
// same next deadline). A deadline set outside the walk lowers it; when the entry holding the earliest
// deadline is moved later or freed, arpDueDirty makes the next poll walk and recompute it.
let arpDueAt: u32 = 0;
let arpDueSet = false;
let arpDueDirty = false;
@inline function arpNoteDue(d: u32): void {
  if (FEAT_SCALE && (!arpDueSet || before(d, arpDueAt))) { arpDueAt = d; arpDueSet = true; }
}
/** Entry `e`'s deadline is about to change or it is freed (scale build). */
@inline function arpTouch(e: ArpEntry): void {
  if (FEAT_SCALE && e.state != ARP_FREE && arpDueSet && e.deadline == arpDueAt) arpDueDirty = true;
}

/** The host's clock moved on outside input/poll (abi.ts clock): later times only. */
export function ifaceClock(t: u32): void {
  if (before(now, t)) setNow(t);
}

// ---------------------------------------------------------------------------
// init

export function ifaceInit(): bool {
  mtu = <i32>cfg(Cfg.Mtu);
  let prefix = cfg(Cfg.PrefixLen);
  arpCount = <i32>cfg(Cfg.ArpEntries);
  arpDueSet = false;
  arpDueDirty = false;
  queueCount = <i32>cfg(Cfg.ArpQueue);
  mcastCount = <i32>cfg(Cfg.McastGroups);
  if (mtu < 576 || mtu > 9000 || prefix > 32 || arpCount < 1 || arpCount > 4096 || queueCount > 4096 ||
      <u32>mcastCount > MCAST_MAX) return false;
  myMac = (<u64>(cfg(Cfg.MacHi) & 0xffff) << 32) | <u64>cfg(Cfg.MacLo);
  if (macIsGroup(myMac) || myMac == 0) return false;
  myIp = cfg(Cfg.Ipv4Addr);
  if (myIp != 0) {
    prefixLen = prefix;
    netmask = maskOf(prefix);
    gateway = cfg(Cfg.Gateway);
  } else {
    prefixLen = 0; netmask = 0; gateway = 0; // no address: no subnet, no router
  }
  arpTimeout = cfg(Cfg.ArpTimeoutMs);

  rxCap = mtu + ETH_HLEN;
  rxBuf = poolAlloc(<usize>rxCap);
  txBuf = poolAlloc(<usize>rxCap);
  arpTable = poolAlloc(<usize>arpCount * offsetof<ArpEntry>());
  if (FEAT_SCALE) {
    arpBits = changetype<Bits>(poolAlloc(offsetof<Bits>()));
    if (changetype<usize>(arpBits) == 0 || !chainInit(arpChain, arpCount) || !bitsInit(arpBits, <u32>arpCount)) return false;
  }
  slotSize = (offsetof<QueueSlot>() + <usize>rxCap + 15) & ~<usize>15;
  queue = queueCount > 0 ? poolAlloc(<usize>queueCount * slotSize) : 1;
  if (rxBuf == 0 || txBuf == 0 || arpTable == 0 || queue == 0) return false;
  if (queueCount == 0) queue = 0;
  if (mcastCount > 0) {
    mcastTable = poolAlloc(<usize>mcastCount * offsetof<McastEntry>());
    if (mcastTable == 0) return false;
  }

  if (FEAT_FRAG && (!reasm4Init() || !frag4Init())) return false;
  if (FEAT_IPV6 && !ip6Init(txBuf, myMac, mtu, mcastJoin, mcastLeave)) return false;
  netifSetup(txBuf + <usize>ETH_HLEN, myIp, mtu, ipOutput, ipOutputFrag);
  netifSetupGroups(isBroadcast, ifaceJoinGroup, ifaceLeaveGroup);
  // Gratuitous ARP (RFC 5227 §3 announcement): tell the segment who we are.
  if (myIp != 0) announce();
  return true;
}

export function ifaceRxBuffer(): usize { return rxBuf; }
/** Largest frame input() accepts (MTU + 14). */
export function ifaceRxCapacity(): i32 { return rxCap; }
export function ifaceTxBuffer(): usize { return txBuf; }
/** End of the interface's memory (rx buffer, tx buffer, ARP cache, ARP queue, multicast filter, reassembly slots are below it). */
export function ifaceRegionEnd(): usize {
  let end = queueCount > 0 ? queue + <usize>queueCount * slotSize : arpTable + <usize>arpCount * offsetof<ArpEntry>();
  if (mcastCount > 0) end = mcastTable + <usize>mcastCount * offsetof<McastEntry>();
  if (FEAT_FRAG && reasm4RegionEnd() > end) end = reasm4RegionEnd();
  if (FEAT_IPV6 && ip6RegionEnd() > end) end = ip6RegionEnd();
  return end;
}

// ---------------------------------------------------------------------------
// helpers

@inline function maskOf(prefix: u32): u32 { return prefix == 0 ? 0 : <u32>(0xffffffff << (32 - prefix)); }

/** 224.0.0.0/4 (RFC 1112 §4). */
@inline function isMulticastIp(a: u32): bool { return (a >> 28) == 0xe; }

/** RFC 1112 §6.4: 01:00:5e + the low 23 bits of the group address. */
@inline function groupMac(group: u32): u64 { return 0x01005e000000 | <u64>(group & 0x7fffff); }

/** RFC 5227 §2.3 announcement: an ARP request with sender = target = our address. */
function announce(): void {
  count(Stat.ArpAnnouncementsTx);
  sendArp(ARP_REQUEST, 0, myIp, myIp);
}

function isBroadcast(a: u32): bool {
  // no subnet broadcast on /31 (RFC 3021: both addresses are hosts) or /32
  return a == 0xffffffff || (netmask < 0xfffffffe && netmask != 0 && a == (myIp | ~netmask));
}

function isBadSource(a: u32): bool {
  return a == 0 || a >= 0xe0000000 || (a >> 24) == 127 || a == myIp || isBroadcast(a);
}

function transmit(frame: usize, len: i32): void {
  count(Stat.TxFrames);
  hostTx(frame, len);
}

function sendArp(op: u16, tha: u64, tpa: u32, spa: u32): void {
  // Requests go to broadcast (with THA zero); replies straight to the asker.
  let dstMac = op == ARP_REQUEST ? MAC_BROADCAST : tha;
  ethEmit(txBuf, dstMac, myMac, ETHERTYPE_ARP);
  arpEmit(txBuf + <usize>ETH_HLEN, op, myMac, spa, op == ARP_REQUEST ? 0 : tha, tpa);
  count(op == ARP_REQUEST ? Stat.ArpRequestsTx : Stat.ArpRepliesTx);
  // Minimum Ethernet payload is 46 bytes: pad so real NICs need not.
  memory.fill(txBuf + <usize>(ETH_HLEN + ARP_LEN), 0, 46 - ARP_LEN);
  transmit(txBuf, ETH_HLEN + 46);
}

@inline function arpEntry(i: i32): ArpEntry {
  return changetype<ArpEntry>(arpTable + <usize>i * offsetof<ArpEntry>());
}

@inline function slot(i: i32): QueueSlot {
  return changetype<QueueSlot>(queue + <usize>i * slotSize);
}

function arpFind(ip: u32): ArpEntry | null {
  let i = 0;
  if (FEAT_SCALE) i = chainHead(arpChain, addrKey(ip));
  for (; i >= 0 && i < arpCount; i = FEAT_SCALE ? chainNext(arpChain, i) : i + 1) {
    let e = arpEntry(i);
    if (e.state != ARP_FREE && e.ip == ip) return e;
  }
  return null;
}

/** Scale build: `e` (now in use) is found by its address. */
function arpIndexed(e: ArpEntry): void {
  let i = <i32>((changetype<usize>(e) - arpTable) / offsetof<ArpEntry>());
  chainAdd(arpChain, i, addrKey(e.ip)); // (moved when it held another address)
  if (!bitIs(arpBits, <u32>i)) bitPut(arpBits, <u32>i, true);
}

/** Entry `i` becomes free. */
function arpRelease(i: i32): void {
  arpTouch(arpEntry(i));
  arpEntry(i).state = ARP_FREE;
  if (FEAT_SCALE) { chainRemove(arpChain, i); bitPut(arpBits, <u32>i, false); }
}

/** Eviction order: resolved and never used to send, then pending, then resolved in use. */
@inline function arpRank(e: ArpEntry): u32 {
  return e.state == ARP_PENDING ? 1 : e.tries == 0 ? 0 : 2;
}

/**
 * A free entry, or (counted) the lowest-ranked one closest to expiry: a flood of frames to
 * unresolvable (spoofed) neighbours evicts its own pending entries, never a neighbour in use.
 * `idle`: for a sender we never asked about (RFC 826 "add"), only a resolved entry never used to
 * send (rank 0) may go; null (counted) when every entry is in use, so a flood of ARP from random
 * addresses cannot evict the neighbours we talk to.
 */
function arpAllocate(idle: bool): ArpEntry | null {
  if (FEAT_SCALE && arpBits.used < arpCount) return arpEntry(bitsNextClear(arpBits, 0)); // the first free one
  let victim: ArpEntry | null = null;
  let victimRank: u32 = 3;
  for (let i = 0; i < arpCount; i++) {
    let e = arpEntry(i);
    if (e.state == ARP_FREE) return e;
    let rank = arpRank(e);
    if (idle && rank != 0) continue;
    if (rank < victimRank || (rank == victimRank && before(e.deadline, victim!.deadline))) {
      victim = e;
      victimRank = rank;
    }
  }
  count(Stat.ArpCacheFull);
  return victim;
}

/** Record ip -> mac as resolved and send whatever waited for it. */
function arpResolve(e: ArpEntry, ip: u32, mac: u64): void {
  // a resolved entry's `tries` marks it in use: one we asked for, or one a frame was sent through
  let used = e.state == ARP_PENDING || (e.state == ARP_RESOLVED && e.tries != 0);
  if (FEAT_SCALE) arpTouch(e);
  e.ip = ip;
  e.mac = mac;
  e.state = ARP_RESOLVED;
  e.tries = used ? 1 : 0;
  e.deadline = now + arpTimeout;
  if (FEAT_SCALE) { arpIndexed(e); arpNoteDue(e.deadline); }
  flushQueue(ip, mac);
}

/** Send, oldest first, every queued frame for next hop `ip`. */
function flushQueue(ip: u32, mac: u64): void {
  while (true) {
    let best: QueueSlot | null = null;
    for (let i = 0; i < queueCount; i++) {
      let s = slot(i);
      if (s.used != 0 && s.nextHop == ip && (best == null || before(s.seq, best.seq))) best = s;
    }
    if (best == null) return;
    let frame = changetype<usize>(best) + offsetof<QueueSlot>();
    macStore(frame, mac);
    best.used = 0;
    transmit(frame, best.len);
  }
}

/** Drop (counted) queued frames for `ip`, or all frames older than the timeout when ip == 0. */
function dropQueued(ip: u32): void {
  for (let i = 0; i < queueCount; i++) {
    let s = slot(i);
    if (s.used == 0) continue;
    if (ip != 0 ? s.nextHop == ip : !before(now, s.since + ARP_QUEUE_TIMEOUT_MS)) {
      s.used = 0;
      count(Stat.ArpQueueTimeout);
    }
  }
}

function enqueue(nextHop: u32, frame: usize, len: i32): bool {
  for (let i = 0; i < queueCount; i++) {
    let s = slot(i);
    if (s.used == 0) {
      s.used = 1;
      s.nextHop = nextHop;
      s.since = now;
      s.len = len;
      s.seq = queueSeq++;
      memory.copy(changetype<usize>(s) + offsetof<QueueSlot>(), frame, <usize>len);
      return true;
    }
  }
  count(Stat.ArpQueueFull);
  return false;
}

// ---------------------------------------------------------------------------
// output

/**
 * Send `len` bytes of IP payload already at txBuf + 34 to `dst` (netif.ipSend).
 * Returns false (counted) when there is no route or no room in the ARP queue.
 */
function ipOutput(dst: u32, proto: u8, len: i32): bool {
  return ipOutputFrag(dst, proto, len, ipNewId(), IP_FLAG_DF);
}

/** ipOutput with the identification and the flags/fragment offset field given (one fragment: ip/frag4.ts). */
function ipOutputFrag(dst: u32, proto: u8, len: i32, id: u16, frag: u16): bool {
  if (txBuf == 0 || <u32>len > <u32>(mtu - IPV4_HLEN)) return false; // (mtu >= 576; a negative len is a huge u32)
  if (dst == 0) { count(Stat.Ipv4NoRoute); return false; }
  // No address yet: only UDP to the limited broadcast, from 0.0.0.0 (RFC 2131 §4.1, RFC 1122 §3.2.1.3).
  if (myIp == 0 && (dst != 0xffffffff || proto != PROTO_UDP)) { count(Stat.Ipv4NoRoute); return false; }
  let bcast = isBroadcast(dst);
  // Multicast (RFC 1112 §6.4): straight to the group's MAC, no ARP; TTL 1 (§6.1); never looped back to us.
  let mcast = !bcast && isMulticastIp(dst);
  let ip = txBuf + <usize>ETH_HLEN;
  let hl = IPV4_HLEN;
  let hop = dst;
  if (mcast && proto == PROTO_IGMP) {
    // RFC 2236 §2: IGMPv2 messages carry the Router Alert option (the payload moves 4 bytes)
    if (len > mtu - IPV4_HLEN - IP_RA_LEN) return false;
    memory.copy(ip + <usize>(IPV4_HLEN + IP_RA_LEN), ip + <usize>IPV4_HLEN, <usize>len);
    hl = ipv4EmitRouterAlert(ip, myIp, dst, proto, len, id, MULTICAST_TTL);
  } else {
    if (!bcast && !mcast && (dst & netmask) != (myIp & netmask)) {
      if (gateway == 0) { count(Stat.Ipv4NoRoute); return false; }
      hop = gateway;
    }
    ipv4Emit(ip, myIp, dst, proto, len, id, mcast ? MULTICAST_TTL : DEFAULT_TTL, frag);
  }
  ethEmit(txBuf, mcast ? groupMac(dst) : MAC_BROADCAST, myMac, ETHERTYPE_IPV4);
  count(Stat.Ipv4Tx);
  let frameLen = ETH_HLEN + hl + len;
  if (bcast || mcast) { transmit(txBuf, frameLen); return true; }
  let e = arpFind(hop);
  if (e != null && e.state == ARP_RESOLVED && before(now, e.deadline)) {
    e.tries = 1; // in use (arpAllocateIdle never evicts it)
    macStore(txBuf, e.mac);
    transmit(txBuf, frameLen);
    return true;
  }
  let queued = enqueue(hop, txBuf, frameLen);
  if (e == null || e.state != ARP_PENDING) {
    if (e == null) e = arpAllocate(false)!;
    if (FEAT_SCALE) arpTouch(e);
    e.ip = hop;
    e.mac = 0;
    e.state = ARP_PENDING;
    e.tries = 1;
    e.deadline = now + ARP_RETRY_MS;
    if (FEAT_SCALE) { arpIndexed(e); arpNoteDue(e.deadline); }
    sendArp(ARP_REQUEST, 0, hop, myIp); // overwrites txBuf: the frame is already queued
  }
  return queued;
}

/** Take one ICMP error token (simple bucket); false (counted) when rate-limited. */
function icmpErrorAllowed(): bool {
  if (!before(now, icmpRefillAt)) {
    let add = (now - icmpRefillAt) / ICMP_REFILL_MS + 1;
    icmpTokens = icmpTokens + add > ICMP_BURST ? ICMP_BURST : icmpTokens + add;
    icmpRefillAt = now + ICMP_REFILL_MS;
  }
  if (icmpTokens == 0) { count(Stat.IcmpRateLimited); return false; }
  icmpTokens--;
  return true;
}

/** Destination unreachable to the sender of the IP packet at ip (header length hlen, payload plen). */
function sendUnreach(ip: usize, hlen: i32, plen: i32, code: u8): void {
  if (!icmpErrorAllowed()) return;
  let quote = hlen + (plen < 8 ? plen : 8);
  if (ICMP_HLEN + quote > mtu - IPV4_HLEN) return;
  let len = icmpEmitUnreach(txBuf + <usize>(ETH_HLEN + IPV4_HLEN), code, ip, quote);
  if (ipOutput(ipSrc(ip), PROTO_ICMP, len)) count(Stat.IcmpDestUnreachTx);
}

/**
 * RFC 792 / RFC 1122 §3.3.2: Time Exceeded code 1 for an expired reassembly whose offset-0
 * fragment had arrived (ip: its 20-byte header, the first 8 payload bytes after it). Never for a
 * broadcast/multicast destination or one that is no longer ours; rate-limited like every ICMP error.
 */
function sendReasmTimeExceeded(ip: usize): void {
  let dst = ipDst(ip);
  if (myIp == 0 || dst != myIp) return;
  if (!icmpErrorAllowed()) return;
  let len = icmpEmitError(txBuf + <usize>(ETH_HLEN + IPV4_HLEN), ICMP_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY, ip, IPV4_HLEN + 8);
  if (ipOutput(ipSrc(ip), PROTO_ICMP, len)) count(Stat.Ipv4ReasmTimeExceededTx);
}

/** Send an ICMP echo request of `len` data bytes; 0, or 1 = bad length, 2 = cannot send. */
export function ifacePing(dst: u32, id: u16, seq: u16, len: i32, t: u32): i32 {
  setNow(t);
  if (txBuf == 0 || <u32>len > <u32>(mtu - IPV4_HLEN - ICMP_HLEN)) return 1;
  let p = txBuf + <usize>(ETH_HLEN + IPV4_HLEN);
  for (let i = 0; i < len; i++) store<u8>(p + <usize>(ICMP_HLEN + i), <u8>i);
  let n = icmpEmitEcho(p, ICMP_ECHO_REQUEST, id, seq, len);
  return ipOutput(dst, PROTO_ICMP, n) ? 0 : 2;
}

// ---------------------------------------------------------------------------
// input

/** The frame being processed: rxBuf, or a frame in the host's staging region (abi.ts inputAt). */
let rxFrame: usize = 0;

export function ifaceInput(len: i32, t: u32): void { ifaceInputAt(rxBuf, len, t); }

/** Process the frame of `len` bytes at `frame` (rxBuf, or a staged frame the caller checked lies in memory). */
export function ifaceInputAt(at: usize, len: i32, t: u32): void {
  let frame = FEAT_SCALE ? at : rxBuf; // (the MCU builds have no staging region: always rxBuf)
  setNow(t);
  count(Stat.RxFrames);
  if (len > rxCap) { count(Stat.EthTooLong); return; }
  if (FEAT_SCALE) rxFrame = frame;
  if (ethParse(frame, len) < 0) return;
  let dst = ethDst(frame);
  if (dst != myMac && dst != MAC_BROADCAST) {
    if (!macIsGroup(dst)) { count(Stat.EthNotForUs); return; }
    if (mcastFind(dst) == null) { count(Stat.EthMulticastNotJoined); return; } // RFC 1112 §6.4 filter
  }
  let type = ethType(frame);
  let p = frame + <usize>ETH_HLEN;
  if (type == ETHERTYPE_ARP) arpInput(p, len - ETH_HLEN);
  else if (type == ETHERTYPE_IPV4) ipInput(p, len - ETH_HLEN);
  else if (FEAT_IPV6 && type == ETHERTYPE_IPV6 && ip6Enabled()) ip6Input(p, len - ETH_HLEN, macIsGroup(dst), ethSrc(frame));
  else count(Stat.EthUnknownType);
}

function arpInput(p: usize, len: i32): void {
  if (arpParse(p, len) < 0) return;
  count(Stat.ArpRx);
  let op = arpOper(p);
  count(op == ARP_REQUEST ? Stat.ArpRequestsRx : Stat.ArpRepliesRx);
  let sha = arpSha(p);
  let spa = arpSpa(p);
  let tpa = arpTpa(p);
  if (macIsGroup(sha) || sha == 0 || sha == myMac) { count(Stat.ArpBadFormat); return; }
  // RFC 5227 §2.1.1: while an address is being probed, an ARP from another MAC whose sender is
  // that address, or a probe (sender 0) for it, is a conflict (the prober polls acdConflicts).
  if (acdIp != 0 && (spa == acdIp || (spa == 0 && tpa == acdIp && op == ARP_REQUEST))) acdHits++;
  // RFC 5227 §2.4: another MAC claiming our address (gratuitous or not) is a conflict: counted and
  // never cached (a request for another target from it is not answered either).
  if (myIp != 0 && spa == myIp) { count(Stat.ArpAddrConflict); return; }
  // RFC 826 "packet reception": update an existing entry for the sender (merge flag)...
  let merged = false;
  if (spa != 0 && spa != myIp) {
    let e = arpFind(spa);
    if (e != null) { arpResolve(e, spa, sha); merged = true; }
  }
  if (myIp == 0 || tpa != myIp) return;
  // ...and, when we are the target, add it if it was not there, then answer a request.
  if (!merged && spa != 0 && spa != myIp && !isBadSource(spa)) {
    let e = arpAllocate(true);
    if (e != null) arpResolve(e, spa, sha);
  }
  if (op == ARP_REQUEST) sendArp(ARP_REPLY, sha, spa, myIp);
}

function ipInput(p: usize, len: i32): void {
  let hlen = ipv4Parse(p, len);
  if (hlen < 0) return;
  count(Stat.Ipv4Rx);
  let src = ipSrc(p);
  let dst = ipDst(p);
  let proto = ipProto(p);
  let mcast = isMulticastIp(dst);
  // group = broadcast or multicast: never TCP, never an ICMP answer (RFC 1122 §3.3.6, §3.2.2).
  let group = isBroadcast(dst) || mcast;
  // RFC 1122 §3.3.6: a link-layer broadcast/multicast must carry an IP broadcast/multicast destination.
  if (!group && macIsGroup(ethDst(FEAT_SCALE ? rxFrame : rxBuf))) { count(Stat.Ipv4NotForUs); return; }
  if (mcast) {
    // RFC 1112 §6.4: only groups we joined (the group's MAC is in the filter).
    if (mcastFind(groupMac(dst)) == null) { count(Stat.Ipv4MulticastNotJoined); return; }
  } else if (myIp == 0) {
    // RFC 2131 §4.1: before it has an address a client accepts broadcast and unicast to its
    // MAC (the frame filter checked the MAC; the IP destination is the address on offer).
  } else if (dst != myIp && !group) { count(Stat.Ipv4NotForUs); return; }
  // RFC 1122 §3.2.1.3: 0.0.0.0 is a source only while a host learns its address (a DHCP/BOOTP
  // client's broadcast, RFC 2131 §4.1): accepted for UDP to the limited broadcast, so a server
  // on this stack can hear it; every other bad source is dropped.
  if (isBadSource(src) && !(src == 0 && proto == PROTO_UDP && dst == 0xffffffff)) { count(Stat.Ipv4BadSource); return; }
  if (myIp == 0 && proto != PROTO_UDP) { count(Stat.Ipv4Unconfigured); return; } // no ICMP, TCP... without an address
  if ((ipFrag(p) & (IP_FLAG_MF | IP_OFFSET_MASK)) != 0) {
    // RFC 791 §3.2: a fragment; go on with the datagram once it is whole, as if it had arrived so
    if (!FEAT_FRAG) { count(Stat.Ipv4FragRx); count(Stat.Ipv4FragNoReasm); return; } // built without reassembly
    p = reasm4Input(p, hlen, now);
    if (p == 0) return;
    hlen = IPV4_HLEN;
  }
  let pl = p + <usize>hlen;
  let plen = ipTotalLen(p) - hlen;
  if (proto == PROTO_ICMP) icmpInput(p, pl, plen, src, group);
  else if (proto == PROTO_UDP) udpInput(p, hlen, pl, plen, src, dst, group || myIp == 0);
  else if (FEAT_IGMP && proto == PROTO_IGMP) igmpInput(pl, plen, src, dst); // RFC 2236 (to a joined group or 224.0.0.1)
  else if (proto == PROTO_TCP) {
    if (group) { count(Stat.Ipv4NotForUs); return; } // RFC 9293 §3.9.2.1, RFC 1122 §4.2.3.10: no TCP to broadcast/multicast
    tcpInput4(src, dst, pl, plen); // TCP validates its own checksum
  } else {
    count(Stat.Ipv4UnknownProto);
    if (!group) sendUnreach(p, hlen, plen, UNREACH_PROTOCOL);
  }
}

function icmpInput(ip: usize, p: usize, len: i32, src: u32, bcast: bool): void {
  if (icmpParse(p, len) < 0) return;
  count(Stat.IcmpRx);
  let type = icmpType(p);
  if (type == ICMP_ECHO_REQUEST) {
    count(Stat.IcmpEchoRequestsRx);
    if (bcast) { count(Stat.IcmpEchoBroadcastIgnored); return; } // RFC 1122 §3.2.2.6 MAY ignore
    // RFC 792: the reply carries the request's identifier, sequence number and data.
    // A reassembled request (over the MTU) is answered in place (the reassembly buffer), in fragments.
    let big = len > mtu - IPV4_HLEN;
    let out = big ? p : txBuf + <usize>(ETH_HLEN + IPV4_HLEN);
    if (!big) memory.copy(out, p, <usize>len);
    store<u8>(out + ICMP_TYPE, ICMP_ECHO_REPLY);
    icmpFinish(out, len);
    if (big ? ip4SendGather(src, PROTO_ICMP, 0, 0, p, len) : ipOutput(src, PROTO_ICMP, len)) count(Stat.IcmpEchoRepliesTx);
  } else if (type == ICMP_ECHO_REPLY) {
    count(Stat.IcmpEchoRepliesRx);
    hostEvent(-1, EventKind.EchoReply, <i32>icmpSeq(p));
  } else if (type == ICMP_DEST_UNREACH) {
    count(Stat.IcmpDestUnreachRx);
    let code = <u32>icmpCode(p), q = p + <usize>ICMP_HLEN, n = len - ICMP_HLEN;
    tcpIcmpUnreach(code, q, n); // RFC 1122 §4.2.3.9
    udpIcmpUnreach(code, q, n); // RFC 1122 §4.1.3.3
  } else {
    count(Stat.IcmpOtherRx);
  }
}

/** `bcast`: the datagram went to broadcast/multicast, or we have no address yet: never answer with ICMP. */
function udpInput(ip: usize, hlen: i32, p: usize, len: i32, src: u32, dst: u32, bcast: bool): void {
  if (udpParse(p, len, src, dst) < 0) return;
  count(Stat.UdpRx);
  // Unicast: the socket bound to the port. Broadcast / multicast: a copy to every socket of the
  // port that enabled Broadcast / joined the group (udpDeliver counts those nobody took).
  let cast = isMulticastIp(dst) ? CAST_MULTICAST : isBroadcast(dst) ? CAST_BROADCAST : CAST_UNICAST;
  if (udpDeliver(p, src, dst, cast) || cast != CAST_UNICAST) return;
  if (!bcast) sendUnreach(ip, hlen, len, UNREACH_PORT); // RFC 1122 §3.2.2.1
}

// ---------------------------------------------------------------------------
// run-time configuration (ABI: ifaceSetIpv4, ifaceClearIpv4, ifaceSetDns, ifaceInfo, joins)

/** A host address we may take: not 0, loopback, multicast/class E or limited broadcast. */
export function validHost(a: u32): bool {
  return a != 0 && (a >> 24) != 127 && (a >> 24) != 0 && a < 0xe0000000;
}

/** Prefixes up to /30 reserve the all-zeros and all-ones host numbers (RFC 1122 §3.2.1.3; /31 is RFC 3021). */
function reservedHost(a: u32, mask: u32, prefix: i32): bool {
  return prefix <= 30 && prefix > 0 && ((a & ~mask) == 0 || (a | mask) == 0xffffffff);
}

/** Forget neighbours that are no longer on-link (all of them without an address) and drop queued frames. */
function arpPrune(dropAllQueued: bool): void {
  for (let i = 0; i < queueCount; i++) {
    let s = slot(i);
    if (s.used == 0) continue;
    if (dropAllQueued || myIp == 0 || ((s.nextHop & netmask) != (myIp & netmask))) {
      s.used = 0;
      count(Stat.IfaceQueueFlushed);
    }
  }
  for (let i = 0; i < arpCount; i++) {
    let e = arpEntry(i);
    if (e.state == ARP_FREE) continue;
    if (myIp == 0 || (e.ip & netmask) != (myIp & netmask) || e.ip == myIp) {
      if (FEAT_SCALE) arpRelease(i); else e.state = ARP_FREE;
      // (queued frames for it went above: every frame queues for an on-link next hop)
    }
  }
}

function changed(bits: i32): void {
  configGen++;
  count(Stat.IfaceAddrChanges);
  hostEvent(-1, EventKind.AddressChanged, bits);
}

/**
 * Set the IPv4 address, prefix length and gateway (0 = none) at run time. Validates, aborts
 * connections on a replaced address (EADDRNOTAVAIL), keeps the on-link ARP entries, announces
 * a new address (RFC 5227 §2.3) and raises AddressChanged once. Returns 0 or -Err.
 */
export function ifaceSetIpv4(addr: u32, prefix: i32, gw: u32): i32 {
  if (txBuf == 0) return -Err.ESTATE;
  if (<u32>prefix > 32 || !validHost(addr)) return -Err.EINVAL;
  let mask = maskOf(<u32>prefix);
  if (reservedHost(addr, mask, prefix)) return -Err.EINVAL;
  if (gw != 0 && (!validHost(gw) || gw == addr || (gw & mask) != (addr & mask) || reservedHost(gw, mask, prefix))) return -Err.EINVAL;
  let bits = 0;
  if (addr != myIp || <u32>prefix != prefixLen) bits |= IFACE_CHANGED_ADDR;
  if (gw != gateway) bits |= IFACE_CHANGED_GATEWAY;
  if (bits == 0) return 0;
  let old = myIp;
  let newAddr = addr != old;
  if (newAddr && old != 0) tcpAddressGone(LADDR_V4);
  myIp = addr;
  prefixLen = <u32>prefix;
  netmask = mask;
  gateway = gw;
  netifSetAddr4(addr);
  arpPrune(newAddr); // queued frames carry the old source address: drop them
  if (newAddr) announce();
  changed(bits);
  return 0;
}

// RFC 5227 address conflict detection, for a prober (services/dhcp.ts) that must not be imported here.
let acdIp: u32 = 0;
let acdHits: u32 = 0;

/** Watch ARP for `ip` (0 = stop watching) and reset the conflict count. */
export function ifaceAcdWatch(ip: u32): void { acdIp = ip; acdHits = 0; }

/** Conflicting ARP packets seen for the watched address since ifaceAcdWatch. */
export function ifaceAcdConflicts(): u32 { return acdHits; }

/** RFC 5227 §2.1.1 probe: an ARP request for `ip` with sender IP 0 (and target MAC 0). */
export function ifaceArpProbe(ip: u32): void { if (txBuf != 0) sendArp(ARP_REQUEST, 0, ip, 0); }

/** RFC 5227 §2.3 announcement of our address (ifaceSetIpv4 sends the first one). */
export function ifaceArpAnnounce(): void { if (txBuf != 0 && myIp != 0) announce(); }

/** Remove the IPv4 address (and prefix and gateway): connections on it are aborted (EADDRNOTAVAIL). */
export function ifaceClearIpv4(): i32 {
  if (txBuf == 0) return -Err.ESTATE;
  if (myIp == 0) return 0;
  let bits = IFACE_CHANGED_ADDR | (gateway != 0 ? IFACE_CHANGED_GATEWAY : 0);
  tcpAddressGone(LADDR_V4);
  myIp = 0;
  prefixLen = 0;
  netmask = 0;
  gateway = 0;
  netifSetAddr4(0);
  arpPrune(true);
  changed(bits);
  return 0;
}

/** DNS server `index` (0..DNS_MAX-1) = addr, 0 to clear it. */
export function ifaceSetDns(index: i32, addr: u32): i32 {
  if (txBuf == 0) return -Err.ESTATE;
  if (index < 0 || index >= DNS_MAX) return -Err.EINVAL;
  if (addr != 0 && (!validHost(addr) || addr == 0xffffffff)) return -Err.EINVAL;
  let p = dnsServers + (<usize>index << 2);
  if (load<u32>(p) == addr) return 0;
  store<u32>(p, addr);
  changed(IFACE_CHANGED_DNS);
  return 0;
}

/** DNS server `index`, 0 when unset or out of range. */
export function ifaceDns(index: i32): u32 {
  return index < 0 || index >= DNS_MAX ? 0 : load<u32>(dnsServers + (<usize>index << 2));
}

@inline function mcastEntry(i: i32): McastEntry {
  return changetype<McastEntry>(mcastTable + <usize>i * offsetof<McastEntry>());
}

function mcastFind(mac: u64): McastEntry | null {
  for (let i = 0; i < mcastCount; i++) {
    let e = mcastEntry(i);
    if (e.refs != 0 && e.mac == mac) return e;
  }
  return null;
}

function mcastInUse(): i32 {
  let n = 0;
  for (let i = 0; i < mcastCount; i++) if (mcastEntry(i).refs != 0) n++;
  return n;
}

/** Accept frames to group MAC `mac` (one more reference). 0, -EINVAL (not a group MAC, or broadcast), -ENOMEM (table full). */
export function mcastJoin(mac: u64): i32 {
  if (txBuf == 0) return -Err.ESTATE;
  mac &= 0xffffffffffff;
  if (!macIsGroup(mac) || mac == MAC_BROADCAST) return -Err.EINVAL;
  let e = mcastFind(mac);
  if (e != null) {
    if (e.refs == 0xffffffff) return -Err.ENOMEM;
    e.refs++;
    return 0;
  }
  for (let i = 0; i < mcastCount; i++) {
    let f = mcastEntry(i);
    if (f.refs == 0) { f.mac = mac; f.refs = 1; return 0; }
  }
  return -Err.ENOMEM;
}

/** Drop one reference to group MAC `mac` (the filter forgets it at zero). 0, -EINVAL (not joined). */
export function mcastLeave(mac: u64): i32 {
  if (txBuf == 0) return -Err.ESTATE;
  let e = mcastFind(mac & 0xffffffffffff);
  if (e == null) return -Err.EINVAL;
  e.refs--;
  return 0;
}

/** Join IPv4 group `group` (224.0.0.0/4): its RFC 1112 §6.4 MAC joins the filter. */
export function ifaceJoinGroup(group: u32): i32 {
  if (!isMulticastIp(group)) return -Err.EINVAL;
  return mcastJoin(groupMac(group));
}

export function ifaceLeaveGroup(group: u32): i32 {
  if (!isMulticastIp(group)) return -Err.EINVAL;
  return mcastLeave(groupMac(group));
}

/** Write the ifaceInfo fields (IfaceInfoField) at `out` (caller checked the range). */
export function ifaceInfoWrite(out: usize): void {
  store<u32>(out, myIp);
  store<u32>(out, prefixLen, 4);
  store<u32>(out, netmask, 8);
  store<u32>(out, gateway, 12);
  store<u32>(out, myIp == 0 || netmask >= 0xfffffffe ? 0xffffffff : (myIp | ~netmask), 16);
  store<u32>(out, <u32>mtu, 20);
  store<u32>(out, <u32>(myMac >> 32), 24);
  store<u32>(out, <u32>myMac, 28);
  store<u32>(out, <u32>DNS_MAX, 32);
  for (let i = 0; i < DNS_MAX; i++) store<u32>(out + <usize>(36 + 4 * i), load<u32>(dnsServers + (<usize>i << 2)));
  store<u32>(out, <u32>mcastInUse(), 48);
  store<u32>(out, <u32>mcastCount, 52);
  store<u32>(out, configGen, 56);
  store<u32>(out, <u32>arpInUse(), 60);
}

function arpInUse(): i32 {
  if (FEAT_SCALE) return arpBits.used;
  let n = 0;
  for (let i = 0; i < arpCount; i++) if (arpEntry(i).state != ARP_FREE) n++;
  return n;
}

// ---------------------------------------------------------------------------
// timers

/** Run ARP timers (and TCP's); returns ms until the next deadline, or -1 for none. */
export function ifacePoll(t: u32): i32 {
  setNow(t);
  let next: i32 = -1;
  if (FEAT_SCALE && !arpDueDirty && (!arpDueSet || before(now, arpDueAt))) {
    if (arpDueSet) next = nearer(next, arpDueAt);
  } else {
    let due = false;
    let at: u32 = 0;
    for (let i = 0; i < arpCount; i++) {
      let e = arpEntry(i);
      if (e.state == ARP_FREE) continue;
      if (!before(now, e.deadline)) {
        if (e.state == ARP_RESOLVED) { if (FEAT_SCALE) arpRelease(i); else e.state = ARP_FREE; continue; }
        if (e.tries >= ARP_MAX_TRIES) { dropQueued(e.ip); if (FEAT_SCALE) arpRelease(i); else e.state = ARP_FREE; continue; }
        e.tries++;
        e.deadline = now + ARP_RETRY_MS;
        sendArp(ARP_REQUEST, 0, e.ip, myIp);
      }
      if (FEAT_SCALE && (!due || before(e.deadline, at))) { at = e.deadline; due = true; }
      next = nearer(next, e.deadline);
    }
    if (FEAT_SCALE) { arpDueSet = due; arpDueAt = at; arpDueDirty = false; }
  }
  dropQueued(0);
  if (FEAT_FRAG) {
    for (let ip = reasm4Expire(now); ip != 0; ip = reasm4Expire(now)) sendReasmTimeExceeded(ip);
    next = sooner(next, reasm4NextDeadline());
  }
  for (let i = 0; i < queueCount; i++) {
    let s = slot(i);
    if (s.used != 0) next = nearer(next, s.since + ARP_QUEUE_TIMEOUT_MS);
  }
  next = sooner(next, tcpPoll());
  if (FEAT_IPV6) next = sooner(next, ip6Poll());
  return FEAT_IGMP ? sooner(next, igmpPoll()) : next;
}

// ---------------------------------------------------------------------------
// test helpers (exported only through assembly/testing.ts)

/** The resolved MAC for ip, or -1 when there is none. */
export function arpLookup(ip: u32): i64 {
  let e = arpFind(ip);
  return e != null && e.state == ARP_RESOLVED ? <i64>e.mac : -1;
}

/** Send a UDP datagram of `len` bytes (0, 1, 2...) from our address (0.0.0.0 without one): true if sent or queued. */
export function testUdpSend(dst: u32, sport: u16, dport: u16, len: i32): bool {
  if (txBuf == 0 || len < 0 || len > mtu - IPV4_HLEN - 8) return false;
  let p = txBuf + <usize>(ETH_HLEN + IPV4_HLEN);
  for (let i = 0; i < len; i++) store<u8>(p + <usize>(8 + i), <u8>i);
  return ipOutput(dst, PROTO_UDP, udpEmit(p, myIp, dst, sport, dport, len));
}

/** Frames waiting for ARP resolution. */
export function arpQueued(): i32 {
  let n = 0;
  for (let i = 0; i < queueCount; i++) if (slot(i).used != 0) n++;
  return n;
}
