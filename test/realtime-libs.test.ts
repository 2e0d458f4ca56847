// Real libraries over two emulated stacks on the real clock (src/links/realtime.ts): node:http
// (a keep-alive GET loop and a chunked upload), ws (WebSocket) and mqtt + aedes (MQTT client
// and broker), each on a clean link and with 2% loss + 2% reordering. Nothing drives the Sim
// but the real-time driver; the libraries use their own timers and stream events.
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { MqttClient } from "mqtt";
import { Aedes } from "aedes";
import { emulatedPair, Pair } from "../src/fleet.js";
import type { Socket } from "../src/net.js";

const CASES = [
  { name: "clean", link: {} },
  { name: "2% loss + 2% reordering", link: { loss: 0.02, reorder: 0.02, reorderDelayMs: 3 } },
];

let pair: Pair | null = null;
afterEach(() => { pair?.close(); pair = null; });

/** The impairments did act (frames lost and held back), and no slice blocked the event loop for long. */
function checkRun(p: Pair, link: { loss?: number }): void {
  if (link.loss) expect(p.link.dropped).toBeGreaterThan(0);
  else expect(p.link.dropped).toBe(0);
  expect(p.rt!.slices).toBeGreaterThan(0);
  expect(p.rt!.longestSliceMs).toBeLessThan(250); // 4 ms budget; a host shared by many processes preempts us for tens of ms
}

/** An http.Agent whose connections are sockets of stack `a`. */
function agentOn(p: Pair, keepAlive: boolean): http.Agent {
  const agent = new http.Agent({ keepAlive, maxSockets: 1 });
  (agent as unknown as { createConnection: (o: { host: string; port: number }) => Socket }).createConnection =
    (o) => p.a.connect({ host: o.host, port: o.port });
  return agent;
}

function request(agent: http.Agent, opts: http.RequestOptions, body?: (req: http.ClientRequest) => void): Promise<{ res: http.IncomingMessage; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "198.51.100.2", port: 80, agent, ...opts }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ res, data: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body) body(req); else req.end();
  });
}

describe.each(CASES)("node:http over two real-time emulated stacks ($name)", ({ link }) => {
  it("a keep-alive GET loop reuses one connection; a chunked upload arrives intact", async () => {
    const p = pair = emulatedPair({ simSeed: 7, ...link });
    const served: number[] = [];
    const srv = http.createServer((req, res) => {
      if (req.method === "GET") {
        served.push((req.socket as unknown as Socket).remotePort ?? -1);
        res.end(`hello ${req.url}`);
        return;
      }
      const h = createHash("sha256");
      let n = 0;
      req.on("data", (d: Buffer) => { h.update(d); n += d.length; });
      req.on("end", () => res.end(JSON.stringify({ n, sha: h.digest("hex"), te: req.headers["transfer-encoding"] })));
    });
    const listener = p.b.createServer((s) => srv.emit("connection", s)).listen(80);
    const agent = agentOn(p, true);
    for (let i = 0; i < 40; i++) {
      const { res, data } = await request(agent, { path: `/${i}` });
      expect(res.statusCode).toBe(200);
      expect(data.toString()).toBe(`hello /${i}`);
    }
    expect(new Set(served).size).toBe(1); // one keep-alive connection carried every GET

    const chunk = Buffer.alloc(16 * 1024);
    const want = createHash("sha256");
    const { data } = await request(agent, { method: "POST", path: "/up" }, (req) => {
      let i = 0;
      const more = () => {
        while (i < 64) { // 1 MiB in 64 chunks: Transfer-Encoding: chunked
          chunk.fill(i & 0xff);
          want.update(chunk);
          i++;
          if (!req.write(chunk)) { req.once("drain", more); return; }
        }
        req.end();
      };
      more();
    });
    expect(JSON.parse(data.toString())).toEqual({ n: 1 << 20, sha: want.digest("hex"), te: "chunked" });
    agent.destroy();
    listener.close();
    checkRun(p, link);
  }, 60_000);
});

describe.each(CASES)("ws (WebSocket) over two real-time emulated stacks ($name)", ({ link }) => {
  it("echoes 200 messages in order and one 256 KiB binary message", async () => {
    const p = pair = emulatedPair({ simSeed: 8, ...link });
    const wss = new WebSocketServer({ noServer: true });
    const srv = http.createServer();
    srv.on("upgrade", (req, sock, head) => wss.handleUpgrade(req, sock, head, (ws) => {
      ws.on("message", (m, binary) => ws.send(m, { binary }));
    }));
    const listener = p.b.createServer((s) => srv.emit("connection", s)).listen(8080);
    const ws = new WebSocket("ws://198.51.100.2:8080/echo", {
      createConnection: (() => p.a.connect({ host: "198.51.100.2", port: 8080 })) as never,
    });
    await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
    const got: string[] = [];
    const big = Buffer.alloc(256 * 1024, 0x5a);
    let bigBack: Buffer | null = null;
    const done = new Promise<void>((resolve) => ws.on("message", (m: Buffer, binary) => {
      if (binary) bigBack = m; else got.push(m.toString());
      if (got.length === 200 && bigBack) resolve();
    }));
    for (let i = 0; i < 200; i++) ws.send(`msg ${i}`);
    ws.send(big);
    await done;
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `msg ${i}`));
    expect(Buffer.compare(bigBack!, big)).toBe(0);
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    ws.close(1000, "bye");
    expect(await closed).toBe(1000);
    listener.close();
    wss.close();
    checkRun(p, link);
  }, 60_000);
});

describe.each(CASES)("mqtt client and aedes broker over two real-time emulated stacks ($name)", ({ link }) => {
  it("subscribes, and receives QoS 0 and QoS 1 publications in order", async () => {
    const p = pair = emulatedPair({ simSeed: 9, ...link });
    const broker = await Aedes.createBroker();
    const listener = p.b.createServer((s) => broker.handle(s as never)).listen(1883);
    const mk = (id: string) => new MqttClient(() => p.a.connect({ host: "198.51.100.2", port: 1883 }) as never, {
      clientId: id, keepalive: 30, reconnectPeriod: 0, protocolVersion: 4,
    });
    const sub = mk("sub"), pub = mk("pub");
    await Promise.all([sub, pub].map((c) => new Promise<void>((resolve, reject) => { c.once("connect", () => resolve()); c.once("error", reject); })));
    await sub.subscribeAsync("dev/+/temp", { qos: 1 });
    const got: string[] = [];
    const all = new Promise<void>((resolve) => sub.on("message", (topic, payload) => {
      got.push(`${topic}=${payload.toString()}`);
      if (got.length === 100) resolve();
    }));
    for (let i = 0; i < 100; i++) await pub.publishAsync(`dev/${i % 5}/temp`, String(i), { qos: i % 2 === 0 ? 1 : 0 });
    await all;
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `dev/${i % 5}/temp=${i}`));
    await Promise.all([sub.endAsync(), pub.endAsync()]);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    listener.close();
    const addr = listener.address() as AddressInfo | null;
    expect(addr).toBeNull();
    checkRun(p, link);
  }, 60_000);
});
