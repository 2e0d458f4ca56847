// UDP sockets (RFC 768): a pool of Cfg.UdpSockets sockets, each with a bounded receive
// queue (a byte ring of Cfg.UdpQueueBytes reserved at init) holding whole datagrams as
// records [source ip u32][source port u16][length u16][payload]. iface.ts hands every valid
// datagram to udpDeliver; sending goes through netif's ipSend (this file never imports iface).
// Every misuse returns a negative Err; nothing traps, nothing is allocated after init.
// Over IPv6 (builds with WT_IPV6) ip/ipv6.ts calls udpInput6; a datagram over the path MTU goes
// as fragments through ip/ipv6.ts's ip6SendGather (WT_FRAG6; reached through ip/ip6ops.ts), and a socket's group slots may hold IPv6 groups
// (UdpOpt.JoinGroup6: the index + 1 of ip/ipv6.ts's group table, which reports them by MLDv2).
import { cfg, Cfg } from "./config";
import { poolAlloc, ringCopy, validRange } from "./pool";
import { count, Stat } from "./stats";
import { Err, EventKind } from "./errors";
import { UdpInfoField, UdpOpt, UdpFrom6Field } from "./abi-consts";
import { hostEvent } from "./host";
import { ipTxPayload, ipMtu, localAddr, ipIsBroadcast, ipTxPayloadFor, ipSendFrom6, localAddrFor6, localAddrIndex, localAddrPtr, pathMtu } from "./netif";
import { FAMILY_V6, addrEq, addrIsV4, addrIsZero, addrSetV4, addrV4 } from "./ip/addr";
import { pseudoSum6, sum16, finish } from "./checksum";
import { PROTO_UDP, IPV4_HLEN, ipDst, ipHeaderLen, ipProto, ipSrc, ipVersion } from "./wire/ipv4";
import { UNREACH_FRAG_NEEDED, UNREACH_PORT, UNREACH_PROTOCOL } from "./wire/icmp";
import { IGMP_ALL_HOSTS } from "./wire/igmp";
import { igmpJoin, igmpLeave } from "./igmp";
import { FEAT_FRAG6, FEAT_IGMP, FEAT_IPV6 } from "./features";
import { UDP_HLEN, udpEmitHeader, udpLength, udpSrcPort, udpDstPort } from "./wire/udp";
import { ip4SendGather, ip4MaxPayload } from "./ip/frag4";
import { ip6Gather, ip6GroupIdx, ip6GroupRef, ip6GroupUnref, GROUPS6 } from "./ip/ip6ops";
import { IPV6_HLEN, a6IsAllNodes } from "./wire/ipv6";
import { HandleKind, HANDLE_SLOTS, handleEncode, handleEntry, handleNextGen } from "./handles";
import { randomU32 } from "./tcp/isn"; // the stack's keyed PRNG (SipHash over the host's entropy)

const U_INUSE: u16 = 1;
const U_BOUND: u16 = 2;
const U_CONNECTED: u16 = 4;
const U_BROADCAST: u16 = 8;  // UdpOpt.Broadcast (SO_BROADCAST)
const U_REUSE: u16 = 16;     // UdpOpt.ReuseAddr (SO_REUSEADDR)
const U_PEER6: u16 = 32;     // connected to an IPv6 peer (r6a, r6b; raddr holds V6_MARK)
const U_ONLY4: u16 = 64;     // UdpOpt.Family 4: IPv4 datagrams only
const U_ONLY6: u16 = 128;    // UdpOpt.Family 6: IPv6 datagrams only (IPV6_V6ONLY)
/** The source field of an IPv6 datagram's record (255.255.255.255 is never an IPv4 source): 16 address bytes follow the header. */
const V6_MARK: u32 = 0xffffffff;
/** udpRecvFrom6's `out` (abi.mjs udpFrom6): 16 address bytes, port u32, size u32. */
export const UDP_FROM6_BYTES: i32 = UdpFrom6Field.COUNT * 4;
const recHdr: usize = memory.data(24, 8);
/** Groups one socket may join (udpJoinGroup). */
export const UDP_GROUPS: i32 = 4;
/** udpDeliver's `cast`: how the datagram was addressed. */
export const CAST_UNICAST: i32 = 0;
export const CAST_BROADCAST: i32 = 1;
export const CAST_MULTICAST: i32 = 2;
const REC_HLEN: u32 = 8;
/** The header of the datagram being sent (its payload stays where the caller put it). */
const txHeader: usize = memory.data(UDP_HLEN, 8);
const EPHEMERAL_MIN: u32 = 49152;
const EPHEMERAL_NUM: u32 = 16384;
/** u32 fields udpRecvFrom writes at `out`, and udpInfo. */
export const UDP_FROM_FIELDS: i32 = 3;

