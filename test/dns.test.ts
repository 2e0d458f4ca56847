// The DNS stub resolver (RFC 1035, RFC 5452, RFC 2308): one stack (testing build) on a virtual
// clock, a scripted DNS server answering with crafted frames (test/iface-harness.ts). Every rule
// is checked by what goes on the wire, what dnsResult returns and the dns_* counters.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { harness, Harness, US } from "./iface-harness.js";
import { arp, eth, ipv4, MAC_A, qname, rr, u16, u32, udp } from "./wire-build.js";
import { Err, EventKind } from "../src/abi.js";
import { handleKind, HandleKind, type DnsAnswer } from "../src/stack.js";
import { Sim } from "../src/links/emulated.js";
import { createStack } from "../src/net.js";

const S1 = "198.51.100.2", S2 = "198.51.100.3", S3 = "198.51.100.4";
const macOf = (ip: string) => `02:00:00:00:00:${Number(ip.split(".")[3]).toString(16).padStart(2, "0")}`;

// --- a DNS message builder ---
const ipb = (ip: string) => ip.split(".").map(Number);
const A = (owner: number[], ip: string, ttl = 300) => rr(owner, 1, ttl, ipb(ip));
const CNAME = (owner: number[], target: number[], ttl = 300) => rr(owner, 5, ttl, target);
/** Pointer to the question's name (offset 12). */
const PQ = [0xc0, 12];

interface Query { dst: string; sport: number; id: number; flags: number; qd: number; question: number[]; raw: Uint8Array }

interface ReplyOpts {
  id?: number; rcode?: number; tc?: boolean; qr?: boolean; question?: number[]; qd?: number;
  answers?: number[][]; tail?: number[];
}
function message(q: Query, o: ReplyOpts = {}): number[] {
  const flags = ((o.qr ?? true) ? 0x8000 : 0) | 0x0100 | 0x0080 | (o.tc ? 0x0200 : 0) | (o.rcode ?? 0);
  const answers = o.answers ?? [];
  const question = o.question ?? q.question;
  return [...u16(o.id ?? q.id), ...u16(flags), ...u16(o.qd ?? 1), ...u16(answers.length), 0, 0, 0, 0,
    ...question, ...answers.flat(), ...(o.tail ?? [])];
}

function setup(config: Record<string, number> = {}, servers = [S1], build: "testing" | "testing-mcu" = "testing") {
  const h = harness({ config, build });
  expect(h.s.setDns(servers)).toBe(0);
  return h;
}

/** Answer ARP requests, return the DNS queries sent since the last call. */
function queries(h: Harness): Query[] {
  const out: Query[] = [];
  for (const f of h.take()) {
    if (f.proto === "ARP" && f.arpOp === "request") {
      const tpa = f.dst!;
      h.rx(eth(MAC_A, macOf(tpa), 0x0806, arp(2, macOf(tpa), tpa, MAC_A, US)));
      out.push(...queries(h));
      continue;
    }
    if (f.proto !== "UDP" || f.dstPort !== 53) continue;
    const d = f.payload!;
    out.push({
      dst: f.dst!, sport: f.srcPort!, id: (d[0] << 8) | d[1],
      flags: (d[2] << 8) | d[3], qd: (d[4] << 8) | d[5], question: Array.from(d.subarray(12)), raw: f.raw,
    });
  }
  return out;
}

/** Deliver a DNS message from src:sport to us at dport. */
function answer(h: Harness, q: Query, msg: number[], o: { src?: string; sport?: number; dport?: number } = {}) {
  const src = o.src ?? q.dst;
  h.rx(eth(MAC_A, macOf(src), 0x0800, ipv4({ src, dst: US, proto: 17 }, udp(src, US, o.sport ?? 53, o.dport ?? q.sport, msg))));
}

