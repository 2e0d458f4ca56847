// TCP timers, driven by tcpPoll(now): retransmission (RFC 6298 with backoff and
// retry limits), persist (zero-window probes), delayed ACK, keepalive (RFC 1122
// §4.2.3.6), FIN-WAIT-2 and TIME-WAIT expiry. Also tcpInit, which sizes every pool.
import { cfg, Cfg } from "../config";
import { count, Stat } from "../stats";
import { Err } from "../errors";
import { TH_ACK, TH_FIN } from "../wire/tcp";
import { nearer, netNow, sooner } from "../netif";
import { timeGe } from "./seq";
import {
  F_ACKNOW, F_CHILD, F_DELACK, F_FIN_QUEUED, F_KEEPALIVE, F_PERSIST, F_RTT, F_SYN_RTX, F_T_KEEP, F_T_RTX,
  F_USER_CLOSED, Tcb, TcpState, finSeq, keepHeld, hasFlag, setFlag, clearFlag, tcbAt, tcbCount, tcbPoolInit,
} from "./tcb";
import { advanceNxt, armRtx, emit, sendProbe, sendRst, tcpOutput } from "./output";
import { ccOnTimeout } from "./cc";
import { connClosed } from "./close";
import { twCapacity, twInit, twPoll } from "./timewait";
import { isnInit, sipHash } from "./isn";
import { FEAT_SCALE } from "../features";
import { dueAt, dueSet, scaleInit, scaleSeed, timerCount, timerSet, timerTop, timerTopKey } from "./index";

/** Reserve the TCP pools (TCBs, send/receive rings, TIME-WAIT table) and seed the secret. */
export function tcpInit(): bool {
  if (!tcbPoolInit()) return false;
  if (!twInit()) return false;
  isnInit();
  if (FEAT_SCALE) {
    // keyed by the stack's secret without drawing from randomU32: both builds then draw the
    // same ephemeral ports and ISNs from the same seed (test/tcp-scale.test.ts compares them)
    scaleSeed(<u32>sipHash(0x5343414c45, 0x54424c53));
    if (!scaleInit(tcbCount(), twCapacity())) return false;
  }
  return true;
}

/** One more timeout: the RTO backoff and the consecutive-timeout count go up (capped); returns the count. */
function timedOut(t: Tcb): u32 {
  if (t.backoff < 30) t.backoff++;
  if (t.retries < 255) t.retries++;
  return t.retries;
}

function onRtxTimeout(t: Tcb): void {
  let st = t.state;
  if (<u32>st - <u32>TcpState.SYN_SENT < 2) { // SYN-SENT or SYN-RECEIVED
    if (timedOut(t) > cfg(Cfg.SynRetries)) {
      count(Stat.TcpRtoTimeouts);
      if (hasFlag(t, F_CHILD)) { connClosed(t, Err.OK); return; } // drop the half-open connection
      connClosed(t, timeoutError(t));
      return;
    }
    count(Stat.TcpRetransmits);
    t.retransmits++;
    t.flags = (t.flags | F_SYN_RTX) & ~F_RTT;
    t.sndNxt = t.iss;
    tcpOutput(t);
    return;
  }
  if (hasFlag(t, F_PERSIST)) {
    // zero-window probe; the peer answering keeps `retries` at 0 while the user holds the
    // connection (input.ts); after tcpClose, DataRetries unanswered or zero-window probes abort
    if (timedOut(t) > cfg(Cfg.DataRetries)) { abortTimedOut(t); return; }
    if (t.sndUna == finSeq(t) && hasFlag(t, F_FIN_QUEUED)) {
      // All data acknowledged, only our FIN left: the FIN itself is the probe (it must not be
      // taken back as unsent: nothing else would ever send it again).
      count(Stat.TcpZeroWindowProbes);
      emit(t, t.sndUna, 0, TH_ACK | TH_FIN);
      advanceNxt(t, t.sndUna + 1);
      return;
    }
    t.sndNxt = t.sndUna;
    sendProbe(t);
    return;
  }
  if (t.sndUna == t.sndMax) return; // nothing outstanding
  count(Stat.TcpRtoTimeouts);
  if (timedOut(t) > cfg(Cfg.DataRetries)) { abortTimedOut(t); return; }
  ccOnTimeout(t);
  clearFlag(t, F_RTT); // Karn: never time a retransmission
  t.sndNxt = t.sndUna;
  tcpOutput(t);
  armRtx(t);
}

function abortTimedOut(t: Tcb): void {
  sendRst(t);
  connClosed(t, timeoutError(t));
}

