// The interface configured at run time (issue 8, item 5): IPv4 address / prefix / gateway / DNS
// set and cleared after init, life without an address (what a DHCP client needs), the multicast
// filter, and TCP connections aborted with EADDRNOTAVAIL when their address goes away.
import { describe, expect, it } from "vitest";
import { harness, Harness, PEER, PEER_MAC, US } from "./iface-harness.js";
import { arp, eth, icmpEcho, ipv4, MAC_A, MAC_BCAST, udp } from "./wire-build.js";
import { AddressChange, EventKind, IFACE_INFO_NAMES, ipToU32, Stack, u32ToIp } from "../src/stack.js";
import { buildTcp, connected, Ev, S, RST, SYN } from "./helpers/tcp-harness.js";
import { Sim } from "../src/links/emulated.js";
import { createStack } from "../src/net.js";

const EINVAL = -1, ENOMEM = -2, EHOSTUNREACH = -14, ESTATE = -15, EADDRNOTAVAIL = -16;
const ip = ipToU32;
const ZERO_MAC = "00:00:00:00:00:00";

/** An unconfigured stack (no Ipv4Addr): what a DHCP client starts as. */
function bare(config: Record<string, number> = {}): Harness {
  return harness({ ip: undefined, prefix: undefined, config });
}

function addrEvents(h: Harness): number[] {
  return h.events.filter(([s, k]) => s === -1 && k === EventKind.AddressChanged).map(([, , a]) => a);
}

function udpFrame(src: string, dst: string, dstMac: string, dport = 68, data = [1, 2, 3]): Uint8Array {
  return eth(dstMac, PEER_MAC, 0x0800, ipv4({ src, dst, proto: 17 }, udp(src, dst, 67, dport, data)));
}

function tcpSyn(src: string, dst: string, dstMac: string): Uint8Array {
  const seg = buildTcp(ip(src), ip(dst), { sport: 40000, dport: 80, seq: 1000, flags: SYN, wnd: 65535 });
  return eth(dstMac, PEER_MAC, 0x0800, ipv4({ src, dst, proto: 6 }, seg));
}

function echoTo(dst: string, dstMac: string): Uint8Array {
  return eth(dstMac, PEER_MAC, 0x0800, ipv4({ src: PEER, dst, proto: 1 }, icmpEcho(8, 0x1234, 1, [1, 2, 3, 4])));
}

