// Modular (mod 2^32) comparisons for sequence numbers (RFC 9293 §3.4) and for u32
// millisecond clocks. Sequence numbers are only ever compared through these.

@inline export function seqLt(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
@inline export function seqLe(a: u32, b: u32): bool { return <i32>(a - b) <= 0; }
@inline export function seqGt(a: u32, b: u32): bool { return <i32>(a - b) > 0; }
@inline export function seqGe(a: u32, b: u32): bool { return <i32>(a - b) >= 0; }
@inline export function seqMax(a: u32, b: u32): u32 { return seqGt(a, b) ? a : b; }
@inline export function seqMin(a: u32, b: u32): u32 { return seqLt(a, b) ? a : b; }
/** lo <= x < hi (modular). */
@inline export function seqInRange(x: u32, lo: u32, hi: u32): bool { return seqGe(x, lo) && seqLt(x, hi); }

/** Wrap-safe time comparison: `a` is at or after `b`. */
@inline export function timeGe(a: u32, b: u32): bool { return <i32>(a - b) >= 0; }
/** Milliseconds from `now` until `deadline` (0 if already due). */
@inline export function timeUntil(deadline: u32, now: u32): i32 {
  let d = <i32>(deadline - now);
  return d < 0 ? 0 : d;
}
