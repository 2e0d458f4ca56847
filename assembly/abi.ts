// Every export of the module, and nothing else. The imports are in host.ts.
// The contract is declared in abi/abi.mjs (names, signatures, numbers; test/abi.test.ts
// checks this module's exports against it) and documented in docs/abi.md.
//
// Call order: configure(key, value)* -> init() -> { rxBuffer()/input(len, now), poll(now) }*
// Times are u32 milliseconds from any origin (wrap-safe); poll returns ms until the
// next deadline (-1 = none) so a board can sleep until then.

import { Cfg, cfg, cfgSet } from "./config";
import { Stat, count, statsBase } from "./stats";
import { sooner } from "./netif";
import { poolAlloc, poolSeal, poolUsed, validRange } from "./pool";
import { FEAT_DHCP, FEAT_DNS, FEAT_IGMP, FEAT_IPV6, FEAT_SCALE, FEAT_SNTP } from "./features";
import {
  ifaceInit, ifaceInput, ifaceInputAt, ifaceClock, ifacePoll, ifaceRxBuffer, ifacePing, ifaceInfoWrite, mcastJoin, mcastLeave,
  ifaceSetIpv4 as setIpv4, ifaceClearIpv4 as clearIpv4, ifaceSetDns as setDns, ifaceJoinGroup as joinGroup,
  ifaceLeaveGroup as leaveGroup,
} from "./iface";

import {
  ABI_VERSION_NUMBER, DhcpInfoField, IfaceInfoField, SntpInfoField, Ip6AddrInfoField, Ip6NeighborInfoField, Ip6InfoField, Ip6DnsServerInfoField,
} from "./abi-consts";
export const ABI_VERSION: i32 = ABI_VERSION_NUMBER; // declared in abi/abi.mjs

// Err, EventKind and Cfg are not exported as globals (ABI_VERSION 2): every host has them from
// its generated binding, and 80 named globals were 1.8 KB of the MCU module.
import { Err } from "./errors";
import { ackBatch as tcpAckBatch } from "./tcp/output";

let initialized = false;

/** Before writing `fields` u32 at `out` for a host: -ESTATE before init, -EINVAL outside memory, else 0. */
function layoutCheck(out: usize, fields: i32): i32 {
  if (!initialized) return -Err.ESTATE;
  return validRange(out, fields * 4) ? 0 : -Err.EINVAL;
}

/** Set one configuration value (see Cfg in config.ts). Before init only. */
export function configure(key: i32, value: u32): i32 {
  if (initialized) return -Err.ESTATE;
  return cfgSet(key, value) ? 0 : -Err.EINVAL;
}

/** Reserve every pool and start the interface. Returns 0 or -Err. */
export function init(): i32 {
  if (initialized) return -Err.ESTATE;
  if (!ifaceInit()) return -Err.ENOMEM;
  if (!stagingInit()) return -Err.ENOMEM;
  if (!socketsInit()) return -Err.ENOMEM;
  if (!udpInit()) return -Err.ENOMEM;
  if (FEAT_DHCP && !dhcpInit()) return -Err.ENOMEM;
  if (FEAT_DNS && !dnsInit()) return -Err.ENOMEM;
  if (FEAT_IGMP && !igmpInit()) return -Err.ENOMEM;
  poolSeal();
  initialized = true;
  if (FEAT_IPV6) ip6Start(); // after socketsInit: the keyed hash (RFC 7217 identifiers) is ready
  return 0;
}

/** Address where the host places one incoming Ethernet frame (up to MTU + 14 bytes). */
export function rxBuffer(): usize { return ifaceRxBuffer(); }

/** Process the frame of `len` bytes at rxBuffer(). `now` in ms. */
export function input(len: i32, now: u32): void {
  if (!initialized) return;
  ifaceInput(len, now);
  if (FEAT_DHCP) dhcpRun();
  if (FEAT_DNS) dnsService(); // replies on the resolver's sockets are read at once
}

// The host staging region (Cfg.RxStaging): frames the host placed there are processed in place by
// inputAt, so a host keeps each received frame once (a link's frames in flight, a batch of reads).
let stagingBase: usize = 0;
let stagingEnd: usize = 0;
const STAGING_MAX: u32 = 16 << 20;

