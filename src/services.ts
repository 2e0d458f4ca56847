// Small network services on top of src/net.ts, used by `wasm-tcpip up` and the tests:
// echo (RFC 862, TCP and UDP), discard (RFC 863), and an HTTP/1.1 server (RFC 9112) with a status
// page and /bytes/N; plus a minimal HTTP/1.1 client for `wasm-tcpip get`. On a stack with IPv6
// every service listens on IPv4 and IPv6 (node:net's "::" dual-stack listener, a udp6 socket).

import { NetStack, Server, Socket, SocketInfo, formatSockets } from "./net.js";
import type { Socket as DgramSocket, UdpSocketInfo } from "./dgram.js";
import type { LookupAddress } from "./lookup.js";
import { ip6ToBytes } from "./stack.js";

// ---------------------------------------------------------------------------
// Echo and discard

/**
 * RFC 862 echo. Half-close aware: after the client's FIN we keep echoing what is still
 * queued and send our FIN only when everything went back (pipe ends the write side
 * when the read side ends).
 */
export function echoServer(net: NetStack, port = 7): Server {
  return net.createServer({ allowHalfOpen: true }, (s) => {
    s.on("error", () => { /* counted by the core; the socket closes */ });
    s.pipe(s);
  }).listen(port);
}

/**
 * RFC 862 echo over UDP: every datagram goes back to its sender unchanged. Bound on `port`
 * (any address); 'listening' or 'error' (EADDRINUSE...) follows on the returned socket.
 */
export function udpEchoServer(net: NetStack, port = 7): DgramSocket {
  const s = net.createSocket(net.ipv6 ? "udp6" : "udp4"); // udp6: dual-stack, IPv4 peers keep their dotted addresses
  s.on("message", (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address, () => { /* a failed send (no ARP answer...) is dropped like a lost datagram: the client retries */ }));
  return s.bind(port);
}

/** RFC 863 discard: read and throw away; close when the client closes. */
export function discardServer(net: NetStack, port = 9): Server {
  return net.createServer((s) => {
    s.on("error", () => { /* the socket closes */ });
    s.resume();
  }).listen(port);
}

// ---------------------------------------------------------------------------
// /bytes/N payload: byte i is (i mod 251)

const PATTERN_PERIOD = 251;
const PATTERN = (() => {
  const b = Buffer.alloc(PATTERN_PERIOD * 261); // 65511 bytes: any window of 65260 starts in the first period
  for (let i = 0; i < b.length; i++) b[i] = i % PATTERN_PERIOD;
  return b;
})();

/** Bytes [offset, offset + len) of the /bytes/N pattern (len <= 65260). */
export function patternSlice(offset: number, len: number): Buffer {
  const start = offset % PATTERN_PERIOD;
  return PATTERN.subarray(start, start + Math.min(len, PATTERN.length - PATTERN_PERIOD));
}

/** The whole /bytes/N body (for tests and small N). */
export function patternBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let off = 0; off < n;) {
    const s = patternSlice(off, n - off);
    s.copy(out, off);
    off += s.length;
  }
  return out;
}

/** Write `n` pattern bytes to `s` with backpressure; resolves when all are queued (false if the socket died). */
function writePattern(s: Socket, n: number): Promise<boolean> {
  return new Promise((resolve) => {
    let off = 0;
    const onClose = () => resolve(false);
    s.once("close", onClose);
    const pump = () => {
      while (off < n) {
        if (s.destroyed) return;
        const chunk = patternSlice(off, Math.min(n - off, 65260));
        off += chunk.length;
        if (!s.write(chunk)) { s.once("drain", pump); return; }
      }
      s.off("close", onClose);
      resolve(true);
    };
    pump();
  });
}

// ---------------------------------------------------------------------------
// HTTP/1.1 server

export interface HttpServerOptions {
  /** Largest /bytes/N served (default 1 GiB). */
  maxBytes?: number;
  /** Extra lines for the status page. */
  status?: () => string;
  /** Called once per request (method, path, status code). */
  onRequest?: (method: string, path: string, status: number) => void;
}

