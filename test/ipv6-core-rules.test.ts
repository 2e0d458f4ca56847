// IPv6 rules of issue 10's second round, on the emulated link with the virtual clock: the random
// start delay (RFC 4862 §5.4.2, RFC 4861 §6.3.7), MLDv2 state change retransmissions for joins and
// leaves (RFC 3810 §6.1), Redirects (RFC 4861 §8), upper-layer reachability confirmation (§7.3.1)
// and the RFC 7217 secret_key (ip6SetSecret). The IPv6 harness with a seed per stack.
import { describe, expect, it } from "vitest";
import { EUI64, LL, NO_RS, ROUTER, ROUTER_MAC, h6 } from "./ipv6-harness.js";
import { Sim } from "../src/links/emulated.js";
import { createStack } from "../src/net.js";
import { collect } from "./helpers/collect.js";
import { naBody, optLla, optPrefix, raBody, solicitedNode, type Out6 } from "./ipv6-wire.js";
import { ip6ToBytes } from "../src/stack.js";

const OTHER_MAC = "02:00:00:00:00:bb";
const START_DELAY = 8;

/** The IPv6 harness (test/ipv6-harness.ts) with a seed per stack, and a clock stepped 1 ms at a time. */
function rig(config: Record<string, number>, seed = 7, extra: { ip6Secret?: Uint8Array; mac?: string } = {}) {
  const h = h6(config, { seed, ...extra });
  const { out } = h;
  /** Step the clock 1 ms at a time to `until`; the time of every frame sent, with the frame. */
  const run = (from: number, until: number): [number, Out6][] => {
    const seen: [number, Out6][] = [];
    for (let t = from; t <= until; t++) { h.at(t); for (const o of out()) seen.push([t, o]); }
    return seen;
  };
  return { ...h, run };
}

describe("RFC 4862 §5.4.2 / RFC 4861 §6.3.7: the random start delay (Ip6Flags bit 3)", () => {
  it("RFC 4862 §5.4.2: the first DAD NS and its solicited-node report wait 0..MAX_RTR_SOLICITATION_DELAY (1 s), from the stack's PRNG: the delay differs by seed", () => {
    const delays: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const h = rig({ Ip6Flags: EUI64 | NO_RS | START_DELAY }, seed);
      const seen = h.run(0, 2100);
      const ns = seen.filter(([, o]) => o.type === 135);
      const mld = seen.filter(([, o]) => o.type === 143);
      expect(ns).toHaveLength(1);
      const d = ns[0][0];
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1000);
      expect(mld[0][0]).toBe(d); // the group join waits too
      expect(ns[0][1]).toMatchObject({ src: "::", dst: solicitedNode(LL) });
      // DAD then takes RetransTimer from the NS
      const pref = h.events.findIndex(([, k, a]) => k === 14 && a === 2);
      expect(pref).toBeGreaterThanOrEqual(0);
      delays.push(d);
    }
    expect(new Set(delays).size).toBeGreaterThan(3);
  });

  it("RFC 4862 §5.4.2: the address becomes preferred RetransTimer after the delayed NS, not before", () => {
    const h = rig({ Ip6Flags: EUI64 | NO_RS | START_DELAY }, 3);
    const seen = h.run(0, 1000);
    const d = seen.find(([, o]) => o.type === 135)![0];
    h.at(d + 999);
    expect(h.s.ip6Addresses()[0].state).toBe("tentative");
    h.at(d + 1000);
    expect(h.s.ip6Addresses()[0].state).toBe("preferred");
  });

  it("RFC 4861 §6.3.7: without DAD the first RS waits 0..1 s (differs by seed); after a delayed DAD it is not delayed again", () => {
    const delays: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const h = rig({ Ip6Flags: EUI64 | START_DELAY, Ip6DadTransmits: 0 }, seed);
      const rs = h.run(0, 1100).filter(([, o]) => o.type === 133);
      expect(rs).toHaveLength(1);
      expect(rs[0][0]).toBeLessThanOrEqual(1000);
      delays.push(rs[0][0]);
    }
    expect(new Set(delays).size).toBeGreaterThan(3);
    const h = rig({ Ip6Flags: EUI64 | START_DELAY }, 5);
    const seen = h.run(0, 2200);
    const ns = seen.find(([, o]) => o.type === 135)!;
    const rs = seen.filter(([, o]) => o.type === 133);
    expect(rs[0][0]).toBe(ns[0] + 1000); // as soon as the link-local address is usable
  });

  it("without bit 3 the NS and the RS go at once (the deterministic default of the tests)", () => {
    const h = rig({ Ip6Flags: EUI64 }, 1);
    expect(h.out().filter((o) => o.type === 135)).toHaveLength(1);
  });
});

