// Scale structures of the TCP pools (issue 15), in FEAT_SCALE builds (features.ts): every
// per-segment, per-SYN and per-connect lookup is O(1), and poll() costs O(timers due).
//   - chained hash tables over pool indexes: connections by 4-tuple, listeners by local port,
//     TIME-WAIT entries by 4-tuple (links are index + 1 in u32 arrays; 0 ends a chain);
//   - free lists of pool indexes (TCBs, TIME-WAIT entries; ring pairs in tcb.ts) with kept counts;
//   - per-port counts of bound TCBs and TIME-WAIT entries (the port-in-use checks);
//   - a binary min-heap of TCB deadlines with a back-index (lazy: a key may be earlier than the
//     TCB's earliest deadline, never later; poll re-checks).
// Everything is carved from the pool at init (pool.ts) and indexed by the pools' own slot
// numbers, so the TCB (256 bytes) and the TIME-WAIT entry (44) keep their sizes.
// A leaf apart from the pool: tcb.ts, timewait.ts and timers.ts call in with indexes.
import { poolAlloc } from "../pool";

// --- keyed hashing of 4-tuples and ports ---

let secret: u32 = 0;
/** At most this many buckets per table (tests force collisions with 1); 0 = unlimited. */
let bucketCap: u32 = 0;

export function scaleSeed(s: u32): void { secret = s; }
export function scaleBucketCap(n: u32): void { bucketCap = n; }

@inline function mix32(x: u32): u32 {
  x ^= x >>> 16; x *= 0x7feb352d;
  x ^= x >>> 15; x *= 0x846ca68b;
  return x ^ (x >>> 16);
}

/** Hash of a 4-tuple: local address index and port, remote address (16 bytes) and port. */
export function tupleKey(laddr: i32, lport: u32, raddr: usize, rport: u32): u32 {
  let h = mix32(secret ^ ((lport << 16) | rport) ^ (<u32>laddr << 27));
  h = mix32(h ^ load<u32>(raddr));
  h = mix32(h ^ load<u32>(raddr, 4));
  h = mix32(h ^ load<u32>(raddr, 8));
  return mix32(h ^ load<u32>(raddr, 12));
}

@inline export function portKey(port: u32): u32 { return mix32(secret ^ port ^ 0x9e370000); }

/** Keyed hash of an IPv4 address (the interface's ARP cache, iface.ts). */
export function addrKey(a: u32): u32 { return mix32(mix32(secret ^ a) ^ 0x41525000); }

// --- chained hash tables over a pool's indexes ---

@unmanaged export class Chain { buckets: usize; next: usize; where: usize; mask: u32; }

@inline function u32At(base: usize, i: u32): usize { return base + (<usize>i << 2); }

export function chainInit(c: Chain, n: i32): bool {
  let nb: u32 = 1;
  while (nb < <u32>n && (bucketCap == 0 || nb < bucketCap)) nb <<= 1;
  c.mask = nb - 1;
  c.buckets = poolAlloc(<usize>nb << 2);
  c.next = poolAlloc(<usize>n << 2);
  c.where = poolAlloc(<usize>n << 2); // bucket + 1 of each index in the table, 0 = not in it
  return c.buckets != 0 && c.next != 0 && c.where != 0;
}

/** Put index `i` in `c` under `key` (moved if it was in already). */
export function chainAdd(c: Chain, i: i32, key: u32): void {
  chainRemove(c, i);
  let b = key & c.mask;
  let bp = u32At(c.buckets, b);
  store<u32>(u32At(c.next, i), load<u32>(bp));
  store<u32>(bp, <u32>i + 1);
  store<u32>(u32At(c.where, i), b + 1);
}

