// `wasm-tcpip up`, `get`, `resolve` and `time`: our stack on a real TAP device (src/cli.ts
// dispatches here). Bad usage: one line on stderr, exit code 2; a failure: one line, exit 1.

import { closeSync, openSync, writeSync } from "node:fs";
import { EventKind } from "./abi.js";
import { createStack, type CreateStackOptions, NetStack } from "./net.js";
import type { DhcpLease } from "./dhcp.js";
import { discardServer, echoServer, httpGet, httpServer, ip6Settle, parseHttpUrl, secsLeft, udpEchoServer } from "./services.js";
import { ip6ToBytes, ipToU32, parseMac, u32ToIp } from "./stack.js";

export interface NetCliIo {
  out(line: string): void;
  err(line: string): void;
  /** Raw bytes to stdout (get without -o). */
  raw?(chunk: Uint8Array): void;
  /** Is stderr a terminal (progress line)? */
  isTTY?: boolean;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); tests pass their own. */
  stopSignal?: Promise<string>;
}

export class UsageError extends Error {}

const COMMON_HELP = [
  "  --tap NAME           TAP device (created if missing; needs root and /dev/net/tun)",
  "  --ip A.B.C.D/LEN     our IPv4 address and prefix length",
  "  --dhcp               take the address, router, DNS and NTP servers by DHCP instead of --ip",
  "  --hostname NAME      with --dhcp: our host name for the server (option 12; letters, digits, -)",
  "  --gw ADDR            default gateway (with --ip)",
  "  --dns ADDR           DNS server, IPv4 or IPv6 (with --ip; repeatable, up to 3 of each)",
  "  --ip6 ADDR/LEN       a static IPv6 address with its on-link prefix length (repeatable);",
  "                       IPv6 is on by default: a link-local address (RFC 7217) and SLAAC",
  "                       addresses from router advertisements, each after DAD; RDNSS servers",
  "  --no-ip6             IPv6 off (IPv4 only)",
  "  --mac MAC            our MAC address (default 02:00:00:00:00:02)",
  "  --pcap FILE          write every frame in and out (libpcap)",
  "  --no-offload         TAP offloads off: plain frames, one per read and per write (batched",
  "                       into io_uring calls where the kernel allows), no TSO, GRO or checksum",
  "                       offload (a board's MAC path; default: on, 64 KiB TCP super-frames",
  "                       to and from the kernel)",
  "  --snd-buf BYTES      TCP send ring per connection (default 262144)",
  "  --rcv-buf BYTES      TCP receive ring per connection (default 262144)",
  "impairments between the TAP and the stack (seeded):",
  "  --loss P             drop probability 0..1",
  "  --delay MS           one-way delay",
  "  --jitter MS          extra random delay in [0, MS)",
  "  --reorder P          probability a frame is held back and overtaken",
  "  --duplicate P        duplication probability",
  "  --seed N             seed for the impairments (default 1)",
  "  -h, --help           this help",
];

export function upUsage(): string {
  return [
    "usage: wasm-tcpip up --tap NAME (--ip A.B.C.D/LEN | --dhcp) [options]",
    "",
    "Bring our stack up on a TAP device and serve until SIGINT/SIGTERM, then close",
    "connections gracefully and flush the pcap. With --dhcp the lease (address, router,",
    "DNS and NTP servers) is printed when bound, again on each renewal, and its loss.",
    "Each IPv6 address is printed when it becomes preferred (after DAD), or duplicate.",
    "The services listen on IPv4 and IPv6 (every address).",
    "",
    "services:",
    "  --echo PORT          RFC 862 echo on TCP (half-close aware) and UDP",
    "  --discard PORT       RFC 863 discard",
    "  --http PORT          HTTP/1.1: GET / status page (addresses, IPv6 neighbors, sockets,",
    "                       counters), GET /bytes/N (byte i = i mod 251)",
    "options:",
    ...COMMON_HELP,
  ].join("\n");
}