describe("RFC 3810 §6.1: state change reports [Robustness Variable] (2) times, at random intervals within the Unsolicited Report Interval (1 s)", () => {
  const records = (o: Out6) => {
    const n = (o.payload[6] << 8) | o.payload[7];
    return Array.from({ length: n }, (_, i) => ({ type: o.payload[8 + 20 * i], group: Array.from(o.payload.subarray(12 + 20 * i, 28 + 20 * i)) }));
  };
  const G77 = Array.from(ip6ToBytes(solicitedNode("2001:db8:5::77")));

  it("RFC 3810 §6.1: a join's retransmission comes at a random time in (0, 1 s], different by seed", () => {
    const gaps: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const h = rig({ Ip6Flags: EUI64 | NO_RS }, seed);
      const seen: [number, Out6][] = h.out().map((o) => [0, o]);
      seen.push(...h.run(1, 1100));
      const r = seen.filter(([, o]) => o.type === 143);
      expect(r).toHaveLength(2);
      expect(records(r[1][1])[0].type).toBe(4); // CHANGE_TO_EXCLUDE
      const gap = r[1][0] - r[0][0];
      expect(gap).toBeGreaterThan(0);
      expect(gap).toBeLessThanOrEqual(1000);
      gaps.push(gap);
    }
    expect(new Set(gaps).size).toBeGreaterThan(3);
  });

  it("RFC 3810 §6.1: leaving a group (an address removed) reports CHANGE_TO_INCLUDE {} now and once more within 1 s, then no more", () => {
    const gaps: number[] = [];
    for (const seed of [1, 2, 3, 4]) {
      const h = rig({ Ip6Flags: EUI64 | NO_RS }, seed);
      h.s.ip6AddrAdd("2001:db8:5::77/64");
      h.run(0, 4000);
      expect(h.s.ip6AddrDel("2001:db8:5::77")).toBe(0);
      const now = h.out().filter((o) => o.type === 143);
      expect(now).toHaveLength(1);
      expect(records(now[0])).toEqual([{ type: 3, group: G77 }]);
      const later = h.run(4001, 8000).filter(([, o]) => o.type === 143);
      expect(later).toHaveLength(1);
      expect(records(later[0][1])).toEqual([{ type: 3, group: G77 }]);
      expect(later[0][0] - 4000).toBeGreaterThan(0);
      expect(later[0][0] - 4000).toBeLessThanOrEqual(1000);
      gaps.push(later[0][0]);
    }
    expect(new Set(gaps).size).toBeGreaterThan(1);
  });

  it("RFC 3810 §6.1: a socket group left is reported twice too; joined again before the retransmission, it is reported as joined, not left", () => {
    const h = rig({ Ip6Flags: EUI64 | NO_RS }, 2);
    h.run(0, 3000);
    const g = "ff05::1:3";
    const gb = Array.from(ip6ToBytes(g));
    const u = h.s.udpOpen();
    expect(h.s.udpBind(u, 5000)).toBeGreaterThanOrEqual(0);
    h.s.udpJoinGroup(u, g);
    h.run(3001, 5000);
    h.s.udpLeaveGroup(u, g);
    expect(h.out().filter((o) => o.type === 143).flatMap(records)).toEqual([{ type: 3, group: gb }]);
    const later = h.run(5001, 7000).filter(([, o]) => o.type === 143).flatMap(([, o]) => records(o));
    expect(later).toEqual([{ type: 3, group: gb }]);
    // leave, then join again at once: the pending leave retransmission is dropped
    h.s.udpJoinGroup(u, g);
    h.s.udpLeaveGroup(u, g);
    h.s.udpJoinGroup(u, g);
    const after = h.out().concat(h.run(7001, 10000).map(([, o]) => o)).filter((o) => o.type === 143).flatMap(records);
    const last = after[after.length - 1];
    expect(last).toEqual({ type: 4, group: gb });
    expect(after.filter((r) => r.type === 3)).toHaveLength(1); // the leave in between, once
  });
});

