// DHCP client (RFC 2131) with address conflict detection (RFC 5227), run like an application:
// one UDP socket bound to port 68 (udp.ts), the interface's run-time calls (ifaceSetIpv4,
// ifaceClearIpv4, ifaceSetDns) and its narrow ACD hooks (ifaceAcdWatch / ifaceAcdConflicts /
// ifaceArpProbe). abi.ts calls dhcpRun after every input and poll; nothing below imports this.
//
// States (dhcpInfo.state, DhcpState events):
//   STOPPED -> INIT -> SELECTING -(OFFER)-> REQUESTING -(ACK)-> CHECKING -(no conflict)-> BOUND
//   BOUND -(T1)-> RENEWING -(T2)-> REBINDING -(expiry)-> INIT;  ACK in RENEWING/REBINDING -> BOUND
//   a remembered address: INIT-REBOOT -> REBOOTING -(ACK)-> CHECKING;  NAK anywhere -> INIT
//   CHECKING -(conflict)-> DECLINE, INIT (10 s, RFC 2131 §3.1.5);  dhcpStop -> STOPPED (RELEASE)
//
// Before dhcpStart the host may set a host name (option 12), a client identifier (option 61,
// default type 1 + the MAC) and an address remembered from an earlier boot (INIT-REBOOT, §3.2).
// Option 42's NTP servers go to services/ntplist.ts, where the SNTP client finds them.
//
// Times are netNow (u32 ms, wrap-safe). The lease clock is a u64 of elapsed ms advanced by
// the u32 deltas between runs, so leases up to 2^32-1 s never overflow; the deadline returned
// to poll is capped at 2^30 ms so a host polls well within the u32 wrap.
import { cfg, Cfg } from "../config";
import { count, Stat } from "../stats";
import { Err, EventKind } from "../errors";
import { hostEvent } from "../host";
import { poolAlloc } from "../pool";
import { netNow, ipMtu } from "../netif";
import { udpOpen, udpBind, udpClose, udpRecvFrom, udpSendTo, udpSetOption } from "../udp";
import { UdpOpt } from "../abi-consts";
import {
  ifaceSetIpv4, ifaceClearIpv4, validHost, ifaceSetDns, ifaceAcdWatch, ifaceAcdConflicts, ifaceArpProbe, ifaceArpAnnounce, arpLookup,
} from "../iface";
import { randomU32 } from "../tcp/isn"; // the stack's keyed PRNG (SipHash over the host's entropy)
import { validRange } from "../pool";
import { ntpListSet } from "./ntplist";
import { macStore } from "../wire/ethernet";
import {
  DhcpOptions, dhcpParse, dhcpOpts, dhcpEmit, dhcpOp, dhcpXid, dhcpHtype, dhcpHlen, dhcpChaddr, dhcpYiaddr,
  optU16, optU32, optEnd, optBytes, BOOTREPLY, HTYPE_ETHERNET, FLAG_BROADCAST,
  DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK, DHCPRELEASE,
  OPT_REQUESTED_IP, OPT_SERVER_ID, OPT_PARAM_LIST, OPT_MAX_MSG_SIZE, OPT_CLIENT_ID, OPT_HOSTNAME, DHCP_FIXED,
} from "../wire/dhcp";

export const DHCP_STOPPED: i32 = 0;
export const DHCP_INIT: i32 = 1;
export const DHCP_SELECTING: i32 = 2;
export const DHCP_REQUESTING: i32 = 3;
export const DHCP_CHECKING: i32 = 4;
export const DHCP_BOUND: i32 = 5;
export const DHCP_RENEWING: i32 = 6;
export const DHCP_REBINDING: i32 = 7;
export const DHCP_INIT_REBOOT: i32 = 8;
export const DHCP_REBOOTING: i32 = 9;

export const DHCP_SERVER_PORT: i32 = 67;
export const DHCP_CLIENT_PORT: i32 = 68;

/** DhcpFlags bits. */
const F_BROADCAST: u32 = 1;
const F_NO_ACD: u32 = 2;
const F_INIT_WAIT: u32 = 4;

