// src/net.ts: the node:net-style API over the emulated link (virtual clock, seeded
// PRNGs: every run is the same). Both ends are our stack; test/interop/ runs the same
// behaviours against the Linux kernel over TAP.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { Sim, Link, LinkOptions } from "../src/links/emulated.js";
import { createStack, NetStack, Socket, NetError, formatSockets } from "../src/net.js";
import { decodeFrame } from "../src/trace.js";
import { collect } from "./helpers/collect.js";

const A_IP = "198.51.100.1";
const B_IP = "198.51.100.2";

interface Env { sim: Sim; link: Link; a: NetStack; b: NetStack }

function env(link: LinkOptions = { delayMs: 1 }, cfg: { sndBuf?: number; rcvBuf?: number; config?: Record<string, number> } = {}, seed = 7): Env {
  const sim = new Sim({ seed });
  const l = sim.link(link);
  const mk = (ip: string, mac: string, s: number) => createStack({
    ip: `${ip}/24`, mac, seed: s, link: { type: "emulated", sim, link: l }, ...cfg,
  });
  return { sim, link: l, a: mk(A_IP, "02:00:00:00:00:01", seed * 3 + 1), b: mk(B_IP, "02:00:00:00:00:02", seed * 3 + 2) };
}

/** Deterministic payload (seeded xorshift). */
function payload(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 255; }
  return b;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");


