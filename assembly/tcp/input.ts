// Segment arrival (RFC 9293 §3.10.7): demultiplexing, LISTEN / SYN-SENT processing,
// the acceptability test, RST/SYN/ACK checks in order (with RFC 5961 challenge ACKs),
// data and FIN processing in every state, TIME-WAIT entries, RST to closed ports.
import { cfg, Cfg, FEAT_SACK, FEAT_SYNCOOKIES, FEAT_TIMESTAMPS, FEAT_WSCALE } from "../config";
import { count, Stat } from "../stats";
import { Err, EventKind } from "../errors";
import { ipMtu, localAddrIndex, localAddrPtr, netNow, pathMtu } from "../netif";
import { FAMILY_V4, addrCopy, addrEq, addrFamily, addrSetV4, tcpMssFor } from "../ip/addr";
import { TH_ACK, TH_FIN, TH_RST, TH_SYN, TcpOptions, TcpSeg, segDst, segSrc, tcpParseSeg } from "../wire/tcp";
import { seqGe, seqGt, seqLe, seqLt } from "./seq";
import {
  F_ACKNOW, F_CHILD, F_FIN_ACKED, F_SYN_ACKED, F_SYN_RTX, F_FIN_OOO, F_FIN_QUEUED, F_FIN_RCVD, F_KEEPALIVE, F_PERSIST, F_RTT, F_SACK,
  F_T_KEEP, F_T_RTX, F_TS, F_USER_CLOSED, F_WR_FULL, F_WSCALE, OOO_MAX, Tcb, TcpState, finAcked, hasFlag, setFlag, clearFlag, keepHeld, keepIdleMs,
  nextAcceptOrder, raddrOf, rcvCap, rcvWnd, rcvRing, ringAttach, ringCount, ringFreeCount, ringPut, setState, sndCap, sndDataSeq,
  tcbAlloc, tcbAt, tcbCount, tcbEvent, tcbFree, tcbFreeCount, tcbIndex, childSync, connIndexed, timerArmed, bindAddrOf, bindCovers,
} from "./tcb";
import { FEAT_IPV6, FEAT_IP6_SHOULD, FEAT_SCALE } from "../features";
import { ip6Confirm } from "../ip/ip6ops";
import { chainHead, chainNext, childCountOf, conns, listeners, portKey, tupleKey } from "./index";
import {
  ccSend, chooseRcvWscale, emit, oooBase, ourMss, reply, replyRst, restartRtx, scheduleAck, sendAck, tcpOutput,
  tsNow, updateRcvAdv,
} from "./output";
import { ccInit, ccOnAck, ccOnDupAck, rttSample } from "./cc";
import { sackTrim, sackUpdate } from "./sack";
import { rangeInsert, rangeRemove, rangeStart, rangeEnd } from "./reassembly";
import { TW_TS, TwEntry, twDuration, twFree, twLookup, twRestart } from "./timewait";
import { makeIsn, tupleHash } from "./isn";

import { armTwTimer, connClosed, enterTimeWait } from "./close";

export { tcpPoll, tcpInit } from "./timers";

// The segment being processed: filled once by tcpInput, read by every handler below.
const segBuf: usize = memory.data(offsetof<TcpSeg>(), 16);

// RFC 5961 §7: a stack-wide challenge-ACK budget per second.
export const CHALLENGE_ACK_LIMIT: u32 = 10;
let challengeWindow: u32 = 0;
let challengeCount: u32 = 0;
let challengeStarted = false;

/** Send a challenge ACK if the budget allows (RFC 5961 §3.2, §4.2, §5.2). */
function challengeAck(t: Tcb): void {
  if (!challengeStarted || <i32>(netNow - challengeWindow) >= 1000) {
    challengeStarted = true;
    challengeWindow = netNow;
    challengeCount = 0;
  }
  if (challengeCount >= CHALLENGE_ACK_LIMIT) { count(Stat.TcpChallengeAckLimited); return; }
  challengeCount++;
  count(Stat.TcpChallengeAck);
  sendAck(t);
}

// --- lookup ---

/**
 * The index of the connection findConn matched last (-1: none). Bulk data and its ACKs arrive in
 * runs for one connection, so the node build (WT_SCALE) tries it before hashing the tuple. It is
 * only a hint: the entry is checked exactly as the chain's are, and a live 4-tuple names at most
 * one connection (a new one is made only when findConn and the TIME-WAIT table find none: connect's
 * tupleInUse, listenInput), so the hint can only find the one the chain would.
 */
let lastConn: i32 = -1;

/**
 * `t` is a connection that is not CLOSED or LISTEN, of exactly this 4-tuple: the test of findConn's
 * loop, which keeps its own copy because the MCU builds (no hint) grow by 4 bytes, over budget,
 * when the loop calls this instead.
 */
function connIs(t: Tcb, laddr: i32, lport: u32, raddr: usize, rport: u32): bool {
  return t.flags != 0 && t.state > <u8>TcpState.LISTEN
    && <u32>t.lport == lport && <u32>t.rport == rport && <i32>t.laddr == laddr && addrEq(raddrOf(t), raddr);
}

/** The connection of a 4-tuple: local address index and port, remote address (16 bytes) and port. */
export function findConn(laddr: i32, lport: u32, raddr: usize, rport: u32): Tcb | null {
  let n = tcbCount();
  let i = 0;
  if (FEAT_SCALE) {
    i = lastConn;
    if (i >= 0 && i < n) {
      let t = tcbAt(i);
      if (connIs(t, laddr, lport, raddr, rport)) return t;
    }
    i = chainHead(conns, tupleKey(laddr, lport, raddr, rport));
  }
  for (; i >= 0 && i < n; i = FEAT_SCALE ? chainNext(conns, i) : i + 1) {
    let t = tcbAt(i);
    if (t.flags == 0) continue;
    let s = t.state;
    if (s <= <u8>TcpState.LISTEN) continue; // CLOSED or LISTEN (TcpState numbers: RFC 793 order)
    if (<u32>t.lport == lport && <u32>t.rport == rport && <i32>t.laddr == laddr && addrEq(raddrOf(t), raddr)) {
      if (FEAT_SCALE) lastConn = i;
      return t;
    }
  }
  return null;
}

