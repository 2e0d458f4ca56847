// The TCP socket API behind the ABI: handles, bind/listen/accept/connect, read/write
// through the host's I/O region, shutdown/close/abort, state and info. Every misuse
// returns a negative Err; nothing traps.
import { cfg, Cfg } from "./config";
import { poolAlloc, validRange } from "./pool";
import { count, Stat } from "./stats";
import { Err } from "./errors";
import { localAddrFor, localAddrFor6, localAddrIndex, localAddrPtr, netNow } from "./netif";
import { FAMILY_V4, addrCopy, addrEq, addrIsV4, addrIsZero, addrSetV4, addrV4 } from "./ip/addr";
import {
  F_ACTIVE, F_BOUND, F_CHILD, F_FIN_QUEUED, F_FIN_RCVD, F_KEEPALIVE, F_NODELAY, F_T_KEEP,
  F_USER_CLOSED, F_WR_FULL, F_ADDR, F_HELD, Tcb, TcpState, hasFlag, bindAddrOf, bindCovers, bindWild, setFlag, clearFlag, handleOf, raddrOf, rcvCap, rcvRing, ringGet, ringPut,
  ringAttach, ringFreeCount, ringRelease, ringReleaseIfDone, setState, sndCap, sndRing, tcbAlloc, tcbAt, tcbCount, tcbFree, tcbFromHandle, tcbIndex,
  keepHeld, keepIdleMs, bindPort, childSync, connIndexed, listenerIndexed, timerArmed,
} from "./tcp/tcb";
import { FEAT_IPV6, FEAT_SCALE } from "./features";
import { acceptHead, childAny, ephemeralFreeFrom, portBoundCount } from "./tcp/index";
import { TwEntry, twPortUsed, twLookup, twList } from "./tcp/timewait";
import { sendRst, tcpOutput, updateRcvAdv, sendAck } from "./tcp/output";
import { armTwTimer, connClosed, moveToTimeWait } from "./tcp/close";
import { findConn, prepareActive } from "./tcp/input";
import { makeIsn, randomU32, tupleHash } from "./tcp/isn";
import { tcpInit } from "./tcp/timers";

import { TcpInfoField, TcpOpt, TimeWaitRowField } from "./abi-consts";

// Option numbers, the tcpInfo layout and the TIME-WAIT row size are declared in abi/abi.mjs.
export const OPT_NODELAY: i32 = TcpOpt.NoDelay;
export const OPT_KEEPALIVE: i32 = TcpOpt.KeepAlive;
export const OPT_KEEPIDLE: i32 = TcpOpt.KeepIdle;
export const TW_ROW_FIELDS: i32 = TimeWaitRowField.COUNT;

export const INFO_FIELDS: i32 = TcpInfoField.COUNT;
const EPHEMERAL_MIN: u32 = 49152;
const EPHEMERAL_NUM: u32 = 16384;

let ioBuf: usize = 0;
let ioLen: u32 = 0;
let nextEphemeral: u32 = 0;

/** Reserve the TCP pools and the host I/O region. Called once by init(). */
export function socketsInit(): bool {
  if (!tcpInit()) return false;
  ioLen = cfg(Cfg.IoBuf);
  if (ioLen == 0) return true;
  ioBuf = poolAlloc(ioLen);
  return ioBuf != 0;
}


export function ioBuffer(): usize { return ioBuf; }

// The local address of a bind (16 bytes): :: (every address: tcpBind, connect), except while tcpBind6 runs.
const bindAddr: usize = memory.data(16, 16);

/**
 * Is `port` bound by a socket (IPv6 builds: by one whose local address overlaps bindAddr)?
 * Addresses overlap as on Linux: when either covers the other (bindCovers), so sockets share a
 * port only on distinct addresses, never an address and a wildcard over it. (The scale build
 * counts sockets per port: it searches only a port some socket holds, when the bind names an address.)
 */
