// IPv6 reassembly (RFC 8200 §4.5; RFC 5722 overlaps; holes as in ip/reasm4.ts).
//
// A bounded pool of Cfg.Reasm6Slots packets in flight, each keyed by (source, destination,
// identification) as RFC 8200 §4.5 says, each with a buffer of Cfg.ReasmMaxBytes bytes for the
// fragmentable part reserved at init and a bitmap of its 8-byte blocks, so no fragment pattern
// can grow the state. ip/ipv6.ts checks each fragment's own rules first (length a multiple of 8,
// the 65,535-byte bound, RFC 7112's header chain in the first fragment: those answer with
// parameter problems) and hands the rest here. Rules applied here (each drop its own counter):
// - overlap (RFC 5722 §4): a fragment covering received bytes abandons the packet silently; the
//   slot stays until its timeout so that later fragments of the same packet are dropped too
//   (`ipv6_frag_abandoned`); an exact duplicate of received bytes is ignored (RFC 8200 §4.5's
//   allowance, `ipv6_frag_duplicate`);
// - a fragment past ReasmMaxBytes (`ipv6_frag_too_big`) or contradicting the known end
//   (`ipv6_frag_bad_last`) drops the packet;
// - every slot busy: the oldest is evicted (`ipv6_reasm_evicted`);
// - 60 s after its first fragment arrived the packet expires (`ipv6_reasm_timeout`);
//   reasm6Expire hands ipv6.ts the ones whose offset-0 fragment had arrived, for ICMPv6 Time
//   Exceeded code 1 (RFC 8200 §4.5).
// The Next Header value comes from the offset-0 fragment's fragment header; the unfragmentable
// extension headers were processed with each fragment and are not kept: the reassembled packet is
// the first fragment's 40-byte header (payload length and next header set) and the fragmentable part.
import { cfg, Cfg } from "../config";
import { poolAlloc } from "../pool";
import { count, Stat } from "../stats";
import { nearer } from "../netif";
import { swap16 } from "../wire/be";
import { IPV6_HLEN, NH_FRAGMENT } from "../wire/ipv6";

export const REASM6_MAX_SLOTS: u32 = 64;
/** RFC 8200 §4.5: 60 seconds. */
export const REASM6_TIMEOUT_MS: u32 = 60000;

const F_FIRST: u8 = 1;  // the offset-0 fragment arrived (its header kept)
const F_LAST: u8 = 2;   // the last fragment (M 0) arrived: `end` is known
const F_DEAD: u8 = 4;   // abandoned for an overlap: later fragments dropped until the deadline

@unmanaged class Slot6 {
  s0: u64; s1: u64; d0: u64; d1: u64;
  used: u32; id: u32;
  deadline: u32;
  end: u32;       // fragmentable part's length, once the last fragment arrived
  hi: u32;        // highest end received so far
  have: u32;      // bytes received (no overlaps: no double counting)
  seq: u32;       // creation order: the oldest is evicted first
  firstLen: u32;  // bytes of the offset-0 fragment (the Time Exceeded quote)
  flags: u8; nh: u8; _p: u16;
}
// The first fragment's 40-byte header at SLOT_IP and its fragment header after it (together the
// quote for Time Exceeded), the fragmentable part at SLOT_DATA, the bitmap after the data.
const SLOT_IP: usize = 80;
const SLOT_DATA: usize = SLOT_IP + <usize>IPV6_HLEN + 8;

let base: usize = 0;
let nSlots: i32 = 0;
let maxBytes: u32 = 0;
let slotSize: usize = 0;
let seqNext: u32 = 0;
/** The payload length of the packet reasm6Input or reasm6Expire returned. */
export let reasm6Len: i32 = 0;

@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
@inline function slotAt(i: i32): Slot6 { return changetype<Slot6>(base + <usize>i * slotSize); }
@inline function dataOf(s: Slot6): usize { return changetype<usize>(s) + SLOT_DATA; }
@inline function bitmapOf(s: Slot6): usize { return changetype<usize>(s) + SLOT_DATA + <usize>maxBytes; }
@inline function bitmapBytes(): usize { return <usize>(((maxBytes >> 3) + 7) >> 3); }

/** Reserve the slots (IPv6 on only). False on a bad value or out of memory. */
export function reasm6Init(): bool {
  let n = cfg(Cfg.Reasm6Slots);
  let m = cfg(Cfg.ReasmMaxBytes);
  if (n > REASM6_MAX_SLOTS || m < 8 || m > 65527) return false;
  nSlots = <i32>n;
  maxBytes = (m + 7) & ~7;
  if (n == 0) return true;
  slotSize = (SLOT_DATA + <usize>maxBytes + bitmapBytes() + 15) & ~<usize>15;
  base = poolAlloc(<usize>n * slotSize);
  return base != 0;
}

/** Is reassembly on (Reasm6Slots > 0)? */
export function reasm6On(): bool { return nSlots != 0; }

@inline function bitGet(bm: usize, b: u32): bool { return (load<u8>(bm + <usize>(b >> 3)) & (<u8>1 << <u8>(b & 7))) != 0; }
@inline function bitSet(bm: usize, b: u32): void {
  let p = bm + <usize>(b >> 3);
  store<u8>(p, load<u8>(p) | (<u8>1 << <u8>(b & 7)));
}

function slotFind(ip: usize, id: u32): Slot6 | null {
  let s0 = load<u64>(ip, 8), s1 = load<u64>(ip, 16), d0 = load<u64>(ip, 24), d1 = load<u64>(ip, 32);
  for (let i = 0; i < nSlots; i++) {
    let s = slotAt(i);
    if (s.used != 0 && s.id == id && s.s0 == s0 && s.s1 == s1 && s.d0 == d0 && s.d1 == d1) return s;
  }
  return null;
}

