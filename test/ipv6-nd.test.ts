// IPv6 network layer on the emulated link with a virtual clock: addresses and DAD (RFC 4862),
// Neighbor Discovery (RFC 4861), router advertisements and SLAAC, MLDv2 reports (RFC 3810).
import { describe, expect, it } from "vitest";
import { EventKind } from "../src/stack.js";
import { frame6, icmp6, icmp6ChecksumOk, naBody, nsBody, optLla, optMtu, optPrefix, raBody, solicitedNode, u16be } from "./ipv6-wire.js";
import { EUI64, h6, LL, NO_RS, NO_SLAAC, OUR_MAC, PEER, PEER_MAC, ROUTER, ROUTER_MAC } from "./ipv6-harness.js";

describe("IPv6 addresses and DAD (RFC 4862)", () => {
  it("RFC 4862 §5.3/§5.4.2: the link-local address is tentative, probed by an NS from :: to its solicited-node group, then preferred", () => {
    const h = h6({ Ip6Flags: EUI64 });
    expect(h.addrs()).toMatchObject([{ address: LL, state: "tentative", origin: "link-local", prefix: 64 }]);
    const ns = h.out().filter((o) => o.type === 135);
    expect(ns).toHaveLength(1);
    expect(ns[0]).toMatchObject({ src: "::", dst: solicitedNode(LL), hops: 255, dstMac: "33:33:ff:00:00:01" });
    expect(ns[0].payload.length).toBe(24); // RFC 4861 §4.3: no source link-layer option from ::
    expect(icmp6ChecksumOk(ns[0])).toBe(true);
    h.at(999);
    expect(h.addrs()[0].state).toBe("tentative");
    h.at(1000);
    expect(h.addrs()[0].state).toBe("preferred");
    expect(h.events).toContainEqual([-1, EventKind.Ip6AddrState, (0 << 8) | 2]);
  });

  it("RFC 4861 §5 / RFC 7217: without EUI-64 the identifier is a keyed hash, not the MAC", () => {
    const h = h6({});
    const a = h.addrs()[0];
    expect(a.address.startsWith("fe80::")).toBe(true);
    expect(a.address).not.toBe(LL);
  });

  it("RFC 4862 §5.4.4/§5.4.5: an NA for the tentative address: duplicate, reported, never used (EUI-64: no retry)", () => {
    const h = h6({ Ip6Flags: EUI64 });
    h.out();
    h.icmp({ src: LL, dst: "ff02::1" }, 136, 0, naBody(LL, 0x20, optLla(2, PEER_MAC)));
    expect(h.addrs()[0].state).toBe("duplicate");
    expect(h.events).toContainEqual([-1, EventKind.Ip6DadFailed, 0]);
    expect(h.stat("ip6_dad_conflicts")).toBe(1);
    h.at(1000);
    expect(h.addrs()[0].state).toBe("duplicate");
    const rs = h.out().filter((o) => o.type === 133);
    expect(rs).toHaveLength(1);
    expect(rs[0].src).toBe("::"); // RFC 4861 §6.3.7: from :: without a usable link-local address
    expect(rs[0].payload.length).toBe(8); // and without a source link-layer option
    // never used: an echo to it and an address resolution for it go unanswered
    h.echo(PEER, LL, 1);
    h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, nsBody(LL, optLla(1, PEER_MAC)));
    expect(h.out().filter((o) => o.type === 129 || o.type === 136)).toHaveLength(0);
  });

  it("RFC 4862 §5.4.3: an NS from :: for the tentative address (another node's DAD) is a conflict", () => {
    const h = h6({ Ip6Flags: EUI64 });
    h.icmp({ src: "::", dst: solicitedNode(LL) }, 135, 0, nsBody(LL));
    expect(h.addrs()[0].state).toBe("duplicate");
  });

  it("RFC 4862 §5.4.3: an address resolution NS (unicast source) for a tentative address is ignored, not a conflict", () => {
    const h = h6({ Ip6Flags: EUI64 });
    h.out();
    h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, nsBody(LL, optLla(1, PEER_MAC)));
    expect(h.addrs()[0].state).toBe("tentative");
    expect(h.out().filter((o) => o.type === 136)).toHaveLength(0);
  });

  it("RFC 7217 §6: a conflict on a stable address retries with the next DAD counter (a new identifier)", () => {
    const h = h6({});
    const first = h.addrs()[0].address;
    h.out();
    h.icmp({ src: "::", dst: solicitedNode(first) }, 135, 0, nsBody(first));
    const a = h.addrs()[0];
    expect(a).toMatchObject({ state: "tentative", dadCount: 1 });
    expect(a.address).not.toBe(first);
    const ns = h.out().filter((o) => o.type === 135);
    expect(ns).toHaveLength(1);
    expect(ns[0].dst).toBe(solicitedNode(a.address));
    h.at(1000);
    expect(h.addrs()[0].state).toBe("preferred");
  });

  it("RFC 4862 §5.4: Ip6DadTransmits 3 sends three probes RetransTimer apart", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS, Ip6DadTransmits: 3 });
    h.at(1000); h.at(2000);
    expect(h.addrs()[0].state).toBe("tentative");
    h.at(3000);
    expect(h.addrs()[0].state).toBe("preferred");
    expect(h.stat("ip6_dad_ns_tx")).toBe(3);
  });

  it("RFC 4862 §5.4: a static address (ip6AddrAdd) goes through DAD; ip6AddrDel removes it", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready();
    expect(h.s.ip6AddrAdd("2001:db8:5::1/64")).toBe(1);
    expect(h.s.ip6AddrAdd("2001:db8:5::1/64")).toBeLessThan(0);
    expect(h.s.ip6AddrAdd("ff02::1/64")).toBeLessThan(0);
    expect(h.addrs()[1]).toMatchObject({ address: "2001:db8:5::1", state: "tentative", origin: "static" });
    h.echo("2001:db8:5::2", "2001:db8:5::1", 1); // to a tentative address: dropped (§5.4)
    expect(h.out().filter((o) => o.type === 129)).toHaveLength(0);
    h.at(2000);
    expect(h.addrs()[1].state).toBe("preferred");
    // on-link by its prefix: the reply resolves 2001:db8:5::2 directly
    h.echo("2001:db8:5::2", "2001:db8:5::1", 2);
    const ns = h.out().filter((o) => o.type === 135);
    expect(ns[0].dst).toBe(solicitedNode("2001:db8:5::2"));
    h.icmp({ src: "2001:db8:5::2", dst: "2001:db8:5::1" }, 136, 0, naBody("2001:db8:5::2", 0x60, optLla(2, PEER_MAC)));
    const rep = h.out().filter((o) => o.type === 129);
    expect(rep).toHaveLength(1);
    expect(rep[0]).toMatchObject({ src: "2001:db8:5::1", dst: "2001:db8:5::2", dstMac: PEER_MAC });
    expect(h.s.ip6AddrDel("2001:db8:5::1")).toBe(0);
    expect(h.addrs()).toHaveLength(1);
    h.echo("2001:db8:5::2", "2001:db8:5::1", 3);
    expect(h.out()).toHaveLength(0);
  });
});