/** Hash of the 4-tuple of `t` with `tweak` (each use, ISN or timestamp offset, has its own tweak). */
@inline function connHash(t: Tcb, tweak: u32): u32 {
  return tupleHash(localAddrPtr(<i32>t.laddr), t.lport, raddrOf(t), t.rport, tweak);
}

/**
 * The listener for a segment to our address `dst`, port `lport`: IPv6 builds match the address a
 * listener is bound to (tcpBind6); binds never overlap (sockets.ts), so at most one matches.
 */
function findListener(lport: u32, dst: usize): Tcb | null {
  let n = tcbCount();
  let i = 0;
  if (FEAT_SCALE) i = chainHead(listeners, portKey(lport));
  for (; i >= 0 && i < n; i = FEAT_SCALE ? chainNext(listeners, i) : i + 1) {
    let t = tcbAt(i);
    if (t.flags != 0 && t.state == <u8>TcpState.LISTEN && <u32>t.lport == lport && (!FEAT_IPV6 || bindCovers(bindAddrOf(t), dst))) return t;
  }
  return null;
}

/** Children of a listener (of every listener when `l` is null): half-open (SYN-RECEIVED) or waiting in the accept queue. */
function childCount(l: Tcb | null, halfOpenOnly: bool): i32 {
  let idx = l != null ? <i16>tcbIndex(l) : -1;
  if (FEAT_SCALE) return childCountOf(idx, halfOpenOnly);
  let c = 0;
  let n = tcbCount();
  for (let i = 0; i < n; i++) {
    let t = tcbAt(i);
    if (t.flags == 0 || !hasFlag(t, F_CHILD) || (idx >= 0 && t.parent != idx)) continue;
    if (halfOpenOnly && t.state != <u8>TcpState.SYN_RECEIVED) continue;
    if (!halfOpenOnly && t.state == <u8>TcpState.SYN_RECEIVED) continue;
    c++;
  }
  return c;
}

// --- option negotiation ---

function featureFlags(): u32 {
  let f = cfg(Cfg.Features);
  let flags: u32 = 0;
  if (f & FEAT_TIMESTAMPS) flags |= F_TS;
  if (f & FEAT_SACK) flags |= F_SACK;
  if (f & FEAT_WSCALE) flags |= F_WSCALE;
  return flags;
}

/** Offer our options: on an active open (connect), a passive child, a cookie SYN+ACK (the endpoints are set). */
export function prepareActive(t: Tcb): void {
  setFlag(t, featureFlags());
  t.rcvMss = ourMss(addrFamily(raddrOf(t)));
  t.rcvWscale = hasFlag(t, F_WSCALE) ? chooseRcvWscale() : 0;
  t.tsOffset = connHash(t, 0x54530000);
}

/** Apply the options of a received SYN: keep what both sides offered (RFC 7323, RFC 2018). */
function applySynOptions(t: Tcb, o: TcpOptions, tsVal: u32): void {
  // no MSS option: RFC 9293 §3.7.1's default, 536 for IPv4 and 1220 for IPv6 (RFC 8200 §8.3)
  let fam = FEAT_IPV6 ? addrFamily(raddrOf(t)) : FAMILY_V4;
  let peer = o.mss != 0 ? o.mss : fam == FAMILY_V4 ? 536 : 1220;
  let mine = <u32>tcpMssFor(FEAT_IPV6 ? pathMtu(raddrOf(t)) : ipMtu, fam); // an IPv6 path MTU record lowers it (RFC 8201)
  t.sndMss = <u16>(peer < mine ? peer : mine);
  if (t.sndMss < 64) t.sndMss = 64;
  if (hasFlag(t, F_WSCALE) && o.wscale >= 0) {
    t.sndWscale = <u8>(o.wscale > 14 ? 14 : o.wscale); // RFC 7323 §2.3: treat > 14 as 14
  } else {
    clearFlag(t, F_WSCALE);
    t.sndWscale = 0;
    t.rcvWscale = 0;
  }
  if (!o.sackPermitted) clearFlag(t, F_SACK);
  if (hasFlag(t, F_TS) && o.tsPresent) t.tsRecent = tsVal;
  else clearFlag(t, F_TS);
}

/**
 * Shared by SYN-SENT, SYN-RECEIVED and cookie completion: the first window and congestion
 * state. `wnd` is already scaled (the window of a SYN+ACK is never scaled: RFC 7323 §2.2).
 */
function establish(t: Tcb, wnd: u32, seq: u32, ack: u32): void {
  setFlag(t, F_SYN_ACKED);
  t.sndWnd = wnd;
  t.maxSndWnd = t.sndWnd;
  t.sndWl1 = seq;
  t.sndWl2 = ack;
  ccInit(t);
  // RFC 6298 §5.7: after a SYN (or SYN+ACK) timed out, data starts with an RTO of 3 s.
  if (hasFlag(t, F_SYN_RTX) && t.srtt8 == 0 && t.rto < 3000) t.rto = 3000;
  // Idle counts from now (RFC 1122 §4.2.3.6). keepDeadline is kept as "last segment received +
  // idle time" even while keepalive is off: enabling it or changing the idle time later starts
  // from that reference (as Linux's TCP_KEEPIDLE does), not from the time of the call.
  restartIdle(t);
  setState(t, TcpState.ESTABLISHED);
  if (hasFlag(t, F_FIN_QUEUED)) setState(t, TcpState.FIN_WAIT_1); // shut down before the open completed
}

