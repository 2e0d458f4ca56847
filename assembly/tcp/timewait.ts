// TIME-WAIT (RFC 9293 §3.10.7.4): a small bounded table of compact entries, so a closed
// connection waiting 2*MSL does not hold a full TCB. An entry re-ACKs a retransmitted FIN
// and restarts its timer; when the table is full the oldest entry is recycled (counted).
import { poolAlloc } from "../pool";
import { cfg, Cfg } from "../config";
import { count, Stat } from "../stats";
import { localAddrPtr, nearer, netNow } from "../netif";
import { addrCopy, addrEq, addrFamily, FAMILY_V4 } from "../ip/addr";
import { TimeWaitRowField } from "../abi-consts";
import { timeGe, timeUntil } from "./seq";
import { FEAT_IPV6, FEAT_SCALE } from "../features";
import { chainAdd, chainHead, chainNext, chainRemove, portTwAdd, portTwCount, portTwRemove, slotGive, slotTake, tupleKey, twSlots, twTuples } from "./index";

@unmanaged export class TwEntry {
  raddr: u64; raddr8: u64;  // remote address, 16 bytes (ip/addr.ts): twRaddr(e)
  lport: u16; rport: u16;
  sndNxt: u32;    // our next sequence number (after our FIN)
  rcvNxt: u32;    // after the peer's FIN
  deadline: u32;
  tsRecent: u32;
  tsOffset: u32;
  wnd: u16;       // window field to advertise (already scaled)
  flags: u8;      // TW_USED | TW_TS
  laddr: u8;      // local address: index into netif's address table
}

export const TW_USED: u8 = 1;
export const TW_TS: u8 = 2;

@inline export function twRaddr(e: TwEntry): usize { return changetype<usize>(e) + offsetof<TwEntry>("raddr"); }

let base: usize = 0;
let n: i32 = 0;

// Scale build (FEAT_SCALE): entries are hashed by 4-tuple (tcp/index.ts twTuples) and kept in a
// list in deadline order (every entry lives 2*MSL from its creation or its last restart, so the
// list is appended to at its tail): expiry and recycling take its head.
let agePrev: usize = 0;  // u32 per entry: index + 1 (0 = none)
let ageNext: usize = 0;
let ageHead: i32 = -1;
let ageTail: i32 = -1;

export function twInit(): bool {
  n = <i32>cfg(Cfg.TimeWaitEntries);
  if (n == 0) return true;
  if (FEAT_SCALE && n > 0xffff) return false;
  base = poolAlloc(<usize>n * offsetof<TwEntry>());
  if (FEAT_SCALE) {
    agePrev = poolAlloc(<usize>n << 2);
    ageNext = poolAlloc(<usize>n << 2);
    ageHead = -1; ageTail = -1;
    if (agePrev == 0 || ageNext == 0) return false;
  }
  return base != 0;
}

/** Entries the table holds (Cfg.TimeWaitEntries). */
export function twCapacity(): i32 { return n; }

@inline function at(i: i32): TwEntry { return changetype<TwEntry>(base + <usize>i * offsetof<TwEntry>()); }
@inline function indexOf(e: TwEntry): i32 { return <i32>((changetype<usize>(e) - base) / offsetof<TwEntry>()); }

function ageUnlink(i: i32): void {
  let p = <i32>load<u32>(agePrev + (<usize>i << 2)) - 1, x = <i32>load<u32>(ageNext + (<usize>i << 2)) - 1;
  if (p >= 0) store<u32>(ageNext + (<usize>p << 2), <u32>(x + 1)); else ageHead = x;
  if (x >= 0) store<u32>(agePrev + (<usize>x << 2), <u32>(p + 1)); else ageTail = p;
}

function ageAppend(i: i32): void {
  store<u32>(agePrev + (<usize>i << 2), <u32>(ageTail + 1));
  store<u32>(ageNext + (<usize>i << 2), 0);
  if (ageTail >= 0) store<u32>(ageNext + (<usize>ageTail << 2), <u32>(i + 1)); else ageHead = i;
  ageTail = i;
}

/** `e` is filled in and TW_USED (moveToTimeWait): the indexes learn of it. */
export function twIndexed(e: TwEntry): void {
  if (!FEAT_SCALE) return;
  let i = indexOf(e);
  chainAdd(twTuples, i, tupleKey(<i32>e.laddr, e.lport, twRaddr(e), e.rport));
  ageAppend(i);
  portTwAdd(e.lport);
}

/** The peer's FIN again: 2*MSL from now (RFC 9293 §3.10.7.4). */
export function twRestart(e: TwEntry): void {
  e.deadline = netNow + twDuration();
  if (FEAT_SCALE) { let i = indexOf(e); ageUnlink(i); ageAppend(i); }
}

export function twDuration(): u32 { return cfg(Cfg.MslMs) << 1; }

