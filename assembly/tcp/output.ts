// Segment construction and the send decision (RFC 9293 §3.8.6: Nagle, sender and
// receiver SWS avoidance, zero-window probing; RFC 7323 / RFC 2018 options).
// Every segment leaves through xmit (header, checksum, IP send), written at netif's
// ipTxPayloadFor(the peer's family); emit builds a connection's options and payload before it,
// reply answers a received segment without a connection (RST, TIME-WAIT ACK). Congestion
// control only does window arithmetic: what it asks for after an ACK is sent here (ccSend).
import { ipMtu, ipSendFrom6, ipSendTo, ipTxPayloadFor, localAddrPtr, netNow } from "../netif";
import { addrFamily, addrIsV4, ipHeaderBytes, tcpMssFor } from "../ip/addr";
import { cfg, Cfg } from "../config";
import { FEAT_IPV6, FEAT_SCALE } from "../features";
import { count, Stat } from "../stats";
import {
  TH_ACK, TH_FIN, TH_PSH, TH_RST, TH_SYN, TCP_HDR_MIN, TCP_PROTO, TcpSeg, segDst, segSrc, tcpEmitHeader, tcpOptMss,
  tcpOptSack, tcpOptSackPerm, tcpOptTs, tcpOptWscale, tcpSetChecksum,
} from "../wire/tcp";
import { seqGt, seqLe, seqLt, seqMax, seqMin } from "./seq";
import {
  F_ACKNOW, F_DELACK, F_FIN_QUEUED, F_NODELAY, F_PERSIST, F_RECOVERY, F_RTT, F_SACK, F_T_RTX, F_TS,
  F_HELD, F_WSCALE, Tcb, TcpState, effMss, finSeq, handleOf, hasFlag, setFlag, clearFlag, raddrOf, rcvCap, rcvSpace, rcvWnd, ringGet, sndCap,
  sndDataSeq, sndRing, tcbFromHandle, timerArmed,
} from "./tcb";
import { rangeEnd, rangeFind, rangeStart } from "./reassembly";
import { pipe, sackHigh, sackHoleEnd, sackSkip } from "./sack";
import { CcSend, ccRestartAfterIdle } from "./cc";

const sackScratch: usize = memory.data(4 * 8, 8);

@inline export function oooBase(t: Tcb): usize { return changetype<usize>(t) + offsetof<Tcb>("ooo"); }

/** TSval we send: the ms clock plus a per-connection random offset (RFC 7323 §5.4). */
@inline export function tsNow(t: Tcb): u32 { return netNow + t.tsOffset; }

/** The receive space we may offer: the free ring bytes, at most what the window field carries, on the scale's grain. */
function offerable(t: Tcb): u32 {
  let space = rcvSpace(t);
  let maxWnd: u32 = <u32>0xffff << t.rcvWscale;
  if (space > maxWnd) space = maxWnd;
  return (space >> t.rcvWscale) << t.rcvWscale;
}

/**
 * Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): move the advertised right edge only
 * when it grows by at least min(RcvBuf / 2, MSS). Never shrinks it.
 */
export function updateRcvAdv(t: Tcb): void {
  let space = offerable(t);
  let edge = t.rcvNxt + space;
  if (!seqGt(edge, t.rcvAdv)) return;
  let threshold = rcvCap >> 1;
  if (<u32>t.rcvMss < threshold) threshold = <u32>t.rcvMss;
  // (threshold 0 passes the first test, so the second needs no space > 0; nothing offered: the edge is at or behind RCV.NXT)
  if (edge - t.rcvAdv >= threshold || seqLe(t.rcvAdv, t.rcvNxt) && space >= threshold || space == rcvCap) {
    t.rcvAdv = edge;
  }
}

/**
 * The one exit: write the fixed header in front of the `hdr - 20` option bytes and `len`
 * payload bytes already at ipTxPayloadFor(family of raddr), checksum it with the
 * pseudo-header of (laddr, raddr) and hand it to IP. Counts TcpTx (and TcpRstTx).
 */
