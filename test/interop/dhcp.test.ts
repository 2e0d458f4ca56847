// The core's DHCP client (RFC 2131 + RFC 5227 ACD) against dnsmasq, a DHCP server nobody here
// wrote, in a namespace this test creates: our stack behind a TAP started with
// createStack({ ip: "dhcp" }), the kernel side of the TAP at 198.51.100.1/24 where dnsmasq
// serves 198.51.100.50-60 (2-minute leases, the shortest dnsmasq allows). dnsmasq binds to
// that interface only; it and the namespace are removed after the test, also on failure.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { defer, gate, installCleanup, KERNEL_IP, NsProc, OUR_MAC, pcapProblems, scratch, world } from "./env.js";

const skip = gate("test/interop/dhcp.test.ts");
installCleanup();

function haveDnsmasq(): boolean {
  try { execFileSync("sh", ["-c", "command -v dnsmasq"], { stdio: "ignore" }); return true; } catch { return false; }
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
    w.net.on("dhcp", (s: string) => states.push(s));
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
});