function portInUse(port: u32): bool {
  if (FEAT_SCALE && (!FEAT_IPV6 || portBoundCount(port) == 0 || addrIsZero(bindAddr))) return portBoundCount(port) != 0;
  let n = tcbCount();
  for (let i = 0; i < n; i++) {
    let t = tcbAt(i);
    if (t.flags != 0 && hasFlag(t, F_BOUND) && <u32>t.lport == port && (!FEAT_IPV6 || addrsOverlap(t))) return true;
  }
  return false;
}

/** Does the local address of bound socket `t` (the one it is bound to, else its connection's) overlap bindAddr? */
function addrsOverlap(t: Tcb): bool {
  let l = hasFlag(t, F_ADDR) ? bindAddrOf(t) : localAddrPtr(<i32>t.laddr);
  return bindCovers(l, bindAddr) || bindCovers(bindAddr, l);
}

// The remote address of a connect in progress (16 bytes): the ABI takes IPv4, TCP any family.
const connAddr: usize = memory.data(16, 16);

/** Is this 4-tuple taken, by a connection (any state but CLOSED and LISTEN) or a TIME-WAIT entry? */
function tupleInUse(laddr: i32, lport: u32, raddr: usize, rport: u32): bool {
  return findConn(laddr, lport, raddr, rport) != null || twLookup(laddr, lport, raddr, rport) != null;
}

export function tcpOpen(): i32 {
  if (tcbCount() == 0) return -Err.ESTATE;
  let t = tcbAlloc();
  if (t == null) return -Err.ENOMEM;
  return handleOf(t);
}

/**
 * Bind a local port on the address at `a` (16 bytes): :: every address (as tcpBind), ::ffff:0.0.0.0
 * every IPv4 address, or one of ours (IPv6 builds).
 */
export function tcpBind6(h: i32, a: usize, port: i32): i32 {
  addrCopy(bindAddr, a);
  let r = tcpBind(h, port);
  memory.fill(bindAddr, 0, 16);
  return r;
}

/** Bind a local port (on every address; on bindAddr in IPv6 builds); 0 picks a random free ephemeral port (RFC 6056 §3.3.1). */
export function tcpBind(h: i32, port: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (hasFlag(t, F_BOUND) || t.state != <u8>TcpState.CLOSED || hasFlag(t, F_ACTIVE)) return -Err.EINVAL;
  if (<u32>port > 65535) return -Err.EINVAL;
  // (as Linux: an address not ours is refused after the socket's own errors; tentative ones are not ours yet)
  if (FEAT_IPV6 && !bindWild(bindAddr) && localAddrIndex(bindAddr) < 0) return -Err.EADDRNOTAVAIL;
  let p = <u32>port;
  if (p == 0) {
    // RFC 6056 §3.3.1 (Algorithm 1): a random first candidate, then the next ones in turn, so a
    // free port is found whenever there is one (scale build: the next free one straight from the
    // busy-port bitmap, tcp/index.ts; every port taken is -EADDRINUSE at once)
    let r = randomU32();
    if (FEAT_SCALE) {
      let c = ephemeralFreeFrom(r % EPHEMERAL_NUM);
      if (c >= 0) p = EPHEMERAL_MIN + <u32>c;
    } else {
      for (let i: u32 = 0; i < EPHEMERAL_NUM; i++) {
        let c = EPHEMERAL_MIN + (r + i) % EPHEMERAL_NUM;
        if (!portInUse(c) && !twPortUsed(c)) { p = c; break; }
      }
    }
    if (p == 0) return -Err.EADDRINUSE;
  } else if (portInUse(p)) {
    return -Err.EADDRINUSE;
  }
  bindPort(t, p);
  if (FEAT_IPV6) { addrCopy(bindAddrOf(t), bindAddr); setFlag(t, F_ADDR); }
  return 0;
}

export function tcpListen(h: i32, backlog: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (t.state == <u8>TcpState.LISTEN) { t.backlog = <u16>clampBacklog(backlog); return 0; }
  if (t.state != <u8>TcpState.CLOSED || hasFlag(t, F_ACTIVE)) return -Err.EISCONN;
  if (!hasFlag(t, F_BOUND)) {
    let r = tcpBind(h, 0);
    if (r < 0) return r;
  }
  t.backlog = <u16>clampBacklog(backlog);
  ringRelease(t); // listeners never hold rings (a closed, accepted socket might still)
  setState(t, TcpState.LISTEN);
  listenerIndexed(t);
  return 0;
}

