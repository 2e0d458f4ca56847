// Issue 16 attack suite: predictability (NUMBER:JACK, CVE-2020-27213 and kin). Initial sequence
// numbers (RFC 6528), ephemeral ports (RFC 6056), DHCP transaction ids (RFC 2131 §4.1) and DNS
// query IDs (RFC 5452 §9.2) are sampled 10,000 times from the running stack and checked
// statistically: every bit balanced, byte values uniform (chi-square), no repeats where the space
// allows it, and no linear relation between consecutive values (correlation and the distribution
// of differences). Both builds.
import { describe, expect, it } from "vitest";
import { SYN, decodeTcp } from "./helpers/tcp-harness.js";
import { decodeFrame } from "../src/trace.js";
import { PEER_IP, hostAndPeer } from "./helpers/tcp-peer.js";

const BUILDS = [["node", "build/testing.wasm"], ["mcu", "build/testing.mcu.wasm"]] as const;
const N = 10_000;

/** Chi-square of `values` (already reduced to 0..bins-1) against the uniform distribution. */
function chiSquare(values: number[], bins: number): number {
  const c = new Array<number>(bins).fill(0);
  for (const v of values) c[v]++;
  const e = values.length / bins;
  return c.reduce((s, o) => s + (o - e) ** 2 / e, 0);
}
/** The chi-square critical value at p = 0.0001 for `df` degrees of freedom (Wilson-Hilferty). */
const critical = (df: number) => df * (1 - 2 / (9 * df) + 3.719 * Math.sqrt(2 / (9 * df))) ** 3;

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ** 2; syy += (y[i] - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * The checks for `bits`-bit values that should be uniform over [0, 2^bits) (or over `range`
 * values from `base` for ports): bit balance, byte chi-square, repeats as a random source would
 * give them, consecutive values uncorrelated and their differences uniform.
 */
function expectUnpredictable(v: number[], bits: number, range = 2 ** bits, base = 0): void {
  expect(v.length).toBe(N);
  const r = v.map((x) => x - base);
  for (const x of r) { expect(x).toBeGreaterThanOrEqual(0); expect(x).toBeLessThan(range); }
  // every bit within 4.5 standard deviations of n/2 (only the bits the range fills evenly)
  const evenBits = Math.floor(Math.log2(range & -range));
  for (let b = 0; b < Math.min(bits, evenBits); b++) {
    const ones = r.filter((x) => Math.floor(x / 2 ** b) % 2 === 1).length;
    expect(Math.abs(ones - N / 2), `bit ${b}`).toBeLessThan(4.5 * Math.sqrt(N) / 2);
  }
  // uniform over 64 buckets of the range, and the low byte uniform
  expect(chiSquare(r.map((x) => Math.floor((x * 64) / range)), 64)).toBeLessThan(critical(63));
  expect(chiSquare(r.map((x) => x % 256), 256)).toBeLessThan(critical(255));
  // repeats near the birthday expectation: in 32 bits 0.012 expected (at most 2: p ~ 3e-7), else
  // within 6 standard deviations
  const distinct = new Set(r).size;
  const expected = range * (1 - Math.exp(-N / range));
  if (bits === 32) expect(N - distinct).toBeLessThanOrEqual(2);
  else expect(Math.abs(distinct - expected)).toBeLessThan(6 * Math.sqrt(expected * Math.exp(-N / range)) + 10);
  // no linear relation between consecutive values
  expect(Math.abs(pearson(r.slice(0, -1), r.slice(1)))).toBeLessThan(0.05);
  const diffs = r.slice(1).map((x, i) => ((x - r[i]) % range + range) % range);
  expect(chiSquare(diffs.map((d) => Math.floor((d * 64) / range)), 64)).toBeLessThan(critical(63));
  expect(new Set(diffs).size).toBeGreaterThan(N / 4);
}

describe.each(BUILDS)("attack suite: predictability over 10,000 samples (%s)", (_n, build) => {
  it("RFC 6528 §3 / RFC 6056 §3.3.3: ISNs and ephemeral ports of 10,000 connects (each to another remote port) are unpredictable", async () => {
    const { net, h } = await hostAndPeer({ MaxSockets: 4 }, build);
    net.logEnabled = true;
    net.log = [];
    const isns: number[] = [];
    const ports: number[] = [];
    for (let i = 0; i < N; i++) {
      const s = h.open();
      expect(h.connect(s, PEER_IP, 1024 + ((i * 7919) % 60000))).toBe(0);
      const syn = net.log.map((c) => decodeTcp(c.frame)).find((x) => x && x.flags === SYN);
      net.log = [];
      isns.push(syn!.seq >>> 0);
      ports.push(syn!.sport);
      h.abort(s);
      if (i % 64 === 63) net.now += 1; // the clock moves a little, as it would
    }
    expectUnpredictable(isns, 32);
    expectUnpredictable(ports, 14, 16384, 49152);
  });

  it("RFC 6056 §3.3.1: 10,000 bind(0) ports are uniform over 49152-65535 and unpredictable", async () => {
    const { h } = await hostAndPeer({ MaxSockets: 4 }, build);
    const ports: number[] = [];
    for (let i = 0; i < N; i++) {
      const s = h.open();
      expect(h.bind(s, 0)).toBe(0);
      ports.push(h.info(s).localPort);
      h.close(s);
    }
    expectUnpredictable(ports, 14, 16384, 49152);
  });

  it("RFC 5452 §9.2: 10,000 DNS query IDs and their source ports are unpredictable", async () => {
    const { net, h, p } = await hostAndPeer({}, build);
    expect((h.x.ifaceSetDns as (i: number, a: number) => number)(0, p.ip)).toBe(0);
    const name = new TextEncoder().encode("device.test");
    const ids: number[] = [];
    const sports: number[] = [];
    net.log = [];
    for (let i = 0; i < N; i++) {
      const io = h.x.ioBuffer();
      h.mem().set(name, io);
      const q = (h.x.dnsQuery as (p: number, l: number) => number)(io, name.length);
      expect(q).toBeGreaterThan(0);
      h.poll();
      const f = net.log.map((c) => decodeFrame(c.frame)).find((d) => d.proto === "UDP" && d.dstPort === 53);
      expect(f).toBeDefined();
      net.log = [];
      sports.push(f!.srcPort!);
      ids.push((f!.payload![0] << 8) | f!.payload![1]);
      expect((h.x.dnsCancel as (q: number) => number)(q)).toBe(0);
    }
    expectUnpredictable(ids, 16);
    expectUnpredictable(sports, 14, 16384, 49152);
  });

  it("RFC 2131 §4.1: 10,000 DHCP transaction ids are unpredictable", async () => {
    const { net, h } = await hostAndPeer({}, build);
    const xids: number[] = [];
    net.log = [];
    for (let i = 0; i < N; i++) {
      expect((h.x.dhcpStart as () => number)()).toBe(0);
      h.poll();
      const f = net.log.map((c) => decodeFrame(c.frame)).find((d) => d.proto === "UDP" && d.dstPort === 67);
      expect(f).toBeDefined();
      net.log = [];
      const m = f!.payload!;
      xids.push(((m[4] << 24) | (m[5] << 16) | (m[6] << 8) | m[7]) >>> 0);
      (h.x.dhcpStop as (r: number) => number)(0);
    }
    expectUnpredictable(xids, 32);
  });
});
