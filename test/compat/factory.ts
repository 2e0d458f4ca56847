// The differential compatibility suite's two worlds behind one interface: node:net over
// loopback (the oracle) and two wasm-tcpip stacks on an emulated link. A case is written
// once against a Factory and runs in both; the runs must log the same events.
import * as nodeNet from "node:net";
import { Sim } from "../../src/links/emulated.js";
import { realtime } from "../../src/links/realtime.js";
import { createStack, type NetStack, Socket, type Server } from "../../src/net.js";

/** What a case needs from a socket / server (node:net's shape; both worlds provide it). */
// Our Socket and Server are assignable to node:net's types (no casts: test/compat/types.ts checks it).
export type AnySocket = nodeNet.Socket;
export type AnyServer = nodeNet.Server;

export interface ConnectArgs {
  port: number;
  allowHalfOpen?: boolean;
  highWaterMark?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  timeout?: number;
  onread?: { buffer: Uint8Array | (() => Uint8Array); callback: (n: number, buf: Uint8Array) => boolean };
}

export interface ServerArgs {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  highWaterMark?: number;
}

export interface Factory {
  readonly kind: "node" | "ours";
  /** The server's address as clients see it, and the client's as the server sees it. */
  readonly serverHost: string;
  readonly clientHost: string;
  createServer(opts?: ServerArgs, listener?: (s: AnySocket) => void): AnyServer;
  /** Connect to serverHost:port. */
  connect(args: ConnectArgs, cb?: () => void): AnySocket;
  /** An unconnected socket (new net.Socket(opts)). */
  socket(opts?: { allowHalfOpen?: boolean; highWaterMark?: number }): AnySocket;
  /** A port nobody listens on. */
  closedPort(): Promise<number>;
  /** Let `ms` of the world's time pass (real time in both: our stacks follow the wall clock here). */
  wait(ms: number): Promise<void>;
  /** Tear everything down. */
  close(): Promise<void>;
}

export const SERVER_IP = "198.51.100.2";
export const CLIENT_IP = "198.51.100.1";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** node:net over 127.0.0.1. */
export function nodeFactory(): Factory {
  const servers = new Set<nodeNet.Server>();
  const socks = new Set<nodeNet.Socket>();
  const track = (s: nodeNet.Socket) => { socks.add(s); return s; };
  return {
    kind: "node",
    serverHost: "127.0.0.1",
    clientHost: "127.0.0.1",
    createServer(opts = {}, listener) {
      const srv = nodeNet.createServer(opts, (s) => { track(s); listener?.(s); });
      servers.add(srv);
      return srv;
    },
    connect(args, cb) {
      return track(nodeNet.connect({ host: "127.0.0.1", ...args }, cb));
    },
    socket(opts) { return track(new nodeNet.Socket(opts)); },
    async closedPort() {
      const srv = nodeNet.createServer();
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
      const port = (srv.address() as nodeNet.AddressInfo).port;
      await new Promise<void>((r) => srv.close(() => r()));
      return port;
    },
    wait: sleep,
    async close() {
      for (const s of socks) s.destroy();
      for (const s of servers) s.close();
      await sleep(5);
    },
  };
}

/** Two of our stacks on one emulated segment (client 198.51.100.1, server 198.51.100.2). */
export function oursFactory(linkDelayMs = 0.2, loss = 0, seed = 11): Factory {
  const sim = new Sim({ seed });
  const link = sim.link({ delayMs: linkDelayMs, loss });
  const mk = (ip: string, mac: string, s: number): NetStack => createStack({
    ip: `${ip}/24`, mac, seed: s, link: { type: "emulated", sim, link },
  });
  const client = mk(CLIENT_IP, "02:00:00:00:00:01", seed * 3 + 1);
  const server = mk(SERVER_IP, "02:00:00:00:00:02", seed * 3 + 2);
  // The product's real-time driver (src/links/realtime.ts) runs the Sim on the wall clock, so
  // timers, TLS and HTTP run over it as over a real network (every case needs real time: node's
  // side of a case is real time, and a case's waits and timeouts are the same code in both).
  const rt = realtime(sim);
  const servers = new Set<Server>();
  let nextClosed = 40000;
  return {
    kind: "ours",
    serverHost: SERVER_IP,
    clientHost: CLIENT_IP,
    createServer(opts = {}, listener) {
      const srv: Server = server.createServer(opts, listener);
      servers.add(srv);
      return srv;
    },
    connect(args, cb) {
      const s: Socket = new Socket(client, { allowHalfOpen: args.allowHalfOpen, highWaterMark: args.highWaterMark, onread: args.onread });
      return s.connect({ host: SERVER_IP, ...args }, cb);
    },
    socket(opts) { return new Socket(client, opts); },
    async closedPort() { return nextClosed++; },
    wait: sleep,
    async close() {
      for (const s of servers) s.close();
      client.close();
      server.close();
      await sleep(5);
      rt.stop();
    },
  };
}

/** Our stacks, as exported for the cases that need the concrete class (instanceof checks). */
export { Socket as OurSocket };