const MAX_HEAD = 16 * 1024;

interface Request { method: string; target: string; version: string; headers: Map<string, string> }

/** Parse one request head (without the final CRLFCRLF); null when malformed. */
function parseHead(head: string): Request | null {
  const lines = head.split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/(1\.[01])$/.exec(lines[0]);
  if (!m) return null;
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i <= 0 || /\s/.test(l.slice(0, i))) return null;
    const k = l.slice(0, i).toLowerCase();
    const v = l.slice(i + 1).trim();
    headers.set(k, headers.has(k) ? `${headers.get(k)}, ${v}` : v);
  }
  return { method: m[1], target: m[2], version: m[3], headers };
}

function wantsKeepAlive(r: Request): boolean {
  const conn = (r.headers.get("connection") ?? "").toLowerCase().split(",").map((x) => x.trim());
  if (r.version === "1.0") return conn.includes("keep-alive");
  return !conn.includes("close");
}

const REASONS: Record<number, string> = {
  200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 413: "Content Too Large",
  431: "Request Header Fields Too Large", 501: "Not Implemented",
};

/** `ss -uan`-style text for UDP sockets: UNCONN or ESTAB (connected), queue bytes and datagrams, drops on a full queue. */
export function formatUdpSockets(list: UdpSocketInfo[]): string {
  const rows = [["State", "Recv-Q", "Datagrams", "Drops", "Local Address:Port", "Peer Address:Port"]];
  for (const s of list) {
    rows.push([s.remoteAddress ? "ESTAB" : "UNCONN", String(s.recvQ), String(s.datagrams), String(s.drops),
      `${bracket(s.localAddress)}:${s.localPort}`, s.remoteAddress ? `${bracket(s.remoteAddress)}:${s.remotePort}` : "0.0.0.0:*"]);
  }
  return table(rows).join("\n");
}

/** The DHCP client's state and lease as one line (RFC 2131 state, address, server, seconds left). */
export function formatDhcp(d: ReturnType<NetStack["dhcpInfo"]>): string {
  if (d.state === "STOPPED") return "dhcp: STOPPED (static address)";
  const secs = (n: number) => (n === 0xffffffff ? "infinite" : `${n} s`);
  const parts = [`dhcp: ${d.state}`];
  if (d.address) parts.push(`${d.address}/${d.prefixLen}`);
  if (d.serverId) parts.push(`server ${d.serverId}`);
  if (d.router) parts.push(`router ${d.router}`);
  if (d.leaseSecs) parts.push(`lease ${secs(d.leaseSecs)}, ${secs(d.leaseLeft)} left (T1 in ${d.t1Left} s, T2 in ${d.t2Left} s)`);
  if (d.retries) parts.push(`retries ${d.retries}`);
  if (d.declines) parts.push(`declines ${d.declines}`);
  return parts.join(" ");
}

/** An IPv6 address in brackets (before a ":port"), others as they are. */
function bracket(a: string): string { return a.includes(":") ? `[${a}]` : a; }

/** Seconds left as text ("forever" for 0xffffffff). */
export function secsLeft(n: number): string { return n === 0xffffffff ? "forever" : `${n} s`; }

/** Rows as columns padded to the widest cell (the first row is the heading). */
function table(rows: string[][]): string[] {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd());
}

/**
 * The IPv6 part of the status page: the layer's parameters, every address with its origin,
 * state (RFC 4862: tentative, preferred, deprecated; duplicate when DAD failed) and lifetimes
 * left, the neighbor cache (RFC 4861 §7.3.2 NUD states, router flag), the IPv6 DNS servers given
 * (--dns, setDns; a line only when there are some) and the RDNSS ones.
 */