describe("Neighbor Discovery (RFC 4861)", () => {
  it("RFC 4861 §7.2.3/§7.2.4: an NS for our address is answered by a solicited NA with our link-layer address; the sender is cached STALE", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready();
    h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, nsBody(LL, optLla(1, PEER_MAC)));
    const na = h.out().filter((o) => o.type === 136);
    expect(na).toHaveLength(1);
    expect(na[0]).toMatchObject({ src: LL, dst: PEER, hops: 255, dstMac: PEER_MAC });
    expect(na[0].payload[4]).toBe(0x60); // S and O, not R
    expect(Array.from(na[0].payload.subarray(24, 32))).toEqual([2, 1, 2, 0, 0, 0, 0, 1]);
    expect(icmp6ChecksumOk(na[0])).toBe(true);
    // cached STALE from the NS, then DELAY: the NA was a packet sent to it (§7.3.3)
    expect(h.s.ip6Neighbors()).toMatchObject([{ address: PEER, mac: PEER_MAC, state: "DELAY", isRouter: false }]);
  });

  it("RFC 4861 §7.2.4: a DAD NS (from ::) for our preferred address is defended by an NA to ff02::1 without S", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready();
    h.icmp({ src: "::", dst: solicitedNode(LL) }, 135, 0, nsBody(LL));
    const na = h.out().filter((o) => o.type === 136);
    expect(na[0]).toMatchObject({ dst: "ff02::1", dstMac: "33:33:00:00:00:01" });
    expect(na[0].payload[4]).toBe(0x20);
    expect(h.addrs()[0].state).toBe("preferred");
  });

  // Every validity rule: the message is dropped with its counter and answered by nothing.
  const target = nsBody(LL, optLla(1, PEER_MAC));
  const cases: [string, string, (h: ReturnType<typeof h6>) => void][] = [
    ["RFC 4861 §7.1.1: NS with hop limit 254", "nd_bad_hop_limit", (h) => h.icmp({ src: PEER, dst: solicitedNode(LL), hops: 254 }, 135, 0, target)],
    ["RFC 4861 §7.1.1: NS with code 1", "nd_bad_code", (h) => h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 1, target)],
    ["RFC 4861 §7.1.1: NS shorter than 24 bytes", "nd_truncated", (h) => h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, target.slice(0, 16))],
    ["RFC 4861 §7.1.1: NS with a zero-length option", "nd_bad_option", (h) => h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, nsBody(LL, [1, 0, 2, 0, 0, 0, 0, 2]))],
    ["RFC 4861 §7.1.1: NS with an option past the message", "nd_bad_option", (h) => h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, nsBody(LL, [1, 2, 2, 0, 0, 0, 0, 2]))],
    ["RFC 4861 §7.1.1: NS for a multicast target", "nd_bad_target", (h) => h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, nsBody("ff02::1", optLla(1, PEER_MAC)))],
    ["RFC 4861 §7.1.1: NS from :: to a unicast destination", "nd_bad_dad_ns", (h) => h.icmp({ src: "::", dst: LL }, 135, 0, nsBody(LL))],
    ["RFC 4861 §7.1.1: NS from :: with a source link-layer option", "nd_bad_dad_ns", (h) => h.icmp({ src: "::", dst: solicitedNode(LL) }, 135, 0, target)],
    ["RFC 4861 §7.1.1: NS with a wrong checksum", "icmp6_bad_checksum", (h) => h.rx(frame6(PEER_MAC, OUR_MAC, { src: PEER, dst: solicitedNode(LL), nh: 58, hops: 255 }, icmp6(PEER, solicitedNode(LL), 135, 0, target, true)))],
    ["RFC 4861 §7.1.2: NA with hop limit 64", "nd_bad_hop_limit", (h) => h.icmp({ src: PEER, dst: LL, hops: 64 }, 136, 0, naBody(PEER, 0x60, optLla(2, PEER_MAC)))],
    ["RFC 4861 §7.1.2: NA to a multicast destination with S set", "nd_bad_na", (h) => h.icmp({ src: PEER, dst: "ff02::1" }, 136, 0, naBody(PEER, 0x60, optLla(2, PEER_MAC)))],
    ["RFC 4861 §7.1.2: NA for a multicast target", "nd_bad_target", (h) => h.icmp({ src: PEER, dst: LL }, 136, 0, naBody("ff02::1", 0x20))],
    ["RFC 4861 §6.1.2: RA from a global address", "nd_ra_bad_source", (h) => h.icmp({ src: "2001:db8::1", dst: "ff02::1" }, 134, 0, raBody({}, optPrefix("2001:db8:1::", 64, 0xc0, 3600, 1800)), ROUTER_MAC)],
    ["RFC 4861 §6.1.2: RA with hop limit 254", "nd_bad_hop_limit", (h) => h.icmp({ src: ROUTER, dst: "ff02::1", hops: 254 }, 134, 0, raBody({}, optPrefix("2001:db8:1::", 64, 0xc0, 3600, 1800)), ROUTER_MAC)],
    ["RFC 4861 §6.1.2: RA with code 2", "nd_bad_code", (h) => h.icmp({ src: ROUTER, dst: "ff02::1" }, 134, 2, raBody({}, optPrefix("2001:db8:1::", 64, 0xc0, 3600, 1800)), ROUTER_MAC)],
    ["RFC 4861 §6.1.2: RA shorter than 16 bytes", "nd_truncated", (h) => h.icmp({ src: ROUTER, dst: "ff02::1" }, 134, 0, raBody({}).slice(0, 8), ROUTER_MAC)],
    ["RFC 4861 §8.1: redirect with hop limit 64", "nd_bad_hop_limit", (h) => h.icmp({ src: ROUTER, dst: LL, hops: 64 }, 137, 0, [0, 0, 0, 0, ...new Array(32).fill(0)], ROUTER_MAC)],
  ];
  for (const [name, counter, send] of cases) {
    it(`${name}: dropped (${counter})`, () => {
      const h = h6({ Ip6Flags: EUI64 | NO_RS });
      h.ready(false);
      const before = h.stat(counter);
      send(h);
      expect(h.stat(counter)).toBe(before + 1);
      expect(h.out()).toHaveLength(0);
      expect(h.s.ip6Neighbors()).toHaveLength(0);
      const i = h.s.ip6Info();
      expect(i.routers).toBe(0);
      expect(h.addrs()).toHaveLength(1);
    });
  }

  it("RFC 4861 §7.2.2/§7.3.3: resolution INCOMPLETE -> multicast NS, queued reply sent on the solicited NA -> REACHABLE -> STALE after ReachableTime", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    h.echo(PEER, LL, 1, [9, 8, 7]);
    let f = h.out();
    expect(f.map((o) => o.type)).toEqual([135]);
    expect(f[0]).toMatchObject({ src: LL, dst: solicitedNode(PEER), hops: 255 });
    expect(Array.from(f[0].payload.subarray(24, 32))).toEqual([1, 1, 2, 0, 0, 0, 0, 1]); // SLLA
    expect(h.s.ip6Neighbors()).toMatchObject([{ address: PEER, state: "INCOMPLETE", queued: 1, probes: 1 }]);
    h.icmp({ src: PEER, dst: LL }, 136, 0, naBody(PEER, 0x60, optLla(2, PEER_MAC)));
    f = h.out();
    expect(f.map((o) => o.type)).toEqual([129]);
    expect(f[0]).toMatchObject({ dst: PEER, dstMac: PEER_MAC });
    expect(h.s.ip6Neighbors()).toMatchObject([{ state: "REACHABLE", queued: 0, mac: PEER_MAC }]);
    const reach = h.s.ip6Info().reachableMs;
    expect(reach).toBeGreaterThanOrEqual(15000);
    expect(reach).toBeLessThan(45000);
    h.at(1000 + reach - 1);
    expect(h.s.ip6Neighbors()[0].state).toBe("REACHABLE");
    h.at(1000 + reach);
    expect(h.s.ip6Neighbors()[0].state).toBe("STALE");
  });

  it("RFC 4861 §7.3.3: STALE -> DELAY on a send, PROBE after 5 s (unicast NS), REACHABLE again on a solicited NA", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(); // PEER STALE from its NS
    h.echo(PEER, LL, 1);
    expect(h.out().map((o) => o.type)).toEqual([129]); // sent at once from STALE
    expect(h.s.ip6Neighbors()[0].state).toBe("DELAY");
    h.at(5999);
    const early = h.out();
    expect(early.filter((o) => o.type !== 143)).toEqual([]); // (the second MLD report may fall here)
    h.at(6000);
    expect(h.s.ip6Neighbors()[0].state).toBe("PROBE");
    const ns = h.out();
    expect(ns).toHaveLength(1);
    expect(ns[0]).toMatchObject({ type: 135, dst: PEER, dstMac: PEER_MAC }); // unicast probe
    h.icmp({ src: PEER, dst: LL }, 136, 0, naBody(PEER, 0x40, optLla(2, PEER_MAC)));
    expect(h.s.ip6Neighbors()[0].state).toBe("REACHABLE");
  });

  it("RFC 4861 §7.3.3: PROBE gives up after MAX_UNICAST_SOLICIT (3) probes; the entry is deleted", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready();
    h.echo(PEER, LL, 1);
    h.at(6000); h.at(7000); h.at(8000);
    expect(h.out().filter((o) => o.type === 135)).toHaveLength(3);
    expect(h.s.ip6Neighbors()[0].state).toBe("PROBE");
    h.at(9000);
    expect(h.s.ip6Neighbors()).toHaveLength(0);
    expect(h.stat("nd_resolution_failed")).toBe(1);
  });

  it("RFC 4861 §7.2.2: INCOMPLETE gives up after MAX_MULTICAST_SOLICIT (3) NS; the queued packet is dropped", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    h.echo(PEER, LL, 1);
    h.at(2000); h.at(3000);
    expect(h.out().filter((o) => o.type === 135 && o.dst === solicitedNode(PEER))).toHaveLength(3);
    h.at(4000);
    expect(h.s.ip6Neighbors()).toHaveLength(0);
    expect(h.stat("nd_queue_dropped")).toBe(1);
    expect(h.stat("nd_resolution_failed")).toBe(1);
  });

  it("RFC 4861 §7.2.5: an NA without Override and with another address makes REACHABLE STALE and keeps the cached address", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    h.echo(PEER, LL, 1);
    h.icmp({ src: PEER, dst: LL }, 136, 0, naBody(PEER, 0x60, optLla(2, PEER_MAC)));
    h.icmp({ src: PEER, dst: LL }, 136, 0, naBody(PEER, 0x40, optLla(2, "02:00:00:00:00:99")));
    expect(h.s.ip6Neighbors()[0]).toMatchObject({ state: "STALE", mac: PEER_MAC });
    // with Override the new address is taken
    h.icmp({ src: PEER, dst: LL }, 136, 0, naBody(PEER, 0x60, optLla(2, "02:00:00:00:00:99")));
    expect(h.s.ip6Neighbors()[0]).toMatchObject({ state: "REACHABLE", mac: "02:00:00:00:00:99" });
  });

  it("RFC 4861 §7.2.5: an unsolicited NA for a neighbor not in the cache is discarded", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    h.icmp({ src: PEER, dst: "ff02::1" }, 136, 0, naBody(PEER, 0x20, optLla(2, PEER_MAC)));
    expect(h.stat("nd_na_unsolicited")).toBe(1);
    expect(h.s.ip6Neighbors()).toHaveLength(0);
  });

  it("RFC 4861 §6.3.7: up to 3 router solicitations 4 s apart once the link-local address is usable, with SLLA", () => {
    const h = h6({ Ip6Flags: EUI64 });
    h.at(1000);
    let rs = h.out().filter((o) => o.type === 133);
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ src: LL, dst: "ff02::2", hops: 255, dstMac: "33:33:00:00:00:02" });
    expect(Array.from(rs[0].payload.subarray(8, 16))).toEqual([1, 1, 2, 0, 0, 0, 0, 1]);
    h.at(4999); expect(h.out().filter((o) => o.type === 133)).toHaveLength(0);
    h.at(5000); h.at(9000); h.at(13000); h.at(30000);
    rs = h.out().filter((o) => o.type === 133);
    expect(rs).toHaveLength(2);
    expect(h.stat("nd_rs_tx")).toBe(3);
  });

  it("RFC 4861 §6.3.7: a router advertisement ends solicitation", () => {
    const h = h6({ Ip6Flags: EUI64 });
    h.at(1000);
    h.icmp({ src: ROUTER, dst: "ff02::1" }, 134, 0, raBody({ lifetime: 0 }), ROUTER_MAC);
    h.at(5000); h.at(9000);
    expect(h.stat("nd_rs_tx")).toBe(1);
  });
});