/** RFC 2131 §4.1: first retransmission after 4 s, doubling up to 64 s, each ±1 s. */
const RTX_FIRST_MS: u32 = 4000;
const RTX_MAX_MS: u32 = 64000;
/** REQUEST (and INIT-REBOOT REQUEST) retransmissions before starting over with DISCOVER. */
const REQUEST_RETRIES: u32 = 4;
/** RFC 2131 §4.4.5: in RENEWING/REBINDING wait half the time left, at least 60 s. */
const RENEW_MIN_MS: u64 = 60000;
/** RFC 2131 §3.1.5: after a DHCPDECLINE wait at least 10 s before DISCOVER. */
const DECLINE_WAIT_MS: u32 = 10000;
/** RFC 5227 §1.1: PROBE_WAIT 1 s, PROBE_NUM 3, PROBE_MIN 1 s, PROBE_MAX 2 s, ANNOUNCE_WAIT 2 s. */
const PROBE_WAIT_MS: u32 = 1000;
const PROBE_NUM: u32 = 3;
const PROBE_MIN_MS: u32 = 1000;
const PROBE_MAX_MS: u32 = 2000;
const ANNOUNCE_WAIT_MS: u32 = 2000;
const ANNOUNCE_INTERVAL_MS: u32 = 2000;
/** The longest wait handed to poll (the u32 clock must not wrap between two runs). */
const MAX_WAIT_MS: u64 = 0x40000000;
const INFINITE: u32 = 0xffffffff;
/** Receive buffer: DHCP messages up to this many bytes (longer ones are dropped, dhcp_truncated). */
const RX_CAP: i32 = 1024;
/** 240 + type 3 + client id 2+64 + options 50, 54 (6 each) + 57 (4) + 55 (10) + host name 2+63 + END. */
const TX_CAP: i32 = 416;
/** RFC 1123 §2.1 label: 1..63 letters, digits and hyphens. */
export const HOSTNAME_MAX: i32 = 63;
/** RFC 2132 §9.14: at least 2 octets; our bound 64 (a type octet + a DUID or a MAC fits). */
export const CLIENT_ID_MIN: i32 = 2;
export const CLIENT_ID_MAX: i32 = 64;

let sock: i32 = 0;
let state: i32 = DHCP_STOPPED;
let rxBuf: usize = 0;
let txBuf: usize = 0;
const fromOut: usize = memory.data(12, 4);
/** Option 55, the parameter request list: subnet mask, router, DNS, domain name, NTP servers, lease, T1, T2. */
const PARAM_LIST_LEN: i32 = 10;
const PARAM_LIST: usize = memory.data<u8>([OPT_PARAM_LIST, 8, 1, 3, 6, 15, 42, 51, 58, 59]);
/** The host's option 12 and option 61 values (set before dhcpStart; length 0 = none / the default). */
const hostName: usize = memory.data(HOSTNAME_MAX, 1);
let hostNameLen: i32 = 0;
const clientId: usize = memory.data(CLIENT_ID_MAX, 1);
let clientIdLen: i32 = 0;
let mac: u64 = 0;

let xid: u32 = 0;
let retries: u32 = 0;
let timerOn = false;
let timerAt: u32 = 0;
let exchStart: u32 = 0;   // first transmission of this exchange (the lease counts from here)
let acqStart: u32 = 0;    // start of acquisition or renewal (the secs field)
let probes: u32 = 0;
let declines: u32 = 0;

let offered: u32 = 0;     // yiaddr on offer / leased
let server: u32 = 0;
let remembered: u32 = 0;  // INIT-REBOOT address (kept across dhcpStop(0))
let prefix: i32 = 0;
let router: u32 = 0;
// The lease's servers as dhcpParse lists them (DhcpOptions from dnsCount): u32 dnsCount, dns[3],
// ntpCount, ntp[3] (unused entries 0); one block copied from the ACK, read by index.
const SRV_BYTES: usize = 32;
const servers: usize = memory.data(<i32>SRV_BYTES, 4);
const NTP_AT: usize = offsetof<DhcpOptions>("ntpCount") - offsetof<DhcpOptions>("dnsCount"); // 16
let leaseS: u32 = 0;
let t1Ms: u64 = 0; let t2Ms: u64 = 0; let leaseMs: u64 = 0;
let elapsed: u64 = 0;     // ms since the lease began
let lastRun: u32 = 0;
let haveAddr = false;     // the interface holds our leased address

