// Differential checks for servers on one address and for udp6 peers (issue 10): each case runs
// against node:net / node:dgram over loopback (127.0.0.1 and ::1, the oracle: Linux decides) and
// against two of our stacks on an emulated link (198.51.100.2 and 2001:db8::2, virtual clock), and
// the two logs must be equal. Addresses become IP4 / IP6 and ports <port> in the logs.
import * as nodeDgram from "node:dgram";
import * as nodeNet from "node:net";
import { describe, expect, it } from "vitest";
import { Sim } from "../../src/links/emulated.js";
import { createStack } from "../../src/net.js";

interface Udp {
  bind(port: number, cb?: () => void): unknown;
  bind(port: number, address: string, cb?: () => void): unknown;
  send(msg: string, port: number, address: string, cb?: (e: Error | null, n: number) => void): void;
  connect(port: number, address: string, cb?: (e?: Error) => void): void;
  on(ev: "error", f: (e: Error) => void): unknown;
  on(ev: "message", f: (m: Buffer, r: { address: string; family: string }) => void): unknown;
  address(): { port: number; address: string; family: string };
  close(): unknown;
}

interface World {
  /** The server's IPv4 address and one IPv6 address of it. */
  v4: string; v6: string;
  server(onConn?: (s: nodeNet.Socket) => void): nodeNet.Server;
  connect(host: string, port: number): nodeNet.Socket;
  /** A datagram socket on the client side, and one on the server side. */
  udp(type: "udp4" | "udp6"): Udp;
  udpServer(type: "udp4" | "udp6"): Udp;
  until(pred: () => boolean, ms: number): Promise<boolean>;
  close(): void;
}

function nodeWorld(): World {
  const open: { close(): unknown }[] = [];
  const keep = <T extends { close(): unknown }>(x: T): T => { open.push(x); return x; };
  return {
    v4: "127.0.0.1", v6: "::1",
    server: (onConn) => keep(nodeNet.createServer((s) => { onConn?.(s); })),
    connect: (host, port) => nodeNet.connect({ host, port }),
    udp: (type) => keep(nodeDgram.createSocket(type)),
    udpServer: (type) => keep(nodeDgram.createSocket(type)),
    async until(pred, ms) {
      const t0 = Date.now();
      while (!pred()) { if (Date.now() - t0 > ms) return false; await new Promise((r) => setTimeout(r, 2)); }
      return true;
    },
    close() { for (const x of open) try { x.close(); } catch { /* closed already */ } },
  };
}

function oursWorld(): World {
  const sim = new Sim({ seed: 9 });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, ip6: string, mac: string, seed: number) => createStack({
    ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link }, ipv6: { eui64: true, dad: false, addresses: [`${ip6}/64`] },
  });
  const client = mk("198.51.100.1", "2001:db8::1", "02:00:00:00:00:01", 1);
  const server = mk("198.51.100.2", "2001:db8::2", "02:00:00:00:00:02", 2);
  return {
    v4: "198.51.100.2", v6: "2001:db8::2",
    server: (onConn) => server.createServer((s) => { onConn?.(s); }),
    connect: (host, port) => client.connect({ host, port }),
    udp: (type) => client.createSocket(type),
    udpServer: (type) => server.createSocket(type),
    until: (pred, ms) => client.until(pred, ms),
    close() { client.close(); server.close(); },
  };
}

/** Text with the world's addresses and the given ports replaced by tokens. */
function norm(w: World, text: string, ports: number[] = []): string {
  let t = text.split(w.v4).join("IP4").split(w.v6).join("IP6");
  for (const p of ports) t = t.split(`:${p}`).join(":<port>");
  return t;
}

function errText(w: World, e: unknown, ports: number[] = []): string {
  const x = e as NodeJS.ErrnoException & { address?: string; port?: number };
  return norm(w, `${x.code} ${x.errno} ${x.syscall} ${x.address} ${x.port === undefined ? "-" : ports.includes(x.port) ? "<port>" : x.port} "${x.message}"`, ports);
}

/** listen(port, host): "listening" or the error. */
function listen(w: World, srv: nodeNet.Server, port: number, host: string | undefined, ports: number[]): Promise<string> {
  return new Promise((resolve) => {
    srv.once("error", (e) => resolve(`error ${errText(w, e, ports)}`));
    const ok = () => resolve("listening");
    if (host === undefined) srv.listen(port, ok); else srv.listen(port, host, ok);
  });
}

const portOf = (s: nodeNet.Server) => (s.address() as nodeNet.AddressInfo).port;

type Case = { name: string; run(w: World, log: string[]): Promise<void> };

