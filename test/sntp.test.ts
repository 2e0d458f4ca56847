// SNTP client (RFC 4330, RFC 5905 client mode; assembly/services/sntp.ts): one stack (testing
// build, both builds) on a virtual clock, a scripted server that answers the captured requests
// with crafted replies; every drop rule, the offset/delay arithmetic, the era wrap.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Err, EventKind } from "../src/abi.js";
import { ntpToUnixMs } from "../src/stack.js";
import { harness, PEER, PEER_MAC, US, type Harness } from "./iface-harness.js";
import { arp, eth, ipv4, MAC_A, udp } from "./wire-build.js";

const SERVER = PEER;
const S = 3_900_000_000n; // a server time in era 0 (2023)
const FRAC = 1n << 32n;
const ms = (n: number) => (BigInt(n) * FRAC) / 1000n; // ms as a 32.32 value (exact to < 1 ns)

interface Request { sport: number; t1: bigint; raw: Uint8Array }

/** A reply from `from`:`fromPort` to our request's port. */
function reply(req: Request, o: {
  t2?: bigint; t3?: bigint; origin?: bigint; mode?: number; version?: number; li?: number; stratum?: number;
  refid?: string; from?: string; fromPort?: number; len?: number;
}) {
  const p = new Uint8Array(48);
  const dv = new DataView(p.buffer);
  p[0] = ((o.li ?? 0) << 6) | ((o.version ?? 4) << 3) | (o.mode ?? 4);
  p[1] = o.stratum ?? 2;
  p[2] = 6;
  if (o.refid) p.set(Buffer.from(o.refid, "latin1"), 12);
  dv.setBigUint64(24, o.origin ?? req.t1);
  dv.setBigUint64(32, o.t2 ?? S << 32n);
  dv.setBigUint64(40, o.t3 ?? (S << 32n) + ms(1));
  const body = [...p.subarray(0, o.len ?? 48)];
  const from = o.from ?? SERVER;
  return eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: from, dst: US, proto: 17 }, udp(from, US, o.fromPort ?? 123, req.sport, body)));
}

/** NTP requests among the frames sent. */
function requests(h: Harness): Request[] {
  return h.take().filter((f) => f.proto === "UDP" && f.dstPort === 123).map((f) => {
    const n = f.payload!;
    expect(n.length).toBe(48);
    expect(n[0]).toBe(0x23); // LI 0, VN 4, mode 3 (RFC 4330 §5)
    return { sport: f.srcPort!, t1: new DataView(n.buffer, n.byteOffset).getBigUint64(40), raw: f.raw };
  });
}

/** A stack with the server resolved in its ARP cache, the client started at t = 0. */
function started(build: "testing" | "testing-mcu", interval = 64) {
  const h = harness({ build, config: { ArpTimeoutMs: 100_000_000 } }); // the server stays resolved
  h.rx(eth(MAC_A, PEER_MAC, 0x0806, arp(2, PEER_MAC, PEER, MAC_A, US)));
  h.take();
  expect(h.s.sntpStart(SERVER, interval)).toBe(0);
  h.at(0);
  const [req] = requests(h);
  expect(req).toBeDefined();
  return { h, req };
}

const syncEvents = (h: Harness) => h.events.filter((e) => e[1] === EventKind.SntpSync);

