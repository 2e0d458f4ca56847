// Build-time features: which protocols a build contains (docs/abi.md "Build-time features").
// Each is on unless the build says `--use WT_<NAME>=0` to asc, e.g.
//   asc assembly/abi.ts --target mcu --transform ./transforms/no-inline.mjs --use WT_SNTP=0
// A feature that is off is compiled out (its code is tree-shaken, its pools not reserved); its
// exports remain and return -ENOSYS, and what it would have received is dropped and counted as if
// its pool were empty (see each line). A leaf: the guards live at the call sites (abi.ts, iface.ts,
// udp.ts, ip/frag4.ts), not in the feature's own files.

// @ts-ignore: isDefined and the WT_* constants are asc compile-time names (--use), unknown to tsc
export const FEAT_SNTP: bool = isDefined(WT_SNTP) ? WT_SNTP != 0 : true;  // sntpStart/Stop/Info
// @ts-ignore
export const FEAT_DNS: bool = isDefined(WT_DNS) ? WT_DNS != 0 : true;     // dnsQuery/Result/Cancel
// @ts-ignore
export const FEAT_DHCP: bool = isDefined(WT_DHCP) ? WT_DHCP != 0 : true;  // dhcpStart/Stop/Info
// IGMPv2 and multicast membership of UDP sockets (udpJoinGroup/udpLeaveGroup); IGMP messages are
// then an unknown protocol. The interface's MAC filter (ifaceJoinGroup/ifaceJoinMac) stays.
// @ts-ignore
export const FEAT_IGMP: bool = isDefined(WT_IGMP) ? WT_IGMP != 0 : true;
// IPv4 reassembly and fragmentation on send: as ReasmSlots = 0 and FragMaxBytes = 0 (fragments
// dropped, ipv4_frag_no_reasm; a UDP datagram over the MTU is -EMSGSIZE).
// @ts-ignore
export const FEAT_FRAG: bool = isDefined(WT_FRAG) ? WT_FRAG != 0 : true;
// IPv6 reassembly and fragmentation on send (ip/reasm6.ts; RFC 8200 §4.5): follows WT_FRAG unless
// `--use WT_FRAG6=0` leaves it out alone (the mcu6 build, whose firmware configuration reserves no
// reassembly slots for IPv6 anyway): fragments are then dropped (ipv6_frag_no_reasm) and a packet
// over the path MTU is not sent (ipv6_too_big).
// @ts-ignore
export const FEAT_FRAG6: bool = isDefined(WT_FRAG6) ? WT_FRAG6 != 0 : FEAT_FRAG;
// IPv6 (ip/ipv6.ts: addresses, ND, ICMPv6, MLD): 0x86DD frames are then an unknown EtherType.
// @ts-ignore
export const FEAT_IPV6: bool = isDefined(WT_IPV6) ? WT_IPV6 != 0 : true;
// IPv6 behaviour the RFCs mark SHOULD or MAY that the smallest dual-stack build (mcu6, `--use
// WT_IP6_SHOULD=0`) leaves out to fit its budget: Redirect processing (RFC 4861 §8.3: valid
// redirects are then counted nd_redirect_ignored), upper-layer reachability confirmation from TCP
// (§7.3.1), and the random start delay (RFC 4862 §5.4.2 / RFC 4861 §6.3.7, Ip6Flags bit 3).
// @ts-ignore
export const FEAT_IP6_SHOULD: bool = isDefined(WT_IP6_SHOULD) ? WT_IP6_SHOULD != 0 : true;
// O(1) TCP lookups and timers (issue 15, assembly/tcp/index.ts): a 4-tuple hash for connections and
// TIME-WAIT entries, listeners by port, free lists and kept counts, bound-port counts, a timer heap.
// Off in the MCU builds (`--use WT_SCALE=0`), where the pools hold a few entries and a scan of them
// costs less code and memory than the tables: the same behaviour either way.
// @ts-ignore
export const FEAT_SCALE: bool = isDefined(WT_SCALE) ? WT_SCALE != 0 : true;