@unmanaged class UdpSock {
  flags: u16; gen: u16;
  lport: u16; rport: u16;
  raddr: u32;
  qStart: u32;   // ring offset of the oldest record
  qLen: u32;     // bytes of records queued
  qCount: u32;   // datagrams queued
  err: u32;      // pending error from an ICMP message (Err), reported once by the next send/receive
  g0: u32; g1: u32; g2: u32; g3: u32; // groups joined (UDP_GROUPS), 0 = free
  drops: u32;   // datagrams dropped on a full queue (udpInfo)
  r6a: u64; r6b: u64; // the IPv6 peer of a U_PEER6 socket
}
@inline function groupAt(s: UdpSock, i: i32): usize { return changetype<usize>(s) + offsetof<UdpSock>("g0") + (<usize>i << 2); }
function hasGroup(s: UdpSock, g: u32): bool {
  for (let i = 0; i < UDP_GROUPS; i++) if (load<u32>(groupAt(s, i)) == g) return true;
  return false;
}

let base: usize = 0;
let nSocks: i32 = 0;
let rings: usize = 0;
let qCap: u32 = 0;
let ready = false;

/** Reserve the UDP pool and its queues. Called once by init(). */
export function udpInit(): bool {
  let n = cfg(Cfg.UdpSockets);
  qCap = cfg(Cfg.UdpQueueBytes);
  if (n > HANDLE_SLOTS || qCap > 0x40000000) return false;
  nSocks = <i32>n;
  ready = true;
  if (n == 0) return true;
  base = poolAlloc(<usize>n * offsetof<UdpSock>());
  rings = poolAlloc(<usize>n * <usize>qCap);
  return base != 0 && rings != 0;
}

@inline function sockAt(i: i32): UdpSock { return changetype<UdpSock>(base + <usize>i * offsetof<UdpSock>()); }
@inline function ringOf(s: UdpSock): usize {
  return rings + <usize>((changetype<usize>(s) - base) / offsetof<UdpSock>()) * <usize>qCap;
}
@inline function handleOfSock(s: UdpSock): i32 {
  return handleEncode(HandleKind.UDP, <i32>s.gen, <i32>((changetype<usize>(s) - base) / offsetof<UdpSock>()));
}

function fromHandle(h: i32): UdpSock | null {
  let s = changetype<UdpSock>(handleEntry(h, HandleKind.UDP, base, nSocks, offsetof<UdpSock>(), offsetof<UdpSock>("gen")));
  return s != null && (s.flags & U_INUSE) != 0 ? s : null;
}



/** Free sockets in the pool (a scan: for the fuzz harnesses' pool invariants, not a hot path). */
export function udpFreeCount(): i32 {
  let n = 0;
  for (let i = 0; i < nSocks; i++) if ((sockAt(i).flags & U_INUSE) == 0) n++;
  return n;
}

/** Is `port` taken for a socket with `reuse` (U_REUSE): by any socket, or by one without ReuseAddr? */
function portUsed(port: u32, reuse: bool = false): bool {
  for (let i = 0; i < nSocks; i++) {
    let s = sockAt(i);
    if ((s.flags & U_BOUND) != 0 && <u32>s.lport == port && (!reuse || (s.flags & U_REUSE) == 0)) return true;
  }
  return false;
}

/** A new unbound UDP socket: its handle, -ENOMEM (pool full), -ESTATE (before init). */
export function udpOpen(): i32 {
  if (!ready) return -Err.ESTATE;
  for (let i = 0; i < nSocks; i++) {
    let s = sockAt(i);
    if ((s.flags & U_INUSE) != 0) continue;
    let gen = handleNextGen(<i32>s.gen);
    memory.fill(changetype<usize>(s), 0, offsetof<UdpSock>());
    s.gen = <u16>gen;
    s.flags = U_INUSE;
    return handleOfSock(s);
  }
  return -Err.ENOMEM;
}

/**
 * Bind a local port; 0 picks a free one in 49152-65535 from a random start (RFC 6056
 * §3.3.1). Returns the port bound, -EADDRINUSE, -EINVAL (bound already, out of range).
 */