const done = (h: Harness, q: number) => h.events.filter(([s, k]) => s === q && k === EventKind.DnsDone);
const result = (h: Harness, q: number) => h.s.dnsResult(q);
const ok = (r: DnsAnswer | number): DnsAnswer => {
  if (typeof r === "number") throw new Error(`dnsResult failed: ${r}`);
  return r;
};

function start(h: Harness, name = "device.test"): [number, Query] {
  const q = h.s.dnsQuery(name);
  expect(q).toBeGreaterThan(0);
  const sent = queries(h);
  expect(sent.length).toBe(1);
  return [q, sent[0]];
}

describe("DNS queries (RFC 1035 §4.1)", () => {
  it("RFC 1035 §4.1.1/§4.1.2: an A query, class IN, RD=1, one question, to port 53 of the server, from an ephemeral port", () => {
    const h = setup();
    const [q, m] = start(h, "Device.Test");
    expect(handleKind(q)).toBe(HandleKind.DNS);
    expect(m.dst).toBe(S1);
    expect(m.sport).toBeGreaterThanOrEqual(49152);
    expect(m.flags).toBe(0x0100); // QR=0, opcode QUERY, RD=1
    expect(m.qd).toBe(1);
    expect(m.question).toEqual([...qname("Device.Test"), 0, 1, 0, 1]);
    expect(h.stat("dns_queries_tx")).toBe(1);
    expect(result(h, q)).toBe(-Err.EAGAIN);
    answer(h, m, message(m, { answers: [A(PQ, "198.51.100.77", 300)] }));
    expect(done(h, q)).toEqual([[q, EventKind.DnsDone, 1]]);
    expect(ok(result(h, q))).toEqual({ ttl: 300, addresses: ["198.51.100.77"] });
    expect(result(h, q)).toBe(-Err.EBADF); // released by dnsResult
    expect(h.stat("dns_replies_accepted")).toBe(1);
  });

  it("RFC 1035 §3.6.2: a CNAME chain, records in any order; stops at DNS_CNAME_MAX links", () => {
    const h = setup();
    const [q, m] = start(h, "alias.test");
    const qlen = 12 + m.question.length;
    const cn1 = CNAME(PQ, qname("mid.test"), 600);
    const midOff = qlen + 12;
    const cn2 = CNAME([0xc0, midOff], [6, ...Buffer.from("DEVICE"), 0xc0, midOff + 4], 120);
    const devOff = qlen + cn1.length + 12;
    const a = A([0xc0, devOff], "198.51.100.77", 3600);
    const unrelated = A(qname("other.test"), "198.51.100.99", 5);
    answer(h, m, message(m, { answers: [cn1, cn2, unrelated, a] }));
    expect(ok(result(h, q))).toEqual({ ttl: 120, addresses: ["198.51.100.77"] });

    // a chain of 10 CNAMEs: c0 -> c1 -> ... -> c10 (A): too deep, no address
    const h2 = setup();
    const [q2, m2] = start(h2, "c0.test");
    const recs: number[][] = [];
    for (let i = 0; i < 10; i++) recs.push(CNAME(qname(`c${i}.test`), qname(`c${i + 1}.test`)));
    recs.push(A(qname("c10.test"), "198.51.100.5"));
    answer(h2, m2, message(m2, { answers: recs }));
    expect(result(h2, q2)).toBe(-Err.ENODATA);
    expect(h2.stat("dns_cname_too_deep")).toBe(1);
  });

  it("collects up to DnsMaxAddrs A records, in order", () => {
    const h = setup({ DnsMaxAddrs: 2 });
    const [q, m] = start(h, "multi.test");
    answer(h, m, message(m, { answers: [A(PQ, "198.51.100.10", 60), A(PQ, "198.51.100.11", 30), A(PQ, "198.51.100.12", 90)] }));
    expect(done(h, q)[0][2]).toBe(2);
    expect(ok(result(h, q))).toEqual({ ttl: 30, addresses: ["198.51.100.10", "198.51.100.11"] });
  });

  it("RFC 1035 §4.1.1: rcode NXDOMAIN, SERVFAIL, REFUSED are distinct errors; NOERROR without an A record is ENODATA; TC=1 is ETRUNCATED", () => {
    const cases: [ReplyOpts, number][] = [
      [{ rcode: 3 }, -Err.ENOTFOUND], [{ rcode: 2 }, -Err.ESERVFAIL], [{ rcode: 5 }, -Err.EREFUSED],
      [{ rcode: 1 }, -Err.ESERVFAIL], [{}, -Err.ENODATA], [{ tc: true, answers: [A(PQ, "198.51.100.1")] }, -Err.ETRUNCATED],
    ];
    for (const [o, err] of cases) {
      const h = setup();
      const [q, m] = start(h);
      answer(h, m, message(m, o));
      expect(done(h, q)).toEqual([[q, EventKind.DnsDone, err]]);
      expect(result(h, q)).toBe(err);
      expect(result(h, q)).toBe(-Err.EBADF);
    }
  });
});

