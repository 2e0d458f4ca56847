// src/services.ts over the emulated link: echo (RFC 862), discard (RFC 863), the HTTP/1.1
// server (RFC 9112) and the HTTP client `wasm-tcpip get` uses. Deterministic (virtual time).
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { Sim } from "../src/links/emulated.js";
import { createStack, NetStack, Socket } from "../src/net.js";
import { discardServer, echoServer, httpGet, httpServer, parseHttpUrl, patternBytes, patternSlice } from "../src/services.js";

const SRV = "198.51.100.2";

function env(seed = 5, link = { delayMs: 1 }): { sim: Sim; cli: NetStack; srv: NetStack } {
  const sim = new Sim({ seed });
  const l = sim.link(link);
  const mk = (ip: string, mac: string, s: number) => createStack({ ip: `${ip}/24`, mac, seed: s, link: { type: "emulated", sim, link: l } });
  return { sim, cli: mk("198.51.100.1", "02:00:00:00:00:01", seed + 1), srv: mk(SRV, "02:00:00:00:00:02", seed + 2) };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Send `req` on a fresh connection, collect everything until the server closes. */
async function exchange(cli: NetStack, port: number, req: string | Buffer, opts: { halfClose?: boolean } = {}) {
  const out = { data: Buffer.alloc(0), closed: false, error: "" };
  const c: Socket = cli.connect({ host: SRV, port, allowHalfOpen: true }, () => {
    if (opts.halfClose) c.end(req); else c.write(req);
  });
  c.on("data", (d: Buffer) => { out.data = Buffer.concat([out.data, d]); });
  c.on("end", () => c.end());
  c.on("close", () => { out.closed = true; });
  c.on("error", (e: NodeJS.ErrnoException) => { out.error = e.code ?? e.message; });
  await cli.until(() => out.closed, 120_000);
  return out;
}

/** Split a byte stream into HTTP/1.1 responses framed by Content-Length. */
function responses(b: Buffer): { status: number; headers: Record<string, string>; body: Buffer }[] {
  const out = [];
  let off = 0;
  while (off < b.length) {
    const end = b.indexOf("\r\n\r\n", off);
    if (end < 0) throw new Error("truncated head");
    const [line, ...hs] = b.subarray(off, end).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const h of hs) { const i = h.indexOf(":"); headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim(); }
    const len = Number(headers["content-length"]);
    const head = line.startsWith("HTTP/1.1 ") ? Number(line.slice(9, 12)) : -1;
    out.push({ status: head, headers, body: b.subarray(end + 4, end + 4 + len) });
    off = end + 4 + len;
  }
  return out;
}

