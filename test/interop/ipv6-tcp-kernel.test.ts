// TCP over IPv6 against the Linux kernel (issue 10): echo with half-close both ways, refused ports
// both ways, transfers under nftables loss in both directions with SHA-256 checked, and names:
// connect({ host: NAME }) through dnsmasq as an IPv6 DNS server falling back from a refused AAAA
// address to the A one (autoSelectFamily), and the CLI's `resolve --dns IPV6-SERVER`. Our
// stack (src/net.ts, in this process) behind a TAP whose kernel side, moved into a namespace this
// test creates (named h6<pid>-<n>), holds 2001:db8:6::1/64; ours is 2001:db8:6::2/64. The kernel
// side is python3 sockets (AF_INET6). Documentation addresses only; every test bounds its time.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createStack, type NetStack, type Socket } from "../../src/net.js";
import type { Netns } from "../helpers/netns.js";
import { defer, dnsmasqServer, gate, installCleanup, ip, KERNEL_IP, namespaceAndTap, NsProc, OUR_IP, ROOT, OUR_MAC, pcapProblems, PY_ECHO_CLIENT, python, until } from "./env.js";

const FILE = "test/interop/ipv6-tcp-kernel.test.ts";
const skip = gate(FILE);
const haveDnsmasq = (() => { try { execFileSync("sh", ["-c", "command -v dnsmasq"], { stdio: "ignore" }); return true; } catch { return false; } })();
if (!skip && !haveDnsmasq) {
  if (process.env.WASM_TCPIP_REQUIRE_NET === "1") throw new Error(`${FILE}: needs dnsmasq (apt-get install dnsmasq-base), and WASM_TCPIP_REQUIRE_NET=1 requires it`);
  console.warn(`${FILE}: SKIPPED (the by-name case): needs dnsmasq (apt-get install dnsmasq-base)`);
}
installCleanup();

const KERNEL = "2001:db8:6::1", OURS = "2001:db8:6::2";

/**
 * The kernel's echo server for `n` connections: echoes until our FIN, prints "eof BYTES SHA256",
 * then sends "after-eof" on its still-open write side and closes.
 */
const PY_HALF_CLOSE_ECHO = String.raw`
import socket, sys, hashlib
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4); print("ready", flush=True)
for i in range(int(sys.argv[3])):
    c, a = s.accept(); c.settimeout(60)
    h = hashlib.sha256(); n = 0
    while True:
        d = c.recv(1 << 20)
        if not d: break
        h.update(d); n += len(d); c.sendall(d)
    print("eof", n, h.hexdigest(), flush=True)
    c.sendall(b"after-eof")
    c.close()
`;

/** connect() to [argv1]:argv2 over IPv6; prints the errno name (or "connected"). */
const PY_CONNECT6 = String.raw`
import socket, sys, errno
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); s.settimeout(10)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); r = "connected"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e))
print(r, flush=True)
`;

