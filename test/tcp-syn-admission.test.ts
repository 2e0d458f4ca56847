// Issue 15: SYN cookies (RFC 4987 §3.6) only under pressure, never as the routine path of a small
// configuration. With the MCU defaults (8 TCBs, 4 ring pairs) a 4th connection arriving while
// three are established takes the normal path (no cookie counter moves); a flood of SYNs still
// gets cookies once half-open connections reach the reserve (the last quarter of the TCBs or
// ring pairs), which stays free for an outgoing connection. On both builds.
import { describe, expect, it } from "vitest";
import { Host, Net, S, SYN } from "./helpers/tcp-harness.js";

const BUILDS = ["build/testing.wasm", "build/testing.mcu.wasm"];
// the MCU firmware's defaults (firmware/size.mjs): 8 TCBs, 4 ring pairs of 4 KiB + 4 KiB
const MCU = { MaxSockets: 8, RingPairs: 4, SndBuf: 4096, RcvBuf: 4096 };

async function clientServer(build: string) {
  const net = new Net();
  const a = await net.host({ ip: "198.51.100.1", build, cfg: MCU });
  const b = await net.host({ ip: "198.51.100.2", build, cfg: MCU });
  const l = b.open();
  b.bind(l, 80);
  b.listen(l, 8);
  return { net, a, b, l };
}

const rings = (h: Host) => (h.x.ringFreeCount as () => number)();

/** One client connection at a time: connect, wait until established and accepted. */
function connectOne(net: Net, a: Host, b: Host, l: number): { c: number; s: number } {
  const c = a.open();
  expect(a.connect(c, "198.51.100.2", 80)).toBe(0);
  let s = -1;
  net.runUntil(() => { if (s < 0) { const r = b.accept(l); if (r > 0) s = r; } return s > 0 && a.state(c) === S.ESTABLISHED; }, 5_000);
  expect(s).toBeGreaterThan(0);
  return { c, s };
}

describe.each(BUILDS)("SYN admission (%s)", (build) => {
  it("RFC 4987 §3.6 / issue 15: on the MCU defaults (4 ring pairs) the 4th concurrent connection takes the normal path, not a SYN cookie", async () => {
    const { net, a, b, l } = await clientServer(build);
    for (let i = 0; i < 4; i++) connectOne(net, a, b, l);
    expect(rings(b)).toBe(0); // all four ring pairs hold a connection
    expect(b.stat("tcp_syn_cookies_tx")).toBe(0);
    expect(b.stat("tcp_syn_cookies_ok")).toBe(0);
    expect(b.stat("tcp_conns_opened")).toBe(4);
  });

  it("RFC 4987 §3.6: a SYN flood still gets cookies once half-open connections reach the reserve, which stays free for an outgoing connection", async () => {
    const { net, a, b } = await clientServer(build);
    const p = net.peer("198.51.100.77", 0x77);
    (b.x.ping as (d: number, i: number, s: number, l: number) => number)(p.ip, 1, 1, 0); // resolve ARP first
    net.run(5);
    for (let i = 0; i < 50; i++) p.send(b, { sport: 20000 + i, dport: 80, seq: i * 1000, flags: SYN });
    net.run(5);
    expect(b.stat("tcp_syn_cookies_tx")).toBeGreaterThan(40);
    expect(rings(b)).toBe(1); // half-open children left the last quarter alone
    // the reserved ring pair: an outgoing connection still opens
    const la = a.open(); a.bind(la, 9000); a.listen(la, 1);
    const out = b.open();
    expect(b.connect(out, "198.51.100.1", 9000)).toBe(0);
    net.run(10);
    expect(b.state(out)).toBe(S.ESTABLISHED);
  });
});
