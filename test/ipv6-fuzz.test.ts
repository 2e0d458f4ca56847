// The IPv6 receive path under random input (seeded, reproducible): frames built from random
// extension-header chains, random lengths (often lying), random ICMPv6/ND/MLD bodies with valid
// checksums, to our unicast address, ff02::1 and our solicited-node group. The stack must never
// trap, must answer only with well-formed IPv6 frames (ICMPv6 checksums right, hop limit 255 on
// ND), and must still work afterwards (an echo is answered).
import { describe, expect, it } from "vitest";
import { Rng } from "./helpers/tcp-harness.js";
import { frame6, icmp6, icmp6ChecksumOk, nsBody, optLla, solicitedNode, u16be } from "./ipv6-wire.js";
import { EUI64, h6, LL, NO_RS, OUR_MAC, PEER, PEER_MAC } from "./ipv6-harness.js";

const NEXT = [0, 60, 43, 44, 58, 58, 58, 59, 6, 17, 253];
const ICMP_TYPES = [1, 2, 3, 4, 128, 129, 130, 133, 134, 135, 136, 137, 143, 200];

function randomPacket(rng: Rng, dst: string, noTcp = false): Uint8Array {
  const pick = <T>(a: T[]) => { let v = a[Math.floor(rng.float() * a.length)]; if (noTcp && v === (6 as T)) v = 59 as T; return v; };
  const hdrs: number[][] = [];
  let nh = pick(NEXT);
  const first = nh;
  for (let n = 0; n < 10 && (nh === 0 || nh === 60 || nh === 43 || nh === 44); n++) {
    const next = pick(NEXT);
    if (nh === 44) hdrs.push([next, 0, rng.next() & 0xff, rng.float() < 0.5 ? 0 : rng.next() & 0xff, 0, 0, 0, 1]);
    else {
      const len = Math.floor(rng.float() * 3);
      const body = Array.from(rng.bytes(6 + 8 * len));
      if (nh === 43 && rng.float() < 0.5) body[1] = 0; // segments left 0
      hdrs.push([next, rng.float() < 0.9 ? len : rng.next() & 0xff, ...body]);
    }
    nh = next;
  }
  let upper: number[];
  if (nh === 58) {
    const type = pick(ICMP_TYPES);
    const body = Array.from(rng.bytes(Math.floor(rng.float() * 80)));
    if (rng.float() < 0.5 && body.length >= 20) { body[16] = 1 + (rng.next() % 3); body[17] = rng.next() % 3; } // option-ish bytes
    upper = icmp6(PEER, dst, type, rng.float() < 0.8 ? 0 : rng.next() & 0xff, body);
  } else upper = Array.from(rng.bytes(Math.floor(rng.float() * 40)));
  const payload = [...hdrs.flat(), ...upper];
  const plen = rng.float() < 0.85 ? payload.length : rng.next() & 0xffff;
  const hops = rng.float() < 0.7 ? 255 : rng.next() & 0xff;
  return frame6(PEER_MAC, OUR_MAC, { src: rng.float() < 0.9 ? PEER : "::", dst, nh: first, hops, plen }, payload);
}

describe("IPv6 receive path fuzz", () => {
  for (const seed of [1, 2, 3]) {
    it(`RFC 8200 §4 / RFC 4861 §6.1: 3000 random packets never trap, every answer is well formed, the stack still answers (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const h = h6({ Ip6Flags: EUI64 | NO_RS, Ip6Neighbors: 4, Ip6Queue: 2 });
      h.ready();
      const dsts = [LL, "ff02::1", solicitedNode(LL)];
      let t = 1000;
      for (let i = 0; i < 3000; i++) {
        h.rx(randomPacket(rng, dsts[i % 3]));
        if (i % 50 === 0) h.at((t += 150));
        for (const o of h.out()) {
          expect(o.raw[14] >> 4).toBe(6);
          expect(((o.raw[18] << 8) | o.raw[19]) + 54).toBe(o.raw.length);
          if (o.upper === 58) {
            expect(icmp6ChecksumOk(o)).toBe(true);
            if (o.type >= 133 && o.type <= 137) expect(o.hops).toBe(255);
          }
        }
      }
      expect(h.stat("ipv6_rx")).toBeGreaterThan(1000);
      h.at((t += 10000));
      h.out();
      h.icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, nsBody(LL, optLla(1, PEER_MAC))); // the peer again (evicted or not)
      h.echo(PEER, LL, 4242, [...u16be(7)]);
      expect(h.out().filter((o) => o.type === 129)).toHaveLength(1);
    });
  }

  it("RFC 8200 §4: input and timers write only the interface's pools, the counters and the tx frame (600 random packets, IPv6 on)", () => {
    const rng = new Rng(9);
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready();
    const x = h.s.exports;
    const rx = x.rxBuffer();
    const allowed: [number, number][] = [
      [x.ifaceTxBuffer(), x.ifaceRegionEnd()], [x.statsBase(), x.statsBase() + 4 * x.statCount()], [rx, rx + x.ifaceRxCapacity()],
    ].sort((a, b) => a[0] - b[0]) as [number, number][];
    const dsts = [LL, "ff02::1", solicitedNode(LL)];
    for (let i = 0; i < 600; i++) {
      const f = randomPacket(rng, dsts[i % 3], true); // TCP keeps its segment record in static data: not sent here
      const before = Buffer.from(new Uint8Array(h.s.memory.buffer).slice());
      h.rx(f);
      h.at(h.clock.now() + 97);
      const after = Buffer.from(h.s.memory.buffer);
      expect(after.length).toBe(before.length);
      let from = 0;
      for (const [a, b] of [...allowed, [before.length, before.length] as [number, number]]) {
        if (a > from) expect(before.subarray(from, a).equals(after.subarray(from, a)), `[${from}, ${a}) changed by ${Buffer.from(f).toString("hex")}`).toBe(true);
        from = Math.max(from, b);
      }
    }
  });
});