describe("retransmission (RFC 1035 §4.2.1, RFC 1536 §1)", () => {
  it("retries after DnsTimeoutMs rotating through the servers with a fresh ID, doubling the timeout after each round; ETIMEDOUT after DnsTries", () => {
    const h = setup({ DnsTimeoutMs: 1000, DnsTries: 5 }, [S1, S2]);
    const [q, m0] = start(h);
    const sent: Query[] = [m0];
    const times: number[] = [];
    for (let t = 0; t <= 20000; t += 100) {
      h.at(t);
      for (const m of queries(h)) { sent.push(m); times.push(t); }
    }
    expect(sent.map((m) => m.dst)).toEqual([S1, S2, S1, S2, S1]);
    expect(times).toEqual([1000, 2000, 4000, 6000]); // 1 s, 1 s; round 2: 2 s, 2 s; round 3: 4 s
    expect(new Set(sent.map((m) => m.sport)).size).toBe(1); // one socket per query
    expect(new Set(sent.map((m) => m.id)).size).toBe(5); // a fresh ID per transmission
    expect(done(h, q)).toEqual([[q, EventKind.DnsDone, -Err.ETIMEDOUT]]);
    expect(h.stat("dns_retransmits")).toBe(4);
    expect(h.stat("dns_timeouts")).toBe(1);
    expect(result(h, q)).toBe(-Err.ETIMEDOUT);
  });

  it("a reply from the next server is accepted; the first server's late answer (old ID, other source) is dropped", () => {
    const h = setup({ DnsTimeoutMs: 1000 }, [S1, S2]);
    const [q, m1] = start(h);
    h.at(1000);
    const [m2] = queries(h);
    expect(m2.dst).toBe(S2);
    answer(h, m1, message(m1, { answers: [A(PQ, "198.51.100.66")] }));
    expect(h.stat("dns_wrong_source")).toBe(1);
    expect(done(h, q)).toEqual([]);
    answer(h, m2, message(m2, { answers: [A(PQ, "198.51.100.77")] }));
    expect(ok(result(h, q)).addresses).toEqual(["198.51.100.77"]);
  });

  it("poll reports the query's deadline", () => {
    const h = setup({ DnsTimeoutMs: 1500 });
    start(h);
    const d = h.at(100);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThanOrEqual(1400);
  });
});

