// Test-only entry: the whole ABI plus internals that tests exercise directly.
// Built as build/testing.wasm (SIMD) and build/testing.mcu.wasm (no SIMD); never shipped.
export * from "./abi";
export { sum16, sum16Scalar, checksum, pseudoSum, pseudoSum6, incrementalUpdate } from "./checksum";
export { dissect, dissectFieldCount, dissectFieldNames } from "./dissect";
export { ifaceRxCapacity, ifaceTxBuffer, ifaceRegionEnd, arpLookup, arpQueued, testUdpSend } from "./iface";
export { statsBase } from "./stats";
export { udpEmit } from "./wire/udp";
export { dnsReadName, dnsEncodeName } from "./wire/dns";
export { tcpParseAt, tcpParseAt6 } from "./wire/tcp";
export { twCount } from "./tcp/timewait";
import { tupleHash } from "./tcp/isn";

/** tupleHash of 16-byte addresses at two pointers (tests: families never collide). */
export function tupleHashAt(laddr: usize, lport: u32, raddr: usize, rport: u32, tweak: u32): u32 {
  return tupleHash(laddr, lport, raddr, rport, tweak);
}
export { ringFreeCount, tcbFreeCount } from "./tcp/tcb";
export { udpFreeCount } from "./udp";
export { dnsFreeCount } from "./services/dns";
import { ntpOffsetDelay, ntpTheta, ntpDelta, ntpFromMs } from "./wire/ntp";
/** RFC 5905 offset and delay of four 32.32 timestamps: two i64 at `out` (θ, δ). */
export function testNtpOffsetDelay(t1: u64, t2: u64, t3: u64, t4: u64, out: usize): void {
  ntpOffsetDelay(t1, t2, t3, t4);
  store<i64>(out, ntpTheta);
  store<i64>(out, ntpDelta, 8);
}
/** ms as NTP 32.32. */
export function testNtpFromMs(ms: u64): u64 { return ntpFromMs(ms); }
import { FEAT_SCALE } from "./features";
import { scaleBucketCap, timerCount } from "./tcp/index";
/** 1 when the build has the O(1) TCP lookups and the timer heap (features.ts FEAT_SCALE). */
export function scaleBuild(): i32 { return FEAT_SCALE ? 1 : 0; }
/** Before init: at most `n` buckets per lookup table (1 puts every entry in one chain: collisions). */
export function scaleTestBuckets(n: u32): void { scaleBucketCap(n); }
/** TCBs in the timer heap (scale build). */
export function scaleTimers(): i32 { return FEAT_SCALE ? timerCount() : -1; }