for (const build of ["testing", "testing-mcu"] as const) {
  describe(`SNTP client (RFC 4330) [${build}]`, () => {
    it("RFC 4330 §5: a request from a random ephemeral port to 123 with our time as transmit timestamp; the reply sets our time (RFC 5905 §8)", () => {
      const { h, req } = started(build);
      expect(req.sport).toBeGreaterThanOrEqual(49152);
      expect(req.t1).not.toBe(0n);
      expect(req.t1 >> 32n).toBe(0n); // before any sync our time is the clock since its origin (1900)
      h.clock.set(100);
      h.rx(reply(req, { t2: (S << 32n) + ms(40), t3: (S << 32n) + ms(41) }));
      h.at(100);
      const i = h.s.sntpInfo();
      expect(i.synced).toBe(1);
      expect(i.stateName).toBe("idle");
      expect(i.stratum).toBe(2);
      expect(i.syncs).toBe(1);
      // our time at T4 = T3 + δ/2 = S + 41 ms + (100 ms - r - 1 ms)/2, r = T1's random low bits (< 0.25 ms)
      expect(i.timeSec).toBe(Number(S));
      const fracMs = (i.timeFrac / 2 ** 32) * 1000;
      expect(fracMs).toBeGreaterThan(90.5 - 0.2);
      expect(fracMs).toBeLessThanOrEqual(90.5);
      expect(i.delayUs).toBeGreaterThan(99000 - 250);
      expect(i.delayUs).toBeLessThanOrEqual(99000);
      expect(i.time!.getTime()).toBeCloseTo(ntpToUnixMs(Number(S), 0) + 90.5, -1);
      expect(syncEvents(h)).toHaveLength(1);
      expect(h.stat("sntp_tx")).toBe(1);
      expect(h.stat("sntp_rx")).toBe(1);
      // the next request comes after the poll interval, from another port, with our new time
      expect(h.at(100)).toBe(64000);
      expect(h.s.sntpInfo().nextMs).toBe(64000);
      h.at(64100);
      const [next] = requests(h);
      expect(next).toBeDefined();
      expect(next.t1 >> 32n).toBe(S + 64n);
    });

    it("RFC 5905 §8: offset and delay of a second exchange against hand-computed values (+5.5 ms, 19 ms; then -30 ms)", () => {
      const { h, req } = started(build);
      h.clock.set(10);
      h.rx(reply(req, {}));
      h.at(10);
      h.at(64010);
      const [r2] = requests(h);
      // server: T2 = T1 + 15 ms, T3 = T1 + 16 ms; we receive at T1 + 20 ms: θ = (15 + (16 - 20)) / 2 = 5.5 ms, δ = 20 - 1 = 19 ms
      h.clock.set(64030);
      h.rx(reply(r2, { t2: r2.t1 + ms(15), t3: r2.t1 + ms(16) }));
      h.at(64030);
      let i = h.s.sntpInfo();
      expect(i.offsetSec).toBe(0);
      expect(Math.abs(i.offsetUs - 5500)).toBeLessThan(250); // T1's random low bits
      expect(Math.abs(i.delayUs - 19000)).toBeLessThan(250);
      expect(syncEvents(h).at(-1)![2]).toBe(5);
      h.at(128030);
      const [r3] = requests(h);
      // server 30 ms behind: T2 = T1 - 30 + 5, T3 = T2 + 2, T4 = T1 + 10: θ = ((-25) + (-23 - 10)) / 2 = -29 ms, δ = 10 - 2 = 8 ms
      h.clock.set(128040);
      h.rx(reply(r3, { t2: r3.t1 - ms(25), t3: r3.t1 - ms(23) }));
      h.at(128040);
      i = h.s.sntpInfo();
      expect(i.offsetSec).toBe(0);
      expect(Math.abs(i.offsetUs + 29000)).toBeLessThan(250);
      expect(Math.abs(i.delayUs - 8000)).toBeLessThan(250);
      expect(i.offsetMs).toBeLessThan(0);
    });

    it("RFC 5905 §8 / A.5.1.1: a round trip shorter than our 1 ms clock tick reports the clock's precision, never a negative delay", () => {
      const { h, req } = started(build);
      // T4 - T1 = 0 (same ms tick), the server held it 0.2 ms: δ = 0 - 0.2 ms < 0, floored to 1 ms
      h.rx(reply(req, { t2: req.t1 + ms(1), t3: req.t1 + ms(1) + (200n * FRAC) / 1_000_000n }));
      h.at(0);
      const i = h.s.sntpInfo();
      expect(i.delayUs).toBe(1000);
      expect(Math.abs(i.offsetUs - 1100)).toBeLessThan(1000);
    });

    it("RFC 5905 §8 arithmetic, exact, including the 2036 era wrap (T1 before, T2..T4 after 7 Feb 2036)", () => {
      const h = harness({ build });
      const x = h.s.exports as unknown as Record<string, (...a: unknown[]) => unknown>;
      const io = h.s.exports.ioBuffer();
      const run = (t1: bigint, t2: bigint, t3: bigint, t4: bigint) => {
        const m = 2n ** 64n;
        x.testNtpOffsetDelay(t1 % m, t2 % m, t3 % m, t4 % m, io);
        const dv = new DataView(h.s.memory.buffer, io, 16);
        return [dv.getBigInt64(0, true), dv.getBigInt64(8, true)];
      };
      // hand-computed: T1 = 10.0, T2 = 10.5, T3 = 10.6, T4 = 10.3 s: θ = (0.5 + 0.3) / 2 = 0.4 s; δ = 0.3 - 0.1 = 0.2 s
      const s = (v: number) => (BigInt(Math.round(v * 1000)) * FRAC) / 1000n;
      let [theta, delta] = run(s(10), s(10.5), s(10.6), s(10.3));
      expect(theta).toBe((s(10.5) - s(10) + (s(10.6) - s(10.3))) / 2n); // the formula, exactly (floor)
      expect(Math.abs(Number(theta - s(0.4)))).toBeLessThanOrEqual(1); // = 0.4 s to 2^-32 s
      expect(Math.abs(Number(delta - s(0.2)))).toBeLessThanOrEqual(1);
      // era wrap: T1 = 2^32 - 1 s (era 0's last second), server 2 s ahead: T2 = T1 + 2.1 s lies in era 1 (small value)
      const e = (1n << 64n) - FRAC; // 0xFFFFFFFF.00000000
      [theta, delta] = run(e, e + s(2.1), e + s(2.2), e + s(0.3));
      expect(Number(theta) / 2 ** 32).toBeCloseTo(2.0, 6);
      expect(Number(delta) / 2 ** 32).toBeCloseTo(0.2, 6);
      // and the reverse: our clock already in era 1, the server's still in era 0
      [theta, delta] = run(s(1), (1n << 64n) - s(3), (1n << 64n) - s(2.9), s(1.3));
      expect(Number(theta) / 2 ** 32).toBeCloseTo(-4.1, 6);
      expect(Number(delta) / 2 ** 32).toBeCloseTo(0.2, 6);
      expect(x.testNtpFromMs(1500n)).toBe((1n << 32n) + (1n << 31n));
    });

    it("RFC 4330 §5: a reply from another address or port is dropped (sntp_bad_source)", () => {
      const { h, req } = started(build);
      h.rx(reply(req, { from: "198.51.100.3" }));
      h.rx(reply(req, { fromPort: 1123 }));
      h.at(5);
      expect(h.stat("sntp_bad_source")).toBe(2);
      expect(h.s.sntpInfo().synced).toBe(0);
      h.rx(reply(req, {}));
      h.at(6);
      expect(h.s.sntpInfo().synced).toBe(1); // the genuine reply is still accepted
    });

    it("RFC 4330 §5: a reply whose originate timestamp is not our transmit timestamp is dropped (sntp_bad_origin), so is a duplicate", () => {
      const { h, req } = started(build);
      h.rx(reply(req, { origin: req.t1 ^ 1n }));
      h.at(5);
      expect(h.stat("sntp_bad_origin")).toBe(1);
      h.rx(reply(req, {}));
      h.at(6);
      expect(h.s.sntpInfo().syncs).toBe(1);
      h.rx(reply(req, {})); // the same reply again: the socket is gone (a new one per request)
      h.at(7);
      expect(h.s.sntpInfo().syncs).toBe(1);
    });

    it("RFC 4330 §5: mode other than 4, version 0 or 5+, or fewer than 48 bytes is dropped (sntp_bad_format)", () => {
      const { h, req } = started(build);
      h.rx(reply(req, { mode: 5 }));
      h.rx(reply(req, { mode: 3 }));
      h.rx(reply(req, { version: 0 }));
      h.rx(reply(req, { version: 5 }));
      h.rx(reply(req, { len: 47 }));
      h.at(5);
      expect(h.stat("sntp_bad_format")).toBe(5);
      expect(h.s.sntpInfo().synced).toBe(0);
    });

    it("RFC 4330 §5: LI = 3 (unsynchronized) or stratum above 15 is rejected (sntp_unsynchronized); a zero transmit timestamp too (sntp_zero_transmit)", () => {
      const { h, req } = started(build);
      h.rx(reply(req, { li: 3 }));
      h.rx(reply(req, { stratum: 16 }));
      h.rx(reply(req, { t3: 0n }));
      h.at(5);
      expect(h.stat("sntp_unsynchronized")).toBe(2);
      expect(h.stat("sntp_zero_transmit")).toBe(1);
      expect(h.s.sntpInfo().synced).toBe(0);
    });

    it("RFC 4330 §8: kiss-o'-death DENY and RSTR stop the client; RATE doubles the poll interval", () => {
      for (const code of ["DENY", "RSTR"]) {
        const { h, req } = started(build);
        h.rx(reply(req, { stratum: 0, refid: code }));
        h.at(5);
        const i = h.s.sntpInfo();
        expect(i.stateName).toBe("denied");
        expect(i.kissCode).toBe(code);
        expect(h.stat("sntp_kiss")).toBe(1);
        h.at(100000);
        expect(h.s.sntpInfo().nextMs).toBe(0);
        expect(requests(h)).toHaveLength(0);
      }
      const { h, req } = started(build, 64);
      h.rx(reply(req, { stratum: 0, refid: "RATE" }));
      h.at(5);
      let i = h.s.sntpInfo();
      expect(i.pollS).toBe(128);
      expect(i.kissCode).toBe("RATE");
      h.at(64005);
      expect(requests(h)).toHaveLength(0);
      h.at(128005);
      expect(requests(h)).toHaveLength(1);
      // an unknown kiss code is ignored: the request stays outstanding
      const b = started(build);
      b.h.rx(reply(b.req, { stratum: 0, refid: "ACST" }));
      b.h.at(5);
      i = b.h.s.sntpInfo();
      expect(i.stateName).toBe("waiting");
      expect(b.h.stat("sntp_kiss")).toBe(1);
    });

    it("RFC 5905 §7.4: a kiss-o'-death is believed only with our originate timestamp (a spoofed DENY is sntp_bad_origin)", () => {
      const { h, req } = started(build);
      h.rx(reply(req, { stratum: 0, refid: "DENY", origin: req.t1 + 1n }));
      h.at(5);
      expect(h.stat("sntp_bad_origin")).toBe(1);
      expect(h.stat("sntp_kiss")).toBe(0);
      expect(h.s.sntpInfo().stateName).toBe("waiting");
      h.rx(reply(req, {}));
      h.at(6);
      expect(h.s.sntpInfo().synced).toBe(1);
    });

    it("retries with backoff (1, 2, 4, 8 s) from fresh ports, then waits for the next poll", () => {
      const { h, req } = started(build, 64);
      const times: number[] = [];
      const ports = [req.sport];
      for (let t = 0; t <= 30000; t += 250) {
        h.at(t);
        for (const r of requests(h)) { times.push(t); ports.push(r.sport); }
      }
      // retries 1, 2, 4, 8 s apart; after the fifth timeout (at 31 s) the next poll, 64 s later
      expect(times).toEqual([1000, 3000, 7000, 15000]);
      expect(h.stat("sntp_timeouts")).toBe(4);
      expect(h.s.sntpInfo().stateName).toBe("waiting");
      h.at(31000);
      expect(h.stat("sntp_timeouts")).toBe(5);
      expect(h.s.sntpInfo().stateName).toBe("idle");
      h.at(95000);
      expect(requests(h)).toHaveLength(1);
      expect(new Set(ports).size).toBeGreaterThan(3);
    });

    it("API misuse: bad server or interval is -EINVAL, server 0 without DHCP NTP servers -EADDRNOTAVAIL; sntpStop stops; a stale reply after stop is not read", () => {
      const h = harness({ build });
      expect(h.s.sntpStart("0.0.0.0", 64)).toBe(-Err.EADDRNOTAVAIL); // server 0: DHCP's, and there is no lease
      expect(h.s.sntpStart("255.255.255.255", 64)).toBe(-Err.EINVAL);
      expect(h.s.sntpStart("224.0.1.1", 64)).toBe(-Err.EINVAL);
      expect(h.s.sntpStart(SERVER, 5)).toBe(-Err.EINVAL);
      expect(h.s.sntpStart(SERVER, 100000)).toBe(-Err.EINVAL);
      const { h: g, req } = started(build);
      expect(g.s.sntpStop()).toBe(0);
      g.rx(reply(req, {}));
      g.at(5);
      expect(g.s.sntpInfo().stateName).toBe("stopped");
      expect(g.s.sntpInfo().synced).toBe(0);
      const none = harness({ build, config: { UdpSockets: 0 } });
      expect(none.s.sntpStart(SERVER, 64)).toBe(-Err.ENOMEM);
    });

    it("fuzz: arbitrary replies to our request never trap and each is counted once (fast-check)", () => {
      const { h, req } = started(build);
      let n = 0;
      fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.boolean(), (body, echo) => {
        const b = new Uint8Array(body);
        if (echo && b.length >= 32) new DataView(b.buffer).setBigUint64(24, req.t1);
        h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: SERVER, dst: US, proto: 17 }, udp(SERVER, US, 123, req.sport, [...b]))));
        h.at(h.clock.now());
        if (h.s.sntpInfo().stateName !== "waiting") return; // accepted or kissed: the socket is gone
        n++;
        expect(h.stat("sntp_rx")).toBe(n);
      }), { seed: 9, numRuns: 300 });
    });
  });
}
