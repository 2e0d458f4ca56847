// libuv-like liveness on a real-time Sim, continued (test/realtime-liveness.test.ts has sockets
// and servers): a bound node:dgram-shaped socket holds the process unless unref()'d (node:dgram),
// and so do an outstanding lookup / resolve4 (node's getaddrinfo and c-ares requests), a socket
// whose host name is still being resolved, and an outstanding sntp() query. Each case runs in a
// child node process (against dist/, built by `npm run tsbuild`) and checks when it exits.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ChildRun, runModule } from "./helpers/child.js";

const FLEET = new URL("../dist/fleet.js", import.meta.url).href;

type Run = ChildRun;

function runChild(body: string, limitMs: number): Promise<Run> {
  return runModule(`import { emulatedPair } from ${JSON.stringify(FLEET)};\nglobalThis.t0 = performance.now();\n${body}\n`, limitMs);
}

const ELAPSED = "Math.round(performance.now() - globalThis.t0)";
const EXIT = `process.on("exit", () => console.log("exit", ${ELAPSED}));`;
const at = (r: Run, tag: string) => { const m = r.out.match(new RegExp(`${tag} (\\d+)`)); expect(m, r.out).not.toBeNull(); return Number(m![1]); };

// A DNS server on stack b (a node:dgram-shaped socket on port 53, unref'd so that only the query
// holds the process): it answers every A query with 198.51.100.2 after `DNS_DELAY` ms.
const DNS_DELAY = 600;
const DNS_SERVER = `
  const dns = p.b.createSocket("udp4");
  dns.bind(53); dns.unref();
  dns.on("message", (q, rinfo) => setTimeout(() => {
    let o = 12; while (q[o] !== 0) o += q[o] + 1; o += 5;
    const head = Buffer.from(q.subarray(0, o)); head.writeUInt16BE(0x8180, 2); head.writeUInt16BE(1, 6);
    const ans = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 2]);
    dns.send(Buffer.concat([head, ans]), rinfo.port, rinfo.address);
  }, ${DNS_DELAY}).unref());
  p.a.setDns(["198.51.100.2"]);`;

describe("real-time Sim liveness: UDP sockets, lookups, SNTP (child processes)", () => {
  it("dist/fleet.js is built", () => {
    expect(existsSync(new URL(FLEET)), "dist/fleet.js missing: run `npm run tsbuild`").toBe(true);
  });

  it("a bound UDP socket keeps the process alive until close() (node:dgram)", async () => {
    const r = await runChild(`const p = emulatedPair(); const u = p.b.createSocket("udp4"); u.bind(9999);
      setTimeout(() => { console.log("closing", ${ELAPSED}); u.close(); }, 700).unref(); ${EXIT}`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(at(r, "exit")).toBeGreaterThanOrEqual(700);
    expect(at(r, "exit") - at(r, "closing")).toBeLessThan(500);
  }, 15_000);

  it("a ref'd bound UDP socket never lets the process exit by itself; unref() does, ref() again holds", async () => {
    const held = await runChild(`const p = emulatedPair(); p.b.createSocket("udp4").bind(9999, () => console.log("bound"));`, 1500);
    expect(held.out).toMatch(/bound/);
    expect(held.killed, held.out).toBe(true);
    const free = await runChild(`const p = emulatedPair(); const u = p.b.createSocket("udp4"); u.bind(9999); u.unref(); ${EXIT}`, 10_000);
    expect(free.killed, free.out).toBe(false);
    expect(at(free, "exit")).toBeLessThan(500);
    const again = await runChild(`const p = emulatedPair(); const u = p.b.createSocket("udp4"); u.unref(); u.bind(9999); u.ref(); console.log("held");`, 1500);
    expect(again.out).toMatch(/held/);
    expect(again.killed, again.out).toBe(true);
  }, 20_000);

  it("an unref'd UDP socket still delivers while something else holds the process", async () => {
    const r = await runChild(`const p = emulatedPair(); const u = p.b.createSocket("udp4"); u.bind(9999); u.unref();
      u.on("message", (m) => console.log("got", String(m), ${ELAPSED}));
      const c = p.a.createSocket("udp4"); c.bind(0, () => { c.send("ping", 9999, "198.51.100.2"); setTimeout(() => c.close(), 400); }); ${EXIT}`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.out).toMatch(/got ping/);
    expect(at(r, "exit")).toBeGreaterThanOrEqual(400);
  }, 15_000);

  it("an outstanding lookup() and resolve4() hold the process until their answer", async () => {
    const r = await runChild(`const p = emulatedPair(); ${DNS_SERVER}
      p.a.lookup("srv.test", (err, addr) => console.log("lookup", ${ELAPSED}, err?.code ?? addr));
      p.a.resolve4("two.test").then((a) => console.log("resolve4", ${ELAPSED}, a.join())); ${EXIT}`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.out).toMatch(/lookup \d+ 198\.51\.100\.2/);
    expect(r.out).toMatch(/resolve4 \d+ 198\.51\.100\.2/);
    expect(at(r, "lookup")).toBeGreaterThanOrEqual(DNS_DELAY);
    expect(at(r, "exit") - at(r, "resolve4")).toBeLessThan(500);
  }, 15_000);

  it("a socket whose host name is being resolved holds the process, even unref'd (node's lookup request), then connects", async () => {
    const r = await runChild(`const p = emulatedPair(); ${DNS_SERVER}
      const srv = p.b.createServer((s) => s.unref()).listen(7); srv.unref();
      const c = p.a.connect({ port: 7, host: "srv.test" });
      c.unref();
      c.on("lookup", (e, a) => console.log("lookup", ${ELAPSED}, a));
      c.on("connect", () => { console.log("connect", ${ELAPSED}); c.destroy(); }); ${EXIT}`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.out).toMatch(/lookup \d+ 198\.51\.100\.2/);
    expect(at(r, "connect")).toBeGreaterThanOrEqual(DNS_DELAY);
    expect(at(r, "exit") - at(r, "connect")).toBeLessThan(500);
  }, 15_000);

  it("an outstanding sntp() query holds the process until it times out (no server answers)", async () => {
    const r = await runChild(`const p = emulatedPair();
      p.a.sntp("198.51.100.2", { timeoutMs: 700 }).then(() => console.log("synced"), (e) => console.log("sntp", e.code, ${ELAPSED})); ${EXIT}`, 10_000);
    expect(r.killed, r.out).toBe(false);
    expect(r.out).toMatch(/sntp ETIMEDOUT \d+/);
    expect(at(r, "sntp ETIMEDOUT")).toBeGreaterThanOrEqual(700);
    expect(at(r, "exit") - at(r, "sntp ETIMEDOUT")).toBeLessThan(500);
  }, 15_000);
});
