// The TCP connection block (RFC 9293 §3.3.1 names), its pool, send/receive rings and
// the state-change / event plumbing. One TCB per socket handle (listeners included);
// passive-open children live here too, linked to their listener. Rings come from a
// separate pool of Cfg.RingPairs send+receive pairs: a TCB holds one only while it is a
// connection (from connect or the SYN that creates a child until it is freed, or until
// CLOSED / TIME-WAIT with nothing left to read), so listeners cost no buffer memory.
import { poolAlloc, ringCopy } from "../pool";
import { cfg, Cfg } from "../config";
import { hostEvent } from "../host";
import { EventKind } from "../errors";
import { count, Stat } from "../stats";
import { HandleKind, HANDLE_SLOTS, handleEncode, handleEntry, handleNextGen } from "../handles";
import { FEAT_SCALE } from "../features";
import { addrEq, addrIsV4, addrIsZero } from "../ip/addr";
import {
  CHILD_HALF, CHILD_NONE, CHILD_QUEUED, childSet, conns, listeners, portBound, portKey, portUnbound, slotGive,
  slotTake, slotsFree, tcbSlots, chainAdd, chainRemove, timerNote, timerSet, tupleKey, byAddrAdd, byAddrRemove,
} from "./index";

import { TcpState } from "../abi-consts";
export { TcpState }; // numbers declared in abi/abi.mjs

// --- TCB flags ---
// (bit numbers by use: the flags tested and set most often take the low bits, whose constants
// encode in one byte (bits 0-5) or two (6-12) in the module)
export const F_TS: u32 = 1 << 0;           // timestamps negotiated
export const F_ACKNOW: u32 = 1 << 1;       // send an ACK at the next output
export const F_T_RTX: u32 = 1 << 2;       // retransmission / persist timer armed
export const F_SACK: u32 = 1 << 3;         // SACK permitted both ways
export const F_FIN_QUEUED: u32 = 1 << 4;   // user shut down the write side: FIN after queued data
export const F_T_KEEP: u32 = 1 << 5;      // keepalive / FIN-WAIT-2 / TIME-WAIT timer armed
export const F_CHILD: u32 = 1 << 6;       // passive child not yet accepted
export const F_USER_CLOSED: u32 = 1 << 7; // tcpClose called: the stack owns the handle
export const F_RTT: u32 = 1 << 8;         // timing rttSeq (no timestamps)
export const F_PERSIST: u32 = 1 << 9;     // zero-window probing
export const F_KEEPALIVE: u32 = 1 << 10;
export const F_WSCALE: u32 = 1 << 11;      // window scaling negotiated
export const F_RECOVERY: u32 = 1 << 12;    // fast recovery (NewReno / RFC 6675)
export const F_DELACK: u32 = 1 << 13;       // delayed-ACK timer armed
export const F_BOUND: u32 = 1 << 14;
export const F_SYN_RTX: u32 = 1 << 15;     // SYN or SYN+ACK was retransmitted (RFC 6298 §5.7)
export const F_FIN_RCVD: u32 = 1 << 16;     // peer's FIN consumed (rcvNxt is past it)
export const F_ACTIVE: u32 = 1 << 17;      // active open (connect)
export const F_WR_FULL: u32 = 1 << 18;     // a write found the ring full: report Writable later
export const F_NODELAY: u32 = 1 << 19;
export const F_INUSE: u32 = 1 << 20;
export const F_FIN_OOO: u32 = 1 << 21;      // peer's FIN seen out of order at finRcvSeq
export const F_FIN_ACKED: u32 = 1 << 22;   // our FIN has been acknowledged
export const F_SYN_ACKED: u32 = 1 << 23;   // our SYN has been acknowledged (sndUna is past iss)
export const F_ADDR: u32 = 1 << 24;        // IPv6 builds: bound, not connected; raddr holds the local address bound (bindAddrOf)
export const F_HELD: u32 = 1 << 25;        // builds with WT_SCALE: ACKs held for the end of a batch (output.ts ackBatch)