export function formatIpv6(net: NetStack): string[] {
  if (!net.ipv6) return ["ipv6: off"];
  const st = net.stack;
  const i = st.ip6Info();
  const addrs = st.ip6Addresses();
  const neigh = st.ip6Neighbors();
  const dns = st.ip6DnsServers();
  const given = net.getServers().filter((a) => a.includes(":"));
  return [
    `ipv6: on, link MTU ${i.linkMtu}, hop limit ${i.hopLimit}, ${i.routers} default router(s), ${i.prefixes} on-link prefix(es), ` +
      `reachable time ${i.reachableMs} ms`,
    "",
    "ipv6 addresses:",
    ...table([["Address", "Origin", "State", "Valid", "Preferred"],
      ...addrs.map((a) => [`${a.address}/${a.prefix}`, a.origin, a.state, secsLeft(a.validLeft), secsLeft(a.preferredLeft)])]),
    "",
    "ipv6 neighbors:",
    ...table([["Address", "MAC", "State", "Router", "Probes", "Queued"],
      ...neigh.map((n) => [n.address, n.state === "INCOMPLETE" ? "(incomplete)" : n.mac, n.state, n.isRouter ? "yes" : "no", String(n.probes), String(n.queued)])]),
    "",
    ...(given.length ? [`ipv6 dns servers (set): ${given.join(", ")}`] : []),
    `ipv6 dns servers (RDNSS): ${dns.length ? dns.map((d) => `${d.address} (${secsLeft(d.lifetimeLeft)} left)`).join(", ") : "none"}`,
  ];
}

/** Socket rows with IPv6 addresses bracketed (so "addr:port" reads as ss prints it), TIME-WAIT rows included. */
function bracketRows(list: SocketInfo[]): SocketInfo[] {
  return list.map((r) => ({ ...r, localAddress: bracket(r.localAddress), remoteAddress: bracket(r.remoteAddress) }));
}

/** The status page: addresses, DHCP lease, IPv6 addresses and neighbors, counters that moved, the TCP and UDP socket tables. */
export function statusPage(net: NetStack, extra = ""): string {
  net.stack.poll(); // the core's lease clock (dhcpInfo's seconds left) is as of its latest poll: make that now
  net.stack.wake();
  const stats = Object.entries(net.stats()).filter(([, v]) => v !== 0);
  const ifc = net.ifaceInfo();
  return [
    `wasm-tcpip ${ifc.address ? `${ifc.address}/${ifc.prefix}` : "(no address)"}`,
    `uptime ${(net.now() / 1000).toFixed(1)} s`,
    formatDhcp(net.dhcpInfo()),
    ...formatIpv6(net),
    "",
    "sockets:",
    formatSockets(bracketRows(net.sockets())),
    "",
    "udp sockets:",
    formatUdpSockets(net.udpSockets()),
    "",
    "counters:",
    ...stats.map(([k, v]) => `  ${k.padEnd(28)} ${v}`),
    ...(extra ? ["", extra] : []),
    "",
  ].join("\n");
}

/**
 * HTTP/1.1: `GET /` status page, `GET /bytes/N` N bytes (byte i = i mod 251), HEAD of
 * both. Persistent connections unless the client says close (or speaks HTTP/1.0 without
 * keep-alive); requests on one connection are answered in order. Request bodies are
 * refused (413) since no resource takes one.
 */