const cases: Case[] = [
  {
    name: "server.address() for each listen() form: our IPv4 address, 0.0.0.0, ::, no host, ::ffff:ours, our IPv6 address",
    async run(w, log) {
      for (const host of [w.v4, "0.0.0.0", "::", undefined, `::ffff:${w.v4}`, w.v6]) {
        const s = w.server();
        log.push(`${norm(w, String(host))}: ${await listen(w, s, 0, host, [])}`);
        const a = s.address() as nodeNet.AddressInfo;
        log.push(`  address ${norm(w, a.address)} ${a.family} port>0=${a.port > 0}`);
        s.close();
      }
    },
  },
  {
    name: "one port, two servers: allowed on addresses that do not overlap, EADDRINUSE for the same address or an address and a wildcard over it (either order)",
    async run(w, log) {
      const pairs: [string, string][] = [
        [w.v4, w.v6], ["0.0.0.0", w.v6], [w.v4, w.v4], ["0.0.0.0", w.v4], [w.v4, "0.0.0.0"], ["::", w.v4], ["::", w.v6], [w.v6, "::"],
        ["::", "0.0.0.0"], ["0.0.0.0", "::"], [`::ffff:${w.v4}`, w.v4], [w.v4, `::ffff:${w.v4}`],
      ];
      for (const [first, second] of pairs) {
        const s1 = w.server(), s2 = w.server();
        const r1 = await listen(w, s1, 0, first, []);
        const port = portOf(s1);
        const r2 = await listen(w, s2, port, second, [port]);
        log.push(`${norm(w, first)} then ${norm(w, second)}: ${r1}; ${r2}`);
        s1.close(); s2.close();
      }
    },
  },
  {
    name: "a server on our IPv4 address: a client of our IPv6 address on that port is refused (RST), one of the IPv4 address is served",
    async run(w, log) {
      const s = w.server((c) => c.end("hi"));
      await listen(w, s, 0, w.v4, []);
      const port = portOf(s);
      for (const host of [w.v6, w.v4]) {
        const c = w.connect(host, port);
        let out = "";
        let done = false;
        c.on("data", (d: Buffer) => { out += d.toString(); });
        c.on("error", (e) => { out = `error ${errText(w, e, [port])}`; });
        c.on("close", () => { done = true; });
        if (!await w.until(() => done, 5000)) throw new Error("no close");
        log.push(`to ${norm(w, host)}: ${out}`);
      }
      s.close();
    },
  },
  {
    name: "EADDRNOTAVAIL for an address that is not ours (port given, and port 0)",
    async run(w, log) {
      for (const [host, port] of [["198.51.100.77", 47999], ["198.51.100.77", 0], ["2001:db8::99", 47999]] as const) {
        log.push(`${host} ${port}: ${await listen(w, w.server(), port, host, [])}`);
      }
    },
  },
  {
    name: "dgram bind: address() is 0.0.0.0 / :: for the wildcard, the address given otherwise; EADDRNOTAVAIL for one not ours, EINVAL for the other family",
    async run(w, log) {
      const forms: [("udp4" | "udp6"), string | undefined, number][] = [
        ["udp4", undefined, 0], ["udp6", undefined, 0], ["udp4", "0.0.0.0", 0], ["udp6", "::", 0], ["udp4", w.v4, 0], ["udp6", w.v6, 0],
        ["udp4", "198.51.100.77", 0], ["udp4", "198.51.100.77", 47997], ["udp6", "2001:db8::99", 0], ["udp6", w.v4, 0], ["udp4", w.v6, 0],
      ];
      for (const [type, host, port] of forms) {
        const s = w.udpServer(type); // (on the stack whose addresses v4 and v6 are)
        const r = await new Promise<string>((resolve) => {
          s.on("error", (e) => resolve(`error ${errText(w, e, [47997])}`));
          const ok = () => { const a = s.address(); resolve(`${a.address} ${a.family} port>0 ${a.port > 0}`); };
          if (host === undefined) s.bind(port, ok); else s.bind(port, host, ok);
        });
        log.push(norm(w, `${type} bind(${port}, ${host}): ${r}`, [47997]));
        s.close(); // (our stack has a few UDP sockets)
      }
    },
  },
  {
    name: "udp6 send to a dotted IPv4 address: EINVAL to the callback, nothing without one; ::ffff:a.b.c.d is delivered over IPv4",
    async run(w, log) {
      const rx = w.udpServer("udp4");
      const got: string[] = [];
      rx.on("message", (m, r) => got.push(`${m} from ${r.family}`));
      await new Promise<void>((r) => rx.bind(0, () => r()));
      const port = rx.address().port;
      const s = w.udp("udp6");
      const errors: string[] = [];
      s.on("error", (e) => errors.push(errText(w, e, [port])));
      let cb = "";
      s.send("dotted", port, w.v4, (e, n) => { cb = `${e ? errText(w, e, [port]) : "null"} ${n}`; });
      await w.until(() => cb !== "", 1000);
      log.push(`callback: ${cb}`);
      s.send("dotted, no callback", port, w.v4);
      await w.until(() => false, 30);
      log.push(`'error' events: ${errors.length}`);
      let sent = "";
      s.send("mapped", port, `::ffff:${w.v4}`, (e, n) => { sent = `${e} ${n}`; });
      await w.until(() => got.length > 0, 2000);
      log.push(`mapped: ${sent}; received ${got.join(", ")}`);
    },
  },
  {
    name: "udp6 connect to a dotted IPv4 address: EINVAL to the callback, else an 'error'",
    async run(w, log) {
      const s = w.udp("udp6");
      s.on("error", (e) => log.push(`error event ${errText(w, e, [47998])}`));
      let cb = "";
      s.connect(47998, w.v4, (e) => { cb = e ? errText(w, e, [47998]) : "connected"; });
      await w.until(() => cb !== "", 1000);
      log.push(`callback: ${cb}`);
      const t = w.udp("udp6");
      let ev = "";
      t.on("error", (e) => { ev = errText(w, e, [47998]); });
      t.connect(47998, w.v4);
      await w.until(() => ev !== "", 1000);
      log.push(`no callback: error event ${ev}`);
    },
  },
];

async function runIn(make: () => World, c: Case): Promise<string[]> {
  const w = make();
  const log: string[] = [];
  try { await c.run(w, log); } finally { w.close(); }
  return log;
}

describe("compat: servers on one address and udp6 peers, node (loopback) against ours", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const oracle = await runIn(nodeWorld, c);
      const ours = await runIn(oursWorld, c);
      expect(oracle.length).toBeGreaterThan(0);
      expect(ours).toEqual(oracle);
    });
  }
});
