// Congestion control and RTT estimation: RFC 6298 (RTO), RFC 5681 (slow start,
// congestion avoidance, fast retransmit), RFC 6582 (NewReno), RFC 6675 (SACK-based
// loss recovery over the scoreboard in sack.ts). Window arithmetic only: the ACK handlers
// return what should be sent (a CcSend) and output.ts (ccSend) sends it.
import { cfg, Cfg } from "../config";
import { netNow } from "../netif";
import { count, Stat } from "../stats";
import { seqGe, seqGt, seqLe, seqLt } from "./seq";
import { F_RECOVERY, F_SACK, F_SYN_RTX, Tcb, effMss, hasFlag, setFlag, clearFlag } from "./tcb";
import { sackClear, sackedAbove } from "./sack";

/** What congestion control asks output.ts to send after an ACK (ccSend). */
export const enum CcSend {
  NONE = 0,
  /** tcpOutput: whatever the windows allow. */
  OUTPUT = 1,
  /** RFC 6675 §5: retransmit SACK holes while pipe < cwnd, then tcpOutput. */
  SACK_RECOVERY = 2,
  /** RFC 6582: retransmit one segment at sndUna. */
  RETRANSMIT = 3,
  /** Retransmit one segment at sndUna, then tcpOutput. */
  RETRANSMIT_OUTPUT = 4,
  /** RFC 3042 limited transmit: tcpOutput with cwnd raised by dupAcks * SMSS for this call. */
  LIMITED = 5,
}

/** Initial window IW (RFC 5681 §3.1); one segment after a retransmitted SYN. */
function initialWindow(t: Tcb): u32 {
  let mss = effMss(t);
  if (hasFlag(t, F_SYN_RTX)) return mss;
  if (mss > 2190) return 2 * mss;
  if (mss > 1095) return 3 * mss;
  return 4 * mss;
}

export function ccInit(t: Tcb): void {
  t.cwnd = initialWindow(t);
  t.ssthresh = 0x7fffffff;
  t.recover = t.sndUna;
  t.highRxt = t.sndUna;
}

/** RFC 6298 §2: fold in one RTT sample (ms). srtt8 and rttvar8 hold 8x the values. */
export function rttSample(t: Tcb, r: u32): void {
  if (r > 0x7fffffff) return;
  if (r == 0) r = 1;
  if (t.srtt8 == 0) {
    t.srtt8 = r << 3;
    t.rttvar8 = r << 2;
  } else {
    let srtt = <i32>t.srtt8;
    let err = <i32>(r << 3) - srtt;
    let aerr = err < 0 ? -err : err;
    t.rttvar8 = <u32>(<i32>t.rttvar8 + ((aerr - <i32>t.rttvar8) >> 2));
    t.srtt8 = <u32>(srtt + (err >> 3));
  }
  let k = t.rttvar8 >> 1; // 4 * RTTVAR
  if (k < 1) k = 1;       // clock granularity G = 1 ms
  let rto = (t.srtt8 >> 3) + k;
  let min = cfg(Cfg.RtoMinMs);
  let max = cfg(Cfg.RtoMaxMs);
  if (rto < min) rto = min;
  if (rto > max) rto = max;
  t.rto = rto;
}

/** A cumulative ACK advanced sndUna by `acked` bytes. */
export function ccOnAck(t: Tcb, acked: u32): CcSend {
  let mss = effMss(t);
  if (hasFlag(t, F_RECOVERY)) {
    if (seqGe(t.sndUna, t.recover)) {
      // full acknowledgment (RFC 6582 §3.2 step 3)
      let flight = t.sndMax - t.sndUna;
      let deflated = (flight > mss ? flight : mss) + mss; // max(FlightSize, SMSS) + SMSS
      t.cwnd = t.ssthresh < deflated ? t.ssthresh : deflated;
      clearFlag(t, F_RECOVERY);
      t.dupAcks = 0;
      return CcSend.NONE;
    }
    // partial acknowledgment
    if (hasFlag(t, F_SACK) && t.sackedCount > 0) {
      if (seqLt(t.highRxt, t.sndUna)) t.highRxt = t.sndUna;
      return CcSend.SACK_RECOVERY;
    }
    t.cwnd = t.cwnd > acked ? t.cwnd - acked : 0; // deflate by the amount acked, add back one SMSS
    t.cwnd += mss;
    return CcSend.RETRANSMIT; // the first unacknowledged segment
  }
  t.dupAcks = 0;
  if (t.cwnd >= CWND_MAX) return CcSend.NONE; // an application-limited connection must not wrap cwnd
  if (t.cwnd <= t.ssthresh) {
    t.cwnd += acked < mss ? acked : mss; // slow start, RFC 3465 L = 1 SMSS
  } else {
    let inc = (mss * mss) / t.cwnd;
    t.cwnd += inc > 0 ? inc : 1;
  }
  return CcSend.NONE;
}