describe("RFC 5452 §9.1: a reply must match server, port, ID and question", () => {
  it("wrong ID, wrong source address, wrong source port, wrong question name/type/class, a query (QR=0): dropped and counted; the query still completes", () => {
    const h = setup({}, [S1, S2]);
    const [q, m] = start(h);
    const good = message(m, { answers: [A(PQ, "198.51.100.77")] });
    answer(h, m, message(m, { id: m.id ^ 1, answers: [A(PQ, "203.0.113.66")] }));
    expect(h.stat("dns_bad_id")).toBe(1);
    answer(h, m, good, { src: S2 });
    answer(h, m, good, { src: "198.51.100.9" });
    answer(h, m, good, { sport: 5353 });
    expect(h.stat("dns_wrong_source")).toBe(3);
    answer(h, m, message(m, { question: [...qname("devicf.test"), 0, 1, 0, 1] }));
    answer(h, m, message(m, { question: [...qname("device.test"), 0, 28, 0, 1] }));
    answer(h, m, message(m, { question: [...qname("device.test"), 0, 1, 0, 3] }));
    answer(h, m, message(m, { qd: 0, question: [] }));
    expect(h.stat("dns_bad_question")).toBe(4);
    answer(h, m, message(m, { qr: false }));
    expect(h.stat("dns_not_reply")).toBe(1);
    answer(h, m, good, { dport: m.sport === 65535 ? 65534 : m.sport + 1 }); // another port: no socket
    expect(h.stat("udp_no_port")).toBe(1);
    expect(done(h, q)).toEqual([]);
    // the name compares case-insensitively (RFC 1035 §2.3.3)
    answer(h, m, message(m, { question: [...qname("DEVICE.test"), 0, 1, 0, 1], answers: [A(PQ, "198.51.100.77")] }));
    expect(ok(result(h, q)).addresses).toEqual(["198.51.100.77"]);
    expect(h.stat("dns_replies_rx")).toBe(10);
    expect(h.stat("dns_replies_accepted")).toBe(1);
  });
});

