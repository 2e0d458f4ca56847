// IPv6 against the Linux kernel and radvd (Debian `radvd`), in a namespace this test creates
// (named v6h<pid>-<n>): our stack (src/net.ts in this process) behind a TAP whose kernel side
// has 2001:db8:1::1/64 and its own link-local address; radvd advertises 2001:db8:1::/64
// (A and L flags). Our stack forms its link-local address (RFC 7217) and a SLAAC address
// from the advertisement (RFC 4862), each after DAD, and the kernel pings both with
// `ping -6 -c 3`; our ip6Ping reaches the kernel's addresses; a static address the kernel holds
// fails our DAD. Documentation addresses (2001:db8::/32) and link-local only.
import { describe, expect, it } from "vitest";
import { createStack } from "../../src/net.js";
import { EventKind } from "../../src/stack.js";
import type { Netns } from "../helpers/netns.js";
import { defer, gate, installCleanup, namespaceAndTap, OUR_IP, OUR_MAC, pcapProblems, radvdPresent, radvdRouter, until } from "./env.js";

const FILE = "test/interop/ipv6.test.ts";
const skip = gate(FILE) || !radvdPresent(FILE);
installCleanup();

describe.skipIf(skip)("IPv6 interop: the kernel and radvd", () => {
  it("RFC 4862 / RFC 4861 / RFC 4443: SLAAC from radvd's 2001:db8:1::/64, kernel ping -6 to our link-local and SLAAC addresses, our ping to the kernel, DAD against the kernel", async () => {
    const { ns, dev, pcap } = namespaceAndTap("v6h");
    const net = createStack({ ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 42, pcap, link: { type: "tap", name: dev }, config: { Ip6Enable: 1 } });
    defer(() => net.close());
    const radvd = radvdRouter(ns, dev, "prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 3600; AdvPreferredLifetime 1800; };");

    const s = net.stack;
    const ready = await until(() => s.ip6Addresses().filter((a) => a.state === "preferred").length >= 2, 20_000);
    const addrs = s.ip6Addresses();
    expect(ready, `addresses: ${JSON.stringify(addrs)}; radvd: ${radvd.errLines.join(" | ")}`).toBe(true);
    const ll = addrs.find((a) => a.origin === "link-local")!;
    const slaac = addrs.find((a) => a.origin === "slaac")!;
    expect(ll.address.startsWith("fe80::")).toBe(true);
    expect(slaac.address.startsWith("2001:db8:1:0:")).toBe(true);
    expect(slaac.prefix).toBe(64);
    expect(s.ip6Info().routers).toBe(1);
    expect(s.stat("nd_ra_rx")).toBeGreaterThan(0);

    const p1 = await ns.run(["ping", "-6", "-c", "3", "-i", "0.3", "-W", "2", `${ll.address}%${dev}`], 20_000);
    expect(p1.stdout, p1.stdout).toMatch(/3 packets transmitted, 3 received/);
    const p2 = await ns.run(["ping", "-6", "-c", "3", "-i", "0.3", "-W", "2", slaac.address], 20_000);
    expect(p2.stdout, p2.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(s.stat("icmp6_echo_replies_tx")).toBeGreaterThanOrEqual(6);
    // the kernel resolved us through NS/NA: our MAC in its neighbor table
    expect(ns.execSync(["ip", "-6", "neigh", "show", "dev", dev])).toContain(OUR_MAC);
    // and we have the kernel (the router) in ours
    expect(s.ip6Neighbors().some((n) => n.isRouter)).toBe(true);
    // our output path: echo requests to the kernel's global (on-link by the RA's L flag) and link-local addresses
    const replies: number[] = [];
    const off = s.onEvents((_sock, kind, arg) => { if (kind === EventKind.EchoReply) replies.push(arg); });
    defer(off);
    const kernelLL = /inet6 (fe80::[0-9a-f:]+)\//.exec(ns.execSync(["ip", "-6", "addr", "show", "dev", dev]))![1];
    expect(s.ip6Ping("2001:db8:1::1", 101)).toBe(0);
    expect(s.ip6Ping(kernelLL, 102)).toBe(0);
    expect(await until(() => replies.includes(101) && replies.includes(102), 5_000), `replies ${replies}`).toBe(true);
    // RFC 4862 §5.4.5: a static address the kernel already holds fails DAD (the kernel defends it) and is never used
    ns.execSync(["ip", "-6", "addr", "add", "2001:db8:1::5/64", "dev", dev]);
    const idx = s.ip6AddrAdd("2001:db8:1::5/64");
    expect(idx).toBeGreaterThanOrEqual(0);
    expect(await until(() => s.ip6Addresses().find((a) => a.index === idx)?.state === "duplicate", 5_000),
      JSON.stringify(s.ip6Addresses())).toBe(true);
    expect(s.stat("ip6_dad_conflicts")).toBe(1);
    radvd.kill("SIGKILL");
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 60_000);
});