/** Reserve the message buffers (from init: no allocation later). */
export function dhcpInit(): bool {
  rxBuf = poolAlloc(<usize>(RX_CAP + TX_CAP));
  txBuf = rxBuf + <usize>RX_CAP;
  mac = (<u64>(cfg(Cfg.MacHi) & 0xffff) << 32) | <u64>cfg(Cfg.MacLo);
  return rxBuf != 0;
}

@inline function before(a: u32, b: u32): bool { return <i32>(a - b) < 0; }

function setState(s: i32): void {
  if (state == s) return;
  state = s;
  hostEvent(-1, EventKind.DhcpState, s);
}

function armIn(ms: u32): void { timerOn = true; timerAt = netNow + ms; }

/** RFC 2131 §4.1 backoff: 4, 8, 16, 32, 64, 64... s after each transmission, randomized by ±1 s. */
function armBackoff(): void {
  let d = RTX_FIRST_MS;
  for (let i: u32 = 0; i < retries && d < RTX_MAX_MS; i++) d <<= 1;
  if (d > RTX_MAX_MS) d = RTX_MAX_MS;
  armIn(d - 1000 + randomU32() % 2001);
}

function newExchange(): void {
  xid = randomU32();
  retries = 0;
  exchStart = netNow;
}

/** Build and send one message; `dst` 0xffffffff = broadcast. Options per RFC 2131 Table 5. */
function send(type: u8, ciaddr: u32, reqIp: u32, sid: u32, dst: u32): void {
  let p = txBuf;
  let secs = (netNow - acqStart) / 1000;
  if (secs > 0xffff) secs = 0xffff;
  let bcastFlag = (cfg(Cfg.DhcpFlags) & F_BROADCAST) != 0 && (type == DHCPDISCOVER || type == DHCPREQUEST) && ciaddr == 0;
  // DECLINE and RELEASE carry secs 0 (Table 5)
  let at = dhcpEmit(p, type, xid, type == DHCPDECLINE || type == DHCPRELEASE ? 0 : <u16>secs,
    bcastFlag ? FLAG_BROADCAST : 0, ciaddr, mac);
  // client identifier 61: the host's, or hardware type 1 + the MAC (RFC 2132 §9.14)
  if (clientIdLen > 0) at = optBytes(p, at, OPT_CLIENT_ID, clientId, clientIdLen);
  else {
    let q = p + <usize>at;
    store<u32>(q, <u32>OPT_CLIENT_ID | 7 << 8 | <u32>HTYPE_ETHERNET << 16); // (its last byte: the MAC's first, below)
    macStore(q + 3, mac);
    at += 9;
  }
  if (reqIp != 0) at = optU32(p, at, OPT_REQUESTED_IP, reqIp);
  if (sid != 0) at = optU32(p, at, OPT_SERVER_ID, sid);
  if (type == DHCPDISCOVER || type == DHCPREQUEST) {
    let mx = RX_CAP + 28;
    if (mx > ipMtu) mx = ipMtu;
    at = optU16(p, at, OPT_MAX_MSG_SIZE, <u16>mx);
    memory.copy(p + <usize>at, PARAM_LIST, <usize>PARAM_LIST_LEN);
    at += PARAM_LIST_LEN;
    // RFC 2132 §3.14 host name, in DISCOVER and REQUEST (so a server can register it in DNS)
    if (hostNameLen > 0) at = optBytes(p, at, OPT_HOSTNAME, hostName, hostNameLen);
  }
  let n = optEnd(p, at);
  if (udpSendTo(sock, dst, DHCP_SERVER_PORT, p, n) > 0) count(Stat.DhcpTx);
}

/** BOUND, RENEWING or REBINDING: we hold a lease. */
@inline function leased(): bool { return <u32>(state - DHCP_BOUND) < 3; }

/**
 * (Re)send the message of the current state and arm its retransmission: DISCOVER (SELECTING);
 * REQUEST for the offer (REQUESTING, with the server id) or the remembered address (REBOOTING),
 * broadcast, on the §4.1 backoff; REQUEST from the leased address (RENEWING: unicast to the
 * server until T2; REBINDING: broadcast until expiry), §4.4.5 timing.
 */
