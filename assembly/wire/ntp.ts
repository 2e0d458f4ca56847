// NTP packets (RFC 5905 §7.3; SNTP: RFC 4330 §4): a 48-byte header, timestamps in the NTP
// 64-bit format (32.32 fixed point: seconds since 1900 of the current era + 2^-32 fractions),
// network byte order. Integer only. Accessors over bytes, a validating parse, an emit.
import { count, Stat } from "../stats";

export const NTP_PORT: u16 = 123;
export const NTP_LEN: i32 = 48;
export const NTP_MODE_CLIENT: u32 = 3;
export const NTP_MODE_SERVER: u32 = 4;
export const NTP_VERSION: u32 = 4;
export const NTP_LI_UNSYNC: u32 = 3;
const OFF_REFID: usize = 12;
const OFF_ORIGINATE: usize = 24;
const OFF_RECEIVE: usize = 32;
const OFF_TRANSMIT: usize = 40;

@inline export function ntpLi(p: usize): u32 { return <u32>load<u8>(p) >> 6; }
@inline export function ntpVersion(p: usize): u32 { return (<u32>load<u8>(p) >> 3) & 7; }
@inline export function ntpMode(p: usize): u32 { return <u32>load<u8>(p) & 7; }
@inline export function ntpStratum(p: usize): u32 { return <u32>load<u8>(p, 1); }
/** Reference ID; with stratum 0 the kiss code, 4 ASCII characters (big-endian u32: "RATE" = 0x52415445). */
@inline export function ntpRefId(p: usize): u32 { return bswap<u32>(load<u32>(p + OFF_REFID)); }
@inline export function ntpOriginate(p: usize): u64 { return bswap<u64>(load<u64>(p + OFF_ORIGINATE)); }
@inline export function ntpReceive(p: usize): u64 { return bswap<u64>(load<u64>(p + OFF_RECEIVE)); }
@inline export function ntpTransmit(p: usize): u64 { return bswap<u64>(load<u64>(p + OFF_TRANSMIT)); }

export const KISS_RATE: u32 = 0x52415445; // "RATE"
export const KISS_DENY: u32 = 0x44454e59; // "DENY"
export const KISS_RSTR: u32 = 0x52535452; // "RSTR"

/**
 * Validate a server's reply of `len` bytes at p: at least 48 bytes (extension fields and a MAC
 * may follow), mode 4 (server), version 1-4. 0, or -1 (counted: sntp_bad_format).
 */
export function ntpParse(p: usize, len: i32): i32 {
  if (len < NTP_LEN) { count(Stat.SntpBadFormat); return -1; }
  let v = ntpVersion(p);
  if (ntpMode(p) != NTP_MODE_SERVER || v < 1 || v > 4) { count(Stat.SntpBadFormat); return -1; }
  return 0;
}

/** Write a client request at p (RFC 4330 §5: LI 0, VN 4, mode 3, all else 0 but the transmit timestamp); returns 48. */
export function ntpEmitRequest(p: usize, transmit: u64): i32 {
  memory.fill(p, 0, NTP_LEN);
  store<u8>(p, <u8>((NTP_VERSION << 3) | NTP_MODE_CLIENT));
  store<u64>(p + OFF_TRANSMIT, bswap<u64>(transmit));
  return NTP_LEN;
}

/** Milliseconds (64-bit) as an NTP 32.32 value (exact to the millisecond, integer only). */
export function ntpFromMs(ms: u64): u64 {
  return ((ms / 1000) << 32) | (((ms % 1000) << 32) / 1000);
}

/** A signed 32.32 difference in microseconds, saturated to i64 range that fits i32 callers' split. */
export function ntpDiffUs(d: i64): i64 {
  let neg = d < 0;
  let m: u64 = neg ? <u64>(-d) : <u64>d;
  let us = (m >> 32) * 1000000 + (((m & 0xffffffff) * 1000000) >> 32);
  return neg ? -<i64>us : <i64>us;
}

/** Results of ntpOffsetDelay (static: no allocation). */
export let ntpTheta: i64 = 0;
export let ntpDelta: i64 = 0;

/**
 * RFC 5905 §8 on the four timestamps of one exchange (T1 our transmit, T2 the server's receive,
 * T3 its transmit, T4 our receive), in 32.32 fixed point: offset θ = ((T2 - T1) + (T3 - T4)) / 2
 * and round-trip delay δ = (T4 - T1) - (T3 - T2). Each difference is taken modulo 2^64 and read
 * as signed, so timestamps on both sides of an era boundary (2036) give the right small values;
 * the halving never overflows (floor((a + b) / 2) computed as a/2 + b/2 + carry).
 */
export function ntpOffsetDelay(t1: u64, t2: u64, t3: u64, t4: u64): void {
  let a = <i64>(t2 - t1);
  let b = <i64>(t3 - t4);
  ntpTheta = (a >> 1) + (b >> 1) + ((a & b) & 1);
  ntpDelta = <i64>(t4 - t1) - <i64>(t3 - t2);
}