// --- SYN cookies (used when a listener's SYN backlog is full) ---
// cookie = hash(4-tuple, counter)[31:10] | counter % 8 << 7 | sack << 6 | wscale (0-14, 15 none) << 2 | mss index
const COOKIE_MSS: usize = memory.data<u16>([536, 1220, 1440, 1460]); // static data, no array object
@inline function cookieMss(i: u32): u32 { return <u32>load<u16>(COOKIE_MSS + (<usize>(i & 3) << 1)); }

function cookieMssIndex(mss: u32): u32 {
  let i: u32 = 3;
  while (i > 0 && cookieMss(i) > mss) i--;
  return i;
}

/** The cookie (our ISN) for the SYN `s`, its options encoded (irs = the SYN's sequence number). */
function cookieMake(s: TcpSeg, irs: u32): u32 {
  let o = changetype<TcpOptions>(s);
  let c = netNow >> 16; // ~65 s periods
  let mss = o.mss != 0 ? o.mss : 536;
  let ws: u32 = o.wscale >= 0 && (cfg(Cfg.Features) & FEAT_WSCALE) ? <u32>(o.wscale > 14 ? 14 : o.wscale) : 15;
  let sack: u32 = o.sackPermitted && (cfg(Cfg.Features) & FEAT_SACK) ? 1 : 0;
  let low = ((c & 7) << 7) | (sack << 6) | (ws << 2) | cookieMssIndex(mss);
  return (cookieHash(s, irs, c) & 0xfffffc00) | low;
}

/** The keyed hash of the SYN's 4-tuple, its sequence number and the counter period `c`. */
function cookieHash(s: TcpSeg, irs: u32, c: u32): u32 { return tupleHash(segDst(s), s.dport, segSrc(s), s.sport, irs ^ c); }

/** The counter period a cookie claims, if its hash checks out for this period or the previous one. */
function cookieCheck(s: TcpSeg, irs: u32, cookie: u32): bool {
  let now = netNow >> 16;
  let cc = (cookie >> 7) & 7;
  for (let back: u32 = 0; back < 2; back++) {
    let c = now - back;
    if ((c & 7) != cc) continue;
    if (((cookieHash(s, irs, c) ^ cookie) & 0xfffffc00) == 0) return true;
  }
  return false;
}

// --- LISTEN ---

/** Give `t` the endpoints of the received segment `s` (its destination is ours). */
function setEndpoints(t: Tcb, s: TcpSeg): void {
  t.laddr = <u8>localAddrIndex(segDst(s)); // tcpInput only passes segments for one of our addresses
  t.lport = <u16>s.dport;
  addrCopy(raddrOf(t), segSrc(s));
  t.rport = <u16>s.sport;
}

/** A passive-open child holding a ring pair, or null (no free TCB or no free ring pair). */
function newChild(l: Tcb, s: TcpSeg): Tcb | null {
  let t = tcbAlloc();
  if (t == null) return null;
  if (!ringAttach(t)) { tcbFree(t); return null; }
  t.parent = <i16>tcbIndex(l);
  setFlag(t, F_CHILD | (l.flags & F_KEEPALIVE));
  t.keepIdleS = l.keepIdleS;
  setEndpoints(t, s);
  connIndexed(t);
  prepareActive(t);
  t.state = <u8>TcpState.LISTEN;
  return t;
}

/** SYN-RECEIVED state for the SYN `s` (IRS = its sequence number) with our ISS `iss`. */
function synReceived(t: Tcb, s: TcpSeg, iss: u32): void {
  let seq = s.seq;
  t.rcvNxt = seq + 1;
  t.rcvAdv = seq + 1;
  t.iss = iss; t.sndUna = iss; t.sndNxt = iss; t.sndMax = iss;
  applySynOptions(t, s, s.tsVal);
  t.sndWnd = s.wnd; // SYN windows are never scaled
  t.sndWl1 = seq; t.sndWl2 = iss;
}

function listenInput(l: Tcb, s: TcpSeg): void {
  let flags = s.flags, seq = s.seq;
  if (flags & TH_RST) return; // RFC 9293: an incoming RST to LISTEN is ignored
  if (flags & TH_ACK) {
    // an ACK to a listener: a SYN-cookie handshake completing, otherwise <SEQ=SEG.ACK><CTL=RST>
    if ((flags & TH_SYN) == 0 && (cfg(Cfg.Features) & FEAT_SYNCOOKIES) &&
        cookieCheck(s, seq - 1, s.ack - 1)) {
      cookieComplete(l, s);
      return;
    }
    if ((flags & TH_SYN) == 0 && (cfg(Cfg.Features) & FEAT_SYNCOOKIES)) count(Stat.TcpSynCookiesBad);
    replyRst(s);
    return;
  }
  if ((flags & TH_SYN) == 0) return;
  let freeRings = ringFreeCount();
  if (freeRings == 0) { count(Stat.TcpNoRings); return; } // no buffers for a connection: drop the SYN
  let synBacklog = <i32>cfg(Cfg.SynBacklog);
  // SYN cookies only under pressure (issue 15): the listener's half-open backlog is full, or SYNs
  // pile up. Half-open connections never take the last quarter of the pool (of TCBs, or of ring
  // pairs) while other connections are half-open: a burst or flood of SYNs must not lock out
  // real clients (they complete through cookies) or outgoing connections. A SYN arriving with
  // nothing half-open (one client at a time, the routine case of a small configuration) takes
  // the normal path, down to the last free TCB and ring pair.
  let reserve = tcbCount() >> 2;
  if (reserve < 1) reserve = 1;
  let full = childCount(l, true) >= synBacklog || childCount(l, false) >= <i32>l.backlog ||
    (childCount(null, true) > 0 && (tcbFreeCount() <= reserve || freeRings <= (ringCount() >> 2)));
  let t: Tcb | null = null;
  if (!full) t = newChild(l, s);
  if (t == null) {
    if ((cfg(Cfg.Features) & FEAT_SYNCOOKIES) && childCount(l, false) < <i32>l.backlog) {
      // Stateless SYN+ACK: the cookie is our ISN; options are encoded in it.
      count(Stat.TcpSynCookiesTx);
      sendCookieSynAck(s, cookieMake(s, seq));
    } else {
      count(Stat.TcpSynBacklogFull);
    }
    return;
  }
  synReceived(t, s, makeIsn(localAddrPtr(<i32>t.laddr), t.lport, raddrOf(t), t.rport, netNow));
  setState(t, TcpState.SYN_RECEIVED);
  tcpOutput(t); // SYN+ACK
}