export function udpBind(h: i32, port: i32): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if ((s.flags & U_BOUND) != 0 || <u32>port > 65535) return -Err.EINVAL;
  let p = <u32>port;
  if (p == 0) {
    let start = randomU32();
    for (let i: u32 = 0; i < EPHEMERAL_NUM; i++) {
      let c = EPHEMERAL_MIN + (start + i) % EPHEMERAL_NUM;
      if (!portUsed(c)) { p = c; break; }
    }
    if (p == 0) return -Err.EADDRINUSE;
  } else if (portUsed(p, (s.flags & U_REUSE) != 0)) {
    return -Err.EADDRINUSE;
  }
  s.lport = <u16>p;
  s.flags |= U_BOUND;
  return <i32>p;
}

@inline function badPeer(ip: u32, port: i32): bool {
  return ip == 0 || ip == 0xffffffff || ip >= 0xe0000000 || port <= 0 || port > 65535;
}

/**
 * Fix the peer: only datagrams from ip:port are delivered, udpSendTo may pass ip 0 and port 0.
 * ip 0 and port 0 dissolve the association. Binds an ephemeral port when unbound. 0 or -Err.
 */
export function udpConnect(h: i32, ip: u32, port: i32): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (ip == 0 && port == 0) { s.flags &= ~(U_CONNECTED | U_PEER6); s.raddr = 0; s.rport = 0; return 0; }
  if (badPeer(ip, port)) return -Err.EINVAL;
  if ((s.flags & U_BOUND) == 0) {
    let r = udpBind(h, 0);
    if (r < 0) return r;
  }
  s.raddr = ip;
  s.rport = <u16>port;
  s.flags = (s.flags | U_CONNECTED) & ~U_PEER6;
  return 0;
}

/**
 * Send `len` bytes at `ptr` as one datagram to ip:port (ip 0 and port 0 on a connected
 * socket: to its peer). Binds an ephemeral port when unbound. A datagram larger than the MTU
 * goes as IPv4 fragments (ip/frag4.ts). Returns len, or -EMSGSIZE (8 + len > FragMaxBytes
 * and > MTU - 20), -EINVAL (bad pointer/peer; a datagram to fragment that lies in the tx frame), -EISCONN (a peer given on a
 * connected socket), -ENOTCONN (no peer), -EHOSTUNREACH (no route, ARP queue full).
 */
export function udpSendTo(h: i32, ip: u32, port: i32, ptr: usize, len: i32): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (!validRange(ptr, len)) return -Err.EINVAL;
  if (ip == 0 && port == 0) {
    if ((s.flags & U_CONNECTED) == 0) return -Err.ENOTCONN;
    if (FEAT_IPV6 && (s.flags & U_PEER6) != 0) return send6(s, h, peer6(s), <i32>s.rport, ptr, len);
    ip = s.raddr; port = <i32>s.rport;
  } else if ((s.flags & U_CONNECTED) != 0) {
    return -Err.EISCONN;
  } else if (port <= 0 || port > 65535 || ip == 0 || (ip >= 0xf0000000 && ip != 0xffffffff)) {
    return -Err.EINVAL; // class E is not a destination; multicast and broadcast are (below)
  } else if (ipIsBroadcast(ip) && (s.flags & U_BROADCAST) == 0) {
    count(Stat.UdpBroadcastRefused);
    return -Err.EACCES; // like Linux without SO_BROADCAST
  }
  return sendFrom(s, h, ip, port, ptr, len);
}

function sendFrom(s: UdpSock, h: i32, ip: u32, port: i32, ptr: usize, len: i32): i32 {
  if (s.err != 0) { let e = s.err; s.err = 0; return -<i32>e; } // an ICMP error reported once (like Linux)
  if (len > ip4MaxPayload() - UDP_HLEN) return -Err.EMSGSIZE;
  if (len > ipMtu - IPV4_HLEN - UDP_HLEN) {
    // fragments are copied from ptr one by one into the tx frame: ptr must not lie in it
    let frame = ipTxPayload - <usize>(IPV4_HLEN + 14);
    if (ptr < frame + <usize>(ipMtu + 14) && ptr + <usize>len > frame) return -Err.EINVAL;
  }
  if ((s.flags & U_BOUND) == 0) {
    let r = udpBind(h, 0);
    if (r < 0) return r;
  }
  udpEmitHeader(txHeader, localAddr, ip, s.lport, <u16>port, ptr, len);
  if (!ip4SendGather(ip, PROTO_UDP, txHeader, UDP_HLEN, ptr, len)) return -Err.EHOSTUNREACH;
  count(Stat.UdpTx);
  return len;
}

