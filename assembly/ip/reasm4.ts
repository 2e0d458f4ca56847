// IPv4 reassembly (RFC 791 §3.2 "Reassembly", holes tracked RFC 815-style).
//
// A bounded pool of Cfg.ReasmSlots datagrams in flight, each keyed by (source, destination,
// protocol, identification) as RFC 791 says, each with a buffer of Cfg.ReasmMaxBytes payload
// bytes reserved at init. Holes are tracked as a bitmap of 8-byte blocks (the fragment offset
// unit): ReasmMaxBytes / 64 bytes per slot (64 bytes for the default 4096), so the bound on
// state is fixed and no fragment pattern can grow it (RFC 815's hole list, flattened).
//
// Rules (each drop counted by its own counter):
// - a non-last fragment (MF) with no data (`ipv4_frag_zero_length`) or a length that is not a
//   multiple of 8 (`ipv4_frag_misaligned`): the fragment is dropped;
// - offset + length past 65535 with the header (`ipv4_frag_past_64k`, RFC 791 total length):
//   dropped; past ReasmMaxBytes (`ipv4_frag_too_big`): the fragment and its datagram;
// - RFC 1858 §3: a first fragment (offset 0, MF) too short for the transport header (TCP 20
//   bytes, anything else 8) (`ipv4_frag_tiny`); RFC 1858 §4: a TCP fragment at offset 1 (8 bytes)
//   (`ipv4_frag_tcp_offset1`): the fragment is dropped;
// - overlap (RFC 5722's rule applied to IPv4, as Linux does): a fragment that covers some
//   received bytes drops the whole datagram (`ipv4_frag_overlap`); one that lies entirely on
//   received bytes with the same content is a duplicate and is ignored (`ipv4_frag_duplicate`);
//   the same with different content is an overlap;
// - a last fragment (no MF) whose end differs from an earlier last fragment's, or ends before
//   bytes already received, and a fragment past a known end drop the datagram (`ipv4_frag_bad_last`);
// - a new datagram with every slot busy evicts the oldest (`ipv4_reasm_evicted`): fresh
//   traffic wins over a stalled datagram (no ICMP for an evicted one);
// - Cfg.ReasmTimeoutMs after its first fragment arrived a datagram expires (`ipv4_reasm_timeout`);
//   reasm4Expire hands iface the ones whose offset-0 fragment had arrived, for ICMP Time Exceeded.
// The reassembled datagram gets the first fragment's 20-byte header (options are not kept),
// with total length set, flags/offset 0 and a fresh checksum, immediately followed by its payload.
import { swap16 } from "../wire/be";
import { cfg, Cfg } from "../config";
import { poolAlloc } from "../pool";
import { count, Stat } from "../stats";
import { checksumInto } from "../checksum";
import { nearer } from "../netif";
import {
  IPV4_HLEN, IP_FLAG_MF, IP_OFFSET_MASK, IP_VIHL, IP_TOTLEN, IP_FRAG, IP_CSUM, PROTO_TCP,
  ipFrag, ipId, ipProto, ipSrc, ipDst, ipTotalLen,
} from "../wire/ipv4";

export const REASM_MAX_SLOTS: u32 = 64;
export const REASM_MAX_BYTES: u32 = 65515;
export const REASM_MAX_TIMEOUT_MS: u32 = 120000;

const F_FIRST: u8 = 1; // the offset-0 fragment arrived (the header is kept)
const F_LAST: u8 = 2;  // the last fragment (no MF) arrived: `end` is known

@unmanaged class Slot {
  used: u32;
  src: u32;
  dst: u32;
  id: u16; proto: u8; flags: u8;
  deadline: u32;
  end: u32;      // payload length, once the last fragment arrived
  hi: u32;       // highest end received so far
  have: u32;     // payload bytes received (no overlaps, so no double counting)
  seq: u32;      // creation order: the oldest is evicted first
}
/** The IP header sits at SLOT_IP, the payload right after it (SLOT_DATA), the bitmap after the payload. */
const SLOT_IP: usize = 44;
const SLOT_DATA: usize = SLOT_IP + <usize>IPV4_HLEN;

let base: usize = 0;
let nSlots: i32 = 0;
let maxBytes: u32 = 0;
let slotSize: usize = 0;
let timeoutMs: u32 = 30000;
let seqNext: u32 = 0;