@unmanaged export class Tcb {
  raddr: u64; raddr8: u64;        // remote address, 16 bytes (ip/addr.ts): use raddrOf(t)
  flags: u32;
  state: u8; wscales: u8;         // window shifts: ours (rcvWscale) low nibble, the peer's (sndWscale) high
  backoff: u8; laddr: u8;         // RTO backoff; local address: index into netif's address table
  dupAcks: u8; keepProbes: u8; err: u8; sackedCount: u8;
  gen: u16; parent: i16;          // listener slot of a child, -1 otherwise
  lport: u16; rport: u16;
  sndMss: u16; rcvMss: u16;       // peer's MSS (send limit), ours (advertised)
  backlog: u16; oooCount: u8; retries: u8; // accept backlog; receive ranges in use; consecutive timeouts
  ringSlot: u16; keepIdleS: u16;  // ring pair held: index + 1, 0 = none; keepalive idle (s), 0 = Cfg.KeepIdleMs
  oooRecent: u32;                 // start of the latest out-of-order segment (first SACK block)
  iss: u32;                       // (IRS is not kept: while SYN-RECEIVED it is rcvNxt - 1, later unused)
  sndUna: u32; sndNxt: u32; sndMax: u32; sndWnd: u32; maxSndWnd: u32;
  sndWl1: u32; sndWl2: u32;
  sndStart: u32; sndLen: u32;     // ring offset of the first unacked data byte, bytes queued
  rcvNxt: u32; rcvAdv: u32;       // next expected, right edge advertised
  rcvStart: u32; rcvLen: u32;     // ring offset of the first unread byte, readable bytes
  finRcvSeq: u32;
  cwnd: u32; ssthresh: u32; recover: u32; highRxt: u32;
  srtt8: u32; rttvar8: u32; rto: u32;
  rtxDeadline: u32; delackDeadline: u32; keepDeadline: u32;
  retransmits: u32;
  tsRecent: u32; lastAckSent: u32; tsOffset: u32;
  acceptOrder: u32;
  lastDataTx: u32;                // when data was last sent (RFC 5681 §4.1 restart after idle)
  ooo: u64; ooo1: u64; ooo2: u64; ooo3: u64; ooo4: u64; ooo5: u64; // receive: out-of-order [start, end) ranges
  sacked: u64; sacked1: u64; sacked2: u64; sacked3: u64; // send: SACKed [start, end) ranges

  @inline get rcvWscale(): u8 { return this.wscales & 15; }
  @inline set rcvWscale(v: u8) { this.wscales = (this.wscales & 0xf0) | (v & 15); }
  @inline get sndWscale(): u8 { return this.wscales >> 4; }
  @inline set sndWscale(v: u8) { this.wscales = (this.wscales & 15) | (v << 4); }
  // RTT timing by one timed segment (F_RTT) is used only when timestamps were not negotiated,
  // and timestamps (tsRecent, tsOffset) only when they were: the two pairs share storage.
  // F_RTT is first set after the handshake has settled F_TS (tcpOutput, data only).
  @inline get rttSeq(): u32 { return this.tsRecent; }
  @inline set rttSeq(v: u32) { this.tsRecent = v; }
  @inline get rttStart(): u32 { return this.tsOffset; }
  @inline set rttStart(v: u32) { this.tsOffset = v; }
}

/** The remote address of `t` (16 bytes, ip/addr.ts). */
@inline export function raddrOf(t: Tcb): usize { return changetype<usize>(t) + offsetof<Tcb>("raddr"); }

/**
 * The local address a socket with F_ADDR (bound, a listener or not connected yet: it has no remote
 * address, so the field holds this) is bound to: :: every address of both families, ::ffff:0.0.0.0
 * every IPv4 one, otherwise one address (kept if the interface loses it, as Linux keeps it).
 */
@inline export function bindAddrOf(t: Tcb): usize { return raddrOf(t); }

/** Is the address at `b` a wildcard to bind to: :: (both families) or ::ffff:0.0.0.0 (IPv4)? */
export function bindWild(b: usize): bool { return addrIsZero(b) || addrIsV4(b) && load<u32>(b, 12) == 0; }

/** Does binding to the address at `b` cover address `x`? (`x` itself, ::, or ::ffff:0.0.0.0 for IPv4 ones) */
export function bindCovers(b: usize, x: usize): bool {
  return addrEq(b, x) || bindWild(b) && (addrIsZero(b) || addrIsV4(x));
}

export const OOO_MAX: i32 = 6;
export const SACKED_MAX: i32 = 4;
export const MAX_SOCKETS: u32 = HANDLE_SLOTS;

