// The interface: MAC/IPv4 configuration, ARP cache and pending queue, IPv4 in/out,
// ICMP echo. (Skeleton: the foundation work fills this in.)
import { count, Stat } from "./stats";
import { poolAlloc } from "./pool";

let rxBuf: usize = 0;

export function ifaceInit(): bool {
  rxBuf = poolAlloc(2048);
  return rxBuf != 0;
}

export function ifaceRxBuffer(): usize { return rxBuf; }

export function ifaceInput(len: i32, now: u32): void {
  count(Stat.RxFrames);
}

/** Run timers; returns ms until the next deadline, or -1 for none. */
export function ifacePoll(now: u32): i32 { return -1; }