/**
 * Copy the oldest datagram's payload (at most `max` bytes) to `ptr` and 3 u32 to `out`:
 * source ip, source port, the datagram's full length. Returns the bytes copied; a datagram
 * longer than `max` is truncated (out[2] > result) and its rest discarded. -EAGAIN when empty.
 */
export function udpRecvFrom(h: i32, ptr: usize, max: i32, out: usize): i32 {
  return recv(h, ptr, max, out, false);
}

/**
 * udpRecvFrom with the source as 16 bytes (IPv4 as ::ffff:a.b.c.d) at `out`, then the port and
 * the datagram's full length (u32 each): UDP_FROM6_BYTES at `out`.
 */
export function udpRecvFrom6(h: i32, ptr: usize, max: i32, out: usize): i32 {
  return recv(h, ptr, max, out, true);
}

function recv(h: i32, ptr: usize, max: i32, out: usize, wide: bool): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (!validRange(ptr, max) || !validRange(out, wide ? UDP_FROM6_BYTES : UDP_FROM_FIELDS * 4)) return -Err.EINVAL;
  if (s.err != 0) { let e = s.err; s.err = 0; return -<i32>e; }
  if (s.qCount == 0) return -Err.EAGAIN;
  let ring = ringOf(s);
  ringCopy(ring, qCap, s.qStart, out, REC_HLEN, false); // [src ip][sport u16][len u16]
  let ip = load<u32>(out);
  let w = load<u32>(out, 4);
  let len = w >>> 16;
  let hl = REC_HLEN;
  if (FEAT_IPV6 && ip == V6_MARK) hl += 16; // an IPv6 source follows (udpInput6)
  if (FEAT_IPV6 && wide) {
    store<u32>(out, w & 0xffff, UdpFrom6Field.port * 4);
    store<u32>(out, len, UdpFrom6Field.size * 4);
    let a = out + <usize>(UdpFrom6Field.addr0 * 4);
    if (hl != REC_HLEN) ringCopy(ring, qCap, s.qStart + REC_HLEN, a, 16, false);
    else addrSetV4(a, ip);
  } else {
    if (FEAT_IPV6 && hl != REC_HLEN) store<u32>(out, 0); // (the IPv4 form reports 0 for an IPv6 source)
    store<u32>(out, w & 0xffff, 4);
    store<u32>(out, len, 8);
  }
  let n = len < <u32>max ? len : <u32>max;
  ringCopy(ring, qCap, s.qStart + hl, ptr, n, false);
  s.qStart = (s.qStart + hl + len) % qCap;
  s.qLen -= hl + len;
  s.qCount--;
  return <i32>n;
}

/** Release the socket and its queued datagrams; its handle becomes stale. */
export function udpClose(h: i32): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  for (let i = 0; i < UDP_GROUPS; i++) {
    let g = load<u32>(groupAt(s, i));
    if (FEAT_IPV6 && g != 0 && g <= <u32>GROUPS6) { store<u32>(groupAt(s, i), 0); ip6GroupUnref(<i32>g - 1); continue; }
    if (FEAT_IGMP && g != 0) { store<u32>(groupAt(s, i), 0); igmpLeave(g); }
  }
  s.flags = 0;
  return 0;
}

/** Set option `opt` (UdpOpt) to `value`. 0, -EINVAL (unknown option). */
export function udpSetOption(h: i32, opt: i32, value: i32): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (opt == UdpOpt.Broadcast) {
    if (value != 0) s.flags |= U_BROADCAST; else s.flags &= ~U_BROADCAST;
    return 0;
  }
  if (opt == UdpOpt.ReuseAddr) {
    if (value != 0) s.flags |= U_REUSE; else s.flags &= ~U_REUSE;
    return 0;
  }
  if (FEAT_IPV6 && (opt == UdpOpt.JoinGroup6 || opt == UdpOpt.LeaveGroup6)) return group6(s, opt == UdpOpt.JoinGroup6, <usize>value);
  if (FEAT_IPV6 && opt == UdpOpt.Family) {
    if (value != 0 && value != 4 && value != 6) return -Err.EINVAL;
    s.flags = (s.flags & ~(U_ONLY4 | U_ONLY6)) | (value == 4 ? U_ONLY4 : value == 6 ? U_ONLY6 : 0);
    return 0;
  }
  return -Err.EINVAL;
}