function sendCookieSynAck(s: TcpSeg, iss: u32): void {
  // A minimal SYN+ACK: MSS, and the peer's offered options echoed when enabled.
  let t = cookieScratch();
  memory.fill(changetype<usize>(t), 0, offsetof<Tcb>());
  setEndpoints(t, s);
  prepareActive(t);
  synReceived(t, s, iss);
  t.state = <u8>TcpState.SYN_RECEIVED;
  emitSynAckNoTcb(t);
}

// A scratch TCB-shaped area (not in the pool) for stateless SYN+ACKs.
const cookieTcb: usize = memory.data(<i32>offsetof<Tcb>(), 16);
function cookieScratch(): Tcb { return changetype<Tcb>(cookieTcb); }

function emitSynAckNoTcb(t: Tcb): void { emit(t, t.iss, 0, TH_SYN | TH_ACK); }

/**
 * The ACK completing a SYN-cookie handshake: rebuild the child from the cookie, as the
 * SYN-RECEIVED connection the stateless SYN+ACK stood for, then run the segment through the
 * ordinary synchronized-state path so its ACK establishes the connection and its data and FIN
 * are taken at once (RFC 4987 §3.6: a cookie connection behaves like any other).
 */
function cookieComplete(l: Tcb, s: TcpSeg): void {
  let seq = s.seq, ack = s.ack;
  let t = newChild(l, s);
  if (t == null) { count(ringFreeCount() == 0 ? Stat.TcpNoRings : Stat.TcpSynBacklogFull); return; }
  count(Stat.TcpSynCookiesOk);
  let cookie = ack - 1;
  let ws = (cookie >> 2) & 15;
  t.rcvNxt = seq; // (IRS = seq - 1)
  t.iss = cookie;
  t.sndUna = cookie; t.sndNxt = ack; t.sndMax = ack;
  let mssPeer = cookieMss(cookie);
  let mine = <u32>tcpMssFor(FEAT_IPV6 ? pathMtu(raddrOf(t)) : ipMtu, addrFamily(raddrOf(t)));
  t.sndMss = <u16>(mssPeer < mine ? mssPeer : mine);
  if (ws == 15) { clearFlag(t, F_WSCALE); t.sndWscale = 0; t.rcvWscale = 0; } else t.sndWscale = <u8>ws;
  if (((cookie >> 6) & 1) == 0) clearFlag(t, F_SACK);
  if (s.tsPresent && hasFlag(t, F_TS)) t.tsRecent = s.tsVal; else clearFlag(t, F_TS);
  // The window the cookie SYN+ACK offered: the peer may fill it with its first segments.
  t.rcvAdv = t.rcvNxt;
  updateRcvAdv(t);
  t.lastAckSent = t.rcvNxt;
  t.sndWnd = s.wnd; t.sndWl1 = seq - 1; t.sndWl2 = cookie;
  t.state = <u8>TcpState.SYN_RECEIVED;
  childSync(t);
  connInput(t, s);
  // The checks above leave no reason for the ACK to be refused; never keep a child that did.
  if (t.flags != 0 && t.state == <u8>TcpState.SYN_RECEIVED) connClosed(t, Err.OK);
}

// --- SYN-SENT (RFC 9293 §3.10.7.3) ---

/** Our SYN is acknowledged by `ack`: the send side moves on, the timer stops, timestamps (echo `tsEcr`) time the SYN
 * (only timestamps do: F_RTT times data, and is first set after the handshake). */
function synAcked(t: Tcb, ack: u32, tsEcr: u32): void {
  t.sndUna = ack;
  if (seqLt(t.sndNxt, ack)) t.sndNxt = ack;
  clearFlag(t, F_T_RTX);
  t.backoff = 0; t.retries = 0;
  if (hasFlag(t, F_TS) && tsEcr != 0) rttSample(t, tsNow(t) - tsEcr);
}

