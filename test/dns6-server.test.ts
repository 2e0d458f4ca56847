// DNS over IPv6 servers (issue 10): the core's stub resolver sends its A and AAAA queries over
// UDP over IPv6 to servers set by the host (ip6SetDns, Stack.setDns with an IPv6 address) and
// learned from RDNSS options (RFC 8106), with the same retransmission, rotation, ID and port
// randomisation and reply checks (RFC 5452) as over IPv4. Both testing builds, the emulated link
// and a virtual clock; a scripted server answers from the test.
import { describe, expect, it } from "vitest";
import { harness } from "./iface-harness.js";
import { frame6, icmp6, nsBody, optLla, parse6, raBody, solicitedNode, u32be, udp6, type Out6 } from "./ipv6-wire.js";
import { eth, ipv4, qname, rr, u16, udp } from "./wire-build.js";
import { EUI64, LL, NO_RS, OUR_MAC, PEER, PEER_MAC, ROUTER, ROUTER_MAC } from "./ipv6-harness.js";
import { Err, EventKind } from "../src/abi.js";
import { ip6ToBytes, type DnsAnswer } from "../src/stack.js";
import { Lookup } from "../src/lookup.js";

const BUILDS = ["testing", "testing-mcu"] as const;
const PQ = [0xc0, 12];
const AAAA = (a: string, ttl = 300) => rr(PQ, 28, ttl, Array.from(ip6ToBytes(a)));
const A = (ip: string, ttl = 300) => rr(PQ, 1, ttl, ip.split(".").map(Number));
/** An RDNSS option (RFC 8106 §5.1). */
const rdnss = (lifetime: number, addrs: string[]) => [25, 1 + 2 * addrs.length, 0, 0, ...u32be(lifetime), ...addrs.flatMap((a) => Array.from(ip6ToBytes(a)))];

interface Q6 { f: Out6; server: string; sport: number; id: number; question: number[] }

function setup(build: (typeof BUILDS)[number], config: Record<string, number> = {}) {
  const h = harness({ build, config: { Ip6Enable: 1, Ip6Flags: EUI64 | NO_RS, ...config } });
  h.at(1000); // DAD of the link-local address
  // the peers announce themselves (NS with their link-layer addresses): queries need no resolution
  for (const [a, mac] of [[PEER, PEER_MAC], ["fe80::3", "02:00:00:00:00:03"]]) {
    h.rx(frame6(mac, OUR_MAC, { src: a, dst: solicitedNode(LL), nh: 58, hops: 255 }, icmp6(a, solicitedNode(LL), 135, 0, nsBody(LL, optLla(1, mac)))));
  }
  let taken = h.sent.length;
  /** DNS queries sent over IPv6 since the last call. */
  const queries = (): Q6[] => {
    const out: Q6[] = [];
    for (const raw of h.sent.slice(taken)) {
      const f = parse6(raw);
      if (!f || f.upper !== 17 || ((f.payload[2] << 8) | f.payload[3]) !== 53) continue;
      const d = f.payload.subarray(8);
      out.push({ f, server: f.dst, sport: (f.payload[0] << 8) | f.payload[1], id: (d[0] << 8) | d[1], question: Array.from(d.subarray(12)) });
    }
    taken = h.sent.length;
    return out;
  };
  /** The server's answer to `q` (from `from`:`port`, by default the server queried, port 53). */
  const answer = (q: Q6, answers: number[][], o: { from?: string; port?: number; mac?: string; id?: number } = {}) => {
    const from = o.from ?? q.server;
    const msg = [...u16(o.id ?? q.id), 0x81, 0x80, 0, 1, ...u16(answers.length), 0, 0, 0, 0, ...q.question, ...answers.flat()];
    h.rx(frame6(o.mac ?? PEER_MAC, OUR_MAC, { src: from, dst: q.f.src, nh: 17 }, udp6(from, q.f.src, o.port ?? 53, q.sport, msg)));
  };
  const setDns6 = (i: number, a: string) => h.s.exports.ip6SetDns(i, h.s.putIo(ip6ToBytes(a)));
  return { h, queries, answer, setDns6 };
}

const ok = (r: DnsAnswer | number): DnsAnswer => {
  if (typeof r === "number") throw new Error(`dnsResult failed: ${r}`);
  return r;
};

