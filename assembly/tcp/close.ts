// Leaving a connection: CLOSED (with the error reported to the host) and TIME-WAIT
// (kept in the TCB while the user still holds the handle, else moved to the compact table).
import { count, Stat } from "../stats";
import { Err, EventKind } from "../errors";
import { netNow } from "../netif";
import { addrCopy } from "../ip/addr";
import {
  F_ACKNOW, F_CHILD, F_PERSIST, F_T_KEEP, F_T_RTX, F_TS, F_USER_CLOSED, Tcb, TcpState, hasFlag, setFlag, clearFlag, raddrOf, rcvWnd, setState, timerArmed,
  ringReleaseIfDone, tcbEvent, tcbFree,
} from "./tcb";
import { TW_TS, TW_USED, twAlloc, twDuration, twIndexed, twRaddr } from "./timewait";

/**
 * The connection reached CLOSED. `err` (0 = none) is reported as a Reset (ECONNRESET)
 * or Error event and kept for tcpInfo. The TCB is released when the user no longer
 * holds it (closed, or an unaccepted child); otherwise it stays CLOSED until tcpClose.
 */
export function connClosed(t: Tcb, err: Err): void {
  let from = t.state;
  setState(t, TcpState.CLOSED);
  clearFlag(t, (F_T_RTX | F_T_KEEP | F_ACKNOW));
  if (err != Err.OK) {
    t.err = <u8>err;
    count(Stat.TcpConnsAborted);
    tcbEvent(t, err == Err.ECONNRESET ? EventKind.Reset : EventKind.Error, <i32>err);
  } else {
    count(Stat.TcpConnsClosed);
  }
  if (from != <u8>TcpState.CLOSED) tcbEvent(t, EventKind.Closed, <i32>err);
  if (hasFlag(t, F_USER_CLOSED) || hasFlag(t, F_CHILD)) tcbFree(t);
  else ringReleaseIfDone(t); // the user keeps the handle; the rings go once it has read everything
}

/** Enter TIME-WAIT: a closed-by-user connection moves into the compact table and frees its TCB. */
/** The timer of an orphan FIN-WAIT-2 or a TIME-WAIT held in the TCB: 2 * MSL from now. */
export function armTwTimer(t: Tcb): void {
  t.keepDeadline = netNow + twDuration();
  setFlag(t, F_T_KEEP);
  timerArmed(t, t.keepDeadline);
}

export function enterTimeWait(t: Tcb): void {
  setState(t, TcpState.TIME_WAIT);
  clearFlag(t, (F_T_RTX | F_PERSIST));
  if (hasFlag(t, F_USER_CLOSED) || hasFlag(t, F_CHILD)) {
    moveToTimeWait(t);
  } else {
    armTwTimer(t);
    ringReleaseIfDone(t);
  }
}

/** Hand a TIME-WAIT connection to the compact table and release its TCB. */
export function moveToTimeWait(t: Tcb): void {
  let e = twAlloc();
  if (e != null) {
    addrCopy(twRaddr(e), raddrOf(t)); e.laddr = t.laddr; e.lport = t.lport; e.rport = t.rport;
    e.sndNxt = t.sndNxt; e.rcvNxt = t.rcvNxt;
    e.deadline = netNow + twDuration();
    e.tsRecent = t.tsRecent; e.tsOffset = t.tsOffset;
    let w = rcvWnd(t) >> t.rcvWscale;
    e.wnd = <u16>(w > 0xffff ? 0xffff : w);
    e.flags = TW_USED | (hasFlag(t, F_TS) ? TW_TS : 0);
    twIndexed(e);
  }
  tcbEvent(t, EventKind.Closed, 0);
  tcbFree(t);
}