function clampBacklog(b: i32): i32 {
  if (b < 1) return 1;
  if (b > 1024) return 1024;
  return b;
}

/** The oldest established child of a listener, detached and handed to the user. */
export function tcpAccept(h: i32): i32 {
  let l = tcbFromHandle(h);
  if (l == null) return -Err.EBADF;
  if (l.state != <u8>TcpState.LISTEN) return -Err.EINVAL;
  let idx = <i16>tcbIndex(l);
  let best: Tcb | null = null;
  let n = tcbCount();
  if (FEAT_SCALE) { // the accept queue (tcp/index.ts) holds the queued children oldest first
    let i = acceptHead(idx);
    if (i >= 0) best = tcbAt(i);
    n = 0;
  }
  for (let i = 0; i < n; i++) {
    let t = tcbAt(i);
    if (t.flags == 0 || !hasFlag(t, F_CHILD) || t.parent != idx) continue;
    if (t.state == <u8>TcpState.SYN_RECEIVED || t.state == <u8>TcpState.CLOSED) continue;
    if (best == null || <i32>(t.acceptOrder - best.acceptOrder) < 0) best = t;
  }
  if (best == null) return -Err.EAGAIN;
  clearFlag(best, F_CHILD);
  childSync(best);
  bindPort(best, best.lport);
  best.parent = -1;
  return handleOf(best);
}

/** Active open (RFC 9293 §3.10.1): SYN now, Connected (or Error) event later. */
export function tcpConnect(h: i32, ip: u32, port: i32): i32 {
  addrSetV4(connAddr, ip);
  return connectTo(h, connAddr, port);
}

/**
 * Active open to the 16-byte address at `a` (IPv6, or IPv4-mapped: as tcpConnect). The source
 * is chosen by RFC 6724 (link-local towards a link-local peer).
 */
export function tcpConnect6(h: i32, a: usize, port: i32): i32 {
  if (addrIsV4(a)) return tcpConnect(h, addrV4(a), port);
  if (addrIsZero(a) || load<u8>(a) == 0xff) return -Err.EINVAL; // ::, multicast (RFC 9293 §3.9.1.1: unicast only)
  memory.copy(connAddr, a, 16);
  return connectTo(h, connAddr, port);
}