/** Take index `i` out of `c` (nothing when it is not in). */
export function chainRemove(c: Chain, i: i32): void {
  let wp = u32At(c.where, i);
  let w = load<u32>(wp);
  if (w == 0) return;
  store<u32>(wp, 0);
  let p = u32At(c.buckets, w - 1);
  let me = <u32>i + 1;
  let j = load<u32>(p);
  while (j != 0) {
    if (j == me) { store<u32>(p, load<u32>(u32At(c.next, i))); return; }
    p = u32At(c.next, j - 1);
    j = load<u32>(p);
  }
}

/** First index of the chain of `key`, -1 when empty. */
@inline export function chainHead(c: Chain, key: u32): i32 { return <i32>load<u32>(u32At(c.buckets, key & c.mask)) - 1; }
/** Index after `i` in its chain, -1 at the end. */
@inline export function chainNext(c: Chain, i: i32): i32 { return <i32>load<u32>(u32At(c.next, i)) - 1; }

export const conns = changetype<Chain>(memory.data(offsetof<Chain>(), 8));
export const listeners = changetype<Chain>(memory.data(offsetof<Chain>(), 8));
export const twTuples = changetype<Chain>(memory.data(offsetof<Chain>(), 8));

// --- free lists of pool indexes (fresh indexes in order first, then the freed, last freed first) ---

@unmanaged export class Slots { stack: usize; top: i32; fresh: i32; n: i32; used: i32; }

function slotsInit(s: Slots, n: i32): bool {
  s.n = n; s.top = 0; s.fresh = 0; s.used = 0;
  s.stack = poolAlloc(<usize>n << 2);
  return s.stack != 0;
}

/** A free index, or -1. */
export function slotTake(s: Slots): i32 {
  let i: i32;
  if (s.top > 0) { s.top--; i = <i32>load<u32>(u32At(s.stack, <u32>s.top)); }
  else if (s.fresh < s.n) i = s.fresh++;
  else return -1;
  s.used++;
  return i;
}

export function slotGive(s: Slots, i: i32): void {
  store<u32>(u32At(s.stack, <u32>s.top), <u32>i);
  s.top++;
  s.used--;
}

@inline export function slotsFree(s: Slots): i32 { return s.n - s.used; }

export const tcbSlots = changetype<Slots>(memory.data(offsetof<Slots>(), 8));
export const twSlots = changetype<Slots>(memory.data(offsetof<Slots>(), 8));

// --- two-level bitmaps: the next clear bit at or after a position (cyclic) in O(n / 1024) word
// tests (a summary bit per full word), for the busy ephemeral ports and the ARP cache's entries ---

@unmanaged export class Bits { words: usize; sum: usize; nw: u32; used: i32; }

/** Reserve `n` bits, all clear (the bits past `n` in the last word, and their summary bits, set). */
export function bitsInit(b: Bits, n: u32): bool {
  let nw = (n + 31) >> 5, ns = (nw + 31) >> 5;
  b.nw = nw; b.used = 0;
  b.words = poolAlloc(<usize>nw << 2);
  b.sum = poolAlloc(<usize>ns << 2);
  if (b.words == 0 || b.sum == 0) return false; // (pool memory starts zeroed)
  if ((n & 31) != 0) store<u32>(u32At(b.words, nw - 1), 0xffffffff << (n & 31));
  if ((nw & 31) != 0) store<u32>(u32At(b.sum, ns - 1), 0xffffffff << (nw & 31));
  return true;
}

@inline export function bitIs(b: Bits, i: u32): bool { return (load<u32>(u32At(b.words, i >> 5)) & (1 << (i & 31))) != 0; }

/** Set (`v`) or clear bit `i`, which must hold the other value. */
export function bitPut(b: Bits, i: u32, v: bool): void {
  let w = i >> 5, wp = u32At(b.words, w), sp = u32At(b.sum, w >> 5);
  let x = load<u32>(wp);
  if (v) {
    x |= 1 << (i & 31); b.used++;
    if (x == 0xffffffff) store<u32>(sp, load<u32>(sp) | (1 << (w & 31)));
  } else {
    x &= ~(1 << (i & 31)); b.used--;
    store<u32>(sp, load<u32>(sp) & ~(1 << (w & 31)));
  }
  store<u32>(wp, x);
}