describe("IPv4 address at run time", () => {
  it("ifaceSetIpv4 after init sets address, prefix and gateway; ifaceInfo shows them; one AddressChanged event", () => {
    const h = bare();
    expect(h.s.exports.configure(h.s.cfgKeys.Ipv4Addr, ip("10.0.0.5"))).toBe(ESTATE); // configure still refuses
    expect(h.s.ifaceInfo().address).toBeNull();
    expect(h.s.exports.ifaceSetIpv4(ip("10.1.2.3"), 16, ip("10.1.0.1"))).toBe(0);
    expect(addrEvents(h)).toEqual([AddressChange.Address | AddressChange.Gateway]);
    const raw = h.s.ifaceInfoRaw();
    expect(raw.ipv4).toBe(ip("10.1.2.3"));
    expect(raw.prefixLen).toBe(16);
    expect(u32ToIp(raw.netmask)).toBe("255.255.0.0");
    expect(u32ToIp(raw.gateway)).toBe("10.1.0.1");
    expect(u32ToIp(raw.broadcast)).toBe("10.1.255.255");
    expect(raw.mtu).toBe(1500);
    expect(raw.macHi).toBe(0x0200);
    expect(raw.macLo).toBe(1);
    expect(raw.dnsMax).toBe(3);
    expect(raw.generation).toBe(1);
    expect(h.stat("iface_addr_changes")).toBe(1);
    // the same configuration again changes nothing: no event
    expect(h.s.exports.ifaceSetIpv4(ip("10.1.2.3"), 16, ip("10.1.0.1"))).toBe(0);
    expect(addrEvents(h)).toHaveLength(1);
    // only the gateway: the Gateway bit alone
    expect(h.s.exports.ifaceSetIpv4(ip("10.1.2.3"), 16, 0)).toBe(0);
    expect(addrEvents(h)).toEqual([3, AddressChange.Gateway]);
    expect(h.s.ifaceInfo().gateway).toBeNull();
  });

  it("RFC 5227 §2.3: a new address is announced (ARP request, SPA = TPA = the address, THA zero, broadcast)", () => {
    const h = bare();
    expect(h.take()).toHaveLength(0); // no address at init: nothing announced
    h.s.setIpv4("10.1.2.3/24");
    const [f, ...rest] = h.take();
    expect(rest).toHaveLength(0);
    expect(f.arpOp).toBe("request");
    expect(f.dstMac).toBe(MAC_BCAST);
    expect(f.src).toBe("10.1.2.3");
    expect(f.dst).toBe("10.1.2.3");
    expect([...f.raw.subarray(32, 38)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(h.stat("arp_announcements_tx")).toBe(1);
    // a prefix change alone keeps the address: no new announcement
    h.s.setIpv4("10.1.2.3/16");
    expect(h.take()).toHaveLength(0);
    expect(h.stat("arp_announcements_tx")).toBe(1);
  });

  it("init's gratuitous ARP counts as an announcement too", () => {
    const h = harness();
    expect(h.stat("arp_announcements_tx")).toBe(1);
  });

  it("ifaceSetIpv4 validates: prefix > 32, zero/loopback/multicast/broadcast host address, network or broadcast of the subnet, gateway outside the prefix or equal to us -> -EINVAL, nothing changes", () => {
    const h = harness();
    const x = h.s.exports;
    const bad: [string, number, string][] = [
      ["10.0.0.1", 33, "0.0.0.0"],
      ["10.0.0.1", -1, "0.0.0.0"],
      ["0.0.0.0", 24, "0.0.0.0"],
      ["0.1.2.3", 8, "0.0.0.0"],          // "this network" (RFC 1122 §3.2.1.3)
      ["127.0.0.1", 8, "0.0.0.0"],
      ["224.0.0.251", 24, "0.0.0.0"],
      ["240.0.0.1", 24, "0.0.0.0"],
      ["255.255.255.255", 24, "0.0.0.0"],
      ["10.0.0.0", 24, "0.0.0.0"],        // the subnet's network number
      ["10.0.0.255", 24, "0.0.0.0"],      // the subnet's broadcast address
      ["10.0.0.1", 24, "10.0.1.1"],       // gateway off-link
      ["10.0.0.1", 24, "10.0.0.1"],       // gateway = us
      ["10.0.0.1", 24, "10.0.0.255"],     // gateway = broadcast
      ["10.0.0.1", 24, "224.0.0.1"],
    ];
    for (const [a, p, g] of bad) expect([a, p, g, x.ifaceSetIpv4(ip(a), p, ip(g))]).toEqual([a, p, g, EINVAL]);
    expect(h.s.ifaceInfo().address).toBe(US);
    expect(addrEvents(h)).toHaveLength(0);
    // /31 (RFC 3021) and /32 have no network/broadcast numbers to reserve
    expect(x.ifaceSetIpv4(ip("10.0.0.0"), 31, ip("10.0.0.1"))).toBe(0);
    expect(x.ifaceSetIpv4(ip("10.9.9.9"), 32, 0)).toBe(0);
  });

  it("every run-time call is -ESTATE before init", () => {
    const s = new Stack({ build: "testing", init: false, seed: 1 });
    const x = s.exports;
    expect(x.ifaceSetIpv4(ip("10.0.0.1"), 24, 0)).toBe(ESTATE);
    expect(x.ifaceClearIpv4()).toBe(ESTATE);
    expect(x.ifaceSetDns(0, ip("10.0.0.53"))).toBe(ESTATE);
    expect(x.ifaceJoinGroup(ip("224.0.0.251"))).toBe(ESTATE);
    expect(x.ifaceLeaveGroup(ip("224.0.0.251"))).toBe(ESTATE);
    expect(x.ifaceJoinMac(0x3333, 1)).toBe(ESTATE);
    expect(x.ifaceLeaveMac(0x3333, 1)).toBe(ESTATE);
    expect(x.ifaceInfo(0)).toBe(ESTATE);
  });

  it("ifaceInfo is bounds-checked like tcpInfo: a region past the end of memory is -EINVAL", () => {
    const h = harness();
    const end = h.s.memory.buffer.byteLength;
    expect(h.s.exports.ifaceInfo(end - 4 * IFACE_INFO_NAMES.length)).toBe(0);
    expect(h.s.exports.ifaceInfo(end - 4 * IFACE_INFO_NAMES.length + 1)).toBe(EINVAL);
    expect(h.s.exports.ifaceInfo(0xfffffff0)).toBe(EINVAL);
  });

  it("DNS servers: up to 3, each settable and clearable, validated, one event per change", () => {
    const h = harness();
    const x = h.s.exports;
    expect(x.ifaceSetDns(0, ip("198.51.100.53"))).toBe(0);
    expect(x.ifaceSetDns(2, ip("203.0.113.53"))).toBe(0);
    expect(x.ifaceSetDns(3, ip("203.0.113.54"))).toBe(EINVAL);
    expect(x.ifaceSetDns(-1, ip("203.0.113.54"))).toBe(EINVAL);
    expect(x.ifaceSetDns(1, ip("255.255.255.255"))).toBe(EINVAL);
    expect(x.ifaceSetDns(1, ip("224.0.0.251"))).toBe(EINVAL);
    expect(x.ifaceSetDns(1, ip("127.0.0.1"))).toBe(EINVAL);
    expect(h.s.ifaceInfo().dns).toEqual(["198.51.100.53", "203.0.113.53"]);
    expect(addrEvents(h)).toEqual([AddressChange.Dns, AddressChange.Dns]);
    expect(x.ifaceSetDns(0, ip("198.51.100.53"))).toBe(0); // unchanged: no event
    expect(x.ifaceSetDns(0, 0)).toBe(0);
    expect(h.s.ifaceInfo().dns).toEqual(["203.0.113.53"]);
    expect(addrEvents(h)).toHaveLength(3);
    // the Stack wrapper replaces the list
    expect(h.s.setDns(["198.51.100.53", "203.0.113.1"])).toBe(0);
    expect(h.s.ifaceInfo().dns).toEqual(["198.51.100.53", "203.0.113.1"]);
    expect(h.s.setDns(["1.1.1.1", "1.0.0.1", "9.9.9.9", "8.8.8.8"])).toBe(EINVAL);
    // clearing the address keeps the DNS servers (a DHCP client clears them itself)
    expect(h.s.clearIpv4()).toBe(0);
    expect(h.s.ifaceInfo().dns).toEqual(["198.51.100.53", "203.0.113.1"]);
  });

  it("the ARP cache: a prefix change forgets neighbours no longer on-link, a new address drops frames queued with the old source, clearing forgets everything", () => {
    const h = harness();
    h.rx(eth(MAC_A, PEER_MAC, 0x0806, arp(2, PEER_MAC, PEER, MAC_A, US)));            // 198.51.100.2
    h.rx(eth(MAC_BCAST, "02:00:00:00:00:77", 0x0806, arp(1, "02:00:00:00:00:77", "198.51.100.200", ZERO_MAC, US)));
    expect(h.s.ifaceInfo().arpEntries).toBe(2);
    // /25: .200 is now off-link, .2 stays
    expect(h.s.setIpv4(`${US}/25`)).toBe(0);
    expect(h.s.exports.arpLookup(ip(PEER))).toBe(0x020000000002n);
    expect(h.s.exports.arpLookup(ip("198.51.100.200"))).toBe(-1n);
    // a frame waiting for resolution carries our source address: a new address drops it (counted)
    h.take();
    expect(h.s.ping("198.51.100.9", 1)).toBe(0);
    expect(h.s.exports.arpQueued()).toBe(1);
    expect(h.s.setIpv4("198.51.100.10/25")).toBe(0);
    expect(h.s.exports.arpQueued()).toBe(0);
    expect(h.stat("iface_queue_flushed")).toBe(1);
    expect(h.s.exports.arpLookup(ip(PEER))).toBe(0x020000000002n); // same subnet: neighbours kept
    expect(h.s.clearIpv4()).toBe(0);
    expect(h.s.ifaceInfo().arpEntries).toBe(0);
    expect(h.s.clearIpv4()).toBe(0); // already clear: no event
    expect(addrEvents(h)).toEqual([AddressChange.Address, AddressChange.Address, AddressChange.Address]);
  });

  it("the Stack wrapper: setIpv4(cidr, gateway), ifaceInfo decoded, clearIpv4, errors as negative Err", () => {
    const h = bare();
    expect(h.s.setIpv4("10.20.30.40/20", "10.20.16.1")).toBe(0);
    const i = h.s.ifaceInfo();
    expect(i).toMatchObject({
      address: "10.20.30.40", prefix: 20, netmask: "255.255.240.0", gateway: "10.20.16.1", broadcast: "10.20.31.255",
      mtu: 1500, mac: MAC_A, dns: [], multicastGroups: 0, multicastSize: 8, generation: 1,
    });
    expect(h.s.setIpv4("10.20.30.40/33")).toBe(EINVAL);
    expect(h.s.clearIpv4()).toBe(0);
    expect(h.s.ifaceInfo()).toMatchObject({ address: null, prefix: 0, gateway: null, broadcast: "255.255.255.255", generation: 2 });
  });
});

describe("no address yet: what a DHCP client needs (RFC 2131 §4.1)", () => {
  it("sends UDP from 0.0.0.0 to 255.255.255.255 (broadcast MAC, no ARP); unicast and ICMP are refused (ipv4_no_route)", () => {
    const h = bare();
    const x = h.s.exports;
    expect(x.testUdpSend(0xffffffff, 68, 67, 10)).toBe(1);
    const [f, ...rest] = h.take();
    expect(rest).toHaveLength(0);
    expect(f.proto).toBe("UDP");
    expect(f.src).toBe("0.0.0.0");
    expect(f.dst).toBe("255.255.255.255");
    expect(f.dstMac).toBe(MAC_BCAST);
    expect([f.srcPort, f.dstPort, f.len]).toEqual([68, 67, 10]);
    expect(x.testUdpSend(ip(PEER), 68, 67, 10)).toBe(0);
    expect(h.s.ping("255.255.255.255", 1)).toBe(EHOSTUNREACH);
    expect(h.s.ping(PEER, 1)).toBe(EHOSTUNREACH);
    expect(h.take()).toHaveLength(0);
    expect(h.stat("ipv4_no_route")).toBe(3);
    expect(h.stat("arp_requests_tx")).toBe(0);
  });

  it("accepts UDP to 255.255.255.255 and unicast UDP to its MAC whatever the IP destination (the offered address); never answers with ICMP", () => {
    const h = bare();
    h.rx(udpFrame(PEER, "255.255.255.255", MAC_BCAST));
    h.rx(udpFrame(PEER, "198.51.100.77", MAC_A)); // DHCPOFFER unicast to yiaddr, to our MAC
    expect(h.stat("udp_rx")).toBe(2);
    expect(h.stat("udp_no_port")).toBe(2); // reached udpInput (no UDP sockets in this layer)
    expect(h.stat("icmp_dest_unreach_tx")).toBe(0);
    expect(h.take()).toHaveLength(0);
    // unicast to another MAC is still not ours
    h.rx(udpFrame(PEER, "198.51.100.77", "02:00:00:00:00:99"));
    expect(h.stat("eth_not_for_us")).toBe(1);
    expect(h.stat("udp_rx")).toBe(2);
  });

  it("RFC 1122 §3.3.6: ICMP echo and TCP are neither answered nor delivered without an address (ipv4_unconfigured)", () => {
    const h = bare();
    h.rx(echoTo("198.51.100.77", MAC_A));
    h.rx(echoTo("255.255.255.255", MAC_BCAST));
    h.rx(tcpSyn(PEER, "198.51.100.77", MAC_A));
    expect(h.take()).toHaveLength(0);
    expect(h.stat("ipv4_unconfigured")).toBe(3);
    expect(h.stat("icmp_rx")).toBe(0);
    expect(h.stat("tcp_rx")).toBe(0);
    // and TCP cannot open a connection
    const t = h.s.exports.tcpOpen();
    expect(h.s.exports.tcpConnect(t, ip(PEER), 80)).toBe(EADDRNOTAVAIL);
  });

  it("ARP without an address: no request is answered (not even for 0.0.0.0 or a probed address), nothing is claimed or learned", () => {
    const h = bare();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, ZERO_MAC, "0.0.0.0")));
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, ZERO_MAC, "198.51.100.77")));
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, PEER_MAC, "0.0.0.0", ZERO_MAC, "198.51.100.77"))); // an RFC 5227 probe
    expect(h.stat("arp_requests_rx")).toBe(3);
    expect(h.take()).toHaveLength(0);
    expect(h.stat("arp_replies_tx")).toBe(0);
    expect(h.s.ifaceInfo().arpEntries).toBe(0);
  });

  it("once the address is set, it answers ARP and ICMP as usual", () => {
    const h = bare();
    h.s.setIpv4("198.51.100.77/24");
    h.take();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, ZERO_MAC, "198.51.100.77")));
    expect(h.take().map((f) => f.arpOp)).toEqual(["reply"]);
    h.rx(echoTo("198.51.100.77", MAC_A));
    expect(h.take().map((f) => [f.proto, f.src, f.dst])).toEqual([["ICMP", "198.51.100.77", PEER]]);
    // unicast UDP to some other address is no longer accepted
    h.rx(udpFrame(PEER, "198.51.100.78", MAC_A));
    expect(h.stat("ipv4_not_for_us")).toBe(1);
  });

  it("RFC 1122 §3.3.6: a link-layer broadcast carrying a unicast IP destination is discarded (ipv4_not_for_us)", () => {
    const h = harness();
    h.take();
    h.rx(echoTo(US, MAC_BCAST));
    h.rx(udpFrame(PEER, US, MAC_BCAST));
    expect(h.take()).toHaveLength(0);
    expect(h.stat("ipv4_not_for_us")).toBe(2);
    expect(h.stat("icmp_rx") + h.stat("udp_rx")).toBe(0);
  });
});