function xmit(laddr: usize, raddr: usize, lport: u32, rport: u32, seq: u32, ack: u32, flags: u32, wnd: u32,
              hdr: i32, len: u32): void {
  let p = ipTxPayloadFor(addrFamily(raddr));
  tcpEmitHeader(p, lport, rport, seq, ack, flags, wnd, hdr);
  tcpSetChecksum(p, hdr + <i32>len, laddr, raddr);
  count(Stat.TcpTx);
  if (flags & TH_RST) count(Stat.TcpRstTx);
  // IPv6: from `laddr`, the address the checksum covers (the connection's: with several addresses
  // it need not be the one RFC 6724 would pick for the peer)
  if (FEAT_IPV6 && !addrIsV4(raddr)) ipSendFrom6(laddr, raddr, TCP_PROTO, hdr + <i32>len);
  else ipSendTo(raddr, TCP_PROTO, hdr + <i32>len);
}

/** Build and send one segment of the connection: `len` payload bytes from the send ring at `seq`. */
export function emit(t: Tcb, seq: u32, len: u32, flags: u32): void {
  if (FEAT_SCALE && hasFlag(t, F_HELD)) sendHeld(t); // its held ACKs first, in their order (before the tx buffer is written)
  let fam = addrFamily(raddrOf(t));
  let p = ipTxPayloadFor(fam);
  if (p == 0) return;
  let o = p + TCP_HDR_MIN;
  let olen = 0;
  let syn = (flags & TH_SYN) != 0;
  if (syn) {
    olen += tcpOptMss(o, <u32>t.rcvMss);
    if (hasFlag(t, F_WSCALE)) olen += tcpOptWscale(o + olen, t.rcvWscale);
    if (hasFlag(t, F_SACK)) olen += tcpOptSackPerm(o + olen);
    if (hasFlag(t, F_TS)) olen += tcpOptTs(o + olen, tsNow(t), (flags & TH_ACK) ? t.tsRecent : 0);
  } else {
    if (hasFlag(t, F_TS)) olen += tcpOptTs(o, tsNow(t), t.tsRecent);
    if (hasFlag(t, F_SACK) && t.oooCount > 0 && (flags & TH_RST) == 0) {
      // Options count against the MSS (RFC 6691): only as many blocks as fit beside the payload.
      let room = <i32>t.sndMss - olen - <i32>len - 4;
      let fit = room >= 8 ? room >> 3 : 0;
      let max = hasFlag(t, F_TS) ? 3 : 4;
      if (fit < max) max = fit;
      if (max > 0) olen += tcpOptSack(o + olen, sackScratch, sackBlocks(t, max));
    }
  }
  let wnd: u32 = 0;
  if ((flags & TH_RST) == 0) {
    updateRcvAdv(t);
    wnd = rcvWnd(t);
    if (!syn) wnd >>= t.rcvWscale;
  }
  let hdr = TCP_HDR_MIN + olen;
  if (hdr + <i32>len > ipMtu - ipHeaderBytes(fam)) { count(Stat.TcpTxTooBig); return; } // never overrun the tx buffer
  let ack = (flags & TH_ACK) ? t.rcvNxt : 0;
  if (len > 0) {
    ringGet(sndRing(t), sndCap, t.sndStart + (seq - sndDataSeq(t)), p + <usize>hdr, len);
    t.lastDataTx = netNow;
  }
  if (flags & TH_ACK) {
    t.lastAckSent = t.rcvNxt;
    clearFlag(t, (F_ACKNOW | F_DELACK));
  }
  xmit(localAddrPtr(<i32>t.laddr), raddrOf(t), t.lport, t.rport, seq, ack, flags, wnd, hdr, len);
}

/** Fill sackScratch with up to `max` receive ranges, the most recent first (RFC 2018 §4). */
function sackBlocks(t: Tcb, max: i32): i32 {
  let base = oooBase(t);
  let n = <i32>t.oooCount;
  let first = rangeFind(base, n, t.oooRecent);
  let k = 0;
  if (first >= 0) {
    store<u32>(sackScratch, rangeStart(base, first));
    store<u32>(sackScratch, rangeEnd(base, first), 4);
    k = 1;
  }
  for (let i = 0; i < n && k < max; i++) {
    if (i == first) continue;
    store<u32>(sackScratch + (<usize>k << 3), rangeStart(base, i));
    store<u32>(sackScratch + (<usize>k << 3), rangeEnd(base, i), 4);
    k++;
  }
  return k;
}