export function httpServer(net: NetStack, port = 80, opts: HttpServerOptions = {}): Server {
  const maxBytes = opts.maxBytes ?? 1 << 30;
  return net.createServer({ allowHalfOpen: true }, (s) => {
    s.on("error", () => { /* connection gone */ });
    let buf: Buffer = Buffer.alloc(0);
    let busy = false;
    let peerEnded = false;
    const respond = async (r: Request | null, tooLarge: boolean): Promise<boolean> => {
      let code = 200;
      let body: Buffer | null = null;
      let length = 0;
      let type = "text/plain; charset=utf-8";
      let keep = r !== null && wantsKeepAlive(r);
      const path = r ? r.target.split("?")[0] : "";
      const bytes = /^\/bytes\/(\d{1,12})$/.exec(path);
      if (tooLarge) { code = 431; keep = false; }
      else if (!r) { code = 400; keep = false; }
      else if (r.headers.has("transfer-encoding") || Number(r.headers.get("content-length") ?? "0") > 0) { code = 413; keep = false; }
      else if (r.method !== "GET" && r.method !== "HEAD") code = 405;
      else if (path === "/") body = Buffer.from(statusPage(net, opts.status?.() ?? ""));
      else if (bytes && Number(bytes[1]) <= maxBytes) { length = Number(bytes[1]); type = "application/octet-stream"; }
      else code = 404;
      if (code !== 200) body = Buffer.from(`${code} ${REASONS[code]}\n`);
      if (body) length = body.length;
      opts.onRequest?.(r?.method ?? "?", path, code);
      const head = [`HTTP/1.1 ${code} ${REASONS[code]}`, `Content-Type: ${type}`, `Content-Length: ${length}`,
        `Connection: ${keep ? "keep-alive" : "close"}`, "Server: wasm-tcpip"];
      if (code === 405) head.push("Allow: GET, HEAD");
      s.write(head.join("\r\n") + "\r\n\r\n");
      if (r?.method !== "HEAD") {
        if (body) s.write(body);
        else if (!(await writePattern(s, length))) return false;
      }
      if (!keep) s.end();
      return keep;
    };
    const serve = async () => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          const end = buf.indexOf("\r\n\r\n");
          if (end > MAX_HEAD || (end < 0 && buf.length > MAX_HEAD)) { await respond(null, true); return; } // 431, whether or not the head ended
          if (end < 0) {
            if (peerEnded) { s.end(); return; } // the client is done and nothing is pending
            return;
          }
          const head = buf.subarray(0, end).toString("latin1");
          buf = buf.subarray(end + 4);
          if (!(await respond(parseHead(head), false))) return;
        }
      } finally {
        busy = false;
      }
    };
    s.on("data", (d: Buffer) => { buf = buf.length ? Buffer.concat([buf, d]) : d; void serve(); });
    s.on("end", () => { peerEnded = true; void serve(); });
  }).listen(port);
}

// ---------------------------------------------------------------------------
// HTTP/1.1 client

export interface HttpResponse {
  status: number;
  reason: string;
  headers: Map<string, string>;
}

export interface GetOptions {
  /** Called with each body chunk (the body is not kept when given). */
  onData?: (chunk: Buffer) => void;
  /** Called when the connection is established (before the request goes out). */
  onConnect?: () => void;
  /** Called when the head arrived. */
  onResponse?: (r: HttpResponse) => void;
  /** Give up after this many ms of the stack's clock (default 60 s). */
  timeoutMs?: number;
}

export interface GetResult extends HttpResponse { bytes: number; body: Buffer | null }

/**
 * Split "http://host[:port]/path"; host is an IPv4 literal, a name, or an IPv6 literal in brackets
 * (RFC 3986 §3.2.2: "http://[2001:db8::1]:8000/"; a zone, RFC 6874 "%25...", is dropped: one
 * interface). `host` comes back without brackets.
 */
