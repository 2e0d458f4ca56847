// `wasm-tcpip up` and `wasm-tcpip get` (bin/wasm-tcpip -> dist/cli.js) as real processes
// inside a namespace this test creates, on a persistent TAP whose kernel side is
// 198.51.100.1/24; our stack is 198.51.100.2/24. Bounded in time; everything is
// removed afterwards. Every pcap the CLI writes must pass tshark's checks.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { patternBytes } from "../../src/services.js";
import { execFileSync } from "node:child_process";
import {
  defer, gate, installCleanup, KERNEL_IP, kernelIngressLoss, namespace, NsProc, OUR_IP, pcapProblems, persistentTap,
  PY_ECHO_CLIENT, python, ROOT, scratch,
} from "./env.js";
import { Netns } from "../helpers/netns.js";

const skip = gate("test/interop/cli.test.ts");
installCleanup();

const BIN = join(ROOT, "bin/wasm-tcpip");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function cli(ns: Netns, args: string[], timeoutMs = 120_000): NsProc {
  if (!existsSync(join(ROOT, "dist/cli.js"))) throw new Error("dist/cli.js missing: run `npm run tsbuild`");
  return new NsProc(ns, [process.execPath, BIN, ...args], { cwd: ROOT, timeoutMs });
}

/** A 16 MiB random file served by `python3 -m http.server` in the namespace. */
async function fileServer(ns: Netns): Promise<{ url: string; digest: string }> {
  const dir = scratch(`www-${ns.name}`);
  mkdirSync(dir, { recursive: true });
  const blob = randomBytes(16 << 20);
  writeFileSync(join(dir, "blob.bin"), blob);
  const srv = new NsProc(ns, ["python3", "-u", "-m", "http.server", "8000", "--bind", KERNEL_IP, "--directory", dir], { timeoutMs: 200_000 });
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 100; i++) {
    const r = await ns.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", `http://${KERNEL_IP}:8000/`], 5_000);
    if (r.stdout === "200") break;
    if (srv.code !== null) throw new Error(`http.server exited: ${srv.errLines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://${KERNEL_IP}:8000/blob.bin`, digest: sha(blob) };
}

/** Send N bytes to host:port (discard), half-close, wait for the peer's FIN; print the bytes sent. */
const PY_SEND_DISCARD = String.raw`
import socket, sys
n = int(sys.argv[3]); buf = bytes(65536); left = n
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
while left > 0:
    left -= s.send(buf[:min(left, len(buf))])
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
print(n)
`;

/** Send each size (seeded random bytes) to host:port over UDP, up to 5 tries; print {size: echoed identical}. */
const PY_UDP_ECHO_SIZES = String.raw`
import socket, sys, json, random
host, port, sizes = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
res = {}
for n in sizes:
    data = random.Random(n).randbytes(n)
    res[str(n)] = False
    for attempt in range(5):
        s.sendto(data, (host, port))
        try:
            got, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        res[str(n)] = got == data and addr == (host, port)
        break
print(json.dumps(res))
`;