describe("Router advertisements and SLAAC (RFC 4861 §6.3.4, RFC 4862 §5.5)", () => {
  const ra = (h: ReturnType<typeof h6>, opts: number[], r: Parameters<typeof raBody>[0] = {}) =>
    h.icmp({ src: ROUTER, dst: "ff02::1" }, 134, 0, raBody(r, [...optLla(1, ROUTER_MAC), ...opts]), ROUTER_MAC);
  const SLAAC = "2001:db8:1::ff:fe00:1";

  it("RFC 4861 §6.3.4: hop limit, reachable time, retrans timer, MTU, default router and on-link prefix; the router cached STALE as a router", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    ra(h, [...optMtu(1400), ...optPrefix("2001:db8:1::", 64, 0xc0, 7200, 3600)], { hops: 32, lifetime: 1800, reachable: 20000, retrans: 2000 });
    expect(h.s.ip6Info()).toMatchObject({ hopLimit: 32, baseReachableMs: 20000, retransMs: 2000, linkMtu: 1400, routers: 1, prefixes: 1 });
    expect(h.s.ip6Neighbors()).toMatchObject([{ address: ROUTER, mac: ROUTER_MAC, state: "STALE", isRouter: true }]);
    expect(h.addrs()[1]).toMatchObject({ address: SLAAC, state: "tentative", origin: "slaac", validLeft: 7200, preferredLeft: 3600 });
    h.at(2999); expect(h.addrs()[1].state).toBe("tentative"); // RetransTimer is 2 s now
    h.at(3000); expect(h.addrs()[1].state).toBe("preferred");
    // off-link destinations go through the default router, with the advertised hop limit
    h.out();
    h.echo("2001:db8:9::9", SLAAC, 5, [], ROUTER_MAC);
    const rep = h.out().filter((o) => o.type === 129);
    expect(rep[0]).toMatchObject({ src: SLAAC, dst: "2001:db8:9::9", dstMac: ROUTER_MAC, hops: 32 });
  });

  it("RFC 4861 §6.3.4: an MTU option outside 1280..the link MTU is ignored", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    ra(h, optMtu(1200));
    ra(h, optMtu(9000));
    expect(h.stat("nd_bad_mtu")).toBe(2);
    expect(h.s.ip6Info().linkMtu).toBe(1500);
  });

  it("RFC 4861 §6.3.4: router lifetime 0 removes the default router; off-link is then unreachable", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    ra(h, [], { lifetime: 600 });
    expect(h.s.ip6Info().routers).toBe(1);
    ra(h, [], { lifetime: 0 });
    expect(h.s.ip6Info().routers).toBe(0);
    ra(h, [], { lifetime: 10 });
    h.at(1000 + 10000);
    expect(h.s.ip6Info().routers).toBe(0);
  });

  it("RFC 4862 §5.5.4: the SLAAC address is deprecated at its preferred lifetime and removed at its valid lifetime", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    ra(h, optPrefix("2001:db8:1::", 64, 0xc0, 20, 10));
    h.at(2000);
    expect(h.addrs()[1].state).toBe("preferred");
    h.at(1000 + 9999); expect(h.addrs()[1].state).toBe("preferred");
    h.at(1000 + 10000); expect(h.addrs()[1].state).toBe("deprecated");
    expect(h.events).toContainEqual([-1, EventKind.Ip6AddrState, (1 << 8) | 3]);
    h.at(1000 + 20000);
    expect(h.addrs()).toHaveLength(1);
    expect(h.stat("ip6_addr_expired")).toBe(1);
    h.echo("2001:db8:9::9", SLAAC, 5, [], ROUTER_MAC);
    expect(h.out().filter((o) => o.type === 129)).toHaveLength(0);
  });

  it("RFC 4862 §5.5.3 (e): the two-hour rule for the valid lifetime", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    ra(h, optPrefix("2001:db8:1::", 64, 0xc0, 10000, 10000));
    h.at(2000);
    ra(h, optPrefix("2001:db8:1::", 64, 0xc0, 60, 60)); // remaining 10000 s > 2 h: set to 2 h
    expect(h.addrs()[1].validLeft).toBe(7200);
    expect(h.addrs()[1].preferredLeft).toBe(60); // the preferred lifetime is taken as advertised
    ra(h, optPrefix("2001:db8:1::", 64, 0xc0, 60, 60)); // remaining <= 2 h: ignored
    expect(h.addrs()[1].validLeft).toBe(7200);
    ra(h, optPrefix("2001:db8:1::", 64, 0xc0, 9000, 60)); // more than 2 h: taken
    expect(h.addrs()[1].validLeft).toBe(9000);
  });

  it("RFC 4862 §5.5.3 (b)(c)(d): link-local prefixes, preferred > valid and prefixes other than /64 are not used for SLAAC", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    ra(h, [...optPrefix("fe80::", 64, 0xc0, 3600, 1800), ...optPrefix("2001:db8:2::", 64, 0x40, 100, 200),
      ...optPrefix("2001:db8:3::", 48, 0x40, 3600, 1800)]);
    expect(h.addrs()).toHaveLength(1);
    expect(h.stat("nd_prefix_ignored")).toBe(3);
  });

  it("RFC 4862 §5.5.3: Ip6Flags bit 1 turns SLAAC off; the on-link prefix is still recorded", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS | NO_SLAAC });
    h.ready(false);
    ra(h, optPrefix("2001:db8:1::", 64, 0xc0, 3600, 1800));
    expect(h.addrs()).toHaveLength(1);
    expect(h.s.ip6Info().prefixes).toBe(1);
  });

  it("RFC 4862 §5.4: a SLAAC address formed with RFC 7217 differs from the EUI-64 one and passes DAD", () => {
    const h = h6({ Ip6Flags: NO_RS });
    h.ready(false);
    ra(h, optPrefix("2001:db8:1::", 64, 0xc0, 3600, 1800));
    h.at(2000);
    const a = h.addrs()[1];
    expect(a.address.startsWith("2001:db8:1:0:")).toBe(true);
    expect(a.address).not.toBe(SLAAC);
    expect(a.state).toBe("preferred");
  });
});

