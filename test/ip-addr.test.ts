// Endpoints of both families (assembly/ip/addr.ts): the IPv6 pseudo-header sum (RFC 8200 §8.1)
// beside IPv4's, a TCP segment between IPv6 addresses validated end to end (there is no IPv6
// layer yet: this is the seam it plugs into), and 4-tuple hashing that never confuses an IPv4
// peer (held IPv4-mapped, ::ffff:a.b.c.d) with an IPv6 one sharing its low 32 bits.
// Both test builds: build/testing.wasm (SIMD) and build/testing.mcu.wasm.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface X {
  memory: WebAssembly.Memory;
  pseudoSum(src: number, dst: number, proto: number, len: number): number;
  pseudoSum6(src: number, dst: number, proto: number, len: number): number;
  tcpParseAt(seg: number, len: number, src: number, dst: number, out: number): number;
  tcpParseAt6(seg: number, len: number, src: number, dst: number, out: number): number;
  tupleHashAt(laddr: number, lport: number, raddr: number, rport: number, tweak: number): number;
}

const BUILDS = ["build/testing.wasm", "build/testing.mcu.wasm"];

async function load(file: string) {
  const fail = (n: string) => () => { throw new Error(`unexpected import ${n}`); };
  const { instance } = await WebAssembly.instantiate(readFileSync(file),
    { env: { abort: fail("abort"), tx: fail("tx"), entropy: fail("entropy"), event: fail("event") } });
  const x = instance.exports as unknown as X;
  const base = x.memory.grow(1) * 65536;
  const put = (ptr: number, b: Uint8Array | number[]) => new Uint8Array(x.memory.buffer, ptr, b.length).set(b);
  return { x, base, put };
}

/** 16 bytes of an IPv6 address written in full or with one "::". */
function v6(text: string): number[] {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const words = (s: string | undefined) => (s ? s.split(":").map((w) => parseInt(w, 16)) : []);
  const h = words(head), t = words(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}
const mapped = (a: number, b: number, c: number, d: number) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d];