/** A free slot, or (counted) the oldest one. */
function slotTake(): Slot6 {
  let victim = slotAt(0);
  for (let i = 0; i < nSlots; i++) {
    let s = slotAt(i);
    if (s.used == 0) return s;
    if (before(s.seq, victim.seq)) victim = s;
  }
  count(Stat.Ipv6ReasmEvicted);
  return victim;
}

/**
 * One fragment (offset or M not 0) of the packet at `ip` (its 40-byte header; payload length
 * validated), the fragment header at ip + fh, its data the rest of the payload; its length and
 * offset rules already checked by the caller. Returns 0 (kept, or dropped and counted), or when
 * it completes its packet the address of the reassembled packet's 40-byte header with reasm6Len
 * payload bytes after it, valid until the next call.
 */
export function reasm6Input(ip: usize, fh: i32, plen: i32, now: u32): usize {
  let h = ip + <usize>fh;
  let fo = <u32>swap16(load<u16>(h, 2));
  let more = (fo & 1) != 0;
  let off = fo & 0xfff8;
  let id = load<u32>(h, 4);
  let len = <u32>(IPV6_HLEN + plen - fh - 8);
  let end = off + len;
  let s = slotFind(ip, id);
  if (s != null && (s.flags & F_DEAD) != 0) { count(Stat.Ipv6FragAbandoned); return 0; }
  if (end > maxBytes) {
    count(Stat.Ipv6FragTooBig);
    if (s != null) s.used = 0;
    return 0;
  }
  if (s == null) {
    s = slotTake();
    s.used = 1;
    s.s0 = load<u64>(ip, 8); s.s1 = load<u64>(ip, 16); s.d0 = load<u64>(ip, 24); s.d1 = load<u64>(ip, 32);
    s.id = id; s.flags = 0;
    s.deadline = now + REASM6_TIMEOUT_MS;
    s.end = 0; s.hi = 0; s.have = 0;
    s.seq = seqNext++;
    memory.fill(bitmapOf(s), 0, bitmapBytes());
  }
  let last = (s.flags & F_LAST) != 0;
  if (!more ? (last ? end != s.end : end < s.hi) : last && end > s.end) { count(Stat.Ipv6FragBadLast); s.used = 0; return 0; }
  let b0 = off >> 3;
  let b1 = (end + 7) >> 3;
  let bm = bitmapOf(s);
  let seen: u32 = 0;
  for (let b = b0; b < b1; b++) if (bitGet(bm, b)) seen++;
  let data = h + 8;
  if (seen != 0) {
    if (seen == b1 - b0 && memory.compare(dataOf(s) + <usize>off, data, <usize>len) == 0) {
      count(Stat.Ipv6FragDuplicate);
      return 0;
    }
    // RFC 5722 §4: abandon the packet, no ICMP; its later fragments are dropped until the deadline
    count(Stat.Ipv6FragOverlap);
    s.flags = F_DEAD;
    return 0;
  }
  memory.copy(dataOf(s) + <usize>off, data, <usize>len);
  for (let b = b0; b < b1; b++) bitSet(bm, b);
  s.have += len;
  if (end > s.hi) s.hi = end;
  if (!more) { s.flags |= F_LAST; s.end = end; }
  let sip = changetype<usize>(s) + SLOT_IP;
  if (off == 0) {
    // the first fragment's header and fragment header: the result's header and the timeout's quote
    s.flags |= F_FIRST;
    s.nh = load<u8>(h);
    s.firstLen = len;
    memory.copy(sip, ip, <usize>IPV6_HLEN);
    store<u8>(sip, NH_FRAGMENT, 6);
    store<u16>(sip, swap16(<u16>(8 + len)), 4);
    memory.copy(sip + <usize>IPV6_HLEN, h, 8);
  }
  if ((s.flags & (F_FIRST | F_LAST)) != (F_FIRST | F_LAST) || s.have != s.end) return 0;
  let r = dataOf(s) - <usize>IPV6_HLEN;
  memory.copy(r, sip, <usize>IPV6_HLEN); // overlaps the kept fragment header: no longer needed
  store<u8>(r, s.nh, 6);
  store<u16>(r, swap16(<u16>s.end), 4);
  s.used = 0; // processed at once by the caller, before any other fragment can reuse it
  reasm6Len = <i32>s.end;
  count(Stat.Ipv6ReasmOk);
  return r;
}

/**
 * Expire packets whose time is up (counted; abandoned ones silently). Returns the kept first
 * fragment (header, fragment header, its data: reasm6Len payload bytes) of one expired packet
 * whose offset-0 fragment had arrived, for Time Exceeded code 1; 0 when none is left.
 */
export function reasm6Expire(now: u32): usize {
  for (let i = 0; i < nSlots; i++) {
    let s = slotAt(i);
    if (s.used == 0 || before(now, s.deadline)) continue;
    s.used = 0;
    if ((s.flags & F_DEAD) != 0) continue;
    count(Stat.Ipv6ReasmTimeout);
    if ((s.flags & F_FIRST) != 0) {
      reasm6Len = <i32>(8 + s.firstLen);
      return changetype<usize>(s) + SLOT_IP;
    }
  }
  return 0;
}

/** ms until the earliest reassembly deadline, -1 when none is pending. */
export function reasm6NextDeadline(): i32 {
  let next: i32 = -1;
  for (let i = 0; i < nSlots; i++) {
    let s = slotAt(i);
    if (s.used != 0) next = nearer(next, s.deadline);
  }
  return next;
}

/** End of the slots' memory (0 without slots). */
export function reasm6RegionEnd(): usize { return nSlots == 0 ? 0 : base + <usize>nSlots * slotSize; }