describe("RFC 4861 §8: Redirect", () => {
  const DST = "2001:db8:9::9";
  const SLAAC = "2001:db8:1::ff:fe00:1";
  const OTHER = "fe80::bb";
  const redirect = (target: string, dst: string, opts: number[] = []) => [0, 0, 0, 0, ...ip6ToBytes(target), ...ip6ToBytes(dst), ...opts];
  /** A stack with a SLAAC address and ROUTER as its default router, ROUTER resolved. */
  const routed = () => {
    const h = rig({ Ip6Flags: EUI64 | NO_RS });
    h.at(1000);
    h.icmp({ src: ROUTER, dst: "ff02::1" }, 134, 0, raBody({ lifetime: 1800 }, [...optLla(1, ROUTER_MAC), ...optPrefix("2001:db8:1::", 64, 0xc0, 7200, 3600)]), ROUTER_MAC);
    h.at(2000);
    h.out();
    return h;
  };
  const replyMac = (h: ReturnType<typeof rig>, seq: number) => {
    h.echo(DST, SLAAC, seq, [], ROUTER_MAC);
    const r = h.out().filter((o) => o.type === 129 || o.type === 135);
    return r[0];
  };

  it("RFC 4861 §8.3: a valid redirect to a better router (link-local target, TLLA) sends that destination's packets to it; the target is a router, STALE", () => {
    const h = routed();
    expect(replyMac(h, 1)).toMatchObject({ type: 129, dstMac: ROUTER_MAC });
    h.icmp({ src: ROUTER, dst: SLAAC }, 137, 0, redirect(OTHER, DST, optLla(2, OTHER_MAC)), ROUTER_MAC);
    expect(h.stat("nd_redirect_rx")).toBe(1);
    expect(replyMac(h, 2)).toMatchObject({ type: 129, dst: DST, dstMac: OTHER_MAC });
    expect(h.s.ip6Neighbors().find((n) => n.address === OTHER)).toMatchObject({ isRouter: true, mac: OTHER_MAC });
    // other destinations still go through the default router
    h.echo("2001:db8:7::7", SLAAC, 3, [], ROUTER_MAC);
    expect(h.out().find((o) => o.type === 129)).toMatchObject({ dstMac: ROUTER_MAC });
  });

  it("RFC 4861 §8.3: a redirect whose target is the destination makes it on-link (resolved directly, or from the TLLA option)", () => {
    const h = routed();
    h.icmp({ src: ROUTER, dst: SLAAC }, 137, 0, redirect(DST, DST), ROUTER_MAC);
    expect(h.stat("nd_redirect_rx")).toBe(1);
    const f = replyMac(h, 1);
    expect(f).toMatchObject({ type: 135, dst: solicitedNode(DST) }); // address resolution of the destination itself
    h.icmp({ src: DST, dst: SLAAC, hops: 255 }, 136, 0, naBody(DST, 0x60, optLla(2, "02:00:00:00:00:99")), "02:00:00:00:00:99");
    const q = h.out().find((o) => o.type === 129);
    expect(q).toMatchObject({ dst: DST, dstMac: "02:00:00:00:00:99" });
    expect(h.s.ip6Neighbors().find((n) => n.address === DST)?.isRouter).toBe(false);
  });

  const bad: [string, (h: ReturnType<typeof rig>) => void, string][] = [
    ["§8.1: source not link-local", (h) => h.icmp({ src: "2001:db8:1::1", dst: SLAAC }, 137, 0, redirect(OTHER, DST, optLla(2, OTHER_MAC)), ROUTER_MAC), "nd_redirect_bad_source"],
    ["§8.1: hop limit not 255", (h) => h.icmp({ src: ROUTER, dst: SLAAC, hops: 64 }, 137, 0, redirect(OTHER, DST, optLla(2, OTHER_MAC)), ROUTER_MAC), "nd_bad_hop_limit"],
    ["§8.1: ICMP code not 0", (h) => h.icmp({ src: ROUTER, dst: SLAAC }, 137, 1, redirect(OTHER, DST, optLla(2, OTHER_MAC)), ROUTER_MAC), "nd_bad_code"],
    ["§8.1: shorter than 40 bytes", (h) => h.icmp({ src: ROUTER, dst: SLAAC }, 137, 0, redirect(OTHER, DST).slice(0, 30), ROUTER_MAC), "nd_truncated"],
    ["§8.1: target neither link-local nor the destination", (h) => h.icmp({ src: ROUTER, dst: SLAAC }, 137, 0, redirect("2001:db8:1::bb", DST, optLla(2, OTHER_MAC)), ROUTER_MAC), "nd_redirect_bad_target"],
    ["§8.1: multicast destination", (h) => h.icmp({ src: ROUTER, dst: SLAAC }, 137, 0, redirect(OTHER, "ff0e::1", optLla(2, OTHER_MAC)), ROUTER_MAC), "nd_redirect_bad_target"],
    ["§8.1: not from the current first hop for the destination", (h) => h.icmp({ src: "fe80::99", dst: SLAAC }, 137, 0, redirect(OTHER, DST, optLla(2, OTHER_MAC)), "02:00:00:00:00:99"), "nd_redirect_not_first_hop"],
    ["§8.1: an option of length 0", (h) => h.icmp({ src: ROUTER, dst: SLAAC }, 137, 0, redirect(OTHER, DST, [2, 0, 0, 0, 0, 0, 0, 0]), ROUTER_MAC), "nd_bad_option"],
  ];
  for (const [name, send, counter] of bad) {
    it(`RFC 4861 ${name}: dropped (${counter}), the first hop unchanged`, () => {
      const h = routed();
      const before = h.stat(counter);
      send(h);
      expect(h.stat(counter)).toBe(before + 1);
      expect(h.stat("nd_redirect_rx")).toBe(0);
      expect(replyMac(h, 1)).toMatchObject({ type: 129, dstMac: ROUTER_MAC });
      expect(h.s.ip6Neighbors().find((n) => n.address === OTHER)).toBeUndefined();
    });
  }

  it("RFC 4861 §7.3.3: when the redirect's target fails address resolution, the destination goes back to the default router", () => {
    const h = routed();
    h.icmp({ src: ROUTER, dst: SLAAC }, 137, 0, redirect(OTHER, DST), ROUTER_MAC);
    expect(h.stat("nd_redirect_rx")).toBe(1);
    expect(replyMac(h, 1)).toMatchObject({ type: 135, dst: solicitedNode(OTHER) });
    h.at(3000); h.at(4000); h.at(5000);
    expect(h.stat("nd_resolution_failed")).toBe(1);
    h.out();
    expect(replyMac(h, 2)).toMatchObject({ type: 129, dstMac: ROUTER_MAC });
  });
});