/**
 * The socket receives datagrams to IPv4 group `group` on its port (RFC 1112); IGMP reports the
 * group (igmp.ts). 0, -EINVAL (not multicast, 224.0.0.1, joined already), -ENOMEM (no slot).
 */
export function udpJoinGroup(h: i32, group: u32): i32 {
  if (!FEAT_IGMP) return -Err.ENOSYS;
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if ((group >> 28) != 0xe || group == IGMP_ALL_HOSTS || hasGroup(s, group)) return -Err.EINVAL;
  for (let i = 0; i < UDP_GROUPS; i++) {
    if (load<u32>(groupAt(s, i)) != 0) continue;
    let r = igmpJoin(group);
    if (r < 0) return r;
    store<u32>(groupAt(s, i), group);
    return 0;
  }
  return -Err.ENOMEM;
}

/** Leave `group`: 0, -EINVAL when the socket did not join it. */
export function udpLeaveGroup(h: i32, group: u32): i32 {
  if (!FEAT_IGMP) return -Err.ENOSYS;
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (group == 0 || (FEAT_IPV6 && group <= <u32>GROUPS6)) return -Err.EINVAL; // (small values: IPv6 entries, group6)
  for (let i = 0; i < UDP_GROUPS; i++) {
    if (load<u32>(groupAt(s, i)) != group) continue;
    store<u32>(groupAt(s, i), 0);
    return igmpLeave(group);
  }
  return -Err.EINVAL;
}

/**
 * An ICMPv4 Destination Unreachable with `code` quoting `qlen` bytes at `q` (RFC 1122 §4.1.3.3):
 * when the quote is a UDP datagram we sent (source = our address, source port = a socket's, and
 * for a connected socket destination = its peer), a connected socket gets the error once
 * (ECONNREFUSED for port/protocol unreachable, EHOSTUNREACH otherwise) and an Error event;
 * an unconnected one only counts it. Fragmentation needed is ignored (no path MTU discovery).
 */
export function udpIcmpUnreach(code: u32, q: usize, qlen: i32): void {
  if (qlen < IPV4_HLEN || ipProto(q) != PROTO_UDP) return; // not about UDP
  let ihl = ipHeaderLen(q);
  if (ipVersion(q) != 4 || ihl < IPV4_HLEN || qlen < ihl + UDP_HLEN || localAddr == 0 || ipSrc(q) != localAddr) {
    count(Stat.UdpIcmpBadQuote);
    return;
  }
  let u = q + <usize>ihl;
  let sport = <u32>udpSrcPort(u);
  let dst = ipDst(q);
  let dport = udpDstPort(u);
  for (let i = 0; i < nSocks; i++) {
    let s = sockAt(i);
    if ((s.flags & U_BOUND) == 0 || <u32>s.lport != sport) continue;
    if ((s.flags & U_CONNECTED) == 0) { count(Stat.UdpIcmpErrors); return; } // Linux: only with IP_RECVERR
    if (s.raddr != dst || s.rport != dport) break;
    count(Stat.UdpIcmpErrors);
    if (code == <u32>UNREACH_FRAG_NEEDED) return;
    let e: u32 = code == <u32>UNREACH_PORT || code == <u32>UNREACH_PROTOCOL ? Err.ECONNREFUSED : Err.EHOSTUNREACH;
    s.err = e;
    hostEvent(handleOfSock(s), <i32>EventKind.Error, <i32>e);
    return;
  }
  count(Stat.UdpIcmpBadQuote);
}

/** 6 u32 at `out`: local port (0 unbound), peer ip, peer port (0 unconnected), bytes queued, datagrams queued, queue-full drops. */
export function udpInfo(h: i32, out: usize): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (!validRange(out, <i32>UdpInfoField.COUNT * 4)) return -Err.EINVAL;
  store<u32>(out, s.lport);
  store<u32>(out, FEAT_IPV6 && (s.flags & U_PEER6) != 0 ? 0 : s.raddr, 4);
  store<u32>(out, s.rport, 8);
  store<u32>(out, s.qLen, 12);
  store<u32>(out, s.qCount, 16);
  store<u32>(out, s.drops, 20);
  return 0;
}

