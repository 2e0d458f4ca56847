// Internet checksum (assembly/checksum.ts): RFC 1071 sum, RFC 1624 incremental update.
// Both test builds (build/testing.wasm: SIMD; build/testing.mcu.wasm: no SIMD) and both
// paths (sum16, sum16Scalar) are compared against a naive JS reference.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";

interface ChecksumExports {
  memory: WebAssembly.Memory;
  sum16(ptr: number, len: number, initial: number): number;
  sum16Scalar(ptr: number, len: number, initial: number): number;
  checksum(ptr: number, len: number): number;
  pseudoSum(src: number, dst: number, proto: number, len: number): number;
  incrementalUpdate(hc: number, m: number, m2: number): number;
}

const BUILDS = [
  { name: "testing.wasm (SIMD)", file: "build/testing.wasm", simd: true },
  { name: "testing.mcu.wasm (no SIMD)", file: "build/testing.mcu.wasm", simd: false },
];

const WORK_PAGES = 64; // 4 MiB of fresh pages, above everything the module placed itself

async function load(file: string): Promise<{ exp: ChecksumExports; base: number }> {
  const fail = (name: string) => () => { throw new Error(`unexpected import ${name} called`); };
  const imports = { env: { abort: fail("abort"), tx: fail("tx"), entropy: fail("entropy"), event: fail("event") } };
  const { instance } = await WebAssembly.instantiate(readFileSync(file), imports);
  const exp = instance.exports as unknown as ChecksumExports;
  // Our own region: pages grown here are past the module's data, stack and pools.
  const base = exp.memory.grow(WORK_PAGES) * 65536;
  return { exp, base };
}

/** Writes `bytes` into linear memory at `ptr` (view re-read: memory may have grown). */
function put(exp: ChecksumExports, ptr: number, bytes: Uint8Array): void {
  new Uint8Array(exp.memory.buffer, ptr, bytes.length).set(bytes);
}

