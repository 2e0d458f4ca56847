// SNTP client (RFC 4330; RFC 5905 client mode), a service on a UDP socket like any application.
// The core has no wall clock: NTP time = the host's ms clock (extended to 64 bits here) + `base`,
// an offset learned from replies (0 before the first: our time then lies in 1900).
//
// Each request comes from a fresh socket bound to a random ephemeral port, carries our NTP time
// as its transmit timestamp (its low 20 bits random, below the clock's millisecond resolution, so
// a blind attacker cannot guess it). A reply is read at the next poll and accepted only when it
// comes from the server queried on port 123 (sntp_bad_source), parses as mode 4 version 1-4
// (sntp_bad_format), echoes our transmit timestamp as its originate timestamp (RFC 4330 §5;
// sntp_bad_origin), is no kiss-o'-death (stratum 0, RFC 4330 §8: RATE doubles the poll interval,
// DENY/RSTR stop the client; sntp_kiss), is synchronized (LI != 3, stratum <= 15;
// sntp_unsynchronized) and has a non-zero transmit timestamp (sntp_zero_transmit).
// Offset θ and delay δ follow RFC 5905 §8 in 64-bit two's complement 32.32 fixed point: every
// timestamp difference is taken modulo 2^64, so the 2036 era wrap needs no special case.
// Unanswered requests are retried after 1, 2, 4 and 8 s (sntp_timeouts), then the next poll.
// Server 0 means the NTP servers DHCP learned (option 42, services/ntplist.ts): the first, and
// after each unanswered request the next in the list; every poll starts again from the first.
import { count, Stat } from "../stats";
import { Err, EventKind } from "../errors";
import { hostEvent } from "../host";
import { nearer, netNow } from "../netif";
import { udpOpen, udpBind, udpSendTo, udpRecvFrom, udpClose } from "../udp";
import { randomU32 } from "../tcp/isn";
import { ntpListGet, ntpListCount } from "./ntplist";
import {
  NTP_LEN, NTP_PORT, NTP_LI_UNSYNC, KISS_RATE, KISS_DENY, KISS_RSTR, ntpParse, ntpEmitRequest, ntpFromMs,
  ntpDiffUs, ntpOffsetDelay, ntpTheta, ntpDelta, ntpLi, ntpStratum, ntpRefId, ntpOriginate, ntpReceive, ntpTransmit,
} from "../wire/ntp";

export const SNTP_STOPPED: u32 = 0;
export const SNTP_WAITING: u32 = 1;
export const SNTP_IDLE: u32 = 2;
export const SNTP_DENIED: u32 = 3;
const RETRY_FIRST_MS: u32 = 1000;
const MAX_TRIES: u32 = 5;                 // the request and 4 retries (1, 2, 4, 8 s)
const DEFAULT_INTERVAL_S: u32 = 1024;
const MIN_INTERVAL_S: u32 = 16;           // RFC 4330 §10: no more often than once a minute is
const MAX_INTERVAL_S: u32 = 129600;       // asked of clients; 16 s is NTP's minimum poll (36 h max)
const RX_MAX: i32 = 68;                   // 48 + room to see longer replies (their rest is discarded)

const txBuf: usize = memory.data(NTP_LEN, 8);
const rxBuf: usize = memory.data(RX_MAX, 8);
const fromBuf: usize = memory.data(12, 4);

let state: u32 = SNTP_STOPPED;
let server: u32 = 0;
let fromDhcp = false;       // sntpStart(0): servers from the DHCP list, `pick` the one in use
let pick: i32 = 0;
let sock: i32 = 0;
let intervalS: u32 = DEFAULT_INTERVAL_S;
let deadline: u32 = 0;
let tries: u32 = 0;
let t1: u64 = 0;            // our transmit timestamp of the outstanding request (0 = none)
let base: u64 = 0;          // NTP time - clock
let clk: u64 = 0;           // the host's ms clock extended to 64 bits
let lastNow: u32 = 0;
let synced: u32 = 0;
let offset: i64 = 0;
let delay: i64 = 0;
/** The local clock's precision in 32.32 fixed point: 1 ms (netNow ticks in ms). */
const PRECISION: i64 = 4294968; // 2^32 / 1000, rounded up
let stratum: u32 = 0;
let kiss: u32 = 0;
let syncs: u32 = 0;
let requests: u32 = 0;

