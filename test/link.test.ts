// The emulated link: deterministic for a seed, and each impairment does what it says.
import { describe, expect, it } from "vitest";
import { Endpoint, EventQueue, FrameVerdict, LinkOptions, Sim, TapRecord } from "../src/links/emulated.js";
import { decodeFrame } from "../src/trace.js";
import { createStack } from "../src/net.js";

/** A test endpoint: records what it receives (with virtual time) and can send raw frames. */
class Port implements Endpoint {
  received: { t: number; id: number }[] = [];
  private send: ((f: Uint8Array) => void) | null = null;
  constructor(readonly name: string, private sim: Sim) {}
  input(frame: Uint8Array): void { this.received.push({ t: this.sim.now(), id: (frame[0] << 8) | frame[1] }); }
  attach(fn: ((f: Uint8Array) => void) | null): void { this.send = fn; }
  /** Send a frame of `len` bytes whose first two bytes carry `id`. */
  tx(id: number, len = 100): void {
    const f = new Uint8Array(len);
    f[0] = id >> 8; f[1] = id & 255;
    this.send!(f);
  }
  txFrame(f: Uint8Array): void { this.send!(f); }
}

/** Two raw ports on one link; `a` sends n frames, one every `gapMs` (0 = all at t=0). */
function pair(opts: LinkOptions, n: number, gapMs = 1, len = 100, seed = 1) {
  const sim = new Sim({ seed });
  const link = sim.link(opts);
  const a = new Port("a", sim);
  const b = new Port("b", sim);
  link.attach(a);
  link.attach(b);
  const taps: TapRecord[] = [];
  link.tap((r) => taps.push(r));
  for (let i = 0; i < n; i++) sim.at(i * gapMs, () => a.tx(i, len));
  sim.run(1e7);
  return { sim, link, a, b, taps };
}

/** A Sim (seed 3) with one 10 ms link, host "a" (198.51.100.1) on it, and every frame's time, sender and summary in `seen`. */
function tracedHostA() {
  const sim = new Sim({ seed: 3 });
  const link = sim.link({ delayMs: 10 });
  const seen: string[] = [];
  sim.tap((r) => seen.push(`${r.time} ${r.fromName} ${decodeFrame(r.frame).info}`));
  const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", link });
  return { sim, link, seen, a };
}

describe("EventQueue", () => {
  it("pops in time order, and in insertion order for equal times", () => {
    const q = new EventQueue();
    const out: string[] = [];
    const times = [5, 1, 3, 1, 9, 0, 3, 7, 1];
    times.forEach((t, i) => q.push(t, () => out.push(`${t}:${i}`)));
    while (q.size) q.pop()!.fn();
    expect(out).toEqual(["0:5", "1:1", "1:3", "1:8", "3:2", "3:6", "5:0", "7:7", "9:4"]);
  });
});

