// IPv4 fragments (RFC 791 §3.2, RFC 815, RFC 1858, RFC 1122 §3.3.2, RFC 5722's overlap rule
// applied to IPv4): reassembly (assembly/ip/reasm4.ts) and fragmentation on send
// (assembly/ip/frag4.ts). One stack fed crafted frames on a virtual clock, both testing builds.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { harness, Harness, PEER, PEER_MAC, US } from "./iface-harness.js";
import { decodeFrame } from "../src/trace.js";
import { arp, eth, icmpEcho, inetChecksum, ipv4, MAC_A, pseudo, udp } from "./wire-build.js";

const EMSGSIZE = -17;
const BUILDS = [["node", "testing"], ["mcu", "testing-mcu"]] as const;
const PORT = 7000;
const MF = 0x2000;

type Piece = [off: number, len: number, mf: boolean];

const arpReply = (ip: string, mac: string) => eth(MAC_A, mac, 0x0806, arp(2, mac, ip, MAC_A, US));

/** Feed every frame to the harness. */
function rxAll(h: { rx(f: Uint8Array): void }, fs: Iterable<Uint8Array>): void { for (const f of fs) h.rx(f); }

function setup(build: "testing" | "testing-mcu", config: Record<string, number> = {}, mtu?: number): Harness {
  const h = harness({ build, config: { UdpQueueBytes: 16384, ...config }, ...(mtu ? { mtu } : {}) });
  h.rx(arpReply(PEER, PEER_MAC));
  h.take();
  return h;
}

/** Frames carrying `payload` (an IP payload) cut into `pieces`, from PEER to US. */
function frags(proto: number, payload: number[], pieces: Piece[], id = 0x1234): Uint8Array[] {
  return pieces.map(([off, len, mf]) =>
    eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto, id, frag: (mf ? MF : 0) | (off >> 3) }, payload.slice(off, off + len))));
}

/** In-order pieces of `size` bytes (a multiple of 8) covering `total` bytes. */
function split(total: number, size: number): Piece[] {
  const out: Piece[] = [];
  for (let off = 0; off < total; off += size) out.push([off, Math.min(size, total - off), off + size < total]);
  return out;
}

function pattern(n: number, seed = 1): number[] {
  let x = seed;
  return Array.from({ length: n }, () => { x = (x * 1103515245 + 12345) >>> 0; return x >>> 24; });
}

function shuffle<T>(a: T[], seed: number): T[] {
  const r = a.slice();
  let x = seed;
  for (let i = r.length - 1; i > 0; i--) { x = (x * 1103515245 + 12345) >>> 0; const j = x % (i + 1); [r[i], r[j]] = [r[j], r[i]]; }
  return r;
}

function udpSock(h: Harness): number {
  const u = h.s.udpOpen();
  expect(h.s.udpBind(u, PORT)).toBe(PORT);
  return u;
}

function recvAll(h: Harness, u: number): number[][] {
  const got: number[][] = [];
  for (;;) {
    const r = h.s.udpRecvFrom(u);
    if (typeof r === "number") return got;
    got.push([...r.data]);
  }
}

interface IpFrame { id: number; df: boolean; mf: boolean; off: number; proto: number; src: string; dst: string; payload: Uint8Array; frameLen: number }

function parseIp(raw: Uint8Array): IpFrame {
  const d = decodeFrame(raw);
  expect(d.ethertype).toBe(0x0800);
  const ip = d.ip!;
  expect(ip.sumOk).toBe(true);
  return {
    id: ip.id, df: ip.df, mf: ip.mf, off: ip.fragOffset, proto: ip.proto,
    src: d.src!, dst: d.dst!, payload: raw.slice(14 + ip.hlen, 14 + ip.total), frameLen: raw.length,
  };
}

/**
 * A reference reassembler (independent of the core): checks the RFC 791 fragment rules on
 * our output — every frame within the MTU, one id, offsets in 8-byte units that tile the
 * datagram without gap or overlap, MF on all but the last, DF on none — and returns the payload.
 */