let tcbBase: usize = 0;
let nTcb: i32 = 0;
let sndRingBase: usize = 0;
let rcvRingBase: usize = 0;
let ringUsed: usize = 0;        // one byte per ring pair: 1 = held by a TCB (scans: !FEAT_SCALE)
let ringFreeHead: u32 = 0;      // FEAT_SCALE: first freed pair + 1, 0 = none
let ringFresh: i32 = 0;         // FEAT_SCALE: pairs never held yet start here
let ringHeld: i32 = 0;          // FEAT_SCALE: pairs held
let nRings: i32 = 0;
export let sndCap: u32 = 0;
export let rcvCap: u32 = 0;
let acceptCounter: u32 = 0;

/** Keepalive idle time of `t` (ms): its KEEPIDLE option, else Cfg.KeepIdleMs (RFC 1122 §4.2.3.6). */
export function keepIdleMs(t: Tcb): u32 { return t.keepIdleS != 0 ? <u32>t.keepIdleS * 1000 : cfg(Cfg.KeepIdleMs); }

/** Synchronized and held by the user: keepDeadline is the idle reference (last received + idle). */
export function keepHeld(t: Tcb): bool {
  let s = t.state;
  return s == <u8>TcpState.ESTABLISHED || s == <u8>TcpState.CLOSE_WAIT || (s == <u8>TcpState.FIN_WAIT_2 && !hasFlag(t, F_USER_CLOSED));
}

export function tcbPoolInit(): bool {
  let n = cfg(Cfg.MaxSockets);
  if (n == 0 || n > MAX_SOCKETS) return false;
  sndCap = cfg(Cfg.SndBuf);
  rcvCap = cfg(Cfg.RcvBuf);
  if (sndCap < 64 || rcvCap < 64 || sndCap > 0x40000000 || rcvCap > 0x40000000) return false;
  let r = cfg(Cfg.RingPairs);
  if (r == 0 || r > n) r = n; // more pairs than TCBs could never be used
  nTcb = <i32>n;
  nRings = <i32>r;
  ringFreeHead = 0; ringFresh = 0; ringHeld = 0;
  tcbBase = poolAlloc(<usize>n * offsetof<Tcb>());
  if (!FEAT_SCALE) ringUsed = poolAlloc(<usize>r);
  sndRingBase = poolAlloc(<usize>r * <usize>sndCap);
  rcvRingBase = poolAlloc(<usize>r * <usize>rcvCap);
  return tcbBase != 0 && (FEAT_SCALE || ringUsed != 0) && sndRingBase != 0 && rcvRingBase != 0;
}

// --- the ring-pair pool ---

/** Give `t` a ring pair (kept if it already holds one). False when none is free. */
export function ringAttach(t: Tcb): bool {
  if (t.ringSlot != 0) return true;
  if (FEAT_SCALE) {
    // Free pairs: never used ones in order (ringFresh), then a list threaded through the first
    // word of each free pair's send ring (no memory of its own).
    let i: i32;
    if (ringFreeHead != 0) { i = <i32>ringFreeHead - 1; ringFreeHead = load<u32>(sndRingBase + <usize>i * <usize>sndCap); }
    else if (ringFresh < nRings) i = ringFresh++;
    else return false;
    ringHeld++;
    t.ringSlot = <u16>(i + 1);
    t.sndStart = 0; t.sndLen = 0; t.rcvStart = 0; t.rcvLen = 0;
    return true;
  }
  for (let i = 0; i < nRings; i++) {
    if (load<u8>(ringUsed + <usize>i) != 0) continue;
    store<u8>(ringUsed + <usize>i, 1);
    t.ringSlot = <u16>(i + 1);
    t.sndStart = 0; t.sndLen = 0; t.rcvStart = 0; t.rcvLen = 0;
    return true;
  }
  return false;
}

/** Return `t`'s ring pair to the pool; its queues are empty from now on. */
export function ringRelease(t: Tcb): void {
  if (t.ringSlot == 0) return;
  if (FEAT_SCALE) {
    store<u32>(sndRing(t), ringFreeHead);
    ringFreeHead = <u32>t.ringSlot;
    ringHeld--;
  } else store<u8>(ringUsed + <usize>(t.ringSlot - 1), 0);
  t.ringSlot = 0;
  t.sndLen = 0; t.rcvLen = 0;
}

