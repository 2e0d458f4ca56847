// `wasm-tcpip up` and `wasm-tcpip get`: our stack on a real TAP device (src/cli.ts
// dispatches here). Bad usage: one line on stderr, exit code 2.

import { closeSync, openSync, writeSync } from "node:fs";
import { createStack, NetStack } from "./net.js";
import { discardServer, echoServer, httpGet, httpServer, parseHttpUrl } from "./services.js";
import { ipToU32, parseMac } from "./stack.js";

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

class UsageError extends Error {}

const COMMON_HELP = [
  "  --tap NAME           TAP device (created if missing; needs root and /dev/net/tun)",
  "  --ip A.B.C.D/LEN     our IPv4 address and prefix length",
  "  --gw ADDR            default gateway",
  "  --mac MAC            our MAC address (default 02:00:00:00:00:02)",
  "  --pcap FILE          write every frame in and out (libpcap)",
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
    "usage: wasm-tcpip up --tap NAME --ip A.B.C.D/LEN [options]",
    "",
    "Bring our stack up on a TAP device and serve until SIGINT/SIGTERM, then close",
    "connections gracefully and flush the pcap.",
    "",
    "services:",
    "  --echo PORT          RFC 862 echo (half-close aware)",
    "  --discard PORT       RFC 863 discard",
    "  --http PORT          HTTP/1.1: GET / status page, GET /bytes/N (byte i = i mod 251)",
    "options:",
    ...COMMON_HELP,
  ].join("\n");
}

export function getUsage(): string {
  return [
    "usage: wasm-tcpip get URL --tap NAME --ip A.B.C.D/LEN [-o FILE] [options]",
    "",
    "Download URL (http://A.B.C.D[:PORT]/PATH) over HTTP/1.1 through our stack.",
    "The body goes to FILE (or stdout); a progress line goes to stderr on a terminal.",
    "",
    "options:",
    "  -o, --output FILE    write the body here",
    "  --timeout S          give up after S seconds (default 120)",
    ...COMMON_HELP,
  ].join("\n");
}

interface NetArgs {
  tap?: string; ip?: string; gw?: string; mac?: string; pcap?: string;
  echo?: number; discard?: number; http?: number; output?: string; url?: string; timeout: number;
  sndBuf: number; rcvBuf: number;
  loss?: number; delay?: number; jitter?: number; reorder?: number; duplicate?: number; seed?: number;
}

const PORT_FLAGS = ["--echo", "--discard", "--http"] as const;
const PROB_FLAGS = ["--loss", "--reorder", "--duplicate"] as const;
const MS_FLAGS = ["--delay", "--jitter"] as const;

function parseArgs(cmd: "up" | "get", args: string[]): NetArgs {
  const out: NetArgs = { timeout: 120, sndBuf: 256 * 1024, rcvBuf: 256 * 1024 };
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
    } else if (flag === "--gw") {
      const v = value();
      try { ipToU32(v); } catch { throw new UsageError(`--gw wants an IPv4 address, got ${v}`); }
      out.gw = v;
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
    else if (cmd === "get" && flag === "--timeout") out.timeout = num(1, 86400, "seconds 1..86400");
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${flag} for ${cmd} (see wasm-tcpip ${cmd} --help)`);
    else if (cmd === "get" && out.url === undefined) out.url = a;
    else throw new UsageError(`unexpected argument ${a} (see wasm-tcpip ${cmd} --help)`);
  }
  if (!out.tap) throw new UsageError(`${cmd} needs --tap NAME`);
  if (!out.ip) throw new UsageError(`${cmd} needs --ip A.B.C.D/LEN`);
  if (cmd === "get") {
    if (out.url === undefined) throw new UsageError("get needs a URL");
    try { parseHttpUrl(out.url); } catch (e) { throw new UsageError((e as Error).message); }
  }
  return out;
}

function openStack(a: NetArgs): NetStack {
  return createStack({
    ip: a.ip!, gateway: a.gw, mac: a.mac, pcap: a.pcap, sndBuf: a.sndBuf, rcvBuf: a.rcvBuf,
    link: {
      type: "tap", name: a.tap!, loss: a.loss, delayMs: a.delay, jitterMs: a.jitter, reorder: a.reorder,
      duplicate: a.duplicate, seed: a.seed,
    },
  });
}

function signalPromise(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => { process.off("SIGINT", on); process.off("SIGTERM", on); resolve(sig); };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

function mib(n: number): string { return (n / 1048576).toFixed(1); }

/** Run `up` or `get`; resolves to the exit code. */
export async function netCommand(cmd: "up" | "get", args: string[], io: NetCliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) { io.out(cmd === "up" ? upUsage() : getUsage()); return 0; }
  let a: NetArgs;
  try { a = parseArgs(cmd, args); } catch (e) {
    if (e instanceof UsageError) { io.err(`error: ${e.message}`); return 2; }
    throw e;
  }
  let net: NetStack;
  try { net = openStack(a); } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 1;
  }
  return cmd === "up" ? up(net, a, io) : get(net, a, io);
}

async function up(net: NetStack, a: NetArgs, io: NetCliIo): Promise<number> {
  const stop = io.stopSignal ?? signalPromise();
  let requests = 0;
  const services: string[] = [];
  const failures: string[] = [];
  const watch = (name: string, port: number, s: import("./net.js").Server) => {
    s.on("error", (e: Error) => failures.push(`${name} on port ${port}: ${e.message}`));
    services.push(`${name} tcp/${port}`);
  };
  if (a.echo !== undefined) watch("echo", a.echo, echoServer(net, a.echo));
  if (a.discard !== undefined) watch("discard", a.discard, discardServer(net, a.discard));
  if (a.http !== undefined) watch("http", a.http, httpServer(net, a.http, { onRequest: () => { requests++; } }));
  await new Promise((r) => setImmediate(r));
  if (failures.length) {
    io.err(`error: ${failures[0]}`);
    net.close();
    return 1;
  }
  const imp = [["loss", a.loss], ["delay", a.delay], ["jitter", a.jitter], ["reorder", a.reorder], ["duplicate", a.duplicate]]
    .filter(([, v]) => v !== undefined && v !== 0).map(([k, v]) => `${k}=${v}`);
  io.out(`wasm-tcpip up: ${net.tap!.name} ${a.ip} mac ${a.mac ?? "02:00:00:00:00:02"}${a.gw ? ` gw ${a.gw}` : ""}` +
    `${imp.length ? ` impairments ${imp.join(" ")} seed=${a.seed ?? 1}` : ""}${a.pcap ? ` pcap ${a.pcap}` : ""}`);
  io.out(`serving: ${services.length ? services.join(", ") : "(no services: ARP and ping only)"}`);
  io.out("ready (SIGINT or SIGTERM to stop)");
  const sig = await stop;
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
  const t0 = performance.now();
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
    io.err(`error: ${(e as Error).message}`);
    await net.shutdown(200);
    return 1;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
