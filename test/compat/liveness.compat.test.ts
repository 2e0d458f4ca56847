// Differential liveness (libuv's ref/unref rules): the same small script runs in a child node
// process with node:net / node:dgram over loopback and with our stacks on a real-time Sim
// (dist/fleet.js emulatedPair, built by `npm run tsbuild`); both must log the same lines and
// either both exit by themselves or both still run at the time limit.
import { describe, expect, it } from "vitest";
import { runModule } from "../helpers/child.js";

const FLEET = new URL("../../dist/fleet.js", import.meta.url).href;

const PRELUDE = {
  node: `import * as net from "node:net"; import * as dgram from "node:dgram";
    const A = net, B = net, HOST = "127.0.0.1"; const udp = () => dgram.createSocket("udp4");`,
  ours: `import { emulatedPair } from ${JSON.stringify(FLEET)}; const p = emulatedPair();
    const A = p.a, B = p.b, HOST = "198.51.100.2"; const udp = () => p.b.createSocket("udp4");`,
};

interface Run { lines: string[]; exited: boolean }

async function runChild(kind: keyof typeof PRELUDE, body: string, limitMs: number): Promise<Run> {
  const src = `${PRELUDE[kind]}\nconst log = (...a) => console.log(a.join(" "));\nprocess.on("exit", () => log("exit"));\n${body}\n`;
  const r = await runModule(src, limitMs);
  return { lines: r.out.trim().split("\n").filter(Boolean), exited: !r.killed };
}

interface Case { name: string; body: string; exits: boolean; limitMs?: number }

// A listening server (unref'd unless `ref`) and one connection to it; `then(c, s)` runs once
// both ends have their socket.
const PAIR = (then: string, ref = false) => `
  let cs, ss, up = false, fired = false;
  const both = () => { if (up && ss && !fired) { fired = true; (${then})(cs, ss); } };
  const srv = B.createServer((s) => { ss = s; both(); });
  srv.listen(0, () => { ${ref ? "" : "srv.unref();"} cs = A.connect(srv.address().port, HOST, () => { up = true; both(); }); });`;

const cases: Case[] = [
  { name: "server.unref(): exits although listening", exits: true,
    body: `const srv = B.createServer().listen(0, () => log("listening", srv.listening)); srv.unref();` },
  { name: "server.unref() then ref(): stays", exits: false,
    body: `const srv = B.createServer().listen(0, () => log("listening")); srv.unref(); srv.ref();` },
  { name: "unref() before listen() still applies", exits: true,
    body: `const srv = B.createServer(); srv.unref(); srv.listen(0, () => log("listening"));` },
  { name: "a timer-free idle connection keeps the process alive (server unref'd)", exits: false,
    body: PAIR(`() => log("connected")`) },
  { name: "socket.unref() on both ends: exits with the connection open", exits: true,
    body: PAIR(`(c, s) => { log("connected"); c.unref(); s.unref(); process.on("exit", () => log("open", !c.destroyed, !s.destroyed)); }`) },
  { name: "socket.unref() on one end only: the other end holds", exits: false,
    body: PAIR(`(c, s) => { log("connected"); c.unref(); }`) },
  { name: "socket.unref() then ref(): holds again", exits: false,
    body: PAIR(`(c, s) => { s.unref(); c.unref(); c.ref(); log("connected"); }`) },
  { name: "socket.unref() while connecting: the connect request holds until 'connect'", exits: true,
    body: `const srv = B.createServer((s) => s.unref()); srv.listen(0, () => { srv.unref();
      const c = A.connect(srv.address().port, HOST, () => log("connect")); c.unref(); });` },
  { name: "an unref'd socket's idle timeout does not hold the process (test-net-socket-timeout-unref)", exits: true,
    body: PAIR(`(c, s) => { s.unref(); c.setTimeout(300, () => log("timeout")); c.unref(); log("connected"); }`) },
  { name: "server.close() with an open connection: 'close' waits for it; the process exits after both ends close", exits: true,
    body: PAIR(`(c, s) => { srv.close(() => log("server close")); log("closing");
      s.on("end", () => log("server end")); c.on("close", () => log("client close"));
      setTimeout(() => { log("end"); c.end(); }, 300); c.resume(); }`, true) },
  { name: "server.close() with an open connection and no end: stays", exits: false,
    body: PAIR(`(c, s) => { srv.close(() => log("server close")); log("closing"); }`, true) },
  { name: "a write in flight holds the process although both ends are unref'd, until it is flushed (libuv write requests are ref'd)", exits: true, limitMs: 8000,
    body: PAIR(`(c, s) => { s.unref(); c.unref(); log("connected");
      c.write(Buffer.alloc(24 << 20), () => log("written"));
      setTimeout(() => { log("reading"); s.resume(); }, 300).unref(); }`) },
  { name: "a bound UDP socket keeps the process alive (node:dgram)", exits: false,
    body: `const u = udp(); u.bind(0, () => log("bound"));` },
  { name: "a bound UDP socket unref()'d: exits; close() after a while also exits", exits: true,
    body: `const u = udp(); u.bind(0, () => log("bound")); u.unref();
      const v = udp(); v.bind(0, () => setTimeout(() => v.close(() => log("closed")), 200));` },
];

describe("compat: liveness (ref/unref) — node:net/dgram and our stacks exit or stay alike (child processes)", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const limit = c.limitMs ?? 2500;
      const [oracle, ours] = await Promise.all([runChild("node", c.body, limit), runChild("ours", c.body, limit)]);
      expect(oracle.exited, oracle.lines.join("\n")).toBe(c.exits);
      expect(ours.lines).toEqual(oracle.lines);
      expect(ours.exited).toBe(oracle.exited);
    }, 20_000);
  }
});