describe("RFC 1035 §4.1.4: compression pointers are checked (dropped, counted, never a trap)", () => {
  const bad: [string, (qlen: number) => number[][], string][] = [
    ["a pointer to itself (loop)", (ql) => [[0xc0, ql, ...u16(1), ...u16(1), ...u32(1), ...u16(4), 1, 2, 3, 4]], "dns_pointer_loop"],
    ["a loop through backward pointers (a label, then a pointer back to it)", (ql) => [A([1, 0x61, 0xc0, ql], "198.51.100.1")], "dns_pointer_loop"],
    ["a forward pointer", (ql) => [[0xc0, ql + 4, ...u16(1), ...u16(1), ...u32(1), ...u16(4), 1, 2, 3, 4]], "dns_pointer_forward"],
    ["a two-pointer loop (the second points forward)", (ql) => [
      A([0xc0, ql + 16 + 2], "198.51.100.1"), // owner: pointer into the next record's owner pointer
      A([0xc0, ql], "198.51.100.2"),
    ], "dns_pointer_forward"],
    ["an out-of-bounds pointer", () => [[0xc0 | 0x3f, 0xff, ...u16(1), ...u16(1), ...u32(1), ...u16(4), 1, 2, 3, 4]], "dns_pointer_out_of_bounds"],
    ["a label of 64 bytes (0x40 label type)", () => [A([64, ...new Array(64).fill(0x61), 0], "198.51.100.1")], "dns_label_too_long"],
    ["a name of 256+ bytes", () => [A([...Array(5).fill(0).flatMap(() => [63, ...new Array(63).fill(0x62)]), 0], "198.51.100.1")], "dns_name_too_long"],
    ["a pointer chain longer than 16 jumps", (ql) => {
      // a record of type 99 whose RDATA holds 20 pointers, each to the one before (the first to
      // the question name); the next record's owner points at the last of them
      const rd = ql + 12;
      const ptrs = [0xc0, 12];
      for (let i = 1; i < 20; i++) ptrs.push(0xc0 | ((rd + 2 * (i - 1)) >> 8), (rd + 2 * (i - 1)) & 0xff);
      return [rr(PQ, 99, 1, ptrs), A([0xc0, rd + 38], "198.51.100.1")];
    }, "dns_pointer_loop"],
    ["a CNAME target pointing past its RDATA", (ql) => [CNAME(PQ, [0xc0, ql + 12 + 2]), A(PQ, "198.51.100.1")], "dns_pointer_out_of_bounds"],
    ["a record running past the end", () => [[0xc0, 12, ...u16(1), ...u16(1), ...u32(1), ...u16(40), 1, 2, 3, 4]], "dns_malformed"],
  ];
  for (const build of ["testing", "testing-mcu"] as const) for (const [what, recs, counter] of bad) {
    it(`${what}: ${counter}${build === "testing" ? "" : ` (${build})`}`, () => {
      const h = setup({}, [S1], build);
      const [q, m] = start(h);
      const qlen = 12 + m.question.length;
      answer(h, m, message(m, { answers: recs(qlen) }));
      expect(h.stat(counter)).toBeGreaterThanOrEqual(1);
      expect(done(h, q)).toEqual([]); // dropped: the query still waits
      answer(h, m, message(m, { answers: [A(PQ, "198.51.100.77")] }));
      expect(ok(result(h, q)).addresses).toEqual(["198.51.100.77"]);
    });
  }

  it("a question name with a pointer loop is dropped (dns_pointer_loop)", () => {
    const h = setup();
    const [q, m] = start(h);
    answer(h, m, message(m, { question: [0xc0, 12, 0, 1, 0, 1] }));
    expect(h.stat("dns_pointer_loop")).toBe(1);
    expect(done(h, q)).toEqual([]);
  });

  it("a reply longer than 512 bytes is dropped (dns_too_long)", () => {
    const h = setup();
    const [q, m] = start(h);
    answer(h, m, message(m, { answers: [A(PQ, "198.51.100.77")], tail: new Array(600).fill(0) }));
    expect(h.stat("dns_too_long")).toBe(1);
    expect(done(h, q)).toEqual([]);
  });

  for (const build of ["testing", "testing-mcu"] as const) {
    it(`fuzz (${build}): random replies with the right ID and question never trap; the stack answers afterwards`, () => {
      const h = setup({}, [S1], build);
      const [q, m] = start(h);
      const prefix = message(m).slice(0, 12 + m.question.length);
      fc.assert(fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.integer({ min: 0, max: 0xffff }), fc.boolean(),
        (body, flagsAndCounts, keepFlags) => {
          const msg = [...prefix, ...body];
          if (!keepFlags) { msg[3] = flagsAndCounts & 0xf0; msg[6] = 0; msg[7] = flagsAndCounts & 0x1f; }
          answer(h, m, msg);
        }), { numRuns: 400, seed: 9 });
      fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 512 }), (body) => { answer(h, m, Array.from(body)); }),
        { numRuns: 200, seed: 10 });
      // whatever happened, the query is either finished or still answerable, and new queries work
      if (done(h, q).length === 0) answer(h, m, message(m, { answers: [A(PQ, "198.51.100.77")] }));
      expect(done(h, q).length).toBe(1);
      h.s.dnsResult(q);
      const [q2, m2] = start(h, "x.test");
      answer(h, m2, message(m2, { answers: [A(PQ, "198.51.100.78")] }));
      expect(ok(result(h, q2)).addresses).toEqual(["198.51.100.78"]);
    });
  }
});