function transmit(): void {
  let st = state;
  if (st == DHCP_SELECTING) {
    send(DHCPDISCOVER, 0, 0, 0, 0xffffffff);
  } else if (st >= DHCP_RENEWING && st <= DHCP_REBINDING) {
    let renewing = st == DHCP_RENEWING;
    send(DHCPREQUEST, offered, 0, 0, renewing ? server : 0xffffffff);
    armRenew(renewing ? t2Ms : leaseMs);
    return;
  } else {
    send(DHCPREQUEST, 0, offered, st == DHCP_REQUESTING ? server : 0, 0xffffffff);
  }
  armBackoff();
}

/** A new exchange (fresh xid, secs from now) in state `st`, its first message sent. */
function begin(st: i32): void {
  newExchange();
  acqStart = netNow;
  setState(st);
  transmit();
}

// --- entering states ---

function startDiscover(): void {
  offered = 0;
  server = 0;
  begin(DHCP_SELECTING);
}

/** INIT; DISCOVER after `wait` ms (0: at once). */
function toInit(wait: u32): void {
  setState(DHCP_INIT);
  if (wait == 0) startDiscover();
  else armIn(wait);
}

function startReboot(): void {
  setState(DHCP_INIT_REBOOT);
  offered = remembered;
  server = 0;
  begin(DHCP_REBOOTING);
}

/** The lease's DNS servers (ifaceSetDns) and NTP servers (option 42) while we hold an address, none after. */
function applyServers(): void {
  let on = haveAddr;
  for (let i = 0; i < 3; i++) ifaceSetDns(i, on ? load<u32>(servers + 4 + (<usize>i << 2)) : 0);
  let ntp = servers + NTP_AT;
  ntpListSet(on ? load<i32>(ntp) : 0, load<u32>(ntp, 4), load<u32>(ntp, 8), load<u32>(ntp, 12));
}

function dropAddress(): void {
  if (haveAddr) {
    ifaceClearIpv4();
    haveAddr = false;
    applyServers();
  }
  ifaceAcdWatch(0);
}

function prefixOf(mask: u32, has: bool, addr: u32): i32 {
  if (has) {
    let n = <i32>clz<u32>(~mask);
    if (n == 32 || mask == <u32>(0xffffffff << (32 - n))) return n;
  }
  // RFC 2131 §2.2 / RFC 1122: no (or a non-contiguous) mask: the classful default
  return addr < 0x80000000 ? 8 : addr < 0xc0000000 ? 16 : 24;
}

/** Take the ACK's parameters (dhcpOpts) for `addr`; false when the ACK is unusable. */
function takeLease(addr: u32): bool {
  let o = dhcpOpts;
  if (!o.hasLease || o.lease == 0 || !validHost(addr)) {
    count(Stat.DhcpBadOffer);
    return false;
  }
  if (o.serverId != 0) server = o.serverId;
  offered = addr;
  prefix = prefixOf(o.mask, o.hasMask, addr);
  router = o.router;
  memory.copy(servers, changetype<usize>(o) + offsetof<DhcpOptions>("dnsCount"), SRV_BYTES);
  leaseS = o.lease;
  leaseMs = <u64>o.lease * 1000;
  // RFC 2131 §4.4.5: T1 0.5 and T2 0.875 of the lease unless the server says, T1 <= T2 <= lease
  let t1 = o.t1 != 0 ? <u64>o.t1 * 1000 : leaseMs >> 1;
  let t2 = o.t2 != 0 ? <u64>o.t2 * 1000 : (leaseMs * 7) >> 3;
  if (t2 > leaseMs || t1 > t2) { t1 = leaseMs >> 1; t2 = (leaseMs * 7) >> 3; }
  t1Ms = t1; t2Ms = t2;
  elapsed = <u64>(netNow - exchStart); // the lease began when the REQUEST was first sent
  lastRun = netNow;
  return true;
}

function startChecking(): void {
  if ((cfg(Cfg.DhcpFlags) & F_NO_ACD) != 0) { bind(); return; }
  setState(DHCP_CHECKING);
  probes = 0;
  ifaceAcdWatch(offered);
  armIn(randomU32() % (PROBE_WAIT_MS + 1)); // RFC 5227 §2.1.1: a random 0..PROBE_WAIT before the first probe
}