export function parseHttpUrl(url: string): { host: string; port: number; path: string } {
  const m = /^http:\/\/(?:([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)|\[([^\]%\s/]+)(?:%25[A-Za-z0-9._~-]+)?\])(?::(\d{1,5}))?(\/[^\s#]*)?$/.exec(url);
  if (!m) throw new Error(`unsupported URL ${url} (want http://HOST[:PORT]/PATH, an IPv6 HOST in brackets)`);
  if (m[2] !== undefined) {
    try { ip6ToBytes(m[2]); } catch { throw new Error(`bad IPv6 address [${m[2]}] in ${url}`); }
  }
  const port = m[3] ? Number(m[3]) : 80;
  if (port < 1 || port > 65535) throw new Error(`bad port in ${url}`);
  return { host: m[1] ?? m[2], port, path: m[4] ?? "/" };
}

/**
 * The addresses to try for `host`, best first: a literal itself; for a name its A and AAAA
 * records (AAAA only with IPv6 on), those of the family the stack can reach first (RFC 6724 §6
 * prefers IPv6 when both can: a global IPv6 address usable; IPv4 needs an address), the other
 * family after them as a fallback.
 */
export async function addressesFor(net: NetStack, host: string, waitMs = 10_000): Promise<string[]> {
  if (net.ipv6) await ip6Settle(net, host, waitMs);
  return new Promise((resolve, reject) => {
    net.lookup(host, { all: true, family: net.ipv6 ? 0 : 4 }, (err: NodeJS.ErrnoException | null, list: LookupAddress[]) => {
      if (err) { reject(err); return; }
      const v6 = list.filter((x) => x.family === 6).map((x) => x.address);
      const v4 = list.filter((x) => x.family === 4).map((x) => x.address);
      const v4ok = (net.ifaceInfo().address ?? "0.0.0.0") !== "0.0.0.0";
      const v6ok = net.ipv6 && net.stack.ip6Addresses().some((a) => a.origin !== "link-local" && (a.state === "preferred" || a.state === "deprecated"));
      resolve(v6ok || !v4ok ? [...v6, ...v4] : [...v4, ...v6]);
    });
  });
}

/** A usable (preferred or deprecated) IPv6 address of ours: link-local, or of a wider scope. */
function haveIp6(net: NetStack, linkLocal: boolean): boolean {
  return net.stack.ip6Addresses().some((a) => (a.origin === "link-local") === linkLocal && (a.state === "preferred" || a.state === "deprecated"));
}

/**
 * Right after start IPv6 is still configuring (DAD about a second, SLAAC and RDNSS after the first
 * router advertisement). Wait, at most `ms`, for what reaching `host` needs: for an IPv6 literal a
 * source address of its scope; for a name without any DNS server (none given, no DHCP) an RDNSS
 * server and an address to ask it from; for a name otherwise nothing more than DAD on addresses
 * already formed. Returns at once when nothing is pending.
 */
export async function ip6Settle(net: NetStack, host: string, ms: number): Promise<void> {
  const st = net.stack;
  const tentative = () => st.ip6Addresses().some((a) => a.state === "tentative");
  if (host.includes(":")) {
    const ll = /^fe[89ab]/i.test(host);
    await net.until(() => haveIp6(net, ll), ms);
    return;
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return;
  if (net.getServers().length === 0) {
    await net.until(() => st.ip6DnsServers().length > 0 && (haveIp6(net, false) || haveIp6(net, true)) && !tentative(), ms);
    return;
  }
  await net.until(() => !tentative(), Math.min(ms, 3000));
}

/**
 * Connect to the first of `addrs` that answers: a refused or unreachable address (or one silent for
 * `attemptMs` while others remain) gives way to the next. Rejects with the last error.
 */
export function connectFirst(net: NetStack, addrs: string[], port: number, attemptMs = 3000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let k = 0;
    const next = (lastErr?: Error) => {
      if (k >= addrs.length) { reject(lastErr ?? new Error("no address to connect to")); return; }
      const addr = addrs[k++];
      const last = k === addrs.length;
      const sock = net.connect({ host: addr, port });
      const timer = last ? undefined : setTimeout(() => { cleanup(); sock.destroy(); next(Object.assign(new Error(`connect ETIMEDOUT ${addr}:${port}`), { code: "ETIMEDOUT" })); }, attemptMs);
      const onErr = (e: Error) => { cleanup(); next(e); };
      const onConnect = () => { cleanup(); resolve(sock); };
      const cleanup = () => { clearTimeout(timer); sock.off("error", onErr); sock.off("connect", onConnect); };
      sock.once("error", onErr);
      sock.once("connect", onConnect);
    };
    next();
  });
}

/**
 * GET a URL through our stack (HTTP/1.1, Connection: close). The body is framed by
 * Content-Length, chunked transfer coding, or the end of the connection.
 */
export async function httpGet(net: NetStack, url: string, opts: GetOptions = {}): Promise<GetResult> {
  const { host, port, path } = parseHttpUrl(url);
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const timedOut = () => new Error(`GET ${url}: timed out`);
  let ttimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { ttimer = setTimeout(() => reject(timedOut()), timeoutMs); });
  let sock: Socket;
  try {
    const addrs = await Promise.race([addressesFor(net, host), deadline]);
    sock = await Promise.race([connectFirst(net, addrs, port), deadline]);
  } finally {
    clearTimeout(ttimer);
  }
  opts.onConnect?.();
  sock.write(`GET ${path} HTTP/1.1\r\nHost: ${bracket(host)}${port === 80 ? "" : `:${port}`}\r\n` +
    "User-Agent: wasm-tcpip\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  return new Promise((resolve, reject) => {
    let head: Buffer = Buffer.alloc(0);
    let res: HttpResponse | null = null;
    let length = -1;
    let bytes = 0;
    let chunked: ChunkDecoder | null = null;
    let done = false;
    const bodyParts: Buffer[] = [];
    const timer = setTimeout(() => fail(timedOut()), Math.max(1, timeoutMs - (Date.now() - t0)));
    timer.unref?.();
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.end();
      sock.resume();
      resolve({ ...res!, bytes, body: opts.onData ? null : Buffer.concat(bodyParts) });
    };
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    const body = (d: Buffer) => {
      if (d.length === 0) return;
      bytes += d.length;
      if (opts.onData) opts.onData(d); else bodyParts.push(d);
    };
    const onBody = (d: Buffer) => {
      if (chunked) {
        const r = chunked.push(d, body);
        if (r === "error") fail(new Error(`GET ${url}: bad chunked encoding`));
        else if (r === "done") finish();
        return;
      }
      if (length >= 0 && bytes + d.length > length) d = d.subarray(0, length - bytes);
      body(d);
      if (length >= 0 && bytes >= length) finish();
    };
    sock.on("data", (d: Buffer) => {
      if (done) return;
      if (res) { onBody(d); return; }
      head = Buffer.concat([head, d]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > MAX_HEAD) fail(new Error(`GET ${url}: response head too large`));
        return;
      }
      const lines = head.subarray(0, end).toString("latin1").split("\r\n");
      const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
      if (!m) { fail(new Error(`GET ${url}: bad status line ${JSON.stringify(lines[0])}`)); return; }
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(":");
        if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      res = { status: Number(m[1]), reason: m[2], headers };
      opts.onResponse?.(res);
      if ((headers.get("transfer-encoding") ?? "").toLowerCase().includes("chunked")) chunked = new ChunkDecoder();
      else if (headers.has("content-length")) length = Number(headers.get("content-length"));
      const rest = head.subarray(end + 4);
      head = Buffer.alloc(0);
      if (length === 0) finish();
      else onBody(rest);
    });
    sock.on("end", () => {
      if (done) return;
      if (!res) fail(new Error(`GET ${url}: connection closed before a response`));
      else if (chunked || (length >= 0 && bytes < length)) fail(new Error(`GET ${url}: connection closed after ${bytes} body bytes`));
      else finish();
    });
    sock.on("error", (e) => fail(e));
  });
}