/** The first word at or after `w` with a clear bit, -1 when none. */
function bitsWordFrom(b: Bits, w: u32): i32 {
  let ns = (b.nw + 31) >> 5;
  for (let j = w >> 5; j < ns; j++) {
    let x = ~load<u32>(u32At(b.sum, j));
    if (j == w >> 5) x &= 0xffffffff << (w & 31);
    if (x != 0) return <i32>((j << 5) + ctz(x));
  }
  return -1;
}

/** The first clear bit at or after `from`, wrapping round to 0; -1 when every bit is set. */
export function bitsNextClear(b: Bits, from: u32): i32 {
  let w = from >> 5;
  let x = ~load<u32>(u32At(b.words, w)) & (0xffffffff << (from & 31));
  if (x != 0) return <i32>((w << 5) + ctz(x));
  let r = w + 1 < b.nw ? bitsWordFrom(b, w + 1) : -1;
  if (r < 0) r = bitsWordFrom(b, 0); // (may be word w itself: a clear bit below `from`)
  if (r < 0) return -1;
  return (r << 5) + <i32>ctz(~load<u32>(u32At(b.words, <u32>r)));
}

// --- per-port counts: TCBs bound (F_BOUND) in the low half, TIME-WAIT entries in the high half ---

const EPH_MIN: u32 = 49152;
let portCounts: usize = 0;
let ephBound: i32 = 0;  // ephemeral ports with a bound TCB
let ephBusy: i32 = 0;   // ephemeral ports with a bound TCB or a TIME-WAIT entry
const ephBits = changetype<Bits>(memory.data(offsetof<Bits>(), 8)); // ephemeral port - EPH_MIN: bound or TIME-WAIT

function portAdd(port: u32, d: u32): void {
  let p = u32At(portCounts, port & 0xffff);
  let old = load<u32>(p);
  let v = old + d;
  store<u32>(p, v);
  if (port < EPH_MIN) return;
  ephBound += <i32>((v & 0xffff) != 0) - <i32>((old & 0xffff) != 0);
  if ((v != 0) != (old != 0)) {
    ephBusy += <i32>(v != 0) - <i32>(old != 0);
    bitPut(ephBits, port - EPH_MIN, v != 0);
  }
}
export function portBound(port: u32): void { portAdd(port, 1); }
export function portUnbound(port: u32): void { portAdd(port, 0xffffffff); }
export function portTwAdd(port: u32): void { portAdd(port, 0x10000); }
export function portTwRemove(port: u32): void { portAdd(port, 0xffff0000); }
@inline export function portBoundCount(port: u32): u32 { return load<u32>(u32At(portCounts, port & 0xffff)) & 0xffff; }
@inline export function portTwCount(port: u32): u32 { return load<u32>(u32At(portCounts, port & 0xffff)) >>> 16; }
/** Ephemeral ports (49152-65535) bound by a TCB; and bound or held by TIME-WAIT. */
@inline export function ephemeralBound(): i32 { return ephBound; }
@inline export function ephemeralBusy(): i32 { return ephBusy; }
/**
 * RFC 6056 candidates without a scan: the first ephemeral port, from number `start` (0-16383)
 * on and wrapping round, that no TCB is bound to and no TIME-WAIT entry holds (the port a
 * search of candidates start, start + 1, ... would stop at). Its number (0-16383), -1 when none.
 */
export function ephemeralFreeFrom(start: u32): i32 { return bitsNextClear(ephBits, start); }

// --- children of listeners: half-open (SYN-RECEIVED) and queued (established, not accepted) ---

export const CHILD_NONE: u8 = 0;
export const CHILD_HALF: u8 = 1;
export const CHILD_QUEUED: u8 = 2;
let childCls: usize = 0;    // u8 per TCB: its class as counted
let childPar: usize = 0;    // u32 per TCB: the listener it was counted for
let halfCnt: usize = 0;     // u32 per TCB (listener): half-open children
let queuedCnt: usize = 0;   // u32 per TCB (listener): queued children
let halfAll: i32 = 0;