@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }

/** The extended clock (ms): advanced by the u32 clock's progress since the last call. */
function clock(): u64 {
  clk += <u64>(netNow - lastNow);
  lastNow = netNow;
  return clk;
}

/** Our NTP time now (32.32). */
export function sntpNow(): u64 { return base + ntpFromMs(clock()); }

function closeSock(): void {
  if (sock > 0) udpClose(sock);
  sock = 0;
}

function request(): void {
  closeSock();
  t1 = 0;
  deadline = netNow + (RETRY_FIRST_MS << (tries < MAX_TRIES ? tries : MAX_TRIES - 1));
  let h = udpOpen();
  if (h < 0) return; // no socket free now: retried at the deadline
  if (udpBind(h, 0) < 0) { udpClose(h); return; } // RFC 6056: a random ephemeral port
  sock = h;
  let t = (sntpNow() & ~<u64>0xfffff) | <u64>(randomU32() & 0xfffff);
  if (t == 0) t = 1;
  ntpEmitRequest(txBuf, t);
  if (udpSendTo(h, server, <i32>NTP_PORT, txBuf, NTP_LEN) == NTP_LEN) {
    t1 = t;
    requests++;
    count(Stat.SntpTx);
  }
}

function schedule(ms: u32): void {
  closeSock();
  t1 = 0;
  tries = 0;
  state = SNTP_IDLE;
  deadline = netNow + ms;
}

/** With DHCP's servers: server `i` of the list (wrapping); false when the list is empty. */
function pickServer(i: i32): bool {
  let n = ntpListCount();
  if (n == 0) return false;
  pick = i % n;
  server = ntpListGet(pick);
  return true;
}

/** Start (or restart) the client: query `srv` (0: DHCP's NTP servers) now, then every `interval` s. 0 or -Err. */
export function sntpStart(srv: u32, interval: i32): i32 {
  if (srv == 0xffffffff || srv >= 0xe0000000) return -Err.EINVAL;
  if (interval == 0) interval = <i32>DEFAULT_INTERVAL_S;
  if (interval < <i32>MIN_INTERVAL_S || interval > 86400) return -Err.EINVAL;
  if (srv == 0 && ntpListCount() == 0) return -Err.EADDRNOTAVAIL; // no NTP server from DHCP (yet)
  clock();
  closeSock();
  let h = udpOpen(); // check a socket is available now
  if (h < 0) return h;
  udpClose(h);
  fromDhcp = srv == 0;
  if (fromDhcp) pickServer(0);
  else server = srv;
  intervalS = <u32>interval;
  kiss = 0;
  tries = 0;
  state = SNTP_WAITING;
  request();
  return 0;
}

/** Stop the client; the time learned is kept. */
export function sntpStop(): i32 {
  closeSock();
  t1 = 0;
  if (state != SNTP_DENIED) state = SNTP_STOPPED;
  return 0;
}