describe("MLDv2 (RFC 3810)", () => {
  it("RFC 3810 §6.1: joining a solicited-node group sends an unsolicited report (CHANGE_TO_EXCLUDE) twice, 1 s apart, with Router Alert and hop limit 1", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.out();
    h.at(0);
    let r = h.out().filter((o) => o.type === 143);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ dst: "ff02::16", hops: 1, nh: 0, upper: 58, src: "::" });
    expect(Array.from(r[0].raw.subarray(54, 62))).toEqual([58, 0, 5, 2, 0, 0, 1, 0]); // Hop-by-Hop: Router Alert 0
    expect(icmp6ChecksumOk(r[0])).toBe(true);
    expect(r[0].payload[7]).toBe(1); // one record
    expect(r[0].payload[8]).toBe(4); // CHANGE_TO_EXCLUDE_MODE
    h.at(1000);
    r = h.out().filter((o) => o.type === 143);
    expect(r).toHaveLength(1);
    expect(r[0].src).toBe(LL); // the link-local address is usable now
    h.at(5000);
    expect(h.stat("mld_reports_tx")).toBe(2);
  });

  it("RFC 3810 §6.2: a general query is answered with a current-state report (MODE_IS_EXCLUDE) within the maximum response delay", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    h.at(3000);
    h.out();
    const q = [...u16be(1000), 0, 0, ...new Array(16).fill(0), 0, 0, 0, 0];
    h.rx(frame6(ROUTER_MAC, OUR_MAC, { src: ROUTER, dst: "ff02::1", nh: 0, hops: 1 },
      [58, 0, 5, 2, 0, 0, 1, 0, ...icmp6(ROUTER, "ff02::1", 130, 0, q)]));
    expect(h.stat("mld_queries_rx")).toBe(1);
    h.at(4000);
    const r = h.out().filter((o) => o.type === 143);
    expect(r).toHaveLength(1);
    expect(r[0].payload[8]).toBe(2);
    expect(Array.from(r[0].payload.subarray(12, 28))).toEqual([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1]);
  });

  it("RFC 3810 §6.1: removing an address leaves its solicited-node group with a CHANGE_TO_INCLUDE report (no sources)", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    h.s.ip6AddrAdd("2001:db8:5::77/64");
    h.at(2000); h.at(3000);
    h.out();
    expect(h.s.ip6AddrDel("2001:db8:5::77")).toBe(0);
    const r = h.out().filter((o) => o.type === 143);
    expect(r).toHaveLength(1);
    expect(r[0].src).toBe(LL);
    expect(r[0].payload[7]).toBe(1);
    expect(Array.from(r[0].payload.subarray(8, 12))).toEqual([3, 0, 0, 0]);
    expect(Array.from(r[0].payload.subarray(12, 28))).toEqual([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0x77]);
    expect(icmp6ChecksumOk(r[0])).toBe(true);
  });

  it("RFC 3810 §6.2: a query with hop limit 2 is dropped", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready(false);
    const q = [...u16be(1000), 0, 0, ...new Array(16).fill(0), 0, 0, 0, 0];
    h.rx(frame6(ROUTER_MAC, OUR_MAC, { src: ROUTER, dst: "ff02::1", nh: 58, hops: 2 }, icmp6(ROUTER, "ff02::1", 130, 0, q)));
    expect(h.stat("mld_bad_query")).toBe(1);
  });
});