function synSentInput(t: Tcb, s: TcpSeg): void {
  let seq = s.seq, ack = s.ack, flags = s.flags, wnd = s.wnd;
  let o = changetype<TcpOptions>(s);
  let ackOk = false;
  if (flags & TH_ACK) {
    if (seqLe(ack, t.iss) || seqGt(ack, t.sndMax)) {
      if ((flags & TH_RST) == 0) replyRst(s);
      count(Stat.TcpBadAck);
      return;
    }
    ackOk = true;
  }
  if (flags & TH_RST) {
    count(Stat.TcpRstRx);
    if (ackOk) connClosed(t, Err.ECONNREFUSED);
    return;
  }
  if ((flags & TH_SYN) == 0) return;
  t.rcvNxt = seq + 1; // (IRS = seq)
  t.rcvAdv = t.rcvNxt;
  applySynOptions(t, o, o.tsVal);
  if (ackOk) {
    synAcked(t, ack, o.tsEcr);
    establish(t, wnd, seq, ack); // a SYN+ACK's window is not scaled
    tcbEvent(t, EventKind.Connected, 0);
    setFlag(t, F_ACKNOW);
    tcpOutput(t);
  } else {
    // simultaneous open: SYN-RECEIVED, answer with SYN+ACK at our ISS
    t.sndWnd = wnd;
    t.sndWl1 = seq;
    setState(t, TcpState.SYN_RECEIVED);
    t.sndNxt = t.iss;
    clearFlag(t, F_T_RTX);
    tcpOutput(t);
  }
}

// --- receive data ---

/** Place in-window payload [seq, seq+len) in the receive ring; in order or as an out-of-order range. */
function receiveData(t: Tcb, seq: u32, data: usize, len: u32): void {
  let ring = rcvRing(t);
  if (seq == t.rcvNxt) {
    ringPut(ring, rcvCap, t.rcvStart + t.rcvLen, data, len);
    t.rcvNxt += len;
    t.rcvLen += len;
    let filled = false;
    let base = oooBase(t);
    while (t.oooCount > 0 && seqLe(rangeStart(base, 0), t.rcvNxt)) {
      let end = rangeEnd(base, 0);
      if (seqGt(end, t.rcvNxt)) {
        t.rcvLen += end - t.rcvNxt;
        t.rcvNxt = end;
      }
      t.oooCount = <u8>rangeRemove(base, <i32>t.oooCount, 0);
      filled = true;
    }
    if (filled || t.oooCount > 0) setFlag(t, F_ACKNOW); // RFC 5681 §4.2: ACK at once when filling a hole
    else scheduleAck(t);
    tcbEvent(t, EventKind.Readable, <i32>t.rcvLen);
    return;
  }
  // out of order: the bytes go straight to their place in the ring
  count(Stat.TcpOutOfOrder);
  let n = rangeInsert(oooBase(t), <i32>t.oooCount, OOO_MAX, seq, seq + len);
  if (n < 0) {
    count(Stat.TcpOfoDropped);
  } else {
    ringPut(ring, rcvCap, t.rcvStart + t.rcvLen + (seq - t.rcvNxt), data, len);
    t.oooCount = <u8>n;
    t.oooRecent = seq;
  }
  setFlag(t, F_ACKNOW); // duplicate ACK at once (RFC 5681 §4.2)
}

/** Consume the peer's FIN (it is next in sequence). */
function consumeFin(t: Tcb): void {
  t.rcvNxt += 1;
  t.flags = (t.flags | F_FIN_RCVD | F_ACKNOW) & ~F_FIN_OOO;
  tcbEvent(t, EventKind.Readable, <i32>t.rcvLen);
  let s = t.state;
  if (<u32>s - <u32>TcpState.SYN_RECEIVED < 2) setState(t, TcpState.CLOSE_WAIT); // SYN-RECEIVED or ESTABLISHED
  else if (s == <u8>TcpState.FIN_WAIT_1) {
    if (finAcked(t)) { sendAck(t); enterTimeWait(t); }
    else setState(t, TcpState.CLOSING);
  } else if (s == <u8>TcpState.FIN_WAIT_2) { sendAck(t); enterTimeWait(t); }
}

// --- the synchronized states ---

