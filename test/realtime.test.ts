// The real-time driver itself (src/links/realtime.ts): virtual time follows the real clock (or a
// multiple of it), the same seeded impairments act, stop() hands the Sim back to net.until, and
// a crowded instant is split into bounded slices.
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";
import { realtime } from "../src/links/realtime.js";
import { emulatedPair } from "../src/fleet.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("real-time Sim driver", () => {
  it("runs virtual time on the real clock: pings cross a 50 ms link in about 100 ms of real time each", async () => {
    const p = emulatedPair({ delayMs: 50 });
    const t0 = performance.now();
    p.a.stack.ping("198.51.100.2", 1);
    expect(await p.a.until(() => p.a.stat("icmp_echo_replies_rx") === 1, 5000)).toBe(true);
    const took = performance.now() - t0;
    // b's gratuitous ARP taught a its address: the echo request and reply cross the link, 2 x 50 ms
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(1500);
    expect(p.sim.now()).toBeGreaterThanOrEqual(100);
    expect(p.sim.now()).toBeLessThan(took + 20); // never ahead of the real clock
    p.close();
  });

  it("speed: 20 runs 20 virtual ms per real ms", async () => {
    const sim = new Sim({ seed: 2 });
    const rt = realtime(sim, { speed: 20 });
    const fired: number[] = [];
    sim.at(2000, () => fired.push(performance.now()));
    const t0 = performance.now();
    await rt.until(() => fired.length === 1, 3000);
    expect(fired.length).toBe(1);
    expect(fired[0] - t0).toBeGreaterThanOrEqual(90);
    expect(fired[0] - t0).toBeLessThan(1000);
    rt.stop();
  });

  it("the same seed draws the same impairments as in virtual time (the same frames lost, in send order)", async () => {
    const lost = async (rt: boolean): Promise<number[]> => {
      const p = emulatedPair({ simSeed: 5, loss: 0.2, realtime: rt ? { speed: 20 } : false });
      const out: number[] = [];
      p.sim.tap((r) => { out.push(r.dropped ? 1 : 0); });
      for (let i = 1; i <= 30; i++) {
        p.a.stack.ping("198.51.100.2", i);
        const mark = p.sim.now() + 200; // one at a time, the same virtual spacing: the same frame order either way
        await p.a.until(() => p.sim.now() >= mark, 20_000);
      }
      p.close();
      return out;
    };
    const virtual = await lost(false), real = await lost(true);
    // the k-th frame sent is lost in both runs or in neither (timing may add an ARP refresh at the end)
    const n = Math.min(virtual.length, real.length);
    expect(n).toBeGreaterThan(40);
    expect(virtual.slice(0, n).reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
    expect(real.slice(0, n)).toEqual(virtual.slice(0, n));
  });

  it("stop() returns the Sim to virtual time (net.until runs it again)", async () => {
    const p = emulatedPair({ delayMs: 1000 });
    p.rt!.stop();
    expect(p.sim.driver).toBeNull();
    const t0 = performance.now();
    p.a.stack.ping("198.51.100.2", 1);
    expect(await p.a.until(() => p.a.stat("icmp_echo_replies_rx") === 1, 10_000)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000); // 4 s of virtual time, not of real time
    p.close();
  });

  it("a crowded instant (120 stacks answering one broadcast on a hub) is split into slices of a few ms", async () => {
    const sim = new Sim({ seed: 3 });
    const link = sim.link({ delayMs: 1 });
    const hosts = Array.from({ length: 120 }, (_, i) => sim.addHost({
      name: `h${i}`, ip: `198.51.100.${i + 1}`, prefix: 24, mac: `02:00:00:00:01:${(i + 1).toString(16).padStart(2, "0")}`, link, build: "mcu",
    }));
    for (let i = 1; i < hosts.length; i++) hosts[i].ping("198.51.100.1", i); // warm up in virtual time (first touches, tier-up)
    sim.runFor(100);
    expect(hosts[0].stat("icmp_echo_requests_rx")).toBe(119);
    const rt = realtime(sim, { sliceMs: 2 });
    let maxGap = 0, last = performance.now();
    const probe = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 1);
    const h0 = hosts[0];
    const req0 = h0.stat("icmp_echo_requests_rx"), bc0 = h0.stat("icmp_echo_broadcast_ignored");
    for (let i = 1; i < hosts.length; i++) hosts[i].ping("198.51.100.1", 1000 + i); // 119 pings to one host at one instant
    for (let i = 1; i < hosts.length; i++) hosts[i].ping("198.51.100.255", 2000 + i); // and 119 broadcasts to 119 ports
    await rt.until(() => h0.stat("icmp_echo_requests_rx") >= req0 + 238 && h0.stat("icmp_echo_broadcast_ignored") >= bc0 + 119, 10_000);
    clearInterval(probe);
    rt.stop();
    expect(h0.stat("icmp_echo_requests_rx")).toBe(req0 + 238); // broadcast requests count too
    expect(h0.stat("icmp_echo_broadcast_ignored")).toBe(bc0 + 119); // every broadcast reached host 0 once (RFC 1122 §3.2.2.6: not answered)
    expect(rt.slices).toBeGreaterThan(5);
    expect(rt.budgetStops).toBeGreaterThan(0); // the work was cut at the 2 ms budget and resumed after a yield
    // wall-clock bounds, generous: a host shared by many processes preempts us for tens of ms
    expect(rt.longestSliceMs).toBeLessThan(250);
    expect(maxGap).toBeLessThan(400);
  }, 20_000);
});