function stagingInit(): bool {
  if (!FEAT_SCALE) return true; // the MCU builds: no region (rxStaging() 0, inputAt -ENOSYS), no bytes
  let n = cfg(Cfg.RxStaging);
  if (n == 0) return true;
  if (n > STAGING_MAX) return false;
  stagingBase = poolAlloc(<usize>n);
  if (stagingBase == 0) return false;
  stagingEnd = stagingBase + <usize>n;
  return true;
}

/** Address of the staging region (0 = none). */
export function rxStaging(): usize { return FEAT_SCALE ? stagingBase : 0; }

/** Process the frame of `len` bytes at `ptr`, which must lie inside the staging region. 0 or -Err. */
export function inputAt(ptr: usize, len: i32, now: u32): i32 {
  if (!FEAT_SCALE) return -Err.ENOSYS;
  if (!initialized) return -Err.ESTATE;
  // never trust the host: the whole frame inside [stagingBase, stagingEnd), no wrap-around
  if (len < 0 || stagingBase == 0 || ptr < stagingBase || ptr > stagingEnd || <usize>len > stagingEnd - ptr) {
    count(Stat.RxBadFrameRef);
    return -Err.EINVAL;
  }
  ifaceInputAt(ptr, len, now);
  if (FEAT_DHCP) dhcpRun();
  if (FEAT_DNS) dnsService();
  return 0;
}

/** Start (`on` != 0) or end a batch of received frames (tcp/output.ts): ACKs sent at the end, -ENOSYS without WT_SCALE. */
export function ackBatch(on: i32, now: u32): i32 {
  if (!FEAT_SCALE) return -Err.ENOSYS;
  if (initialized) ifaceClock(now);
  return tcpAckBatch(on != 0);
}

/** Run timers at time `now`; returns ms until the next deadline, -1 if none. */
export function poll(now: u32): i32 {
  if (!initialized) return -1;
  if (FEAT_SCALE) tcpAckBatch(false); // a batch left open ends here: a held ACK waits no longer than the next poll
  let next = ifacePoll(now);
  if (FEAT_DHCP) {
    dhcpRun();
    next = sooner(next, dhcpDeadline());
  }
  if (FEAT_DNS) next = sooner(next, dnsService());
  if (FEAT_SNTP) next = sooner(next, sntpPoll()); // services poll their sockets (a reply queued by input is read here)
  return next;
}

/**
 * Advance the clock to `now` without running timers (an earlier `now` is ignored). An API
 * call made long after the last input/poll would otherwise arm its timers (RTO, ARP, DHCP
 * retransmission) from the stale time, so they would fire at the very next poll. Before init
 * too: a host that syncs once per millisecond (src/stack.ts) may do it on a config call before
 * init, and the DHCP client started after init at that millisecond must not see time 0.
 */