function connInput(t: Tcb, s: TcpSeg): void {
  let seq = s.seq, ack = s.ack, flags = s.flags, wnd = s.wnd, data = s.data, dlen = s.dlen;
  let o = changetype<TcpOptions>(s);
  let st = t.state;
  let segLen = dlen + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);

  if (hasFlag(t, F_TS) && (flags & TH_RST) == 0) {
    // RFC 7323 §3.2: once negotiated, a non-RST segment without timestamps is dropped silently.
    if (!o.tsPresent) { count(Stat.TcpNoTimestamp); return; }
    // RFC 7323 §5.3 PAWS.
    if (seqLt(o.tsVal, t.tsRecent)) { count(Stat.TcpPawsDrop); sendAck(t); return; }
  }

  // TIME-WAIT held in the TCB (RFC 9293 §3.10.7.4): only the peer's FIN again (seq + len ==
  // RCV.NXT, past PAWS) restarts the 2*MSL timer; anything else is at most acknowledged below.
  if (st == <u8>TcpState.TIME_WAIT && (flags & (TH_FIN | TH_RST | TH_SYN)) == TH_FIN && seq + segLen == t.rcvNxt) {
    t.keepDeadline = netNow + twDuration();
    timerArmed(t, t.keepDeadline);
  }

  if (st == <u8>TcpState.SYN_RECEIVED && seq == t.rcvNxt - 1) {
    let sar = flags & (TH_SYN | TH_ACK | TH_RST);
    if (sar == (TH_SYN | TH_ACK)) {
      // RFC 9293 §3.5 Figure 8 line 6: after a simultaneous open, the peer's SYN,ACK repeats its
      // SYN (a duplicate) and acknowledges ours: drop the SYN bit and take the rest.
      flags &= ~TH_SYN;
      seq += 1;
      segLen -= 1;
    } else if (sar == TH_SYN) {
      // A retransmitted SYN means our SYN+ACK was lost. (In SYN-RECEIVED rcvNxt is always
      // IRS + 1: no text or FIN is taken before the ACK that leaves the state.)
      t.sndNxt = t.iss;
      tcpOutput(t);
      return;
    }
  }

  // 1. acceptability (RFC 9293 §3.10.7.4 first)
  // RCV.NXT =< x < RCV.NXT + RCV.WND is (x - RCV.NXT) < RCV.WND unsigned (the window is below 2^31).
  let wndR = rcvWnd(t);
  let d = seq - t.rcvNxt;
  let wseq = seq; // SEG.SEQ for the SND.WL1 rule
  if (!(d < wndR || (segLen > 0 && d + segLen - 1 < wndR))) {
    // A zero window accepts no segment, but takes valid ACKs (RFC 9293 §3.10.7.4): any sequence
    // number (a probe at RCV.NXT - 1, text beyond the window), its text and FIN stripped; RSTs
    // and SYNs only at RCV.NXT. Both ends' windows closed, each one's data carries the ACK
    // that frees the other's ring: dropping those would deadlock.
    if (wndR != 0 || (d != 0 && (flags & (TH_RST | TH_SYN)) != 0)) {
      count(Stat.TcpBadSeq); // an out-of-window RST too: dropped without an answer, but counted
      if ((flags & TH_RST) == 0) sendAck(t);
      return;
    }
    if (segLen > 0) count(Stat.TcpZeroWindowDrop); // probes, text sent into a closed window
    if ((segLen | d) != 0) setFlag(t, F_ACKNOW); // (not an empty ACK at RCV.NXT)
    dlen = 0; flags &= ~(TH_FIN | TH_SYN);
    if (<i32>d > 0) wseq = t.rcvNxt; // beyond the window: a SND.WL1 ahead of RCV.NXT would block later updates
  }

  // Update TS.Recent (RFC 7323 §4.3): SEG.SEQ <= Last.ACK.sent < SEG.SEQ + SEG.LEN (or = for
  // empty): Last.ACK.sent - SEG.SEQ below max(SEG.LEN, 1), unsigned.
  if (hasFlag(t, F_TS) && o.tsPresent && t.lastAckSent - seq < (segLen != 0 ? segLen : 1)) {
    t.tsRecent = o.tsVal;
  }

  // 2. RST (RFC 5961 §3.2: only an exact match resets; in-window gets a challenge ACK)
  if (flags & TH_RST) {
    count(Stat.TcpRstRx);
    if (seq != t.rcvNxt) { challengeAck(t); return; }
    let err = Err.ECONNRESET;
    if (st == <u8>TcpState.SYN_RECEIVED) err = hasFlag(t, F_CHILD) ? Err.OK : Err.ECONNREFUSED; // passive: back to LISTEN
    else if (st >= <u8>TcpState.CLOSING) err = Err.OK; // CLOSING, LAST-ACK, TIME-WAIT
    connClosed(t, err);
    return;
  }

  // 4. SYN in a synchronized state (RFC 5961 §4.2): challenge ACK, drop.
  if (flags & TH_SYN) {
    challengeAck(t);
    return;
  }

  // 5. ACK
  if ((flags & TH_ACK) == 0) return;
  if (st == <u8>TcpState.SYN_RECEIVED) {
    if (!(seqGt(ack, t.sndUna) && seqLe(ack, t.sndMax))) {
      count(Stat.TcpBadAck);
      replyRst(s);
      return;
    }
    synAcked(t, ack, o.tsEcr); // our SYN is acknowledged
    establish(t, wnd << t.sndWscale, seq, ack);
    if (hasFlag(t, F_CHILD)) {
      t.acceptOrder = nextAcceptOrder();
      tcbEvent(tcbAt(<i32>t.parent), EventKind.Accepted, 0);
    } else {
      tcbEvent(t, EventKind.Connected, 0);
    }
    st = t.state;
  }

  if (seqGt(ack, t.sndMax)) {
    // RFC 9293: an ACK for something not yet sent: ACK, drop.
    count(Stat.TcpBadAck);
    sendAck(t);
    return;
  }
  if (seqLt(ack, t.sndUna - t.maxSndWnd)) {
    // RFC 5961 §5.2: too old to be believable.
    count(Stat.TcpBadAck);
    challengeAck(t);
    return;
  }

  if (hasFlag(t, F_KEEPALIVE)) t.keepProbes = 0;
  // (a FIN-WAIT-2 connection the user still holds keeps its keepalive: RFC 1122 §4.2.3.6)
  if (keepHeld(t)) restartIdle(t); // the idle reference, also while keepalive is off

  let oldWnd = t.sndWnd;
  let scaledWnd = wnd << t.sndWscale;
  if (o.sackCount > 0) sackUpdate(t, o);
  if (seqGt(ack, t.sndUna)) {
    newAck(t, ack, o);
  } else if (ack == t.sndUna && dlen == 0 && (flags & (TH_SYN | TH_FIN)) == 0 && scaledWnd == oldWnd &&
             t.sndMax != t.sndUna) {
    ccSend(t, ccOnDupAck(t));
  }
  // window update (RFC 9293 §3.10.7.4, SND.WL1/SND.WL2 rule)
  if (seqLt(t.sndWl1, wseq) || (t.sndWl1 == wseq && seqLe(t.sndWl2, ack))) {
    t.sndWnd = scaledWnd;
    t.sndWl1 = wseq;
    t.sndWl2 = ack;
    if (scaledWnd > t.maxSndWnd) t.maxSndWnd = scaledWnd;
    if (scaledWnd > 0 && hasFlag(t, F_PERSIST)) {
      clearFlag(t, F_PERSIST);
      // the persist timer stops only if nothing is outstanding: data sent before the window closed
      // (SND.NXT was pulled back to SND.UNA to probe) keeps its retransmission timer (RFC 6298 §5.2)
      if (t.sndMax == t.sndUna) clearFlag(t, F_T_RTX);
      t.backoff = 0;
    } else if (scaledWnd == 0 && hasFlag(t, F_PERSIST) && !hasFlag(t, F_USER_CLOSED)) {
      // The peer answers our probes: keep probing while the user holds the connection
      // (RFC 1122 §4.2.2.17, RFC 9293 §3.8.6.1); an orphan's probes stay bounded (timers.ts).
      t.retries = 0;
    }
  }

  st = t.state;
  if (finAcked(t)) {
    // (with a FIN in the same segment, the FIN processing below goes straight to TIME-WAIT
    // when the FIN is in sequence; otherwise to FIN-WAIT-2 after it)
    if (st == <u8>TcpState.FIN_WAIT_1 && (flags & TH_FIN) == 0) enterFinWait2(t);
    else if (st == <u8>TcpState.CLOSING) { enterTimeWait(t); return; }
    else if (st == <u8>TcpState.LAST_ACK) { connClosed(t, Err.OK); return; }
  }
  if (st == <u8>TcpState.TIME_WAIT) {
    if (flags & TH_FIN) sendAck(t);
    return;
  }
  st = t.state;

  // New data after the application closed (tcpClose: the handle is released; not a half-close,
  // tcpShutdown, which still reads): nobody will read it, so answer with RST and free the
  // connection (RFC 1122 §4.2.2.13, RFC 2525 §2.17; Linux's tcp_rcv_state_process does the same
  // in FIN-WAIT-1/2). The text as it arrived counts, also when a zero window stripped it above.
  if (hasFlag(t, F_USER_CLOSED) && <u32>st - <u32>TcpState.FIN_WAIT_1 < 2 /* FIN-WAIT-1 or -2 */ &&
      s.dlen > 0 && seqGt(s.seq + s.dlen, t.rcvNxt)) {
    count(Stat.TcpRstDataAfterClose);
    count(Stat.TcpConnsAborted);
    replyRst(s); // <SEQ=SEG.ACK><CTL=RST>: exactly what the peer expects next
    connClosed(t, Err.OK);
    return;
  }

  // 7. segment text: trim to the window, then place it
  let fin = (flags & TH_FIN) != 0;
  if (dlen > 0 || fin) {
    if (seqLt(seq, t.rcvNxt)) {
      let d = t.rcvNxt - seq;
      if (d > dlen) { // only old bytes (and an old FIN): acknowledge again
        fin = false;
        setFlag(t, F_ACKNOW);
        data += dlen; dlen = 0;
      } else {
        data += d; dlen -= d;
      }
      seq = t.rcvNxt;
    }
    let room: u32 = seqGt(t.rcvAdv, seq) ? t.rcvAdv - seq : 0;
    if (dlen > room) { dlen = room; fin = false; count(Stat.TcpRcvBufDrop); setFlag(t, F_ACKNOW); }
  }
  if (dlen > 0) {
    if (<u32>(st - TcpState.ESTABLISHED) < 3) { // ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2
      receiveData(t, seq, data, dlen);
    } else {
      setFlag(t, F_ACKNOW); // CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent its FIN
    }
  }

  // 8. FIN
  if (fin && !hasFlag(t, F_FIN_RCVD)) {
    let fs = seq + dlen;
    if (fs == t.rcvNxt) consumeFin(t);
    else { setFlag(t, F_FIN_OOO | F_ACKNOW); t.finRcvSeq = fs; }
  }
  if (hasFlag(t, F_FIN_OOO) && t.finRcvSeq == t.rcvNxt && !hasFlag(t, F_FIN_RCVD)) consumeFin(t);
  if (t.flags == 0) return; // released
  // Our FIN acknowledged by a segment whose FIN could not be consumed (out of order, or
  // trimmed): FIN-WAIT-2 now (RFC 9293 §3.10.7.4, fifth check), not FIN-WAIT-1 forever.
  if (t.state == <u8>TcpState.FIN_WAIT_1 && finAcked(t)) enterFinWait2(t);
  if (t.state == <u8>TcpState.CLOSED) return;
  tcpOutput(t);
}

