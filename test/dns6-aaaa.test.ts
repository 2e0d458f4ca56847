// AAAA queries (RFC 3596) through the core's stub resolver, both testing builds: a scripted DNS
// server (over IPv4 until UDP runs over IPv6) answers crafted replies on the emulated link with a
// virtual clock; the host's lookup(name, { family }) / resolve6 over them.
import { describe, expect, it } from "vitest";
import { harness, Harness, US } from "./iface-harness.js";
import { arp, eth, ipv4, MAC_A, qname, rr, u16, u32, udp } from "./wire-build.js";
import { Err, EventKind } from "../src/abi.js";
import { ip6ToBytes, type DnsAnswer } from "../src/stack.js";
import { Lookup, type LookupAddress } from "../src/lookup.js";

const BUILDS = ["testing", "testing-mcu"] as const;
const S1 = "198.51.100.2";
const S1_MAC = "02:00:00:00:00:02";

const AAAA = (owner: number[], a: string, ttl = 300) => rr(owner, 28, ttl, Array.from(ip6ToBytes(a)));
const A = (owner: number[], ip: string, ttl = 300) => rr(owner, 1, ttl, ip.split(".").map(Number));
const PQ = [0xc0, 12];

interface Query { sport: number; id: number; question: number[] }

function setup(build: (typeof BUILDS)[number], config: Record<string, number> = {}) {
  const h = harness({ build, config });
  expect(h.s.setDns([S1])).toBe(0);
  return h;
}

/** Answer ARP requests; the DNS queries sent since the last call. */
function queries(h: Harness): Query[] {
  const out: Query[] = [];
  for (const f of h.take()) {
    if (f.proto === "ARP" && f.arpOp === "request") {
      h.rx(eth(MAC_A, S1_MAC, 0x0806, arp(2, S1_MAC, S1, MAC_A, US)));
      out.push(...queries(h));
      continue;
    }
    if (f.proto !== "UDP" || f.dstPort !== 53) continue;
    const d = f.payload!;
    out.push({ sport: f.srcPort!, id: (d[0] << 8) | d[1], question: Array.from(d.subarray(12)) });
  }
  return out;
}

function reply(h: Harness, q: Query, answers: number[][], question = q.question) {
  const msg = [...u16(q.id), 0x81, 0x80, 0, 1, ...u16(answers.length), 0, 0, 0, 0, ...question, ...answers.flat()];
  h.rx(eth(MAC_A, S1_MAC, 0x0800, ipv4({ src: S1, dst: US, proto: 17 }, udp(S1, US, 53, q.sport, msg))));
}

const ok = (r: DnsAnswer | number): DnsAnswer => {
  if (typeof r === "number") throw new Error(`dnsResult failed: ${r}`);
  return r;
};

for (const build of BUILDS) {
  describe(`AAAA queries (RFC 3596), ${build}`, () => {
    it("RFC 3596 §2.1/§2.2: family 6 asks QTYPE 28 and returns the 16-byte addresses of the AAAA answers", () => {
      const h = setup(build);
      const q = h.s.dnsQuery("Device.Test", 6);
      expect(q).toBeGreaterThan(0);
      const [m] = queries(h);
      expect(m.question).toEqual([...qname("Device.Test"), 0, 28, 0, 1]);
      reply(h, m, [AAAA(PQ, "2001:db8::77", 600), A(PQ, "198.51.100.9"), AAAA(PQ, "2001:db8::78", 300)]);
      expect(h.events).toContainEqual([q, EventKind.DnsDone, 1]); // DnsMaxAddrs 4: 16 bytes of room, one AAAA address
      expect(ok(h.s.dnsResult(q, 32, 6))).toEqual({ ttl: 300, addresses: ["2001:db8::77"] });
    });

    it("RFC 3596: with DnsMaxAddrs 8 an answer keeps two AAAA addresses; an A query and an AAAA query of one name are cached apart", () => {
      const h = setup(build, { DnsMaxAddrs: 8 });
      const q = h.s.dnsQuery("device.test", 6);
      const [m] = queries(h);
      reply(h, m, [AAAA(PQ, "2001:db8::77"), AAAA(PQ, "2001:db8::78")]);
      expect(ok(h.s.dnsResult(q, 32, 6)).addresses).toEqual(["2001:db8::77", "2001:db8::78"]);
      const q4 = h.s.dnsQuery("device.test", 4); // not a cache hit of the AAAA answer
      const [m4] = queries(h);
      expect(m4.question.slice(-4)).toEqual([0, 1, 0, 1]);
      reply(h, m4, [A(PQ, "198.51.100.77")]);
      expect(ok(h.s.dnsResult(q4)).addresses).toEqual(["198.51.100.77"]);
      const again = h.s.dnsQuery("device.test", 6);
      expect(queries(h)).toHaveLength(0);
      expect(ok(h.s.dnsResult(again, 32, 6)).addresses).toEqual(["2001:db8::77", "2001:db8::78"]);
      expect(h.stat("dns_cache_hits")).toBe(1);
    });

    it("RFC 3596 §2.2: an AAAA record whose RDATA is not 16 bytes is malformed: dropped, the query keeps waiting", () => {
      const h = setup(build);
      const q = h.s.dnsQuery("device.test", 6);
      const [m] = queries(h);
      reply(h, m, [rr(PQ, 28, 300, [0x20, 1, 0xd, 0xb8])]);
      expect(h.stat("dns_malformed")).toBe(1);
      expect(h.s.dnsResult(q, 32, 6)).toBe(-Err.EAGAIN);
      reply(h, m, [AAAA(PQ, "2001:db8::1")]);
      expect(ok(h.s.dnsResult(q, 32, 6)).addresses).toEqual(["2001:db8::1"]);
    });

    it("RFC 1035 §4.1.4: a compression loop in an AAAA answer is dropped (dns_pointer_loop); a reply to the A question is not ours (RFC 5452 §9.1)", () => {
      const h = setup(build);
      const q = h.s.dnsQuery("device.test", 6);
      const [m] = queries(h);
      const qlen = 12 + m.question.length;
      reply(h, m, [AAAA([0xc0, qlen], "2001:db8::1")]); // the owner name points at itself
      expect(h.stat("dns_pointer_loop")).toBeGreaterThanOrEqual(1);
      reply(h, m, [A(PQ, "198.51.100.7")], [...qname("device.test"), 0, 1, 0, 1]);
      expect(h.stat("dns_bad_question")).toBe(1);
      expect(h.s.dnsResult(q, 32, 6)).toBe(-Err.EAGAIN);
    });

    it("RFC 3596: only A records for an AAAA question: ENODATA; family other than 4/6 is EINVAL", () => {
      const h = setup(build);
      const q = h.s.dnsQuery("device.test", 6);
      const [m] = queries(h);
      reply(h, m, [A(PQ, "198.51.100.7")]);
      expect(h.s.dnsResult(q, 32, 6)).toBe(-Err.ENODATA);
      const io = h.s.exports.ioBuffer();
      expect(h.s.exports.dnsQueryFamily(io, 4, 5)).toBe(-Err.EINVAL);
    });
  });
}

