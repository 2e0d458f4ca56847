// Shared set-up for the kernel interop suite (test/interop/*.test.ts).
//
// Every test builds its own world: a network namespace (test/helpers/netns.ts) holding
// the kernel side of a TAP device at 198.51.100.1/24, our stack behind the TAP at
// 198.51.100.2/24, nothing else. Everything a test starts is torn down in afterEach,
// also when it fails. Needs root, /dev/net/tun and the tools below; without them the
// tests are skipped with the reason printed, unless WASM_TCPIP_REQUIRE_NET=1 (CI):
// then a missing capability fails the suite.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createStack, CreateStackOptions, NetStack } from "../../src/net.js";
import { Netns, tapUnavailableReason } from "../helpers/netns.js";
import { tsharkProblems } from "../helpers/tshark.js";

export const KERNEL_IP = "198.51.100.1";
export const OUR_IP = "198.51.100.2";
export const OUR_MAC = "02:00:00:00:00:02";
export const ROOT = new URL("../../", import.meta.url).pathname;

const required = process.env.WASM_TCPIP_REQUIRE_NET === "1";
const TOOLS = ["ip", "ping", "curl", "python3", "tshark", "nft", "ss"];

function have(cmd: string): boolean {
  try { execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }); return true; } catch { return false; }
}

/** Why this suite cannot run here (null when it can). */
export function unavailable(): string | null {
  const r = tapUnavailableReason();
  if (r) return r;
  const missing = TOOLS.filter((t) => !have(t));
  if (missing.length) return `needs ${missing.join(", ")} (apt-get install: see .ci/run)`;
  try {
    execFileSync(process.execPath, ["-e", `require(${JSON.stringify(join(ROOT, "native/build/Release/tap.node"))})`], { stdio: "ignore" });
  } catch { return "the TAP addon (native/) is not built: npm rebuild"; }
  return null;
}

/**
 * Gate a test file: returns whether to skip its describe(). Prints the reason when
 * skipping; under WASM_TCPIP_REQUIRE_NET=1 never skips and fails in beforeAll instead.
 */
export function gate(file: string): boolean {
  const reason = unavailable();
  if (reason && !required) {
    console.warn(`${file}: SKIPPED: ${reason}`);
    return true;
  }
  if (reason) beforeAll(() => { throw new Error(`${file}: ${reason}, and WASM_TCPIP_REQUIRE_NET=1 requires it`); });
  return false;
}

// ---------------------------------------------------------------------------
// Per-test resources with guaranteed cleanup

const cleanups: (() => void)[] = [];
let dir = "";
let tapSeq = 0;

/** Run at the end of the current test (LIFO), even when it fails. */
export function defer(fn: () => void): void { cleanups.push(fn); }

export function installCleanup(): void {
  afterEach(() => { while (cleanups.length) { try { cleanups.pop()!(); } catch { /* keep cleaning */ } } });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
}

/** A scratch directory for this test process. */
export function scratch(name: string): string {
  if (!dir) dir = mkdtempSync(join(tmpdir(), "wtcpip-interop-"));
  return join(dir, name);
}

/** A unique TAP name for this process (<= 15 bytes). */
export function tapName(): string { return `wi${process.pid % 100000}x${tapSeq++}`; }

/** A fresh namespace (deleted after the test). */
export function namespace(): Netns {
  const ns = Netns.create();
  defer(() => ns.delete());
  return ns;
}

/**
 * A namespace named <prefix><pid>-<n> (deleted after the test), shaped like helpers/netns.ts's Netns
 * with `execSync` and `run` (for tests that run beside others and need names of their own).
 */
export function namespaceNamed(prefix: string): Netns {
  const name = `${prefix}${process.pid}-${nsSeq++}`;
  ip(["netns", "add", name]);
  defer(() => { try { ip(["netns", "del", name]); } catch { /* gone */ } });
  const execSync = (cmd: string[]) => ip(["netns", "exec", name, ...cmd]);
  execSync(["ip", "link", "set", "lo", "up"]);
  const run = (cmd: string[], timeoutMs: number) => new Promise<{ stdout: string; code: number }>((resolve) => {
    const p = new NsProc({ name } as unknown as Netns, cmd, { timeoutMs });
    p.exited.then((code) => resolve({ stdout: p.lines.join("\n"), code }));
  });
  return { name, execSync, run } as unknown as Netns;
}
let nsSeq = 0;

/** A namespace named by `prefix` (namespaceNamed), a fresh TAP name and a pcap path for it. */
export function namespaceAndTap(prefix: string): { ns: Netns; dev: string; pcap: string } {
  const ns = namespaceNamed(prefix);
  const dev = tapName();
  return { ns, dev, pcap: scratch(`${dev}-${prefix}.pcap`) };
}

