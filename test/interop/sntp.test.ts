// SNTP and multicast against real peers in a namespace this test creates (kernel
// 198.51.100.1/24 on the TAP, us 198.51.100.2/24): chronyd -x (never touches the host's clock)
// answers our SNTP requests, and the kernel's UDP sockets exchange multicast datagrams with ours
// while tshark checks our IGMPv2 report (RFC 2236 §2: Router Alert, TTL 1). Gated like the other
// interop suites (skipped without root/TAP/tools unless WASM_TCPIP_REQUIRE_NET=1).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UdpOpt } from "../../src/abi.js";
import type { Stack } from "../../src/stack.js";
import { defer, gate, installCleanup, KERNEL_IP, NsProc, pcapProblems, python, scratch, world } from "./env.js";

const skip = gate("test/interop/sntp.test.ts") || (() => {
  try { execFileSync("sh", ["-c", "command -v chronyd"], { stdio: "ignore" }); return false; } catch {
    if (process.env.WASM_TCPIP_REQUIRE_NET === "1") throw new Error("test/interop/sntp.test.ts: needs chronyd (apt-get install chrony)");
    console.warn("test/interop/sntp.test.ts: SKIPPED: needs chronyd (apt-get install chrony)");
    return true;
  }
})();
installCleanup();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T | null | undefined | false, ms: number, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timeout: ${what}`);
    await sleep(50);
  }
}

const GROUP = "239.1.2.3";

/** Kernel side: join GROUP on 198.51.100.1, print the first datagram from us, answer to the group. */
const PY_MCAST = String.raw`
import socket, struct, sys, json
grp, port, ifaddr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(grp) + socket.inet_aton(ifaddr))
print(json.dumps({"ready": True}), flush=True)
s.settimeout(20)
d, a = s.recvfrom(2048)
o = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
o.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
o.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
o.sendto(b"kernel-reply", (grp, port))
print(json.dumps({"data": d.decode(), "from": a[0], "fromPort": a[1]}), flush=True)
`;

describe.skipIf(skip)("SNTP and multicast interop", () => {
  it("RFC 4330: chronyd -x (local stratum 8) answers our SNTP request; the learned time is within 1 s of the host clock", async () => {
    const w = world();
    const conf = scratch("chrony.conf");
    writeFileSync(conf, [
      "local stratum 8", "allow 198.51.100.0/24", `bindaddress ${KERNEL_IP}`, "cmdport 0", "port 123",
      `pidfile ${scratch("chronyd.pid")}`, `driftfile ${scratch("chrony.drift")}`,
    ].join("\n") + "\n");
    const chronyd = new NsProc(w.ns, ["chronyd", "-x", "-d", "-u", "root", "-f", conf], { timeoutMs: 60_000 });
    defer(() => chronyd.kill("SIGKILL"));
    await sleep(1000); // chronyd binds its port
    const s: Stack = w.net.stack;
    expect(s.sntpStart(KERNEL_IP, 16)).toBe(0);
    const info = await until(() => { const i = s.sntpInfo(); return i.synced ? i : null; }, 30_000,
      `an SNTP reply from chronyd (stats: sntp_tx ${s.stat("sntp_tx")}, sntp_rx ${s.stat("sntp_rx")}, unsync ${s.stat("sntp_unsynchronized")}; chronyd: ${chronyd.errLines.slice(-5).join(" | ")})`);
    expect(info.stratum).toBe(8);
    const learned = s.sntpInfo().time!.getTime();
    expect(Math.abs(learned - Date.now())).toBeLessThan(1000);
    expect(s.sntpInfo().delayUs).toBeGreaterThanOrEqual(0);
    expect(s.stat("sntp_bad_origin") + s.stat("sntp_bad_format") + s.stat("sntp_bad_source")).toBe(0);
    s.sntpStop();
    chronyd.kill("SIGTERM");
    w.net.close();
    expect(pcapProblems(w.pcap)).toEqual([]);
  }, 60_000);

  it("RFC 1112 / RFC 2236: a kernel multicast receiver gets our datagram to a joined group, we get its answer; tshark sees our IGMPv2 report with Router Alert", async () => {
    const w = world();
    const s: Stack = w.net.stack;
    const py = python(w.ns, PY_MCAST, [GROUP, 5007, KERNEL_IP], 30_000);
    await py.waitLine(/"ready"/, 10_000);
    const u = s.udpOpen();
    expect(s.udpSetOption(u, UdpOpt.ReuseAddr, 1)).toBe(0);
    expect(s.udpBind(u, 5007)).toBe(5007);
    expect(s.udpJoinGroup(u, GROUP)).toBe(0);
    await sleep(200);
    expect(s.udpSendTo(u, GROUP, 5007, Buffer.from("from-wasm"))).toBe(9);
    const got = JSON.parse(await py.waitLine(/"data"/, 10_000));
    expect(got).toEqual({ data: "from-wasm", from: "198.51.100.2", fromPort: 5007 });
    const back = await until(() => { const r = s.udpRecvFrom(u); return typeof r === "number" ? null : r; }, 5_000, "the kernel's datagram to the group");
    expect(Buffer.from(back.data).toString()).toBe("kernel-reply");
    expect(back.address).toBe(KERNEL_IP);
    expect(s.udpLeaveGroup(u, GROUP)).toBe(0);
    await sleep(100);
    w.net.close();
    expect(pcapProblems(w.pcap)).toEqual([]);
    const out = execFileSync("tshark", ["-r", w.pcap, "-Y", "igmp", "-T", "fields", "-e", "igmp.type", "-e", "igmp.maddr",
      "-e", "ip.ttl", "-e", "ip.opt.type", "-e", "igmp.checksum.status"], { encoding: "utf8" });
    const rows = out.trim().split("\n").map((l) => l.split("\t"));
    const reports = rows.filter((r) => r[0] === "0x16" || r[0] === "22");
    const leaves = rows.filter((r) => r[0] === "0x17" || r[0] === "23");
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(leaves.length).toBe(1);
    for (const r of [...reports, ...leaves]) {
      expect(r[1]).toBe(GROUP);
      expect(r[2]).toBe("1");
      expect(r[3]).toMatch(/148|0x94/); // Router Alert
    }
  }, 60_000);
});
