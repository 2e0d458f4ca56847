// IGMPv2 host side (RFC 2236): the groups UDP sockets joined, each reported when joined
// (an unsolicited report, repeated once after a random delay, §3), on queries (General or
// Group-Specific, after a random delay up to Max Resp Time, §3), suppressed when another host
// reports the group first (§3), and left with a Leave Group to 224.0.0.2 (§3) when the last
// socket leaves and we were the last to report. 224.0.0.1 is never reported (§6).
//
// Imports point down: udp.ts (joins) and iface.ts (input, poll) call this file; it sends through
// netif (ipSend: iface adds TTL 1 and the Router Alert option to every IGMP datagram) and keeps
// the interface's filter reference-counted through netif's ipGroupJoin/ipGroupLeave, each reference
// gained or dropped announced by a McastFilter event (builds with IPv6; ip/ipv6.ts does the same).
// Table: Cfg.McastGroups entries from the pool at init; nothing allocated later.
import { cfg, Cfg } from "./config";
import { poolAlloc } from "./pool";
import { count, Stat } from "./stats";
import { Err, EventKind } from "./errors";
import { hostEvent } from "./host";
import { FEAT_IPV6 } from "./features";
import { ipSend, ipTxPayload, localAddr, nearer, netNow, ipGroupJoin, ipGroupLeave } from "./netif";
import {
  PROTO_IGMP, IGMP_QUERY, IGMP_V1_REPORT, IGMP_V2_REPORT, IGMP_LEAVE, IGMP_ALL_HOSTS, IGMP_ALL_ROUTERS,
  igmpParse, igmpEmit, igmpType, igmpMaxResp, igmpGroup,
} from "./wire/igmp";
import { randomU32 } from "./tcp/isn";

/** RFC 2236 §8.10 Unsolicited Report Interval: the repeat of a join's report waits a random 0..this. */
export const IGMP_UNSOLICITED_MS: u32 = 10000;
/** Max Resp Time used for an IGMPv1 query (code 0): 10 s (RFC 2236 §4). */
const V1_MAX_RESP_TENTHS: u32 = 100;

const F_TIMER: u32 = 1;   // a report is scheduled at `deadline` (Delaying Member)
const F_LAST: u32 = 2;    // we sent the latest report heard for the group (RFC 2236 §3 flag)

@unmanaged class IgmpGroup {
  group: u32;     // 0 = free
  refs: u32;      // sockets joined
  deadline: u32;
  flags: u32;
}

let table: usize = 0;
let size: i32 = 0;
let active: i32 = 0; // groups with members: while > 0 the filter holds 224.0.0.1 (queries arrive there)

/** McastFilter events: builds with IPv6 (the IPv4-only MCU module has no room for them). */
const MCAST_EVENTS: bool = FEAT_IPV6;

/**
 * EventKind.McastFilter: the interface's MAC filter gained (`added`) or dropped one reference to
 * the group MAC hi16:lo32 (octets 0-1, 2-5), so that a board can program a hardware filter.
 */
export function mcastEvent(hi16: u32, lo32: u32, added: bool): void {
  if (MCAST_EVENTS) hostEvent(-1 - <i32>(hi16 | (added ? 0 : 0x10000)), EventKind.McastFilter, <i32>lo32);
}

/** IPv4 group g's filter reference (RFC 1112 §6.4 MAC 01:00:5e + its low 23 bits), with its event. */
function filterJoin(g: u32): i32 {
  let r = ipGroupJoin(g);
  if (r >= 0) mcastEvent(0x0100, 0x5e000000 | (g & 0x7fffff), true);
  return r;
}

function filterLeave(g: u32): void {
  if (ipGroupLeave(g) >= 0) mcastEvent(0x0100, 0x5e000000 | (g & 0x7fffff), false);
}

/** Reserve the table (Cfg.McastGroups entries). Called once by init(). */
export function igmpInit(): bool {
  size = <i32>cfg(Cfg.McastGroups);
  if (size <= 0) { size = 0; return true; }
  table = poolAlloc(<usize>size * offsetof<IgmpGroup>());
  return table != 0;
}

@inline function entry(i: i32): IgmpGroup { return changetype<IgmpGroup>(table + <usize>i * offsetof<IgmpGroup>()); }
@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }

function find(g: u32): IgmpGroup | null {
  for (let i = 0; i < size; i++) { let e = entry(i); if (e.refs != 0 && e.group == g) return e; }
  return null;
}