describe("multicast filter (RFC 1112 §6.4)", () => {
  const MDNS = "224.0.0.251";
  const MDNS_MAC = "01:00:5e:00:00:fb";

  it("frames to a group MAC not joined are dropped (eth_multicast_not_joined); a joined group's UDP reaches udpInput without an ICMP answer", () => {
    const h = harness();
    h.take();
    h.rx(udpFrame(PEER, MDNS, MDNS_MAC, 5353));
    expect(h.stat("eth_multicast_not_joined")).toBe(1);
    expect(h.s.joinGroup(MDNS)).toBe(0);
    expect(h.s.ifaceInfo().multicastGroups).toBe(1);
    h.rx(udpFrame(PEER, MDNS, MDNS_MAC, 5353));
    expect(h.stat("udp_rx")).toBe(1);
    expect(h.stat("udp_no_port")).toBe(1);
    expect(h.stat("icmp_dest_unreach_tx")).toBe(0); // RFC 1122 §3.2.2: no ICMP errors for multicast
    expect(h.take()).toHaveLength(0);
    expect(h.s.leaveGroup(MDNS)).toBe(0);
    h.rx(udpFrame(PEER, MDNS, MDNS_MAC, 5353));
    expect(h.stat("eth_multicast_not_joined")).toBe(2);
    expect(h.stat("udp_rx")).toBe(1);
  });

  it("also without an address (mDNS before DHCP, RFC 2131 §4.1 clients)", () => {
    const h = bare();
    expect(h.s.joinGroup(MDNS)).toBe(0);
    h.rx(udpFrame(PEER, MDNS, MDNS_MAC, 5353));
    expect(h.stat("udp_rx")).toBe(1);
  });

  it("RFC 1122 §3.3.6: TCP and ICMP echo to a joined group are not answered (ipv4_not_for_us, icmp_echo_broadcast_ignored)", () => {
    const h = harness();
    h.s.joinGroup(MDNS);
    h.take();
    h.rx(tcpSyn(PEER, MDNS, MDNS_MAC));
    h.rx(echoTo(MDNS, MDNS_MAC));
    expect(h.take()).toHaveLength(0);
    expect(h.stat("ipv4_not_for_us")).toBe(1);
    expect(h.stat("tcp_rx")).toBe(0);
    expect(h.stat("icmp_echo_broadcast_ignored")).toBe(1);
  });

  it("an IPv4 group not joined is dropped even when it arrives on our unicast MAC (ipv4_multicast_not_joined)", () => {
    const h = harness();
    h.rx(udpFrame(PEER, "239.1.2.3", MAC_A, 5000));
    expect(h.stat("ipv4_multicast_not_joined")).toBe(1);
    expect(h.stat("udp_rx")).toBe(0);
  });

  it("entries are reference-counted: two joins need two leaves; leaving a group not joined is -EINVAL", () => {
    const h = harness();
    expect(h.s.joinGroup(MDNS)).toBe(0);
    expect(h.s.joinGroup(MDNS)).toBe(0);
    expect(h.s.ifaceInfo().multicastGroups).toBe(1);
    expect(h.s.leaveGroup(MDNS)).toBe(0);
    h.rx(udpFrame(PEER, MDNS, MDNS_MAC, 5353));
    expect(h.stat("udp_rx")).toBe(1);
    expect(h.s.leaveGroup(MDNS)).toBe(0);
    expect(h.s.leaveGroup(MDNS)).toBe(EINVAL);
    expect(h.s.ifaceInfo().multicastGroups).toBe(0);
  });

  it("RFC 1112 §6.4: groups sharing the low 23 bits share one MAC entry (224.0.0.251 and 239.128.0.251)", () => {
    const h = harness();
    expect(h.s.joinGroup(MDNS)).toBe(0);
    expect(h.s.joinGroup("239.128.0.251")).toBe(0);
    expect(h.s.ifaceInfo().multicastGroups).toBe(1);
    expect(h.s.leaveMac(MDNS_MAC)).toBe(0);
    expect(h.s.leaveMac(MDNS_MAC)).toBe(0);
    expect(h.s.ifaceInfo().multicastGroups).toBe(0);
  });

  it("the table is bounded by Cfg.McastGroups: full -> -ENOMEM; raw group MACs (IPv6 33:33:...) join too; non-group MACs, broadcast and non-multicast IPs are -EINVAL", () => {
    const h = harness({ config: { McastGroups: 2 } });
    expect(h.s.joinMac("33:33:00:00:00:01")).toBe(0);
    expect(h.s.joinGroup(MDNS)).toBe(0);
    expect(h.s.joinGroup("224.0.0.1")).toBe(ENOMEM);
    expect(h.s.joinMac("33:33:ff:00:00:01")).toBe(ENOMEM);
    expect(h.s.joinMac("02:00:00:00:00:09")).toBe(EINVAL);
    expect(h.s.joinMac(MAC_BCAST)).toBe(EINVAL);
    expect(h.s.joinGroup("198.51.100.9")).toBe(EINVAL);
    expect(h.s.leaveGroup("198.51.100.9")).toBe(EINVAL);
    expect(h.s.ifaceInfo()).toMatchObject({ multicastGroups: 2, multicastSize: 2 });
    // the IPv6 all-nodes MAC is accepted at the frame filter (and then an unknown EtherType)
    h.rx(eth("33:33:00:00:00:01", PEER_MAC, 0x86dd, new Array(40).fill(0)));
    expect(h.stat("eth_multicast_not_joined")).toBe(0);
    expect(h.stat("eth_unknown_type")).toBe(1);
    expect(h.s.leaveMac("33:33:00:00:00:01")).toBe(0);
    expect(h.s.joinGroup("224.0.0.1")).toBe(0); // a free slot again
  });

  it("McastGroups = 0 is a stack without a multicast filter; above 256 init refuses", () => {
    const h = harness({ config: { McastGroups: 0 } });
    expect(h.s.joinGroup(MDNS)).toBe(ENOMEM);
    expect(() => harness({ config: { McastGroups: 257 } })).toThrow(/ENOMEM/);
  });

  it("RFC 1112 §6.4: a datagram to a group goes straight to the group's MAC, without ARP", () => {
    const h = harness();
    h.take();
    expect(h.s.exports.testUdpSend(ip(MDNS), 5353, 5353, 4)).toBe(1);
    const [f, ...rest] = h.take();
    expect(rest).toHaveLength(0);
    expect([f.proto, f.src, f.dst, f.dstMac]).toEqual(["UDP", US, MDNS, MDNS_MAC]);
  });
});