/**
 * A segment answering `s` without a connection (RST to a closed port or to a bad ACK, a
 * TIME-WAIT ACK): from s's destination to its source. With `ts`, a timestamps option.
 */
export function reply(s: TcpSeg, seq: u32, ack: u32, flags: u32, wnd: u32, ts: bool, tsVal: u32, tsEcr: u32): void {
  let p = ipTxPayloadFor(addrFamily(segSrc(s)));
  if (p == 0) return;
  let olen = ts ? tcpOptTs(p + TCP_HDR_MIN, tsVal, tsEcr) : 0;
  xmit(segDst(s), segSrc(s), s.dport, s.sport, seq, ack, flags, wnd, TCP_HDR_MIN + olen, 0);
}

/** <SEQ=SEG.ACK><CTL=RST>: the answer to an unacceptable ACK (RFC 9293 §3.10.7). */
export function replyRst(s: TcpSeg): void { reply(s, s.ack, 0, TH_RST, 0, false, 0, 0); }

/** RST for the connection (abort): <SEQ=SND.NXT><CTL=RST>. */
export function sendRst(t: Tcb): void {
  emit(t, t.sndNxt, 0, TH_RST | TH_ACK);
}

/** An immediate bare ACK. */
export function sendAck(t: Tcb): void {
  emit(t, t.sndNxt, 0, TH_ACK);
}

/** The SYN (active) or SYN+ACK (passive / simultaneous open) at iss. */
function sendSyn(t: Tcb): void {
  let flags = TH_SYN;
  if (t.state == <u8>TcpState.SYN_RECEIVED) flags |= TH_ACK;
  emit(t, t.iss, 0, flags);
  advanceNxt(t, t.iss + 1);
}

/** After sending up to `nxt`: sndNxt = nxt, sndMax follows, the retransmission timer runs. */
export function advanceNxt(t: Tcb, nxt: u32): void {
  t.sndNxt = nxt;
  if (seqGt(nxt, t.sndMax)) t.sndMax = nxt;
  armRtx(t);
}

export function armRtx(t: Tcb): void {
  if (hasFlag(t, F_T_RTX)) return;
  let rto = t.rto;
  let b = <u32>t.backoff;
  let max = cfg(Cfg.RtoMaxMs);
  while (b > 0 && rto < max) { rto <<= 1; b--; }
  if (rto > max) rto = max;
  t.rtxDeadline = netNow + rto;
  setFlag(t, F_T_RTX);
  timerArmed(t, t.rtxDeadline);
}

export function restartRtx(t: Tcb): void {
  clearFlag(t, F_T_RTX);
  armRtx(t);
}

/** Queued bytes from `seq` to the end of the send ring (0 when seq is at or past it). */
@inline function unsentFrom(t: Tcb, seq: u32): u32 {
  let off = seq - sndDataSeq(t);
  return off < t.sndLen ? t.sndLen - off : 0;
}

/** Retransmit up to one segment starting at `seq` (fast retransmit, SACK holes, RTO). */
export function sendAt(t: Tcb, seq: u32, maxLen: u32): u32 {
  let unsent = unsentFrom(t, seq);
  let len = unsent;
  let mss = effMss(t);
  if (len > mss) len = mss;
  if (len > maxLen) len = maxLen;
  let flags = TH_ACK;
  if (hasFlag(t, F_FIN_QUEUED) && seq + len == finSeq(t) && seqLt(seq + len, t.sndMax)) flags |= TH_FIN;
  if (len == 0 && (flags & TH_FIN) == 0) return 0;
  if (seqLt(seq, t.sndMax)) { count(Stat.TcpRetransmits); t.retransmits++; }
  emit(t, seq, len, flags | (len > 0 && len == unsent ? TH_PSH : 0));
  let end = seq + len + ((flags & TH_FIN) ? 1 : 0);
  if (seqGt(end, t.sndMax)) t.sndMax = end;
  armRtx(t);
  return len;
}