function bind(): void {
  ifaceAcdWatch(0);
  timerOn = false;
  let r = ifaceSetIpv4(offered, prefix, router);
  if (r < 0 && router != 0) { router = 0; r = ifaceSetIpv4(offered, prefix, 0); }
  if (r < 0) { count(Stat.DhcpBadOffer); decline(); return; }
  haveAddr = true;
  applyServers();
  remembered = offered;
  setState(DHCP_BOUND);
  // RFC 5227 §2.3: ANNOUNCE_NUM 2 announcements ANNOUNCE_INTERVAL 2 s apart (ifaceSetIpv4 sent the first)
  if (r == 0) armIn(ANNOUNCE_INTERVAL_MS);
}

function decline(): void {
  newExchange();
  send(DHCPDECLINE, 0, offered, server, 0xffffffff);
  count(Stat.DhcpDeclinesTx);
  declines++;
  dropAddress();
  remembered = 0;
  offered = 0;
  toInit(DECLINE_WAIT_MS);
}

function restart(): void {
  dropAddress();
  remembered = 0;
  toInit(0);
}

// --- timers ---

function runTimers(): void {
  let now = netNow;
  if (leased()) {
    elapsed += <u64>(now - lastRun);
    lastRun = now;
    if (leaseS != INFINITE) {
      if (elapsed >= leaseMs) {
        count(Stat.DhcpLeaseExpired);
        restart(); // the address goes (connections end with EADDRNOTAVAIL), DISCOVER again
        return;
      }
      // RFC 2131 §4.4.5: T2 -> REBINDING, REQUEST broadcast to any server
      if (state != DHCP_REBINDING && elapsed >= t2Ms) { begin(DHCP_REBINDING); return; }
      // T1 -> RENEWING, REQUEST unicast to the server that gave the lease
      if (state == DHCP_BOUND && elapsed >= t1Ms) { begin(DHCP_RENEWING); return; }
    }
  }
  if (!timerOn || before(now, timerAt)) return;
  timerOn = false;
  if (state == DHCP_INIT) { startDiscover(); return; }
  if (state == DHCP_CHECKING) {
    if (probes < PROBE_NUM) {
      ifaceArpProbe(offered);
      count(Stat.DhcpAcdProbesTx);
      probes++;
      armIn(probes < PROBE_NUM ? PROBE_MIN_MS + randomU32() % (PROBE_MAX_MS - PROBE_MIN_MS + 1) : ANNOUNCE_WAIT_MS);
    } else {
      bind(); // no conflict in ANNOUNCE_WAIT after the last probe: the address is ours
    }
  } else if (state == DHCP_BOUND) {
    ifaceArpAnnounce(); // the second announcement
  } else { // SELECTING, REQUESTING, REBOOTING, RENEWING, REBINDING (STOPPED never runs; INIT-REBOOT is left at once)
    // no answer to REQUEST/INIT-REBOOT: start over with DISCOVER
    if ((state == DHCP_REQUESTING || state == DHCP_REBOOTING) && retries >= REQUEST_RETRIES) { restart(); return; }
    retries++; count(Stat.DhcpRetransmits);
    transmit();
  }
}

/** RFC 2131 §4.4.5: retransmit after half the time left until `until`, at least 60 s (never past it). */
function armRenew(until: u64): void {
  let left = until > elapsed ? until - elapsed : 0;
  let d = left >> 1;
  if (d < RENEW_MIN_MS) d = RENEW_MIN_MS;
  if (d > left) d = left; // the T2 / expiry check takes over then
  if (d > MAX_WAIT_MS) d = MAX_WAIT_MS;
  armIn(<u32>d);
}

// --- input ---