/** A namespace and TAP: the kernel at KERNEL/64 (no DAD), our stack at OURS/64, preferred. */
async function setup(opts: { pcap?: boolean } = {}): Promise<{ ns: Netns; net: NetStack; pcap: string; dev: string }> {
  const { ns, dev, pcap } = namespaceAndTap("h6");
  const net = createStack({ ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 61, pcap: opts.pcap ? pcap : undefined, link: { type: "tap", name: dev },
    ipv6: { addresses: [`${OURS}/64`] }, sndBuf: 512 * 1024, rcvBuf: 512 * 1024 });
  defer(() => net.close());
  ip(["link", "set", dev, "netns", ns.name]);
  ns.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.accept_dad=0`]);
  ns.execSync(["ip", "-6", "addr", "add", `${KERNEL}/64`, "dev", dev, "nodad"]);
  ns.execSync(["ip", "link", "set", dev, "up"]);
  expect(await until(() => net.stack.ip6Addresses().some((a) => a.address === OURS && a.state === "preferred"), 10_000)).toBe(true);
  return { ns, net, pcap, dev };
}

/**
 * Our client to the kernel's half-close echo server: write `data`, shut down our write side
 * (end), read the echo's rest and the server's "after-eof", then EOF.
 */
async function halfCloseEcho(net: NetStack, data: Buffer, ms: number) {
  const chunks: Buffer[] = [];
  let ended = false, closed = false, finished = false;
  let err: Error | null = null;
  const c: Socket = net.connect({ host: KERNEL, port: 8000, allowHalfOpen: true }, () => c.end(data));
  c.on("data", (d: Buffer) => chunks.push(d));
  c.on("finish", () => { finished = true; });
  c.on("end", () => { ended = true; });
  c.on("close", () => { closed = true; });
  c.on("error", (e: Error) => { err = e; });
  const t0 = Date.now();
  const done = await until(() => closed, ms);
  return { done, ended, finished, err, got: Buffer.concat(chunks), ms: Date.now() - t0, socket: c };
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Seeded bytes (not all alike, so a misplaced segment shows in the hash). */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

/** nftables in the namespace: drop `pct`% of the IPv6 TCP segments the kernel receives and sends, at random. */
function ipv6TcpLoss(ns: Netns, pct: number): void {
  ns.execSync(["nft", "add", "table", "inet", "h6loss"]);
  for (const [chain, hook] of [["in", "input"], ["out", "output"]]) {
    ns.execSync(["nft", "add", "chain", "inet", "h6loss", chain, `{ type filter hook ${hook} priority 0 ; }`]);
    ns.execSync(["nft", "add", "rule", "inet", "h6loss", chain, "meta", "nfproto", "ipv6", "meta", "l4proto", "tcp",
      "numgen", "random", "mod", "100", "<", String(pct), "counter", "drop"]);
  }
}

/** The segments the rules above dropped: [kernel input, kernel output]. */
function ipv6TcpDrops(ns: Netns): [number, number] {
  const out = ns.execSync(["nft", "list", "table", "inet", "h6loss"]);
  const n = [...out.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
  return [n[0] ?? -1, n[1] ?? -1];
}

describe.skipIf(skip)("TCP over IPv6 against the kernel", () => {
  it("RFC 9293 §3.6 half-close: our client shuts down its write side, reads the echo's rest and the kernel's after-EOF bytes, then EOF; the kernel's half-closing client against our echo", async () => {
    const { ns, net, pcap } = await setup({ pcap: true });
    const srv = python(ns, PY_HALF_CLOSE_ECHO, [KERNEL, 8000, 1], 40_000);
    await srv.waitLine(/^ready$/);
    const data = bytes(200_000, 1);
    const r = await halfCloseEcho(net, data, 30_000);
    expect(r.done).toBe(true);
    expect(r.err).toBeNull();
    expect(r.finished && r.ended).toBe(true);
    expect(r.got.length).toBe(data.length + 9);
    expect(r.got.subarray(0, data.length).equals(data)).toBe(true);
    expect(r.got.subarray(data.length).toString()).toBe("after-eof");
    expect(await srv.exited).toBe(0);
    expect(srv.lines).toContain(`eof ${data.length} ${sha(data)}`);
    expect(r.socket.remoteFamily).toBe("IPv6");

    // the kernel's client half-closes against our dual-stack echo server
    net.createServer((c) => c.pipe(c)).listen(7, "::");
    const cli = python(ns, PY_ECHO_CLIENT, [OURS, 7, 300_000], 40_000);
    expect(await cli.exited, cli.errLines.join("\n")).toBe(0);
    expect(JSON.parse(cli.lines[cli.lines.length - 1])).toEqual({ sent: 300_000, received: 300_000, match: true });
    expect(net.stack.stat("tcp_bad_checksum")).toBe(0);
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 90_000);

  it("RFC 9293 §3.10.7.1: a closed port over IPv6: the kernel's RST makes our connect ECONNREFUSED, ours makes the kernel's ECONNREFUSED", async () => {
    const { ns, net, pcap } = await setup({ pcap: true });
    let err: NodeJS.ErrnoException | null = null;
    const c = net.connect({ host: KERNEL, port: 9 });
    c.on("error", (e: NodeJS.ErrnoException) => { err = e; });
    const t0 = Date.now();
    expect(await until(() => err !== null, 10_000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000); // a RST, not a timeout
    expect(err!.code).toBe("ECONNREFUSED");
    expect(err!.message).toBe(`connect ECONNREFUSED ${KERNEL}:9`);
    const k = python(ns, PY_CONNECT6, [OURS, 9], 20_000);
    expect(await k.exited, k.errLines.join("\n")).toBe(0);
    expect(k.lines).toEqual(["ECONNREFUSED"]);
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 60_000);

  it.skipIf(!haveDnsmasq)("connect({ host: NAME }) with dnsmasq as our only DNS server over IPv6: the AAAA address first (RFC 6724), refused by the kernel, then the A address (autoSelectFamily)", async () => {
    const { ns, net, dev } = await setup();
    ns.execSync(["ip", "addr", "add", `${KERNEL_IP}/24`, "dev", dev]);
    await dnsmasqServer(ns, dev, [`--host-record=dual.test,${KERNEL_IP},${KERNEL}`]);
    net.setServers([`[${KERNEL}]:53`]);
    expect(net.getServers()).toEqual([KERNEL]);
    const srv = python(ns, String.raw`
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("${KERNEL_IP}", 8002)); s.listen(1); print("ready", flush=True)
c, a = s.accept(); c.sendall(b"hello over IPv4"); c.close()
`, [], 30_000);
    await srv.waitLine(/^ready$/);
    const events: string[] = [];
    const chunks: Buffer[] = [];
    let closed = false;
    let err: Error | null = null;
    const c = net.connect({ host: "dual.test", port: 8002 });
    c.on("connectionAttempt", (a: string) => events.push(`attempt ${a}`));
    c.on("connectionAttemptFailed", (a: string, _p: number, _f: number, e: NodeJS.ErrnoException) => events.push(`failed ${a} ${e.code}`));
    c.on("data", (d: Buffer) => chunks.push(d));
    c.on("close", () => { closed = true; });
    c.on("error", (e: Error) => { err = e; });
    expect(await until(() => closed, 15_000)).toBe(true);
    expect(err).toBeNull();
    expect(events).toEqual([`attempt ${KERNEL}`, `failed ${KERNEL} ECONNREFUSED`, `attempt ${KERNEL_IP}`]);
    expect(Buffer.concat(chunks).toString()).toBe("hello over IPv4");
    expect(c.autoSelectFamilyAttemptedAddresses).toEqual([`${KERNEL}:8002`, `${KERNEL_IP}:8002`]);
    expect(await srv.exited).toBe(0);
  }, 60_000);

  it.skipIf(!haveDnsmasq)("CLI `resolve NAME --dns 2001:db8:6::1`: an IPv6 DNS server given on the command line (no router, no RDNSS) answers A and AAAA over IPv6", async () => {
    if (!existsSync(join(ROOT, "dist/cli.js"))) throw new Error("dist/cli.js missing: run `npm run tsbuild`");
    const { ns, dev } = namespaceAndTap("h6");
    ns.execSync(["ip", "tuntap", "add", "dev", dev, "mode", "tap"]);
    defer(() => { try { ns.execSync(["ip", "link", "del", dev]); } catch { /* gone with the namespace */ } });
    ns.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.accept_dad=0`]);
    ns.execSync(["ip", "-6", "addr", "add", `${KERNEL}/64`, "dev", dev, "nodad"]);
    ns.execSync(["ip", "link", "set", dev, "up"]);
    const dm = await dnsmasqServer(ns, dev, [`--host-record=dual.test,198.51.100.77,2001:db8:6::77`]);
    const res = new NsProc(ns, [process.execPath, join(ROOT, "bin/wasm-tcpip"), "resolve", "dual.test", "--tap", dev, "--ip", `${OUR_IP}/24`,
      "--ip6", `${OURS}/64`, "--dns", KERNEL, "--timeout", "20"], { cwd: ROOT, timeoutMs: 40_000 });
    expect(await res.exited, res.errLines.join("\n")).toBe(0);
    expect(res.lines.filter((l) => l.trim() !== "")).toEqual(["198.51.100.77", "2001:db8:6::77"]);
    expect(dm.errLines.filter((l) => new RegExp(`query\\[(A|AAAA)\\] dual\\.test from ${OURS}$`).test(l)).length).toBe(2);
  }, 60_000);

  it("under nftables loss (2% of IPv6 TCP segments dropped at random each way): 4 MiB each direction, SHA-256 equal, bounded time", async () => {
    const { ns, net } = await setup();
    ipv6TcpLoss(ns, 2);
    // kernel -> us -> kernel: the kernel's client through our echo server (both directions lossy)
    net.createServer((c) => c.pipe(c)).listen(7, "::");
    const n = 4 << 20;
    const cli = python(ns, PY_ECHO_CLIENT, [OURS, 7, n], 90_000);
    const t0 = Date.now();
    expect(await cli.exited, cli.errLines.join("\n")).toBe(0);
    expect(JSON.parse(cli.lines[cli.lines.length - 1])).toEqual({ sent: n, received: n, match: true });
    const echoMs = Date.now() - t0;
    // us -> kernel -> us: our client to the kernel's half-close echo server
    const srv = python(ns, PY_HALF_CLOSE_ECHO, [KERNEL, 8000, 1], 90_000);
    await srv.waitLine(/^ready$/);
    const data = bytes(n, 2);
    const r = await halfCloseEcho(net, data, 80_000);
    expect(r.done).toBe(true);
    expect(r.err).toBeNull();
    expect(sha(r.got.subarray(0, n))).toBe(sha(data));
    expect(r.got.subarray(n).toString()).toBe("after-eof");
    expect(await srv.exited).toBe(0);
    expect(srv.lines).toContain(`eof ${n} ${sha(data)}`);
    const [dropIn, dropOut] = ipv6TcpDrops(ns);
    expect(dropIn).toBeGreaterThan(0);
    expect(dropOut).toBeGreaterThan(0);
    expect(net.stack.stat("tcp_retransmits")).toBeGreaterThan(0);
    console.log(`${FILE}: 2% loss each way: kernel-client echo 4 MiB in ${echoMs} ms, our-client echo 4 MiB in ${r.ms} ms; nft drops in ${dropIn} out ${dropOut}; our retransmits ${net.stack.stat("tcp_retransmits")}`);
  }, 200_000);
});
