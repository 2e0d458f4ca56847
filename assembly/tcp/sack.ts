// The send-side SACK scoreboard (RFC 2018, RFC 6675): up to SACKED_MAX SACKed [start, end)
// ranges above sndUna, kept in the TCB, and what recovery asks of it (pipe, loss inference,
// the next hole). A leaf below cc.ts and output.ts: it sends nothing.
import { TcpOptions, sackBlockPtr } from "../wire/tcp";
import { seqGt, seqLt, seqMin } from "./seq";
import { F_SACK, SACKED_MAX, Tcb, hasFlag } from "./tcb";
import { rangeBytesBelow, rangeEnd, rangeInsert, rangeNextStart, rangeSkip, rangeStart, rangeTrimBelow } from "./reassembly";

@inline export function sackedBase(t: Tcb): usize { return changetype<usize>(t) + offsetof<Tcb>("sacked"); }

/** RFC 2018 / RFC 6675: merge the segment's SACK blocks into the scoreboard (then trim below sndUna). */
export function sackUpdate(t: Tcb, o: TcpOptions): void {
  if (!hasFlag(t, F_SACK)) return;
  let base = sackedBase(t);
  let n = <i32>t.sackedCount;
  for (let i = 0; i < <i32>o.sackCount; i++) {
    let b = sackBlockPtr(o, i);
    let s = load<u32>(b);
    let e = load<u32>(b, 4);
    // ignore D-SACKs and blocks outside what we sent
    if (!seqLt(s, e) || !seqGt(s, t.sndUna) || seqGt(e, t.sndMax)) continue;
    let k = rangeInsert(base, n, SACKED_MAX, s, e);
    if (k >= 0) n = k;
  }
  t.sackedCount = <u8>n;
  sackTrim(t);
}

/** sndUna advanced: forget the ranges it now covers. */
export function sackTrim(t: Tcb): void {
  if (!hasFlag(t, F_SACK)) return;
  t.sackedCount = <u8>rangeTrimBelow(sackedBase(t), <i32>t.sackedCount, t.sndUna);
}

export function sackClear(t: Tcb): void { t.sackedCount = 0; }

/** Bytes SACKed above sndUna (loss inference: RFC 6675 IsLost with DupThresh segments). */
export function sackedAbove(t: Tcb): u32 {
  // every range lies within (sndUna, sndMax] (sackUpdate keeps no other): all of them count
  return rangeBytesBelow(sackedBase(t), <i32>t.sackedCount, t.sndMax);
}

/** SACK-aware estimate of bytes in flight (RFC 6675 §4 SetPipe, simplified). */
export function pipe(t: Tcb): u32 {
  let base = sackedBase(t);
  let n = <i32>t.sackedCount;
  if (!hasFlag(t, F_SACK) || n == 0) return t.sndNxt - t.sndUna;
  let highSack = rangeEnd(base, n - 1);
  let above: u32 = seqGt(t.sndNxt, highSack) ? t.sndNxt - highSack : 0;
  let r = seqMin(t.highRxt, highSack);
  let rx: u32 = 0;
  if (seqGt(r, t.sndUna)) rx = (r - t.sndUna) - rangeBytesBelow(base, n, r);
  return above + rx;
}

/** The highest SACKed sequence number (valid when sackedCount > 0). */
@inline export function sackHigh(t: Tcb): u32 { return rangeEnd(sackedBase(t), <i32>t.sackedCount - 1); }

/** First sequence number at or above `from` that is not SACKed. */
@inline export function sackSkip(t: Tcb, from: u32): u32 { return rangeSkip(sackedBase(t), <i32>t.sackedCount, from); }

/** Where the hole starting at `s` ends: the next SACKed range's start, or `limit`. */
@inline export function sackHoleEnd(t: Tcb, s: u32, limit: u32): u32 {
  return rangeNextStart(sackedBase(t), <i32>t.sackedCount, s, limit);
}