describe("connections on a removed address end with EADDRNOTAVAIL", () => {
  it("clearing the address aborts an established connection (Error event, tcpInfo lastError, read/write -EADDRNOTAVAIL), sends no RST; the wildcard listener survives and accepts on the next address", async () => {
    const { net, a, b, l, c, s } = await connected();
    const x = b.x as unknown as Record<string, (...v: number[]) => number>;
    net.log = [];
    expect(x.ifaceClearIpv4()).toBe(0);
    expect(b.state(s)).toBe(S.CLOSED);
    expect(b.hasEvent(s, Ev.Error, 16)).toBe(true);
    expect(b.events.filter((e) => e.sock === -1 && e.kind === EventKind.AddressChanged).map((e) => e.arg)).toEqual([AddressChange.Address]);
    expect(b.info(s).lastError).toBe(16);
    expect(b.read(s)).toBe(EADDRNOTAVAIL);
    expect(b.write(s, new Uint8Array(4))).toBe(EADDRNOTAVAIL);
    expect(b.stat("tcp_conns_aborted")).toBe(1);
    expect(b.state(l)).toBe(S.LISTEN);
    net.run(100);
    expect(net.segs(b).filter((g) => g.flags & RST)).toHaveLength(0); // the address is not ours to send from
    expect(a.state(c)).toBe(S.ESTABLISHED);
    // a new address: the listener accepts there
    expect(x.ifaceSetIpv4(ip("198.51.100.3"), 24, 0)).toBe(0);
    const c2 = a.open();
    expect(a.connect(c2, "198.51.100.3", 80)).toBe(0);
    let s2 = -1;
    net.runUntil(() => { if (s2 < 0) { const r = b.accept(l); if (r > 0) s2 = r; } return s2 > 0 && a.state(c2) === S.ESTABLISHED; }, 10_000);
    expect(s2).toBeGreaterThan(0);
    b.close(s);
  });

  it("changing the address aborts every connection on the old one (opening ones too); a gateway-only change keeps them", async () => {
    const { net, a, b, c } = await connected();
    const x = a.x as unknown as Record<string, (...v: number[]) => number>;
    const pending = a.open();
    net.hook = () => "drop"; // keep the second connection in SYN-SENT
    expect(a.connect(pending, "198.51.100.2", 81)).toBe(0);
    expect(a.state(pending)).toBe(S.SYN_SENT);
    expect(x.ifaceSetIpv4(ip("198.51.100.1"), 24, ip("198.51.100.254"))).toBe(0); // gateway only
    expect(a.state(c)).toBe(S.ESTABLISHED);
    expect(x.ifaceSetIpv4(ip("198.51.100.11"), 24, ip("198.51.100.254"))).toBe(0);
    expect(a.state(c)).toBe(S.CLOSED);
    expect(a.state(pending)).toBe(S.CLOSED);
    expect(a.hasEvent(c, Ev.Error, 16)).toBe(true);
    expect(a.hasEvent(pending, Ev.Error, 16)).toBe(true);
    expect(a.stat("tcp_conns_aborted")).toBe(2);
    net.hook = null;
    void b;
  });

  it("a half-open passive connection (SYN-RECEIVED) is dropped with its address", async () => {
    const { net, a, b } = await connected();
    const l2 = b.open();
    b.bind(l2, 90);
    b.listen(l2, 4);
    net.hook = (_f, from) => (from === a ? undefined : "drop"); // B's SYN+ACK never arrives
    const c2 = a.open();
    a.connect(c2, "198.51.100.2", 90);
    net.run(5);
    const x = b.x as unknown as Record<string, (...v: number[]) => number>;
    const before = b.stat("tcp_conns_aborted");
    expect(x.ifaceClearIpv4()).toBe(0);
    expect(b.stat("tcp_conns_aborted")).toBe(before + 2); // the established one and the half-open child
    expect(b.state(l2)).toBe(S.LISTEN);
    expect(b.accept(l2)).toBe(-11); // EAGAIN: nothing left to accept
  });
});