/** `ip ARGS...` in this (the root) namespace: its stdout. */
export const ip = (args: string[]): string => execFileSync("ip", args, { timeout: 10_000, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Polls `pred` every 100 ms: true once it holds, false after `ms`. */
export async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * The kernel side of `dev` (moved into `ns`) as an IPv6 router: 2001:db8:1::1/64, forwarding on (radvd
 * advertises only as a router), no DAD for its own address, and radvd advertising every 3-4 s
 * `prefix` (a radvd.conf prefix block) plus `extra` lines. Killed after the test.
 */
export function radvdRouter(ns: Netns, dev: string, prefix: string, extra: string[] = []): NsProc {
  ip(["link", "set", dev, "netns", ns.name]);
  ns.execSync(["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"]);
  ns.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.accept_dad=0`]);
  ns.execSync(["ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", dev]);
  ns.execSync(["ip", "link", "set", dev, "up"]);
  const conf = scratch(`${dev}-radvd.conf`);
  writeFileSync(conf, [`interface ${dev} {`, "  AdvSendAdvert on;", "  MinRtrAdvInterval 3;", "  MaxRtrAdvInterval 4;",
    `  ${prefix}`, ...extra.map((l) => `  ${l}`), "};", ""].join("\n"));
  const radvd = new NsProc(ns, ["radvd", "-n", "-C", conf, "-p", scratch(`${dev}-radvd.pid`), "-m", "stderr"], { timeoutMs: 60_000 });
  defer(() => radvd.kill("SIGKILL"));
  return radvd;
}

/** Whether radvd (Debian `radvd`) is installed; with WASM_TCPIP_REQUIRE_NET=1 its absence is an error. */
export function radvdPresent(file: string): boolean {
  try { execFileSync("sh", ["-c", "command -v radvd"], { stdio: "ignore" }); return true; } catch { /* missing */ }
  if (process.env.WASM_TCPIP_REQUIRE_NET === "1") throw new Error(`${file}: needs radvd (apt-get install radvd: see .ci/run)`);
  console.warn(`${file}: SKIPPED: needs radvd (apt-get install radvd)`);
  return false;
}

export interface World { ns: Netns; net: NetStack; dev: string; pcap: string }

/**
 * Our stack in this process behind a new TAP whose kernel side lives in a new
 * namespace at 198.51.100.1/24. Frames in and out go to a pcap (checked by the test).
 */
export function world(opts: Partial<CreateStackOptions> & { impair?: Record<string, number> } = {}): World {
  const ns = namespace();
  const dev = tapName();
  const pcap = scratch(`${dev}.pcap`);
  const { impair, ...rest } = opts;
  const net = createStack({
    ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 42, pcap, ...rest,
    link: { type: "tap", name: dev, ...(impair ?? {}) },
  });
  defer(() => net.close());
  ns.adoptLink(dev, `${KERNEL_IP}/24`);
  return { ns, net, dev, pcap };
}

/**
 * A persistent TAP created inside the namespace with the kernel side configured, for
 * a child process (the CLI run under `ip netns exec`) to open by name.
 */
export function persistentTap(ns: Netns): string {
  const dev = tapName();
  ns.execSync(["ip", "tuntap", "add", "dev", dev, "mode", "tap"]);
  defer(() => { try { ns.execSync(["ip", "link", "del", dev]); } catch { /* gone with the namespace */ } });
  ns.execSync(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
  ns.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.disable_ipv6=1`]);
  ns.execSync(["ip", "addr", "add", `${KERNEL_IP}/24`, "dev", dev]);
  ns.execSync(["ip", "link", "set", dev, "up"]);
  return dev;
}

/** Kernel-side loss: drop `pct`% of the frames entering the kernel from the TAP (nftables netdev ingress). */
export function kernelIngressLoss(ns: Netns, dev: string, pct: number): void {
  ns.execSync(["nft", "add", "table", "netdev", "wtloss"]);
  ns.execSync(["nft", "add", "chain", "netdev", "wtloss", "in", `{ type filter hook ingress device ${dev} priority 0 ; }`]);
  if (pct >= 100) ns.execSync(["nft", "add", "rule", "netdev", "wtloss", "in", "counter", "drop"]);
  else ns.execSync(["nft", "add", "rule", "netdev", "wtloss", "in", "numgen", "random", "mod", "100", "<", String(pct), "counter", "drop"]);
}

/** Drops counted by the nftables rule above. */
export function nftDrops(ns: Netns): number {
  const out = ns.execSync(["nft", "list", "table", "netdev", "wtloss"]);
  return Number(/counter packets (\d+)/.exec(out)?.[1] ?? -1);
}

/** Every pcap must satisfy tshark: no malformed frames, no bad IP/TCP/UDP/ICMP checksums. */
export function pcapProblems(file: string): string[] { return tsharkProblems(file); }

// ---------------------------------------------------------------------------
// Child processes in the namespace, line by line

export class NsProc {
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  code: number | null = null;
  readonly exited: Promise<number>;
  private readonly p: ChildProcess;
  private waiters: (() => void)[] = [];

  constructor(ns: Netns, cmd: string[], opts: { cwd?: string; timeoutMs?: number } = {}) {
    this.p = spawn("ip", ["netns", "exec", ns.name, ...cmd], { cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const split = (into: string[]) => {
      let rest = "";
      return (d: Buffer) => {
        rest += d.toString();
        const parts = rest.split("\n");
        rest = parts.pop()!;
        into.push(...parts);
        for (const w of this.waiters.splice(0)) w();
      };
    };
    this.p.stdout!.on("data", split(this.lines));
    this.p.stderr!.on("data", split(this.errLines));
    const killer = setTimeout(() => this.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    this.exited = new Promise((resolve) => this.p.on("exit", (code, sig) => {
      clearTimeout(killer);
      this.code = code ?? (sig ? 128 : -1);
      for (const w of this.waiters.splice(0)) w();
      resolve(this.code);
    }));
    defer(() => this.kill("SIGKILL"));
  }

  get pid(): number { return this.p.pid ?? -1; }

  kill(sig: NodeJS.Signals = "SIGTERM"): void { if (this.code === null && this.p.pid) { try { this.p.kill(sig); } catch { /* gone */ } } }

  /** Resolves with the first stdout line matching `re`; rejects after `ms` or when the process exits first. */
  waitLine(re: RegExp, ms = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const check = () => {
        const l = this.lines.find((x) => re.test(x));
        if (l !== undefined) return resolve(l);
        if (this.code !== null) return reject(new Error(`exited (${this.code}) before ${re}: ${[...this.lines, ...this.errLines].join("\n")}`));
        if (Date.now() - t0 > ms) return reject(new Error(`timeout waiting for ${re}: ${[...this.lines, ...this.errLines].join("\n")}`));
        this.waiters.push(check);
        setTimeout(check, 100).unref();
      };
      check();
    });
  }
}

/**
 * dnsmasq as a DNS server only (no DHCP, no upstream, no /etc/hosts; answers for *.test from
 * `records`, e.g. "--host-record=x.test,198.51.100.7"), bound to `dev` in `ns`; resolves once it
 * logs "started" (its log, queries included, is the process's stderr: errLines). Killed after the test.
 */
export async function dnsmasqServer(ns: Netns, dev: string, records: string[]): Promise<NsProc> {
  const p = new NsProc(ns, [
    "dnsmasq", "--no-daemon", "--conf-file=/dev/null", `--interface=${dev}`, "--bind-interfaces", "--port=53",
    "--no-resolv", "--no-hosts", "--pid-file=", "--log-queries", "--log-facility=-", "--local=/test/", ...records,
  ], { timeoutMs: 60_000 });
  const t0 = Date.now();
  while (!p.errLines.some((l) => /started/.test(l))) {
    if (p.code !== null) throw new Error(`dnsmasq exited (${p.code}): ${p.errLines.join("\n")}`);
    if (Date.now() - t0 > 10_000) throw new Error(`dnsmasq did not start: ${p.errLines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

/** `python3 -c SCRIPT args...` in the namespace. */
export function python(ns: Netns, script: string, args: (string | number)[], timeoutMs = 60_000): NsProc {
  return new NsProc(ns, ["python3", "-u", "-c", script, ...args.map(String)], { timeoutMs });
}

// Python kernel-side clients and servers. Each prints one JSON line at the end.

/** Send N random bytes (seeded), shut down the write side, read everything back. */
export const PY_ECHO_CLIENT = String.raw`
import socket, sys, json, hashlib, random, threading
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = random.Random(7).randbytes(n)
s = socket.create_connection((host, port), timeout=60)
got = bytearray()
def reader():
    while True:
        d = s.recv(1 << 20)
        if not d: break
        got.extend(d)
t = threading.Thread(target=reader); t.start()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
t.join(120)
print(json.dumps({"sent": n, "received": len(got), "match": hashlib.sha256(got).digest() == hashlib.sha256(data).digest()}))
`;

/** connect(); print the errno name (or "connected"). */
export const PY_CONNECT = String.raw`
import socket, sys, json, errno
s = socket.socket()
s.settimeout(10)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    r = "connected"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e))
print(json.dumps({"result": r}))
`;
