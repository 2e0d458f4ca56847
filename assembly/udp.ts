// UDP sockets (RFC 768): a pool of Cfg.UdpSockets sockets, each with a bounded receive
// queue (a byte ring of Cfg.UdpQueueBytes reserved at init) holding whole datagrams as
// records [source ip u32][source port u16][length u16][payload]. iface.ts hands every valid
// datagram to udpDeliver; sending goes through netif's ipSend (this file never imports iface).
// Every misuse returns a negative Err; nothing traps, nothing is allocated after init.
import { cfg, Cfg } from "./config";
import { poolAlloc } from "./pool";
import { count, Stat } from "./stats";
import { Err, EventKind } from "./errors";
import { hostEvent } from "./host";
import { ipTxPayload, ipMtu, localAddr } from "./netif";
import { PROTO_UDP, IPV4_HLEN } from "./wire/ipv4";
import { UDP_HLEN, udpEmitHeader, udpLength, udpSrcPort, udpDstPort } from "./wire/udp";
import { ip4SendGather, ip4MaxPayload } from "./ip/frag4";
import { HandleKind, HANDLE_SLOTS, handleEncode, handleGen, handleKind, handleNextGen, handleSlot } from "./handles";
import { randomU32 } from "./tcp/isn"; // the stack's keyed PRNG (SipHash over the host's entropy)

const U_INUSE: u16 = 1;
const U_BOUND: u16 = 2;
const U_CONNECTED: u16 = 4;
const REC_HLEN: u32 = 8;
/** The header of the datagram being sent (its payload stays where the caller put it). */
const txHeader: usize = memory.data(UDP_HLEN, 8);
const EPHEMERAL_MIN: u32 = 49152;
const EPHEMERAL_NUM: u32 = 16384;
/** u32 fields udpRecvFrom writes at `out`, and udpInfo. */
export const UDP_FROM_FIELDS: i32 = 3;
export const UDP_INFO_FIELDS: i32 = 5;

@unmanaged class UdpSock {
  flags: u16; gen: u16;
  lport: u16; rport: u16;
  raddr: u32;
  qStart: u32;   // ring offset of the oldest record
  qLen: u32;     // bytes of records queued
  qCount: u32;   // datagrams queued
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
  if (handleKind(h) != HandleKind.UDP) return null;
  let i = handleSlot(h);
  if (i >= nSocks) return null;
  let s = sockAt(i);
  if ((s.flags & U_INUSE) == 0 || <i32>s.gen != handleGen(h)) return null;
  return s;
}

/** Is [ptr, ptr + len) inside linear memory? */
function validRange(ptr: usize, len: i32): bool {
  if (len < 0) return false;
  let end = ptr + <usize>len;
  return end >= ptr && end <= (<usize>memory.size() << 16);
}

/** Copy between linear memory and the ring (wrapping at qCap): to the ring when `put`. */
function ringCopy(ring: usize, pos: u32, mem: usize, len: u32, put: bool): void {
  pos %= qCap;
  let first = qCap - pos;
  if (first > len) first = len;
  if (put) { memory.copy(ring + pos, mem, first); memory.copy(ring, mem + first, len - first); }
  else { memory.copy(mem, ring + pos, first); memory.copy(mem + first, ring, len - first); }
}

