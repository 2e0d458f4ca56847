// Engine behaviours the node:net layer (src/net.ts) found wrong, each as a minimal test
// on the raw ABI (no net.ts workaround in the way). src/net.ts works around them; the
// engine should fix them (assembly/tcp is owned by the TCP engineer).
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";

const OPT_KEEPALIVE = 2;

describe("engine bugs found through the net API", () => {
  it("RFC 1122 §4.2.3.6: keepalive enabled before an active open probes once the connection is idle", () => {
    const sim = new Sim({ seed: 3 });
    const link = sim.link({ delayMs: 1 });
    const cfg = { KeepIdleMs: 1000, KeepIntvlMs: 500, KeepCount: 3 };
    const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", prefix: 24, link, config: cfg });
    const b = sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", prefix: 24, link, config: cfg });
    const ax = a.exports as Record<string, (...n: number[]) => number>;
    const bx = b.exports as Record<string, (...n: number[]) => number>;
    const l = bx.tcpOpen();
    expect(bx.tcpBind(l, 7)).toBe(0);
    expect(bx.tcpListen(l, 4)).toBe(0);
    const h = ax.tcpOpen();
    expect(ax.tcpSetOption(h, OPT_KEEPALIVE, 1)).toBe(0); // before connect, as node:net allows
    expect(ax.tcpConnect(h, 0xc6336402, 7)).toBe(0);
    a.wake();
    sim.runFor(100);
    expect(ax.tcpState(h)).toBe(4); // ESTABLISHED
    sim.runFor(3000); // idle for 3 keepalive idle periods
    expect(a.stat("tcp_keepalives_tx")).toBeGreaterThanOrEqual(1);
  });
});