describe("RFC 4861 §7.3.1: upper-layer reachability confirmation", () => {
  it("RFC 4861 §7.3.1: TCP acknowledgments of new data keep the peer's entry REACHABLE: no NUD probe in 90 s of traffic every 5 s", async () => {
    const sim = new Sim({ seed: 3 });
    const link = sim.link({ delayMs: 1 });
    const mk = (ip: string, ip6: string, mac: string, seed: number) => createStack({
      ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link },
      ipv6: { eui64: true, dad: false, addresses: [`${ip6}/64`] },
    });
    const a = mk("198.51.100.1", "2001:db8::1", "02:00:00:00:00:01", 1);
    const b = mk("198.51.100.2", "2001:db8::2", "02:00:00:00:00:02", 2);
    const server = b.createServer((s) => s.pipe(s));
    server.listen(7);
    const c = a.connect({ host: "2001:db8::2", port: 7 });
    const got = collect(c);
    expect(await a.until(() => got.data.length === 0 && c.readyState === "open", 5000)).toBe(true);
    const nsBefore = a.stack.stat("nd_ns_tx");
    let want = 0;
    for (let i = 0; i < 18; i++) {
      c.write(Buffer.alloc(100, i));
      want += 100;
      expect(await a.until(() => got.data.length === want, 2000)).toBe(true);
      await a.until(() => false, 5000);
    }
    expect(a.stack.stat("nd_ns_tx")).toBe(nsBefore); // no probe: every ACK confirmed the neighbor
    expect(a.stack.ip6Neighbors().find((n) => n.address === "2001:db8::2")?.state).toBe("REACHABLE");
    c.destroy();
    server.close();
  });
});