function receive(n: i32): void {
  count(Stat.DhcpRx);
  let p = rxBuf;
  if (load<u32>(fromOut, 4) != <u32>DHCP_SERVER_PORT) { count(Stat.DhcpBadPort); return; }
  if (load<u32>(fromOut, 8) > <u32>n) { count(Stat.DhcpTruncated); return; }
  if (dhcpParse(p, n) < 0) return;
  if (dhcpOp(p) != BOOTREPLY) { count(Stat.DhcpBadOp); return; }
  if (dhcpXid(p) != xid) { count(Stat.DhcpBadXid); return; }
  if (dhcpHtype(p) != HTYPE_ETHERNET || dhcpHlen(p) != 6 || dhcpChaddr(p) != mac) { count(Stat.DhcpBadChaddr); return; }
  let type = dhcpOpts.msgType;
  let sid = dhcpOpts.serverId;
  if (type == DHCPOFFER) {
    count(Stat.DhcpOffersRx);
    if (state != DHCP_SELECTING) { count(Stat.DhcpUnexpected); return; }
    let y = dhcpYiaddr(p);
    if (sid == 0 || y == 0 || y >= 0xe0000000 || (y >> 24) == 127 || (y >> 24) == 0) { count(Stat.DhcpBadOffer); return; }
    // the first acceptable offer: REQUEST it (same xid, server id and requested address; broadcast)
    offered = y;
    server = sid;
    retries = 0;
    setState(DHCP_REQUESTING);
    transmit();
  } else if (type == DHCPACK) {
    count(Stat.DhcpAcksRx);
    if (state == DHCP_REQUESTING || state == DHCP_REBOOTING) {
      if (state == DHCP_REQUESTING && sid != 0 && sid != server) { count(Stat.DhcpUnexpected); return; }
      if (!takeLease(dhcpYiaddr(p))) return;
      timerOn = false;
      startChecking();
    } else if (state == DHCP_RENEWING || state == DHCP_REBINDING) {
      let y = dhcpYiaddr(p);
      let old = offered;
      if (!takeLease(y)) return;
      timerOn = false;
      if (y != old) { bind(); return; } // a different address: the old one's connections end
      ifaceSetIpv4(offered, prefix, router);
      applyServers();
      setState(DHCP_BOUND);
    } else {
      count(Stat.DhcpUnexpected);
    }
  } else if (type == DHCPNAK) {
    count(Stat.DhcpNaksRx);
    if (state == DHCP_REQUESTING || state == DHCP_REBOOTING || state == DHCP_RENEWING || state == DHCP_REBINDING) {
      restart(); // RFC 2131 §3.1 step 5 / §3.2 step 3: back to INIT
    } else {
      count(Stat.DhcpUnexpected);
    }
  } else {
    count(Stat.DhcpUnexpected);
  }
}

/** Read what arrived on port 68 and run the timers. abi.ts calls it after input and in poll. */
export function dhcpRun(): void {
  if (state == DHCP_STOPPED) return;
  for (let i = 0; i < 64; i++) { // bounded: the queue holds at most UdpQueueBytes / 8 datagrams
    let n = udpRecvFrom(sock, rxBuf, RX_CAP, fromOut);
    if (n < 0) break;
    receive(n);
    if (state == DHCP_STOPPED) return;
  }
  if (state == DHCP_CHECKING && ifaceAcdConflicts() != 0) {
    count(Stat.DhcpAcdConflicts); // RFC 5227 §2.1.1: someone else has it
    decline();
    return;
  }
  runTimers();
}

/** Milliseconds until the client next needs to run, -1 for never. */
export function dhcpDeadline(): i32 {
  if (state == DHCP_STOPPED) return -1;
  let best: u64 = MAX_WAIT_MS;
  if (timerOn) {
    let d = <i32>(timerAt - netNow);
    best = d <= 0 ? 0 : <u64>d;
  }
  if (leased() && leaseS != INFINITE) {
    let next = state == DHCP_BOUND ? t1Ms : state == DHCP_RENEWING ? t2Ms : leaseMs;
    let e = elapsed + <u64>(netNow - lastRun);
    let d: u64 = next > e ? next - e : 0;
    if (d < best) best = d;
  }
  return <i32>best;
}

// --- the ABI calls ---

/**
 * Option 12 (RFC 2132 §3.14): `len` bytes at `ptr`, an RFC 1123 label (1..63 letters, digits,
 * hyphens, not starting or ending with a hyphen); len 0 removes it. 0, -EINVAL, -EALREADY (running).
 */
export function dhcpSetHostname(ptr: usize, len: i32): i32 {
  if (state != DHCP_STOPPED) return -Err.EALREADY;
  if (<u32>len > <u32>HOSTNAME_MAX || !validRange(ptr, len)) return -Err.EINVAL;
  for (let i = 0; i < len; i++) {
    let c = <u32>load<u8>(ptr + <usize>i);
    let alnum = (c - 0x30 < 10) || ((c | 0x20) - 0x61 < 26);
    if (!alnum && !(c == 0x2d && i != 0 && i != len - 1)) return -Err.EINVAL;
  }
  memory.copy(hostName, ptr, <usize>len);
  hostNameLen = len;
  return 0;
}