/**
 * FIN-WAIT-1 -> FIN-WAIT-2 (our FIN acknowledged). An orphan (closed by the user) gets the
 * FIN-WAIT-2 timeout; a connection the user holds has none, but keeps its keepalive
 * (RFC 1122 §4.2.3.6): the timer armed in ESTABLISHED restarts idle from now.
 */
function enterFinWait2(t: Tcb): void {
  setState(t, TcpState.FIN_WAIT_2);
  if (hasFlag(t, F_USER_CLOSED)) armTwTimer(t);
  else if (!restartIdle(t)) clearFlag(t, F_T_KEEP); // the idle reference (armed only with keepalive on)
}

/** keepDeadline = now + the idle time; with keepalive on, its timer armed from no probes: true. */
function restartIdle(t: Tcb): bool {
  t.keepDeadline = netNow + keepIdleMs(t);
  if (!hasFlag(t, F_KEEPALIVE)) return false;
  t.keepProbes = 0;
  setFlag(t, F_T_KEEP);
  timerArmed(t, t.keepDeadline);
  return true;
}

/** A cumulative ACK advancing sndUna (RFC 9293 §3.10.7.4, RFC 6298, RFC 5681). */
function newAck(t: Tcb, ack: u32, o: TcpOptions): void {
  let dataSeq = sndDataSeq(t);
  let dataAcked: u32 = seqGt(ack, dataSeq) ? ack - dataSeq : 0;
  if (dataAcked > t.sndLen) dataAcked = t.sndLen;
  let acked = ack - t.sndUna;
  if (hasFlag(t, F_FIN_QUEUED) && seqGt(ack, dataSeq + t.sndLen)) setFlag(t, F_FIN_ACKED);
  t.sndStart = (t.sndStart + dataAcked) % sndCap;
  t.sndLen -= dataAcked;
  t.sndUna = ack;
  if (FEAT_IPV6 && FEAT_IP6_SHOULD && addrFamily(raddrOf(t)) != FAMILY_V4) ip6Confirm(raddrOf(t)); // RFC 4861 §7.3.1
  if (seqLt(t.sndNxt, ack)) t.sndNxt = ack;
  if (seqLt(t.highRxt, ack)) t.highRxt = ack;
  // RTT: timestamps (RFC 7323 §4.1) or one timed segment with Karn's rule (RFC 6298 §3)
  if (hasFlag(t, F_TS) && o.tsPresent && o.tsEcr != 0) {
    rttSample(t, tsNow(t) - o.tsEcr);
  } else if (hasFlag(t, F_RTT) && seqGt(ack, t.rttSeq)) {
    rttSample(t, netNow - t.rttStart);
    clearFlag(t, F_RTT);
  }
  t.backoff = 0;
  t.retries = 0;
  t.err = 0; // something worked: forget a soft ICMP error (tcp/icmp.ts)
  if (t.sndUna == t.sndMax) clearFlag(t, F_T_RTX);
  else restartRtx(t);
  if (t.sackedCount > 0) sackTrim(t);
  ccSend(t, ccOnAck(t, acked));
  if (dataAcked > 0 && hasFlag(t, F_WR_FULL)) {
    clearFlag(t, F_WR_FULL);
    tcbEvent(t, EventKind.Writable, <i32>(sndCap - t.sndLen));
  }
}