/** ETIMEDOUT, or the soft ICMP error recorded since the last progress (tcp/icmp.ts). */
function timeoutError(t: Tcb): Err { return t.err != 0 ? <Err><i32>t.err : Err.ETIMEDOUT; }

function onKeepTimer(t: Tcb): void {
  let st = t.state;
  if (st == <u8>TcpState.TIME_WAIT) {
    connClosed(t, Err.OK); // 2*MSL elapsed
    return;
  }
  if (st == <u8>TcpState.FIN_WAIT_2 && hasFlag(t, F_USER_CLOSED)) {
    connClosed(t, Err.OK); // orphaned FIN-WAIT-2 gives up after 2*MSL
    return;
  }
  // (a FIN-WAIT-2 connection the user holds has no timeout: this is its keepalive)
  if (!keepHeld(t) || !hasFlag(t, F_KEEPALIVE)) return;
  if (<u32>t.keepProbes >= cfg(Cfg.KeepCount)) { abortTimedOut(t); return; }
  t.keepProbes++;
  count(Stat.TcpKeepalivesTx);
  emit(t, t.sndUna - 1, 0, TH_ACK); // RFC 1122: SEG.SEQ = SND.NXT - 1, no data
  t.keepDeadline += cfg(Cfg.KeepIntvlMs);
  setFlag(t, F_T_KEEP);
}


/** The earliest deadline of `t`'s armed timers, -1 when none. */
function earliest(t: Tcb): i64 {
  if (t.flags == 0) return -1;
  let d: i64 = -1;
  if (hasFlag(t, F_T_RTX)) d = t.rtxDeadline;
  if (hasFlag(t, F_DELACK) && (d < 0 || <i32>(t.delackDeadline - <u32>d) < 0)) d = t.delackDeadline;
  if (hasFlag(t, F_T_KEEP) && (d < 0 || <i32>(t.keepDeadline - <u32>d) < 0)) d = t.keepDeadline;
  return d;
}

/**
 * Scale build: the TCBs whose heap key is due run their timers (each once per poll, as the scan
 * does), then take their key back from their flags; the heap's top is made exact (keys may be
 * early: an armed timer only ever lowers a key), so the next deadline returned is exact.
 */
function tcpPollHeap(): i32 {
  let now = netNow;
  let k = 0;
  while (timerCount() > 0 && timeGe(now, timerTopKey())) {
    let i = timerTop();
    timerSet(i, -1);
    dueSet(k++, i);
  }
  for (let j = 0; j < k; j++) runTimers(tcbAt(dueAt(j)), now);
  for (let j = 0; j < k; j++) { let i = dueAt(j); timerSet(i, earliest(tcbAt(i))); }
  while (timerCount() > 0) {
    let i = timerTop();
    let d = earliest(tcbAt(i));
    if (d == <i64>timerTopKey()) break;
    timerSet(i, d);
  }
  let next = timerCount() > 0 ? nearer(-1, timerTopKey()) : -1;
  return sooner(next, twPoll());
}

/** Run `t`'s due timers (retransmission or persist, delayed ACK, keepalive / FIN-WAIT-2 / TIME-WAIT). */
function runTimers(t: Tcb, now: u32): void {
  if (t.flags == 0) return;
  if (hasFlag(t, F_T_RTX) && timeGe(now, t.rtxDeadline)) {
    clearFlag(t, F_T_RTX);
    onRtxTimeout(t);
  }
  if (t.flags == 0) return;
  if (hasFlag(t, F_DELACK) && timeGe(now, t.delackDeadline)) {
    t.flags = (t.flags & ~F_DELACK) | F_ACKNOW;
    count(Stat.TcpDelayedAcks);
    tcpOutput(t);
  }
  if (hasFlag(t, F_T_KEEP) && timeGe(now, t.keepDeadline)) {
    clearFlag(t, F_T_KEEP);
    onKeepTimer(t);
  }
}

/** Run due TCP timers at the core's clock (netNow); ms until the next TCP deadline, or -1 when none. */
export function tcpPoll(): i32 {
  if (FEAT_SCALE) return tcpPollHeap();
  let now = netNow;
  let n = tcbCount();
  let next = -1;
  for (let i = 0; i < n; i++) {
    let t = tcbAt(i);
    runTimers(t, now);
    if (t.flags == 0) continue;
    if (hasFlag(t, F_T_RTX)) next = nearer(next, t.rtxDeadline);
    if (hasFlag(t, F_DELACK)) next = nearer(next, t.delackDeadline);
    if (hasFlag(t, F_T_KEEP)) next = nearer(next, t.keepDeadline);
  }
  return sooner(next, twPoll());
}
