// Every export of the module, and nothing else. The imports are in host.ts.
// The contract is declared in abi/abi.mjs (names, signatures, numbers; test/abi.test.ts
// checks this module's exports against it) and documented in docs/abi.md.
//
// Call order: configure(key, value)* -> init() -> { rxBuffer()/input(len, now), poll(now) }*
// Times are u32 milliseconds from any origin (wrap-safe); poll returns ms until the
// next deadline (-1 = none) so a board can sleep until then.

import { Cfg, cfgSet } from "./config";
import { Stat, STAT_NAMES, statsBase } from "./stats";
import { poolSeal, poolUsed } from "./pool";
import { ifaceInit, ifaceInput, ifacePoll, ifaceRxBuffer, ifacePing } from "./iface";

import { ABI_VERSION_NUMBER } from "./abi-consts";
export const ABI_VERSION: i32 = ABI_VERSION_NUMBER; // declared in abi/abi.mjs

import { Err, EventKind } from "./errors";
export { Err, EventKind };

let initialized = false;

/** Set one configuration value (see Cfg in config.ts). Before init only. */
export function configure(key: i32, value: u32): i32 {
  if (initialized) return -Err.ESTATE;
  return cfgSet(key, value) ? 0 : -Err.EINVAL;
}

/** Reserve every pool and start the interface. Returns 0 or -Err. */
export function init(): i32 {
  if (initialized) return -Err.ESTATE;
  if (!ifaceInit()) return -Err.ENOMEM;
  if (!socketsInit()) return -Err.ENOMEM;
  poolSeal();
  initialized = true;
  return 0;
}

/** Address where the host places one incoming Ethernet frame (up to MTU + 14 bytes). */
export function rxBuffer(): usize { return ifaceRxBuffer(); }

/** Process the frame of `len` bytes at rxBuffer(). `now` in ms. */
export function input(len: i32, now: u32): void {
  if (!initialized) return;
  ifaceInput(len, now);
}

/** Run timers at time `now`; returns ms until the next deadline, -1 if none. */
export function poll(now: u32): i32 {
  if (!initialized) return -1;
  return ifacePoll(now);
}

/**
 * Send an ICMP echo request to `dst` (host order) with identifier `id`, sequence `seq`
 * and `len` data bytes (0, 1, 2, ...) at time `now`. Replies arrive as event(-1, EchoReply, seq).
 * Returns 0, -EINVAL (bad length), -EHOSTUNREACH (no route, ARP queue full) or -ESTATE.
 */
export function ping(dst: u32, id: i32, seq: i32, len: i32, now: u32): i32 {
  if (!initialized) return -Err.ESTATE;
  let r = ifacePing(dst, <u16>id, <u16>seq, len, now);
  return r == 0 ? 0 : r == 1 ? -Err.EINVAL : -Err.EHOSTUNREACH;
}

/** Counters: statCount() u32 values at statsPtr(); names comma-separated in statNames() (a static UTF-16 string). */
export function statsPtr(): usize { return statsBase(); }
export function statCount(): i32 { return <i32>Stat.COUNT; }
export function statNames(): usize { return changetype<usize>(STAT_NAMES); }

/** Bytes of linear memory reserved by init (the pools). */
export function poolBytes(): i32 { return <i32>poolUsed(); }

export { Cfg };

// TCP sockets (assembly/sockets.ts; documented in docs/abi.md "TCP").
import { socketsInit } from "./sockets";
export {
  tcpOpen, tcpBind, tcpListen, tcpAccept, tcpConnect, ioBuffer, tcpWrite, tcpRead, tcpShutdown, tcpClose,
  tcpAbort, tcpState, tcpInfo, tcpSetOption, tcpSizes, tcpTimeWaitList,
} from "./sockets";