for (const build of BUILDS) {
  describe(`DNS over IPv6 servers, ${build}`, () => {
    it("RFC 1035 §7 / RFC 3596 over RFC 8200: with only an IPv6 server (ip6SetDns), A and AAAA queries go to it over UDP/IPv6 port 53 and its answers complete them", () => {
      const { h, queries, answer, setDns6 } = setup(build);
      expect(h.s.ifaceInfo().dns).toEqual([]); // no IPv4 server at all
      expect(setDns6(0, PEER)).toBe(0);
      const q4 = h.s.dnsQuery("device.test", 4);
      const q6 = h.s.dnsQuery("device.test", 6);
      expect(q4).toBeGreaterThan(0);
      const [m4, m6] = queries();
      expect(m4).toMatchObject({ server: PEER });
      expect(m4.f.src).toBe(LL); // RFC 6724: link-local towards a link-local server
      expect(m4.question).toEqual([...qname("device.test"), 0, 1, 0, 1]);
      expect(m6.question).toEqual([...qname("device.test"), 0, 28, 0, 1]);
      answer(m4, [A("198.51.100.9", 120)]);
      answer(m6, [AAAA("2001:db8::9", 60)]);
      expect(ok(h.s.dnsResult(q4))).toEqual({ ttl: 120, addresses: ["198.51.100.9"] });
      expect(ok(h.s.dnsResult(q6, 32, 6))).toEqual({ ttl: 60, addresses: ["2001:db8::9"] });
      expect(h.stat("dns_replies_accepted")).toBe(2);
    });

    it("RFC 5452 §9.2 over IPv6: each query from its own random ephemeral port with a random ID; a retransmission takes a fresh ID from the same port", () => {
      const { h, queries, setDns6 } = setup(build);
      setDns6(0, PEER);
      h.s.dnsQuery("a.test");
      h.s.dnsQuery("b.test");
      const [a, b] = queries();
      for (const q of [a, b]) expect(q.sport).toBeGreaterThanOrEqual(49152);
      expect(a.sport).not.toBe(b.sport);
      expect(a.id).not.toBe(b.id);
      h.at(1000 + 2000); // DnsTimeoutMs
      const re = queries();
      expect(re.map((q) => q.sport)).toEqual([a.sport, b.sport]);
      expect(re[0].id).not.toBe(a.id);
      expect(h.stat("dns_retransmits")).toBe(2);
    });

    it("RFC 5452 §9.1 over IPv6: a reply from another address, from a port other than 53, or over IPv4 from the server's IPv4 twin is dropped (dns_wrong_source) and the query keeps waiting", () => {
      const { h, queries, answer, setDns6 } = setup(build);
      setDns6(0, PEER);
      const q = h.s.dnsQuery("device.test", 6);
      const [m] = queries();
      answer(m, [AAAA("2001:db8::66")], { from: "fe80::3", mac: "02:00:00:00:00:03" });
      answer(m, [AAAA("2001:db8::66")], { port: 5353 });
      // the same answer over IPv4 to the query's port, from 198.51.100.2
      const msg = [...u16(m.id), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...m.question, ...AAAA("2001:db8::66")];
      h.rx(eth(OUR_MAC, PEER_MAC, 0x0800, ipv4({ src: "198.51.100.2", dst: "198.51.100.1", proto: 17 }, udp("198.51.100.2", "198.51.100.1", 53, m.sport, msg))));
      expect(h.stat("dns_wrong_source")).toBe(3);
      expect(h.s.dnsResult(q, 32, 6)).toBe(-Err.EAGAIN);
      answer(m, [AAAA("2001:db8::1")], { id: m.id ^ 1 });
      expect(h.stat("dns_bad_id")).toBe(1);
      answer(m, [AAAA("2001:db8::1")]);
      expect(ok(h.s.dnsResult(q, 32, 6)).addresses).toEqual(["2001:db8::1"]);
    });

    it("RFC 1035 §7.2: retransmissions rotate through the IPv4 servers, then the IPv6 ones; a reply from the server queried earlier is still not accepted for the later one", () => {
      const { h, queries, answer, setDns6 } = setup(build, { DnsTries: 3 });
      expect(h.s.setDns(["198.51.100.2", PEER])).toBe(0);
      const q = h.s.dnsQuery("device.test", 6);
      // the IPv4 server first: an ARP request for it (nobody answers), no IPv6 query yet
      expect(h.take().some((f) => f.proto === "ARP" && f.arpOp === "request")).toBe(true);
      expect(queries()).toEqual([]);
      h.at(1000 + 2000);
      const [m] = queries(); // then the IPv6 one
      expect(m.server).toBe(PEER);
      // the IPv4 server (asked first) answers the current ID over IPv4: not the server queried now
      const msg = [...u16(m.id), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...m.question, ...AAAA("2001:db8::66")];
      h.rx(eth(OUR_MAC, PEER_MAC, 0x0800, ipv4({ src: "198.51.100.2", dst: "198.51.100.1", proto: 17 }, udp("198.51.100.2", "198.51.100.1", 53, m.sport, msg))));
      expect(h.stat("dns_wrong_source")).toBe(1);
      answer(m, [AAAA("2001:db8::5")]);
      expect(ok(h.s.dnsResult(q, 32, 6)).addresses).toEqual(["2001:db8::5"]);
    });

    it("RFC 8106 §5.3.1: RDNSS servers join the rotation after the host's IPv6 servers (one already set is not asked twice), and leave it when their lifetime ends", () => {
      const { h, queries, answer, setDns6 } = setup(build, { DnsTries: 3 });
      const ra = (opts: number[]) =>
        h.rx(frame6(ROUTER_MAC, OUR_MAC, { src: ROUTER, dst: "ff02::1", nh: 58, hops: 255 }, icmp6(ROUTER, "ff02::1", 134, 0, raBody({ lifetime: 1800 }, opts))));
      ra([...optLla(1, ROUTER_MAC), ...rdnss(60, [PEER, ROUTER])]);
      expect(setDns6(0, PEER)).toBe(0);
      const q = h.s.dnsQuery("device.test", 6);
      const first = queries();
      h.at(1000 + 2000);
      const second = queries();
      h.at(1000 + 2000 + 4000); // a full round (2 servers): the timeout doubles
      const third = queries();
      expect([...first, ...second, ...third].map((m) => m.server)).toEqual([PEER, ROUTER, PEER]);
      answer(third[0], [AAAA("2001:db8::7")]);
      expect(ok(h.s.dnsResult(q, 32, 6)).addresses).toEqual(["2001:db8::7"]);
      // only the RDNSS servers: a query to the router, answered by it; after 60 s none is left
      expect(setDns6(0, "::")).toBe(0);
      const q2 = h.s.dnsQuery("other.test", 6);
      const [r] = queries();
      expect(r.server).toBe(PEER); // the RDNSS list's first entry
      answer(r, [AAAA("2001:db8::8")]);
      expect(ok(h.s.dnsResult(q2, 32, 6)).addresses).toEqual(["2001:db8::8"]);
      h.at(1000 + 61_000);
      expect(h.s.dnsQuery("late.test", 6)).toBe(-Err.EHOSTUNREACH);
    });

    it("ip6SetDns: index 0..2; multicast, loopback and IPv4-mapped servers are EINVAL; a change raises AddressChanged (4); :: clears", () => {
      const { h, setDns6 } = setup(build);
      expect(setDns6(3, PEER)).toBe(-Err.EINVAL);
      expect(setDns6(-1, PEER)).toBe(-Err.EINVAL);
      expect(setDns6(0, "ff02::1")).toBe(-Err.EINVAL);
      expect(setDns6(0, "::1")).toBe(-Err.EINVAL);
      expect(setDns6(0, "::ffff:c633:6402")).toBe(-Err.EINVAL); // ::ffff:198.51.100.2
      h.events.length = 0;
      expect(setDns6(2, "2001:db8::53")).toBe(0);
      expect(setDns6(2, "2001:db8::53")).toBe(0); // unchanged: no event
      expect(h.events.filter((e) => e[1] === EventKind.AddressChanged)).toEqual([[-1, EventKind.AddressChanged, 4]]);
      expect(setDns6(2, "::")).toBe(0);
      expect(h.s.dnsQuery("x.test")).toBe(-Err.EHOSTUNREACH);
      expect(h.s.setDns(["2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4"])).toBe(-Err.EINVAL);
    });
  });
}

describe("Stack.setDns and lookup with an IPv6 server", () => {
  it("Stack.setDns takes IPv6 servers (ip6SetDns); without IPv6 (Ip6Enable 0) an IPv6 server is ENOSYS and an IPv4 list still works", () => {
    const off = harness({ config: { Ip6Enable: 0 } });
    expect(off.s.setDns(["2001:db8::53"])).toBe(-Err.ENOSYS);
    expect(off.s.setDns(["198.51.100.2"])).toBe(0);
  });

  it("lookup(name, { family: 6 }) and family 4 resolve through an IPv6-only server list (src/lookup.ts unchanged)", async () => {
    const { h, queries, answer } = setup("testing");
    expect(h.s.setDns([PEER])).toBe(0);
    const lk = new Lookup(h.s, () => {});
    h.s.onEvents((sock, kind) => { if (kind === EventKind.DnsDone) lk.done(sock); });
    const all = lk.lookupAsync("both.test", { all: true });
    const [m4, m6] = queries();
    answer(m4, [A("198.51.100.5")]);
    answer(m6, [AAAA("2001:db8::6")]);
    expect(await all).toEqual([{ address: "198.51.100.5", family: 4 }, { address: "2001:db8::6", family: 6 }]);
  });
});