describe.skipIf(skip)("CLI against the kernel", () => {
  it("`wasm-tcpip up`: serves echo + HTTP to kernel clients, stops on SIGTERM with exit 0, pcap passes tshark", async () => {
    const ns = namespace();
    const dev = persistentTap(ns);
    const pcap = scratch(`${dev}-up.pcap`);
    const up = cli(ns, ["up", "--tap", dev, "--ip", `${OUR_IP}/24`, "--echo", "7", "--discard", "9", "--http", "80", "--pcap", pcap]);
    await up.waitLine(/^ready/, 20_000);
    expect(up.lines[0]).toBe(`wasm-tcpip up: ${dev} ${OUR_IP}/24 mac 02:00:00:00:00:02 pcap ${pcap}`);
    expect(up.lines[1]).toBe("serving: echo tcp/7, echo udp/7, discard tcp/9, http tcp/80");
    const ping = await ns.run(["ping", "-c", "3", "-i", "0.1", OUR_IP], 10_000);
    expect(ping.stdout).toMatch(/3 received, 0% packet loss/);
    // offloads on by default: the kernel hands the TAP TSO super-frames and leaves checksums to us
    const features = (await ns.run(["ethtool", "-k", dev], 10_000)).stdout;
    expect(features).toMatch(/^tcp-segmentation-offload: on$/m);
    expect(features).toMatch(/^tx-checksumming: on$/m);
    const curl = await ns.run(["sh", "-c", `curl -sS http://${OUR_IP}/bytes/1048576 | sha256sum`], 30_000);
    expect(curl.stdout.split(" ")[0]).toBe(sha(patternBytes(1 << 20)));
    const status = await ns.run(["curl", "-sS", "-i", `http://${OUR_IP}/`], 10_000);
    expect(status.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(status.stdout).toMatch(/LISTEN\s+0\s+0\s+198\.51\.100\.2:80/);
    expect(status.stdout).toMatch(/ESTABLISHED\s+\d+\s+\d+\s+198\.51\.100\.2:80\s+198\.51\.100\.1:\d+/);
    expect(status.stdout).toMatch(/udp sockets:\nState\s+Recv-Q\s+Datagrams\s+Drops.*\nUNCONN\s+0\s+0\s+0\s+198\.51\.100\.2:7\s+0\.0\.0\.0:\*\n/);
    expect(status.stdout).toContain("\ndhcp: STOPPED (static address)\n");
    const echo = python(ns, PY_ECHO_CLIENT, [OUR_IP, 7, 1 << 20]);
    expect(JSON.parse(await echo.waitLine(/^\{/, 30_000))).toEqual({ sent: 1 << 20, received: 1 << 20, match: true });
    // RFC 862 §"UDP Based Echo Service": the same port answers datagrams (one fragmented)
    const udp = python(ns, PY_UDP_ECHO_SIZES, [OUR_IP, 7, "0,1,100,1472,4000"]);
    expect(JSON.parse(await udp.waitLine(/^\{/, 30_000))).toEqual({ "0": true, "1": true, "100": true, "1472": true, "4000": true });
    up.kill("SIGTERM");
    expect(await up.exited).toBe(0);
    expect(up.lines.some((l) => /^SIGTERM: closing \d+ connection/.test(l))).toBe(true);
    expect(up.lines.at(-1)).toMatch(/^done: \d+ http request\(s\), tcp conns opened=\d+ .* pcap \d+ frames$/);
    expect(statSync(pcap).size).toBeGreaterThan(1 << 20);
    expect(pcapProblems(pcap)).toEqual([]);
  });

  it("`wasm-tcpip up --no-offload`: the TAP offers the kernel no TSO or checksum offload (ethtool -k), so every frame is a plain one as on a board's MAC; 8 MiB discarded and 4 MiB served intact", async () => {
    const ns = namespace();
    const dev = persistentTap(ns);
    const up = cli(ns, ["up", "--tap", dev, "--ip", `${OUR_IP}/24`, "--no-ip6", "--discard", "9", "--http", "80", "--no-offload"]);
    await up.waitLine(/^ready/, 20_000);
    expect(up.lines[0]).toBe(`wasm-tcpip up: ${dev} ${OUR_IP}/24 mac 02:00:00:00:00:02 offloads off (io_uring)`); // plain frames batched (native/uring.h)
    const features = (await ns.run(["ethtool", "-k", dev], 10_000)).stdout;
    expect(features).toMatch(/^tcp-segmentation-offload: off$/m);
    expect(features).toMatch(/^tx-checksumming: off$/m);
    const send = await ns.run(["python3", "-c", PY_SEND_DISCARD, OUR_IP, "9", String(8 << 20)], 60_000);
    expect(send.stdout.trim()).toBe(String(8 << 20));
    const curl = await ns.run(["sh", "-c", `curl -sS http://${OUR_IP}/bytes/4194304 | sha256sum`], 60_000);
    expect(curl.stdout.split(" ")[0]).toBe(sha(patternBytes(4 << 20)));
    up.kill("SIGTERM");
    expect(await up.exited).toBe(0);
    expect(up.lines.at(-1)).toMatch(/^done: \d+ http request\(s\), tcp conns opened=\d+ /);
  });

  it("`wasm-tcpip up` with a busy TAP name or no rights fails with one line and exit code 1 (not a crash)", async () => {
    const ns = namespace();
    const dev = persistentTap(ns);
    const first = cli(ns, ["up", "--tap", dev, "--ip", `${OUR_IP}/24`]);
    await first.waitLine(/^ready/, 20_000);
    const second = cli(ns, ["up", "--tap", dev, "--ip", `${OUR_IP}/24`]);
    expect(await second.exited).toBe(1);
    expect(second.errLines.filter((l) => l.trim() !== "")).toHaveLength(1);
    expect(second.errLines[0]).toMatch(/^error: /);
    first.kill("SIGINT");
    expect(await first.exited).toBe(0);
  });

  for (const mode of ["clean", "our impairment 5% loss+reorder+dup", "kernel-side nftables 5% loss"] as const) {
    it(`\`wasm-tcpip get\` downloads 16 MiB from python3 -m http.server, SHA-256 equal (${mode})`, async () => {
      const ns = namespace();
      const dev = persistentTap(ns);
      const { url, digest } = await fileServer(ns);
      if (mode.startsWith("kernel")) kernelIngressLoss(ns, dev, 5);
      const out = scratch(`${dev}-get.bin`);
      const pcap = scratch(`${dev}-get.pcap`);
      const imp = mode.startsWith("our") ? ["--loss", "0.05", "--reorder", "0.05", "--duplicate", "0.05", "--delay", "0.2", "--seed", "5"] : [];
      const t0 = performance.now();
      const get = cli(ns, ["get", url, "--tap", dev, "--ip", `${OUR_IP}/24`, "-o", out, "--pcap", pcap, "--timeout", "110", ...imp], 130_000);
      const code = await get.exited;
      const secs = (performance.now() - t0) / 1000;
      console.log(`get 16 MiB (${mode}): ${secs.toFixed(2)} s; ${get.errLines.join(" | ")}`);
      expect(code).toBe(0);
      expect(get.errLines.at(-1)).toMatch(new RegExp(`^200 OK: ${16 << 20} bytes in [\\d.]+ s \\([\\d.]+ Mbit/s\\) -> `));
      expect(sha(readFileSync(out))).toBe(digest);
      expect(pcapProblems(pcap)).toEqual([]);
    }, 150_000);
  }
});

// ---------------------------------------------------------------------------
// up --dhcp, resolve, time, get by name: dnsmasq (DHCP + DNS) and chronyd -x on the kernel side.

function missingServers(): string | null {
  const miss = ["dnsmasq", "chronyd"].filter((t) => {
    try { execFileSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }); return false; } catch { return true; }
  });
  return miss.length ? `needs ${miss.join(", ")} (apt-get install dnsmasq-base chrony: see .ci/run)` : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until UDP `ports` are bound in the namespace (ss), so the first DISCOVER is not lost. */
async function udpListening(ns: Netns, ports: number[], what: NsProc[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = (await ns.run(["ss", "-Hunl"], 5_000)).stdout;
    if (ports.every((p) => new RegExp(`:${p}\\s`).test(out))) return;
    for (const p of what) if (p.code !== null) throw new Error(`a server exited: ${p.errLines.join(" | ")}`);
    await sleep(100);
  }
  throw new Error(`ports ${ports.join(",")} not bound: ${what.map((p) => p.errLines.join(" | ")).join(" / ")}`);
}

/**
 * dnsmasq: DHCP 198.51.100.50-60 (2-minute leases), router, DNS and NTP (option 42) 198.51.100.1, device.test ->
 * 198.51.100.1; `--local=/test/` makes it answer NXDOMAIN for other *.test names (without it,
 * --no-resolv with no upstream answers REFUSED). chronyd -x: local stratum 8 on 198.51.100.1:123.
 */
const nonEmpty = (l: string) => l !== "";

async function servers(ns: Netns, dev: string): Promise<void> {
  const leases = scratch(`${dev}.leases`);
  writeFileSync(leases, "");
  const dnsmasq = new NsProc(ns, [
    "dnsmasq", "--no-daemon", "--conf-file=/dev/null", `--interface=${dev}`, "--bind-interfaces", "--user=root",
    `--pid-file=${scratch(`${dev}.dnsmasq.pid`)}`, "--dhcp-range=198.51.100.50,198.51.100.60,2m",
    `--dhcp-option=option:router,${KERNEL_IP}`, `--dhcp-option=option:dns-server,${KERNEL_IP}`, `--dhcp-option=42,${KERNEL_IP}`,
    `--dhcp-leasefile=${leases}`,
    "--no-resolv", "--no-hosts", "--local=/test/", `--address=/device.test/${KERNEL_IP}`,
  ], { timeoutMs: 90_000 });
  defer(() => dnsmasq.kill("SIGKILL"));
  const conf = scratch(`${dev}.chrony.conf`);
  writeFileSync(conf, [
    "local stratum 8", "allow 198.51.100.0/24", `bindaddress ${KERNEL_IP}`, "cmdport 0", "port 123",
    `pidfile ${scratch(`${dev}.chronyd.pid`)}`, `driftfile ${scratch(`${dev}.chrony.drift`)}`, "",
  ].join("\n"));
  const chronyd = new NsProc(ns, ["chronyd", "-x", "-d", "-u", "root", "-f", conf], { timeoutMs: 90_000 });
  defer(() => chronyd.kill("SIGKILL"));
  await udpListening(ns, [67, 53, 123], [dnsmasq, chronyd]);
}

describe.skipIf(skip)("CLI with DHCP, DNS and SNTP (dnsmasq, chronyd -x)", () => {
  const why = missingServers();
  const check = (): boolean => {
    if (!why) return true;
    if (process.env.WASM_TCPIP_REQUIRE_NET === "1") throw new Error(`test/interop/cli.test.ts: ${why}`);
    console.warn(`test/interop/cli.test.ts: SKIPPED (DHCP/DNS/SNTP part): ${why}`);
    return false;
  };
  /** A namespace with a persistent TAP and dnsmasq + chronyd on it (null when the servers are missing). */
  const withServers = async (): Promise<{ ns: Netns; dev: string } | null> => {
    if (!check()) return null;
    const ns = namespace();
    const dev = persistentTap(ns);
    await servers(ns, dev);
    return { ns, dev };
  };

  it("`up --dhcp --hostname wt-cli` prints the lease from dnsmasq (NTP server included), dnsmasq's lease file has the name; ping answers; SIGTERM exits 0", async () => {
    const env = await withServers();
    if (!env) return;
    const { ns, dev } = env;
    const up = cli(ns, ["up", "--tap", dev, "--dhcp", "--hostname", "wt-cli", "--http", "80"], 60_000);
    await up.waitLine(/^ready/, 30_000);
    expect(up.lines[0]).toBe(`wasm-tcpip up: ${dev} dhcp mac 02:00:00:00:00:02`);
    const lease = up.lines.find((l) => l.startsWith("lease: "))!;
    expect(lease).toMatch(/^lease: 198\.51\.100\.(5\d|60)\/24 router 198\.51\.100\.1 dns 198\.51\.100\.1 lease 120 s server 198\.51\.100\.1 ntp 198\.51\.100\.1$/);
    const addr = /^lease: ([\d.]+)\//.exec(lease)![1];
    expect(readFileSync(scratch(`${dev}.leases`), "utf8")).toMatch(new RegExp(`02:00:00:00:00:02 ${addr.replace(/\./g, "\\.")} wt-cli `));
    const ping = await ns.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", addr], 10_000);
    expect(ping.stdout).toMatch(/3 received, 0% packet loss/);
    const status = await ns.run(["curl", "-sS", "-w", "\n%{http_code}", `http://${addr}/`], 10_000);
    expect(status.stdout).toMatch(/\n200$/);
    // the status page: the leased address, and the lease as dnsmasq gave it (120 s, T1 60 s, T2 105 s)
    expect(status.stdout.split("\n")[0]).toBe(`wasm-tcpip ${addr}/24`);
    const m = /^dhcp: BOUND ([\d.]+)\/24 server 198\.51\.100\.1 router 198\.51\.100\.1 lease 120 s, (\d+) s left \(T1 in (\d+) s, T2 in (\d+) s\)$/m
      .exec(status.stdout);
    expect(m?.[1]).toBe(addr);
    const [left, t1, t2] = [Number(m![2]), Number(m![3]), Number(m![4])];
    expect(left).toBeGreaterThan(90);
    expect(left).toBeLessThanOrEqual(120);
    expect([left - t1, left - t2]).toEqual([60, 15]);
    up.kill("SIGTERM");
    expect(await up.exited).toBe(0);
    expect(up.lines.at(-1)).toMatch(/^done: /);
  }, 60_000);

  it("`resolve device.test` (--dhcp and --ip/--dns) prints 198.51.100.1, exit 0; `resolve nothere.test` exits 1 with one stderr line", async () => {
    const env = await withServers();
    if (!env) return;
    const { ns, dev } = env;
    for (const how of [["--dhcp"], ["--ip", `${OUR_IP}/24`, "--dns", KERNEL_IP]]) {
      const r = cli(ns, ["resolve", "device.test", "--tap", dev, ...how], 40_000);
      expect(await r.exited).toBe(0);
      expect(r.lines.filter(nonEmpty)).toEqual([KERNEL_IP]);
      expect(r.errLines.filter(nonEmpty)).toEqual([]);
    }
    const miss = cli(ns, ["resolve", "nothere.test", "--tap", dev, "--ip", `${OUR_IP}/24`, "--dns", KERNEL_IP], 40_000);
    expect(await miss.exited).toBe(1);
    expect(miss.lines.filter(nonEmpty)).toEqual([]);
    expect(miss.errLines.filter(nonEmpty)).toEqual(["error: resolve nothere.test: ENOTFOUND (no such name)"]);
    // nobody answers at 198.51.100.9: a timeout, one line, exit 1
    const dead = cli(ns, ["resolve", "device.test", "--tap", dev, "--ip", `${OUR_IP}/24`, "--dns", "198.51.100.9", "--timeout", "3"], 20_000);
    expect(await dead.exited).toBe(1);
    expect(dead.errLines.filter(nonEmpty)).toHaveLength(1);
    expect(dead.errLines[0]).toMatch(/^error: resolve device\.test: ETIMEOUT/);
  }, 90_000);

  it("`time 198.51.100.1` prints chronyd's time within a few seconds of the host clock; no reply: exit 1, one line", async () => {
    const env = await withServers();
    if (!env) return;
    const { ns, dev } = env;
    const t = cli(ns, ["time", KERNEL_IP, "--tap", dev, "--dhcp"], 40_000);
    expect(await t.exited).toBe(0);
    expect(t.lines).toHaveLength(1);
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) server 198\.51\.100\.1 stratum (\d+) offset ([+-]\d+) ms delay [\d.]+ ms$/.exec(t.lines[0]);
    expect(m, t.lines[0]).not.toBeNull();
    expect(Math.abs(Date.parse(m![1]) - Date.now())).toBeLessThan(5_000);
    expect(Number(m![2])).toBe(8); // chronyd: local stratum 8
    expect(Math.abs(Number(m![3]))).toBeLessThan(1_000); // chronyd -x serves the host clock
    const none = cli(ns, ["time", "198.51.100.9", "--tap", dev, "--ip", `${OUR_IP}/24`, "--timeout", "3"], 20_000);
    expect(await none.exited).toBe(1);
    expect(none.errLines.filter(nonEmpty)).toEqual(["error: no NTP reply from 198.51.100.9 within 3 s"]);
  }, 90_000);

  it("`time --dhcp` without a server asks the lease's NTP server (option 42: chronyd) and prints its time", async () => {
    const env = await withServers();
    if (!env) return;
    const { ns, dev } = env;
    const t = cli(ns, ["time", "--tap", dev, "--dhcp"], 40_000);
    expect(await t.exited).toBe(0);
    expect(t.errLines.filter(nonEmpty)).toEqual([]);
    expect(t.lines).toHaveLength(1);
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) server 198\.51\.100\.1 stratum (\d+) offset ([+-]\d+) ms delay [\d.]+ ms$/.exec(t.lines[0]);
    expect(m, t.lines[0]).not.toBeNull();
    expect(Math.abs(Date.parse(m![1]) - Date.now())).toBeLessThan(5_000);
    expect(Number(m![2])).toBe(8);
    expect(Math.abs(Number(m![3]))).toBeLessThan(1_000);
  }, 60_000);

  it("`get http://device.test:8000/...` resolves the name and downloads 16 MiB (--dhcp), SHA-256 equal", async () => {
    const env = await withServers();
    if (!env) return;
    const { ns, dev } = env;
    const { url, digest } = await fileServer(ns);
    const byName = url.replace(KERNEL_IP, "device.test");
    const out = scratch(`${dev}-byname.bin`);
    const get = cli(ns, ["get", byName, "--tap", dev, "--dhcp", "-o", out, "--timeout", "100"], 120_000);
    expect(await get.exited).toBe(0);
    expect(get.errLines.at(-1)).toMatch(new RegExp(`^200 OK: ${16 << 20} bytes in [\\d.]+ s \\([\\d.]+ Mbit/s\\) -> `));
    expect(sha(readFileSync(out))).toBe(digest);
  }, 150_000);
});