function referenceReassemble(frames: IpFrame[], mtu: number): Uint8Array {
  expect(frames.length).toBeGreaterThan(1);
  const ids = new Set(frames.map((f) => f.id));
  expect(ids.size).toBe(1);
  const sorted = frames.slice().sort((a, b) => a.off - b.off);
  let pos = 0;
  sorted.forEach((f, i) => {
    expect(f.frameLen).toBeLessThanOrEqual(14 + mtu);
    expect(f.df).toBe(false);
    expect(f.off % 8).toBe(0);
    expect(f.off).toBe(pos);
    expect(f.mf).toBe(i < sorted.length - 1);
    if (f.mf) expect(f.payload.length % 8).toBe(0);
    pos += f.payload.length;
  });
  const out = new Uint8Array(pos);
  for (const f of sorted) out.set(f.payload, f.off);
  return out;
}

const sentIp = (h: Harness) => h.take().filter((f) => f.raw[12] === 8 && f.raw[13] === 0).map((f) => parseIp(f.raw));

for (const [label, build] of BUILDS) {
  describe(`IPv4 reassembly (RFC 791 §3.2, RFC 815) [${label}]`, () => {
    it("RFC 791 §3.2: a 3000-byte UDP datagram in fragments reassembles in order, reversed and shuffled", () => {
      const data = pattern(3000);
      const dgram = udp(PEER, US, 5555, PORT, data);
      for (const [name, order] of [["in order", (p: Piece[]) => p], ["reversed", (p: Piece[]) => p.slice().reverse()], ["shuffled", (p: Piece[]) => shuffle(p, 9)]] as const) {
        for (const size of [1480, 512, 8]) {
          const h = setup(build);
          const u = udpSock(h);
          rxAll(h, frags(17, dgram, order(split(dgram.length, size)), 7));
          expect(recvAll(h, u), `${name}, ${size}-byte pieces`).toEqual([data]);
          expect(h.stat("ipv4_reasm_ok")).toBe(1);
          expect(h.stat("ipv4_frag_rx")).toBe(Math.ceil(dgram.length / size));
        }
      }
    });

    it("RFC 791 §3.2: fragments are keyed by (source, destination, protocol, id): two datagrams interleaved both reassemble", () => {
      const h = setup(build);
      const u = udpSock(h);
      const a = udp(PEER, US, 1, PORT, pattern(2000, 2));
      const b = udp(PEER, US, 2, PORT, pattern(2000, 3));
      const fa = frags(17, a, split(a.length, 1000), 5);
      const fb = frags(17, b, split(b.length, 1000), 6);
      for (let i = 0; i < fa.length; i++) { h.rx(fa[i]); h.rx(fb[fb.length - 1 - i]); }
      expect(recvAll(h, u)).toEqual([pattern(2000, 2), pattern(2000, 3)]);
    });

    it("RFC 792: an echo request of 4000 data bytes in fragments gets an echo reply sent in fragments (each within the MTU, DF clear)", () => {
      const h = setup(build);
      const data = pattern(4000, 4);
      const req = icmpEcho(8, 0x77, 3, data);
      rxAll(h, frags(1, req, shuffle(split(req.length, 1480), 3), 99));
      expect(h.stat("icmp_echo_replies_tx")).toBe(1);
      const out = sentIp(h);
      expect(out.every((f) => f.proto === 1 && f.dst === PEER && f.src === US)).toBe(true);
      const reply = referenceReassemble(out, 1500);
      expect(reply.length).toBe(req.length);
      expect(inetChecksum(reply)).toBe(0);
      expect(reply[0]).toBe(0); // echo reply
      expect([...reply.subarray(4, 8)]).toEqual(req.slice(4, 8)); // id, seq
      expect([...reply.subarray(8)]).toEqual(data);
      expect(h.stat("ipv4_frag_tx")).toBe(out.length);
    });

    it("TCP: a SYN in two fragments reaches TCP whole (answered with RST by a closed port)", () => {
      const h = setup(build);
      // a 40-byte SYN with a 20-byte option block of NOPs, cut at 24 (>= 20: RFC 1858 allows it)
      const seg = [0x12, 0x34, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0xa0, 0x02, 0xff, 0xff, 0, 0, 0, 0, ...new Array(20).fill(1)];
      const c = inetChecksum(seg, pseudo(PEER, US, 6, seg.length));
      seg[16] = c >> 8; seg[17] = c & 255;
      rxAll(h, frags(6, seg, [[24, 16, false], [0, 24, true]], 3));
      expect(h.stat("ipv4_reasm_ok")).toBe(1);
      expect(h.stat("tcp_rx")).toBe(1);
      expect(h.stat("tcp_rst_tx")).toBe(1);
    });

    it("RFC 5722 rule (as Linux applies it to IPv4): an overlapping fragment drops the whole datagram (ipv4_frag_overlap)", () => {
      const h = setup(build);
      const u = udpSock(h);
      const d = udp(PEER, US, 1, PORT, pattern(100));
      rxAll(h, frags(17, d, [[0, 48, true], [40, 16, true]]));
      expect(h.stat("ipv4_frag_overlap")).toBe(1);
      // the rest arrives: the datagram is gone (its first piece with it), so it never completes
      rxAll(h, frags(17, d, [[48, 60, false]]));
      expect(recvAll(h, u)).toEqual([]);
      expect(h.stat("ipv4_reasm_ok")).toBe(0);
    });

    it("duplicates: an identical fragment is ignored (ipv4_frag_duplicate); the same range with other bytes is an overlap", () => {
      const h = setup(build);
      const u = udpSock(h);
      const d = udp(PEER, US, 1, PORT, pattern(100));
      const [a, b] = frags(17, d, [[0, 56, true], [56, 52, false]]);
      h.rx(a); h.rx(a); h.rx(b);
      expect(h.stat("ipv4_frag_duplicate")).toBe(1);
      expect(recvAll(h, u)).toEqual([pattern(100)]);
      const other = d.slice(); other[20] ^= 0xff;
      const [a2] = frags(17, d, [[0, 56, true]], 2);
      const [a3] = frags(17, other, [[0, 56, true]], 2);
      h.rx(a2); h.rx(a3);
      expect(h.stat("ipv4_frag_overlap")).toBe(1);
    });

    it("RFC 1858 §3: a first TCP fragment shorter than the 20-byte TCP header is dropped (ipv4_frag_tiny)", () => {
      const h = setup(build);
      rxAll(h, frags(6, new Array(40).fill(0), [[0, 16, true]]));
      expect(h.stat("ipv4_frag_tiny")).toBe(1);
      rxAll(h, frags(6, new Array(40).fill(0), [[0, 24, true]], 2));
      expect(h.stat("ipv4_frag_tiny")).toBe(1);
    });

    it("RFC 1858 §4: a TCP fragment at offset 1 (8 bytes) is dropped (ipv4_frag_tcp_offset1); not for UDP", () => {
      const h = setup(build);
      rxAll(h, frags(6, new Array(40).fill(0), [[8, 16, true]]));
      expect(h.stat("ipv4_frag_tcp_offset1")).toBe(1);
      rxAll(h, frags(17, new Array(40).fill(0), [[8, 16, true]]));
      expect(h.stat("ipv4_frag_tcp_offset1")).toBe(1);
    });

    it("RFC 791 §3.1: a fragment whose offset + length pass 65535 with the header is dropped (ipv4_frag_past_64k)", () => {
      const h = setup(build, { ReasmMaxBytes: 65515 });
      const payload = new Array(65536 + 64).fill(0);
      rxAll(h, frags(17, payload, [[65512, 8, false]])); // 20 + 65520 = 65540
      expect(h.stat("ipv4_frag_past_64k")).toBe(1);
      rxAll(h, frags(17, payload, [[65504, 8, false]], 2)); // 20 + 65512: fine
      expect(h.stat("ipv4_frag_past_64k")).toBe(1);
    });

    it("a fragment past ReasmMaxBytes drops itself and its datagram (ipv4_frag_too_big)", () => {
      const h = setup(build, { ReasmMaxBytes: 2048 });
      const u = udpSock(h);
      const d = udp(PEER, US, 1, PORT, pattern(2100));
      const fs = frags(17, d, split(d.length, 1024));
      h.rx(fs[0]); h.rx(fs[1]); h.rx(fs[2]);
      expect(h.stat("ipv4_frag_too_big")).toBe(1);
      h.rx(fs[0]); h.rx(fs[1]);
      expect(recvAll(h, u)).toEqual([]);
      // exactly ReasmMaxBytes fits
      const ok = udp(PEER, US, 1, PORT, pattern(2040));
      rxAll(h, frags(17, ok, split(ok.length, 1024), 8));
      expect(recvAll(h, u)).toEqual([pattern(2040)]);
    });

    it("a zero-length non-last fragment is dropped (ipv4_frag_zero_length); a non-last one not a multiple of 8 (ipv4_frag_misaligned)", () => {
      const h = setup(build);
      rxAll(h, frags(17, new Array(64).fill(0), [[16, 0, true]]));
      expect(h.stat("ipv4_frag_zero_length")).toBe(1);
      rxAll(h, frags(17, new Array(64).fill(0), [[16, 12, true]]));
      expect(h.stat("ipv4_frag_misaligned")).toBe(1);
    });

    it("a last fragment conflicting with an earlier last fragment, or one past the known end, drops the datagram (ipv4_frag_bad_last)", () => {
      const h = setup(build);
      const u = udpSock(h);
      const d = udp(PEER, US, 1, PORT, pattern(3000));
      const [f0, f1, f2] = frags(17, d, split(d.length, 1480));
      h.rx(f2);
      h.rx(frags(17, d, [[1480, 800, false]])[0]); // a second, different end
      expect(h.stat("ipv4_frag_bad_last")).toBe(1);
      h.rx(f0); h.rx(f1);
      expect(recvAll(h, u)).toEqual([]);
      const [, , g2] = frags(17, d, split(d.length, 1480), 2);
      h.rx(g2);
      h.rx(frags(17, [...d, ...new Array(64).fill(0)], [[2960, 64, true]], 2)[0]); // past the known end (3008)
      expect(h.stat("ipv4_frag_bad_last")).toBe(2);
      const [, k1] = frags(17, d, split(d.length, 1480), 3);
      h.rx(k1);
      h.rx(frags(17, d, [[8, 16, false]], 3)[0]); // a last fragment ending before bytes already received
      expect(h.stat("ipv4_frag_bad_last")).toBe(3);
    });

    it("pool full: a new datagram evicts the oldest in reassembly (ipv4_reasm_evicted); the newer ones complete", () => {
      const h = setup(build, { ReasmSlots: 2 });
      const u = udpSock(h);
      const ds = [1, 2, 3].map((i) => udp(PEER, US, i, PORT, pattern(2000, i)));
      const fs = ds.map((d, i) => frags(17, d, split(d.length, 1024), 100 + i));
      for (const f of fs) h.rx(f[0]);
      expect(h.stat("ipv4_reasm_evicted")).toBe(1);
      h.rx(fs[1][1]); h.rx(fs[2][1]);
      expect(recvAll(h, u)).toEqual([pattern(2000, 2), pattern(2000, 3)]);
      h.rx(fs[0][1]); // its first half was evicted
      expect(recvAll(h, u)).toEqual([]);
    });

    it("ReasmSlots 0: reassembly off, every fragment dropped (ipv4_frag_no_reasm)", () => {
      const h = setup(build, { ReasmSlots: 0 });
      const u = udpSock(h);
      const d = udp(PEER, US, 1, PORT, pattern(2000));
      rxAll(h, frags(17, d, split(d.length, 1024)));
      expect(h.stat("ipv4_frag_no_reasm")).toBe(2);
      expect(recvAll(h, u)).toEqual([]);
    });

    it("RFC 1122 §3.3.2 / RFC 792: on timeout (30 s) with the first fragment in, ICMP Time Exceeded code 1 quoting its header + 8 bytes", () => {
      const h = setup(build);
      const d = udp(PEER, US, 1, PORT, pattern(2000));
      const fs = frags(17, d, split(d.length, 1024), 0x4242);
      h.at(1000);
      h.rx(fs[0]);
      expect(h.at(1000)).toBe(30000);
      expect(h.at(30999)).toBe(1);
      expect(sentIp(h)).toEqual([]);
      h.at(31000);
      expect(h.stat("ipv4_reasm_timeout")).toBe(1);
      expect(h.stat("ipv4_reasm_time_exceeded_tx")).toBe(1);
      const [m] = sentIp(h);
      expect(m.proto).toBe(1);
      expect(m.dst).toBe(PEER);
      expect(m.payload[0]).toBe(11);
      expect(m.payload[1]).toBe(1);
      expect(inetChecksum(m.payload)).toBe(0);
      const quote = m.payload.subarray(8);
      expect(quote.length).toBe(28);
      expect(quote[4] * 256 + quote[5]).toBe(0x4242); // the datagram's id
      expect([...quote.subarray(20)]).toEqual(d.slice(0, 8)); // its UDP header
    });

    it("RFC 1122 §3.3.2: on timeout without the first fragment, no ICMP is sent (the datagram is dropped, counted)", () => {
      const h = setup(build);
      const d = udp(PEER, US, 1, PORT, pattern(2000));
      const fs = frags(17, d, split(d.length, 1024));
      h.rx(fs[1]);
      h.at(30000);
      expect(h.stat("ipv4_reasm_timeout")).toBe(1);
      expect(h.stat("ipv4_reasm_time_exceeded_tx")).toBe(0);
      expect(sentIp(h)).toEqual([]);
    });

    it("RFC 1812 §4.3.2.8 / RFC 1122 §3.2.2: Time Exceeded messages share the ICMP error limiter (a burst of 10, then icmp_rate_limited)", () => {
      const h = setup(build, { ReasmSlots: 12 });
      for (let i = 0; i < 12; i++) {
        const d = udp(PEER, US, 1, PORT, pattern(2000, i));
        h.rx(frags(17, d, split(d.length, 1024), 500 + i)[0]);
      }
      h.at(30000);
      expect(h.stat("ipv4_reasm_timeout")).toBe(12);
      expect(h.stat("ipv4_reasm_time_exceeded_tx")).toBe(10);
      expect(h.stat("icmp_rate_limited")).toBe(2);
      expect(sentIp(h).length).toBe(10);
    });

    it("ReasmTimeoutMs sets the timeout; a late fragment starts a new datagram", () => {
      const h = setup(build, { ReasmTimeoutMs: 5000 });
      const u = udpSock(h);
      const d = udp(PEER, US, 1, PORT, pattern(2000));
      const fs = frags(17, d, split(d.length, 1024));
      h.rx(fs[0]);
      h.at(5000);
      expect(h.stat("ipv4_reasm_timeout")).toBe(1);
      h.rx(fs[1]);
      expect(recvAll(h, u)).toEqual([]);
      h.rx(fs[0]);
      expect(recvAll(h, u)).toEqual([pattern(2000)]);
    });
  });

  describe(`IPv4 fragmentation on send (RFC 791 §2.3, §3.2) [${label}]`, () => {
    for (const mtu of [1500, 576]) {
      it(`RFC 791 §3.2: a 4000-byte UDP datagram goes in fragments within MTU ${mtu}, offsets in 8-byte units, MF on all but the last, one id`, () => {
        const h = setup(build, {}, mtu);
        const u = h.s.udpOpen();
        const data = Uint8Array.from(pattern(4000, 5));
        expect(h.s.udpSendTo(u, PEER, 9, data)).toBe(4000);
        const out = sentIp(h);
        expect(out.length).toBe(Math.ceil(4008 / ((mtu - 20) & ~7)));
        const whole = referenceReassemble(out, mtu);
        expect(whole.length).toBe(4008);
        expect(inetChecksum(whole, pseudo(US, PEER, 17, 4008))).toBe(0);
        expect(whole[4] * 256 + whole[5]).toBe(4008);
        expect([...whole.subarray(8)]).toEqual([...data]);
        expect(h.stat("ipv4_frag_tx")).toBe(out.length);
        expect(h.stat("udp_tx")).toBe(1);
        // the next datagram gets another id
        h.s.udpSendTo(u, PEER, 9, data);
        expect(sentIp(h)[0].id).not.toBe(out[0].id);
      });
    }

    it("RFC 791 §3.1 DF: a datagram that fits is sent whole with DF set; fragments never carry DF", () => {
      const h = setup(build);
      const u = h.s.udpOpen();
      expect(h.s.udpSendTo(u, PEER, 9, new Uint8Array(1472))).toBe(1472);
      const [one] = sentIp(h);
      expect(one.df).toBe(true);
      expect(one.mf).toBe(false);
      expect(h.s.udpSendTo(u, PEER, 9, new Uint8Array(1473))).toBe(1473);
      const two = sentIp(h);
      expect(two.length).toBe(2);
      expect(two.some((f) => f.df)).toBe(false);
    });

    it("-EMSGSIZE past FragMaxBytes - 8 (UDP payload); FragMaxBytes 65515 (default) allows 65507", () => {
      const h = setup(build, { FragMaxBytes: 2000 });
      const u = h.s.udpOpen();
      expect(h.s.udpSendTo(u, PEER, 9, new Uint8Array(1993))).toBe(EMSGSIZE);
      expect(h.s.udpSendTo(u, PEER, 9, new Uint8Array(1992))).toBe(1992);
      const g = setup(build, { ArpQueue: 64 });
      const v = g.s.udpOpen();
      expect(g.s.udpSendTo(v, PEER, 9, new Uint8Array(65508))).toBe(EMSGSIZE);
      expect(g.s.udpSendTo(v, PEER, 9, new Uint8Array(65507))).toBe(65507);
      expect(referenceReassemble(sentIp(g), 1500).length).toBe(65515);
    });

    it("a datagram to fragment whose bytes lie in the tx frame is -EINVAL (each fragment is copied there); one that fits may", () => {
      const h = setup(build);
      const x = h.s.exports as unknown as { ifaceTxBuffer(): number; udpSendTo(h: number, ip: number, port: number, ptr: number, len: number): number };
      const u = h.s.udpOpen();
      const peer = (198 << 24 | 51 << 16 | 100 << 8 | 2) >>> 0;
      expect(x.udpSendTo(u, peer, 9, x.ifaceTxBuffer() + 100, 2000)).toBe(-1);
      expect(x.udpSendTo(u, peer, 9, x.ifaceTxBuffer() + 100, 1000)).toBe(1000);
    });

    it("two of our stacks: a fragmented 4000-byte UDP datagram crosses the link and reassembles", () => {
      const a = setup(build);
      const b = harness({ build, ip: PEER, mac: PEER_MAC, config: { UdpQueueBytes: 16384 } });
      b.rx(eth(PEER_MAC, MAC_A, 0x0806, arp(2, MAC_A, US, PEER_MAC, PEER)));
      const ub = b.s.udpOpen();
      b.s.udpBind(ub, PORT);
      const data = Uint8Array.from(pattern(4000, 6));
      expect(a.s.udpSendTo(a.s.udpOpen(), PEER, PORT, data)).toBe(4000);
      for (const f of a.take()) b.rx(f.raw);
      expect(recvAll(b, ub)).toEqual([[...data]]);
    });
  });
}