/** Chunked transfer coding (RFC 9112 §7.1), incremental. */
class ChunkDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private left = -1; // bytes left in the current chunk (+2 for its CRLF); -1 = expecting a size line
  private trailer = false;

  push(d: Buffer, out: (b: Buffer) => void): "more" | "done" | "error" {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.trailer) {
        const e = this.buf.indexOf("\r\n");
        if (e < 0) return "more";
        const line = this.buf.subarray(0, e);
        this.buf = this.buf.subarray(e + 2);
        if (line.length === 0) return "done";
        continue;
      }
      if (this.left < 0) {
        const e = this.buf.indexOf("\r\n");
        if (e < 0) return this.buf.length > 1024 ? "error" : "more";
        const size = parseInt(this.buf.subarray(0, e).toString("latin1").split(";")[0].trim(), 16);
        this.buf = this.buf.subarray(e + 2);
        if (!Number.isFinite(size) || size < 0) return "error";
        if (size === 0) { this.trailer = true; continue; }
        this.left = size + 2;
      }
      if (this.buf.length === 0) return "more";
      const take = Math.min(this.left, this.buf.length);
      const data = Math.min(take, Math.max(0, this.left - 2));
      out(this.buf.subarray(0, data));
      this.buf = this.buf.subarray(take);
      this.left -= take;
      if (this.left === 0) this.left = -1;
    }
  }
}
