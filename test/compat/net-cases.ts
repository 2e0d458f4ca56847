// node:net behaviours, each written once against a Factory (test/compat/factory.ts). A case logs
// what a program could observe; net.compat.test.ts runs it against node:net and against our
// stacks and compares the logs. Ideas from node's test/parallel/test-net-*.js (our own code).
import type { AddressInfo } from "node:net";
import type { AnyServer, AnySocket, Factory } from "./factory.js";
import { EventLog, normError, until, watch } from "./log.js";

export interface Case {
  name: string;
  run(f: Factory, log: EventLog): Promise<void>;
}

const portOf = (srv: AnyServer) => (srv.address() as AddressInfo).port;
const hostsOf = (f: Factory) => [f.serverHost, f.clientHost];
/** Our hosts' IPv4 addresses (node's loopback: 127.0.0.1 both ends) as one token "IP4": the shape is what must agree. */
const ip4Token = (f: Factory, a: string | undefined) => a === undefined ? "undefined" : a.split(f.clientHost).join("IP4").split(f.serverHost).join("IP4");

function listen(srv: AnyServer, f: Factory): Promise<number> {
  return new Promise((r) => srv.listen(0, f.serverHost, () => r(portOf(srv))));
}

/** A client from `f` connecting to `port` on the server host, its events logged under `tag`. */
function dial(f: Factory, log: EventLog, tag: string, port: number): AnySocket {
  const c = f.connect({ port });
  watch(log, tag, c, hostsOf(f));
  return c;
}

/** A server from `f` listening on an ephemeral port of the server host. */
async function serve(f: Factory, ...args: Parameters<Factory["createServer"]>): Promise<{ srv: AnyServer; port: number }> {
  const srv = f.createServer(...args);
  return { srv, port: await listen(srv, f) };
}

function closeServer(srv: AnyServer): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("server 'close' not in 10 s")), 10_000);
    srv.close(() => { clearTimeout(t); resolve(); });
  });
}

/** The socket's 'close' (at most 10 s). */
const closed = (s: AnySocket) => new Promise<void>((resolve, reject) => {
  if (s.closed) { resolve(); return; }
  const t = setTimeout(() => reject(new Error("no 'close' in 10 s")), 10_000);
  s.once("close", () => { clearTimeout(t); resolve(); });
});

/** The next `ev` from `em`, or a rejection with the log so far after `ms`. */
function next(em: { once(ev: string, fn: () => void): unknown }, ev: string, log: EventLog, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${ev}' in ${ms} ms; log so far:\n${log.lines.join("\n")}`)), ms);
    em.once(ev, () => { clearTimeout(t); resolve(); });
  });
}

/** Run fn, log the thrown error's code and message (or "no throw"). */
function logThrow(log: EventLog, tag: string, fn: () => unknown): void {
  try { fn(); log.push(`${tag} no throw`); } catch (e) { log.push(`${tag} throws ${normError(e, [])}`); }
}

/** A server that reads and discards, and a watched client connected to it. */
async function sinkClient(f: Factory, log: EventLog): Promise<{ srv: AnyServer; c: AnySocket }> {
  const { srv, port } = await serve(f, {}, (s) => s.resume());
  const c = dial(f, log, "client", port);
  await next(c, "connect", log);
  return { srv, c };
}