/** Upper bound for cwnd (far above any window we can use). */
export const CWND_MAX: u32 = 1 << 30;

/** A duplicate ACK (RFC 5681 §2 definition) or, with SACK, an ACK carrying new SACK information. */
export function ccOnDupAck(t: Tcb): CcSend {
  count(Stat.TcpDupAcks);
  let mss = effMss(t);
  if (hasFlag(t, F_RECOVERY)) {
    if (hasFlag(t, F_SACK) && t.sackedCount > 0) return CcSend.SACK_RECOVERY;
    t.cwnd += mss; // NewReno inflation (also when the peer sends no SACK blocks)
    return CcSend.OUTPUT;
  }
  if (t.dupAcks < 255) t.dupAcks++;
  let lost = t.dupAcks >= 3 || (hasFlag(t, F_SACK) && sackedAbove(t) >= 3 * mss);
  // RFC 3042 limited transmit: each of the first two duplicate ACKs may clock out one new
  // segment (outstanding data up to cwnd + 2*SMSS), so a small window still gets 3 dupacks.
  if (!lost) return CcSend.LIMITED;
  // RFC 6582 §3.2 step 2: no new recovery until the ACK covers `recover`.
  if (!seqGt(t.sndUna, t.recover) && t.recover != t.sndUna) return CcSend.NONE;
  if (seqLe(t.sndMax, t.sndUna)) return CcSend.NONE;
  let flight = t.sndMax - t.sndUna;
  let half = flight >> 1;
  t.ssthresh = half > 2 * mss ? half : 2 * mss;
  t.recover = t.sndMax;
  setFlag(t, F_RECOVERY);
  count(Stat.TcpFastRetransmits);
  if (hasFlag(t, F_SACK) && t.sackedCount > 0) {
    count(Stat.TcpSackRecoveries);
    t.cwnd = t.ssthresh;
    t.highRxt = t.sndUna;
    return CcSend.SACK_RECOVERY;
  }
  t.highRxt = t.sndUna + mss;
  t.cwnd = t.ssthresh + 3 * mss;
  return CcSend.RETRANSMIT_OUTPUT; // fast retransmit, then what the inflated window allows
}

/**
 * RFC 5681 §4.1 restart after idle: new data is about to go out with nothing in flight and
 * no data sent for more than one RTO, so the ACK clock is gone: cwnd = RW = min(IW, cwnd).
 * (Idle time is unsigned: a pause longer than 24 days still counts as idle.)
 */
export function ccRestartAfterIdle(t: Tcb): void {
  if (t.sndUna != t.sndMax) return;
  if (netNow - t.lastDataTx <= t.rto) return;
  let rw = initialWindow(t);
  if (t.cwnd > rw) t.cwnd = rw;
}

/** RTO expiry (RFC 5681 §3.1 eq. 4, RFC 6298 §5): collapse to one segment, go back to sndUna. */
export function ccOnTimeout(t: Tcb): void {
  let mss = effMss(t);
  let flight = t.sndMax - t.sndUna;
  let half = flight >> 1;
  if (t.backoff <= 1) t.ssthresh = half > 2 * mss ? half : 2 * mss;
  t.cwnd = mss;
  clearFlag(t, F_RECOVERY);
  t.recover = t.sndMax;
  t.highRxt = t.sndUna;
  t.dupAcks = 0;
  if (t.backoff >= 2) sackClear(t); // the receiver may have reneged (RFC 2018 §8)
}