/** Can this state carry new data or a FIN? */
@inline function canSendData(s: u8): bool {
  // ESTABLISHED through LAST-ACK (TcpState numbers: RFC 793 order) but FIN-WAIT-2
  return <u32>s - <u32>TcpState.ESTABLISHED <= <u32>(TcpState.LAST_ACK - TcpState.ESTABLISHED) && s != <u8>TcpState.FIN_WAIT_2;
}

/** Send whatever the windows, Nagle and SWS avoidance allow, plus a pending ACK. */
export function tcpOutput(t: Tcb): void {
  let st = t.state;
  if (<u32>st - <u32>TcpState.SYN_SENT < 2) { // SYN-SENT or SYN-RECEIVED
    if (t.sndNxt == t.iss) sendSyn(t);
    else if (hasFlag(t, F_ACKNOW) && st == <u8>TcpState.SYN_RECEIVED) sendAck(t);
    return;
  }
  if (st <= <u8>TcpState.LISTEN) return; // CLOSED or LISTEN
  let sent = false;
  if (canSendData(st)) {
    let mss = effMss(t);
    let sackN = <i32>t.sackedCount;
    ccRestartAfterIdle(t); // RFC 5681 §4.1 (no-op unless idle with nothing in flight)
    for (;;) {
      if (sackN > 0 && seqLt(t.sndNxt, t.sndMax)) {
        let skip = sackSkip(t, t.sndNxt);
        t.sndNxt = seqMin(skip, t.sndMax);
      }
      let unsent = unsentFrom(t, t.sndNxt);
      let finPending = hasFlag(t, F_FIN_QUEUED) && seqLe(t.sndNxt, finSeq(t));
      let inflight = (hasFlag(t, F_RECOVERY) && hasFlag(t, F_SACK)) ? pipe(t) : t.sndNxt - t.sndUna;
      let wnd = t.sndWnd < t.cwnd ? t.sndWnd : t.cwnd;
      // retransmissions after an RTO are limited by cwnd only as far as the old window reached
      let usable: u32 = wnd > inflight ? wnd - inflight : 0;
      let rwndLeft: u32 = seqGt(t.sndUna + t.sndWnd, t.sndNxt) ? t.sndUna + t.sndWnd - t.sndNxt : 0;
      if (usable > rwndLeft) usable = rwndLeft;
      let len = unsent;
      if (len > mss) len = mss;
      if (len > usable) len = usable;
      if (len == 0 && !(finPending && unsent == 0)) break;
      if (len > 0 && len < mss) {
        let last = len == unsent;
        let idle = t.sndNxt == t.sndUna || hasFlag(t, F_NODELAY);
        let ok = last && (idle || finPending);
        if (!ok && len >= (t.maxSndWnd >> 1) && idle) ok = true; // sender SWS (RFC 9293 §3.8.6.2.1)
        if (!ok) break;
      }
      let fin = finPending && len == unsent;
      let flags = TH_ACK | (fin ? TH_FIN : 0) | (len > 0 && len == unsent ? TH_PSH : 0);
      let seq = t.sndNxt;
      let rexmit = seqLt(seq, t.sndMax);
      if (rexmit) { count(Stat.TcpRetransmits); t.retransmits++; }
      else if (!hasFlag(t, F_RTT) && !hasFlag(t, F_TS) && len > 0) {
        t.rttSeq = seq; t.rttStart = netNow; setFlag(t, F_RTT);
      }
      emit(t, seq, len, flags);
      advanceNxt(t, seq + len + (fin ? 1 : 0));
      sent = true;
      if (fin) break;
    }
    if (!hasFlag(t, F_T_RTX)) {
      // Zero window (or a window too small to use) with nothing in flight: persist timer.
      let persist = unsentFrom(t, t.sndNxt) > 0 && t.sndNxt == t.sndUna;
      if (persist) setFlag(t, F_PERSIST);
      // Data outstanding (up to SND.MAX) always has a retransmission timer (RFC 6298 §5.1):
      // SND.NXT may have moved without a send (over SACKed data) after a timer was stopped.
      if (persist || t.sndUna != t.sndMax) armRtx(t);
    }
  }
  if (!sent && hasFlag(t, F_ACKNOW)) sendAck(t);
}