describe("wire/dns.ts name codec (RFC 1035 §3.1, §4.1.4), called directly", () => {
  for (const build of ["testing", "testing-mcu"] as const) {
    it(`fuzz (${build}): dnsReadName on random messages and offsets stays in bounds: a result past the name's start and within the message, at most 255 bytes written`, () => {
      const h = setup({}, [S1], build);
      const x = h.s.exports;
      const io = x.ioBuffer() as number;
      const mem = () => new Uint8Array(x.memory.buffer);
      fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.nat(), (msg, o) => {
        const off = o % msg.length;
        mem().set(msg, io);
        mem().fill(0xee, io + 1024, io + 1024 + 300);
        const r = x.dnsReadName(io, msg.length, off, io + 1024);
        if (r >= 0) {
          expect(r).toBeGreaterThan(off);
          expect(r).toBeLessThanOrEqual(msg.length);
        } else expect(r).toBeGreaterThanOrEqual(-6);
        expect(mem()[io + 1024 + 255]).toBe(0xee); // never more than 255 bytes
      }), { numRuns: 3000, seed: 11 });
    });
  }

  it("dnsEncodeName then dnsReadName gives the name back, lower-cased (names compare case-insensitively, RFC 1035 §2.3.3)", () => {
    const h = setup();
    const x = h.s.exports;
    const io = x.ioBuffer() as number;
    const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,63}$/);
    fc.assert(fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), (labels) => {
      const name = labels.join(".");
      const b = Buffer.from(name, "latin1");
      new Uint8Array(x.memory.buffer).set(b, io);
      const n = x.dnsEncodeName(io, b.length, io + 512);
      if (b.length > 253) { expect(n).toBe(-1); return; }
      expect(n).toBe(b.length + 2);
      const r = x.dnsReadName(io + 512, n, 0, io + 1024);
      expect(r).toBe(n);
      expect(Array.from(new Uint8Array(x.memory.buffer, io + 1024, n))).toEqual(qname(name.toLowerCase()));
    }), { numRuns: 500, seed: 12 });
  });
});

describe("cache (RFC 1035 §7.4, RFC 2308)", () => {
  it("answers from the cache at once (DnsDone from inside dnsQuery, no frame) until the TTL expires in virtual time", () => {
    const h = setup();
    const [q, m] = start(h);
    answer(h, m, message(m, { answers: [A(PQ, "198.51.100.77", 5)] }));
    expect(ok(result(h, q)).ttl).toBe(5);
    h.at(2000);
    const q2 = h.s.dnsQuery("DEVICE.test.");
    expect(done(h, q2)).toEqual([[q2, EventKind.DnsDone, 1]]);
    expect(queries(h)).toEqual([]);
    expect(ok(result(h, q2))).toEqual({ ttl: 3, addresses: ["198.51.100.77"] });
    expect(h.stat("dns_cache_hits")).toBe(1);
    h.at(5000);
    const [q3] = start(h); // expired: asked again
    expect(done(h, q3)).toEqual([]);
  });

  it("RFC 2181 §8: a TTL with the top bit set counts as 0; a TTL-0 answer is not cached", () => {
    const h = setup();
    const [q, m] = start(h);
    answer(h, m, message(m, { answers: [A(PQ, "198.51.100.77", 0x80000001)] }));
    expect(ok(result(h, q))).toEqual({ ttl: 0, addresses: ["198.51.100.77"] });
    start(h); // asked again
    expect(h.stat("dns_cache_hits")).toBe(0);
  });

  it("DnsCacheEntries 0: no cache; negative answers (RFC 2308) are not cached", () => {
    const h = setup({ DnsCacheEntries: 0 });
    const [q, m] = start(h);
    answer(h, m, message(m, { answers: [A(PQ, "198.51.100.77", 300)] }));
    ok(result(h, q));
    start(h);
    const h2 = setup();
    const [q2, m2] = start(h2);
    answer(h2, m2, message(m2, { rcode: 3 }));
    expect(result(h2, q2)).toBe(-Err.ENOTFOUND);
    start(h2);
  });

  it("the least-lived entry is replaced when the cache is full", () => {
    const h = setup({ DnsCacheEntries: 2 });
    const ttls: Record<string, number> = { "a.test": 100, "b.test": 50, "c.test": 200 };
    for (const name of Object.keys(ttls)) {
      const [q, m] = start(h, name);
      answer(h, m, message(m, { answers: [A(PQ, "198.51.100.5", ttls[name])] }));
      ok(result(h, q));
    }
    for (const name of ["a.test", "c.test"]) {
      const q = h.s.dnsQuery(name);
      expect(done(h, q).length).toBe(1);
      ok(result(h, q));
    }
    start(h, "b.test"); // evicted
  });
});