function connectTo(h: i32, ra: usize, port: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  let st = t.state;
  if (st == <u8>TcpState.SYN_SENT) return -Err.EALREADY;
  if (st == <u8>TcpState.LISTEN) return -Err.EOPNOTSUPP;
  if (st != <u8>TcpState.CLOSED || hasFlag(t, F_ACTIVE)) return -Err.EISCONN;
  let v4 = !FEAT_IPV6 || addrIsV4(ra);
  if (v4 && (addrV4(ra) == 0 || addrV4(ra) == 0xffffffff) || port <= 0 || port > 65535) return -Err.EINVAL;
  let laddr = v4 ? localAddrFor(FAMILY_V4) : localAddrFor6(ra);
  if (FEAT_IPV6 && hasFlag(t, F_ADDR)) { // bound to one address (tcpBind6): from it, as Linux sends (not of the peer's family: none)
    let b = bindAddrOf(t);
    if (!bindWild(b)) laddr = addrIsV4(b) == v4 ? localAddrIndex(b) : -1;
  }
  if (laddr < 0) return -Err.EADDRNOTAVAIL; // no address of the family yet (or it was removed)
  if (t.ringSlot == 0 && ringFreeCount() == 0) return -Err.ENOMEM; // every ring pair is held by a connection
  let rport = <u32>port;
  let la = localAddrPtr(laddr);
  if (hasFlag(t, F_BOUND)) {
    if (tupleInUse(laddr, t.lport, ra, rport)) return -Err.EADDRINUSE; // (t itself is CLOSED: not a match)
  } else {
    // RFC 6056 §3.3.3 (Algorithm 3): offset = F(addresses, remote port, secret), then a shared
    // counter; a candidate is taken when no TCB is bound to it and no TIME-WAIT entry holds it
    // (whatever its peer), so every port bound or in TIME-WAIT is EADDRNOTAVAIL at once. The scale
    // build finds the port the candidates would stop at in the busy-port bitmap (tcp/index.ts)
    // without trying them, and moves the counter past it as the search would have.
    let offset = tupleHash(la, 0, ra, rport, 0x45504800);
    let found: u32 = 0;
    if (FEAT_SCALE) {
      let start = (offset + nextEphemeral) % EPHEMERAL_NUM;
      let c = ephemeralFreeFrom(start);
      if (c < 0) return -Err.EADDRNOTAVAIL;
      nextEphemeral += ((<u32>c - start) & (EPHEMERAL_NUM - 1)) + 1;
      found = EPHEMERAL_MIN + <u32>c;
    } else {
      for (let i: u32 = 0; i < EPHEMERAL_NUM; i++) {
        let c = EPHEMERAL_MIN + (offset + nextEphemeral) % EPHEMERAL_NUM;
        nextEphemeral++;
        if (!portInUse(c) && !twPortUsed(c)) { found = c; break; }
      }
    }
    if (found == 0) return -Err.EADDRNOTAVAIL;
    bindPort(t, found);
  }
  ringAttach(t); // cannot fail: checked above
  addrCopy(raddrOf(t), ra);
  if (FEAT_IPV6) clearFlag(t, F_ADDR); // (raddr is the peer's from now on)
  t.laddr = <u8>laddr;
  t.rport = <u16>rport;
  connIndexed(t);
  setFlag(t, F_ACTIVE);
  prepareActive(t);
  t.iss = makeIsn(la, t.lport, ra, rport, netNow);
  t.sndUna = t.iss; t.sndNxt = t.iss; t.sndMax = t.iss;
  t.sndMss = 536;
  setState(t, TcpState.SYN_SENT);
  tcpOutput(t);
  return 0;
}

/** Why `t` cannot take bytes to send now: 0, or tcpWrite's error. */
function sendCheck(t: Tcb): i32 {
  let st = t.state;
  if (st == <u8>TcpState.LISTEN) return -Err.EOPNOTSUPP;
  if (hasFlag(t, F_FIN_QUEUED)) return -Err.EPIPE;
  if (st == <u8>TcpState.CLOSED) return t.err != 0 ? -<i32>t.err : -Err.ENOTCONN;
  if (st != <u8>TcpState.ESTABLISHED && st != <u8>TcpState.CLOSE_WAIT &&
      st != <u8>TcpState.SYN_SENT && st != <u8>TcpState.SYN_RECEIVED) return -Err.EPIPE;
  return 0;
}

/** Ring offset of the send ring's tail (where the next queued byte goes). */
function sndTail(t: Tcb): u32 { return (t.sndStart + t.sndLen) % sndCap; }

/** The send path's one end: `n` more bytes at the ring's tail become sendable; output as the state allows. */
function sndCommit(t: Tcb, n: u32): i32 {
  t.sndLen += n;
  if (t.state == <u8>TcpState.ESTABLISHED || t.state == <u8>TcpState.CLOSE_WAIT) tcpOutput(t);
  return <i32>n;
}

/** Queue up to `len` bytes from `ptr`; returns bytes queued (0 when the ring is full). */
export function tcpWrite(h: i32, ptr: usize, len: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (!validRange(ptr, len)) return -Err.EINVAL;
  let e = sendCheck(t);
  if (e < 0) return e;
  let free = sndCap - t.sndLen;
  let n = <u32>len;
  if (n > free) { n = free; setFlag(t, F_WR_FULL); }
  if (n == 0) return 0;
  ringPut(sndRing(t), sndCap, sndTail(t), ptr, n);
  return sndCommit(t, n);
}

