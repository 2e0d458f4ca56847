// The CLI's IPv6 (issue 10) against the Linux kernel, radvd and dnsmasq, in a namespace this test
// creates (named cli6<pid>-<n>): a TAP whose kernel side is a router (2001:db8:1::1/64 and
// 198.51.100.1/24) with radvd advertising 2001:db8:1::/64 and RDNSS 2001:db8:1::1; `wasm-tcpip`
// (bin/wasm-tcpip -> dist/cli.js) runs as a process in the namespace with IPv6 on by default.
// (a) `up --http`: the kernel's `curl -g -6` fetches /bytes/16777216 from our SLAAC address,
// SHA-256 checked; (c) the status page over IPv6 lists that address as preferred; (b) `get` from
// `python3 -m http.server --bind 2001:db8:1::1` by literal and by name (dnsmasq bound to the
// test's interface only, AAAA record), the name's server given by --dns or learned through RDNSS.
// Documentation prefixes only (2001:db8::/32, 198.51.100.0/24). Every pcap passes tshark (ICMPv6
// checksums included). Bounded in time and traffic; everything is removed after each test.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { patternBytes } from "../../src/services.js";
import type { Netns } from "../helpers/netns.js";
import { tsharkRows } from "../helpers/tshark.js";
import { defer, gate, installCleanup, ip, KERNEL_IP, namespaceAndTap, NsProc, OUR_IP, pcapProblems, radvdPresent, radvdRouter, ROOT, scratch } from "./env.js";

const FILE = "test/interop/ipv6-cli.test.ts";
const skip = gate(FILE) || !radvdPresent(FILE);
installCleanup();

const BIN = join(ROOT, "bin/wasm-tcpip");
const ROUTER6 = "2001:db8:1::1";
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function cli(ns: Netns, args: string[], timeoutMs = 90_000): NsProc {
  if (!existsSync(join(ROOT, "dist/cli.js"))) throw new Error("dist/cli.js missing: run `npm run tsbuild`");
  return new NsProc(ns, [process.execPath, BIN, ...args], { cwd: ROOT, timeoutMs });
}

/**
 * A namespace whose kernel side of a persistent TAP (created here, moved in, deleted after the test)
 * is the IPv6 router (radvd: 2001:db8:1::/64 on-link and autonomous, RDNSS 2001:db8:1::1) and has
 * 198.51.100.1/24; the CLI opens the TAP by name from inside the namespace.
 */
function router(): { ns: Netns; dev: string; pcap: string; radvd: NsProc } {
  const { ns, dev, pcap } = namespaceAndTap("cli6");
  ip(["tuntap", "add", "dev", dev, "mode", "tap"]);
  defer(() => { try { ns.execSync(["ip", "link", "del", dev]); } catch { try { ip(["link", "del", dev]); } catch { /* gone */ } } });
  const radvd = radvdRouter(ns, dev, "prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 3600; AdvPreferredLifetime 1800; };",
    [`RDNSS ${ROUTER6} { AdvRDNSSLifetime 600; };`]);
  ns.execSync(["ip", "addr", "add", `${KERNEL_IP}/24`, "dev", dev]);
  return { ns, dev, pcap, radvd };
}

/** ICMPv6 checksums as tshark sees them (pcapProblems covers IP, ICMP, UDP and TCP). */
function icmp6Problems(file: string): string[] {
  return tsharkRows(file, ["frame.number", "icmpv6.checksum.status"]).filter(([, s]) => s.split(",").includes("0")).map(([n]) => `frame ${n}: bad icmpv6 checksum`);
}