/** Option 61 (RFC 2132 §9.14): `len` (2..64) opaque bytes; len 0 restores type 1 + the MAC. 0, -EINVAL, -EALREADY. */
export function dhcpSetClientId(ptr: usize, len: i32): i32 {
  if (state != DHCP_STOPPED) return -Err.EALREADY;
  if (len != 0 && (len < CLIENT_ID_MIN || len > CLIENT_ID_MAX)) return -Err.EINVAL;
  if (!validRange(ptr, len)) return -Err.EINVAL;
  memory.copy(clientId, ptr, <usize>len);
  clientIdLen = len;
  return 0;
}

/**
 * The address to ask for first (RFC 2131 §3.2 INIT-REBOOT, e.g. one the host stored at its last
 * boot); 0 forgets it (the next start DISCOVERs). A NAK or no answer falls back to INIT. 0, -EINVAL, -EALREADY.
 */
export function dhcpSetRequestAddress(addr: u32): i32 {
  if (state != DHCP_STOPPED) return -Err.EALREADY;
  if (addr != 0 && !validHost(addr)) return -Err.EINVAL;
  remembered = addr;
  return 0;
}

export function dhcpStart(): i32 {
  if (rxBuf == 0) return -Err.ESTATE;
  if (state != DHCP_STOPPED) return -Err.EALREADY;
  let h = udpOpen();
  if (h < 0) return h;
  let r = udpBind(h, DHCP_CLIENT_PORT);
  if (r < 0) { udpClose(h); return r; }
  udpSetOption(h, UdpOpt.Broadcast, 1); // OFFER/ACK may be broadcast (RFC 2131 §4.1), and so are DISCOVER/REQUEST
  sock = h;
  declines = 0;
  timerOn = false;
  haveAddr = false;
  if (remembered != 0) { startReboot(); return 0; }
  let wait: u32 = (cfg(Cfg.DhcpFlags) & F_INIT_WAIT) != 0 ? 1000 + randomU32() % 9001 : 0; // RFC 2131 §4.4.1
  toInit(wait);
  return 0;
}

export function dhcpStop(release: i32): i32 {
  if (rxBuf == 0) return -Err.ESTATE;
  if (state == DHCP_STOPPED) return -Err.ENOTCONN;
  let bound = leased();
  if (bound && release != 0) {
    // RFC 2131 §4.4.6: unicast to the server (broadcast when its MAC is not known: the frame
    // would wait for ARP and be dropped with the address)
    newExchange();
    send(DHCPRELEASE, offered, 0, server, arpLookup(server) >= 0 ? server : 0xffffffff);
    count(Stat.DhcpReleasesTx);
    remembered = 0;
  }
  dropAddress();
  udpClose(sock);
  sock = 0;
  timerOn = false;
  setState(DHCP_STOPPED);
  return 0;
}

/** Whole seconds from `e` to `ms` (lease-relative ms), 0 once past. */
function secsLeft(ms: u64, e: u64): u32 { return ms > e ? <u32>((ms - e) / 1000) : 0; }

export function dhcpInfoWrite(out: usize): void {
  let bound = leased();
  let e = elapsed + <u64>(netNow - lastRun);
  store<u32>(out, <u32>state);
  store<u32>(out, state == DHCP_STOPPED ? remembered : offered, 4);
  store<u32>(out, bound || state == DHCP_CHECKING ? <u32>prefix : 0, 8);
  store<u32>(out, bound ? router : 0, 12);
  store<u32>(out, server, 16);
  store<u32>(out, bound ? leaseS : 0, 20);
  let inf = leaseS == INFINITE;
  store<u32>(out, bound && !inf ? secsLeft(t1Ms, e) : 0, 24);
  store<u32>(out, bound && !inf ? secsLeft(t2Ms, e) : 0, 28);
  store<u32>(out, !bound ? 0 : inf ? INFINITE : secsLeft(leaseMs, e), 32);
  store<u32>(out, xid, 36);
  store<u32>(out, retries, 40);
  store<u32>(out, declines, 44);
  for (let i: usize = 0; i < 16; i += 4) store<u32>(out + 48 + i, bound ? load<u32>(servers + NTP_AT + i) : 0); // ntpCount, ntp[3]
}