/** A connection that is over (CLOSED or TIME-WAIT) gives its rings back once nothing is left to read. */
export function ringReleaseIfDone(t: Tcb): void {
  if (t.rcvLen == 0 && (t.state == <u8>TcpState.CLOSED || t.state == <u8>TcpState.TIME_WAIT)) ringRelease(t);
}

/** Ring pairs not held by any TCB. */
export function ringFreeCount(): i32 {
  if (FEAT_SCALE) return nRings - ringHeld;
  let c = 0;
  for (let i = 0; i < nRings; i++) if (load<u8>(ringUsed + <usize>i) == 0) c++;
  return c;
}

@inline export function ringCount(): i32 { return nRings; }

@inline export function tcbCount(): i32 { return nTcb; }
@inline export function tcbAt(i: i32): Tcb { return changetype<Tcb>(tcbBase + <usize>i * offsetof<Tcb>()); }
@inline export function tcbIndex(t: Tcb): i32 { return <i32>((changetype<usize>(t) - tcbBase) / offsetof<Tcb>()); }
// Only valid while t.ringSlot != 0: every path that queues bytes runs on a connection holding a pair.
@inline export function sndRing(t: Tcb): usize { return sndRingBase + <usize>(t.ringSlot - 1) * <usize>sndCap; }
@inline export function rcvRing(t: Tcb): usize { return rcvRingBase + <usize>(t.ringSlot - 1) * <usize>rcvCap; }
@inline export function handleOf(t: Tcb): i32 { return handleEncode(HandleKind.TCP, <i32>t.gen, tcbIndex(t)); }
@inline export function hasFlag(t: Tcb, f: u32): bool { return (t.flags & f) != 0; }
// One call in place of a load-modify-store at each of ~60 sites (the MCU build drops @inline).
@inline export function setFlag(t: Tcb, f: u32): void { t.flags |= f; }
@inline export function clearFlag(t: Tcb, f: u32): void { t.flags &= ~f; }

/** The TCB for a user handle, or null when unknown/stale. */
export function tcbFromHandle(h: i32): Tcb | null {
  let t = changetype<Tcb>(handleEntry(h, HandleKind.TCP, tcbBase, nTcb, offsetof<Tcb>(), offsetof<Tcb>("gen")));
  return t != null && hasFlag(t, F_INUSE) ? t : null;
}

/** Take a free TCB (zeroed, CLOSED, new generation), or null when the pool is exhausted. */
export function tcbAlloc(): Tcb | null {
  for (let i = 0; i < nTcb; i++) {
    if (FEAT_SCALE) {
      i = slotTake(tcbSlots);
      if (i < 0) break;
    }
    let t = tcbAt(i);
    if (hasFlag(t, F_INUSE)) continue;
    let gen = handleNextGen(<i32>t.gen);
    memory.fill(changetype<usize>(t), 0, offsetof<Tcb>());
    t.gen = <u16>gen;
    t.parent = -1;
    t.flags = F_INUSE;
    t.rto = cfg(Cfg.RtoInitialMs);
    t.sndWscale = 0; t.rcvWscale = 0;
    return t;
  }
  return null;
}

/** TCBs not in use. */
export function tcbFreeCount(): i32 {
  if (FEAT_SCALE) return slotsFree(tcbSlots);
  let c = 0;
  for (let i = 0; i < nTcb; i++) if (!hasFlag(tcbAt(i), F_INUSE)) c++;
  return c;
}

/** Return a TCB to the pool (its handle becomes stale). */
export function tcbFree(t: Tcb): void {
  if (FEAT_SCALE) {
    if (t.flags == 0) return; // (freed already)
    let i = tcbIndex(t);
    chainRemove(conns, i);
    byAddrRemove(i);
    chainRemove(listeners, i);
    childSet(i, CHILD_NONE, 0);
    timerSet(i, -1);
    if (hasFlag(t, F_BOUND)) portUnbound(t.lport);
    slotGive(tcbSlots, i);
  }
  ringRelease(t);
  t.flags = 0;
  t.state = <u8>TcpState.CLOSED;
}

// --- the scale build's indexes (FEAT_SCALE, tcp/index.ts); the others scan the pool ---

/** `t` (of the pool) is bound to local port `p`: F_BOUND, counted by port. */
export function bindPort(t: Tcb, p: u32): void {
  t.lport = <u16>p;
  setFlag(t, F_BOUND);
  if (FEAT_SCALE) portBound(p);
}