describe("API misuse", () => {
  it("-EINVAL for bad names, -ENOMEM when the pool is full, -EHOSTUNREACH without a server, -EBADF for stale handles", () => {
    const h = setup({ DnsQueries: 2 });
    for (const bad of ["", ".", "a..b", "a b.test", "\u0161.test", "x".repeat(64) + ".test", ("a".repeat(50) + ".").repeat(5) + "abcd", "ü.test"]) {
      expect(h.s.dnsQuery(bad)).toBe(-Err.EINVAL);
    }
    expect(h.s.dnsQuery("x".repeat(63) + ".test")).toBeGreaterThan(0);
    expect(h.s.dnsQuery("b.test")).toBeGreaterThan(0);
    expect(h.s.dnsQuery("c.test")).toBe(-Err.ENOMEM);
    const h2 = setup({}, []);
    expect(h2.s.dnsQuery("a.test")).toBe(-Err.EHOSTUNREACH);
    const h3 = setup({ UdpSockets: 1 });
    const u = h3.s.udpOpen();
    expect(u).toBeGreaterThan(0);
    expect(h3.s.dnsQuery("a.test")).toBe(-Err.ENOMEM);
    const h4 = setup();
    const q = h4.s.dnsQuery("a.test");
    expect(h4.s.dnsCancel(q)).toBe(0);
    expect(h4.s.dnsCancel(q)).toBe(-Err.EBADF);
    expect(h4.s.dnsResult(q)).toBe(-Err.EBADF);
    expect(h4.s.dnsCancel(h4.s.udpOpen())).toBe(-Err.EBADF);
    expect(h4.s.exports.dnsResult(h4.s.dnsQuery("a.test"), 0, -1)).toBe(-Err.EINVAL);
  });
});

describe("RFC 5452 §9.2: ID and source port randomized", () => {
  it("2,000 queries: IDs and ports spread over their ranges with no more repeats than chance", () => {
    const h = setup({ DnsQueries: 1 });
    const ids: number[] = [], ports: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const q = h.s.dnsQuery("r.test");
      const [m] = queries(h);
      ids.push(m.id); ports.push(m.sport);
      expect(h.s.dnsCancel(q)).toBe(0);
    }
    // 2,000 draws from 65,536 IDs: ~30 repeats expected; from 16,384 ports: ~120
    expect(new Set(ids).size).toBeGreaterThan(2000 - 60);
    expect(new Set(ports).size).toBeGreaterThan(2000 - 180);
    expect(Math.min(...ports)).toBeGreaterThanOrEqual(49152);
    const bucket = (xs: number[], lo: number, span: number) => {
      const b = new Array(16).fill(0);
      for (const x of xs) b[Math.floor(((x - lo) * 16) / span)]++;
      return b;
    };
    for (const b of [bucket(ids, 0, 65536), bucket(ports, 49152, 16384)]) {
      for (const n of b) { expect(n).toBeGreaterThan(125 - 50); expect(n).toBeLessThan(125 + 50); }
    }
    // consecutive IDs are not sequential
    let steps = 0;
    for (let i = 1; i < ids.length; i++) if (((ids[i] - ids[i - 1]) & 0xffff) === 1) steps++;
    expect(steps).toBeLessThan(5);
  });
});