describe("NetStack follows the interface", () => {
  it("setIpv4 / clearIpv4 raise an 'address' event and update net.address; an invalid address throws EINVAL", async () => {
    const sim = new Sim({ seed: 3 });
    const link = sim.link({ delayMs: 1 });
    const net = createStack({ ip: "198.51.100.2/24", link: { type: "emulated", sim, link }, seed: 3 });
    const seen: [string | null, number][] = [];
    net.on("address", (info, bits) => seen.push([info.address, bits]));
    net.setIpv4("198.51.100.20/25", "198.51.100.1");
    expect(net.address).toBe("198.51.100.20");
    expect(net.prefix).toBe(25);
    expect(() => net.setIpv4("198.51.100.20/40")).toThrow(/EINVAL/);
    net.setDns(["198.51.100.53"]);
    expect(net.ifaceInfo().dns).toEqual(["198.51.100.53"]);
    net.clearIpv4();
    expect(net.address).toBe("0.0.0.0");
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([["198.51.100.20", 3], ["198.51.100.20", 4], [null, 3]]);
    net.close();
  });
});

describe("point-to-point prefixes", () => {
  it("RFC 3021: on a /31 the other address is a host, not a subnet broadcast (its echo is answered)", () => {
    const h = bare();
    expect(h.s.setIpv4("10.0.0.0/31", "10.0.0.1")).toBe(0);
    expect(h.s.ifaceInfo().broadcast).toBe("255.255.255.255");
    h.rx(eth(MAC_A, PEER_MAC, 0x0806, arp(2, PEER_MAC, "10.0.0.1", MAC_A, "10.0.0.0")));
    h.take();
    h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: "10.0.0.1", dst: "10.0.0.0", proto: 1 }, icmpEcho(8, 1, 1, [9]))));
    expect(h.take().map((f) => [f.proto, f.src, f.dst])).toEqual([["ICMP", "10.0.0.0", "10.0.0.1"]]);
  });
});
