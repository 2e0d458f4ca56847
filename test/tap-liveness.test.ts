// libuv-like liveness on a TAP-driven stack (createStack({ link: { type: "tap" } })): the device
// itself (the addon's uv_poll watcher, the link's timers) does not keep the process alive, like a
// node:net handle nobody uses; a listening server, an open socket or a bound datagram socket on the
// stack does, until it is closed or unref'd, and stack.close() releases everything. Each case runs
// a small script in a child node process (against dist/, built by `npm run tsbuild`) that opens a
// TAP in the root namespace (down, no address: no traffic leaves it; the device disappears with the
// child's fd) and checks when the child exits. Needs root and /dev/net/tun: skipped with the reason
// printed, unless WASM_TCPIP_REQUIRE_NET=1 (then it fails).
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ChildRun, runModule } from "./helpers/child.js";
import { tapUnavailableReason } from "./helpers/netns.js";

const NET = new URL("../dist/net.js", import.meta.url).href;
const ADDON = new URL("../native/build/Release/tap.node", import.meta.url);
const required = process.env.WASM_TCPIP_REQUIRE_NET === "1";
const reason = tapUnavailableReason() ?? (existsSync(ADDON) ? null : "the TAP addon is not built (npm run build:tap)");
if (reason && !required) console.warn(`test/tap-liveness.test.ts: SKIPPED: ${reason}`);

let seq = 0;
/** Run `body` in a child with `net` (a TAP-driven stack) in scope; kill it after `limitMs`. */
function runChild(body: string, limitMs: number, linkOpts = ""): Promise<ChildRun> {
  const name = `wtl${process.pid % 100000}x${seq++}`;
  return runModule(`import { createStack } from ${JSON.stringify(NET)};
    globalThis.t0 = performance.now();
    const net = createStack({ ip: "198.51.100.2/24", link: { type: "tap", name: ${JSON.stringify(name)}${linkOpts} } });
    process.on("exit", () => console.log("exit", Math.round(performance.now() - globalThis.t0)));
    ${body}\n`, limitMs);
}
const exitAt = (r: ChildRun) => Number(/exit (\d+)/.exec(r.out)?.[1] ?? NaN);

describe.skipIf(reason !== null && !required)("TAP stack liveness (libuv-like ref/unref), in child processes", () => {
  it("the addon and dist/net.js are built, and TAP is usable", () => {
    expect(reason, `${reason}, and WASM_TCPIP_REQUIRE_NET=1 requires it`).toBeNull();
    expect(existsSync(new URL(NET)), "dist/net.js missing: run `npm run tsbuild`").toBe(true);
  });

  it("with no socket the process exits at once (the device's watcher is unref'd)", async () => {
    const r = await runChild(`console.log("open", net.tap.name);`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/open wtl/);
    expect(exitAt(r), r.out).toBeLessThan(500);
  }, 15_000);

  it("with impairments: a frame still in the link's delay line (its timer) does not hold the process", async () => {
    const r = await runChild(`const u = net.createSocket("udp4");
      u.send("x", 9, "198.51.100.1", () => { console.log("sent"); u.close(); });`, 10_000, `, delayMs: 5000`);
    expect(r.out).toMatch(/sent/);
    expect(r.killed, r.out).toBe(false);
    expect(r.code, r.out).toBe(0);
    expect(exitAt(r), r.out).toBeLessThan(500);
  }, 15_000);

  /** The child exited by itself (exit 0 unless told), at lo <= t < hi ms after its start. */
  const exitedBetween = (r: ChildRun, lo: number, hi: number) => {
    expect(r.killed, r.out).toBe(false);
    expect(exitAt(r), r.out).toBeGreaterThanOrEqual(lo);
    expect(exitAt(r), r.out).toBeLessThan(hi);
  };

  it("a listening server keeps the process alive until server.close()", async () => {
    const r = await runChild(`const srv = net.createServer().listen(80, () => console.log("listening"));
      setTimeout(() => { console.log("closing"); srv.close(); }, 800).unref();`, 10_000);
    expect(r.out).toMatch(/listening\nclosing\nexit/);
    exitedBetween(r, 800, 1500);
  }, 15_000);

  it("a ref'd listening server never lets the process exit by itself", async () => {
    const r = await runChild(`net.createServer().listen(80, () => console.log("listening"));`, 1500);
    expect(r.out).toMatch(/listening/);
    expect(r.killed, r.out).toBe(true);
  }, 15_000);

  it("server.unref(): the process exits although the server still listens", async () => {
    const r = await runChild(`const srv = net.createServer().listen(80); srv.unref();
      process.on("exit", () => console.log("listening", srv.listening));`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.out).toMatch(/listening true/);
    expect(exitAt(r), r.out).toBeLessThan(500);
  }, 15_000);

  it("a bound UDP socket holds the process until close(); an unref'd one does not", async () => {
    const r = await runChild(`const u = net.createSocket("udp4").bind(5353, () => console.log("bound"));
      net.createSocket("udp4").bind(5354).unref();
      setTimeout(() => { console.log("closing"); u.close(); }, 600).unref();`, 10_000);
    expect(r.out).toMatch(/bound\nclosing\nexit/);
    exitedBetween(r, 600, 1300);
  }, 15_000);

  it("stack.close() releases everything (a server, a connecting socket, a bound UDP socket)", async () => {
    const r = await runChild(`net.createServer().listen(80);
      net.connect(9, "198.51.100.1").on("error", (e) => console.log("connect", e.code));
      net.createSocket("udp4").bind(5353);
      setTimeout(() => { console.log("closing"); net.close(); }, 600).unref();`, 10_000);
    expect(r.out).toMatch(/closing/);
    exitedBetween(r, 600, 1300);
  }, 15_000);
});