/** A random file served by `python3 -m http.server --bind 2001:db8:1::1` in the namespace. */
async function fileServer(ns: Netns, bytes: number): Promise<{ digest: string }> {
  const dir = scratch(`www6-${ns.name}`);
  mkdirSync(dir, { recursive: true });
  const blob = randomBytes(bytes);
  writeFileSync(join(dir, "blob.bin"), blob);
  const srv = new NsProc(ns, ["python3", "-u", "-m", "http.server", "8000", "--bind", ROUTER6, "--directory", dir], { timeoutMs: 120_000 });
  let r = { stdout: "", code: -1 };
  for (let i = 0; i < 100; i++) {
    r = await ns.run(["curl", "-g", "-6", "-sS", "-o", "/dev/null", "-w", "%{http_code}\n", `http://[${ROUTER6}]:8000/`], 5_000);
    if (r.stdout === "200") return { digest: sha(blob) };
    if (srv.code !== null) throw new Error(`http.server exited: ${srv.errLines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`http.server did not answer: curl ${r.code} ${r.stdout}; server: ${srv.errLines.join(" | ")}`);
}

/** dnsmasq as the DNS server on the test's interface only: www6.test has AAAA 2001:db8:1::1 (no A record). */
function dnsmasq(ns: Netns, dev: string): NsProc {
  const p = new NsProc(ns, [
    "dnsmasq", "--no-daemon", "--conf-file=/dev/null", `--interface=${dev}`, "--bind-interfaces", "--user=root",
    `--pid-file=${scratch(`${dev}.dnsmasq6.pid`)}`, "--no-resolv", "--no-hosts", "--local=/test/", `--host-record=www6.test,${ROUTER6}`,
  ], { timeoutMs: 90_000 });
  defer(() => p.kill("SIGKILL"));
  return p;
}

function dnsmasqPresent(): boolean {
  try { execFileSync("sh", ["-c", "command -v dnsmasq"], { stdio: "ignore" }); return true; } catch { /* missing */ }
  if (process.env.WASM_TCPIP_REQUIRE_NET === "1") throw new Error(`${FILE}: needs dnsmasq (apt-get install dnsmasq-base: see .ci/run)`);
  console.warn(`${FILE}: SKIPPED (get by name): needs dnsmasq`);
  return false;
}

const nonEmpty = (l: string) => l.trim() !== "";

describe.skipIf(skip)("CLI over IPv6 against the kernel, radvd and dnsmasq", () => {
  it("RFC 4862 + RFC 8200: `up --http` prints its SLAAC address when preferred; kernel curl -g -6 gets /bytes/16777216 from it (SHA-256); the status page over IPv6 lists it preferred", async () => {
    const { ns, dev, pcap, radvd } = router();
    const up = cli(ns, ["up", "--tap", dev, "--ip", `${OUR_IP}/24`, "--http", "8080", "--pcap", pcap]);
    await up.waitLine(/^ready/, 20_000);
    expect(up.lines[0]).toBe(`wasm-tcpip up: ${dev} ${OUR_IP}/24 mac 02:00:00:00:00:02 pcap ${pcap}`);
    const ll = await up.waitLine(/^ipv6: fe80::[0-9a-f:]+\/64 preferred \(link-local\)$/, 10_000);
    const line = await up.waitLine(/^ipv6: 2001:db8:1:0:[0-9a-f:]+\/64 preferred \(slaac, valid \d+ s, preferred \d+ s\)$/, 30_000)
      .catch((e) => { throw new Error(`${e.message}; radvd: ${radvd.errLines.join(" | ")}`); });
    const slaac = /^ipv6: ([0-9a-f:]+)\//.exec(line)![1];
    const lladdr = /^ipv6: ([0-9a-f:]+)\//.exec(ll)![1];
    // (a) 16 MiB over TCP/IPv6 from the kernel's curl
    const t0 = performance.now();
    const big = await ns.run(["sh", "-c", `curl -g -6 -sS --max-time 60 http://[${slaac}]:8080/bytes/16777216 | sha256sum`], 70_000);
    console.log(`curl -6 16 MiB from up: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    expect(big.stdout.split(" ")[0]).toBe(sha(patternBytes(16 << 20)));
    // ... and over the link-local address too (the kernel names the interface)
    const small = await ns.run(["sh", "-c", `curl -g -6 -sS --max-time 20 --interface ${dev} http://[${lladdr}%25${dev}]:8080/bytes/100000 | sha256sum`], 30_000);
    expect(small.stdout.split(" ")[0]).toBe(sha(patternBytes(100_000)));
    // (c) the status page, fetched over IPv6, lists every address with its state, and the router in the neighbor cache
    const status = await ns.run(["curl", "-g", "-6", "-sS", "--max-time", "10", `http://[${slaac}]:8080/`], 15_000);
    expect(status.stdout.split("\n")[0]).toBe(`wasm-tcpip ${OUR_IP}/24`);
    expect(status.stdout).toMatch(new RegExp(`\\n${slaac}/64\\s+slaac\\s+preferred\\s+\\d+ s\\s+\\d+ s\\n`));
    expect(status.stdout).toMatch(new RegExp(`\\n${lladdr}/64\\s+link-local\\s+preferred\\s+forever\\s+forever\\n`));
    expect(status.stdout).toMatch(/\nipv6: on, link MTU 1500, hop limit 64, 1 default router\(s\), 1 on-link prefix\(es\)/);
    expect(status.stdout).toMatch(/\nfe80::[0-9a-f:]+\s+([0-9a-f]{2}:){5}[0-9a-f]{2}\s+(REACHABLE|STALE|DELAY|PROBE)\s+yes\s/); // the kernel: our router
    expect(status.stdout).toMatch(new RegExp(`\\nipv6 dns servers \\(RDNSS\\): ${ROUTER6} \\(\\d+ s left\\)\\n`));
    expect(status.stdout).toMatch(new RegExp(`\\nESTABLISHED\\s+\\d+\\s+\\d+\\s+\\[${slaac}\\]:8080\\s+\\[2001:db8:1::1\\]:\\d+`));
    // IPv4 still served by the same listener
    const v4 = await ns.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}\n", `http://${OUR_IP}:8080/`], 15_000);
    expect(v4.stdout).toBe("200");
    up.kill("SIGTERM");
    expect(await up.exited).toBe(0);
    expect(up.lines.at(-1)).toMatch(/^done: 4 http request\(s\), .* pcap \d+ frames$/);
    expect(pcapProblems(pcap)).toEqual([]);
    expect(icmp6Problems(pcap)).toEqual([]);
  }, 120_000);

  it("RFC 3986 §3.2.2: `get http://[2001:db8:1::1]:8000/blob.bin` from python3 -m http.server --bind 2001:db8:1::1 (4 MiB, SHA-256), source our SLAAC address", async () => {
    const { ns, dev, pcap } = router();
    const { digest } = await fileServer(ns, 4 << 20);
    const out = scratch(`${dev}-get6.bin`);
    const get = cli(ns, ["get", `http://[${ROUTER6}]:8000/blob.bin`, "--tap", dev, "--ip", `${OUR_IP}/24`, "-o", out, "--pcap", pcap, "--timeout", "60"]);
    expect(await get.exited, get.errLines.join("\n")).toBe(0);
    expect(get.errLines.filter(nonEmpty).at(-1)).toMatch(new RegExp(`^200 OK: ${4 << 20} bytes in [\\d.]+ s \\([\\d.]+ Mbit/s\\) -> `));
    expect(sha(readFileSync(out))).toBe(digest);
    const tcp = tsharkRows(pcap, ["ipv6.src", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack"]).filter(([, port, syn, ack]) => port === "8000" && syn === "1" && ack === "0");
    expect(tcp).toHaveLength(1);
    expect(tcp[0][0]).toMatch(/^2001:db8:1:0:/); // RFC 6724: a global source for a global destination
    expect(pcapProblems(pcap)).toEqual([]);
    expect(icmp6Problems(pcap)).toEqual([]);
  }, 120_000);

  /** `get http://www6.test:8000/blob.bin` (1 MiB) with `dnsArgs`, SHA-256 checked; the namespace for more. */
  const getByName = async (dnsArgs: string[]): Promise<{ ns: Netns; dev: string }> => {
    const { ns, dev } = router();
    const { digest } = await fileServer(ns, 1 << 20);
    dnsmasq(ns, dev);
    const out = scratch(`${dev}-get6name.bin`);
    const get = cli(ns, ["get", "http://www6.test:8000/blob.bin", "--tap", dev, "--ip", `${OUR_IP}/24`, ...dnsArgs, "-o", out, "--timeout", "60"]);
    expect(await get.exited, get.errLines.join("\n")).toBe(0);
    expect(sha(readFileSync(out))).toBe(digest);
    return { ns, dev };
  };

  it("RFC 3596: `get http://www6.test:8000/blob.bin --dns 198.51.100.1`: dnsmasq's AAAA record (no A), then the download over IPv6", async () => {
    if (!dnsmasqPresent()) return;
    const { ns, dev } = await getByName(["--dns", KERNEL_IP]);
    const res = cli(ns, ["resolve", "www6.test", "--tap", dev, "--ip", `${OUR_IP}/24`, "--dns", KERNEL_IP]);
    expect(await res.exited, res.errLines.join("\n")).toBe(0);
    expect(res.lines.filter(nonEmpty)).toEqual([ROUTER6]);
  }, 120_000);

  it("RFC 8106: `get http://www6.test:8000/blob.bin` with no --dns: the name resolved by the RDNSS server radvd advertises (dnsmasq on 2001:db8:1::1)", async () => {
    if (!dnsmasqPresent()) return;
    const { ns, dev } = await getByName([]);
    const res = cli(ns, ["resolve", "www6.test", "--tap", dev, "--ip", `${OUR_IP}/24`]);
    expect(await res.exited, res.errLines.join("\n")).toBe(0);
    expect(res.lines.filter(nonEmpty)).toEqual([ROUTER6]);
  }, 120_000);
});
