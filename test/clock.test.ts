// The core's clock during API calls. input/poll carry the host's time; an API call made long
// after the last of them (an idle spell: no timer pending, so nobody polled) must arm its
// timers from the true time. Without the `clock` export the RTO of a write after 30 s idle
// started 30 s in the past and fired at the very next poll (a spurious retransmission), and a
// connect's ARP retry fired at once (two requests in the same instant).
import { describe, expect, it } from "vitest";
import { Sim, type TapRecord } from "../src/links/emulated.js";
import { createStack } from "../src/net.js";

const A = "198.51.100.1", B = "198.51.100.2";

function env() {
  const sim = new Sim({ seed: 3 });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, mac: string, seed: number) => createStack({ ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link } });
  const frames: TapRecord[] = [];
  link.tap((r) => frames.push(r));
  return { sim, frames, a: mk(A, "02:00:00:00:00:01", 1), b: mk(B, "02:00:00:00:00:02", 2) };
}

describe("the core's clock during API calls", () => {
  it("RFC 6298 §5.1: the RTO armed by a write after a 30 s idle spell runs from the write (no retransmission)", async () => {
    const { a, b } = env();
    let got = 0;
    b.createServer((s) => s.on("data", (d: Buffer) => { got += d.length; })).listen(9);
    const c = a.connect({ host: B, port: 9 });
    expect(await a.until(() => !c.connecting, 5000)).toBe(true);
    c.write(Buffer.alloc(10));
    expect(await a.until(() => got === 10, 1000)).toBe(true);
    await a.until(() => false, 30_000); // idle: nothing pending, nothing polls
    const before = a.stats().tcp_retransmits;
    c.write(Buffer.alloc(10));
    expect(await a.until(() => got === 20, 1000)).toBe(true);
    await a.until(() => false, 100);
    expect(a.stats().tcp_retransmits - before).toBe(0);
    c.destroy();
  });

  it("RFC 1122 §2.3.2.1: a connect after a 20 s idle spell sends one ARP request, not a burst", async () => {
    const { a, b, frames } = env();
    b.createServer(() => {}).listen(9);
    await a.until(() => false, 20_000);
    const t0 = frames.length;
    const c = a.connect({ host: B, port: 9 });
    expect(await a.until(() => !c.connecting, 5000)).toBe(true);
    const arpRequests = frames.slice(t0).filter((r) => r.fromName === a.stack.name && r.frame[12] === 0x08 && r.frame[13] === 0x06 && r.frame[21] === 1);
    expect(arpRequests.length).toBe(1);
    c.destroy();
  });
});
