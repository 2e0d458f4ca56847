// RDNSS options in router advertisements (RFC 8106) on the emulated link with a virtual clock,
// both testing builds: the table of IPv6 recursive DNS servers with lifetimes, read through
// ip6DnsServerInfo (Stack.ip6DnsServers).
import { describe, expect, it } from "vitest";
import { harness } from "./iface-harness.js";
import { frame6, icmp6, raBody, u32be } from "./ipv6-wire.js";
import { EUI64, NO_RS, OUR_MAC, ROUTER, ROUTER_MAC } from "./ipv6-harness.js";
import { ip6ToBytes } from "../src/stack.js";

const BUILDS = ["testing", "testing-mcu"] as const;

/** An RDNSS option (type 25): length 1 + 2 per address, reserved, lifetime, the addresses. */
const rdnss = (lifetime: number, addrs: string[]) => [25, 1 + 2 * addrs.length, 0, 0, ...u32be(lifetime), ...addrs.flatMap((a) => Array.from(ip6ToBytes(a)))];

function setup(build: (typeof BUILDS)[number]) {
  const h = harness({ build, config: { Ip6Enable: 1, Ip6Flags: EUI64 | NO_RS } });
  h.at(1000);
  const ra = (opts: number[], hops = 255) =>
    h.rx(frame6(ROUTER_MAC, OUR_MAC, { src: ROUTER, dst: "ff02::1", nh: 58, hops }, icmp6(ROUTER, "ff02::1", 134, 0, raBody({ lifetime: 1800 }, opts))));
  const servers = () => h.s.ip6DnsServers().map((d) => [d.address, d.lifetimeLeft]);
  return { h, ra, servers };
}

for (const build of BUILDS) {
  describe(`RDNSS (RFC 8106), ${build}`, () => {
    it("RFC 8106 §5.1 / §5.3.1: the servers of an RDNSS option are kept for its lifetime, then expire", () => {
      const { h, ra, servers } = setup(build);
      ra(rdnss(600, ["2001:db8:1::53", "2001:db8:2::53"]));
      expect(servers()).toEqual([["2001:db8:1::53", 600], ["2001:db8:2::53", 600]]);
      expect(h.stat("nd_rdnss_rx")).toBe(1);
      h.at(1000 + 599_000);
      expect(servers()).toEqual([["2001:db8:1::53", 1], ["2001:db8:2::53", 1]]);
      h.at(1000 + 600_000);
      expect(servers()).toEqual([]);
    });

    it("RFC 8106 §5.3.1: a later option refreshes a server's lifetime; lifetime 0 removes it; 0xffffffff is infinite", () => {
      const { h, ra, servers } = setup(build);
      ra(rdnss(100, ["2001:db8:1::53"]));
      h.at(1000 + 50_000);
      ra(rdnss(300, ["2001:db8:1::53"]));
      expect(servers()).toEqual([["2001:db8:1::53", 300]]);
      ra(rdnss(0xffffffff, ["2001:db8:3::53"]));
      ra(rdnss(0, ["2001:db8:1::53"]));
      expect(servers()).toEqual([["2001:db8:3::53", 0xffffffff]]);
      h.at(1000 + 10_000_000);
      expect(servers()).toEqual([["2001:db8:3::53", 0xffffffff]]);
    });

    it("RFC 8106 §5.3.1: with the table full (3 entries), a new server replaces the one expiring first, if it lives longer", () => {
      const { h, ra, servers } = setup(build);
      ra(rdnss(500, ["2001:db8::a", "2001:db8::b"]));
      ra(rdnss(200, ["2001:db8::c"]));
      ra(rdnss(100, ["2001:db8::d"])); // expires before all of them: not kept
      expect(servers().map((s) => s[0]).sort()).toEqual(["2001:db8::a", "2001:db8::b", "2001:db8::c"]);
      ra(rdnss(900, ["2001:db8::e"]));
      expect(servers().map((s) => s[0]).sort()).toEqual(["2001:db8::a", "2001:db8::b", "2001:db8::e"]);
      expect(h.stat("nd_rdnss_replaced")).toBe(1);
    });

    it("RFC 8106 §5.1: an option of length 1 or 2, or an even length, is ignored; multicast and :: servers are not kept", () => {
      const { h, ra, servers } = setup(build);
      ra([25, 2, 0, 0, ...u32be(600), 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0]); // length 2: no whole address
      ra([25, 4, 0, 0, ...u32be(600), ...ip6ToBytes("2001:db8::1"), 0, 0, 0, 0, 0, 0, 0, 0]); // length 4: an address and a half
      ra(rdnss(600, ["ff02::1", "::"]));
      expect(servers()).toEqual([]);
      expect(h.stat("nd_rdnss_bad")).toBe(4);
    });

    it("RFC 4861 §6.1.2: an RA that fails validation (hop limit not 255) teaches no servers", () => {
      const { ra, servers } = setup(build);
      ra(rdnss(600, ["2001:db8::53"]), 64);
      expect(servers()).toEqual([]);
    });
  });
}