// --- TIME-WAIT table entries ---

function twInput(e: TwEntry, s: TcpSeg, segLen: u32): bool {
  let seq = s.seq, flags = s.flags;
  if (flags & TH_RST) {
    // RFC 5961 §3.2 applied to TIME-WAIT: only an exact match ends it.
    count(Stat.TcpRstRx);
    if (seq == e.rcvNxt) twFree(e);
    return true;
  }
  let ts = (e.flags & TW_TS) != 0;
  let tsBoth = ts && s.tsPresent;
  if ((flags & TH_SYN) && (flags & TH_ACK) == 0 &&
      (tsBoth ? seqGt(s.tsVal, e.tsRecent) : seqGt(seq, e.rcvNxt))) {
    // A new SYN may reopen: RFC 6191 §2 with timestamps on both sides (a newer TSval, whatever
    // the sequence number), else RFC 9293 §3.10.7.4 / RFC 1122 §4.2.2.13 (above the old sequence space).
    twFree(e);
    return false;
  }
  let paws = tsBoth && seqLt(s.tsVal, e.tsRecent);
  if (paws) count(Stat.TcpPawsDrop);
  // RFC 9293 §3.10.7.4: only the peer's FIN again (lost last ACK: seq + len == RCV.NXT) restarts
  // 2*MSL; any other segment (out of window, a SYN that may not reopen) is just acknowledged.
  if ((flags & (TH_FIN | TH_SYN)) == TH_FIN && seq + segLen == e.rcvNxt && !paws) twRestart(e);
  else if (segLen == 0 && seq == e.rcvNxt) return true;  // a bare in-window ACK needs no answer
  reply(s, e.sndNxt, e.rcvNxt, TH_ACK, <u32>e.wnd, ts, netNow + e.tsOffset, e.tsRecent);
  return true;
}

/**
 * Entry point from an IPv4 interface: the protocol-6 payload of `len` bytes at `p` from `src`
 * to `dst` (host order). Fills the segment record's endpoints and runs tcpInput.
 */
export function tcpInput4(src: u32, dst: u32, p: usize, len: i32): void {
  let s = changetype<TcpSeg>(segBuf);
  addrSetV4(segSrc(s), src);
  addrSetV4(segDst(s), dst);
  tcpInput(s, p, len);
}

/**
 * Entry point for any family (an IPv6 layer calls this with pointers into its header): the
 * segment of `len` bytes at `p` from `src` to `dst` (16-byte addresses, ip/addr.ts).
 */
export function tcpInputAddr(src: usize, dst: usize, p: usize, len: i32): void {
  let s = changetype<TcpSeg>(segBuf);
  addrCopy(segSrc(s), src);
  addrCopy(segDst(s), dst);
  tcpInput(s, p, len);
}

/**
 * `s` has its endpoints set; the segment is the `len` bytes at `p`. Validates, fills the
 * record once, then runs the state machine on it.
 */
function tcpInput(s: TcpSeg, p: usize, len: i32): void {
  count(Stat.TcpRx);
  if (!tcpParseSeg(p, len, s)) return;
  if (s.sport == 0 || s.dport == 0) { count(Stat.TcpNoSocket); return; }
  let flags = s.flags;
  let laddr = localAddrIndex(segDst(s));
  if (laddr >= 0) {
    let t = findConn(laddr, s.dport, segSrc(s), s.sport);
    if (t != null) {
      if (t.state == <u8>TcpState.SYN_SENT) synSentInput(t, s);
      else connInput(t, s);
      return;
    }
  }
  let segLen = s.dlen + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
  let e = laddr >= 0 ? twLookup(laddr, s.dport, segSrc(s), s.sport) : null;
  if (e != null && twInput(e, s, segLen)) return;
  let l = laddr >= 0 ? findListener(s.dport, segDst(s)) : null;
  if (l != null) {
    listenInput(l, s);
    return;
  }
  // CLOSED (RFC 9293 §3.10.7.1): answer anything but a RST with a RST.
  count(Stat.TcpNoSocket);
  if (flags & TH_RST) return;
  if (flags & TH_ACK) replyRst(s);
  else reply(s, 0, s.seq + segLen, TH_RST | TH_ACK, 0, false, 0, 0);
}
