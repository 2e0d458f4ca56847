// What IPv4 and IPv6 fragmentation and reassembly share (ip/frag4.ts, ip/reasm4.ts, ip/reasm6.ts,
// ip/ipv6.ts): the send loop that cuts a payload gathered from two pieces into fragments, and the
// bookkeeping of a reassembly slot (its common header below, the 8-byte-block bitmap, eviction of
// the oldest, deadlines). Each family keeps its own key, header handling and counters.
import { count, Stat } from "../stats";
import { nearer } from "../netif";

// ---------------------------------------------------------------------------
// send

/** Copy bytes [off, off + n) of head (headLen bytes) followed by body to `out`. */
function gather(out: usize, head: usize, headLen: i32, body: usize, off: i32, n: i32): void {
  let h = 0;
  if (off < headLen) {
    h = headLen - off < n ? headLen - off : n;
    memory.copy(out, head + <usize>off, <usize>h);
  }
  if (n > h) memory.copy(out + <usize>h, body + <usize>(off + h - headLen), <usize>(n - h));
}

/**
 * Cut head (headLen bytes) followed by body into fragments of `chunk` bytes (a multiple of 8;
 * the last one shorter): each gathered to `out` and handed to `send(off, n, more)`, and counted
 * as `sent`. False as soon as one is not sent (those already sent are not recalled).
 */
export function fragEach(out: usize, head: usize, headLen: i32, body: usize, total: i32, chunk: i32,
                         send: (off: i32, n: i32, more: bool) => bool, sent: Stat): bool {
  let off = 0;
  while (off < total) {
    let n = total - off;
    let more = n > chunk;
    if (more) n = chunk;
    gather(out, head, headLen, body, off, n);
    if (!send(off, n, more)) return false;
    count(sent);
    off += n;
  }
  return true;
}

// ---------------------------------------------------------------------------
// reassembly slots

/** The header every reassembly slot starts with (the family's key follows it). */
@unmanaged export class RSlot {
  used: u32;
  deadline: u32;
  end: u32;      // payload length, once the last fragment arrived
  hi: u32;       // highest end received so far
  have: u32;     // payload bytes received (no overlaps, so no double counting)
  seq: u32;      // creation order: the oldest is evicted first
  flags: u8; _p: u8; _q: u16;
}

export const RS_FIRST: u8 = 1; // the offset-0 fragment arrived (its header kept)
export const RS_LAST: u8 = 2;  // the last fragment arrived: `end` is known

/** rsPlace's results. */
export const RS_OK: i32 = 0;
export const RS_BAD_LAST: i32 = 1;  // contradicts the known end
export const RS_DUPLICATE: i32 = 2; // every byte already held, identical: ignore it
export const RS_OVERLAP: i32 = 3;   // covers received bytes otherwise

let seqNext: u32 = 0;

@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
@inline function bitGet(bm: usize, b: u32): bool { return (load<u8>(bm + <usize>(b >> 3)) & (<u8>1 << <u8>(b & 7))) != 0; }

/** Bitmap bytes for `maxBytes` of payload (one bit per 8-byte block). */
export function rsBitmapBytes(maxBytes: u32): usize { return <usize>(((maxBytes >> 3) + 7) >> 3); }

/** Slot i of the `size`-byte slots at base. */
@inline export function rsAt(base: usize, size: usize, i: i32): RSlot { return changetype<RSlot>(base + <usize>i * size); }

/**
 * A slot for a new datagram: a free one, or (counted as `evicted`) the oldest; started (used, its
 * deadline `timeout` ms from now, nothing received, its bitmap `bm` of `bmBytes` cleared).
 */
export function rsTake(base: usize, n: i32, size: usize, evicted: Stat, now: u32, timeout: u32, bmOff: usize, bmBytes: usize): RSlot {
  let victim = rsAt(base, size, 0);
  let s = victim;
  let i = 0;
  for (; i < n; i++) {
    s = rsAt(base, size, i);
    if (s.used == 0) break;
    if (before(s.seq, victim.seq)) victim = s;
  }
  if (i == n) { count(evicted); s = victim; }
  s.used = 1; s.flags = 0;
  s.deadline = now + timeout;
  s.end = 0; s.hi = 0; s.have = 0;
  s.seq = seqNext++;
  memory.fill(changetype<usize>(s) + bmOff, 0, bmBytes);
  return s;
}

/**
 * Place `len` bytes at `data` at offset `off` of slot s's payload (at `buf`, bitmap at `bm`);
 * `more`: not the last fragment. RS_OK (copied, the end learnt from a last fragment), or why not.
 */
export function rsPlace(s: RSlot, buf: usize, bm: usize, data: usize, off: u32, len: u32, more: bool): i32 {
  let end = off + len;
  let last = (s.flags & RS_LAST) != 0;
  if (!more ? (last ? end != s.end : end < s.hi) : last && end > s.end) return RS_BAD_LAST;
  let b0 = off >> 3;
  let b1 = (end + 7) >> 3;
  let seen: u32 = 0;
  for (let b = b0; b < b1; b++) if (bitGet(bm, b)) seen++;
  if (seen != 0) {
    return seen == b1 - b0 && memory.compare(buf + <usize>off, data, <usize>len) == 0 ? RS_DUPLICATE : RS_OVERLAP;
  }
  memory.copy(buf + <usize>off, data, <usize>len);
  for (let b = b0; b < b1; b++) {
    let p = bm + <usize>(b >> 3);
    store<u8>(p, load<u8>(p) | (<u8>1 << <u8>(b & 7)));
  }
  s.have += len;
  if (end > s.hi) s.hi = end;
  if (!more) { s.flags |= RS_LAST; s.end = end; }
  return RS_OK;
}

/** Has slot s every byte, its first and its last fragment? */
export function rsComplete(s: RSlot): bool {
  return (s.flags & (RS_FIRST | RS_LAST)) == (RS_FIRST | RS_LAST) && s.have == s.end;
}

/** The next used slot whose deadline has passed, freed; null when there is none. */
export function rsExpired(base: usize, n: i32, size: usize, now: u32): RSlot | null {
  for (let i = 0; i < n; i++) {
    let s = rsAt(base, size, i);
    if (s.used == 0 || before(now, s.deadline)) continue;
    s.used = 0;
    return s;
  }
  return null;
}

/** ms until the earliest deadline of a used slot, -1 when none is pending. */
export function rsNextDeadline(base: usize, n: i32, size: usize): i32 {
  let next: i32 = -1;
  for (let i = 0; i < n; i++) {
    let s = rsAt(base, size, i);
    if (s.used != 0) next = nearer(next, s.deadline);
  }
  return next;
}