// every child of each listener (half-open or queued), in a doubly linked list: a listener's close
// resets its children without a search
let cPrev: usize = 0;   // u32 per TCB: index + 1
let cNext: usize = 0;
let cHead: usize = 0;   // u32 per TCB (listener): index + 1 of a child

function childLink(l: i32, i: i32): void {
  let h = load<u32>(u32At(cHead, l));
  store<u32>(u32At(cPrev, i), 0);
  store<u32>(u32At(cNext, i), h);
  if (h != 0) store<u32>(u32At(cPrev, h - 1), <u32>i + 1);
  store<u32>(u32At(cHead, l), <u32>i + 1);
}
function childUnlink(l: i32, i: i32): void {
  let p = load<u32>(u32At(cPrev, i)), n = load<u32>(u32At(cNext, i));
  if (p != 0) store<u32>(u32At(cNext, p - 1), n); else store<u32>(u32At(cHead, l), n);
  if (n != 0) store<u32>(u32At(cPrev, n - 1), p);
}
/** A child of listener `l` (half-open or queued), -1 when it has none. */
@inline export function childAny(l: i32): i32 { return <i32>load<u32>(u32At(cHead, l)) - 1; }

/** TCB `i` is now of class `cls` (CHILD_*) under listener `parent`: the counts follow. */
export function childSet(i: i32, cls: u8, parent: i32): void {
  let cp = childCls + <usize>i;
  let old = load<u8>(cp);
  let op = <i32>load<u32>(u32At(childPar, i));
  if (old == cls && (cls == CHILD_NONE || op == parent)) return;
  if (old != CHILD_NONE) childUnlink(op, i);
  if (cls != CHILD_NONE) childLink(parent, i);
  if (old == CHILD_HALF) { halfAll--; store<u32>(u32At(halfCnt, op), load<u32>(u32At(halfCnt, op)) - 1); }
  else if (old == CHILD_QUEUED) { store<u32>(u32At(queuedCnt, op), load<u32>(u32At(queuedCnt, op)) - 1); acceptUnlink(op, i); }
  store<u8>(cp, cls);
  store<u32>(u32At(childPar, i), <u32>parent);
  if (cls == CHILD_HALF) { halfAll++; store<u32>(u32At(halfCnt, parent), load<u32>(u32At(halfCnt, parent)) + 1); }
  else if (cls == CHILD_QUEUED) { store<u32>(u32At(queuedCnt, parent), load<u32>(u32At(queuedCnt, parent)) + 1); acceptPush(parent, i); }
}
/** Children of listener `l` counted as half-open (or, `half` false, as queued); of every listener when `l` < 0 (half-open only). */
export function childCountOf(l: i32, half: bool): i32 {
  if (l < 0) return halfAll;
  return <i32>load<u32>(u32At(half ? halfCnt : queuedCnt, l));
}

// --- the accept queue of each listener: queued children in acceptOrder (a doubly linked list) ---

let qPrev: usize = 0;   // u32 per TCB: index + 1
let qNext: usize = 0;
let qHead: usize = 0;   // u32 per TCB (listener): index + 1 of its oldest queued child
let qTail: usize = 0;

