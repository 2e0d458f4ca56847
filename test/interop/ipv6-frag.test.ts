// IPv6 fragments against the Linux kernel, in a namespace this test creates (named
// v6n<pid>-<n>): our stack (src/net.ts in this process) behind a TAP whose kernel side has
// 2001:db8:1::1/64; our stack holds 2001:db8:1::2/64 (static). The kernel pings us with
// `ping -6 -s 3000` (3008-byte ICMPv6 messages: the kernel fragments the requests at MTU 1500,
// we reassemble them, answer in fragments, and the kernel reassembles the replies, RFC 8200 §4.5).
// A second case runs radvd (Debian `radvd`) with an RDNSS option (RFC 8106): our stack learns the
// server with its lifetime. Documentation addresses (2001:db8::/32) and link-local only.
import { describe, expect, it } from "vitest";
import { createStack } from "../../src/net.js";
import type { Netns } from "../helpers/netns.js";
import { defer, gate, installCleanup, ip, namespaceAndTap, OUR_IP, OUR_MAC, pcapProblems, radvdPresent, radvdRouter, until } from "./env.js";

const FILE = "test/interop/ipv6-frag.test.ts";
const skip = gate(FILE);
const hasRadvd = !skip && radvdPresent(FILE);
installCleanup();

describe.skipIf(skip)("IPv6 fragments interop: the kernel", () => {
  it("RFC 8200 §4.5: kernel `ping -6 -s 3000` to our global and link-local addresses is reassembled by us and answered in fragments the kernel reassembles", async () => {
    const { ns, dev, pcap } = namespaceAndTap("v6n");
    const net = createStack({
      ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 43, pcap, link: { type: "tap", name: dev },
      config: { Ip6Enable: 1, Ip6Flags: 4 /* no router solicitations */ },
    });
    defer(() => net.close());
    ip(["link", "set", dev, "netns", ns.name]);
    ns.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.accept_dad=0`]);
    ns.execSync(["ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", dev]);
    ns.execSync(["ip", "link", "set", dev, "up"]);
    const s = net.stack;
    expect(s.ip6AddrAdd("2001:db8:1::2/64")).toBeGreaterThanOrEqual(0);
    const ready = await until(() => s.ip6Addresses().filter((a) => a.state === "preferred").length >= 2, 10_000);
    expect(ready, JSON.stringify(s.ip6Addresses())).toBe(true);
    const ll = s.ip6Addresses().find((a) => a.origin === "link-local")!;

    const p1 = await ns.run(["ping", "-6", "-c", "3", "-i", "0.3", "-W", "2", "-s", "3000", "2001:db8:1::2"], 20_000);
    expect(p1.stdout, p1.stdout).toMatch(/3 packets transmitted, 3 received/);
    const p2 = await ns.run(["ping", "-6", "-c", "2", "-i", "0.3", "-W", "2", "-s", "3000", `${ll.address}%${dev}`], 20_000);
    expect(p2.stdout, p2.stdout).toMatch(/2 packets transmitted, 2 received/);
    expect(s.stat("ipv6_reasm_ok")).toBe(5);
    expect(s.stat("ipv6_frag_tx")).toBe(15); // 3008 bytes: 1448 + 1448 + 112
    expect(s.stat("icmp6_echo_replies_tx")).toBe(5);
    // the kernel reassembled our replies: its own counters say so
    const snmp = ns.execSync(["cat", "/proc/net/snmp6"]);
    expect(Number(/Ip6ReasmOKs\s+(\d+)/.exec(snmp)![1])).toBeGreaterThanOrEqual(5);
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 60_000);

  it.skipIf(!hasRadvd)("RFC 8106: radvd's RDNSS option (2001:db8:1::1, lifetime 600 s) is learned by our stack", async () => {
    const { ns, dev } = namespaceAndTap("v6n");
    const net = createStack({ ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 44, link: { type: "tap", name: dev }, config: { Ip6Enable: 1 } });
    defer(() => net.close());
    const radvd = radvdRouter(ns, dev, "prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; };", ["RDNSS 2001:db8:1::1 { AdvRDNSSLifetime 600; };"]);
    const s = net.stack;
    const learned = await until(() => s.ip6DnsServers().length > 0, 20_000);
    expect(learned, `radvd: ${radvd.errLines.join(" | ")}`).toBe(true);
    const d = s.ip6DnsServers();
    expect(d.map((x) => x.address)).toEqual(["2001:db8:1::1"]);
    expect(d[0].lifetimeLeft).toBeGreaterThan(590);
    expect(d[0].lifetimeLeft).toBeLessThanOrEqual(600);
    expect(s.stat("nd_rdnss_rx")).toBeGreaterThan(0);
    radvd.kill("SIGKILL");
  }, 60_000);
});
