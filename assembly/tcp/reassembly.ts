// Small sets of sequence ranges [start, end), kept sorted, disjoint and non-adjacent,
// stored as u32 pairs inside the TCB. Used for out-of-order receive data (whose bytes
// are already placed in the receive ring at their final position) and for the send
// side's SACK scoreboard (RFC 2018 / RFC 6675).
import { seqLt, seqLe, seqGt, seqGe, seqMax, seqMin } from "./seq";

const scratch: usize = memory.data(16 * 8, 8); // room for OOO_MAX / SACKED_MAX + 1 ranges

@inline export function rangeStart(base: usize, i: i32): u32 { return load<u32>(base + (<usize>i << 3)); }
@inline export function rangeEnd(base: usize, i: i32): u32 { return load<u32>(base + (<usize>i << 3), 4); }
@inline function setRange(base: usize, i: i32, s: u32, e: u32): void {
  store<u32>(base + (<usize>i << 3), s);
  store<u32>(base + (<usize>i << 3), e, 4);
}

/**
 * Insert [s, e) into the `n` ranges at `base` (capacity `max`), merging overlaps and
 * neighbours. Returns the new count, or -1 (set unchanged) when it would exceed `max`.
 */
export function rangeInsert(base: usize, n: i32, max: i32, s: u32, e: u32): i32 {
  if (!seqLt(s, e)) return n;
  let k = 0;
  let placed = false;
  for (let i = 0; i < n; i++) {
    let rs = rangeStart(base, i);
    let re = rangeEnd(base, i);
    if (seqLt(re, s)) { setRange(scratch, k++, rs, re); continue; }
    if (seqGt(rs, e)) {
      if (!placed) { setRange(scratch, k++, s, e); placed = true; }
      setRange(scratch, k++, rs, re);
      continue;
    }
    s = seqMin(s, rs); // overlapping or adjacent: absorb
    e = seqMax(e, re);
  }
  if (!placed) setRange(scratch, k++, s, e);
  if (k > max) return -1;
  memory.copy(base, scratch, <usize>k << 3);
  return k;
}

/** Drop everything below `lo` (ranges ending at or below it go; a straddling one is clipped). */
export function rangeTrimBelow(base: usize, n: i32, lo: u32): i32 {
  let k = 0;
  for (let i = 0; i < n; i++) {
    let rs = rangeStart(base, i);
    let re = rangeEnd(base, i);
    if (seqLe(re, lo)) continue;
    setRange(base, k++, seqMax(rs, lo), re);
  }
  return k;
}

/** If `x` lies inside a range, the end of that range; else `x`. */
export function rangeSkip(base: usize, n: i32, x: u32): u32 {
  let i = rangeFind(base, n, x);
  return i >= 0 ? rangeEnd(base, i) : x;
}

/** Start of the first range at or after `x`, or `dflt` when none. */
export function rangeNextStart(base: usize, n: i32, x: u32, dflt: u32): u32 {
  for (let i = 0; i < n; i++) {
    if (seqGe(rangeStart(base, i), x)) return rangeStart(base, i);
  }
  return dflt;
}


/** Bytes covered by ranges below `limit`. */
export function rangeBytesBelow(base: usize, n: i32, limit: u32): u32 {
  let total: u32 = 0;
  for (let i = 0; i < n; i++) {
    let rs = rangeStart(base, i);
    if (!seqLt(rs, limit)) break;
    total += seqMin(rangeEnd(base, i), limit) - rs;
  }
  return total;
}

/** Index of the range containing `x`, or -1. */
export function rangeFind(base: usize, n: i32, x: u32): i32 {
  for (let i = 0; i < n; i++) {
    if (seqLe(rangeStart(base, i), x) && seqLt(x, rangeEnd(base, i))) return i;
  }
  return -1;
}

/** Remove range i. */
export function rangeRemove(base: usize, n: i32, i: i32): i32 {
  if (i < 0 || i >= n) return n;
  memory.copy(base + (<usize>i << 3), base + (<usize>(i + 1) << 3), <usize>(n - i - 1) << 3);
  return n - 1;
}