/** Append child `i` to listener `l`'s accept queue (it must not be in one). */
export function acceptPush(l: i32, i: i32): void {
  let tail = load<u32>(u32At(qTail, l));
  store<u32>(u32At(qPrev, i), tail);
  store<u32>(u32At(qNext, i), 0);
  if (tail != 0) store<u32>(u32At(qNext, tail - 1), <u32>i + 1); else store<u32>(u32At(qHead, l), <u32>i + 1);
  store<u32>(u32At(qTail, l), <u32>i + 1);
}
/** Take child `i` out of listener `l`'s accept queue. */
export function acceptUnlink(l: i32, i: i32): void {
  let p = load<u32>(u32At(qPrev, i)), n = load<u32>(u32At(qNext, i));
  if (p != 0) store<u32>(u32At(qNext, p - 1), n); else store<u32>(u32At(qHead, l), n);
  if (n != 0) store<u32>(u32At(qPrev, n - 1), p); else store<u32>(u32At(qTail, l), p);
}
/** The oldest child in `l`'s accept queue, -1 when empty. */
@inline export function acceptHead(l: i32): i32 { return <i32>load<u32>(u32At(qHead, l)) - 1; }
@inline export function acceptNext(i: i32): i32 { return <i32>load<u32>(u32At(qNext, i)) - 1; }

// --- connections by local address (an index of netif's table): a removed address ends its
// connections without a search (tcp/ifdown.ts) ---

const ADDRS: i32 = 8; // netif.ts LOCAL_ADDRS
let aPrev: usize = 0;   // u32 per TCB: index + 1
let aNext: usize = 0;
let aWhere: usize = 0;  // u32 per TCB: address index + 1, 0 = in no list
const aHead: usize = memory.data(ADDRS * 4, 4); // u32 per address: index + 1

/** TCB `i` now uses local address `a` (moved if it was listed under another). */
export function byAddrAdd(i: i32, a: i32): void {
  byAddrRemove(i);
  if (<u32>a >= <u32>ADDRS) return;
  let hp = aHead + (<usize>a << 2);
  let h = load<u32>(hp);
  store<u32>(u32At(aPrev, i), 0);
  store<u32>(u32At(aNext, i), h);
  if (h != 0) store<u32>(u32At(aPrev, h - 1), <u32>i + 1);
  store<u32>(hp, <u32>i + 1);
  store<u32>(u32At(aWhere, i), <u32>a + 1);
}
export function byAddrRemove(i: i32): void {
  let w = load<u32>(u32At(aWhere, i));
  if (w == 0) return;
  store<u32>(u32At(aWhere, i), 0);
  let p = load<u32>(u32At(aPrev, i)), n = load<u32>(u32At(aNext, i));
  if (p != 0) store<u32>(u32At(aNext, p - 1), n); else store<u32>(aHead + (<usize>(w - 1) << 2), n);
  if (n != 0) store<u32>(u32At(aPrev, n - 1), p);
}
/** A TCB listed under local address `a`, -1 when none. */
export function byAddrAny(a: i32): i32 { return <u32>a < <u32>ADDRS ? <i32>load<u32>(aHead + (<usize>a << 2)) - 1 : -1; }

// --- the timer heap: (deadline, TCB index) pairs, earliest first, with a back-index ---

let hKey: usize = 0;    // u32 per heap position
let hIdx: usize = 0;    // u32 per heap position: the TCB index
let hPos: usize = 0;    // 8 bytes per TCB: heap position + 1 (0 = not in the heap), then its key:
                        // a segment that arms a later timer reads one cache line, not the heap's
let hSize: i32 = 0;
let dueList: usize = 0; // u32 per TCB: indexes popped by one poll

@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }

function hPlace(pos: i32, key: u32, idx: u32): void {
  store<u32>(u32At(hKey, pos), key);
  store<u32>(u32At(hIdx, pos), idx);
  let pk = hPos + (<usize>idx << 3);
  store<u32>(pk, <u32>pos + 1);
  store<u32>(pk, key, 4);
}

function hSift(pos: i32, key: u32, idx: u32): void {
  // up
  while (pos > 0) {
    let parent = (pos - 1) >> 1;
    let pk = load<u32>(u32At(hKey, parent));
    if (!before(key, pk)) break;
    hPlace(pos, pk, load<u32>(u32At(hIdx, parent)));
    pos = parent;
  }
  // down
  while (true) {
    let c = (pos << 1) + 1;
    if (c >= hSize) break;
    let ck = load<u32>(u32At(hKey, c));
    if (c + 1 < hSize) {
      let rk = load<u32>(u32At(hKey, c + 1));
      if (before(rk, ck)) { c++; ck = rk; }
    }
    if (!before(ck, key)) break;
    hPlace(pos, ck, load<u32>(u32At(hIdx, c)));
    pos = c;
  }
  hPlace(pos, key, idx);
}