/**
 * Deliver a checked datagram (udpParse passed) from `src` to `dst`. Unicast (`cast` 0): the
 * socket bound to its destination port (a connected one only from its peer). Broadcast (1):
 * every socket of the port with UdpOpt.Broadcast. Multicast (2): every socket of the port that
 * joined `dst` (224.0.0.1: every socket of the port). Each gets a copy (Readable, arg = payload
 * length), or the copy is dropped when its queue is full (udp_queue_full). False when no socket
 * takes it (counted: udp_no_port when no socket is bound to the port, else udp_broadcast_filtered
 * or udp_mcast_no_member; unicast: the caller answers port unreachable).
 */
export function udpDeliver(p: usize, src: u32, dst: u32, cast: i32): bool {
  let dport = <u32>udpDstPort(p);
  let sport = udpSrcPort(p);
  let len = <u32>udpLength(p) - UDP_HLEN;
  let need = REC_HLEN + len;
  let taken = false;
  let bound = false;
  for (let i = 0; i < nSocks; i++) {
    let s = sockAt(i);
    if ((s.flags & U_BOUND) == 0 || <u32>s.lport != dport) continue;
    bound = true;
    if ((s.flags & U_CONNECTED) != 0 && (s.raddr != src || s.rport != sport)) continue;
    if (FEAT_IPV6 && (s.flags & U_ONLY6) != 0) continue;
    if (cast == CAST_BROADCAST && (s.flags & U_BROADCAST) == 0) continue;
    if (cast == CAST_MULTICAST && dst != IGMP_ALL_HOSTS && !hasGroup(s, dst)) continue;
    taken = true;
    if (need > qCap - s.qLen) { count(Stat.UdpQueueFull); s.drops++; if (cast == CAST_UNICAST) break; continue; }
    // the record header is built in place of the UDP header, then both parts go to the ring
    store<u32>(p, src);
    store<u32>(p, <u32>sport | (len << 16), 4);
    ringCopy(ringOf(s), qCap, s.qStart + s.qLen, p, need, true);
    s.qLen += need;
    s.qCount++;
    hostEvent(handleOfSock(s), <i32>EventKind.Readable, <i32>len);
    if (cast == CAST_UNICAST) break;
  }
  if (taken) return true;
  if (!bound || cast == CAST_UNICAST) count(Stat.UdpNoPort); // nobody on the port
  else count(cast == CAST_BROADCAST ? Stat.UdpBroadcastFiltered : Stat.UdpMcastNoMember);
  return false;
}

// ---------------------------------------------------------------------------
// UDP over IPv6 (FEAT_IPV6 builds; ip/ipv6.ts calls udpInput6). Sockets are dual-stack unless
// UdpOpt.Family says otherwise; an IPv6 datagram's record carries its 16-byte source.

@inline function peer6(s: UdpSock): usize { return changetype<usize>(s) + offsetof<UdpSock>("r6a"); }

/** udpConnect to the 16-byte address at `a` (IPv4-mapped: udpConnect; :: and port 0 dissolve). */
export function udpConnect6(h: i32, a: usize, port: i32): i32 {
  if (addrIsV4(a)) return udpConnect(h, addrV4(a), port);
  if (addrIsZero(a) && port == 0) return udpConnect(h, 0, 0);
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (addrIsZero(a) || port <= 0 || port > 65535) return -Err.EINVAL;
  if ((s.flags & U_BOUND) == 0) {
    let r = udpBind(h, 0);
    if (r < 0) return r;
  }
  memory.copy(peer6(s), a, 16);
  s.raddr = V6_MARK; // matches no IPv4 source
  s.rport = <u16>port;
  s.flags |= U_CONNECTED | U_PEER6;
  return 0;
}

/** udpSendTo with a 16-byte destination (IPv4-mapped: udpSendTo; :: and port 0: the connected peer). */
export function udpSendTo6(h: i32, a: usize, port: i32, ptr: usize, len: i32): i32 {
  if (addrIsV4(a)) return udpSendTo(h, addrV4(a), port, ptr, len);
  if (addrIsZero(a) && port == 0) return udpSendTo(h, 0, 0, ptr, len);
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (!validRange(ptr, len)) return -Err.EINVAL;
  if ((s.flags & U_CONNECTED) != 0) return -Err.EISCONN;
  if (addrIsZero(a) || port <= 0 || port > 65535) return -Err.EINVAL;
  return send6(s, h, a, port, ptr, len);
}

const dst6: usize = memory.data(16, 8);