/**
 * Zero-copy send, first half: the u32 address of the send ring's free space at `out`;
 * returns its contiguous length (0 when full: Writable follows), or tcpWrite's error.
 */
export function tcpReserve(h: i32, out: usize): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (!validRange(out, 4)) return -Err.EINVAL;
  let e = sendCheck(t);
  if (e < 0) return e;
  let pos = sndTail(t);
  store<u32>(out, <u32>(sndRing(t) + <usize>pos));
  let n = sndContig(t, pos);
  if (n == 0) setFlag(t, F_WR_FULL);
  return <i32>n;
}

/** Free send-ring bytes contiguous from ring offset `pos` (the tail). */
function sndContig(t: Tcb, pos: u32): u32 {
  let n = sndCap - pos;
  let free = sndCap - t.sndLen;
  return n < free ? n : free;
}

/** Zero-copy send, second half: the first `n` reserved bytes become sendable, as tcpWrite would make them. */
export function tcpCommit(h: i32, n: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  let e = sendCheck(t);
  if (e < 0) return e;
  if (n < 0 || <u32>n > sndContig(t, sndTail(t))) return -Err.EINVAL;
  if (n > 0) sndCommit(t, <u32>n);
  return 0;
}

/** Why nothing can be read from `t` now: 0 at EOF, or a negative Err (tcpRead's rules). */
function readNothing(t: Tcb): i32 {
  if (hasFlag(t, F_FIN_RCVD)) return 0;
  if (t.state == <u8>TcpState.CLOSED) return t.err != 0 ? -<i32>t.err : (hasFlag(t, F_ACTIVE) ? 0 : -Err.ENOTCONN);
  return -Err.EAGAIN;
}

/** Drop the first `n` (<= rcvLen) received bytes and advertise the window they free. */
function rcvConsume(t: Tcb, n: u32): void {
  t.rcvStart = (t.rcvStart + n) % rcvCap;
  t.rcvLen -= n;
  ringReleaseIfDone(t);
  // The edge may move once by min(RcvBuf/2, MSS) (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
  // A pure window update goes out when the edge moves by at least the window still offered (the
  // window doubles: a closed or nearly used-up one reopening, Linux's rule) or by 5840 bytes (four
  // 1460-byte segments, lwIP's TCP_WND_UPDATE_THRESHOLD): an application that fell behind and
  // catches up frees the sender at once instead of after the next data it draws an ACK for (a
  // sender held at a fixed edge is window-limited, and whatever it sends then goes out in the
  // context of the ACK that moves the edge). While data flows, the ACKs it draws carry the new edge
  // every two segments, so an application reading each segment as it lands costs no extra ACK.
  if (<u32>t.state - <u32>TcpState.ESTABLISHED < 3) { // ESTABLISHED, FIN-WAIT-1 or FIN-WAIT-2 (TcpState numbers: RFC 793 order)
    let before = t.rcvAdv;
    updateRcvAdv(t);
    let grew = <i32>(t.rcvAdv - before);
    t.rcvAdv = before; // let emit() advertise it (an offered window <= 0 counts as 0)
    // The edge grew, by the window still offered or by 5840 (bitwise: the MCU build's size budget).
    // ACKs held for the end of a read batch (output.ts ackBatch) carry the new edge: no update then.
    let send = (grew > 0) & ((grew >= <i32>(before - t.rcvNxt)) | (grew >= 5840));
    if (send && !(FEAT_SCALE && hasFlag(t, F_HELD))) sendAck(t);
  }
}

/** Read up to `len` bytes into `ptr`: bytes, 0 at EOF, -EAGAIN when nothing yet. */
export function tcpRead(h: i32, ptr: usize, len: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (!validRange(ptr, len)) return -Err.EINVAL;
  if (t.state == <u8>TcpState.LISTEN) return -Err.EOPNOTSUPP;
  if (t.rcvLen == 0) return readNothing(t);
  let n = <u32>len;
  if (n > t.rcvLen) n = t.rcvLen;
  if (n == 0) return 0;
  ringGet(rcvRing(t), rcvCap, t.rcvStart, ptr, n);
  rcvConsume(t, n);
  return <i32>n;
}

