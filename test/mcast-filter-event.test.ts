// EventKind.McastFilter (abi/abi.mjs): every reference the interface's multicast MAC filter gains
// or drops is an event (sock = -1 - (MAC octets 0-1 | 0x10000 when dropped), arg = octets 2-5), so
// a board can program a hardware filter. Raised by the IGMP table and the IPv6 tables. Both
// testing builds, the emulated link and a virtual clock.
import { describe, expect, it } from "vitest";
import { harness } from "./iface-harness.js";
import { EUI64, NO_RS } from "./ipv6-harness.js";
import { EventKind } from "../src/abi.js";

const BUILDS = ["testing", "testing-mcu"] as const;

/** The McastFilter events among `events` as ["+" | "-", "xx:xx:xx:xx:xx:xx"]. */
function filterEvents(events: [number, number, number][]): [string, string][] {
  return events.filter(([, k]) => k === EventKind.McastFilter).map(([sock, , arg]) => {
    const u = -1 - sock;
    const b = [(u >> 8) & 255, u & 255, (arg >>> 24) & 255, (arg >>> 16) & 255, (arg >>> 8) & 255, arg & 255];
    return [u & 0x10000 ? "-" : "+", b.map((x) => x.toString(16).padStart(2, "0")).join(":")];
  });
}

for (const build of BUILDS) {
  describe(`McastFilter events, ${build}`, () => {
    it("RFC 4862 §5.4.2 / RFC 4861 §7.2.1: an address added joins its solicited-node group (one reference), removing it drops the reference; a second address with the same last 24 bits takes a second reference", () => {
      const h = harness({ build, config: { Ip6Enable: 1, Ip6Flags: EUI64 | NO_RS } });
      h.at(1000);
      const base = h.events.length;
      expect(h.s.ip6AddrAdd("2001:db8::ab:cdef/64")).toBeGreaterThanOrEqual(0);
      expect(h.s.ip6AddrAdd("2001:db8:1::ab:cdef/64")).toBeGreaterThanOrEqual(0);
      expect(filterEvents(h.events.slice(base))).toEqual([["+", "33:33:ff:ab:cd:ef"], ["+", "33:33:ff:ab:cd:ef"]]);
      const mid = h.events.length;
      expect(h.s.ip6AddrDel("2001:db8::ab:cdef")).toBe(0);
      expect(filterEvents(h.events.slice(mid))).toEqual([["-", "33:33:ff:ab:cd:ef"]]);
    });

    it("RFC 1112 §6.4 / RFC 2236 §3: an IPv4 group joined adds 224.0.0.1's and its own MAC (01:00:5e + low 23 bits), the last leave drops both; an IPv6 group (RFC 2464 §7: 33:33 + low 32 bits) likewise; references balance the filter", () => {
      const h = harness({ build, config: { Ip6Enable: 1, Ip6Flags: EUI64 | NO_RS } });
      h.at(1000);
      const base = h.events.length;
      const s = h.s.udpOpen();
      expect(h.s.udpBind(s, 5000)).toBe(5000);
      expect(h.s.udpJoinGroup(s, "239.129.2.3")).toBe(0); // bit 23 of the group is not in the MAC
      expect(h.s.udpJoinGroup(s, "ff12::1234:5678")).toBe(0);
      expect(filterEvents(h.events.slice(base))).toEqual([["+", "01:00:5e:00:00:01"], ["+", "01:00:5e:01:02:03"], ["+", "33:33:12:34:56:78"]]);
      const inUse = h.s.ifaceInfoRaw().mcastInUse;
      const mid = h.events.length;
      expect(h.s.udpLeaveGroup(s, "239.129.2.3")).toBe(0);
      expect(h.s.udpLeaveGroup(s, "ff12::1234:5678")).toBe(0);
      expect(filterEvents(h.events.slice(mid))).toEqual([["-", "01:00:5e:01:02:03"], ["-", "01:00:5e:00:00:01"], ["-", "33:33:12:34:56:78"]]);
      expect(h.s.ifaceInfoRaw().mcastInUse).toBe(inUse - 3); // the filter forgot the three MACs the events dropped
      // a refused join (not multicast) raises nothing
      const end = h.events.length;
      expect(h.s.udpJoinGroup(s, "2001:db8::1")).toBeLessThan(0);
      expect(filterEvents(h.events.slice(end))).toEqual([]);
    });
  });
}