export function getUsage(): string {
  return [
    "usage: wasm-tcpip get URL --tap NAME (--ip A.B.C.D/LEN [--dns ADDR] | --dhcp) [-o FILE] [options]",
    "",
    "Download URL (http://HOST[:PORT]/PATH; HOST an IPv4 address, a bracketed IPv6 address",
    "as http://[2001:db8::1]:8000/, or a name resolved through our stack's DNS resolver: A and",
    "AAAA records, the family our stack can reach first, the other one if connecting fails)",
    "over HTTP/1.1 through our stack.",
    "The body goes to FILE (or stdout); a progress line goes to stderr on a terminal.",
    "",
    "options:",
    "  -o, --output FILE    write the body here",
    "  --timeout S          give up after S seconds (default 120)",
    ...COMMON_HELP,
  ].join("\n");
}

export function resolveUsage(): string {
  return [
    "usage: wasm-tcpip resolve NAME --tap NAME (--ip A.B.C.D/LEN [--dns ADDR] | --dhcp) [options]",
    "",
    "Look NAME up (A records, and AAAA records unless --no-ip6) with our stack's DNS stub",
    "resolver: one address per line on stdout (IPv4 first), exit 0. A missing name (ENOTFOUND),",
    "no answer or a timeout: one line on stderr, exit 1.",
    "With --ip and no --dns, the DNS servers come from IPv6 router advertisements (RDNSS).",
    "",
    "options:",
    "  --timeout S          give up after S seconds, DHCP included (default 20)",
    ...COMMON_HELP,
  ].join("\n");
}

export function timeUsage(): string {
  return [
    "usage: wasm-tcpip time [SERVER] --tap NAME (--ip A.B.C.D/LEN | --dhcp) [options]",
    "",
    "Ask the NTP server SERVER (an IPv4 address) for the time with our stack's SNTP client",
    "(RFC 4330) and print the server's UTC time (ISO 8601) and its offset from this",
    "machine's clock in ms. Without SERVER (needs --dhcp) the NTP servers of the DHCP",
    "lease (option 42) are asked. A timeout: one line on stderr, exit 1.",
    "",
    "options:",
    "  --timeout S          give up after S seconds, DHCP included (default 20)",
    ...COMMON_HELP,
  ].join("\n");
}

export type Cmd = "up" | "get" | "resolve" | "time";

export interface NetArgs {
  dhcp: boolean; dns: string[]; name?: string; server?: string; hostname?: string;
  tap?: string; ip?: string; gw?: string; mac?: string; pcap?: string;
  /** The TAP's virtio-net offloads (default true; --no-offload: plain frames, as on a board's MAC). */
  offload: boolean;
  /** IPv6 on (default; --no-ip6 turns it off) and the static --ip6 addresses. */
  ip6: boolean; ip6Addrs: string[];
  echo?: number; discard?: number; http?: number; output?: string; url?: string; timeout: number;
  sndBuf: number; rcvBuf: number;
  loss?: number; delay?: number; jitter?: number; reorder?: number; duplicate?: number; seed?: number;
}

const PORT_FLAGS = ["--echo", "--discard", "--http"] as const;
const PROB_FLAGS = ["--loss", "--reorder", "--duplicate"] as const;
const MS_FLAGS = ["--delay", "--jitter"] as const;