/**
 * View received bytes in place (zero-copy receive): writes at `out` the address and length of
 * the first contiguous run of unread bytes in the receive ring, and the bytes that follow it
 * after the ring wraps (u32 each: ptr, len, more); returns len (> 0), or what tcpRead would
 * (0 at EOF, -EAGAIN, ...). The view stays valid until the next call into the module.
 */
export function tcpPeek(h: i32, out: usize): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (!validRange(out, 12)) return -Err.EINVAL;
  if (t.state == <u8>TcpState.LISTEN) return -Err.EOPNOTSUPP;
  if (t.rcvLen == 0) return readNothing(t);
  let pos = t.rcvStart % rcvCap;
  let n = rcvCap - pos;
  if (n > t.rcvLen) n = t.rcvLen;
  store<u32>(out, <u32>(rcvRing(t) + <usize>pos));
  store<u32>(out, n, 4);
  store<u32>(out, t.rcvLen - n, 8);
  return <i32>n;
}

/** Mark the first `n` received bytes read (after tcpPeek): 0, or -EINVAL when n < 0 or more than are unread. */
export function tcpConsume(h: i32, n: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (t.state == <u8>TcpState.LISTEN) return -Err.EOPNOTSUPP;
  if (n < 0 || <u32>n > t.rcvLen) return -Err.EINVAL;
  if (n > 0) rcvConsume(t, <u32>n);
  return 0;
}

/** Half-close: FIN after the queued data (RFC 9293 §3.10.4). */
export function tcpShutdown(h: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (hasFlag(t, F_FIN_QUEUED)) return 0;
  let st = t.state;
  if (st == <u8>TcpState.ESTABLISHED) {
    setFlag(t, F_FIN_QUEUED);
    setState(t, TcpState.FIN_WAIT_1);
  } else if (<u32>st - <u32>TcpState.SYN_SENT < 2) { // SYN-SENT or SYN-RECEIVED
    setFlag(t, F_FIN_QUEUED); // RFC 9293 §3.10.4: queued until ESTABLISHED, then FIN-WAIT-1
    return 0;
  } else if (st == <u8>TcpState.CLOSE_WAIT) {
    setFlag(t, F_FIN_QUEUED);
    setState(t, TcpState.LAST_ACK);
  } else {
    return st == <u8>TcpState.LISTEN ? -Err.EOPNOTSUPP : -Err.ENOTCONN;
  }
  tcpOutput(t);
  return 0;
}

function abortChildren(l: Tcb): void {
  let idx = <i16>tcbIndex(l);
  if (FEAT_SCALE) { // the listener's list of children (tcp/index.ts): O(children); each freed leaves it
    for (let i = childAny(idx); i >= 0; i = childAny(idx)) {
      let t = tcbAt(i);
      sendRst(t);
      count(Stat.TcpConnsAborted);
      tcbFree(t);
    }
    return;
  }
  let n = tcbCount();
  for (let i = 0; i < n; i++) {
    let t = tcbAt(i);
    if (t.flags == 0 || !hasFlag(t, F_CHILD) || t.parent != idx) continue;
    sendRst(t);
    count(Stat.TcpConnsAborted);
    tcbFree(t);
  }
}

/** A CLOSED socket or a listener (its half-open and unaccepted children reset) is freed at once: true. */
function freeIdle(t: Tcb): bool {
  let st = t.state;
  if (st == <u8>TcpState.LISTEN) {
    abortChildren(t);
    setState(t, TcpState.CLOSED);
  } else if (st != <u8>TcpState.CLOSED) {
    return false;
  }
  tcbFree(t);
  return true;
}

