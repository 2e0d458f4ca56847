// The IPv6 layer's calls UDP and TCP make (fragmented sends, socket groups, reachability confirmation) without importing ip/ipv6.ts,
// which imports udp.ts (imports point down the data path): ip6Init hands over its functions, as
// it does netif's (netifSetup6). A leaf. Until then (IPv6 off) the calls fail; the references
// start null so that a build without IPv6 links none of this.
import { Err } from "../errors";

/** IPv6 groups UDP sockets may have joined at once, interface-wide (ip/ipv6.ts's group table). */
export const GROUPS6: i32 = 4;

type Gather = (src: usize, dst: usize, nh: u8, head: usize, headLen: i32, body: usize, bodyLen: i32) => i32;
let gatherFn: Gather | null = null;
/** The group table's operations behind one reference (each costs static data in the MCU build). */
let groupFn: ((op: i32, arg: usize) => i32) | null = null;
export const GROUP_INDEX: i32 = 0;
export const GROUP_JOIN: i32 = 1;
export const GROUP_LEAVE: i32 = 2;
export const GROUP_CONFIRM: i32 = 3;

export function ip6OpsSetup(gather: Gather, group: (op: i32, arg: usize) => i32): void {
  gatherFn = gather; groupFn = group;
}

/** ip6SendGather: head + body as one IPv6 packet, in fragments over the path MTU (RFC 8200 §4.5): 0, -EAGAIN (the fragments cannot all wait for resolution), -EHOSTUNREACH. */
export function ip6Gather(src: usize, dst: usize, nh: u8, head: usize, headLen: i32, body: usize, bodyLen: i32): i32 {
  let f = gatherFn;
  return f != null ? f(src, dst, nh, head, headLen, body, bodyLen) : -Err.EHOSTUNREACH;
}
/** ip6GroupIndex: the group table entry of the 16 bytes at g, or -1. */
export function ip6GroupIdx(g: usize): i32 { let f = groupFn; return f != null ? f(GROUP_INDEX, g) : -1; }
/** ip6GroupJoin: a reference to group g (MAC filter, MLDv2 report when new): the entry or -Err. */
export function ip6GroupRef(g: usize): i32 { let f = groupFn; return f != null ? f(GROUP_JOIN, g) : -Err.ENOSYS; }
/** RFC 4861 §7.3.1: the peer at the 16 bytes at `a` acknowledged new data: its first hop is reachable. */
export function ip6Confirm(a: usize): void { let f = groupFn; if (f != null) f(GROUP_CONFIRM, a); }
/** ip6GroupLeave: drop a reference to entry k (the last one leaves and reports it). */
export function ip6GroupUnref(k: i32): void { let f = groupFn; if (f != null) f(GROUP_LEAVE, <usize>k); }