/**
 * One datagram to IPv6 `a`: the source by RFC 6724, the checksum over RFC 8200 §8.1's
 * pseudo-header, never 0 (§8.1: a computed 0 is sent as 0xffff). More than the path MTU - 48
 * bytes goes as IPv6 fragments (RFC 8200 §4.5, ip/ipv6.ts ip6SendGather: the header and the
 * caller's buffer gathered into each fragment) up to 65,519 bytes (the 65,535-byte payload less
 * the fragment and UDP headers), -EMSGSIZE past that; without WT_FRAG6, -EMSGSIZE past the path MTU - 48.
 */
function send6(s: UdpSock, h: i32, a: usize, port: i32, ptr: usize, len: i32): i32 {
  if (s.err != 0) { let e = s.err; s.err = 0; return -<i32>e; }
  memory.copy(dst6, a, 16); // (a may lie in memory the payload copy overwrites)
  let whole = len <= pathMtu(dst6) - 48;
  if (!whole) {
    if (!FEAT_FRAG6 || len > 65535 - 8 - UDP_HLEN) return -Err.EMSGSIZE;
    // fragments are copied from ptr one by one into the tx frame: ptr must not lie in it
    let frame = ipTxPayloadFor(FAMILY_V6) - <usize>(IPV6_HLEN + 14);
    if (ptr < frame + <usize>(ipMtu + 14) && ptr + <usize>len > frame) return -Err.EINVAL;
  }
  if ((s.flags & U_BOUND) == 0) {
    let r = udpBind(h, 0);
    if (r < 0) return r;
  }
  let si = localAddrFor6(dst6);
  if (si < 0) return -Err.EADDRNOTAVAIL;
  let src = localAddrPtr(si);
  let u = ipTxPayloadFor(FAMILY_V6);
  if (u == 0) return -Err.ESTATE;
  let ulen = UDP_HLEN + len;
  if (FEAT_FRAG6 && !whole) {
    udpHeader6(txHeader, src, s.lport, port, ulen, sum16(ptr, len, 0));
    let r = ip6Gather(src, dst6, PROTO_UDP, txHeader, UDP_HLEN, ptr, len);
    if (r < 0) return r;
  } else {
    memory.copy(u + <usize>UDP_HLEN, ptr, len);
    udpHeader6(u, src, s.lport, port, ulen, sum16(u + <usize>UDP_HLEN, len, 0));
    if (!ipSendFrom6(src, dst6, PROTO_UDP, ulen)) return -Err.EHOSTUNREACH;
  }
  count(Stat.UdpTx);
  return len;
}

/** The UDP header at `u` towards dst6 whose payload sums to `paySum` (sum16 of the payload, even-length header first). */
function udpHeader6(u: usize, src: usize, sport: u16, port: i32, ulen: i32, paySum: u32): void {
  store<u16>(u, bswap<u16>(sport));
  store<u16>(u, bswap<u16>(<u16>port), 2);
  store<u16>(u, bswap<u16>(<u16>ulen), 4);
  store<u16>(u, 0, 6);
  let c = finish(sum16(u, UDP_HLEN, pseudoSum6(src, dst6, PROTO_UDP, <u32>ulen) + paySum));
  store<u16>(u, bswap<u16>(c == 0 ? 0xffff : c), 6);
}

/**
 * A UDP datagram over IPv6 (`n` bytes at `u`) from `src` to `dst` (16 bytes each; `mcast`: a
 * group destination). Drops (counted) a short or overlong length, a zero checksum (RFC 8200
 * §8.1: mandatory over IPv6) and a wrong one. False when no socket is bound to the port: the
 * caller answers port unreachable (RFC 4443 §3.1).
 */