/** Graceful close; the stack releases the handle at CLOSED or TIME-WAIT. */
export function tcpClose(h: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (freeIdle(t)) return 0;
  let st = t.state;
  setFlag(t, F_USER_CLOSED);
  if (st == <u8>TcpState.SYN_SENT) { connClosed(t, Err.OK); return 0; }
  if (t.rcvLen > 0) { // unread data: reset rather than pretend it was delivered (RFC 2525 §2.17)
    abortConn(t);
    return 0;
  }
  if (st == <u8>TcpState.TIME_WAIT) { moveToTimeWait(t); return 0; }
  if (st == <u8>TcpState.FIN_WAIT_2) {
    armTwTimer(t);
    return 0;
  }
  tcpShutdown(h);
  return 0;
}

function abortConn(t: Tcb): void {
  let st = t.state;
  if (st != <u8>TcpState.CLOSED && st != <u8>TcpState.LISTEN && st != <u8>TcpState.SYN_SENT &&
      st != <u8>TcpState.TIME_WAIT) sendRst(t);
  setFlag(t, F_USER_CLOSED);
  count(Stat.TcpConnsAborted);
  connClosed(t, Err.OK);
}

/** Abort: RST to the peer, the handle is released. */
export function tcpAbort(h: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (!freeIdle(t)) abortConn(t);
  return 0;
}

export function tcpState(h: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  return <i32>t.state;
}

// tcpInfo's fields in TcpInfoField order: [TCB offset, left shift (24: u8, 16: u16, 0: u32), extra right shift]
const INFO_MAP: usize = memory.data<u8>([
  <u8>offsetof<Tcb>("state"), 24, 0,      // state
  <u8>offsetof<Tcb>("lport"), 16, 0,      // localPort
  0, 0, 0,                                // remoteIp (below)
  <u8>offsetof<Tcb>("rport"), 16, 0,      // remotePort
  <u8>offsetof<Tcb>("sndUna"), 0, 0,
  <u8>offsetof<Tcb>("sndNxt"), 0, 0,
  <u8>offsetof<Tcb>("sndWnd"), 0, 0,
  <u8>offsetof<Tcb>("rcvNxt"), 0, 0,
  0, 0, 0,                                // rcvWnd (below)
  <u8>offsetof<Tcb>("cwnd"), 0, 0,
  <u8>offsetof<Tcb>("ssthresh"), 0, 0,
  <u8>offsetof<Tcb>("srtt8"), 0, 3,       // srtt (ms)
  <u8>offsetof<Tcb>("rttvar8"), 0, 3,     // rttvar (ms)
  <u8>offsetof<Tcb>("rto"), 0, 0,
  <u8>offsetof<Tcb>("retransmits"), 0, 0,
  <u8>offsetof<Tcb>("sndLen"), 0, 0,      // sendQueued
  <u8>offsetof<Tcb>("rcvLen"), 0, 0,      // recvQueued
  <u8>offsetof<Tcb>("sndMss"), 16, 0,     // mss
  <u8>offsetof<Tcb>("err"), 24, 0,        // lastError
]);

/** TcpInfoField.COUNT u32 fields at `out` (layout in abi/abi.mjs, docs/abi.md). */
export function tcpInfo(h: i32, out: usize): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (!validRange(out, INFO_FIELDS * 4)) return -Err.EINVAL;
  // field i = (the u32 at offset o of the TCB << l) >> r, from INFO_MAP's [o, l, r] (little-endian
  // loads: l = 24 keeps a u8, 16 a u16); the two computed fields are written after the loop
  for (let i: usize = 0; i < <usize>INFO_FIELDS; i++) {
    let e = INFO_MAP + i * 3;
    let l = <u32>load<u8>(e, 1);
    store<u32>(out + (i << 2), (load<u32>(changetype<usize>(t) + <usize>load<u8>(e)) << l) >> (l + <u32>load<u8>(e, 2)));
  }
  let ra = raddrOf(t);
  // the ABI's tcpInfo is IPv4 (0 for an IPv6 peer; and for a socket bound by address, whose field holds that: F_ADDR)
  store<u32>(out + ((<usize>TcpInfoField.remoteIp) << 2), addrIsV4(ra) && (!FEAT_IPV6 || !hasFlag(t, F_ADDR)) ? addrV4(ra) : 0);
  store<u32>(out + ((<usize>TcpInfoField.rcvWnd) << 2), t.rcvAdv - t.rcvNxt);
  return 0;
}