describe("lookup(name, { family }) and resolve6 (src/lookup.ts)", () => {
  const flush = () => new Promise((r) => setTimeout(r, 0));
  function host() {
    const h = setup("testing", { DnsMaxAddrs: 8 });
    const lk = new Lookup(h.s, () => {});
    h.s.onEvents((sock, kind) => { if (kind === EventKind.DnsDone) lk.done(sock); });
    return { h, lk };
  }

  it("family 6 resolves AAAA; family 0 asks both and lists IPv4 first (ipv6first reverses); resolve6 returns the AAAA addresses", async () => {
    const { h, lk } = host();
    const one = new Promise<[string, number]>((res, rej) => lk.lookup("device.test", { family: 6 }, ((e: Error | null, a: string, f: number) => (e ? rej(e) : res([a, f]))) as never));
    const [m] = queries(h);
    reply(h, m, [AAAA(PQ, "2001:db8::5")]);
    expect(await one).toEqual(["2001:db8::5", 6]);

    const all = lk.lookupAsync("both.test", { all: true });
    const both = queries(h);
    expect(both.map((q) => q.question.slice(-4)[1])).toEqual([1, 28]);
    reply(h, both[0], [A(PQ, "198.51.100.5")]);
    reply(h, both[1], [AAAA(PQ, "2001:db8::6")]);
    expect(await all).toEqual<LookupAddress[]>([{ address: "198.51.100.5", family: 4 }, { address: "2001:db8::6", family: 6 }]);

    const v6first = lk.lookupAsync("both.test", { all: true, order: "ipv6first" }); // both answers cached
    expect(await v6first).toEqual<LookupAddress[]>([{ address: "2001:db8::6", family: 6 }, { address: "198.51.100.5", family: 4 }]);

    const r6 = lk.resolve6Async("v6.test");
    const [m6] = queries(h);
    reply(h, m6, [AAAA(PQ, "2001:db8::7"), AAAA(PQ, "2001:db8::8")]);
    expect(await r6).toEqual(["2001:db8::7", "2001:db8::8"]);
    await flush();
  });

  it("family 0: one family failing still gives the other's addresses; both failing gives the A query's error", async () => {
    const { h, lk } = host();
    const p = lk.lookupAsync("only4.test");
    const qs = queries(h);
    reply(h, qs[0], [A(PQ, "198.51.100.8")]);
    reply(h, qs[1], [A(PQ, "198.51.100.8")]); // no AAAA: ENODATA
    expect(await p).toEqual({ address: "198.51.100.8", family: 4 });
    const q = lk.lookupAsync("none.test");
    const qs2 = queries(h);
    reply(h, qs2[0], []);
    reply(h, qs2[1], []);
    await expect(q).rejects.toMatchObject({ code: "ENODATA" });
    await expect(lk.lookupAsync("2001:db8::1", { family: 6 })).resolves.toEqual({ address: "2001:db8::1", family: 6 });
  });
});