/** `t` has its 4-tuple: the connection hash finds it from now on (until tcbFree). */
export function connIndexed(t: Tcb): void {
  if (!FEAT_SCALE) return;
  let i = tcbIndex(t);
  chainAdd(conns, i, tupleKey(<i32>t.laddr, t.lport, raddrOf(t), t.rport));
  byAddrAdd(i, <i32>t.laddr);
}

/** `t` listens: found by its port from now on (until tcbFree). */
export function listenerIndexed(t: Tcb): void {
  if (FEAT_SCALE) chainAdd(listeners, tcbIndex(t), portKey(t.lport));
}

/** `t`'s child flags or state changed: the per-listener counts and accept queue follow. */
export function childSync(t: Tcb): void {
  if (!FEAT_SCALE) return;
  let cls = CHILD_NONE;
  let s = t.state;
  if (t.flags != 0 && hasFlag(t, F_CHILD) && s != <u8>TcpState.LISTEN && s != <u8>TcpState.CLOSED) {
    cls = s == <u8>TcpState.SYN_RECEIVED ? CHILD_HALF : CHILD_QUEUED;
  }
  childSet(tcbIndex(t), cls, <i32>t.parent);
}

/** A timer of `t` runs out at `deadline` (armed or moved): the timer heap learns of it. */
export function timerArmed(t: Tcb, deadline: u32): void {
  if (!FEAT_SCALE) return;
  let i = tcbIndex(t);
  if (<u32>i < <u32>nTcb) timerNote(i, deadline); // (not the SYN-cookie scratch TCB)
}

export function nextAcceptOrder(): u32 { return ++acceptCounter; }

/** Emit an event for this TCB's handle. */
export function tcbEvent(t: Tcb, kind: EventKind, arg: i32): void {
  hostEvent(handleOf(t), <i32>kind, arg);
}

/** Change state, reporting (from << 8) | to. */
export function setState(t: Tcb, to: TcpState): void {
  let from = <i32>t.state;
  if (from == <i32>to) return;
  t.state = <u8>to;
  childSync(t);
  if (to == TcpState.ESTABLISHED) count(Stat.TcpConnsOpened);
  tcbEvent(t, EventKind.State, (from << 8) | <i32>to);
}

// --- rings: byte offsets wrap modulo the capacity ---

/** Copy `len` bytes from `src` into a ring of `cap` bytes at offset `pos` (wraps). */
@inline export function ringPut(ring: usize, cap: u32, pos: u32, src: usize, len: u32): void { ringCopy(ring, cap, pos, src, len, true); }

/** Copy `len` bytes out of a ring of `cap` bytes starting at offset `pos` into `dst`. */
@inline export function ringGet(ring: usize, cap: u32, pos: u32, dst: usize, len: u32): void { ringCopy(ring, cap, pos, dst, len, false); }

/** Sequence number of the first byte held in the send ring (the SYN occupies iss, the FIN one past the data). */
@inline export function sndDataSeq(t: Tcb): u32 {
  if (!hasFlag(t, F_SYN_ACKED)) return t.iss + 1; // (not sndUna == iss: that recurs every 4 GiB)
  return hasFlag(t, F_FIN_ACKED) ? t.sndUna - 1 : t.sndUna;
}

/** Sequence number our FIN occupies (valid once F_FIN_QUEUED). */
@inline export function finSeq(t: Tcb): u32 { return sndDataSeq(t) + t.sndLen; }

/** Our FIN has been sent and acknowledged. */
@inline export function finAcked(t: Tcb): bool { return hasFlag(t, F_FIN_ACKED); }

/** The receive window advertised and still open: RCV.ADV - RCV.NXT, 0 when the edge is behind (below 2^31). */
@inline export function rcvWnd(t: Tcb): u32 { return <i32>(t.rcvAdv - t.rcvNxt) > 0 ? t.rcvAdv - t.rcvNxt : 0; }

/** Scaled receive window we can offer right now (bytes free in the receive ring). */
@inline export function rcvSpace(t: Tcb): u32 { return rcvCap - t.rcvLen; }

/** Payload bytes per segment: the peer's MSS less our per-segment options. */
@inline export function effMss(t: Tcb): u32 {
  let m = <u32>t.sndMss;
  if (hasFlag(t, F_TS)) m -= 12;
  return m;
}