@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
@inline function slotAt(i: i32): Slot { return changetype<Slot>(base + <usize>i * slotSize); }
@inline function dataOf(s: Slot): usize { return changetype<usize>(s) + SLOT_DATA; }
@inline function bitmapOf(s: Slot): usize { return changetype<usize>(s) + SLOT_DATA + <usize>maxBytes; }

/** Reserve the slots (Cfg.ReasmSlots × (64 + ReasmMaxBytes + ReasmMaxBytes / 64)). False on a bad value. */
export function reasm4Init(): bool {
  let n = cfg(Cfg.ReasmSlots);
  let m = cfg(Cfg.ReasmMaxBytes);
  timeoutMs = cfg(Cfg.ReasmTimeoutMs);
  if (n > REASM_MAX_SLOTS || m < 8 || m > REASM_MAX_BYTES || timeoutMs == 0 || timeoutMs > REASM_MAX_TIMEOUT_MS) return false;
  nSlots = <i32>n;
  maxBytes = (m + 7) & ~7;
  if (n == 0) return true;
  let bitmapBytes = ((maxBytes >> 3) + 7) >> 3;
  slotSize = (SLOT_DATA + <usize>maxBytes + <usize>bitmapBytes + 15) & ~<usize>15;
  base = poolAlloc(<usize>n * slotSize);
  return base != 0;
}

@inline function bitGet(bm: usize, b: u32): bool { return (load<u8>(bm + <usize>(b >> 3)) & (<u8>1 << <u8>(b & 7))) != 0; }
@inline function bitSet(bm: usize, b: u32): void {
  let p = bm + <usize>(b >> 3);
  store<u8>(p, load<u8>(p) | (<u8>1 << <u8>(b & 7)));
}

function slotFree(s: Slot): void { s.used = 0; }

function slotFind(src: u32, dst: u32, id: u16, proto: u8): Slot | null {
  for (let i = 0; i < nSlots; i++) {
    let s = slotAt(i);
    if (s.used != 0 && s.src == src && s.dst == dst && s.id == id && s.proto == proto) return s;
  }
  return null;
}

/** A free slot, or (counted) the oldest one. */
function slotTake(now: u32): Slot {
  let victim = slotAt(0);
  for (let i = 0; i < nSlots; i++) {
    let s = slotAt(i);
    if (s.used == 0) return s;
    if (before(s.seq, victim.seq)) victim = s;
  }
  count(Stat.Ipv4ReasmEvicted);
  return victim;
}

/** The kept header of a datagram of `len` payload bytes: total length, then checksum. */
function finishHeader(ip: usize, len: u32): void {
  store<u16>(ip + IP_TOTLEN, swap16(<u16>(<u32>IPV4_HLEN + len)));
  checksumInto(ip, IPV4_HLEN, IP_CSUM);
}

/**
 * One fragment (MF set or a non-zero offset) of a datagram to us, validated by ipv4Parse
 * (header length `hlen`, total length within the frame). Returns 0 (kept, or dropped and
 * counted), or when it completes its datagram the address of the reassembled datagram's
 * 20-byte IPv4 header, its payload following. That memory stays valid until the next call.
 */