export const netCases: Case[] = [
  {
    name: "echo: connect, ready, data, end, finish, close(false) on both ends; byte counters",
    async run(f, log) {
      let srvSock: AnySocket | null = null;
      const { srv, port } = await serve(f, {}, (s) => { srvSock = s; watch(log, "server", s, hostsOf(f)); s.pipe(s); });
      const c = f.connect({ port });
      const w = watch(log, "client", c, hostsOf(f));
      c.end("hello, world \u00e9\u00e9"); // multibyte: counters are bytes
      await closed(c);
      await until(() => srvSock !== null && srvSock.closed, 2000, log);
      log.push(`client bytesWritten=${c.bytesWritten} bytesRead=${c.bytesRead} got=${Buffer.concat(w.chunks).toString()}`);
      log.push(`server bytesWritten=${srvSock!.bytesWritten} bytesRead=${srvSock!.bytesRead}`);
      await closeServer(srv);
    },
  },
  {
    name: "allowHalfOpen server: reads the client's FIN, writes after it, then ends",
    async run(f, log) {
      const srv = f.createServer({ allowHalfOpen: true }, (s) => {
        watch(log, "server", s, hostsOf(f));
        s.on("end", () => { log.push(`server writable=${s.writable}`); s.write("late reply"); s.end(); });
      });
      const port = await listen(srv, f);
      const c = f.connect({ port, allowHalfOpen: true });
      watch(log, "client", c, hostsOf(f));
      c.on("connect", () => c.end("question"));
      c.on("end", () => log.push(`client readyState=${c.readyState}`));
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "allowHalfOpen false: the FIN ends our side too; a write after that is EPIPE",
    async run(f, log) {
      const srv = f.createServer({}, (s) => {
        watch(log, "server", s, hostsOf(f));
        s.on("end", () => {
          log.push(`server in-end writable=${s.writable} writableEnded=${s.writableEnded}`);
          setImmediate(() => {
            log.push(`server next writableEnded=${s.writableEnded}`);
            s.write("too late", (e) => log.push(`server write-cb ${e ? normError(e, []) : "ok"}`));
          });
        });
      });
      const port = await listen(srv, f);
      const c = f.connect({ port, allowHalfOpen: true });
      watch(log, "client", c, hostsOf(f));
      c.on("connect", () => c.end());
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "a socket nobody reads still sees the peer's FIN: 'end', auto-end, 'close'",
    async run(f, log) {
      let srvSock: AnySocket | null = null;
      const srv = f.createServer({}, (s) => {
        srvSock = s;
        s.on("end", () => log.push("server end"));
        s.on("close", (e: boolean) => log.push(`server close(${e})`));
      });
      const port = await listen(srv, f);
      const c = dial(f, log, "client", port);
      c.on("connect", () => c.end());
      await closed(c);
      await until(() => srvSock !== null && srvSock.closed, 2000, log);
      await closeServer(srv);
    },
  },
  {
    name: "unread data holds back 'end' until the application reads",
    async run(f, log) {
      let srvSock: AnySocket | null = null;
      const { srv, port } = await serve(f, {}, (s) => { srvSock = s; s.on("end", () => log.push("server end")); });
      const c = f.connect({ port, allowHalfOpen: true });
      watch(log, "client", c, hostsOf(f));
      c.on("connect", () => c.end("ten bytes!"));
      await until(() => srvSock !== null && srvSock.readableLength === 10, 2000, log);
      await f.wait(30);
      log.push(`server before-read readableLength=${srvSock!.readableLength}`);
      const w = watch(log, "server", srvSock!, hostsOf(f));
      await closed(c);
      log.push(`result got=${Buffer.concat(w.chunks).toString()}`);
      await closeServer(srv);
    },
  },
  {
    name: "destroy(err): 'error' then 'close(true)'; destroy(): 'close(false)' only",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => { s.resume(); });
      const c1 = dial(f, log, "c1", port);
      c1.on("connect", () => c1.destroy(Object.assign(new Error("boom"), { code: "EBOOM" })));
      await closed(c1);
      const c2 = dial(f, log, "c2", port);
      c2.on("connect", () => c2.destroy());
      await closed(c2);
      log.push(`c1 destroyed=${c1.destroyed} readyState=${c1.readyState}`);
      await closeServer(srv);
    },
  },
  {
    name: "end() then destroy() at once: no 'finish' promise, 'close(false)'",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => { s.resume(); });
      const c = dial(f, log, "client", port);
      c.on("connect", () => { c.end("x"); c.destroy(); log.push(`client after destroy writable=${c.writable}`); });
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "write callbacks in order, backpressure: write() false, bufferSize, 'drain', bytesWritten counts queued bytes",
    async run(f, log) {
      let srvSock: AnySocket | null = null;
      const { srv, port } = await serve(f, { pauseOnConnect: true }, (s) => { srvSock = s; });
      const c = dial(f, log, "client", port);
      log.push(`client connecting bufferSize=${c.bufferSize}`);
      await next(c, "connect", log);
      const big = Buffer.alloc(8 << 20, 7); // more than any send + receive buffer
      const order: number[] = [];
      const ok1 = c.write("a", () => order.push(1));
      log.push(`client write1=${ok1} bytesWritten=${c.bytesWritten}`);
      const ok2 = c.write(big, () => order.push(2));
      const ok3 = c.write("bc", () => order.push(3));
      log.push(`client write2=${ok2} write3=${ok3} bytesWritten=${c.bytesWritten} bufferSize>0=${(c.bufferSize ?? 0) > 0}`);
      await until(() => srvSock !== null, 2000, log);
      let got = 0;
      srvSock!.on("data", (d: Buffer) => { got += d.length; });
      srvSock!.resume();
      await until(() => got === big.length + 3, 20000, log);
      log.push(`client order=${order.join(",")} bufferSize=${c.bufferSize} writableLength=${c.writableLength}`);
      c.destroy();
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "setTimeout: 'timeout' on idle, socket stays open; 0 disables; argument errors",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => { s.resume(); });
      const c = dial(f, log, "client", port);
      logThrow(log, "client setTimeout(NaN)", () => c.setTimeout(NaN));
      logThrow(log, "client setTimeout(-1)", () => c.setTimeout(-1));
      logThrow(log, "client setTimeout('1')", () => c.setTimeout("1" as unknown as number));
      logThrow(log, "client setTimeout(Infinity)", () => c.setTimeout(Infinity));
      await next(c, "connect", log);
      c.setTimeout(40, () => log.push("client timeout-cb"));
      log.push(`client timeout=${c.timeout}`);
      await next(c, "timeout", log);
      log.push(`client after-timeout destroyed=${c.destroyed}`);
      c.setTimeout(0);
      log.push(`client timeout=${c.timeout}`);
      await f.wait(80);
      c.end();
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "setKeepAlive / setNoDelay return the socket and change nothing observable",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => s.pipe(s));
      const c = f.connect({ port, keepAlive: true, noDelay: true });
      watch(log, "client", c, hostsOf(f));
      log.push(`client chain=${c.setKeepAlive(true, 1000) === c && c.setNoDelay(true) === c && c.setNoDelay(false) === c}`);
      c.end("ping");
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "addresses: remote* undefined while connecting, set after; address(); server.address()",
    async run(f, log) {
      let srvSock: AnySocket | null = null;
      const { srv, port } = await serve(f, {}, (s) => { srvSock = s; s.resume(); });
      const sa = srv.address() as AddressInfo;
      log.push(`server address ${sa.address === f.serverHost} ${sa.family} ${sa.port === port}`);
      const c = f.connect({ port });
      log.push(`client connecting remoteAddress=${c.remoteAddress} remotePort=${c.remotePort} remoteFamily=${c.remoteFamily} pending=${c.pending} readyState=${c.readyState}`);
      await next(c, "connect", log);
      log.push(`client remote ${c.remoteAddress === f.serverHost} ${c.remotePort === port} ${c.remoteFamily} pending=${c.pending} readyState=${c.readyState}`);
      const a = c.address() as AddressInfo;
      log.push(`client local ${c.localAddress === f.clientHost} ${a.address === f.clientHost} ${a.family} ${a.port === c.localPort} ${typeof c.localPort}`);
      await until(() => srvSock !== null, 2000, log);
      log.push(`server remote ${srvSock!.remoteAddress === f.clientHost} ${srvSock!.remotePort === c.localPort} ${srvSock!.localPort === port}`);
      c.end();
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "errors: connection refused names the address; a reset peer gives 'read ECONNRESET'",
    async run(f, log) {
      const dead = await f.closedPort();
      const c = f.connect({ port: dead });
      watch(log, "refused", c, hostsOf(f));
      await closed(c);
      const { srv, port } = await serve(f, {}, (s) => { s.on("data", () => (s as { resetAndDestroy(): void }).resetAndDestroy()); });
      const c2 = dial(f, log, "reset", port);
      c2.on("connect", () => c2.write("x"));
      await closed(c2);
      await closeServer(srv);
    },
  },
  {
    name: "resetAndDestroy on our side: the peer sees ECONNRESET, we close(false)",
    async run(f, log) {
      let srvSock: AnySocket | null = null;
      const { srv, port } = await serve(f, {}, (s) => { srvSock = s; watch(log, "server", s, hostsOf(f)); });
      const c = dial(f, log, "client", port);
      c.on("connect", () => { setTimeout(() => c.resetAndDestroy(), 20); });
      await closed(c);
      await until(() => srvSock !== null && srvSock.closed, 2000, log);
      await closeServer(srv);
    },
  },
  {
    name: "server close: waits for open connections; getConnections; close when not running",
    async run(f, log) {
      const conns: AnySocket[] = [];
      const srv = f.createServer({}, (s) => { conns.push(s); s.resume(); });
      srv.on("close", () => log.push("server close"));
      const port = await listen(srv, f);
      const c = dial(f, log, "client", port);
      await until(() => conns.length === 1, 2000, log);
      await new Promise<void>((r) => srv.getConnections((e, n) => { log.push(`server getConnections ${e} ${n}`); r(); }));
      srv.close((e) => log.push(`server close-cb ${e}`));
      log.push(`server listening=${srv.listening} address=${srv.address()}`);
      await f.wait(30);
      log.push("server still open");
      c.end();
      await closed(c);
      await until(() => log.lines.includes("server close-cb undefined"), 2000, log);
      srv.close((e) => log.push(`server second close-cb ${e ? normError(e, []) : e}`));
      await f.wait(10);
    },
  },
  {
    name: "listen() then close() at once: no 'listening', 'close' only",
    async run(f, log) {
      const srv = f.createServer();
      srv.on("listening", () => log.push("server listening"));
      srv.on("close", () => log.push("server close"));
      srv.listen(0, f.serverHost);
      srv.close();
      await f.wait(20);
      log.push(`server listening=${srv.listening}`);
    },
  },
  {
    name: "reconnecting a closed socket: the same Socket connects again",
    async run(f, log) {
      let accepted = 0;
      const { srv, port } = await serve(f, {}, (s) => { accepted++; s.end("hi " + accepted); });
      const c = f.socket();
      watch(log, "client", c, hostsOf(f));
      let rounds = 0;
      c.on("close", () => {
        log.push(`client closed destroyed=${c.destroyed} connecting=${c.connecting}`);
        if (++rounds < 3) c.connect(port, f.serverHost);
      });
      c.connect(port, f.serverHost);
      await until(() => rounds === 3, 5000, log);
      log.push(`server accepted=${accepted}`);
      await closeServer(srv);
    },
  },
  {
    name: "connect() argument errors: no port is ERR_MISSING_ARGS, a bad port ERR_SOCKET_BAD_PORT",
    async run(f, log) {
      logThrow(log, "noport", () => f.socket().connect({} as { port: number }));
      logThrow(log, "badport", () => f.socket().connect({ port: 70000, host: f.serverHost }));
    },
  },
  {
    name: "maxConnections: past the limit the server drops ('drop') and the client sees end/close",
    async run(f, log) {
      const held: AnySocket[] = [];
      const srv = f.createServer({}, (s) => { held.push(s); s.resume(); });
      srv.maxConnections = 1;
      srv.on("drop", (d?: { remoteAddress?: string; localPort?: number; remoteFamily?: string }) => {
        log.push(`server drop ${d?.remoteAddress === f.clientHost} ${d?.localPort === port} ${d?.remoteFamily}`);
      });
      const port = await listen(srv, f);
      const c1 = f.connect({ port });
      await until(() => held.length === 1, 2000, log);
      const c2 = dial(f, log, "c2", port);
      await closed(c2);
      log.push(`server held=${held.length}`);
      c1.destroy();
      await closeServer(srv);
    },
  },
  {
    name: "dual-stack listener (\"::\", and no host): server.address() is ::/IPv6, an IPv4 peer is ::ffff:a.b.c.d/IPv6 on the accepted socket, plain IPv4 on the client",
    async run(f, log) {
      const norm = (a: string | undefined) => ip4Token(f, a);
      for (const host of ["::", undefined]) {
        let srvSock: AnySocket | null = null;
        const srv = f.createServer({}, (s) => { srvSock = s; s.resume(); });
        const port = await new Promise<number>((r) => host === undefined ? srv.listen(0, () => r(portOf(srv))) : srv.listen(0, host, () => r(portOf(srv))));
        const sa = srv.address() as AddressInfo;
        log.push(`listen ${host ?? "(no host)"}: server address ${sa.address} ${sa.family} ${sa.port === port}`);
        const c = f.connect({ port });
        await next(c, "connect", log);
        await until(() => srvSock !== null, 2000, log);
        const s = srvSock!;
        const la = s.address() as AddressInfo;
        log.push(`accepted remote ${norm(s.remoteAddress)} ${s.remoteFamily} ${s.remoteAddress === `::ffff:${f.clientHost}`} ${s.remotePort === c.localPort}`);
        log.push(`accepted local ${norm(s.localAddress)} ${s.localFamily} ${s.localAddress === `::ffff:${f.serverHost}`} ${s.localPort === port}`);
        log.push(`accepted address() ${norm(la.address)} ${la.family} ${la.port === port}`);
        const ca = c.address() as AddressInfo;
        log.push(`client remote ${norm(c.remoteAddress)} ${c.remoteFamily} local ${norm(c.localAddress)} ${c.localFamily} address() ${norm(ca.address)} ${ca.family}`);
        c.end();
        await closed(c);
        await closeServer(srv);
      }
    },
  },
  {
    name: "dual-stack listener past maxConnections: 'drop' names the IPv4 peer ::ffff:a.b.c.d, family IPv6",
    async run(f, log) {
      const norm = (a: string | undefined) => ip4Token(f, a);
      const held: AnySocket[] = [];
      const srv = f.createServer({}, (s) => { held.push(s); s.resume(); });
      srv.maxConnections = 1;
      let port = 0;
      srv.on("drop", (d?: { localAddress?: string; localPort?: number; localFamily?: string; remoteAddress?: string; remoteFamily?: string }) => {
        log.push(`server drop remote ${norm(d?.remoteAddress)} ${d?.remoteFamily} ${d?.remoteAddress === `::ffff:${f.clientHost}`} local ${norm(d?.localAddress)} ${d?.localFamily} ${d?.localPort === port}`);
      });
      port = await new Promise<number>((r) => srv.listen(0, "::", () => r(portOf(srv))));
      const c1 = f.connect({ port });
      await until(() => held.length === 1, 2000, log);
      const c2 = dial(f, log, "c2", port);
      await closed(c2);
      log.push(`server held=${held.length}`);
      c1.destroy();
      await closeServer(srv);
    },
  },
  {
    name: "pauseOnConnect: nothing is read until resume(), then data and end",
    async run(f, log) {
      let srvSock: AnySocket | null = null;
      const srv = f.createServer({ pauseOnConnect: true }, (s) => {
        srvSock = s;
        log.push(`server isPaused=${s.isPaused()} readableFlowing=${s.readableFlowing}`);
        watch(log, "server", s, hostsOf(f));
      });
      const port = await listen(srv, f);
      const c = f.connect({ port, allowHalfOpen: true });
      c.on("connect", () => c.end("paused bytes"));
      await until(() => srvSock !== null, 2000, log);
      await f.wait(40);
      log.push(`server before-resume readableLength=${srvSock!.readableLength}`);
      srvSock!.resume();
      await closed(srvSock!);
      c.destroy();
      await closeServer(srv);
    },
  },
  {
    name: "writes while connecting: sent after 'connect'; destroyed first: ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => s.pipe(s));
      const c = f.connect({ port });
      const w = watch(log, "client", c, hostsOf(f));
      c.write("early", (e) => log.push(`client write-cb ${e ? normError(e, []) : "ok"}`));
      log.push(`client connecting=${c.connecting} bytesWritten=${c.bytesWritten}`);
      c.end();
      await closed(c);
      log.push(`client got=${Buffer.concat(w.chunks).toString()}`);
      const d = dial(f, log, "doomed", port);
      d.write("never", (e) => log.push(`doomed write-cb ${e ? normError(e, []) : "ok"}`));
      d.destroy();
      await closed(d);
      await f.wait(10);
      await closeServer(srv);
    },
  },
  {
    name: "highWaterMark option of the constructor",
    async run(f, log) {
      const s = f.socket({ highWaterMark: 1234 });
      log.push(`socket writableHWM=${s.writableHighWaterMark} readableHWM=${s.readableHighWaterMark}`);
      const t = f.socket({ allowHalfOpen: true });
      log.push(`socket allowHalfOpen=${t.allowHalfOpen} bufferSize=${t.bufferSize} readyState=${t.readyState} pending=${t.pending}`);
      s.destroy();
      t.destroy();
      await f.wait(5);
    },
  },
  {
    name: "write after end() is ERR_STREAM_WRITE_AFTER_END; destroySoon ends then destroys",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => s.resume());
      const c = dial(f, log, "client", port);
      c.on("connect", () => {
        c.end("bye");
        c.write("more", (e) => log.push(`client write-cb ${e ? normError(e, []) : "ok"}`));
      });
      await closed(c);
      const d = dial(f, log, "soon", port);
      d.on("connect", () => { d.write("x"); d.destroySoon(); });
      await closed(d);
      await closeServer(srv);
    },
  },
  {
    name: "listen on a port in use: 'error' EADDRINUSE with libuv's text and the address",
    async run(f, log) {
      const a = f.createServer();
      const port = await listen(a, f);
      const b = f.createServer();
      b.on("error", (e: Error & { address?: string; port?: number }) => {
        log.push(`server error ${normError(e, hostsOf(f))} address=${e.address === f.serverHost} port=${e.port === port}`);
      });
      b.on("listening", () => log.push("server listening"));
      b.listen(port, f.serverHost);
      await f.wait(20);
      log.push(`server b.listening=${b.listening}`);
      await closeServer(a);
    },
  },
  {
    name: "end(cb) runs at 'finish'; the timeout option of connect; setTimeout before connecting",
    async run(f, log) {
      const { srv, port } = await serve(f, { allowHalfOpen: true }, (s) => { s.resume(); s.on("end", () => s.end()); });
      const c = f.connect({ port, timeout: 30 });
      watch(log, "client", c, hostsOf(f));
      log.push(`client timeout=${c.timeout}`);
      await next(c, "timeout", log);
      c.end("x", () => log.push("client end-cb"));
      const d = f.socket();
      watch(log, "early", d, hostsOf(f));
      d.setTimeout(30);
      d.connect(port, f.serverHost);
      await next(d, "timeout", log);
      d.destroy();
      await closed(d);
      await f.wait(20);
      c.destroy();
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "the server ends first, the client (allowHalfOpen) keeps writing, then ends",
    async run(f, log) {
      let srvSock: AnySocket | null = null;
      const srv = f.createServer({ allowHalfOpen: true }, (s) => {
        srvSock = s;
        const w = watch(log, "server", s, hostsOf(f));
        s.end("server goes first");
        s.on("end", () => log.push(`server got=${Buffer.concat(w.chunks).toString()}`));
      });
      const port = await listen(srv, f);
      const c = f.connect({ port, allowHalfOpen: true });
      const w = watch(log, "client", c, hostsOf(f));
      c.on("end", () => {
        log.push(`client got=${Buffer.concat(w.chunks).toString()} writable=${c.writable} readyState=${c.readyState}`);
        c.write("still talking");
        setTimeout(() => c.end(" and done"), 10);
      });
      await closed(c);
      await until(() => srvSock !== null && srvSock.closed, 2000, log);
      await closeServer(srv);
    },
  },
  {
    name: "write after destroy(): callback ERR_STREAM_DESTROYED, no 'error'",
    async run(f, log) {
      const { srv, c } = await sinkClient(f, log);
      c.destroy();
      const ok = c.write("late", (e) => log.push(`client write-cb ${e ? normError(e, []) : "ok"}`));
      log.push(`client write returned ${ok}`);
      await closed(c);
      await f.wait(10);
      await closeServer(srv);
    },
  },
  {
    name: "pause() before connecting: node does not start reading at 'connect'; resume() then gives data and end",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => { s.end("0123456789".repeat(100)); s.resume(); });
      const c = f.connect({ port, allowHalfOpen: true });
      c.pause();
      const w = watch(log, "client", c, hostsOf(f));
      await next(c, "connect", log);
      await f.wait(50);
      log.push(`client paused readableLength=${c.readableLength} bytesRead=${c.bytesRead} got=${w.bytes}`);
      c.resume();
      await next(c, "end", log);
      c.end();
      await closed(c);
      await closeServer(srv);
    },
  },
  {
    name: "end() while connecting: connect, then the FIN; a large UTF-8 string counts bytes; setEncoding joins split characters",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => s.pipe(s));
      const c = f.connect({ port });
      c.setEncoding("utf8");
      let text = "";
      c.on("data", (d: string) => { text += d; });
      watch(log, "client", c, hostsOf(f), { data: false });
      const big = "\u00e9\u4e2d\u{1f600}".repeat(30000); // 2 + 3 + 4 bytes each
      c.end(big);
      log.push(`client connecting=${c.connecting} bytesWritten=${c.bytesWritten}`);
      await closed(c);
      log.push(`client same=${text === big} bytesRead=${c.bytesRead} bytesWritten=${c.bytesWritten}`);
      await closeServer(srv);
    },
  },
  {
    name: "setTimeout then destroy: no 'timeout'; getConnections drops to 0 after the client leaves",
    async run(f, log) {
      const { srv, c } = await sinkClient(f, log);
      c.setTimeout(20);
      c.destroy();
      await closed(c);
      await f.wait(60);
      await f.wait(20);
      await new Promise<void>((r) => srv.getConnections((e, n) => { log.push(`server getConnections ${e} ${n}`); r(); }));
      await closeServer(srv);
    },
  },
  {
    name: "end() right after connect(): the connection opens, the server sees the FIN, the client closes (test-net-socket-end-before-connect)",
    async run(f, log) {
      const { srv, port } = await serve(f, {}, (s) => watch(log, "server", s, hostsOf(f)));
      const c = dial(f, log, "client", port);
      c.end();
      log.push(`client after-end connecting=${c.connecting} writable=${c.writable} pending=${c.pending}`);
      await closed(c);
      await f.wait(50);
      await closeServer(srv);
    },
  },
  {
    name: "destroy() right after connect(): no 'connect', no 'error', 'close' once (test-net-connect-after-destroy)",
    async run(f, log) {
      const c = f.connect({ port: await f.closedPort() });
      watch(log, "client", c, hostsOf(f));
      c.destroy();
      log.push(`client destroyed=${c.destroyed} connecting=${c.connecting} readyState=${c.readyState}`);
      await closed(c);
      await f.wait(100);
      log.push("client done");
    },
  },
  {
    name: "destroy() twice, and again in the 'error' handler: one 'error', one 'close' (test-net-socket-destroy-twice)",
    async run(f, log) {
      const c = f.connect({ port: await f.closedPort() });
      watch(log, "client", c, hostsOf(f));
      c.on("error", () => { c.destroy(); c.destroy(); });
      await closed(c);
      c.destroy();
      await f.wait(30);
      log.push(`client destroyed=${c.destroyed} closed=${c.closed}`);
    },
  },
  {
    name: "end(cb) on a socket that never connected: not writable, readOnly; node 20 waits for a 'connect' that never comes (test-net-end-without-connect)",
    async run(f, log) {
      const s = f.socket();
      watch(log, "sock", s, hostsOf(f));
      s.end((e?: Error | null) => log.push(`sock end-cb writable=${s.writable} ${e ? normError(e, []) : e}`));
      log.push(`sock after-end writable=${s.writable} destroyed=${s.destroyed} readyState=${s.readyState} pending=${s.pending} connecting=${s.connecting}`);
      await f.wait(100);
      log.push(`sock later destroyed=${s.destroyed} readyState=${s.readyState}`);
      s.destroy();
      await closed(s);
    },
  },
  {
    name: "write after the socket closed: callback ERR_STREAM_DESTROYED, no 'error' (test-net-write-after-close)",
    async run(f, log) {
      let ss: AnySocket | null = null;
      const { srv, port } = await serve(f, {}, (s) => { ss = s; s.resume(); s.on("error", (e) => log.push(`server error ${normError(e, hostsOf(f))}`)); });
      const c = dial(f, log, "client", port);
      await next(c, "connect", log);
      await until(() => ss !== null, 2000, log);
      const server = ss as AnySocket | null as AnySocket;
      c.end();
      await closed(server);
      await new Promise<void>((r) => server.write("test", (e) => { log.push(`server write-cb ${e ? normError(e, []) : e}`); r(); }));
      await closed(c);
      await f.wait(20);
      await closeServer(srv);
    },
  },
  {
    name: "server.close() then the server destroys its connections: each socket's 'close' before the server's (test-net-server-close)",
    async run(f, log) {
      const conns: AnySocket[] = [];
      const srv = f.createServer({}, (s) => {
        conns.push(s);
        s.on("close", () => log.push("order socket close"));
      });
      const port = await listen(srv, f);
      const c1 = f.connect({ port });
      const c2 = f.connect({ port });
      c1.on("error", () => {}); c2.on("error", () => {});
      watch(log, "c1", c1, hostsOf(f));
      await until(() => conns.length === 2, 2000, log);
      srv.close(() => log.push("order server close"));
      for (const s of conns) s.destroy();
      await closed(c1);
      await closed(c2);
      await until(() => log.lines.includes("order server close"), 2000, log);
    },
  },
  {
    name: "maxConnections: closing a connection makes room for the next (test-net-server-max-connections-close-makes-more-available)",
    async run(f, log) {
      const held: AnySocket[] = [];
      let n = 0;
      const srv = f.createServer({}, (s) => { held.push(s); const k = ++n; s.on("data", (d) => log.push(`server got ${k} ${d}`)); });
      srv.maxConnections = 1;
      srv.on("drop", () => log.push("server drop"));
      const port = await listen(srv, f);
      const c1 = f.connect({ port });
      c1.write("one");
      await until(() => log.lines.includes("server got 1 one"), 2000, log);
      const c2 = dial(f, log, "c2", port);
      await closed(c2);
      c1.destroy();
      await until(() => held[0].closed, 2000, log);
      await new Promise<void>((r) => srv.getConnections((_e, k) => { log.push(`server connections ${k}`); r(); }));
      const c3 = f.connect({ port });
      c3.write("three");
      await until(() => held.length === 2, 2000, log);
      await until(() => log.lines.some((l) => l.startsWith("server got 2")), 2000, log);
      c3.destroy();
      await closeServer(srv);
    },
  },
  {
    name: "bytesRead while reading, at 'end' and after 'close' on both ends (test-net-bytes-read)",
    async run(f, log) {
      const big = Buffer.alloc(300_000, 7);
      let ss: AnySocket | null = null;
      const srv = f.createServer({}, (s) => {
        ss = s;
        let seen = 0;
        s.on("data", (d: Buffer) => { seen += d.length; if (s.bytesRead !== seen) log.push(`server mismatch ${s.bytesRead} ${seen}`); });
        s.on("end", () => { log.push(`server end bytesRead=${s.bytesRead}`); s.end(big); });
      });
      const port = await listen(srv, f);
      const c = f.connect({ port });
      let got = 0;
      c.on("data", (d: Buffer) => { got += d.length; if (c.bytesRead !== got) log.push(`client mismatch ${c.bytesRead} ${got}`); });
      c.on("end", () => log.push(`client end bytesRead=${c.bytesRead}`));
      c.end(big.subarray(0, 123_457));
      await closed(c);
      await until(() => ss !== null && (ss as AnySocket).closed, 2000, log);
      log.push(`client after-close bytesRead=${c.bytesRead} bytesWritten=${c.bytesWritten}`);
      log.push(`server after-close bytesRead=${ss!.bytesRead} bytesWritten=${ss!.bytesWritten}`);
      await closeServer(srv);
    },
  },
  {
    name: "ping-pong: 100 request/reply rounds with setEncoding, then end; counts and states (test-net-pingpong)",
    async run(f, log) {
      const N = 100;
      const srv = f.createServer({}, (s) => {
        s.setEncoding("utf8");
        let pings = 0;
        let buf = "";
        s.on("data", (d: string) => {
          buf += d;
          while (buf.startsWith("PING")) { buf = buf.slice(4); pings++; if (s.writable) s.write("PONG"); }
        });
        s.on("end", () => { log.push(`server end pings=${pings} readyState=${s.readyState}`); s.end(); });
        s.on("close", (e) => log.push(`server close(${e})`));
      });
      const port = await listen(srv, f);
      const c = f.connect({ port });
      c.setEncoding("utf8");
      let pongs = 0;
      let buf = "";
      c.on("connect", () => { log.push(`client connect readyState=${c.readyState}`); c.write("PING"); });
      c.on("data", (d: string) => {
        buf += d;
        while (buf.startsWith("PONG")) {
          buf = buf.slice(4);
          if (++pongs < N) c.write("PING");
          else { c.end(); log.push(`client ended readyState=${c.readyState}`); }
        }
      });
      c.on("end", () => log.push(`client end pongs=${pongs}`));
      c.on("close", (e) => log.push(`client close(${e}) pongs=${pongs}`));
      await closed(c);
      await f.wait(20);
      await closeServer(srv);
    },
  },
  {
    name: "onread with a static buffer: no 'data', callbacks fill the buffer; false stops reading until resume() (test-net-onread-static-buffer)",
    async run(f, log) {
      const srv = f.createServer({}, (s) => {
        s.write("a".repeat(10));
        setTimeout(() => s.write("b".repeat(30)), 50);
        setTimeout(() => s.end("c"), 100);
      });
      const port = await listen(srv, f);
      const buf = Buffer.alloc(16);
      let got = "";
      let calls = 0;
      let sameBuf = true;
      let maxN = 0;
      const c = f.connect({ port, onread: { buffer: buf, callback(n, b) {
        calls++;
        sameBuf &&= b === buf;
        maxN = Math.max(maxN, n);
        got += String(b.subarray(0, n));
        if (calls === 1) { log.push(`client first ${got} stop`); return false; }
        return true;
      } } });
      c.on("data", () => log.push("client data!"));
      c.on("end", () => log.push(`client end bytesRead=${c.bytesRead} got=${got}`));
      await until(() => calls === 1, 2000, log);
      await f.wait(250);
      log.push(`client stopped got=${got} flowing=${c.readableFlowing}`);
      c.resume();
      await closed(c);
      log.push(`client closed sameBuf=${sameBuf} maxN<=16 ${maxN <= 16}`);
      let genCalls = 0;
      const bufs = [Buffer.alloc(4), Buffer.alloc(4)];
      let got2 = "";
      const c2 = f.connect({ port, onread: { buffer: () => bufs[genCalls++ % 2], callback(n, b) { got2 += String(b.subarray(0, n)); return true; } } });
      c2.on("end", () => log.push(`c2 end got=${got2} generator-used=${genCalls > 1}`));
      await closed(c2);
      // an onread without a valid buffer is ignored (node 20 neither throws nor uses it): 'data' events
      const c3 = f.connect({ port, onread: { buffer: 42 as unknown as Uint8Array, callback: () => true } });
      let got3 = "";
      c3.on("data", (d: Buffer) => { got3 += d; });
      await closed(c3);
      log.push(`bad got=${got3}`);
      await closeServer(srv);
    },
  },
];