function send(type: u8, group: u32, dst: u32): void {
  if (localAddr == 0) return; // RFC 2236 needs a source address; nothing to report without one
  let n = igmpEmit(ipTxPayload, type, 0, group);
  if (ipSend(dst, PROTO_IGMP, n)) count(type == IGMP_LEAVE ? Stat.IgmpLeavesTx : Stat.IgmpReportsTx);
}

function report(e: IgmpGroup): void {
  send(IGMP_V2_REPORT, e.group, e.group);
  e.flags |= F_LAST;
}

/** Start e's report timer at a random delay in [0, maxMs), or lower it when it is running later (§3). */
function startTimer(e: IgmpGroup, maxMs: u32): void {
  if (maxMs == 0) maxMs = 1;
  let d = randomU32() % maxMs;
  if ((e.flags & F_TIMER) != 0 && before(e.deadline, netNow + d)) return;
  e.deadline = netNow + d;
  e.flags |= F_TIMER;
}

/**
 * A socket joins `g` (multicast, not 224.0.0.1): the filter gains a reference; a group new to
 * the host is reported at once and again after a random delay (RFC 2236 §3). 0, -EINVAL, -ENOMEM.
 */
export function igmpJoin(g: u32): i32 {
  if ((g >> 28) != 0xe || g == IGMP_ALL_HOSTS) return -Err.EINVAL;
  let e = find(g);
  if (e == null) {
    for (let i = 0; i < size; i++) { let f = entry(i); if (f.refs == 0) { e = f; break; } }
    if (e == null) { count(Stat.IgmpTableFull); return -Err.ENOMEM; }
  }
  if (e.refs == 0 && active == 0) {
    let r = filterJoin(IGMP_ALL_HOSTS); // RFC 1112 §4: all hosts belong to 224.0.0.1
    if (r < 0) return r;
  }
  let r = filterJoin(g);
  if (r < 0) {
    if (e.refs == 0 && active == 0) filterLeave(IGMP_ALL_HOSTS);
    return r;
  }
  if (e.refs++ == 0) {
    active++;
    e.group = g;
    e.flags = 0;
    report(e);
    startTimer(e, IGMP_UNSOLICITED_MS);
  }
  return 0;
}

/** A socket leaves `g`: the last one sends a Leave Group to 224.0.0.2 if we reported last (§3). 0 or -EINVAL. */
export function igmpLeave(g: u32): i32 {
  let e = find(g);
  if (e == null) return -Err.EINVAL;
  filterLeave(g);
  if (--e.refs == 0) {
    if ((e.flags & F_LAST) != 0) send(IGMP_LEAVE, g, IGMP_ALL_ROUTERS);
    e.flags = 0;
    e.group = 0;
    if (--active == 0) filterLeave(IGMP_ALL_HOSTS);
  }
  return 0;
}

/** An IGMP message of `len` bytes at p, from `src` to `dst` (host order). */
export function igmpInput(p: usize, len: i32, src: u32, dst: u32): void {
  if (igmpParse(p, len) < 0) return;
  count(Stat.IgmpRx);
  let type = igmpType(p);
  let g = igmpGroup(p);
  if (type == IGMP_QUERY) {
    count(Stat.IgmpQueriesRx);
    let tenths = igmpMaxResp(p);
    if (tenths == 0) tenths = V1_MAX_RESP_TENTHS; // IGMPv1 query
    let maxMs = tenths * 100;
    if (g == 0) {
      for (let i = 0; i < size; i++) { let e = entry(i); if (e.refs != 0) startTimer(e, maxMs); } // General Query
    } else {
      let e = find(g); // Group-Specific Query
      if (e != null) startTimer(e, maxMs);
    }
  } else if (type == IGMP_V2_REPORT || type == IGMP_V1_REPORT) {
    count(Stat.IgmpReportsRx);
    let e = find(g);
    if (e != null && (e.flags & F_TIMER) != 0) { // another member answered first: suppress ours (§3)
      e.flags &= ~(F_TIMER | F_LAST);
      count(Stat.IgmpReportsSuppressed);
    } else if (e != null) {
      e.flags &= ~F_LAST;
    }
  }
  // Leave Group from other hosts and unknown types: nothing to do (§2.1: ignored)
}

/** Send the reports whose time has come; ms until the next one, -1 for none. */
export function igmpPoll(): i32 {
  let next: i32 = -1;
  for (let i = 0; i < size; i++) {
    let e = entry(i);
    if (e.refs == 0 || (e.flags & F_TIMER) == 0) continue;
    if (!before(netNow, e.deadline)) { e.flags &= ~F_TIMER; report(e); continue; }
    next = nearer(next, e.deadline);
  }
  return next;
}