/** Naive RFC 1071 sum: big-endian 16-bit words, odd byte padded with zero, end-around carry. */
function refSum(bytes: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) s += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length & 1) s += bytes[bytes.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

/** Deterministic bytes (xorshift32, fixed seed). */
function prng(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

const u16 = (v: number) => v & 0xffff;
const anyU32 = fc.integer({ min: 0, max: 0xffffffff });

/** The 12-byte IPv4 pseudo-header (RFC 9293 §3.1, RFC 768). */
function pseudoHeader(src: number, dst: number, proto: number, len: number): Uint8Array {
  const ph = new Uint8Array(12);
  const dv = new DataView(ph.buffer);
  dv.setUint32(0, src); dv.setUint32(4, dst); ph[9] = proto; dv.setUint16(10, len);
  return ph;
}

for (const build of BUILDS) {
  describe(`checksum in ${build.name}`, async () => {
    const { exp, base } = await load(build.file);
    const paths = [
      { name: build.simd ? "sum16 (SIMD path)" : "sum16", fn: exp.sum16 },
      { name: "sum16Scalar", fn: exp.sum16Scalar },
    ];

    for (const path of paths) {
      it(`RFC 1071 §4: ${path.name} equals the naive sum for every length 0..2048 at every offset 0..7`, () => {
        const data = prng(0x1071)(2048 + 8);
        put(exp, base, data);
        let mismatches = 0;
        let first = "";
        for (let off = 0; off < 8; off++) {
          for (let len = 0; len <= 2048; len++) {
            const got = u16(path.fn(base + off, len, 0));
            const want = refSum(data.subarray(off, off + len));
            if (got !== want) {
              mismatches++;
              if (!first) first = `offset ${off} length ${len}: got ${got.toString(16)} want ${want.toString(16)}`;
            }
          }
        }
        expect(first).toBe("");
        expect(mismatches).toBe(0);
      });

      it(`RFC 1071 §2(A): ${path.name} keeps end-around carries on all-0xFF buffers (70,000 and 69,999 bytes)`, () => {
        const ones = new Uint8Array(70_000).fill(0xff);
        put(exp, base, ones);
        for (const len of [70_000, 69_999]) {
          expect(u16(path.fn(base, len, 0))).toBe(refSum(ones.subarray(0, len)));
        }
        // Offsets shift which bytes the vector loads see; the sum must not change.
        put(exp, base + 3, ones);
        expect(u16(path.fn(base + 3, 70_000, 0))).toBe(refSum(ones));
      });

      it(`RFC 1071 §2(A): ${path.name} stays exact on 3 MiB buffers (accumulator overflow bounds)`, () => {
        const len = 3 * 1024 * 1024 + 13;
        for (const fill of [0xff, 0x00, 0x80, 0x7f]) {
          const data = new Uint8Array(len).fill(fill);
          put(exp, base, data);
          expect(u16(path.fn(base, len, 0))).toBe(refSum(data));
        }
        const rnd = prng(7)(len);
        put(exp, base, rnd);
        expect(u16(path.fn(base, len, 0))).toBe(refSum(rnd));
      });

      it(`RFC 1071 §3: ${path.name} on the numerical example 00 01 f2 03 f4 f5 f6 f7 gives sum ddf2`, () => {
        put(exp, base + 1, Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7));
        expect(u16(path.fn(base + 1, 8, 0))).toBe(0xddf2);
      });

      it(`RFC 1071 §2(C): ${path.name} chains with \`initial\` (sum of parts = sum of whole, even splits)`, () => {
        fc.assert(
          fc.property(
            fc.uint8Array({ minLength: 0, maxLength: 600 }),
            fc.nat(),
            fc.integer({ min: 0, max: 7 }),
            (bytes, cut, off) => {
              const split = bytes.length === 0 ? 0 : (cut % (bytes.length + 1)) & ~1;
              const ptr = base + off;
              put(exp, ptr, bytes);
              const head = path.fn(ptr, split, 0);
              const whole = u16(path.fn(ptr + split, bytes.length - split, head));
              expect(whole).toBe(refSum(bytes));
            },
          ),
          { seed: 1071, numRuns: 500 },
        );
      });

      it(`RFC 1071 §2(C): ${path.name} folds an unfolded 32-bit \`initial\` into the sum`, () => {
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.integer({ min: 0, max: 0x7fffffff }), (bytes, initial) => {
            put(exp, base, bytes);
            expect(u16(path.fn(base, bytes.length, initial))).toBe(refSum(bytes, initial));
          }),
          { seed: 2, numRuns: 300 },
        );
      });
    }

    it("RFC 1071 §3: checksum of the numerical example is 220d (complement of ddf2)", () => {
      put(exp, base, Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7));
      expect(u16(exp.checksum(base, 8))).toBe(0x220d);
    });

    it("RFC 1071 §1: a buffer with its checksum stored in it sums to 0xFFFF (receiver check)", () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 2, maxLength: 300 }), fc.nat(), (bytes, where) => {
          const pos = (where % (bytes.length >> 1)) * 2; // an aligned 16-bit field
          bytes[pos] = 0; bytes[pos + 1] = 0;
          put(exp, base, bytes);
          const c = u16(exp.checksum(base, bytes.length));
          expect(c).toBe(u16(~refSum(bytes)));
          bytes[pos] = c >> 8; bytes[pos + 1] = c & 0xff;
          put(exp, base, bytes);
          expect(u16(exp.sum16(base, bytes.length, 0))).toBe(0xffff);
        }),
        { seed: 3, numRuns: 300 },
      );
    });

    it("RFC 9293 §3.1 / RFC 768: pseudoSum equals the sum of the 12-byte IPv4 pseudo-header", () => {
      fc.assert(
        fc.property(anyU32, anyU32, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), (src, dst, proto, len) => {
          expect(u16(exp.pseudoSum(src, dst, proto, len))).toBe(refSum(pseudoHeader(src, dst, proto, len)));
        }),
        { seed: 768, numRuns: 1000 },
      );
    });

    it("RFC 9293 §3.1: pseudoSum chained into sum16 gives the TCP checksum over pseudo-header + segment", () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 20, maxLength: 400 }), anyU32, anyU32, (seg, src, dst) => {
          const all = new Uint8Array(12 + seg.length);
          all.set(pseudoHeader(src, dst, 6, seg.length)); all.set(seg, 12);
          put(exp, base, seg);
          const viaPseudo = u16(exp.sum16(base, seg.length, exp.pseudoSum(src, dst, 6, seg.length)));
          expect(viaPseudo).toBe(refSum(all));
        }),
        { seed: 9293, numRuns: 300 },
      );
    });

    it("RFC 1624 §3 eqn 3: incremental update equals full recomputation for random IPv4 headers and field changes", () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 19, maxLength: 19 }),
          fc.integer({ min: 0, max: 9 }),
          fc.integer({ min: 0, max: 0xffff }),
          (rest, word, m2) => {
            // A 20-byte IPv4 header: version/IHL 0x45, then random bytes; checksum at bytes 10..11.
            const h = new Uint8Array(20);
            h[0] = 0x45;
            h.set(rest, 1);
            h[10] = 0; h[11] = 0;
            const hc = u16(~refSum(h));
            h[10] = hc >> 8; h[11] = hc & 0xff;
            const field = word === 5 ? 4 : word; // never the checksum field itself
            const m = (h[field * 2] << 8) | h[field * 2 + 1];
            h[field * 2] = m2 >> 8; h[field * 2 + 1] = m2 & 0xff;
            // Full recomputation with the module itself.
            h[10] = 0; h[11] = 0;
            put(exp, base, h);
            const full = u16(exp.checksum(base, 20));
            expect(u16(exp.incrementalUpdate(hc, m, m2))).toBe(full);
          },
        ),
        { seed: 1624, numRuns: 2000 },
      );
    });

    it("RFC 1624 §4: the 0x5555 -> 0x3285 example gives +0 (0x0000) as a full recomputation does, not -0 (0xFFFF)", () => {
      // Sum of the other header octets is 0xCD7A; m = 0x5555 changes to m' = 0x3285.
      const hc = u16(~refSum(Uint8Array.of(0xcd, 0x7a, 0x55, 0x55)));
      expect(hc).toBe(0xdd2f);
      const full = u16(~refSum(Uint8Array.of(0xcd, 0x7a, 0x32, 0x85)));
      expect(full).toBe(0x0000);
      // RFC 1141's form (HC' = HC + m + ~m') would give -0 (0xFFFF) here.
      expect(u16(exp.incrementalUpdate(hc, 0x5555, 0x3285))).toBe(full);
    });

    it("RFC 1624 §3: an unchanged field (m' = m) leaves the checksum unchanged", () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 9 }), (h, word) => {
          h[0] = 0x45; h[10] = 0; h[11] = 0;
          const hc = u16(~refSum(h));
          const m = (h[word * 2] << 8) | h[word * 2 + 1];
          expect(u16(exp.incrementalUpdate(hc, m, m))).toBe(hc);
        }),
        { seed: 5, numRuns: 500 },
      );
    });
  });
}