export function udpInput6(src: usize, dst: usize, u: usize, n: i32, mcast: bool): bool {
  count(Stat.Udp6Rx);
  let ulen = n >= UDP_HLEN ? udpLength(u) : 0;
  if (ulen < UDP_HLEN || ulen > n) { count(Stat.Udp6BadLength); return true; }
  if (load<u16>(u, 6) == 0) { count(Stat.Udp6ZeroChecksum); return true; }
  if (sum16(u, ulen, pseudoSum6(src, dst, PROTO_UDP, <u32>ulen)) != 0xffff) { count(Stat.Udp6BadChecksum); return true; }
  let dport = <u32>udpDstPort(u);
  let sport = udpSrcPort(u);
  let len = <u32>ulen - UDP_HLEN;
  let need = REC_HLEN + 16 + len;
  // a group: every socket of the port that joined it (ff02::1: every socket of the port)
  let k: u32 = mcast ? <u32>(ip6GroupIdx(dst) + 1) : 0;
  let all = mcast && a6IsAllNodes(dst);
  let bound = false;
  let taken = false;
  for (let i = 0; i < nSocks; i++) {
    let s = sockAt(i);
    if ((s.flags & U_BOUND) == 0 || <u32>s.lport != dport || (s.flags & U_ONLY4) != 0) continue;
    bound = true;
    if ((s.flags & U_CONNECTED) != 0 && ((s.flags & U_PEER6) == 0 || !addrEq(peer6(s), src) || s.rport != sport)) continue;
    if (mcast && !all && (k == 0 || !hasGroup(s, k))) continue;
    taken = true;
    if (need > qCap - s.qLen) { count(Stat.UdpQueueFull); s.drops++; if (!mcast) return true; continue; }
    store<u32>(recHdr, V6_MARK);
    store<u32>(recHdr, <u32>sport | (len << 16), 4);
    memory.copy(recHdr + REC_HLEN, src, 16);
    let at = s.qStart + s.qLen;
    ringCopy(ringOf(s), qCap, at, recHdr, REC_HLEN + 16, true);
    ringCopy(ringOf(s), qCap, at + REC_HLEN + 16, u + <usize>UDP_HLEN, len, true);
    s.qLen += need;
    s.qCount++;
    hostEvent(handleOfSock(s), <i32>EventKind.Readable, <i32>len);
    if (!mcast) return true;
  }
  if (!mcast) return false;
  if (!taken) count(bound ? Stat.UdpMcastNoMember : Stat.UdpNoPort); // (never answered: RFC 4443 §2.4 (e.3))
  return true;
}

/**
 * UdpOpt.JoinGroup6 / LeaveGroup6 with the 16 bytes at `a`: a socket's group slot holds the
 * interface's IPv6 group entry + 1 (ip/ipv6.ts; IPv4 groups are >= 224.0.0.0, never that small).
 */
function group6(s: UdpSock, join: bool, a: usize): i32 {
  if (!validRange(a, 16)) return -Err.EINVAL;
  let k = ip6GroupIdx(a) + 1;
  let have = k != 0 && hasGroup(s, <u32>k);
  if (!join) {
    if (!have) return -Err.EINVAL;
    for (let i = 0; i < UDP_GROUPS; i++) if (load<u32>(groupAt(s, i)) == <u32>k) store<u32>(groupAt(s, i), 0);
    ip6GroupUnref(k - 1);
    return 0;
  }
  if (have) return -Err.EINVAL;
  for (let i = 0; i < UDP_GROUPS; i++) {
    if (load<u32>(groupAt(s, i)) != 0) continue;
    let r = ip6GroupRef(a);
    if (r < 0) return r;
    store<u32>(groupAt(s, i), <u32>r + 1);
    return 0;
  }
  return -Err.ENOMEM;
}

/**
 * An ICMPv6 error quoting a UDP datagram we sent from `src` to `dst` (16 bytes each; its UDP
 * header at `uh`): like udpIcmpUnreach, a socket connected to that peer gets the error once
 * (`hard`, port unreachable: ECONNREFUSED; else EHOSTUNREACH) and an Error event; an unconnected
 * one only counts it (RFC 4443 §3.1, RFC 1122 §4.1.3.3).
 */
export function udpIcmp6Error(hard: bool, src: usize, dst: usize, uh: usize): void {
  if (localAddrIndex(src) < 0) { count(Stat.UdpIcmpBadQuote); return; } // not a datagram of ours
  let sport = <u32>udpSrcPort(uh);
  let dport = udpDstPort(uh);
  for (let i = 0; i < nSocks; i++) {
    let s = sockAt(i);
    if ((s.flags & U_BOUND) == 0 || <u32>s.lport != sport) continue;
    if ((s.flags & U_CONNECTED) == 0) { count(Stat.UdpIcmpErrors); return; }
    if ((s.flags & U_PEER6) == 0 || !addrEq(peer6(s), dst) || s.rport != dport) break;
    count(Stat.UdpIcmpErrors);
    let e: u32 = hard ? Err.ECONNREFUSED : Err.EHOSTUNREACH;
    s.err = e;
    hostEvent(handleOfSock(s), <i32>EventKind.Error, <i32>e);
    return;
  }
  count(Stat.UdpIcmpBadQuote);
}