for (const file of BUILDS) {
  describe(`ip/addr.ts seams (${file})`, () => {
    it("RFC 8200 §8.1: the IPv6 pseudo-header sum of 2001:db8::1 -> 2001:db8::2, TCP, length 20 is 0x5b8f (by hand)", async () => {
      const { x, base, put } = await load(file);
      // 0x2001 + 0x0db8 + 0x0001 (src) + 0x2001 + 0x0db8 + 0x0002 (dst) + 0x0000 + 0x0014 (length) + 0x0006 = 0x5b8f
      put(base, v6("2001:db8::1")); put(base + 16, v6("2001:db8::2"));
      expect(x.pseudoSum6(base, base + 16, 6, 20)).toBe(0x5b8f);
    });

    it("RFC 8200 §8.1: the 32-bit upper-layer length and end-around carries (8 x 0xffff + fe80::1 + length 65536 = 0xfe88)", async () => {
      const { x, base, put } = await load(file);
      put(base, v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")); put(base + 16, v6("fe80::1"));
      // 8 x 0xffff is 0 in one's complement; 0xfe80 + 0x0001 + 0x0001 (length high word) + 0x0000 + 0x0006 = 0xfe88
      expect(x.pseudoSum6(base, base + 16, 6, 65536)).toBe(0xfe88);
    });

    it("RFC 8200 §8.1: a TCP SYN between IPv6 addresses with the hand-computed checksum 0x546b validates; other addresses do not", async () => {
      const { x, base, put } = await load(file);
      const SRC = base, DST = base + 16, SEG = base + 64, OUT = base + 256;
      put(SRC, v6("2001:db8::1")); put(DST, v6("2001:db8::2"));
      // ports 1 -> 2, seq 0, ack 0, offset 5, SYN, window 0: words 0x0001 + 0x0002 + 0x5002 = 0x5005;
      // with the pseudo-header 0x5b8f + 0x5005 = 0xab94, checksum ~0xab94 = 0x546b
      const seg = [0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0x54, 0x6b, 0, 0];
      put(SEG, seg);
      expect(x.tcpParseAt6(SEG, 20, SRC, DST, OUT)).toBe(20);
      expect(x.tcpParseAt6(SEG, 20, DST, SRC, OUT)).toBe(20); // the sum is symmetric in src/dst
      put(DST, v6("2001:db8::3"));
      expect(x.tcpParseAt6(SEG, 20, SRC, DST, OUT)).toBe(-1);
    });

    it("IPv4-mapped endpoints take the IPv4 pseudo-header (RFC 9293 §3.1): same result as the IPv4 parse", async () => {
      const { x, base, put } = await load(file);
      const SRC = base, DST = base + 16, SEG = base + 64, OUT = base + 256;
      put(SRC, mapped(198, 51, 100, 9)); put(DST, mapped(198, 51, 100, 2));
      const src = 0xc6336409, dst = 0xc6336402;
      const seg = [0x13, 0x88, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
      let s = x.pseudoSum(src, dst, 6, 20);
      for (let i = 0; i < 20; i += 2) s += (seg[i] << 8) | seg[i + 1];
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      seg[16] = (~s >> 8) & 0xff; seg[17] = ~s & 0xff;
      put(SEG, seg);
      expect(x.tcpParseAt(SEG, 20, src, dst, OUT)).toBe(20);
      expect(x.tcpParseAt6(SEG, 20, SRC, DST, OUT)).toBe(20);
      // (Over mapped addresses the IPv6 formula sums the same: ::ffff adds 0xffff, which is 0 in
      // one's complement, and the length's high word is 0. So either choice would be right.)
      expect(x.pseudoSum6(SRC, DST, 6, 20)).toBe(x.pseudoSum(src, dst, 6, 20));
      put(SRC, v6("2001:db8::c633:6409")); // same low 32 bits, an IPv6 peer: another pseudo-header
      expect(x.tcpParseAt6(SEG, 20, SRC, DST, OUT)).toBe(-1);
    });

    it("RFC 6528 / RFC 6056: 4-tuple hashes distinguish the families (IPv4-mapped vs IPv6 with the same low 32 bits)", async () => {
      const { x, base, put } = await load(file);
      const L4 = base, R4 = base + 16, L6 = base + 32, R6 = base + 48, R6b = base + 64;
      put(L4, mapped(198, 51, 100, 2)); put(R4, mapped(198, 51, 100, 9));
      put(L6, v6("::c633:6402")); put(R6, v6("::c633:6409")); put(R6b, v6("64:ff9b::c633:6409"));
      const h = (l: number, r: number) => x.tupleHashAt(l, 80, r, 5000, 0x49534e00) >>> 0;
      expect(h(L4, R4)).toBe(h(L4, R4)); // deterministic
      const all = [h(L4, R4), h(L4, R6), h(L6, R4), h(L6, R6), h(L4, R6b), h(L6, R6b)];
      expect(new Set(all).size).toBe(all.length);
      // and every part of the tuple counts: ports and the tweak
      expect(x.tupleHashAt(L4, 81, R4, 5000, 0x49534e00) >>> 0).not.toBe(h(L4, R4));
      expect(x.tupleHashAt(L4, 80, R4, 5001, 0x49534e00) >>> 0).not.toBe(h(L4, R4));
      expect(x.tupleHashAt(L4, 80, R4, 5000, 0x54530000) >>> 0).not.toBe(h(L4, R4));
    });
  });
}

describe("ip6ToBytes / bytesToIp6 (src/stack.ts): RFC 4291 §2.2 text forms", () => {
  it("RFC 4291 §2.2 (3): the low 32 bits in dotted IPv4 ('::ffff:198.51.100.1', '64:ff9b::203.0.113.5') parse; bad dotted parts are refused", async () => {
    const { ip6ToBytes, bytesToIp6 } = await import("../src/stack.js");
    expect(Array.from(ip6ToBytes("::ffff:198.51.100.1"))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 1]);
    expect(ip6ToBytes("::ffff:198.51.100.1")).toEqual(ip6ToBytes("::ffff:c633:6401"));
    expect(bytesToIp6(ip6ToBytes("64:ff9b::203.0.113.5"), 0)).toBe(bytesToIp6(ip6ToBytes("64:ff9b::cb00:7105"), 0));
    for (const bad of ["::ffff:198.51.100.256", "::ffff:1.2.3", "1.2.3.4", "::ffff:1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4"]) {
      expect(() => ip6ToBytes(bad), bad).toThrow(/bad IPv6 address/);
    }
  });
});