describe("emulated link", () => {
  it("is deterministic: the same seed gives the same trace, another seed a different one", () => {
    const opts = { loss: 0.2, jitterMs: 3, delayMs: 1, duplicate: 0.1, reorder: 0.1 };
    const trace = (seed: number) => pair(opts, 300, 1, 100, seed).taps.map((r) => `${r.time}|${r.deliverAt}|${r.dropped}|${r.duplicate}`);
    expect(trace(7)).toEqual(trace(7));
    expect(trace(7)).not.toEqual(trace(8));
  });

  it("loss: about the configured fraction of frames is dropped, and tapped as dropped", () => {
    const { b, taps, link } = pair({ loss: 0.1 }, 5000);
    const lost = 5000 - b.received.length;
    expect(lost).toBeGreaterThan(400);
    expect(lost).toBeLessThan(600);
    expect(taps.filter((r) => r.dropped && r.reason === "loss")).toHaveLength(lost);
    expect(link.dropped).toBe(lost);
  });

  it("delay: every frame arrives exactly delayMs after it was sent", () => {
    const { b } = pair({ delayMs: 7.5 }, 10, 2);
    expect(b.received.map((r) => r.t)).toEqual(Array.from({ length: 10 }, (_, i) => i * 2 + 7.5));
  });

  it("jitter: delays spread over [delay, delay + jitter) yet order is kept", () => {
    const { b } = pair({ delayMs: 5, jitterMs: 10 }, 500, 1);
    const ids = b.received.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    const delays = b.received.map((r) => r.t - r.id);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...delays)).toBeLessThan(15 + 10); // FIFO may add to the jitter
    expect(new Set(delays.map((d) => Math.floor(d))).size).toBeGreaterThan(3);
  });

  it("duplication: about the configured fraction of frames arrives twice", () => {
    const { b, link } = pair({ duplicate: 0.2 }, 2000);
    const dups = b.received.length - 2000;
    expect(dups).toBe(link.duplicated);
    expect(dups).toBeGreaterThan(320);
    expect(dups).toBeLessThan(480);
  });

  it("reorder: some frames are overtaken by later ones; none is lost", () => {
    const { b } = pair({ delayMs: 1, reorder: 0.1, reorderDelayMs: 5 }, 1000, 1);
    const ids = b.received.map((r) => r.id);
    expect(ids).toHaveLength(1000);
    let inversions = 0;
    for (let i = 1; i < ids.length; i++) if (ids[i] < ids[i - 1]) inversions++;
    expect(inversions).toBeGreaterThan(50);
    expect(new Set(ids).size).toBe(1000);
  });

  it("rate limit: frames are serialized at rateBps (1000 B at 8 Mbit/s = 1 ms each)", () => {
    const { b } = pair({ rateBps: 8_000_000 }, 100, 0, 1000);
    expect(b.received.map((r) => r.t)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it("rate limit with queueBytes: a burst beyond the queue is tail-dropped", () => {
    const { b, taps } = pair({ rateBps: 8_000_000, queueBytes: 10_000 }, 100, 0, 1000);
    expect(b.received.length).toBeGreaterThanOrEqual(10);
    expect(b.received.length).toBeLessThanOrEqual(12);
    expect(taps.filter((r) => r.reason === "queue").length).toBe(100 - b.received.length);
  });

  it("dropIf: a programmable filter drops exactly the chosen frames", () => {
    const { b } = pair({ dropIf: (f) => f[1] % 3 === 0 }, 30);
    expect(b.received.map((r) => r.id)).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0));
  });

  it("hook: drops (reason filter), rewrites, delays and duplicates exactly the frames it chooses", () => {
    const verdicts: Record<number, FrameVerdict> = {
      1: "drop",
      2: Uint8Array.of(0, 102, 9),
      3: { delays: [5] },
      4: { delays: [0, 1] },
      5: { delays: [] },
    };
    const { b, taps, link } = pair({ delayMs: 1, hook: (f, from) => (from === 0 ? verdicts[f[1]] : undefined) }, 7, 10);
    expect(b.received).toEqual([
      { t: 1, id: 0 }, { t: 21, id: 102 }, { t: 36, id: 3 }, { t: 41, id: 4 }, { t: 42, id: 4 }, { t: 61, id: 6 },
    ]);
    expect(taps.filter((r) => r.dropped).map((r) => `${r.frame[1]}:${r.reason}`)).toEqual(["1:filter", "5:loss"]);
    expect(taps.find((r) => r.frame[1] === 102)!.frame.length).toBe(3); // the tap sees the frame sent
    expect(taps.filter((r) => r.duplicate).map((r) => r.deliverAt)).toEqual([42]);
    expect([link.sent, link.dropped, link.duplicated]).toEqual([7, 2, 1]);
  });

  it("sendTimePorts: a port attached while a frame is in flight does not get it (default: it does)", () => {
    for (const sendTimePorts of [false, true]) {
      const sim = new Sim();
      const link = sim.link({ delayMs: 5, sendTimePorts });
      const a = new Port("a", sim), b = new Port("b", sim), late = new Port("late", sim);
      link.attach(a);
      link.attach(b);
      a.tx(1);
      sim.run(2);
      link.attach(late);
      a.tx(2);
      sim.run(20);
      expect(b.received).toEqual([{ t: 5, id: 1 }, { t: 7, id: 2 }]);
      expect(late.received).toEqual(sendTimePorts ? [{ t: 7, id: 2 }] : [{ t: 5, id: 1 }, { t: 7, id: 2 }]);
    }
  });

  it("deliver: one port gets a frame after the delay, past the hook and the taps; detach unplugs a port", () => {
    const sim = new Sim();
    const link = sim.link({ delayMs: 2, hook: () => "drop" });
    const a = new Port("a", sim), b = new Port("b", sim), c = new Port("c", sim);
    for (const p of [a, b, c]) link.attach(p);
    const taps: TapRecord[] = [];
    link.tap((r) => taps.push(r));
    link.deliver(b, Uint8Array.of(0, 1));
    link.deliver(2, Uint8Array.of(0, 2), 7);
    link.deliver(c, Uint8Array.of(0, 3), 9);
    sim.run(5);
    link.detach(c); // the frame still in flight to c is lost with it
    b.tx(4); // hooked: dropped
    c.tx(5); // an unplugged port sends nothing
    sim.run(20);
    expect(a.received).toEqual([]);
    expect(b.received).toEqual([{ t: 2, id: 1 }]);
    expect(c.received).toEqual([]);
    expect(taps.map((r) => `${r.fromName}:${r.reason}`)).toEqual(["b:filter", "c:detached"]);
    expect(() => link.deliver(new Port("x", sim), Uint8Array.of(0))).toThrow(/no such port/);
  });

  it("Sim.removeStack: a removed stack is polled no more (its timers stop), the others run on", () => {
    const sim = new Sim({ seed: 5 });
    const link = sim.link({ delayMs: 1 });
    const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", link });
    const b = sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", link });
    sim.runFor(10);
    link.detach(a);
    sim.removeStack(a);
    expect(sim.stacks).toEqual([b]);
    a.ping("198.51.100.9", 1); // an ARP request a would retry while polled
    b.ping("198.51.100.9", 1);
    const arps = (name: string) => { let n = 0; link.tap((r) => { if (r.fromName === name) n++; }); return () => n; };
    const fromA = arps("a"), fromB = arps("b");
    sim.runFor(10_000);
    expect(fromA()).toBe(0);
    expect(fromB()).toBeGreaterThan(1); // b's ARP retries ran on
  });

  it("a link with three ports is a hub: each frame reaches every other port", () => {
    const sim = new Sim();
    const link = sim.link({ delayMs: 1 });
    const [a, b, c] = ["a", "b", "c"].map((n) => new Port(n, sim));
    [a, b, c].forEach((p) => link.attach(p));
    a.tx(1);
    c.tx(2);
    sim.run(10);
    expect([a.received.map((r) => r.id), b.received.map((r) => r.id), c.received.map((r) => r.id)]).toEqual([[2], [1, 2], [1]]);
  });

  it("drives stacks in virtual time: ARP then ping across a 10 ms link, with a tap seeing every frame", () => {
    const { sim, link, seen, a } = tracedHostA();
    sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", link });
    sim.runFor(100);
    seen.length = 0;
    let replyAt = -1;
    a.onEvents((_s, kind) => { if (kind === 9) replyAt = sim.now(); });
    a.ping("198.51.100.2", 1);
    expect(sim.runUntil(() => replyAt >= 0, 1000)).toBe(true);
    expect(replyAt).toBe(140); // ARP request + reply, echo request + reply
    expect(seen).toEqual([
      "100 a ARP who-has 198.51.100.2 tell 198.51.100.1",
      "110 b ARP 198.51.100.2 is-at 02:00:00:00:00:02",
      "120 a ICMP echo request 198.51.100.1 > 198.51.100.2 id=22359 seq=1 len=56",
      "130 b ICMP echo reply 198.51.100.2 > 198.51.100.1 id=22359 seq=1 len=56",
    ]);
  });

  it("RFC 826 merge: a pending resolution completes from the neighbour's own gratuitous ARP", () => {
    const { sim, link, seen, a } = tracedHostA();
    a.ping("198.51.100.2", 1); // queued: who-has at t=0
    sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", link }); // announces at t=0
    sim.run(50);
    // a's entry for b was pending, so b's announcement (not targeted at a) resolves it at t=10
    expect(seen.slice(0, 3)).toEqual([
      "0 a ARP announce 198.51.100.1 is-at 02:00:00:00:00:01",
      "0 a ARP who-has 198.51.100.2 tell 198.51.100.1",
      "0 b ARP announce 198.51.100.2 is-at 02:00:00:00:00:02",
    ]);
    // (b's reply to the who-has, sent at 10, would only arrive at 20)
    expect(seen).toContain("10 a ICMP echo request 198.51.100.1 > 198.51.100.2 id=22359 seq=1 len=56");
    expect(a.stat("icmp_echo_replies_rx")).toBe(1);
  });

  it("a lossy link still gets pings through by ARP retries, deterministically", () => {
    const run = () => {
      const sim = new Sim({ seed: 11 });
      const link = sim.link({ delayMs: 1, loss: 0.3 });
      const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", link });
      sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", link });
      for (let i = 0; i < 20; i++) sim.at(i * 100, () => a.ping("198.51.100.2", i));
      sim.run(5000);
      return a.stats();
    };
    const s1 = run();
    expect(s1.icmp_echo_replies_rx).toBeGreaterThan(5);
    expect(s1.icmp_echo_replies_rx).toBeLessThan(20);
    expect(run()).toEqual(s1);
  });

  it("is fast: 20,000 full-size frames through a rate-limited, jittery link in well under a second", () => {
    const sim = new Sim({ seed: 1 });
    const link = sim.link({ rateBps: 1e9, delayMs: 0.05, jitterMs: 0.01 });
    const a = new Port("a", sim);
    const b = new Port("b", sim);
    link.attach(a);
    link.attach(b);
    const frame = new Uint8Array(1514);
    const t0 = performance.now();
    for (let i = 0; i < 20000; i++) sim.at(i * 0.01, () => a.txFrame(frame));
    sim.run(1e4);
    expect(b.received).toHaveLength(20000);
    expect(b.received[19999].t).toBeCloseTo(20000 * 1514 * 8 / 1e6 + 0.05, 1); // 1 Gbit/s bound
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("emulated link between stacks: pooled, batched delivery", () => {
  /** 1 MiB from a to b through the Socket API; `tapped` adds a Sim tap (which makes the link copy every frame afresh). */
  async function bulk(tapped: boolean, opts: LinkOptions = {}) {
    const sim = new Sim({ seed: 5 });
    const link = sim.link(opts);
    const frames: Uint8Array[] = [];
    if (tapped) sim.tap((r) => { if (!r.dropped) frames.push(r.frame); });
    const mk = (ip: string, mac: string, seed: number) => createStack({ ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link } });
    const a = mk("198.51.100.1", "02:00:00:00:00:01", 1);
    const b = mk("198.51.100.2", "02:00:00:00:00:02", 2);
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 255;
    const got: Buffer[] = [];
    let ended = false;
    b.createServer((s) => { s.on("data", (d: Buffer) => got.push(d)); s.on("end", () => { ended = true; }); }).listen(9);
    const c = a.connect({ host: "198.51.100.2", port: 9, noDelay: true });
    c.end(data);
    expect(await a.until(() => ended, 60_000)).toBe(true);
    const out = { doneAt: sim.now(), received: Buffer.concat(got), statsA: a.stats(), statsB: b.stats(), sent: link.sent, dropped: link.dropped };
    a.close(); b.close();
    return { ...out, data, frames };
  }

  it("gives the same bytes, at the same virtual times, with the same counters as the copying path", async () => {
    const fast = await bulk(false);
    const copied = await bulk(true);
    expect(fast.received.equals(fast.data)).toBe(true);
    expect(fast.doneAt).toBe(copied.doneAt);
    expect(fast.sent).toBe(copied.sent);
    expect(fast.statsA).toEqual(copied.statsA);
    expect(fast.statsB).toEqual(copied.statsB);
  });

  it("keeps determinism with loss (drops drawn in the same order on both paths)", async () => {
    const fast = await bulk(false, { loss: 0.02 });
    const copied = await bulk(true, { loss: 0.02 });
    expect(fast.received.equals(fast.data)).toBe(true);
    expect(fast.dropped).toBeGreaterThan(0);
    expect([fast.doneAt, fast.dropped, fast.statsA, fast.statsB]).toEqual([copied.doneAt, copied.dropped, copied.statsA, copied.statsB]);
  });

  it("never recycles a frame a tap was given: every tapped frame still decodes after the transfer", async () => {
    const { frames } = await bulk(true);
    expect(frames.length).toBeGreaterThan(700);
    const kinds = new Set(frames.map((f) => decodeFrame(f).info.split(" ")[0]));
    expect(kinds.has("TCP")).toBe(true);
    // each full-size data frame still carries its own bytes: no two are the same buffer or the same contents
    const full = frames.filter((f) => f.length === 1514);
    expect(new Set(full).size).toBe(full.length);
    expect(new Set(full.map((f) => Buffer.from(f).toString("base64"))).size).toBe(full.length);
  });

  it("Stack.input(frame, len) delivers only the first len bytes", () => {
    const sim = new Sim({ seed: 3 });
    const link = sim.link({});
    const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", link });
    const b = sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", link });
    sim.runFor(10);
    let frame: Uint8Array | null = null;
    const stop = link.tap((r) => { if (r.fromName === "a" && decodeFrame(r.frame).info.includes("echo request")) frame = r.frame; });
    a.ping("198.51.100.2", 1);
    sim.runFor(10);
    stop();
    expect(frame).not.toBeNull();
    const before = b.stat("icmp_echo_requests_rx");
    b.input(frame!, frame!.length - 8); // cut inside the ICMP payload: the IPv4 total length no longer fits
    sim.runFor(10);
    expect(b.stat("icmp_echo_requests_rx")).toBe(before);
    b.input(frame!, frame!.length); // the whole frame is answered
    sim.runFor(10);
    expect(b.stat("icmp_echo_requests_rx")).toBe(before + 1);
    expect(a.stat("icmp_echo_replies_rx")).toBe(2);
  });
});
