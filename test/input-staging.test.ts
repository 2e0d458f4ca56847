// The one-copy receive path: a host keeps received frames in the core's staging region
// (Cfg.RxStaging) and hands each to `inputAt(ptr, len, now)`, which processes it in place. The
// core never trusts the (ptr, len) it gets: a frame outside the region is refused with -EINVAL
// and counted (rx_bad_frame_ref). The emulated link copies each frame once, from the sender's
// memory into the receiver's staging region; what the stacks see is the same as on the old
// path (rxBuffer + input) for the same seed.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Err } from "../src/abi.js";
import { LinkOptions, Sim } from "../src/links/emulated.js";
import { StagingRing } from "../src/links/staging.js";
import { Stack } from "../src/stack.js";

type Raw = Record<string, (...n: number[]) => number>;

/** An ARP request for 198.51.100.1 from 02:00:00:00:00:09 (198.51.100.9), 60 bytes. */
function arpRequest(): Uint8Array {
  const f = new Uint8Array(60);
  f.set([255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 9, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 9, 198, 51, 100, 9,
    0, 0, 0, 0, 0, 0, 198, 51, 100, 1]);
  return f;
}

describe("inputAt: the core checks the frame reference it is given", () => {
  function host(config: Record<string, number> = {}) {
    const sim = new Sim({ seed: 1 });
    const link = sim.link({});
    const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", prefix: 24, link, config });
    return { sim, a, x: a.exports as unknown as Raw };
  }

  it("refuses a negative length and frames not wholly inside the staging region: -EINVAL, rx_bad_frame_ref, nothing processed", () => {
    const { a, x } = host({ RxStaging: 4096 });
    const base = x.rxStaging();
    expect(base).toBeGreaterThan(0);
    const memEnd = a.memory.buffer.byteLength;
    const bad: [number, number][] = [
      [base, -1],                       // negative length
      [base - 1, 60],                   // starts one byte before the region
      [base + 4096 - 59, 60],           // ends one byte past it
      [base + 4096, 1],                 // starts at its end
      [x.rxBuffer(), 60],               // the rx buffer is not the staging region
      [0, 60],                          // address 0
      [0xffffffff, 2],                  // wraps around the address space
      [memEnd - 10, 60],                // past linear memory
    ];
    for (const [ptr, len] of bad) expect(x.inputAt(ptr >>> 0, len, 0), `inputAt(${ptr}, ${len})`).toBe(-Err.EINVAL);
    expect(a.stat("rx_bad_frame_ref")).toBe(bad.length);
    expect(a.stat("rx_frames")).toBe(0);
  });

  it("processes a frame that ends exactly at the region's end, and a zero-length one (counted as truncated)", () => {
    const { a, x } = host({ RxStaging: 4096 });
    const base = x.rxStaging();
    const at = base + 4096 - 60;
    new Uint8Array(a.memory.buffer).set(arpRequest(), at);
    const tx0 = a.stat("tx_frames");
    expect(x.inputAt(at, 60, 1)).toBe(0);
    expect(a.stat("arp_requests_rx")).toBe(1);
    expect(a.stat("tx_frames")).toBe(tx0 + 1); // the ARP reply
    expect(x.inputAt(base, 0, 2)).toBe(0);
    expect(a.stat("eth_truncated")).toBe(1);
    expect(a.stat("rx_bad_frame_ref")).toBe(0);
  });

  it("refuses every frame without a staging region (RxStaging 0), and before init (-ESTATE)", () => {
    const { a, x } = host({ RxStaging: 0 });
    expect(x.rxStaging()).toBe(0);
    expect(x.inputAt(x.rxBuffer(), 60, 0)).toBe(-Err.EINVAL);
    expect(a.stat("rx_bad_frame_ref")).toBe(1);
    const s = new Stack({ init: false, config: { RxStaging: 4096 } });
    const y = s.exports as unknown as Raw;
    expect(y.inputAt(0, 60, 0)).toBe(-Err.ESTATE);
    expect(() => s.configure("RxStaging", (16 << 20) + 1)).not.toThrow(); // checked at init
    expect(() => s.init()).toThrow(/ENOMEM/);
  });

  it("reserves no staging region unless asked (fleets of small stacks stay small); createStack on an emulated link asks for a receive window's worth of frames", async () => {
    const plain = new Stack({});
    expect(plain.stagingSize).toBe(0);
    expect((plain.exports as unknown as Raw).rxStaging()).toBe(0);
    const { createStack } = await import("../src/net.js");
    const sim = new Sim({ seed: 1 });
    const link = sim.link({});
    const n = createStack({ ip: "198.51.100.1/24", link: { type: "emulated", sim, link } });
    expect(n.stack.stagingSize).toBe(128 * 1024 + 16 * 1024 + 16384); // rcvBuf (128 KiB) + 1/8 for headers + 16 KiB
    expect((n.stack.exports as unknown as Raw).rxStaging()).not.toBe(0);
    n.close();
    const big = createStack({ ip: "198.51.100.2/24", link: { type: "emulated", sim, link }, rcvBuf: 64 << 20 });
    expect(big.stack.stagingSize).toBe(16 << 20); // at most Cfg.RxStaging's 16 MiB
    big.close();
  });
});