export function clock(now: u32): void {
  ifaceClock(now);
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

/** Counters: statCount() u32 values at statsPtr(), in abi/abi.mjs's order (hosts hold the names). */
export function statsPtr(): usize { return statsBase(); }
export function statCount(): i32 { return <i32>Stat.COUNT; }

/** Bytes of linear memory reserved by init (the pools). */
export function poolBytes(): i32 { return <i32>poolUsed(); }

// The interface at run time (docs/abi.md "Interface configuration at run time"). Each returns
// 0 or -Err (-ESTATE before init) and raises event(-1, AddressChanged, bits) when something changed.

/** Set the IPv4 address, prefix length and gateway (0 = none). */
export function ifaceSetIpv4(addr: u32, prefixLen: i32, gateway: u32): i32 {
  return initialized ? setIpv4(addr, prefixLen, gateway) : -Err.ESTATE;
}

/** Remove the IPv4 address (connections on it end with EADDRNOTAVAIL). */
export function ifaceClearIpv4(): i32 { return initialized ? clearIpv4() : -Err.ESTATE; }

/** DNS server `index` (0..2) = addr (0 clears it). */
export function ifaceSetDns(index: i32, addr: u32): i32 { return initialized ? setDns(index, addr) : -Err.ESTATE; }

/** Join / leave IPv4 multicast group `group` (its RFC 1112 MAC in the filter, reference-counted). */
export function ifaceJoinGroup(group: u32): i32 { return initialized ? joinGroup(group) : -Err.ESTATE; }
export function ifaceLeaveGroup(group: u32): i32 { return initialized ? leaveGroup(group) : -Err.ESTATE; }

/** Accept frames to the group MAC hi16:lo32 (e.g. 33:33:xx for IPv6); reference-counted. */
export function ifaceJoinMac(hi16: i32, lo32: u32): i32 {
  if (!initialized) return -Err.ESTATE;
  return mcastJoin((<u64>(<u32>hi16 & 0xffff) << 32) | <u64>lo32);
}

/** Drop one reference to the group MAC hi16:lo32. */
export function ifaceLeaveMac(hi16: i32, lo32: u32): i32 {
  if (!initialized) return -Err.ESTATE;
  return mcastLeave((<u64>(<u32>hi16 & 0xffff) << 32) | <u64>lo32);
}

/** The interface configuration: the ifaceInfo fields at `out`; 0, -EINVAL (outside memory), -ESTATE. */
export function ifaceInfo(out: usize): i32 {
  let r = layoutCheck(out, <i32>IfaceInfoField.COUNT);
  if (r == 0) ifaceInfoWrite(out);
  return r;
}

// TCP sockets (assembly/sockets.ts; documented in docs/abi.md "TCP").
import { socketsInit } from "./sockets";
export {
  tcpOpen, tcpBind, tcpListen, tcpAccept, tcpConnect, ioBuffer, tcpWrite, tcpRead, tcpShutdown, tcpClose,
  tcpAbort, tcpState, tcpInfo, tcpSetOption, tcpSizes, tcpTimeWaitList, tcpPeek, tcpConsume, tcpReserve, tcpCommit,
} from "./sockets";

// UDP sockets and IGMP (assembly/udp.ts, assembly/igmp.ts; documented in docs/abi.md "UDP").
import { udpInit } from "./udp";
import { igmpInit } from "./igmp";
export {
  udpOpen, udpBind, udpConnect, udpSendTo, udpRecvFrom, udpClose, udpInfo, udpSetOption, udpJoinGroup, udpLeaveGroup,
} from "./udp";

// The DHCP client (assembly/services/dhcp.ts; documented in docs/abi.md "DHCP client").
import {
  dhcpInit, dhcpRun, dhcpDeadline, dhcpStart as startDhcp, dhcpStop as stopDhcp, dhcpInfoWrite,
  dhcpSetHostname as setHostname, dhcpSetClientId as setClientId, dhcpSetRequestAddress as setRequestAddress,
} from "./services/dhcp";

/** Option 12 for the next dhcpStart (`len` 0: none); 0, -EINVAL, -EALREADY (running), -ESTATE. */
export function dhcpSetHostname(ptr: usize, len: i32): i32 { return initialized ? setHostname(ptr, len) : -Err.ESTATE; }

/** Option 61 for the next dhcpStart (`len` 0: type 1 + MAC); 0, -EINVAL, -EALREADY, -ESTATE. */
export function dhcpSetClientId(ptr: usize, len: i32): i32 { return initialized ? setClientId(ptr, len) : -Err.ESTATE; }

/** The address the next dhcpStart asks for in INIT-REBOOT (0: none); 0, -EINVAL, -EALREADY, -ESTATE. */
export function dhcpSetRequestAddress(addr: u32): i32 { return initialized ? setRequestAddress(addr) : -Err.ESTATE; }

/** Start the DHCP client (DISCOVER, or INIT-REBOOT with a remembered address). */
export function dhcpStart(): i32 { return !FEAT_DHCP ? -Err.ENOSYS : initialized ? startDhcp() : -Err.ESTATE; }

/** Stop the client, removing the leased address; release != 0 sends DHCPRELEASE first. */
export function dhcpStop(release: i32): i32 { return !FEAT_DHCP ? -Err.ENOSYS : initialized ? stopDhcp(release) : -Err.ESTATE; }

/** The DHCP client: the dhcpInfo fields at `out`; 0, -EINVAL (outside memory), -ESTATE. */
export function dhcpInfo(out: usize): i32 {
  if (!FEAT_DHCP) return -Err.ENOSYS;
  let r = layoutCheck(out, <i32>DhcpInfoField.COUNT);
  if (r == 0) dhcpInfoWrite(out);
  return r;
}

// The DNS stub resolver (assembly/services/dns.ts; documented in docs/abi.md "DNS stub resolver").
import { dnsInit, dnsService, dnsQueryFamily as dQueryF, dnsQuery as dQuery, dnsResult as dResult, dnsCancel as dCancel } from "./services/dns";

/** Resolve a name (A records); a query handle, or -Err (docs/abi.md "DNS stub resolver"). */
export function dnsQuery(namePtr: usize, nameLen: i32): i32 { return FEAT_DNS ? dQuery(namePtr, nameLen) : -Err.ENOSYS; }
export function dnsQueryFamily(namePtr: usize, nameLen: i32, family: i32): i32 { return FEAT_DNS ? dQueryF(namePtr, nameLen, family) : -Err.ENOSYS; }
/** A finished query's addresses at `out` (up to `max`), or -Err. */
export function dnsResult(h: i32, out: usize, max: i32): i32 { return FEAT_DNS ? dResult(h, out, max) : -Err.ENOSYS; }
/** Forget a query. */
export function dnsCancel(h: i32): i32 { return FEAT_DNS ? dCancel(h) : -Err.ENOSYS; }

// SNTP client (assembly/services/sntp.ts; docs/abi.md "SNTP client").
import { sntpPoll, sntpStart as sStart, sntpStop as sStop, sntpInfoWrite } from "./services/sntp";

/** Query NTP server `server` now and every `intervalS` seconds. 0 or -Err. */
export function sntpStart(server: u32, intervalS: i32): i32 { return !FEAT_SNTP ? -Err.ENOSYS : initialized ? sStart(server, intervalS) : -Err.ESTATE; }
/** Stop the SNTP client. */
export function sntpStop(): i32 { return !FEAT_SNTP ? -Err.ENOSYS : initialized ? sStop() : -Err.ESTATE; }
/** The SNTP client: the sntpInfo fields at `out`; 0, -EINVAL (outside memory), -ESTATE. */
export function sntpInfo(out: usize): i32 {
  if (!FEAT_SNTP) return -Err.ENOSYS;
  let r = layoutCheck(out, <i32>SntpInfoField.COUNT);
  if (r == 0) sntpInfoWrite(out);
  return r;
}

// IPv6 (assembly/ip/ipv6.ts; docs/abi.md "IPv6"). Addresses are 16 bytes at a pointer.
import {
  ip6Start, ip6AddrAdd as a6Add, ip6AddrDel as a6Del, ip6AddrInfoWrite, ip6NeighborInfoWrite, ip6InfoWrite, ip6DnsServerInfoWrite,
  ip6Ping as a6Ping, ip6PathMtu as a6Pmtu, ip6SetDns as a6SetDns, ip6SetSecret as a6SetSecret,
} from "./ip/ipv6";
import { tcpConnect6 as tConnect6, tcpBind6 as tBind6, tcpAddrs as tAddrs } from "./sockets";
import { udpConnect6 as uConnect6, udpSendTo6 as uSendTo6, udpRecvFrom6 as uRecvFrom6 } from "./udp";

/** -ENOSYS (built without IPv6), -ESTATE, -EINVAL when 16 bytes at `a` are outside memory, else 0. */
function addr6Check(a: usize): i32 {
  if (!FEAT_IPV6) return -Err.ENOSYS;
  if (!initialized) return -Err.ESTATE;
  return validRange(a, 16) ? 0 : -Err.EINVAL;
}

/** Add a static IPv6 address (16 bytes at `addr`) with its prefix length: its index or -Err. */
export function ip6AddrAdd(addr: usize, prefixLen: i32): i32 {
  let r = addr6Check(addr);
  return r != 0 ? r : a6Add(addr, prefixLen);
}
/** Remove our IPv6 address equal to the 16 bytes at `addr`. */
export function ip6AddrDel(addr: usize): i32 {
  let r = addr6Check(addr);
  return r != 0 ? r : a6Del(addr);
}
/** Address table entry `index`: the ip6AddrInfo fields at `out`. */
export function ip6AddrInfo(index: i32, out: usize): i32 {
  if (!FEAT_IPV6) return -Err.ENOSYS;
  let r = layoutCheck(out, <i32>Ip6AddrInfoField.COUNT);
  return r != 0 ? r : ip6AddrInfoWrite(index, out);
}
/** Neighbor cache entry `index`: the ip6NeighborInfo fields at `out`. */
export function ip6NeighborInfo(index: i32, out: usize): i32 {
  if (!FEAT_IPV6) return -Err.ENOSYS;
  let r = layoutCheck(out, <i32>Ip6NeighborInfoField.COUNT);
  return r != 0 ? r : ip6NeighborInfoWrite(index, out);
}
/** RDNSS entry `index` (RFC 8106): the ip6DnsServerInfo fields at `out`. */
export function ip6DnsServerInfo(index: i32, out: usize): i32 {
  if (!FEAT_IPV6) return -Err.ENOSYS;
  let r = layoutCheck(out, <i32>Ip6DnsServerInfoField.COUNT);
  return r != 0 ? r : ip6DnsServerInfoWrite(index, out);
}
/** The IPv6 layer's parameters: the ip6Info fields at `out`. */
export function ip6Info(out: usize): i32 {
  if (!FEAT_IPV6) return -Err.ENOSYS;
  let r = layoutCheck(out, <i32>Ip6InfoField.COUNT);
  return r != 0 ? r : ip6InfoWrite(out);
}
/** ICMPv6 echo request to the 16 bytes at `dst`. */
export function ip6Ping(dst: usize, id: i32, seq: i32, len: i32): i32 {
  let r = addr6Check(dst);
  return r != 0 ? r : a6Ping(dst, <u16>id, <u16>seq, len);
}
/** Active open to the 16 bytes at `addr` (IPv6 or IPv4-mapped). */
export function tcpConnect6(h: i32, addr: usize, port: i32): i32 {
  let r = addr6Check(addr);
  return r != 0 ? r : tConnect6(h, addr, port);
}
/** tcpBind on one local address, the 16 bytes at `addr` (:: every address, ::ffff:0.0.0.0 every IPv4 one). */
export function tcpBind6(h: i32, addr: usize, port: i32): i32 {
  let r = addr6Check(addr);
  return r != 0 ? r : tBind6(h, addr, port);
}
/** A connection's local and remote addresses, 16 bytes each at `out`. */
export function tcpAddrs(h: i32, out: usize): i32 {
  if (!FEAT_IPV6) return -Err.ENOSYS;
  return tAddrs(h, out);
}
/** udpConnect with a 16-byte address. */
export function udpConnect6(h: i32, addr: usize, port: i32): i32 {
  let r = addr6Check(addr);
  return r != 0 ? r : uConnect6(h, addr, port);
}
/** udpSendTo with a 16-byte address. */
export function udpSendTo6(h: i32, addr: usize, port: i32, ptr: usize, len: i32): i32 {
  let r = addr6Check(addr);
  return r != 0 ? r : uSendTo6(h, addr, port, ptr, len);
}
/** udpRecvFrom with the 16-byte source: 24 bytes at `out`. */
export function udpRecvFrom6(h: i32, ptr: usize, max: i32, out: usize): i32 {
  if (!FEAT_IPV6) return -Err.ENOSYS;
  return uRecvFrom6(h, ptr, max, out);
}
/** IPv6 DNS server `index` = the 16 bytes at `addr` (:: clears it). */
export function ip6SetDns(index: i32, addr: usize): i32 {
  let r = addr6Check(addr);
  return r != 0 ? r : a6SetDns(index, addr);
}
/** Path MTU towards the 16 bytes at `dst`. */
export function ip6PathMtu(dst: usize): i32 {
  let r = addr6Check(dst);
  return r != 0 ? r : a6Pmtu(dst);
}

/** RFC 7217 secret_key (16 bytes at `ptr`); before init it keys the link-local address too. */
export function ip6SetSecret(ptr: usize): i32 {
  if (!FEAT_IPV6) return -Err.ENOSYS;
  return validRange(ptr, 16) ? a6SetSecret(ptr) : -Err.EINVAL;
}