/** Persist timer: force one byte past a zero (or unusably small) window (RFC 9293 §3.8.6.1). */
export function sendProbe(t: Tcb): void {
  count(Stat.TcpZeroWindowProbes);
  let unsent = unsentFrom(t, t.sndNxt);
  let len: u32 = t.sndWnd > 0 ? t.sndWnd : 1;
  if (len > unsent) len = unsent;
  if (len > effMss(t)) len = effMss(t);
  if (len == 0) { sendAck(t); return; }
  let seq = t.sndNxt;
  emit(t, seq, len, TH_ACK);
  advanceNxt(t, seq + len);
}

/** Choose our receive window scale: the smallest shift that lets the ring be advertised. */
export function chooseRcvWscale(): u8 {
  let s: u8 = 0;
  while (s < 14 && (rcvCap >> s) > 0xffff) s++;
  return s;
}

/** Our MSS towards a peer of `family`: configured, else from the MTU (RFC 9293 §3.7.1). */
export function ourMss(family: i32): u16 {
  let max = <u32>tcpMssFor(ipMtu, family);
  let m = cfg(Cfg.Mss);
  if (m == 0) m = max;
  if (m > max) m = max;
  if (m < 64) m = 64;
  return <u16>m;
}

/** Delayed ACK: ACK every second full-sized segment at once, otherwise within DelAckMs. */
export function scheduleAck(t: Tcb): void {
  let delay = cfg(Cfg.DelAckMs);
  let full = <u32>t.rcvMss - (hasFlag(t, F_TS) ? 12 : 0);
  if (delay == 0 || t.rcvNxt - t.lastAckSent >= (full << 1)) {
    if (!(FEAT_SCALE && holdAck(t))) setFlag(t, F_ACKNOW);
    return;
  }
  if (!hasFlag(t, F_DELACK)) {
    setFlag(t, F_DELACK);
    t.delackDeadline = netNow + delay;
    timerArmed(t, t.delackDeadline);
  }
}

// ---------------------------------------------------------------------------
// ACKs held for a batch of received frames (ackBatch; builds with WT_SCALE, whose hosts read frames
// in batches). Within a batch, the ACK a connection owes for every second full-sized segment (RFC
// 5681 §4.2) is recorded, not built: its ACK number, the timestamp it echoes (RFC 7323 §4.3, as if
// it had gone out then) and the connection's handle. When the batch ends, after the host let the
// application read what the batch delivered, each goes out in order offering the space then free,
// measured from its own ACK number (sendHeldAck). The ACKs are the same in number and sequence;
// only their windows differ: the edge moves on by what each acknowledges, as when the application
// reads in the receive path, instead of staying where it was for the whole batch and then jumping
// by the whole buffer (a sender held at a fixed edge sends the next window in one burst from inside
// the ACK that moves it, on our CPU). Anything else the connection sends first sends its held ACKs;
// a full table sends them all.

const HELD_MAX: i32 = 256;
/** The table of held ACKs: [handle, ack, tsEcr] u32 each (a function, so builds without WT_SCALE reserve no bytes). */
function heldTable(): usize { return memory.data(HELD_MAX * 12, 4); }
let heldCount: i32 = 0;
let batching = false;

/** Start (`on`) or end a batch; ending sends what is held. Returns the ACKs sent. */
export function ackBatch(on: bool): i32 {
  batching = on;
  return on ? 0 : sendHeld(null);
}

