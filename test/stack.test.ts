// src/stack.ts: loading each build, configuration by name, counters, clocks, drivers.
import { describe, expect, it } from "vitest";
import { ipToU32, loadStack, parseMac, RealtimeDriver, Stack, u32ToIp, VirtualClock } from "../src/stack.js";
import { Sim } from "../src/links/emulated.js";
import { harness } from "./iface-harness.js";

describe("Stack", () => {
  it("names every counter from the generated STAT_NAMES (one per counter, unique, all zero at start)", () => {
    const s = new Stack({ ip: "198.51.100.1", seed: 1, clock: new VirtualClock() });
    const names = s.statNames();
    expect(names).toHaveLength(s.exports.statCount());
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^[a-z0-9_]+$/.test(n))).toBe(true);
    const st = s.stats();
    expect(st.rx_frames).toBe(0);
    expect(st.arp_requests_tx).toBe(1); // the gratuitous ARP at init (dropped: nothing attached)
    expect(s.txUnattached).toBe(1);
  });

  it("configures by key name; unknown keys and refused values throw", () => {
    expect(() => new Stack({ config: { NoSuchKey: 1 } })).toThrow(/unknown config key/);
    expect(() => new Stack({ ip: "198.51.100.1", mtu: 100 })).toThrow(/init failed: ENOMEM/);
    const s = new Stack({ ip: "198.51.100.1", config: { ArpTimeoutMs: 1234 }, init: false });
    expect(s.cfgKeys.ArpTimeoutMs).toBe(21);
    s.init();
    expect(() => s.configure("Mtu", 1400)).toThrow(/ESTATE/);
  });

  it("a frame longer than the rx buffer is not copied past it and is counted (eth_too_long)", () => {
    const h = harness({ mtu: 576 });
    h.rx(new Uint8Array(2000));
    expect(h.stat("eth_too_long")).toBe(1);
  });

  it("poll reports no deadline when idle, and the ARP retransmission deadline while resolving", () => {
    const h = harness();
    expect(h.s.poll()).toBe(-1);
    h.s.ping("198.51.100.9", 1);
    expect(h.s.poll()).toBe(1000);
    expect(h.s.nextDeadline).toBe(1000);
  });

  it("times are u32 milliseconds compared wrap-safe: ARP retries across the 2^32 ms wrap", () => {
    const start = 2 ** 32 - 500;
    const h = harness({ clock: new VirtualClock(start) });
    h.take();
    h.s.ping("198.51.100.9", 1);
    expect(h.take().map((f) => f.arpOp)).toEqual(["request"]);
    expect(h.at(start + 999)).toBe(1);
    h.at(start + 1000); // wrapped: now = 500
    expect(h.take().map((f) => f.arpOp)).toEqual(["request"]);
    h.at(start + 2000);
    expect(h.s.exports.arpQueued()).toBe(1);
    h.at(start + 3000);
    expect(h.stat("arp_queue_timeout")).toBe(1);
  });

  it("the virtual clock never goes back", () => {
    const c = new VirtualClock(10);
    c.advance(5);
    expect(c.now()).toBe(15);
    expect(() => c.set(14)).toThrow();
  });

  it("parses and formats addresses", () => {
    expect(ipToU32("198.51.100.2")).toBe(0xc6336402);
    expect(u32ToIp(0xc6336402)).toBe("198.51.100.2");
    expect(() => ipToU32("198.51.100")).toThrow();
    expect(() => ipToU32("198.51.100.256")).toThrow();
    expect(parseMac("02:00:00:00:00:01")).toEqual([0x0200, 1]);
    expect(() => parseMac("02:00:00:00:01")).toThrow();
  });

  it.each(["node", "mcu", "debug", "testing-mcu"] as const)("the %s build answers a ping over the emulated link", (build) => {
    const sim = new Sim({ seed: 5 });
    const link = sim.link({ delayMs: 1 });
    const a = sim.addHost({ name: "a", build, ip: "198.51.100.1", mac: "02:00:00:00:00:01", link });
    const b = sim.addHost({ name: "b", build, ip: "198.51.100.2", mac: "02:00:00:00:00:02", link });
    a.ping("198.51.100.2", 1);
    expect(sim.runUntil(() => a.stat("icmp_echo_replies_rx") === 1, 100)).toBe(true);
    expect(b.stat("icmp_echo_replies_tx")).toBe(1);
  });

  it("loadStack + RealtimeDriver run two stacks on the real clock (ARP + ping, no timers needed)", async () => {
    const a = await loadStack({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", seed: 1 });
    const b = await loadStack({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", seed: 2 });
    a.attach((f) => setImmediate(() => b.input(f)));
    b.attach((f) => setImmediate(() => a.input(f)));
    const d = new RealtimeDriver();
    d.add(a);
    d.add(b);
    const reply = new Promise<number>((resolve) => a.onEvents((_s, kind, seq) => { if (kind === 9) resolve(seq); }));
    expect(a.ping("198.51.100.2", 7)).toBe(0);
    expect(await reply).toBe(7);
    d.remove(a);
    d.remove(b);
  });

  it("a frame delivered from inside a tx callback is deferred until the core returns, never overwriting the frame in progress", async () => {
    // b answers a's frames synchronously, from inside a's tx: without the guard, b's reply is
    // written into a's rx buffer while a is still processing the frame that made it transmit.
    const a = await loadStack({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", seed: 1, clock: new VirtualClock(0) });
    const b = await loadStack({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", seed: 2, clock: new VirtualClock(0) });
    let deferredSeen = 0;
    a.attach((f) => b.input(f));
    b.attach((f) => { a.input(f); deferredSeen = Math.max(deferredSeen, a.deferredFrames); });
    const replies: number[] = [];
    a.onEvents((_s, kind, seq) => { if (kind === 9) replies.push(seq); });
    for (let seq = 1; seq <= 3; seq++) {
      expect(a.ping("198.51.100.2", seq)).toBe(0);
      await new Promise((r) => setImmediate(r));
    }
    expect(deferredSeen).toBeGreaterThan(0);
    expect(replies).toEqual([1, 2, 3]);
    expect(a.deferredFrames).toBe(0);
    expect(a.stat("icmp_bad_checksum") + a.stat("ipv4_bad_checksum")).toBe(0);
  });
});