describe("IPv4 fragments: fuzz (fast-check)", () => {
  it("random fragment sets (cuts, duplicates, overlaps, bad lengths, shuffles) never trap and never deliver a corrupted datagram", () => {
    for (const [, build] of BUILDS) {
      const h = setup(build, { ReasmSlots: 2, ReasmMaxBytes: 4096 });
      const u = udpSock(h);
      let id = 1;
      let delivered = 0;
      fc.assert(fc.property(
        fc.integer({ min: 0, max: 4200 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 1500 }), fc.boolean()), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1 << 30 }),
        (n, extra, cover, seed) => {
          const data = pattern(n, seed);
          // no UDP checksum: a misplaced byte would not be caught above the reassembler
          const d = udp(PEER, US, 1, PORT, data, { checksum: "none" });
          // random pieces (offset in 8-byte units, any length, any MF) plus, optionally, a clean cover
          const pieces: Piece[] = extra.map(([o, l, mf]) => [o * 8, l, mf]);
          if (cover) pieces.push(...split(d.length, 8 * (1 + (seed % 185))));
          const thisId = id++ & 0xffff;
          rxAll(h, frags(17, d, shuffle(pieces, seed), thisId));
          h.at((id * 10) >>> 0);
          for (const got of recvAll(h, u)) { expect(got).toEqual(data); delivered++; }
        },
      ), { numRuns: 150, seed: 42 });
      expect(delivered).toBeGreaterThan(20); // the property is not vacuous
      expect(h.stat("ipv4_frag_overlap") + h.stat("ipv4_frag_duplicate")).toBeGreaterThan(20);
    }
  });
});