describe("net: connections over the emulated link", () => {
  it("echo round trip: 1 MiB through an echo server comes back byte-identical", async () => {
    const { a, b } = env();
    const server = b.createServer((s) => s.pipe(s)).listen(7);
    const data = payload(1 << 20);
    let connected = false;
    const c = a.connect({ host: B_IP, port: 7 }, () => { connected = true; c.end(data); });
    const got = collect(c);
    expect(await a.until(() => got.closed, 60_000)).toBe(true);
    expect(connected).toBe(true);
    expect(got.error).toBeNull();
    expect(got.data.length).toBe(data.length);
    expect(sha(got.data)).toBe(sha(data));
    expect(c.bytesWritten).toBe(data.length);
    expect(c.bytesRead).toBe(data.length);
    expect(c.remoteAddress).toBe(B_IP);
    expect(c.remotePort).toBe(7);
    // listen(port) without a host on a dual-stack stack (IPv6 is on by default) binds "::", as node:net does
    expect(server.address()).toEqual({ address: "::", family: "IPv6", port: 7 });
  });

  it("address(): a connected socket knows its ephemeral port (RFC 6056 range) and the server sees it as remotePort", async () => {
    const { a, b } = env();
    let peer: Socket | null = null;
    b.createServer((s) => { peer = s; }).listen(8080);
    const c = a.connect({ host: B_IP, port: 8080 });
    expect(await a.until(() => peer !== null && !c.connecting, 5_000)).toBe(true);
    const addr = c.address() as { address: string; port: number; family: string };
    expect(addr.address).toBe(A_IP);
    expect(addr.family).toBe("IPv4");
    expect(addr.port).toBeGreaterThanOrEqual(49152);
    // listen(8080) without a host is dual-stack ("::"): node:net names an IPv4 peer IPv4-mapped there
    expect(peer!.remoteAddress).toBe(`::ffff:${A_IP}`);
    expect(peer!.remoteFamily).toBe("IPv6");
    expect(peer!.remotePort).toBe(addr.port);
    expect((peer!.address() as { port: number }).port).toBe(8080);
  });

  it("RFC 9293 §3.6: half-close — after the client's FIN the server in CLOSE-WAIT keeps sending (allowHalfOpen)", async () => {
    const { a, b } = env();
    const reply = payload(200_000, 3);
    let serverState = "";
    let serverGot = 0;
    b.createServer({ allowHalfOpen: true }, (s) => {
      s.on("data", (d: Buffer) => { serverGot += d.length; });
      s.on("end", () => {
        serverState = s.tcpState;      // the peer's FIN is in: CLOSE-WAIT
        s.write(reply.subarray(0, 100_000));
        s.end(reply.subarray(100_000)); // still allowed to send, then our FIN
      });
    }).listen(9);
    const c = a.connect({ host: B_IP, port: 9, allowHalfOpen: true }, () => c.end(Buffer.from("request")));
    const got = collect(c);
    expect(await a.until(() => got.closed, 60_000)).toBe(true);
    expect(serverGot).toBe(7);
    expect(serverState).toBe("CLOSE-WAIT");
    expect(sha(got.data)).toBe(sha(reply));
    expect(got.ended).toBe(true);
    // the client sent its FIN first: FIN-WAIT-1 -> FIN-WAIT-2 (while still receiving) -> TIME-WAIT
    const h = c.handle;
    const path = a.history.filter((x) => x.handle === h).map((x) => x.to);
    expect(path).toEqual(["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]);
  });

  it("allowHalfOpen false (node:net default): the peer's FIN ends our side automatically", async () => {
    const { a, b } = env();
    let serverEnded = false, serverFinished = false;
    b.createServer((s) => {
      s.resume();
      s.on("end", () => { serverEnded = true; });
      s.on("finish", () => { serverFinished = true; });
    }).listen(9);
    const c = a.connect({ host: B_IP, port: 9, allowHalfOpen: true }, () => c.end());
    const got = collect(c);
    expect(await a.until(() => got.closed, 10_000)).toBe(true);
    expect(serverEnded).toBe(true);
    expect(serverFinished).toBe(true);
    expect(got.ended).toBe(true);
  });

  it("RFC 9293 §3.10.7.4: a socket nobody reads still takes the peer's FIN: 'end', auto-end, CLOSED — no connection left in CLOSE-WAIT (issue 14 item 3)", async () => {
    const { a, b } = env();
    let srv: Socket | null = null;
    const ev: string[] = [];
    b.createServer((s) => { srv = s; s.on("end", () => ev.push("end")); s.on("close", (e: boolean) => ev.push(`close(${e})`)); }).listen(5003);
    const c = a.connect({ host: B_IP, port: 5003 }, () => c.end());
    c.resume();
    expect(await a.until(() => c.closed && srv !== null && srv.closed, 5_000)).toBe(true);
    expect(ev).toEqual(["end", "close(false)"]);
    await a.until(() => false, 100);
    // the server's side closed passively (LAST-ACK -> CLOSED): nothing stays in CLOSE-WAIT or holds a connection block
    expect(b.sockets().filter((x) => x.state !== "LISTEN")).toEqual([]);
    expect(b.history.some((h) => h.from === "LAST-ACK" && h.to === "CLOSED")).toBe(true);
  });

  it("backpressure: write() returns false when the send ring is full, 'drain' follows, nothing is lost", async () => {
    const sndBuf = 16384, rcvBuf = 16384;
    const { a, b } = env({ delayMs: 1 }, { sndBuf, rcvBuf });
    let srv: Socket | null = null;
    b.createServer((s) => { srv = s; s.pause(); }).listen(5001);
    const c = a.connect({ host: B_IP, port: 5001 });
    expect(await a.until(() => srv !== null && !c.connecting, 5_000)).toBe(true);
    const data = payload(2 << 20, 5);
    const first = c.write(data);
    expect(first).toBe(false);
    let drained = false;
    c.on("drain", () => { drained = true; });
    // The receiver reads nothing: both rings fill, the window closes, the sender stops.
    await a.until(() => false, 2_000);
    const [ci] = a.sockets().filter((x) => x.handle === c.handle);
    const [si] = b.sockets().filter((x) => x.handle === srv!.handle);
    expect(ci.sendQ).toBe(sndBuf);
    expect(si.recvQ).toBe(rcvBuf);
    // node:net counts every byte handed to write(), queued or not; bufferSize is what the core has not taken
    expect(c.bytesWritten).toBe(data.length);
    expect(c.bufferSize).toBe(c.writableLength);
    expect(drained).toBe(false);
    expect(c.writableLength).toBeGreaterThan(0);
    // Start reading: everything flows, 'drain' fires.
    const got = collect(srv!);
    srv!.resume();
    expect(await a.until(() => drained, 120_000)).toBe(true);
    c.end();
    expect(await a.until(() => got.ended, 120_000)).toBe(true);
    expect(sha(got.data)).toBe(sha(data));
    expect(b.stat("tcp_rcv_buf_drop")).toBe(0);
  });

  it("ECONNREFUSED: connecting to a port nobody listens on (RFC 9293 §3.10.7.3: RST in SYN-SENT)", async () => {
    const { a } = env();
    const c = a.connect({ host: B_IP, port: 4444 });
    const got = collect(c);
    let connected = false;
    c.on("connect", () => { connected = true; });
    expect(await a.until(() => got.closed, 10_000)).toBe(true);
    expect(connected).toBe(false);
    expect(got.error?.code).toBe("ECONNREFUSED");
    expect(got.error?.errno).toBe(-111);
    expect(got.error?.syscall).toBe("connect");
    expect(got.error?.message).toBe(`connect ECONNREFUSED ${B_IP}:4444`);
  });

  it("ECONNRESET: resetAndDestroy() sends a RST; the peer's socket errors with ECONNRESET (RFC 9293 §3.10.7.4)", async () => {
    const { a, b, link } = env();
    let rsts = 0;
    link.tap((r) => { if (!r.dropped && r.from === 1 && (decodeFrame(r.frame).flags ?? "").includes("RST")) rsts++; });
    let srv: Socket | null = null;
    b.createServer((s) => { srv = s; }).listen(80);
    const c = a.connect({ host: B_IP, port: 80 });
    const got = collect(c);
    expect(await a.until(() => srv !== null && !c.connecting, 5_000)).toBe(true);
    let srvClosed = false;
    srv!.on("close", (hadError: boolean) => { srvClosed = !hadError; });
    srv!.resetAndDestroy();
    expect(await a.until(() => got.closed, 5_000)).toBe(true);
    expect(srvClosed).toBe(true);
    expect(rsts).toBe(1);
    expect(got.error?.code).toBe("ECONNRESET");
    expect(b.stat("tcp_rst_tx")).toBeGreaterThanOrEqual(1);
    expect(a.stat("tcp_rst_rx")).toBe(1);
  });

  it("EADDRINUSE: a second listen on the same port fails like node:net ('error' event)", async () => {
    const { b } = env();
    const s1 = b.createServer().listen(7);
    let listening = false;
    s1.on("listening", () => { listening = true; });
    const s2 = b.createServer();
    let err: NetError | null = null;
    s2.on("error", (e: NetError) => { err = e; });
    s2.listen(7);
    await b.until(() => err !== null && listening, 100);
    expect(listening).toBe(true);
    expect(err!.code).toBe("EADDRINUSE");
    expect(err!.syscall).toBe("listen");
    expect(s2.listening).toBe(false);
    // after close the port is free again
    let closed = false;
    s1.close(() => { closed = true; });
    await b.until(() => closed, 100);
    const s3 = b.createServer().listen(7);
    await b.until(() => s3.listening, 100);
    expect(s3.address()?.port).toBe(7);
  });

  it("ETIMEDOUT (RFC 9293 §3.8.3): the peer vanishes (link drops everything); retransmissions give up", async () => {
    const { a, b, link } = env({ delayMs: 1 }, { config: { DataRetries: 4, RtoMaxMs: 2000 } });
    b.createServer((s) => s.resume()).listen(7);
    const c = a.connect({ host: B_IP, port: 7 });
    const got = collect(c);
    expect(await a.until(() => !c.connecting, 5_000)).toBe(true);
    link.set({ loss: 1 });
    const t0 = a.now();
    c.write(Buffer.alloc(1000, 1));
    expect(await a.until(() => got.closed, 120_000)).toBe(true);
    expect(got.error?.code).toBe("ETIMEDOUT");
    expect(got.error?.errno).toBe(-110);
    expect(a.stat("tcp_rto_timeouts")).toBeGreaterThanOrEqual(4);
    expect(a.now() - t0).toBeGreaterThan(1000);
  });

  it("keepalive (RFC 9293 §3.8.4): setKeepAlive probes an idle connection and gives up on a silent peer", async () => {
    const { a, b, link } = env({ delayMs: 1 }, { config: { KeepIdleMs: 1000, KeepIntvlMs: 500, KeepCount: 3 } });
    b.createServer((s) => s.resume()).listen(7);
    const c = a.connect({ host: B_IP, port: 7 });
    c.setKeepAlive(true);
    const got = collect(c);
    expect(await a.until(() => !c.connecting, 5_000)).toBe(true);
    await a.until(() => false, 2_500); // idle: probes go out and are answered
    const answered = a.stat("tcp_keepalives_tx");
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(got.closed).toBe(false);
    link.set({ loss: 1 });
    expect(await a.until(() => got.closed, 20_000)).toBe(true);
    expect(got.error?.code).toBe("ETIMEDOUT");
    expect(a.stat("tcp_keepalives_tx")).toBeGreaterThanOrEqual(answered + 3);
  });

  it("setNoDelay: with Nagle on (RFC 896) small writes wait for the ACK; with noDelay each goes out at once", async () => {
    const count = async (noDelay: boolean) => {
      const { a, b, link } = env({ delayMs: 5 });
      let segs = 0;
      b.createServer((s) => s.resume()).listen(7);
      const c = a.connect({ host: B_IP, port: 7 });
      expect(await a.until(() => !c.connecting, 5_000)).toBe(true);
      c.setNoDelay(noDelay);
      link.tap((r) => { const d = decodeFrame(r.frame); if (r.from === 0 && d.proto === "TCP" && d.len > 0) segs++; }); // data from a
      for (let i = 0; i < 10; i++) c.write(Buffer.from("x"));
      await a.until(() => false, 100);
      return segs;
    };
    const nagle = await count(false);
    const nodelay = await count(true);
    expect(nodelay).toBe(10);
    expect(nagle).toBeLessThan(nodelay);
    expect(nagle).toBe(2); // the first byte, then the other nine coalesced once it is acknowledged
  });

  it("destroy() closes gracefully (FIN, not RST) when nothing is unread; the peer sees 'end'", async () => {
    const { a, b } = env();
    let peer: ReturnType<typeof collect> | null = null;
    b.createServer((s) => { peer = collect(s); }).listen(7);
    const c = a.connect({ host: B_IP, port: 7 }, () => { c.write("bye"); c.destroy(); });
    expect(await a.until(() => peer !== null && peer.closed, 5_000)).toBe(true);
    expect(peer!.error).toBeNull();
    expect(peer!.ended).toBe(true);
    expect(peer!.data.toString()).toBe("bye");
    expect(b.stat("tcp_rst_rx")).toBe(0);
  });

  it("sockets(): lists every connection like `ss -tan` (RFC state names, addresses, queues, cwnd, srtt)", async () => {
    const { a, b } = env({ delayMs: 2 });
    const srvSocks: Socket[] = [];
    // pauseOnConnect: nothing is read (a paused socket still fills its stream buffer, like node:net)
    b.createServer({ pauseOnConnect: true }, (s) => { srvSocks.push(s); }).listen(7);
    const c1 = a.connect({ host: B_IP, port: 7 });
    const c2 = a.connect({ host: B_IP, port: 7 });
    expect(await a.until(() => srvSocks.length === 2 && !c1.connecting && !c2.connecting, 5_000)).toBe(true);
    c1.write(Buffer.alloc(3000, 1));
    await a.until(() => false, 500); // past the peer's delayed ACK (200 ms)
    const list = b.sockets();
    expect(list.map((x) => x.state).sort()).toEqual(["ESTABLISHED", "ESTABLISHED", "LISTEN"]);
    const listener = list.find((x) => x.state === "LISTEN")!;
    expect(listener.localPort).toBe(7);
    const conn = list.find((x) => x.remotePort === c1.localPort)!;
    expect(conn.remoteAddress).toBe(A_IP);
    expect(conn.recvQ).toBe(3000);
    const mine = a.sockets().find((x) => x.handle === c1.handle)!;
    expect(mine.state).toBe("ESTABLISHED");
    expect(mine.sendQ).toBe(0); // all acknowledged
    expect(mine.cwnd).toBeGreaterThan(0);
    expect(mine.srtt).toBeGreaterThanOrEqual(4); // two 2 ms hops
    expect(mine.remotePort).toBe(7);
    const text = formatSockets(list);
    expect(text.split("\n")[0]).toMatch(/^State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port/);
    expect(text).toContain(`${B_IP}:7`);
    // a closing socket stays listed until the core lets it go
    c2.end();
    await a.until(() => false, 1);
    expect(a.sockets().find((x) => x.handle === c2.handle)?.state).toMatch(/FIN-WAIT/);
  });

  it("server.close(): stops listening, 'close' waits for accepted connections to end (node:net semantics)", async () => {
    const { a, b } = env();
    let serverClosed = false;
    const server = b.createServer((s) => s.pipe(s)).listen(7);
    const c = a.connect({ host: B_IP, port: 7 });
    const got = collect(c);
    expect(await a.until(() => !c.connecting && server.openConnections.size === 1, 5_000)).toBe(true);
    server.close(() => { serverClosed = true; });
    await a.until(() => false, 100);
    expect(serverClosed).toBe(false); // one connection still open
    const refused = collect(a.connect({ host: B_IP, port: 7 }));
    c.end("last words");
    expect(await a.until(() => serverClosed && got.closed && refused.closed, 5_000)).toBe(true);
    expect(got.data.toString()).toBe("last words");
    expect(refused.error?.code).toBe("ECONNREFUSED");
  });

  it("5% loss, reordering and duplication: 512 KiB echo still byte-identical", async () => {
    const { a, b, link } = env({ delayMs: 2, loss: 0.05, reorder: 0.05, duplicate: 0.05 });
    b.createServer((s) => s.pipe(s)).listen(7);
    const data = payload(512 * 1024, 9);
    const c = a.connect({ host: B_IP, port: 7 }, () => c.end(data));
    const got = collect(c);
    expect(await a.until(() => got.closed, 600_000)).toBe(true);
    expect(got.error).toBeNull();
    expect(sha(got.data)).toBe(sha(data));
    expect(link.dropped).toBeGreaterThan(0);
    expect(link.duplicated).toBeGreaterThan(0);
  });

  it("determinism: the same seed gives the same state changes at the same virtual times", async () => {
    const run = async () => {
      const { a, b } = env({ delayMs: 1, loss: 0.02 }, {}, 11);
      b.createServer((s) => s.pipe(s)).listen(7);
      const c = a.connect({ host: B_IP, port: 7 }, () => c.end(payload(100_000)));
      const got = collect(c);
      await a.until(() => got.closed, 60_000);
      return JSON.stringify([a.history, b.history, a.now()]);
    };
    expect(await run()).toBe(await run());
  });
});

describe("net: idle timeout, keepalive idle time, TIME-WAIT listing", () => {
  it("setTimeout: 'timeout' once per idle period on the virtual clock, the socket stays open; reads and writes restart the period; 0 disables", async () => {
    const { a, b } = env();
    let peer: Socket | null = null;
    b.createServer((s) => { peer = s; s.resume(); }).listen(7);
    const c = a.connect({ host: B_IP, port: 7 });
    c.resume();
    expect(c.timeout).toBeUndefined();
    expect(await a.until(() => peer !== null && !c.connecting, 5_000)).toBe(true);
    const fired: number[] = [];
    const viaCb: number[] = [];
    c.on("timeout", () => fired.push(a.now()));
    const t0 = a.now();
    c.setTimeout(1000, () => viaCb.push(a.now()));
    expect(c.timeout).toBe(1000);
    await a.until(() => false, 4_000); // idle: one timeout, not one per second
    expect(fired).toEqual([t0 + 1000]);
    expect(viaCb).toEqual([t0 + 1000]); // cb was a 'timeout' listener
    expect(c.destroyed).toBe(false);
    expect(c.tcpState).toBe("ESTABLISHED");
    // writes are activity: the next timeout comes 1000 ms after the last write
    let tw = 0;
    for (let i = 0; i < 3; i++) { c.write("x"); tw = a.now(); await a.until(() => false, 600); }
    expect(fired.length).toBe(1);
    await a.until(() => fired.length === 2, 2_000);
    expect(fired[1]).toBe(tw + 1000);
    // reads are activity too: the peer sends every 600 ms, then stops
    let tr = 0;
    for (let i = 0; i < 3; i++) {
      const before = c.bytesRead;
      peer!.write("y");
      await a.until(() => c.bytesRead > before, 100);
      tr = a.now();
      await a.until(() => false, 600 - (a.now() - tr));
    }
    expect(fired.length).toBe(2);
    await a.until(() => fired.length === 3, 2_000);
    expect(fired[2]).toBe(tr + 1000);
    expect(viaCb.length).toBe(1); // cb was a one-time listener (node:net's once)
    // 0 disables
    c.setTimeout(0);
    expect(c.timeout).toBe(0);
    c.write("z");
    await a.until(() => false, 5_000);
    expect(fired.length).toBe(3);
    expect(c.destroyed).toBe(false);
    expect(() => c.setTimeout(-1)).toThrow(expect.objectContaining({ code: "ERR_OUT_OF_RANGE" }));
  });

  it("setTimeout before connecting (connect option `timeout`) counts from connect; a typical use ends the idle socket", async () => {
    const { a, b } = env();
    b.createServer((s) => s.resume()).listen(7);
    let connectedAt = -1;
    const c = a.connect({ host: B_IP, port: 7, timeout: 500 }, () => { connectedAt = a.now(); });
    c.on("timeout", () => c.end());
    const got = collect(c);
    expect(c.timeout).toBe(500);
    expect(await a.until(() => got.closed, 5_000)).toBe(true);
    expect(connectedAt).toBeGreaterThan(0);
    expect(got.error).toBeNull();
    const fin = a.history.find((h) => h.handle === c.handle && h.to === "FIN-WAIT-1")!;
    expect(fin.time).toBe(connectedAt + 500);
  });

  it("RFC 1122 §4.2.3.6: setKeepAlive(true, initialDelay) — the first probe follows initialDelay of idleness, not Cfg KeepIdleMs", async () => {
    const firstProbe = async (initialDelay: number | undefined, when: "before" | "after") => {
      const { a, b } = env({ delayMs: 1 }, { config: { KeepIdleMs: 60_000, KeepIntvlMs: 500, KeepCount: 3 } });
      b.createServer((s) => s.resume()).listen(7);
      let idleFrom = -1;
      const c = a.connect({ host: B_IP, port: 7 }, () => { idleFrom = a.now(); }); // our last segment: the handshake's ACK
      if (when === "before") c.setKeepAlive(true, initialDelay);
      expect(await a.until(() => !c.connecting, 5_000)).toBe(true);
      await a.until(() => false, 10); // connection idle
      if (when === "after") c.setKeepAlive(true, initialDelay);
      const probed = await a.until(() => a.stat("tcp_keepalives_tx") > 0, 20_000);
      return probed ? a.now() - idleFrom : -1;
    };
    expect(await firstProbe(3000, "before")).toBe(3000);
    expect(await firstProbe(2000, "after")).toBe(2000); // set 10 ms into the idle period: idle still counts from the last segment (as Linux's TCP_KEEPIDLE)
    expect(await firstProbe(undefined, "before")).toBe(-1); // no initialDelay: Cfg KeepIdleMs (60 s) applies
  });

  it("RFC 1122 §4.2.3.6: server keepAliveInitialDelay reaches accepted sockets; the core's KEEPIDLE option rejects bad values", async () => {
    const { a, b } = env({ delayMs: 1 }, { config: { KeepIdleMs: 60_000, KeepIntvlMs: 500, KeepCount: 3 } });
    b.createServer({ keepAlive: true, keepAliveInitialDelay: 2500 }, (s) => s.resume()).listen(7); // whole seconds: 2 s
    const c = a.connect({ host: B_IP, port: 7 });
    expect(await a.until(() => !c.connecting, 5_000)).toBe(true);
    await a.until(() => false, 10);
    const idleFrom = a.now();
    expect(await a.until(() => b.stat("tcp_keepalives_tx") > 0, 10_000)).toBe(true);
    expect(a.now() - idleFrom).toBeLessThanOrEqual(2000);
    expect(a.now() - idleFrom).toBeGreaterThan(1990);
    expect(a.stat("tcp_keepalives_tx")).toBe(0);
    const OPT_KEEPIDLE = 3;
    expect(a.ex.tcpSetOption(c.handle, OPT_KEEPIDLE, -1)).toBe(-1); // -EINVAL
    expect(a.ex.tcpSetOption(c.handle, OPT_KEEPIDLE, 0x10000)).toBe(-1);
    expect(a.ex.tcpSetOption(c.handle, OPT_KEEPIDLE, 0)).toBe(0);
  });

  it("RFC 9293 §3.10.7.4: sockets() lists an actively closed connection as TIME-WAIT (compact table) until 2*MSL passes", async () => {
    const msl = 1000;
    const { a, b } = env({ delayMs: 1 }, { config: { MslMs: msl } });
    b.createServer((s) => s.resume()).listen(7);
    const c = a.connect({ host: B_IP, port: 7 });
    const got = collect(c);
    expect(await a.until(() => !c.connecting, 5_000)).toBe(true);
    const lport = c.localPort!;
    c.end(); // we close first: TIME-WAIT is on our side; the peer ends back (allowHalfOpen false)
    expect(await a.until(() => got.closed, 5_000)).toBe(true);
    const twAt = a.history.find((h) => h.handle === c.handle && h.to === "TIME-WAIT")!.time;
    await a.until(() => false, 1);
    const rows = a.sockets().filter((s) => s.state === "TIME-WAIT");
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ handle: 0, family: "IPv4", localAddress: A_IP, localPort: lport, remoteAddress: B_IP, remotePort: 7 });
    // ms left as of the core's latest input/poll, which may lag the clock a little
    expect(rows[0].timeWaitMs).toBeLessThanOrEqual(2 * msl);
    expect(rows[0].timeWaitMs).toBeGreaterThanOrEqual(2 * msl - (a.now() - twAt));
    expect(a.ex.tcpState(c.handle)).toBeLessThan(0); // the handle is gone: the row comes from the compact table
    expect(formatSockets(a.sockets())).toMatch(new RegExp(`TIME-WAIT .*${A_IP}:${lport}\\s+${B_IP}:7\\s+timewait \\d+ms`));
    expect(b.sockets().some((s) => s.state === "TIME-WAIT")).toBe(false); // the passive closer does not wait
    await a.until(() => false, twAt + 2 * msl - 1 - a.now());
    expect(a.sockets().find((s) => s.state === "TIME-WAIT")?.timeWaitMs).toBeGreaterThanOrEqual(1);
    await a.until(() => false, 1);
    expect(a.sockets().some((s) => s.state === "TIME-WAIT")).toBe(false);
  });

  it("tcpTimeWaitList is bounds-checked like tcpInfo: -EINVAL for a negative count or a range past memory, never a trap", async () => {
    const { a, b } = env({ delayMs: 1 }, { config: { MslMs: 1000 } });
    b.createServer((s) => s.resume()).listen(7);
    const c = a.connect({ host: B_IP, port: 7 });
    const got = collect(c);
    expect(await a.until(() => !c.connecting, 5_000)).toBe(true);
    c.end();
    expect(await a.until(() => got.closed, 5_000)).toBe(true);
    await a.until(() => false, 1);
    const ex = a.ex;
    const end = a.stack.memory.buffer.byteLength;
    expect(ex.tcpTimeWaitList(a.io, -1)).toBe(-1);
    expect(ex.tcpTimeWaitList(end - 47, 1)).toBe(-1); // a 48-byte row one byte short
    expect(ex.tcpTimeWaitList(a.io, 0x7fffffff)).toBe(-1);
    expect(ex.tcpTimeWaitList(a.io, Math.floor(0x7fffffff / 48) + 1)).toBe(-1); // max * 48 past i32
    expect(ex.tcpTimeWaitList(end - 48, 1)).toBe(1); // exactly fits
    expect(ex.tcpTimeWaitList(a.io, 0)).toBe(0);
    expect(ex.tcpTimeWaitList(a.io, 4)).toBe(1);
  });
});