export function tcpSetOption(h: i32, opt: i32, value: i32): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (opt == OPT_NODELAY) {
    if (value != 0) setFlag(t, F_NODELAY); else clearFlag(t, F_NODELAY);
    if (t.state == <u8>TcpState.ESTABLISHED || t.state == <u8>TcpState.CLOSE_WAIT) tcpOutput(t);
    return 0;
  }
  if (opt == OPT_KEEPALIVE) {
    if (value != 0) {
      setFlag(t, F_KEEPALIVE);
      armKeepalive(t);
    } else {
      clearFlag(t, F_KEEPALIVE);
      if (keepHeld(t)) clearFlag(t, F_T_KEEP); // (user-held: not an orphan timer)
    }
    return 0;
  }
  if (opt == OPT_KEEPIDLE) { // seconds (like TCP_KEEPIDLE); 0 = Cfg.KeepIdleMs
    if (<u32>value > 0xffff) return -Err.EINVAL;
    const old = keepIdleMs(t);
    t.keepIdleS = <u16>value;
    // Idle still counts from the last segment received (Linux's TCP_KEEPIDLE does the same).
    if (keepHeld(t) && t.keepProbes == 0) t.keepDeadline += keepIdleMs(t) - old;
    if (hasFlag(t, F_T_KEEP)) timerArmed(t, t.keepDeadline);
    if (hasFlag(t, F_KEEPALIVE)) armKeepalive(t);
    return 0;
  }
  return -Err.EINVAL;
}

/**
 * Keepalive on a synchronized connection (before that, the open arms it): the first probe goes
 * when nothing has been received for the idle time (RFC 1122 §4.2.3.6), at the earliest now.
 */
function armKeepalive(t: Tcb): void {
  if (!keepHeld(t)) return;
  if (<i32>(t.keepDeadline - netNow) < 0) t.keepDeadline = netNow;
  t.keepProbes = 0;
  setFlag(t, F_T_KEEP);
  timerArmed(t, t.keepDeadline);
}

/**
 * The compact TIME-WAIT entries (not handles): up to `max` rows of TW_ROW_FIELDS u32 at `out`
 * (ports, ms left of 2*MSL, family, local and remote address: TimeWaitRowField). Returns rows written.
 */
export function tcpTimeWaitList(out: usize, max: i32): i32 {
  // (a negative max is a huge u32; max rows of TW_ROW_FIELDS u32 fit an i32 length)
  if (<u32>max > <u32>(0x7fffffff / (TW_ROW_FIELDS * 4)) || !validRange(out, max * TW_ROW_FIELDS * 4)) return -Err.EINVAL;
  return twList(out, max);
}

/**
 * The connection's addresses, 16 bytes each (IPv4 as ::ffff:a.b.c.d): local at `out`, remote at
 * `out + 16` (:: when not set). For IPv6 peers, whose address tcpInfo cannot carry.
 */
export function tcpAddrs(h: i32, out: usize): i32 {
  let t = tcbFromHandle(h);
  if (t == null) return -Err.EBADF;
  if (!validRange(out, 32)) return -Err.EINVAL;
  // a connection (bound by a connect or an accept: its addresses stay after it ends), else a
  // listener or an unconnected socket: the address it is bound to (F_ADDR; :: when unbound) and ::
  let conn = (t.flags & (F_BOUND | F_ADDR)) == F_BOUND;
  addrCopy(out, conn ? localAddrPtr(<i32>t.laddr) : raddrOf(t));
  if (conn) addrCopy(out + 16, raddrOf(t)); else memory.fill(out + 16, 0, 16);
  return 0;
}

/** Bytes of one TCB and of one TIME-WAIT entry (u32 each at `out`). */
export function tcpSizes(out: usize): i32 {
  if (!validRange(out, 8)) return -Err.EINVAL;
  store<u32>(out, <u32>offsetof<Tcb>());
  store<u32>(out, <u32>offsetof<TwEntry>(), 4);
  return 0;
}
