// The core's DHCP client (RFC 2131 + RFC 5227 ACD) against dnsmasq, a DHCP server nobody here
// wrote, in a namespace this test creates: our stack behind a TAP started with
// createStack({ ip: "dhcp" }) or createStack({ dhcp: {...} }), the kernel side of the TAP at
// 198.51.100.1/24 where dnsmasq serves 198.51.100.50-60 (2-minute leases, the shortest dnsmasq
// allows) and, in the later tests, DNS (our host name registered from option 12) and option 42
// pointing at chronyd -x (never touches the host clock) on the same address. The servers bind to
// that interface only; they and the namespace are removed after each test, also on failure.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { defer, gate, installCleanup, KERNEL_IP, NsProc, OUR_MAC, pcapProblems, scratch, world, type World } from "./env.js";
import type { DhcpLease } from "../../src/dhcp.js";

const skip = gate("test/interop/dhcp.test.ts");
installCleanup();

function haveDnsmasq(): boolean {
  try { execFileSync("sh", ["-c", "command -v dnsmasq"], { stdio: "ignore" }); return true; } catch { return false; }
}

/** dnsmasq and chronyd installed; otherwise a failure under WASM_TCPIP_REQUIRE_NET=1, else a skip warning. */
function haveServers(): boolean {
  const miss = ["dnsmasq", "chronyd"].filter((t) => {
    try { execFileSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }); return false; } catch { return true; }
  });
  if (!miss.length) return true;
  if (process.env.WASM_TCPIP_REQUIRE_NET === "1") throw new Error(`needs ${miss.join(", ")} (apt-get install dnsmasq-base chrony: see .ci/run)`);
  console.warn(`test/interop/dhcp.test.ts: SKIPPED: needs ${miss.join(", ")}`);
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, ms: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timeout waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(skip)("DHCP client against dnsmasq", () => {
  it("RFC 2131: a lease from dnsmasq (address, router, DNS applied); the kernel pings us there; the lease file lists our MAC; RELEASE on stop removes it", async () => {
    if (!haveDnsmasq()) {
      if (process.env.WASM_TCPIP_REQUIRE_NET === "1") throw new Error("dnsmasq missing (apt-get install dnsmasq-base: see .ci/run)");
      console.warn("test/interop/dhcp.test.ts: SKIPPED: needs dnsmasq (dnsmasq-base)");
      return;
    }
    const w = world({ ip: "dhcp" });
    const states: string[] = [];
    w.net.on("dhcp", (s: string, lease?: DhcpLease) => { if (!lease) states.push(s); }); // state names (lease events carry a lease)
    const leases = scratch(`${w.dev}.leases`);
    const log = scratch(`${w.dev}.dnsmasq.log`);
    writeFileSync(leases, "");
    const dnsmasq = new NsProc(w.ns, [
      "dnsmasq", "--no-daemon", "--conf-file=/dev/null", `--interface=${w.dev}`, "--bind-interfaces", "--port=0",
      "--user=root", `--pid-file=${scratch(`${w.dev}.pid`)}`,
      "--dhcp-range=198.51.100.50,198.51.100.60,2m", `--dhcp-option=option:router,${KERNEL_IP}`,
      `--dhcp-option=option:dns-server,${KERNEL_IP}`, `--dhcp-leasefile=${leases}`, "--log-dhcp", `--log-facility=${log}`,
    ], { timeoutMs: 90_000 });
    defer(() => dnsmasq.kill("SIGKILL"));

    // DISCOVERs retransmit at 4, 12, 28 s: the first may have gone before dnsmasq listened
    const addr = await waitFor("a lease", () => w.net.ifaceInfo().address, 60_000).catch((e) => {
      throw new Error(`${e.message}; dnsmasq log:\n${existsSync(log) ? readFileSync(log, "utf8") : "(none)"}\n${dnsmasq.errLines.join("\n")}`);
    });
    expect(addr).toMatch(/^198\.51\.100\.(5\d|60)$/);
    const info = w.net.ifaceInfo();
    expect(info).toMatchObject({ prefix: 24, gateway: KERNEL_IP, dns: [KERNEL_IP] });
    const d = w.net.dhcpInfo();
    expect(d).toMatchObject({ state: "BOUND", address: addr, serverId: KERNEL_IP, router: KERNEL_IP, leaseSecs: 120 });
    expect(d.t1Left).toBeGreaterThan(30);
    expect(d.t1Left).toBeLessThanOrEqual(60);
    expect(states).toContain("CHECKING"); // RFC 5227 probes before using the address
    expect(states.at(-1)).toBe("BOUND");

    const ping = await w.ns.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", addr], 15_000);
    expect(ping.stdout).toMatch(/3 packets transmitted, 3 received/);

    const leased = await waitFor("our MAC in the lease file", () => readFileSync(leases, "utf8").includes(OUR_MAC) && readFileSync(leases, "utf8"), 5_000);
    expect(leased).toMatch(new RegExp(`${OUR_MAC} ${addr.replace(/\./g, "\\.")}`));

    w.net.dhcpStop(true);
    expect(w.net.ifaceInfo().address).toBeNull();
    await waitFor("the lease removed by DHCPRELEASE", () => !readFileSync(leases, "utf8").includes(OUR_MAC), 10_000);
    const text = readFileSync(log, "utf8");
    expect(text).toMatch(/DHCPRELEASE/);
    expect(text).toMatch(/DHCPACK/);
    dnsmasq.kill("SIGTERM");
    w.net.close();
    expect(pcapProblems(w.pcap)).toEqual([]);
  }, 120_000);

  /** dnsmasq with DHCP, DNS (names from leases under wt.test) and option 42, and chronyd -x, both on 198.51.100.1. */
  async function servers(w: World): Promise<{ leases: string; log: string; dnsmasq: NsProc }> {
    const leases = scratch(`${w.dev}.leases`);
    const log = scratch(`${w.dev}.dnsmasq.log`);
    writeFileSync(leases, "");
    const conf = scratch(`${w.dev}.chrony.conf`);
    writeFileSync(conf, [
      "local stratum 8", "allow 198.51.100.0/24", `bindaddress ${KERNEL_IP}`, "cmdport 0", "port 123",
      `pidfile ${scratch(`${w.dev}.chronyd.pid`)}`, `driftfile ${scratch(`${w.dev}.chrony.drift`)}`, "",
    ].join("\n"));
    const chronyd = new NsProc(w.ns, ["chronyd", "-x", "-d", "-u", "root", "-f", conf], { timeoutMs: 120_000 });
    defer(() => chronyd.kill("SIGKILL"));
    const dnsmasq = new NsProc(w.ns, [
      "dnsmasq", "--no-daemon", "--conf-file=/dev/null", `--interface=${w.dev}`, "--bind-interfaces", "--user=root",
      `--pid-file=${scratch(`${w.dev}.pid`)}`, "--no-resolv", "--no-hosts", "--domain=wt.test", "--local=/wt.test/",
      "--dhcp-range=198.51.100.50,198.51.100.60,2m", `--dhcp-option=option:router,${KERNEL_IP}`,
      `--dhcp-option=option:dns-server,${KERNEL_IP}`, `--dhcp-option=42,${KERNEL_IP}`,
      `--dhcp-leasefile=${leases}`, "--log-dhcp", "--log-queries", `--log-facility=${log}`,
    ], { timeoutMs: 120_000 });
    defer(() => dnsmasq.kill("SIGKILL"));
    await waitFor("dnsmasq and chronyd listening", () => {
      if (dnsmasq.code !== null || chronyd.code !== null) throw new Error(`a server exited: ${dnsmasq.errLines.join(" | ")} ${chronyd.errLines.join(" | ")}`);
      const out = execFileSync("ip", ["netns", "exec", w.ns.name, "ss", "-Hunl"], { encoding: "utf8" });
      return [67, 53, 123].every((p) => new RegExp(`:${p}\\s`).test(out));
    }, 10_000);
    return { leases, log, dnsmasq };
  }

  /** The 'dhcp' lease events (bound, renewed, lost) as they come. */
  const leaseEvents = (w: World) => {
    const got: [string, DhcpLease][] = [];
    w.net.on("dhcp", (e: string, l?: DhcpLease) => { if (l) got.push([e, l]); });
    return got;
  };

  it("RFC 2132 §3.14 / §8.3: our host name reaches dnsmasq (lease file, then DNS: resolve4 finds us); option 42 names chronyd and sntp() without a server syncs against it", async () => {
    if (!haveServers()) return;
    const w = world({ ip: undefined, dhcp: { hostname: "wt-sensor" } });
    const events = leaseEvents(w);
    const { leases, log } = await servers(w);
    const bound = await waitFor("a 'bound' event", () => events.find((e) => e[0] === "bound"), 60_000).catch((e) => {
      throw new Error(`${e.message}; dnsmasq log:\n${existsSync(log) ? readFileSync(log, "utf8") : "(none)"}`);
    });
    const lease = bound[1];
    expect(lease).toMatchObject({ prefix: 24, router: KERNEL_IP, dns: [KERNEL_IP], ntp: [KERNEL_IP], leaseSeconds: 120, serverId: KERNEL_IP });
    expect(lease.address).toMatch(/^198\.51\.100\.(5\d|60)$/);
    // the lease file line: expiry MAC address hostname client-id
    const line = await waitFor("our host name in the lease file", () => readFileSync(leases, "utf8").split("\n").find((l) => l.includes(OUR_MAC)), 5_000);
    expect(line.split(" ").slice(1, 4)).toEqual([OUR_MAC, lease.address, "wt-sensor"]);
    const addrs = await w.net.resolve4("wt-sensor.wt.test");
    expect(addrs).toEqual([lease.address]);
    await expect(w.net.resolve4("nobody.wt.test")).rejects.toMatchObject({ code: "ENOTFOUND", syscall: "queryA" });

    const t = await w.net.sntp();
    expect(t).toMatchObject({ server: KERNEL_IP, stratum: 8 });
    expect(Math.abs(t.time.getTime() - Date.now())).toBeLessThan(1000);
    expect(t.delayMs).toBeGreaterThanOrEqual(0);
    expect(t.delayMs).toBeLessThan(500);
    w.net.dhcpStop(true);
    w.net.close();
    expect(pcapProblems(w.pcap)).toEqual([]);
  }, 90_000);

  it("RFC 2131 §4.4.5: at T1 (60 s into dnsmasq's 2-minute lease) the client renews: 'renewed', same address, dnsmasq logs the REQUEST/ACK, the lease file keeps us", async () => {
    if (!haveServers()) return;
    const w = world({ ip: undefined, dhcp: true });
    const events = leaseEvents(w);
    const { leases, log } = await servers(w);
    const bound = await waitFor("a 'bound' event", () => events.find((e) => e[0] === "bound"), 30_000);
    const t1Left = w.net.dhcpInfo().t1Left;
    expect(t1Left).toBeGreaterThan(40);
    expect(t1Left).toBeLessThanOrEqual(60);
    const t0 = Date.now();
    const renewed = await waitFor("a 'renewed' event", () => events.find((e) => e[0] === "renewed"), (t1Left + 10) * 1000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual((t1Left - 1) * 1000);
    expect(renewed[1]).toMatchObject({ address: bound[1].address, leaseSeconds: 120, serverId: KERNEL_IP });
    expect(w.net.address).toBe(bound[1].address);
    expect(w.net.dhcpInfo()).toMatchObject({ state: "BOUND", address: bound[1].address });
    expect(w.net.dhcpInfo().t1Left).toBeGreaterThan(50);
    expect(events.map((e) => e[0])).toEqual(["bound", "renewed"]);
    expect(readFileSync(leases, "utf8")).toContain(`${OUR_MAC} ${bound[1].address}`);
    const acks = readFileSync(log, "utf8").split("\n").filter((l) => /DHCPACK/.test(l));
    expect(acks.length).toBeGreaterThanOrEqual(2); // the first lease and the renewal
    w.net.dhcpStop(true);
    w.net.close();
    expect(pcapProblems(w.pcap)).toEqual([]);
  }, 105_000);
});