describe("RFC 7217 §5: a persistent secret_key (ip6SetSecret)", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i * 7 + 1);
  const ll = (seed: number, secret?: Uint8Array) => rig({}, seed, secret ? { ip6Secret: secret } : {}).s.ip6Addresses()[0].address;

  it("RFC 7217 §5: with the same secret the stable link-local address is the same across restarts (other entropy); without one it changes", () => {
    expect(ll(1, key)).toBe(ll(2, key));
    expect(ll(1)).not.toBe(ll(2));
    const other = key.slice(); other[0] ^= 1;
    expect(ll(1, other)).not.toBe(ll(1, key));
  });

  it("RFC 7217 §5: set after init it applies to addresses formed later (SLAAC), existing ones keep theirs; all zero restores the module's key", () => {
    const ra = (h: ReturnType<typeof rig>, prefix: string) =>
      h.icmp({ src: ROUTER, dst: "ff02::1" }, 134, 0, raBody({ lifetime: 1800 }, [...optLla(1, ROUTER_MAC), ...optPrefix(prefix, 64, 0xc0, 7200, 3600)]), ROUTER_MAC);
    const slaac = (h: ReturnType<typeof rig>, prefix: string) => h.s.ip6Addresses().find((x) => x.address.startsWith(prefix))!.address;
    const a = rig({ Ip6Flags: NO_RS }, 1);
    const b = rig({ Ip6Flags: NO_RS }, 2);
    const llA = a.s.ip6Addresses()[0].address;
    expect(a.s.ip6SetSecret(key)).toBe(0);
    expect(b.s.ip6SetSecret(key)).toBe(0);
    expect(a.s.ip6Addresses()[0].address).toBe(llA);
    a.at(1000); b.at(1000);
    ra(a, "2001:db8:1::"); ra(b, "2001:db8:1::");
    expect(slaac(a, "2001:db8:1:")).toBe(slaac(b, "2001:db8:1:"));
    a.s.ip6SetSecret(new Uint8Array(16));
    ra(a, "2001:db8:2::"); ra(b, "2001:db8:2::");
    expect(slaac(a, "2001:db8:2:")).not.toBe(slaac(b, "2001:db8:2:"));
    expect(() => a.s.ip6SetSecret(new Uint8Array(8))).toThrow();
  });

  it("createStack({ ip6Secret }): the same stable link-local address on every start", async () => {
    const addr = (seed: number) => {
      const sim = new Sim({ seed });
      const link = sim.link({ delayMs: 1 });
      const s = createStack({ ip: "198.51.100.1/24", mac: "02:00:00:00:00:01", seed, link: { type: "emulated", sim, link }, ipv6: true, ip6Secret: key });
      return s.stack.ip6Addresses()[0].address;
    };
    expect(addr(1)).toBe(addr(9));
  });
});