/** Hold the ACK `t` owes now instead of asking for it: false when not batching (or out of order: SACK ACKs go at once). */
function holdAck(t: Tcb): bool {
  if (!batching || t.oooCount != 0) return false;
  if (heldCount == HELD_MAX) sendHeld(null);
  let e = heldTable() + <usize>heldCount * 12;
  store<u32>(e, handleOf(t));
  store<u32>(e, t.rcvNxt, 4);
  store<u32>(e, t.tsRecent, 8);
  heldCount++;
  t.lastAckSent = t.rcvNxt; // counted as sent: the next two segments draw the next one, TS.Recent follows
  clearFlag(t, F_DELACK);
  setFlag(t, F_HELD);
  return true;
}

/** Send the held ACKs of `t` (null: of every connection), oldest first; returns how many went out. */
function sendHeld(only: Tcb | null): i32 {
  let n = 0;
  let keep = 0;
  let held = heldTable();
  for (let i = 0; i < heldCount; i++) {
    let e = held + <usize>i * 12;
    let h = load<u32>(e);
    let t = tcbFromHandle(<i32>h);
    if (only != null && t != only) { // another connection's: keep it, in order
      if (keep != i) memory.copy(held + <usize>keep * 12, e, 12);
      keep++;
      continue;
    }
    if (t == null) continue; // freed since
    clearFlag(t, F_HELD);
    // a reset or aborted connection (CLOSED) sends nothing more; a closing one still ACKs
    if (t.state < <u8>TcpState.ESTABLISHED) continue;
    sendHeldAck(t, load<u32>(e, 4), load<u32>(e, 8));
    n++;
  }
  heldCount = keep;
  return n;
}

/**
 * A bare ACK of `ack` echoing `tsEcr`, offering the space the buffer has now measured from `ack`:
 * had the application read everything up to `ack` when the segment that drew it came (as one reading
 * in the receive path would), it would have offered that much. The edge so moves on with every ACK,
 * by what that ACK acknowledges, never beyond RCV.NXT plus the free space and never back.
 */
function sendHeldAck(t: Tcb, ack: u32, tsEcr: u32): void {
  let p = ipTxPayloadFor(addrFamily(raddrOf(t)));
  if (p == 0) return;
  let olen = hasFlag(t, F_TS) ? tcpOptTs(p + TCP_HDR_MIN, tsNow(t), tsEcr) : 0;
  let edge = ack + offerable(t);
  if (seqGt(edge, t.rcvAdv)) t.rcvAdv = edge; // (moves by at least the segments it acknowledges: no SWS)
  let wnd: u32 = <i32>(t.rcvAdv - ack) > 0 ? t.rcvAdv - ack : 0;
  xmit(localAddrPtr(<i32>t.laddr), raddrOf(t), t.lport, t.rport, t.sndNxt, ack, TH_ACK, wnd >> t.rcvWscale, TCP_HDR_MIN + olen, 0);
}

/** RFC 6675 NextSeg + transmission loop: fill holes below the highest SACK while pipe < cwnd. */
function sackRecoverySend(t: Tcb): void {
  let mss = effMss(t);
  for (let guard = 0; guard < 64; guard++) {
    let p = pipe(t);
    if (p + mss > t.cwnd) break;
    if (t.sackedCount == 0) break;
    let highSack = sackHigh(t);
    let s = sackSkip(t, seqMax(t.highRxt, t.sndUna));
    if (!seqLt(s, highSack)) break; // no hole left: new data goes out through tcpOutput
    let len = sendAt(t, s, sackHoleEnd(t, s, highSack) - s);
    if (len == 0) break;
    t.highRxt = s + len;
  }
  tcpOutput(t);
}

/** Send what congestion control asked for after an ACK (cc.ts returns it, never sends). */
export function ccSend(t: Tcb, what: CcSend): void {
  if (what == CcSend.NONE) return;
  if (what == CcSend.SACK_RECOVERY) { sackRecoverySend(t); return; }
  if (what == CcSend.LIMITED) {
    let saved = t.cwnd;
    t.cwnd = saved + <u32>t.dupAcks * effMss(t);
    tcpOutput(t);
    t.cwnd = saved;
    return;
  }
  if (what == CcSend.RETRANSMIT || what == CcSend.RETRANSMIT_OUTPUT) sendAt(t, t.sndUna, effMss(t));
  if (what != CcSend.RETRANSMIT) tcpOutput(t);
}