describe("StagingRing (the host's allocator in the region)", () => {
  it("reuses space in arrival order, releases in any order, and says when it is full", () => {
    const r = new StagingRing(1000, 400);
    const a = r.alloc(100), b = r.alloc(100), c = r.alloc(100);
    expect([r.addr(a), r.addr(b), r.addr(c)]).toEqual([1000, 1100, 1200]);
    expect(r.alloc(101)).toBe(-1); // 100 left at the end
    r.release(b);                  // out of order: a still holds the start
    expect(r.alloc(200)).toBe(-1);
    r.release(a);                  // [0, 200) free now, c at [200, 300)
    const d = r.alloc(150);        // no room at the end (100): wraps to the start
    expect(r.addr(d)).toBe(1000);
    expect(r.alloc(60)).toBe(-1);  // 50 left before c, 100 at the end unusable once wrapped
    const e = r.alloc(48);
    expect(r.addr(e)).toBe(1152);
    r.release(c); r.release(d); r.release(e);
    expect(r.held).toBe(0);
    expect(r.addr(r.alloc(400))).toBe(1000);
  });
});

/**
 * Two hosts on one link with `opts`, a 300 KB TCP transfer from a to b; returns every frame
 * each core processed (virtual time, host, length, SHA-256 prefix of its bytes) and the stats.
 */
function transcript(opts: LinkOptions, config: Record<string, number>) {
  const sim = new Sim({ seed: 11 });
  const link = sim.link(opts);
  const cfg = { SndBuf: 65536, RcvBuf: 65536, DelAckMs: 40, ...config };
  const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", prefix: 24, link, config: cfg });
  const b = sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", prefix: 24, link, config: cfg });
  const lines: string[] = [];
  for (const s of [a, b]) {
    const x = s.exports as unknown as Raw;
    const input = x.input, inputAt = x.inputAt, rx = x.rxBuffer();
    const note = (ptr: number, len: number) => {
      const bytes = new Uint8Array(s.memory.buffer, ptr, Math.max(0, len));
      lines.push(`${sim.now()} ${s.name} ${len} ${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}`);
    };
    x.input = (len: number, now: number) => { note(rx, len); return input(len, now); };
    x.inputAt = (ptr: number, len: number, now: number) => { note(ptr, len); return inputAt(ptr, len, now); };
  }
  const ax = a.exports as unknown as Raw, bx = b.exports as unknown as Raw;
  const l = bx.tcpOpen(); bx.tcpBind(l, 80); bx.tcpListen(l, 2);
  const c = ax.tcpOpen(); ax.tcpConnect(c, 0xc6336402, 80); a.wake();
  const total = 300_000;
  let sent = 0, got = 0, s = -1;
  const aio = ax.ioBuffer(), bio = bx.ioBuffer();
  for (let i = 0; i < 20_000 && got < total; i++) {
    if (s < 0) { const h = bx.tcpAccept(l); if (h > 0) s = h; }
    if (sent < total) {
      const n = ax.tcpWrite(c, aio, Math.min(8192, total - sent));
      if (n > 0) { sent += n; a.wake(); }
    }
    if (s > 0) for (let n; (n = bx.tcpRead(s, bio, 65536)) > 0;) { got += n; b.wake(); }
    sim.runFor(1);
  }
  sim.runFor(500); // the last ACKs land: nothing stays staged
  return { lines, got, viaStaging: link.staged, sent: link.sent, staged: [a.stagedFrames, b.stagedFrames], stats: [a.stats(), b.stats()] };
}

describe("the emulated link over the staging region", () => {
  const cases: [string, LinkOptions][] = [
    ["a clean link", { delayMs: 1 }],
    ["loss, jitter, reordering and a rate limit", { delayMs: 1, jitterMs: 0.7, loss: 0.02, reorder: 0.05, rateBps: 200e6, queueBytes: 100_000 }],
  ];
  for (const [name, opts] of cases) {
    it(`delivers the same frames at the same times as rxBuffer + input (${name}, one seed)`, () => {
      const old = transcript(opts, { RxStaging: 0 });
      const one = transcript(opts, { RxStaging: 65536 }); // what createStack asks for on emulated links
      const tight = transcript(opts, { RxStaging: 6000 }); // mostly full: frames fall back to pooled copies
      expect(old.got).toBe(300_000);
      expect(old.lines.length).toBeGreaterThan(200);
      expect(one.lines).toEqual(old.lines);
      expect(tight.lines).toEqual(old.lines);
      const noRef = (st: Record<string, number>[]) => st.map((m) => ({ ...m, rx_bad_frame_ref: 0 }));
      expect(noRef(one.stats)).toEqual(noRef(old.stats));
      expect(one.stats[0].rx_bad_frame_ref + one.stats[1].rx_bad_frame_ref).toBe(0);
      expect(one.staged).toEqual([0, 0]);
      expect(old.viaStaging).toBe(0);
      expect(one.viaStaging).toBeGreaterThan(one.sent * 0.9); // lost frames are never copied
      expect(tight.viaStaging).toBeGreaterThan(0);
      expect(tight.viaStaging).toBeLessThan(one.viaStaging);
      expect(tight.staged).toEqual([0, 0]);
    });
  }

  it("a station attached while frames are in flight gets them too (as on the old path)", () => {
    const run = (config: Record<string, number>) => {
      const sim = new Sim({ seed: 4 });
      const link = sim.link({ delayMs: 5 });
      const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", prefix: 24, link, config });
      sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", prefix: 24, link, config });
      sim.runFor(20);
      a.ping("198.51.100.9", 1); // an ARP request broadcast, in flight for 5 ms
      sim.runFor(1);
      const c = sim.addHost({ name: "c", ip: "198.51.100.3", mac: "02:00:00:00:00:03", prefix: 24, link, config });
      const before = c.stat("arp_requests_rx");
      sim.runFor(10);
      return c.stat("arp_requests_rx") - before;
    };
    expect(run({ RxStaging: 65536 })).toBe(1);
    expect(run({})).toBe(1);
  });
});