/** A command's arguments, checked (UsageError: bad usage). */
export function parseArgs(cmd: Cmd, args: string[]): NetArgs {
  const out: NetArgs = { dhcp: false, dns: [], ip6: true, ip6Addrs: [], offload: true, timeout: cmd === "resolve" || cmd === "time" ? 20 : 120, sndBuf: 256 * 1024, rcvBuf: 256 * 1024 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new UsageError(`option ${flag} needs a value`);
      return v;
    };
    const num = (lo: number, hi: number, what: string): number => {
      const v = value();
      const n = Number(v);
      if (!/^\d+(\.\d+)?$/.test(v) || n < lo || n > hi) throw new UsageError(`${flag} wants ${what}, got ${v}`);
      return n;
    };
    if (flag === "--tap") out.tap = value();
    else if (flag === "--ip") {
      const v = value();
      const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(v);
      if (!m || Number(m[2]) > 32) throw new UsageError(`--ip wants A.B.C.D/LEN, got ${v}`);
      try { ipToU32(m[1]); } catch { throw new UsageError(`--ip wants A.B.C.D/LEN, got ${v}`); }
      out.ip = v;
    } else if (flag === "--ip6") {
      const v = value();
      if (!parseIp6Cidr(v)) throw new UsageError(`--ip6 wants an IPv6 ADDR/LEN (LEN 1..128), got ${v}`);
      if (out.ip6Addrs.length === 7) throw new UsageError("at most 7 --ip6 addresses");
      out.ip6Addrs.push(v);
    } else if (flag === "--no-ip6") {
      if (inline !== undefined) throw new UsageError("--no-ip6 takes no value");
      out.ip6 = false;
    } else if (flag === "--no-offload") {
      if (inline !== undefined) throw new UsageError("--no-offload takes no value");
      out.offload = false;
    } else if (flag === "--gw") {
      const v = value();
      try { ipToU32(v); } catch { throw new UsageError(`--gw wants an IPv4 address, got ${v}`); }
      out.gw = v;
    } else if (flag === "--dhcp") {
      if (inline !== undefined) throw new UsageError("--dhcp takes no value");
      out.dhcp = true;
    } else if (flag === "--hostname") {
      const v = value();
      if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(v)) throw new UsageError(`--hostname wants 1-63 letters, digits and inner hyphens, got ${v}`);
      out.hostname = v;
    } else if (flag === "--dns") {
      const v = value();
      const six = v.includes(":");
      try { if (six) ip6ToBytes(v); else ipToU32(v); } catch { throw new UsageError(`--dns wants an IPv4 address or an IPv6 one, got ${v}`); }
      if (out.dns.filter((d) => d.includes(":") === six).length === 3) throw new UsageError(`at most 3 --dns servers per family (IPv${six ? 6 : 4})`);
      out.dns.push(v);
    } else if (flag === "--mac") {
      const v = value();
      try { parseMac(v); } catch { throw new UsageError(`--mac wants xx:xx:xx:xx:xx:xx, got ${v}`); }
      out.mac = v;
    } else if (flag === "--pcap") out.pcap = value();
    else if (flag === "--snd-buf") out.sndBuf = Math.floor(num(1024, 16 << 20, "bytes in 1024..16777216"));
    else if (flag === "--rcv-buf") out.rcvBuf = Math.floor(num(1024, 16 << 20, "bytes in 1024..16777216"));
    else if (cmd === "up" && (PORT_FLAGS as readonly string[]).includes(flag)) {
      const p = num(1, 65535, "a port 1..65535");
      if (!Number.isInteger(p)) throw new UsageError(`${flag} wants a port 1..65535`);
      out[flag.slice(2) as "echo" | "discard" | "http"] = p;
    } else if ((PROB_FLAGS as readonly string[]).includes(flag)) out[flag.slice(2) as "loss" | "reorder" | "duplicate"] = num(0, 1, "a probability 0..1");
    else if ((MS_FLAGS as readonly string[]).includes(flag)) out[flag.slice(2) as "delay" | "jitter"] = num(0, 60_000, "milliseconds 0..60000");
    else if (flag === "--seed") {
      const v = value();
      if (!/^\d+$/.test(v)) throw new UsageError(`--seed wants a non-negative integer, got ${v}`);
      out.seed = Number(v);
    } else if (cmd === "get" && (flag === "-o" || flag === "--output")) out.output = value();
    else if (cmd !== "up" && flag === "--timeout") out.timeout = num(1, 86400, "seconds 1..86400");
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${flag} for ${cmd} (see wasm-tcpip ${cmd} --help)`);
    else if (cmd === "get" && out.url === undefined) out.url = a;
    else if (cmd === "resolve" && out.name === undefined) out.name = a;
    else if (cmd === "time" && out.server === undefined) {
      try { ipToU32(a); } catch { throw new UsageError(`time wants the server as an IPv4 address, got ${a}`); }
      out.server = a;
    } else throw new UsageError(`unexpected argument ${a} (see wasm-tcpip ${cmd} --help)`);
  }
  if (cmd === "resolve" && out.name === undefined) throw new UsageError("resolve needs a NAME");
  if (cmd === "time" && out.server === undefined && out.ip) {
    throw new UsageError("time with --ip needs a SERVER (an IPv4 address); without one, --dhcp's NTP servers are used");
  }
  if (!out.ip6 && out.ip6Addrs.length) throw new UsageError("--ip6 and --no-ip6 exclude each other");
  if (!out.ip6 && out.dns.some((d) => d.includes(":"))) throw new UsageError("an IPv6 --dns server with --no-ip6");
  if (out.hostname !== undefined && !out.dhcp) throw new UsageError("--hostname goes with --dhcp");
  if (!out.tap) throw new UsageError(`${cmd} needs --tap NAME`);
  if (out.dhcp && out.ip) throw new UsageError("--ip and --dhcp exclude each other");
  if (out.dhcp && (out.gw || out.dns.length)) throw new UsageError("--gw and --dns go with --ip (DHCP gives the router and DNS servers)");
  if (!out.ip && !out.dhcp) throw new UsageError(`${cmd} needs --ip A.B.C.D/LEN or --dhcp`);
  if (cmd === "resolve" && out.ip && !out.dns.length && !out.ip6) throw new UsageError("resolve with --ip and --no-ip6 needs --dns ADDR");
  if (cmd === "get") {
    if (out.url === undefined) throw new UsageError("get needs a URL");
    let host: string;
    try { host = parseHttpUrl(out.url).host; } catch (e) { throw new UsageError((e as Error).message); }
    if (!out.ip6 && host.includes(":")) throw new UsageError(`${out.url}: an IPv6 address with --no-ip6`);
  }
  return out;
}

/** "2001:db8::2/64": a unicast-looking IPv6 address and a prefix length 1..128 (the core checks the rest). */
function parseIp6Cidr(v: string): boolean {
  const m = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/.exec(v);
  if (!m || !m[1].includes(":") || Number(m[2]) < 1 || Number(m[2]) > 128) return false;
  try { ip6ToBytes(m[1]); return true; } catch { return false; }
}

/**
 * The createStack options of a command line (all but the link). IPv6 is on unless --no-ip6 (as
 * createStack's own default). `up` brings an interface up as a device would, so its first
 * solicitation waits 0..1 s (RFC 4862 §5.4.2 / RFC 4861 §6.3.7 SHOULD); the one-shot `get`,
 * `resolve` and `time` do not add that second.
 */
export function cliStackOptions(a: NetArgs, cmd?: Cmd): Omit<CreateStackOptions, "link"> {
  return {
    ipv6: a.ip6 ? { addresses: a.ip6Addrs, ...(cmd === "up" ? { startDelay: true } : {}) } : false, config: a.ip6 ? { Ip6Addrs: 7 } : undefined, // link-local, SLAAC and --ip6 addresses
    ...(a.dhcp ? { dhcp: a.hostname !== undefined ? { hostname: a.hostname } : true } : { ip: a.ip! }), gateway: a.gw, mac: a.mac, pcap: a.pcap, sndBuf: a.sndBuf, rcvBuf: a.rcvBuf,
  };
}

function openStack(a: NetArgs, cmd: Cmd): NetStack {
  return createStack({
    ...cliStackOptions(a, cmd),
    link: {
      type: "tap", name: a.tap!, offload: a.offload, loss: a.loss, delayMs: a.delay, jitterMs: a.jitter, reorder: a.reorder,
      duplicate: a.duplicate, seed: a.seed,
    },
  });
}

/** The lease as one line. */
function leaseLine(l: DhcpLease): string {
  const list = (x: string[]) => (x.length ? x.join(",") : "none");
  return `lease: ${l.address}/${l.prefix} router ${l.router ?? "none"} dns ${list(l.dns)} lease ${l.leaseSeconds} s ` +
    `server ${l.serverId ?? "?"} ntp ${list(l.ntp)}`;
}

/** Resolves true when the DHCP client is BOUND, false after `ms` or when `stop` settles first. */
function waitBound(net: NetStack, ms: number, stop?: Promise<unknown>): Promise<boolean> {
  if (net.dhcpInfo().state === "BOUND") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (v: boolean) => { clearTimeout(t); net.off("dhcp", on); resolve(v); };
    const on = (state: string) => { if (state === "BOUND") done(true); };
    const t = setTimeout(() => done(false), ms);
    net.on("dhcp", on);
    stop?.then(() => done(false));
  });
}

function signalPromise(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => { process.off("SIGINT", on); process.off("SIGTERM", on); resolve(sig); };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

/**
 * Print each IPv6 address of `net` when it becomes preferred (after DAD), deprecated, duplicate or
 * removed (Ip6AddrState events), and those already preferred now. Returns a function that stops.
 */
export function watchIp6(net: NetStack, out: (line: string) => void): () => void {
  const known = new Map<number, string>(); // index -> "addr/len (origin)", for the line when it is removed
  const last = new Map<number, number>(); // index -> the state last printed (a router advertisement refreshing lifetimes repeats it)
  const line = (index: number, state: number) => {
    if (last.get(index) === state) return;
    last.set(index, state);
    if (state === 0) { // freed: its slot no longer tells the address
      const was = known.get(index);
      last.delete(index);
      if (was !== undefined) { known.delete(index); out(`ipv6: ${was} removed`); }
      return;
    }
    const x = net.stack.ip6Addresses().find((e) => e.index === index);
    if (!x || state === 1) return; // tentative: printed once DAD is done
    const what = `${x.address}/${x.prefix} (${x.origin})`;
    known.set(index, what);
    const life = x.origin === "slaac" ? `, valid ${secsLeft(x.validLeft)}, preferred ${secsLeft(x.preferredLeft)}` : "";
    const name = ["", "", "preferred", "deprecated", "duplicate: DAD found it in use, never used"][state] ?? `state ${state}`;
    out(`ipv6: ${x.address}/${x.prefix} ${name} (${x.origin}${life})`);
  };
  for (const x of net.stack.ip6Addresses()) if (x.state === "preferred") line(x.index, 2);
  // events arrive inside a call into the core: read the table after it returns
  return net.stack.onEvents((_h, kind, arg) => {
    if (kind === EventKind.Ip6AddrState) queueMicrotask(() => line(arg >>> 8, arg & 0xff));
  });
}

function mib(n: number): string { return (n / 1048576).toFixed(1); }

const USAGE: Record<Cmd, () => string> = { up: upUsage, get: getUsage, resolve: resolveUsage, time: timeUsage };

/** Run `up`, `get`, `resolve` or `time`; resolves to the exit code. */
export async function netCommand(cmd: Cmd, args: string[], io: NetCliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) { io.out(USAGE[cmd]()); return 0; }
  let a: NetArgs;
  try { a = parseArgs(cmd, args); } catch (e) {
    if (e instanceof UsageError) { io.err(`error: ${e.message}`); return 2; }
    throw e;
  }
  let net: NetStack;
  try {
    net = openStack(a, cmd);
    if (a.dns.length) net.setDns(a.dns);
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 1;
  }
  if (cmd === "up") return up(net, a, io);
  const deadline = Date.now() + a.timeout * 1000;
  if (a.dhcp && !(await waitBound(net, a.timeout * 1000))) {
    io.err(`error: no DHCP lease within ${a.timeout} s`);
    net.close();
    return 1;
  }
  if (cmd === "get") return get(net, { ...a, timeout: Math.max(0.001, (deadline - Date.now()) / 1000) }, io);
  if (cmd === "resolve") return resolve(net, a, deadline, io);
  return time(net, a, deadline, io);
}

async function resolve(net: NetStack, a: NetArgs, deadline: number, io: NetCliIo): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "ETIMEOUT" })), Math.max(1, deadline - Date.now()));
    });
    // no DNS server given (nor by DHCP): wait for one from a router advertisement (RDNSS)
    if (a.ip6 && net.getServers().length === 0) await Promise.race([ip6Settle(net, a.name!, Math.max(1, deadline - Date.now())), timeout]);
    const r = await Promise.race([net.promises.lookup(a.name!, { all: true, family: a.ip6 ? 0 : 4 }), timeout]) as { address: string }[];
    for (const x of r) io.out(x.address);
    return 0;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why: Record<string, string> = {
      ENOTFOUND: "no such name", ENODATA: a.ip6 ? "no address" : "no IPv4 address", EREFUSED: "the server refused the query",
      ESERVFAIL: "the server failed", ETIMEOUT: "no answer", EBADNAME: "not a valid name",
    };
    io.err(`error: resolve ${a.name}: ${err.code ? `${err.code} (${why[err.code] ?? err.message})` : err.message}`);
    return 1;
  } finally {
    clearTimeout(timer);
    net.close();
  }
}

async function time(net: NetStack, a: NetArgs, deadline: number, io: NetCliIo): Promise<number> {
  const target = a.server ?? net.dhcpLease?.ntp[0]; // without SERVER: the lease's first NTP server
  if (target === undefined) { io.err("error: the DHCP lease names no NTP server (option 42): give a SERVER"); net.close(); return 1; }
  // Resolve the server's (or router's) MAC first with one ping (up to 1 s; no reply is fine):
  // the first request's transmit time would otherwise include the ARP exchange, and that
  // asymmetry shows up as half of it in the offset.
  await new Promise<void>((res) => {
    const t = setTimeout(fin, Math.min(1000, Math.max(0, deadline - Date.now())));
    const off = net.stack.onEvents((_h, kind) => { if (kind === EventKind.EchoReply) fin(); });
    function fin() { clearTimeout(t); off(); res(); }
    if (net.stack.ping(target, 1) !== 0) fin();
  });
  const r = net.stack.sntpStart(a.server ?? null, 0); // null: the core takes the lease's NTP servers in turn
  if (r !== 0) { io.err(`error: sntpStart ${target}: error ${r}`); net.close(); return 1; }
  try {
    for (;;) {
      net.stack.poll(); // sntpInfo's time is the core's clock as of its latest poll: make that now
      const info = net.stack.sntpInfo();
      if (info.synced && info.time) {
        const offset = info.time.getTime() - Date.now();
        io.out(`${new Date(Date.now() + offset).toISOString()} server ${u32ToIp(info.server)} stratum ${info.stratum} ` +
          `offset ${offset >= 0 ? "+" : ""}${offset.toFixed(0)} ms delay ${(info.delayUs / 1000).toFixed(1)} ms`);
        return 0;
      }
      if (info.stateName === "denied") { io.err(`error: ${u32ToIp(info.server)} refused us (kiss code ${info.kissCode || "?"})`); return 1; }
      if (Date.now() >= deadline) { io.err(`error: no NTP reply from ${a.server ?? `the DHCP NTP servers (${net.dhcpLease?.ntp.join(", ")})`} within ${a.timeout} s`); return 1; }
      await new Promise((res) => setTimeout(res, 10));
    }
  } finally {
    net.stack.sntpStop();
    net.close();
  }
}

async function up(net: NetStack, a: NetArgs, io: NetCliIo): Promise<number> {
  const stop = io.stopSignal ?? signalPromise();
  let requests = 0;
  const services: string[] = [];
  const failures: string[] = [];
  const watch = (name: string, port: number, s: import("node:events").EventEmitter, proto = "tcp") => {
    s.on("error", (e: Error) => failures.push(`${name} on ${proto} port ${port}: ${e.message}`));
    services.push(`${name} ${proto}/${port}`);
  };
  if (a.echo !== undefined) watch("echo", a.echo, echoServer(net, a.echo));
  if (a.echo !== undefined) watch("echo", a.echo, udpEchoServer(net, a.echo), "udp");
  if (a.discard !== undefined) watch("discard", a.discard, discardServer(net, a.discard));
  if (a.http !== undefined) watch("http", a.http, httpServer(net, a.http, { onRequest: () => { requests++; } }));
  await new Promise((r) => setImmediate(r));
  if (failures.length) {
    io.err(`error: ${failures[0]}`);
    net.close();
    return 1;
  }
  // `up` serves (ARP, ping, the services) until a signal, like a daemon: a ref'd handle keeps the
  // process alive even with no service listening (the TAP device itself does not hold it, as in node).
  const daemon = setInterval(() => { /* held until the signal */ }, 1 << 30);
  const imp = [["loss", a.loss], ["delay", a.delay], ["jitter", a.jitter], ["reorder", a.reorder], ["duplicate", a.duplicate]]
    .filter(([, v]) => v !== undefined && v !== 0).map(([k, v]) => `${k}=${v}`);
  const tap = net.tap!.stats();
  io.out(`wasm-tcpip up: ${net.tap!.name} ${a.dhcp ? "dhcp" : a.ip} mac ${a.mac ?? "02:00:00:00:00:02"}${a.gw ? ` gw ${a.gw}` : ""}` +
    `${tap.offload ? "" : ` offloads off${tap.ring ? " (io_uring)" : ""}`}${imp.length ? ` impairments ${imp.join(" ")} seed=${a.seed ?? 1}` : ""}${a.pcap ? ` pcap ${a.pcap}` : ""}`);
  const stopIp6 = a.ip6 ? watchIp6(net, io.out) : () => {};
  if (a.dhcp) {
    io.out("waiting for a DHCP lease");
    if (await waitBound(net, 2 ** 31 - 1, stop)) {
      io.out(leaseLine(net.dhcpLease!));
      net.on("dhcp", (event: string, lease?: DhcpLease) => { // renewals, a new lease, a lost lease
        if (event === "renewed" || event === "bound") io.out(leaseLine(lease!));
        else if (event === "lost") io.out(`lease lost: ${lease!.address} (expired or refused)`);
      });
    } else io.out("stopped before a lease");
  }
  if (!a.dhcp || net.dhcpInfo().state === "BOUND") io.out(`serving: ${services.length ? services.join(", ") : "(no services: ARP and ping only)"}`);
  if (!a.dhcp || net.dhcpInfo().state === "BOUND") io.out("ready (SIGINT or SIGTERM to stop)");
  const sig = await stop;
  stopIp6();
  clearInterval(daemon);
  const open = net.sockets().filter((s) => s.state !== "LISTEN" && s.handle !== 0).length; // not compact TIME-WAIT rows
  io.out(`${sig}: closing ${open} connection(s)`);
  await net.shutdown(3000);
  const st = net.stats();
  io.out(`done: ${requests} http request(s), tcp conns opened=${st.tcp_conns_opened ?? 0} closed=${st.tcp_conns_closed ?? 0} ` +
    `aborted=${st.tcp_conns_aborted ?? 0}, retransmits=${st.tcp_retransmits ?? 0}` +
    `${net.pcap ? `, pcap ${net.pcap.frames} frames` : ""}`);
  return 0;
}

async function get(net: NetStack, a: NetArgs, io: NetCliIo): Promise<number> {
  const url = a.url!;
  let fd = -1;
  if (a.output) {
    try { fd = openSync(a.output, "w"); } catch (e) { io.err(`error: ${(e as Error).message}`); net.close(); return 1; }
  }
  const raw = io.raw ?? ((c: Uint8Array) => { process.stdout.write(c); });
  let t0 = performance.now(); // from the connection (IPv6 may first wait for its addresses: not part of the transfer)
  let total = -1;
  let got = 0;
  let lastDraw = 0;
  const draw = (final: boolean) => {
    if (!io.isTTY) return;
    const now = performance.now();
    if (!final && now - lastDraw < 100) return;
    lastDraw = now;
    const secs = Math.max(0.001, (now - t0) / 1000);
    const pct = total > 0 ? ` ${((100 * got) / total).toFixed(0).padStart(3)}%` : "";
    process.stderr.write(`\r${mib(got)}${total >= 0 ? ` / ${mib(total)}` : ""} MiB${pct}  ${((got * 8) / secs / 1e6).toFixed(1)} Mbit/s   ` +
      (final ? "\n" : ""));
  };
  try {
    const res = await httpGet(net, url, {
      timeoutMs: a.timeout * 1000,
      onConnect: () => { t0 = performance.now(); },
      onResponse: (r) => { total = r.headers.has("content-length") ? Number(r.headers.get("content-length")) : -1; },
      onData: (c) => {
        got += c.length;
        if (fd >= 0) { let off = 0; while (off < c.length) off += writeSync(fd, c, off, c.length - off); } else raw(c);
        draw(false);
      },
    });
    draw(true);
    const secs = (performance.now() - t0) / 1000;
    io.err(`${res.status} ${res.reason}: ${res.bytes} bytes in ${secs.toFixed(2)} s (${((res.bytes * 8) / secs / 1e6).toFixed(1)} Mbit/s)` +
      `${a.output ? ` -> ${a.output}` : ""}`);
    await net.shutdown(1000);
    return res.status >= 200 && res.status < 300 ? 0 : 1;
  } catch (e) {
    draw(true);
    const err = e as NodeJS.ErrnoException;
    const noServer = err.syscall === "getaddrinfo" && err.code === "ECONNREFUSED" && net.getServers().length === 0 &&
      (!net.ipv6 || net.stack.ip6DnsServers().length === 0);
    io.err(`error: ${err.message}${noServer ? " (no DNS server: give --dns, or take one by --dhcp or from an IPv6 router's RDNSS)" : ""}`);
    await net.shutdown(200);
    return 1;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
