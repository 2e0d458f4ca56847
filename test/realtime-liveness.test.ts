// libuv-like liveness on a real-time Sim (src/links/realtime.ts): a listening server and an open
// socket keep the process alive, ref()/unref() change that, and with nothing held the driver's
// timer is unref'd so the process exits by itself. Each case runs a small script in a child
// node process (against dist/, built by `npm run tsbuild`) and checks when it exits.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ChildRun, runModule } from "./helpers/child.js";

const FLEET = new URL("../dist/fleet.js", import.meta.url).href;

type Run = ChildRun;

/** Run `body` (an ES module; `emulatedPair` in scope) in a child; kill it after `limitMs`. */
function runChild(body: string, limitMs: number): Promise<Run> {
  return runModule(`import { emulatedPair } from ${JSON.stringify(FLEET)};\n${body}\n`, limitMs);
}

// A child's own start-up (node + loading the module) takes a few hundred ms on a loaded host:
// each case compares against a baseline measured the same way.
const START = "globalThis.t0 = performance.now();";
const ELAPSED = "Math.round(performance.now() - globalThis.t0)";

describe("real-time Sim liveness (libuv-like ref/unref), in child processes", () => {
  it("dist/fleet.js is built", () => {
    expect(existsSync(new URL(FLEET)), "dist/fleet.js missing: run `npm run tsbuild`").toBe(true);
  });

  it("with no server and no socket the process exits at once (the idle driver holds nothing)", async () => {
    const r = await runChild(`${START} const p = emulatedPair(); p.a.stack.ping("198.51.100.2", 1);
      process.on("exit", () => console.log("exit", ${ELAPSED}));`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.code, r.out).toBe(0);
    expect(Number(r.out.match(/exit (\d+)/)![1])).toBeLessThan(500);
  }, 15_000);

  it("a listening server keeps the process alive until it is closed", async () => {
    const r = await runChild(`${START} const p = emulatedPair(); const srv = p.b.createServer().listen(80);
      setTimeout(() => { console.log("closing", ${ELAPSED}); srv.close(); }, 800).unref();
      process.on("exit", () => console.log("exit", ${ELAPSED}));`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.code, r.out).toBe(0);
    const exitAt = Number(r.out.match(/exit (\d+)/)![1]);
    expect(r.out).toMatch(/closing \d+/);
    expect(exitAt).toBeGreaterThanOrEqual(800);
    expect(exitAt).toBeLessThan(1500);
  }, 15_000);

  it("a ref'd listening server never lets the process exit by itself", async () => {
    const r = await runChild(`const p = emulatedPair(); p.b.createServer().listen(80); console.log("listening");`, 1500);
    expect(r.out).toMatch(/listening/);
    expect(r.killed, r.out).toBe(true);
  }, 15_000);

  it("server.unref(): the process exits although the server still listens; ref() again holds it", async () => {
    const r = await runChild(`${START} const p = emulatedPair(); const srv = p.b.createServer().listen(80); srv.unref();
      process.on("exit", () => console.log("exit", ${ELAPSED}, srv.listening));`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.out).toMatch(/exit \d+ true/);
    expect(Number(r.out.match(/exit (\d+)/)![1])).toBeLessThan(500);
    const again = await runChild(`const p = emulatedPair(); const srv = p.b.createServer().listen(80); srv.unref(); srv.ref(); console.log("held");`, 1500);
    expect(again.out).toMatch(/held/);
    expect(again.killed, again.out).toBe(true);
  }, 20_000);

  it("an open socket holds the process (the server and its accepted socket unref'd); socket.unref() lets it exit, with the exchange done", async () => {
    const r = await runChild(`${START} const p = emulatedPair({ loss: 0.02, reorder: 0.02 });
      const srv = p.b.createServer((s) => { s.unref(); s.pipe(s); }).listen(7); srv.unref();
      const c = p.a.connect(7, "198.51.100.2");
      let got = "";
      c.on("data", (d) => { got += d; if (got.length === 5) { console.log("echoed", ${ELAPSED}); setTimeout(() => c.unref(), 600).unref(); } });
      c.write("hello");
      process.on("exit", () => console.log("exit", ${ELAPSED}, got, c.destroyed));`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.out).toMatch(/exit \d+ hello false/); // still open when the process left
    const echoed = Number(r.out.match(/echoed (\d+)/)![1]);
    const exitAt = Number(r.out.match(/exit (\d+)/)![1]);
    expect(exitAt - echoed).toBeGreaterThanOrEqual(600);
    expect(exitAt - echoed).toBeLessThan(1300);
  }, 15_000);

  it("a connecting socket holds the process until the connection fails (RST from a closed port)", async () => {
    const r = await runChild(`${START} const p = emulatedPair({ delayMs: 200 });
      const c = p.a.connect(9, "198.51.100.2");
      c.on("error", (e) => console.log("error", e.code, ${ELAPSED}));
      process.on("exit", () => console.log("exit", ${ELAPSED}));`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.out).toMatch(/error ECONNREFUSED \d+/);
    const errAt = Number(r.out.match(/error ECONNREFUSED (\d+)/)![1]);
    expect(errAt).toBeGreaterThanOrEqual(400); // ARP and SYN each cross the 200 ms link: virtual time ran in real time
    expect(Number(r.out.match(/exit (\d+)/)![1])).toBeLessThan(errAt + 300);
  }, 15_000);

  it("socket.end() on both sides: the process exits after the close, with no unref", async () => {
    const r = await runChild(`${START} const p = emulatedPair();
      const srv = p.b.createServer((s) => { s.resume(); s.on("end", () => { s.end(); srv.close(); }); }).listen(7);
      const c = p.a.connect(7, "198.51.100.2", () => setTimeout(() => c.end(), 300));
      c.resume();
      c.on("close", () => console.log("closed", ${ELAPSED}));
      process.on("exit", () => console.log("exit", ${ELAPSED}));`, 10_000);
    expect(r.killed, r.out).toBe(false);
    const closed = Number(r.out.match(/closed (\d+)/)![1]);
    expect(closed).toBeGreaterThanOrEqual(300);
    expect(Number(r.out.match(/exit (\d+)/)![1])).toBeLessThan(closed + 300);
  }, 15_000);
});