/** TCB `i` has a timer due at `deadline`: its heap key moves earlier (or it enters the heap). */
export function timerNote(i: i32, deadline: u32): void {
  let pk = hPos + (<usize>i << 3);
  let p = load<u32>(pk);
  if (p == 0) { hSift(hSize++, deadline, <u32>i); return; }
  if (before(deadline, load<u32>(pk, 4))) hSift(<i32>p - 1, deadline, <u32>i);
}

/** TCB `i`'s key becomes exactly `deadline` (-1: it leaves the heap). */
export function timerSet(i: i32, deadline: i64): void {
  let p = <i32>load<u32>(hPos + (<usize>i << 3));
  if (deadline < 0) {
    if (p == 0) return;
    store<u32>(hPos + (<usize>i << 3), 0);
    let last = --hSize;
    if (p - 1 == last) return;
    hSift(p - 1, load<u32>(u32At(hKey, last)), load<u32>(u32At(hIdx, last)));
    return;
  }
  if (p == 0) { hSift(hSize++, <u32>deadline, <u32>i); return; }
  hSift(p - 1, <u32>deadline, <u32>i);
}

@inline export function timerCount(): i32 { return hSize; }
/** The TCB index with the earliest key (the heap must not be empty), and that key. */
@inline export function timerTop(): i32 { return <i32>load<u32>(hIdx); }
@inline export function timerTopKey(): u32 { return load<u32>(hKey); }
@inline export function dueAt(k: i32): i32 { return <i32>load<u32>(u32At(dueList, k)); }
@inline export function dueSet(k: i32, i: i32): void { store<u32>(u32At(dueList, k), <u32>i); }

// --- init ---

/** Reserve the tables for `nTcb` TCBs and `nTw` TIME-WAIT entries. */
export function scaleInit(nTcb: i32, nTw: i32): bool {
  let n = <usize>nTcb << 2;
  portCounts = poolAlloc(65536 << 2);
  childCls = poolAlloc(<usize>nTcb);
  childPar = poolAlloc(n); halfCnt = poolAlloc(n); queuedCnt = poolAlloc(n);
  qPrev = poolAlloc(n); qNext = poolAlloc(n); qHead = poolAlloc(n); qTail = poolAlloc(n);
  hKey = poolAlloc(n); hIdx = poolAlloc(n); hPos = poolAlloc(n << 1); dueList = poolAlloc(n);
  cPrev = poolAlloc(n); cNext = poolAlloc(n); cHead = poolAlloc(n);
  aPrev = poolAlloc(n); aNext = poolAlloc(n); aWhere = poolAlloc(n);
  memory.fill(aHead, 0, <usize>ADDRS << 2);
  if (cPrev == 0 || cNext == 0 || cHead == 0 || aPrev == 0 || aNext == 0 || aWhere == 0) return false;
  hSize = 0; halfAll = 0; ephBound = 0; ephBusy = 0;
  if (!bitsInit(ephBits, 65536 - EPH_MIN)) return false;
  if (!chainInit(conns, nTcb) || !chainInit(listeners, nTcb) || !slotsInit(tcbSlots, nTcb)) return false;
  if (nTw > 0 && (!chainInit(twTuples, nTw) || !slotsInit(twSlots, nTw))) return false;
  return portCounts != 0 && childCls != 0 && childPar != 0 && halfCnt != 0 && queuedCnt != 0 && qPrev != 0 && qNext != 0 &&
    qHead != 0 && qTail != 0 && hKey != 0 && hIdx != 0 && hPos != 0 && dueList != 0;
}