/** A free entry (or the oldest, recycled and counted); null when the table has no entries at all. */
export function twAlloc(): TwEntry | null {
  if (FEAT_SCALE) {
    if (n == 0) { count(Stat.TcpTimeWaitFull); return null; }
    let i = slotTake(twSlots);
    if (i >= 0) return at(i);
    count(Stat.TcpTimeWaitFull);
    let e = at(ageHead); // the oldest: recycled
    twFree(e);
    return at(slotTake(twSlots));
  }
  let oldest = -1;
  for (let i = 0; i < n; i++) {
    let e = at(i);
    if ((e.flags & TW_USED) == 0) return e;
    if (oldest < 0 || !timeGe(e.deadline, at(oldest).deadline)) oldest = i;
  }
  count(Stat.TcpTimeWaitFull);
  if (oldest < 0) return null;
  return at(oldest);
}

/** The entry of a 4-tuple: local address index and port, remote address (16 bytes) and port. */
export function twLookup(laddr: i32, lport: u32, raddr: usize, rport: u32): TwEntry | null {
  if (FEAT_SCALE && (n == 0 || portTwCount(lport) == 0)) return null;
  let i = 0;
  if (FEAT_SCALE) i = chainHead(twTuples, tupleKey(laddr, lport, raddr, rport));
  for (; i >= 0 && i < n; i = FEAT_SCALE ? chainNext(twTuples, i) : i + 1) {
    let e = at(i);
    if ((e.flags & TW_USED) != 0 && <u32>e.lport == lport && <u32>e.rport == rport && <i32>e.laddr == laddr &&
        addrEq(twRaddr(e), raddr)) return e;
  }
  return null;
}

export function twFree(e: TwEntry): void {
  if (FEAT_SCALE) {
    if ((e.flags & TW_USED) == 0) return;
    let i = indexOf(e);
    chainRemove(twTuples, i);
    ageUnlink(i);
    portTwRemove(e.lport);
    slotGive(twSlots, i);
  }
  e.flags = 0;
}

/** Is a local port held by a TIME-WAIT entry? */
export function twPortUsed(port: u32): bool {
  if (FEAT_SCALE) return portTwCount(port) != 0;
  for (let i = 0; i < n; i++) {
    let e = at(i);
    if ((e.flags & TW_USED) != 0 && <u32>e.lport == port) return true;
  }
  return false;
}

/** Expire entries; ms until the next expiry, or -1. */
export function twPoll(): i32 {
  let next = -1;
  if (FEAT_SCALE) {
    while (ageHead >= 0) {
      let e = at(ageHead);
      if (!timeGe(netNow, e.deadline)) return nearer(next, e.deadline);
      twFree(e);
      count(Stat.TcpConnsClosed);
    }
    return next;
  }
  for (let i = 0; i < n; i++) {
    let e = at(i);
    if ((e.flags & TW_USED) == 0) continue;
    if (timeGe(netNow, e.deadline)) { twFree(e); count(Stat.TcpConnsClosed); continue; }
    next = nearer(next, e.deadline);
  }
  return next;
}

/**
 * Write up to `max` rows of TimeWaitRowField.COUNT u32 at `out` (local port, remote port, ms left,
 * family, local and remote address of 16 bytes); rows written.
 */
export function twList(out: usize, max: i32): i32 {
  let k = 0;
  let row = out;
  // (scale build: the entries in use, in their deadline list, oldest first: O(rows), not O(table))
  let i = FEAT_SCALE ? ageHead : 0;
  for (; (FEAT_SCALE ? i >= 0 : i < n) && k < max; i = FEAT_SCALE ? <i32>load<u32>(ageNext + (<usize>i << 2)) - 1 : i + 1) {
    let e = at(i);
    if ((e.flags & TW_USED) == 0) continue;
    let ra = twRaddr(e);
    store<u32>(row, e.lport);
    store<u32>(row, e.rport, TimeWaitRowField.remotePort << 2);
    store<u32>(row, <u32>timeUntil(e.deadline, netNow), TimeWaitRowField.msLeft << 2);
    store<u32>(row, FEAT_IPV6 ? addrFamily(ra) : FAMILY_V4, TimeWaitRowField.family << 2);
    addrCopy(row + (TimeWaitRowField.localAddr << 2), localAddrPtr(<i32>e.laddr));
    addrCopy(row + (TimeWaitRowField.remoteAddr << 2), ra);
    row += TimeWaitRowField.COUNT << 2;
    k++;
  }
  return k;
}

/** Entries in use (tests). */
export function twCount(): i32 {
  if (FEAT_SCALE) return n == 0 ? 0 : twSlots.used;
  let c = 0;
  for (let i = 0; i < n; i++) if ((at(i).flags & TW_USED) != 0) c++;
  return c;
}