function input(len: i32): void {
  count(Stat.SntpRx);
  let p = rxBuf;
  if (load<u32>(fromBuf) != server || load<u32>(fromBuf, 4) != <u32>NTP_PORT) { count(Stat.SntpBadSource); return; }
  if (ntpParse(p, len) < 0) return;
  if (state != SNTP_WAITING || t1 == 0 || ntpOriginate(p) != t1) { count(Stat.SntpBadOrigin); return; }
  let st = ntpStratum(p);
  if (st == 0) { // kiss-o'-death (RFC 4330 §8)
    count(Stat.SntpKiss);
    let code = ntpRefId(p);
    if (code == KISS_DENY || code == KISS_RSTR) {
      kiss = code;
      closeSock();
      t1 = 0;
      state = SNTP_DENIED;
    } else if (code == KISS_RATE) {
      kiss = code;
      intervalS = intervalS * 2 > MAX_INTERVAL_S ? MAX_INTERVAL_S : intervalS * 2;
      schedule(intervalS * 1000);
    }
    return; // other kiss codes: ignored, the request stays outstanding
  }
  if (ntpLi(p) == NTP_LI_UNSYNC || st > 15) { count(Stat.SntpUnsynchronized); return; }
  let t3 = ntpTransmit(p);
  if (t3 == 0) { count(Stat.SntpZeroTransmit); return; }
  let t2 = ntpReceive(p);
  let t4 = sntpNow();
  ntpOffsetDelay(t1, t2, t3, t4); // RFC 5905 §8, modulo 2^64
  let theta = ntpTheta;
  // RFC 5905 §8 / A.5.1.1: the delay is at least the local clock's precision. Our clock ticks in
  // ms, so a fast server (its T3 - T2 measured finer than our T4 - T1) would otherwise give a
  // negative round trip.
  delay = ntpDelta < PRECISION ? PRECISION : ntpDelta;
  offset = theta;
  base += <u64>theta;
  stratum = st;
  synced = 1;
  syncs++;
  schedule(intervalS * 1000);
  let ms = ntpDiffUs(theta) / 1000;
  hostEvent(-1, EventKind.SntpSync, ms > 0x7fffffff ? 0x7fffffff : ms < -0x7fffffff ? -0x7fffffff : <i32>ms);
}

/** Read replies, send requests and retries that are due; ms until the next deadline, -1 for none. */
export function sntpPoll(): i32 {
  clock();
  if (state == SNTP_STOPPED || state == SNTP_DENIED) return -1;
  if (sock > 0) {
    for (let n = 0; n < 8 && sock > 0; n++) {
      let r = udpRecvFrom(sock, rxBuf, RX_MAX, fromBuf);
      if (r < 0) break;
      input(load<u32>(fromBuf, 8) > <u32>RX_MAX ? RX_MAX : r);
    }
  }
  if (state == SNTP_STOPPED || state == SNTP_DENIED) return -1;
  if (!before(netNow, deadline)) {
    if (state == SNTP_IDLE) {
      if (fromDhcp && !pickServer(0)) schedule(intervalS * 1000); // the lease (and its servers) went: wait
      else { state = SNTP_WAITING; tries = 0; request(); }
    } else if (++tries < MAX_TRIES) {
      count(Stat.SntpTimeouts);
      if (fromDhcp && !pickServer(pick + 1)) schedule(intervalS * 1000);
      else request();
    } else { count(Stat.SntpTimeouts); schedule(intervalS * 1000); }
  }
  return nearer(-1, deadline);
}

/** `v` limited to ±0x7fffffff. */
function clamp32(v: i64): i32 { return v > 0x7fffffff ? 0x7fffffff : v < -0x7fffffff ? -0x7fffffff : <i32>v; }

/** The sntpInfo fields (SntpInfoField) at `out` (the caller checked the range). */
export function sntpInfoWrite(out: usize): void {
  let now = sntpNow();
  store<u32>(out, state);
  store<u32>(out, server, 4);
  store<u32>(out, synced, 8);
  store<u32>(out, synced != 0 ? <u32>(now >> 32) : 0, 12);
  store<u32>(out, synced != 0 ? <u32>now : 0, 16);
  let us = ntpDiffUs(offset);
  let sec = us / 1000000;
  store<i32>(out, clamp32(sec), 20);
  store<i32>(out, <i32>(us % 1000000), 24);
  let dus = ntpDiffUs(delay);
  store<i32>(out, clamp32(dus), 28);
  store<u32>(out, stratum, 32);
  store<u32>(out, intervalS, 36);
  store<u32>(out, kiss, 40);
  store<u32>(out, syncs, 44);
  store<u32>(out, requests, 48);
  let left = <i32>(deadline - netNow);
  store<u32>(out, state == SNTP_WAITING || state == SNTP_IDLE ? <u32>(left < 0 ? 0 : left) : 0, 52);
}