describe("services", () => {
  it("the /bytes/N pattern: byte i is i mod 251, at any offset", () => {
    const b = patternBytes(100_000);
    for (const i of [0, 1, 250, 251, 252, 65_259, 65_260, 99_999]) expect(b[i]).toBe(i % 251);
    const s = patternSlice(1000, 70_000);
    expect(s.length).toBe(65_260);
    expect(s[0]).toBe(1000 % 251);
    expect(s[s.length - 1]).toBe((1000 + s.length - 1) % 251);
  });

  it("RFC 862 echo: keeps echoing after the client's FIN and closes only when everything went back (half-close)", async () => {
    const { cli, srv } = env();
    echoServer(srv, 7);
    const data = Buffer.from(patternBytes(300_000).map((x) => x ^ 0x5a));
    const r = await exchange(cli, 7, data, { halfClose: true });
    expect(r.error).toBe("");
    expect(r.data.length).toBe(data.length);
    expect(sha(r.data)).toBe(sha(data));
    // the server went through CLOSE-WAIT (still sending) before LAST-ACK
    const path = srv.history.filter((h) => h.to !== "LISTEN").map((h) => h.to);
    expect(path.indexOf("CLOSE-WAIT")).toBeGreaterThanOrEqual(0);
    expect(path.indexOf("LAST-ACK")).toBeGreaterThan(path.indexOf("CLOSE-WAIT"));
  });

  it("RFC 863 discard: reads everything, sends nothing, closes after the client", async () => {
    const { cli, srv } = env();
    discardServer(srv, 9);
    const r = await exchange(cli, 9, Buffer.alloc(200_000, 1), { halfClose: true });
    expect(r.error).toBe("");
    expect(r.data.length).toBe(0);
    await srv.until(() => false, 10); // our last ACK reaches the server in LAST-ACK
    const info = srv.stats();
    expect(info.tcp_conns_closed).toBe(1);
  });

  it("HTTP/1.1 GET /bytes/N: N bytes with Content-Length, byte i = i mod 251; Connection: close honoured", async () => {
    const { cli, srv } = env();
    httpServer(srv, 80);
    const r = await exchange(cli, 80, "GET /bytes/1000000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const [res, ...more] = responses(r.data);
    expect(more).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe("1000000");
    expect(res.headers["connection"]).toBe("close");
    expect(sha(res.body)).toBe(sha(patternBytes(1_000_000)));
    expect(r.closed).toBe(true);
  });

  it("RFC 9112 §9.3: persistent connection — pipelined requests answered in order on one connection", async () => {
    const { cli, srv } = env();
    httpServer(srv, 80);
    const req = "GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /bytes/5 HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const r = await exchange(cli, 80, req);
    const heads = [...r.data.toString("latin1").matchAll(/HTTP\/1\.1 \d{3} [A-Za-z ]+(?=\r\n)/g)].map((m) => m[0]);
    expect(heads).toEqual(["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 200 OK"]);
    expect(r.data.toString("latin1")).toContain("\r\n\r\n" + String.fromCharCode(...patternBytes(10)) + "HTTP/1.1 200 OK");
    expect(r.data.toString("latin1")).toContain("Content-Length: 5\r\nConnection: keep-alive\r\nServer: wasm-tcpip\r\n\r\nHTTP/1.1 404");
    expect(r.data.toString()).toMatch(/sockets:\n\s*State\s+Recv-Q/);
    expect(r.data.toString()).toContain("counters:");
    expect(r.closed).toBe(true);
    expect(srv.stats().tcp_conns_opened).toBe(1);
  });

  it("HTTP/1.0 without keep-alive closes after the response; malformed requests get 400 and a close", async () => {
    const { cli, srv } = env();
    httpServer(srv, 80);
    const r10 = await exchange(cli, 80, "GET /bytes/3 HTTP/1.0\r\n\r\n");
    expect(r10.data.toString("latin1")).toMatch(/^HTTP\/1\.1 200 OK\r\n.*Connection: close/s);
    expect(r10.closed).toBe(true);
    const bad = await exchange(cli, 80, "HELLO\r\n\r\n");
    expect(bad.data.toString("latin1")).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(bad.closed).toBe(true);
  });

  it("httpGet: downloads through our stack (Content-Length framing), status and body intact", async () => {
    const { cli, srv } = env();
    httpServer(srv, 8080);
    let res: Awaited<ReturnType<typeof httpGet>> | null = null;
    void httpGet(cli, `http://${SRV}:8080/bytes/2000000`).then((r) => { res = r; });
    expect(await cli.until(() => res !== null, 120_000)).toBe(true);
    expect(res!.status).toBe(200);
    expect(res!.bytes).toBe(2_000_000);
    expect(sha(res!.body!)).toBe(sha(patternBytes(2_000_000)));
  });

  it("httpGet: chunked transfer coding (RFC 9112 §7.1) and read-until-close bodies", async () => {
    const { cli, srv } = env();
    srv.createServer((s) => {
      s.once("data", () => s.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-T: 1\r\n\r\n"));
    }).listen(81);
    srv.createServer((s) => { s.once("data", () => s.end("HTTP/1.0 200 OK\r\n\r\nuntil close")); }).listen(82);
    const got: string[] = [];
    void httpGet(cli, `http://${SRV}:81/`).then((r) => got.push(r.body!.toString()));
    void httpGet(cli, `http://${SRV}:82/`).then((r) => got.push(r.body!.toString()));
    expect(await cli.until(() => got.length === 2, 10_000)).toBe(true);
    expect(got.sort()).toEqual(["hello, world", "until close"]);
  });

  it("httpGet: a refused connection rejects with ECONNREFUSED", async () => {
    const { cli } = env();
    let err: NodeJS.ErrnoException | null = null;
    void httpGet(cli, `http://${SRV}:8081/`).catch((e) => { err = e; });
    expect(await cli.until(() => err !== null, 10_000)).toBe(true);
    expect(err!.code).toBe("ECONNREFUSED");
  });

  it("parseHttpUrl: IPv4 literal URLs only", () => {
    expect(parseHttpUrl("http://198.51.100.1:8000/a/b?c")).toEqual({ host: "198.51.100.1", port: 8000, path: "/a/b?c" });
    expect(parseHttpUrl("http://198.51.100.1")).toEqual({ host: "198.51.100.1", port: 80, path: "/" });
    expect(() => parseHttpUrl("https://example.com/")).toThrow(/unsupported URL/);
  });
});