describe("Node host: node:dns-shaped lookup and connect by name (src/lookup.ts)", () => {
  const A_IP = "198.51.100.1", B_IP = "198.51.100.2";
  /** Two NetStacks on an emulated link; b runs a tiny scripted DNS server on port 53 and a TCP echo on 7. */
  function env() {
    const sim = new Sim({ seed: 5 });
    const l = sim.link({ delayMs: 1 });
    const mk = (ip: string, mac: string, seed: number) => createStack({ ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link: l } });
    const a = mk(A_IP, "02:00:00:00:00:01", 1), b = mk(B_IP, "02:00:00:00:00:02", 2);
    const zone: Record<string, number | string[]> = { "device.test": [B_IP], "multi.test": ["198.51.100.78", "198.51.100.79"], "broken.test": 2 };
    const srv = b.createSocket("udp4");
    srv.bind(53);
    srv.on("message", (msg, rinfo) => {
      let o = 12; const labels: string[] = [];
      while (msg[o] !== 0) { labels.push(msg.subarray(o + 1, o + 1 + msg[o]).toString("latin1")); o += msg[o] + 1; }
      const question: number[] = Array.from(msg.subarray(12, o + 5), (x) => Number(x));
      const z = zone[labels.join(".").toLowerCase()];
      const q: Query = { dst: B_IP, sport: rinfo.port, id: msg.readUInt16BE(0), flags: 0, qd: 1, question, raw: msg };
      const reply = z === undefined ? message(q, { rcode: 3 }) : typeof z === "number" ? message(q, { rcode: z })
        : message(q, { answers: z.map((ip) => A(PQ, ip, 60)) });
      srv.send(Buffer.from(reply), rinfo.port, rinfo.address);
    });
    b.createServer((s) => s.pipe(s)).listen(7);
    a.setDns([B_IP]);
    return { a, b };
  }

  it("lookup, lookup { all: true }, promises.lookup; errors with node's codes (ENOTFOUND, ESERVFAIL); an IP literal is returned as is", async () => {
    const { a } = env();
    const got: unknown[] = [];
    a.lookup("device.test", (err, address, family) => got.push([err, address, family]));
    a.lookup("multi.test", { all: true }, (err, addrs) => got.push([err, addrs]));
    a.lookup("198.51.100.9", (err, address, family) => got.push([err, address, family]));
    let nx: NodeJS.ErrnoException | null = null, sf: NodeJS.ErrnoException | null = null;
    a.lookup("nope.test", (err) => { nx = err; });
    a.promises.lookup("broken.test").catch((e) => { sf = e; });
    expect(await a.until(() => got.length === 3 && nx !== null && sf !== null, 10_000)).toBe(true);
    expect(got).toContainEqual([null, B_IP, 4]);
    expect(got).toContainEqual([null, [{ address: "198.51.100.78", family: 4 }, { address: "198.51.100.79", family: 4 }]]);
    expect(got).toContainEqual([null, "198.51.100.9", 4]);
    expect(nx!.code).toBe("ENOTFOUND");
    expect((nx as unknown as { hostname: string }).hostname).toBe("nope.test");
    expect(sf!.code).toBe("ESERVFAIL");
    let p: unknown = null;
    a.promises.lookup("device.test").then((x) => { p = x; });
    expect(await a.until(() => p !== null, 1000)).toBe(true);
    expect(p).toEqual({ address: B_IP, family: 4 });
    expect(a.stack.stat("dns_cache_hits")).toBe(1); // from the cache
  });

  it("more lookups than DnsQueries wait for a slot; connect({ host: name }) resolves through the core", async () => {
    const { a } = env();
    const got: string[] = [];
    for (let i = 0; i < 5; i++) a.lookup("device.test", (err, address) => got.push(err ? err.code! : address));
    const c = a.connect({ host: "device.test", port: 7 });
    let echoed = "";
    let looked: unknown[] = [];
    c.on("lookup", (...args) => { looked = args; });
    c.on("connect", () => c.end("hello"));
    c.on("data", (d: Buffer) => { echoed += d.toString(); });
    expect(await a.until(() => got.length === 5 && echoed === "hello", 10_000)).toBe(true);
    expect(got).toEqual(Array(5).fill(B_IP));
    expect(looked).toEqual([null, B_IP, 4, "device.test"]);
    expect(c.remoteAddress).toBe(B_IP);
    const bad = a.connect({ host: "nope.test", port: 7 });
    let err: NodeJS.ErrnoException | null = null;
    bad.on("error", (e) => { err = e; });
    expect(await a.until(() => err !== null, 10_000)).toBe(true);
    expect(err!.code).toBe("ENOTFOUND");
  });
});
