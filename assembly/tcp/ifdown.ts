// The interface lost (or changed) a local address: abort the connections that used it.
// Kept apart from the engine so the interface's run-time configuration touches tcp/ in one place.
import { Err } from "../errors";
import { TcpState, tcbAt, tcbCount } from "./tcb";
import { connClosed } from "./close";
import { FEAT_SCALE } from "../features";
import { byAddrAny, byAddrRemove } from "./index";

/**
 * Every connection whose local address is entry `idx` of the interface's address table
 * (netif.ts) ends now: CLOSED with EADDRNOTAVAIL,
 * reported as an Error event (and kept for tcpInfo / read / write). No RST is sent: the
 * address is no longer ours to send from. Listeners (bound to the wildcard address) and
 * TIME-WAIT survive. Returns the number of connections aborted.
 * Called before the entry changes or is cleared.
 * The scale build visits only the connections listed under the address (tcp/index.ts), taking
 * each out of the list before its events go to the host, so a host that frees others from its
 * event handler cannot leave the walk on a stale entry: O(connections on the address).
 */
export function tcpAddressGone(idx: i32): i32 {
  let n = tcbCount();
  let aborted = 0;
  for (let i = FEAT_SCALE ? byAddrAny(idx) : 0; FEAT_SCALE ? i >= 0 : i < n; i = FEAT_SCALE ? byAddrAny(idx) : i + 1) {
    if (FEAT_SCALE) byAddrRemove(i); // (out of the list before any event: the walk always moves on)
    let t = tcbAt(i);
    if (t.flags == 0) continue;
    let st = t.state;
    if (st <= <u8>TcpState.LISTEN || st == <u8>TcpState.TIME_WAIT) continue; // CLOSED, LISTEN, TIME-WAIT
    if (<i32>t.laddr != idx) continue;
    connClosed(t, Err.EADDRNOTAVAIL);
    aborted++;
  }
  return aborted;
}