function portUsed(port: u32): bool {
  for (let i = 0; i < nSocks; i++) {
    let s = sockAt(i);
    if ((s.flags & U_BOUND) != 0 && <u32>s.lport == port) return true;
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
  if ((s.flags & U_BOUND) != 0 || port < 0 || port > 65535) return -Err.EINVAL;
  let p = <u32>port;
  if (p == 0) {
    let start = randomU32();
    for (let i: u32 = 0; i < EPHEMERAL_NUM; i++) {
      let c = EPHEMERAL_MIN + (start + i) % EPHEMERAL_NUM;
      if (!portUsed(c)) { p = c; break; }
    }
    if (p == 0) return -Err.EADDRINUSE;
  } else if (portUsed(p)) {
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
  if (ip == 0 && port == 0) { s.flags &= ~U_CONNECTED; s.raddr = 0; s.rport = 0; return 0; }
  if (badPeer(ip, port)) return -Err.EINVAL;
  if ((s.flags & U_BOUND) == 0) {
    let r = udpBind(h, 0);
    if (r < 0) return r;
  }
  s.raddr = ip;
  s.rport = <u16>port;
  s.flags |= U_CONNECTED;
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
    ip = s.raddr; port = <i32>s.rport;
  } else if ((s.flags & U_CONNECTED) != 0) {
    return -Err.EISCONN;
  } else if (badPeer(ip, port)) {
    return -Err.EINVAL;
  }
  return sendFrom(s, h, ip, port, ptr, len);
}

/**
 * In-core services only (not an export): send like udpSendTo, to any destination including the
 * limited broadcast 255.255.255.255 (a DHCP client's DISCOVER); the socket must not be connected.
 */
export function udpSendToAny(h: i32, ip: u32, port: i32, ptr: usize, len: i32): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (!validRange(ptr, len) || ip == 0 || port <= 0 || port > 65535 || (s.flags & U_CONNECTED) != 0) return -Err.EINVAL;
  return sendFrom(s, h, ip, port, ptr, len);
}

function sendFrom(s: UdpSock, h: i32, ip: u32, port: i32, ptr: usize, len: i32): i32 {
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
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (!validRange(ptr, max) || !validRange(out, UDP_FROM_FIELDS * 4)) return -Err.EINVAL;
  if (s.qCount == 0) return -Err.EAGAIN;
  let ring = ringOf(s);
  ringCopy(ring, s.qStart, out, REC_HLEN, false); // [src ip][sport u16][len u16]
  let w = load<u32>(out, 4);
  let len = w >>> 16;
  store<u32>(out, w & 0xffff, 4);
  store<u32>(out, len, 8);
  let n = len < <u32>max ? len : <u32>max;
  ringCopy(ring, s.qStart + REC_HLEN, ptr, n, false);
  s.qStart = (s.qStart + REC_HLEN + len) % qCap;
  s.qLen -= REC_HLEN + len;
  s.qCount--;
  return <i32>n;
}

/** Release the socket and its queued datagrams; its handle becomes stale. */
export function udpClose(h: i32): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  s.flags = 0;
  return 0;
}

/** 5 u32 at `out`: local port (0 unbound), peer ip, peer port (0 unconnected), bytes queued, datagrams queued. */
export function udpInfo(h: i32, out: usize): i32 {
  let s = fromHandle(h);
  if (s == null) return -Err.EBADF;
  if (!validRange(out, UDP_INFO_FIELDS * 4)) return -Err.EINVAL;
  store<u32>(out, s.lport);
  store<u32>(out, s.raddr, 4);
  store<u32>(out, s.rport, 8);
  store<u32>(out, s.qLen, 12);
  store<u32>(out, s.qCount, 16);
  return 0;
}

/**
 * Deliver a checked datagram (udpParse passed) from `src` to the socket bound to its
 * destination port (a connected one only from its peer): queued and Readable raised
 * (arg = payload length), or dropped when the queue is full (udp_queue_full).
 * False when no socket takes it (the caller answers port unreachable).
 */
export function udpDeliver(p: usize, src: u32): bool {
  let dport = <u32>udpDstPort(p);
  let sport = udpSrcPort(p);
  for (let i = 0; i < nSocks; i++) {
    let s = sockAt(i);
    if ((s.flags & U_BOUND) == 0 || <u32>s.lport != dport) continue;
    if ((s.flags & U_CONNECTED) != 0 && (s.raddr != src || s.rport != sport)) continue;
    let len = <u32>udpLength(p) - UDP_HLEN;
    let need = REC_HLEN + len;
    if (need > qCap - s.qLen) { count(Stat.UdpQueueFull); return true; }
    // the record header is built in place of the UDP header, then both parts go to the ring
    store<u32>(p, src);
    store<u32>(p, <u32>sport | (len << 16), 4);
    let ring = ringOf(s);
    ringCopy(ring, s.qStart + s.qLen, p, need, true);
    s.qLen += need;
    s.qCount++;
    hostEvent(handleOfSock(s), <i32>EventKind.Readable, <i32>len);
    return true;
  }
  return false;
}