export function reasm4Input(p: usize, hlen: i32, now: u32): usize {
  count(Stat.Ipv4FragRx);
  if (nSlots == 0) { count(Stat.Ipv4FragNoReasm); return 0; }
  let frag = ipFrag(p);
  let mf = (frag & IP_FLAG_MF) != 0;
  let fo = <u32>(frag & IP_OFFSET_MASK);
  let off = fo << 3;
  let len = <u32>(ipTotalLen(p) - hlen);
  let end = off + len;
  let proto = ipProto(p);
  if (mf && len == 0) { count(Stat.Ipv4FragZeroLength); return 0; }
  if (mf && (len & 7) != 0) { count(Stat.Ipv4FragMisaligned); return 0; }
  if (<u32>hlen + end > 65535) { count(Stat.Ipv4FragPast64k); return 0; }
  if (proto == PROTO_TCP && fo == 1) { count(Stat.Ipv4FragTcpOffset1); return 0; } // RFC 1858 §4
  if (off == 0 && len < (proto == PROTO_TCP ? 20 : 8)) { count(Stat.Ipv4FragTiny); return 0; } // RFC 1858 §3
  let src = ipSrc(p);
  let dst = ipDst(p);
  let id = <u16>ipId(p);
  let s = slotFind(src, dst, id, proto);
  if (end > maxBytes) {
    count(Stat.Ipv4FragTooBig);
    if (s != null) slotFree(s);
    return 0;
  }
  if (s == null) {
    s = slotTake(now);
    s.used = 1;
    s.src = src; s.dst = dst; s.id = id; s.proto = proto; s.flags = 0;
    s.deadline = now + timeoutMs;
    s.end = 0; s.hi = 0; s.have = 0;
    s.seq = seqNext++;
    memory.fill(bitmapOf(s), 0, <usize>(((maxBytes >> 3) + 7) >> 3));
  }
  // the end of the datagram, once known, is fixed
  let last = (s.flags & F_LAST) != 0;
  if (!mf ? (last ? end != s.end : end < s.hi) : last && end > s.end) { count(Stat.Ipv4FragBadLast); slotFree(s); return 0; }
  let b0 = off >> 3;
  let b1 = (end + 7) >> 3;
  let bm = bitmapOf(s);
  let seen: u32 = 0;
  for (let b = b0; b < b1; b++) if (bitGet(bm, b)) seen++;
  let data = p + <usize>hlen;
  if (seen != 0) {
    if (seen == b1 - b0 && memory.compare(dataOf(s) + <usize>off, data, <usize>len) == 0) {
      count(Stat.Ipv4FragDuplicate); // every byte already held, identical: ignored
      return 0;
    }
    count(Stat.Ipv4FragOverlap);
    slotFree(s);
    return 0;
  }
  memory.copy(dataOf(s) + <usize>off, data, <usize>len);
  for (let b = b0; b < b1; b++) bitSet(bm, b);
  s.have += len;
  if (end > s.hi) s.hi = end;
  if (!mf) { s.flags |= F_LAST; s.end = end; }
  let ip = changetype<usize>(s) + SLOT_IP;
  if (off == 0) {
    // keep the first fragment's base header (for the result and for an ICMP Time Exceeded quote)
    s.flags |= F_FIRST;
    memory.copy(ip, p, <usize>IPV4_HLEN);
    store<u8>(ip + IP_VIHL, 0x45);
    finishHeader(ip, len);
  }
  if ((s.flags & (F_FIRST | F_LAST)) != (F_FIRST | F_LAST) || s.have != s.end) return 0;
  store<u16>(ip + IP_FRAG, 0);
  finishHeader(ip, s.end);
  slotFree(s); // processed at once by the caller, before any other fragment can reuse it
  count(Stat.Ipv4ReasmOk);
  return ip;
}

/**
 * Expire datagrams whose time is up (counted). Returns the IP header of one expired datagram
 * whose offset-0 fragment had arrived (its header and first 8 payload bytes follow: the quote
 * for ICMP Time Exceeded, RFC 792), valid until the next call; 0 when there is none left.
 */
export function reasm4Expire(now: u32): usize {
  for (let i = 0; i < nSlots; i++) {
    let s = slotAt(i);
    if (s.used == 0 || before(now, s.deadline)) continue;
    slotFree(s);
    count(Stat.Ipv4ReasmTimeout);
    if ((s.flags & F_FIRST) != 0) return changetype<usize>(s) + SLOT_IP;
  }
  return 0;
}

/** ms until the earliest reassembly deadline, -1 when none is pending. */
export function reasm4NextDeadline(): i32 {
  let next: i32 = -1;
  for (let i = 0; i < nSlots; i++) {
    let s = slotAt(i);
    if (s.used != 0) next = nearer(next, s.deadline);
  }
  return next;
}

/** End of the reassembly slots' memory (0 without slots). */
export function reasm4RegionEnd(): usize { return nSlots == 0 ? 0 : base + <usize>nSlots * slotSize; }

/** Datagrams in reassembly (tests). */
export function reasm4InUse(): i32 {
  let n = 0;
  for (let i = 0; i < nSlots; i++) if (slotAt(i).used != 0) n++;
  return n;
}
