// DNS and large UDP datagrams over IPv6 against real software, in a namespace this test creates
// (named core6<pid>-<n>): our stack (src/net.ts in this process) behind a TAP whose kernel side
// has 2001:db8:1::1/64 and no IPv4 address; our stack holds 2001:db8:1::2/64 (static).
// - dnsmasq (Debian dnsmasq-base), bound only to the TAP, answers the A and AAAA queries our
//   resolver sends to its IPv6 address (the only DNS server we have).
// - A python3 UDP socket on [2001:db8:1::1]:7000 receives a 3000-byte datagram we send in
//   fragments (RFC 8200 §4.5; the kernel reassembles it) and echoes it, fragmented by the kernel,
//   which we reassemble.
// - UDP in IPv6 groups: a kernel socket's datagrams to ff12::1234, which our socket joined
//   (UdpOpt.JoinGroup6, reported by MLDv2), reach us; ours to ff12::5678, which the kernel
//   socket joined (IPV6_JOIN_GROUP), reach it.
// Documentation addresses (2001:db8::/32), link-local and link-scope groups only.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createStack } from "../../src/net.js";
import { bytesToIp6, ip6ToBytes } from "../../src/stack.js";
import { defer, dnsmasqServer, gate, installCleanup, ip, namespaceAndTap, OUR_IP, OUR_MAC, pcapProblems, python, until } from "./env.js";

const FILE = "test/interop/ipv6-dns-udp.test.ts";
const required = process.env.WASM_TCPIP_REQUIRE_NET === "1";
const haveDnsmasq = (() => { try { execFileSync("sh", ["-c", "command -v dnsmasq"], { stdio: "ignore" }); return true; } catch { return false; } })();
const skip = gate(FILE);
if (!skip && !haveDnsmasq) {
  if (required) throw new Error(`${FILE}: needs dnsmasq (apt-get install dnsmasq-base), and WASM_TCPIP_REQUIRE_NET=1 requires it`);
  console.warn(`${FILE}: SKIPPED (dnsmasq case): needs dnsmasq (apt-get install dnsmasq-base)`);
}
installCleanup();

const KERNEL6 = "2001:db8:1::1";
const OUR6 = "2001:db8:1::2";

/** Our stack behind a TAP moved into a fresh namespace whose side is KERNEL6/64; OUR6 preferred. */
async function world6(seed: number) {
  const { ns, dev, pcap } = namespaceAndTap("core6");
  const net = createStack({
    ip: `${OUR_IP}/24`, mac: OUR_MAC, seed, pcap, link: { type: "tap", name: dev },
    config: { Ip6Enable: 1, Ip6Flags: 4 /* no router solicitations */, UdpQueueBytes: 16384 },
  });
  defer(() => net.close());
  ip(["link", "set", dev, "netns", ns.name]);
  ns.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.accept_dad=0`]);
  ns.execSync(["ip", "-6", "addr", "add", `${KERNEL6}/64`, "dev", dev]);
  ns.execSync(["ip", "link", "set", dev, "up"]);
  expect(net.stack.ip6AddrAdd(`${OUR6}/64`)).toBeGreaterThanOrEqual(0);
  const ready = await until(() => net.stack.ip6Addresses().some((a) => a.address === OUR6 && a.state === "preferred"), 10_000);
  expect(ready, JSON.stringify(net.stack.ip6Addresses())).toBe(true);
  return { ns, dev, pcap, net };
}

/** An IPv6 UDP echo server: one JSON line (length, SHA-256, source) per datagram, then the datagram back. */
const PY_UDP6_ECHO = String.raw`
import socket, sys, json, hashlib
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(30)
print("ready", flush=True)
for _ in range(int(sys.argv[3])):
    d, a = s.recvfrom(65535)
    print(json.dumps({"len": len(d), "sha": hashlib.sha256(d).hexdigest(), "from": a[0], "port": a[1]}), flush=True)
    s.sendto(d, a)
`;

/** Joins ff12::5678 on port 5001 of `dev`, then sends "ping N" to [ff12::1234]:5000 every 200 ms until a datagram arrives on the group. */
const PY_MCAST6 = String.raw`
import socket, struct, sys, json
idx = socket.if_nametoindex(sys.argv[1])
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r.bind(("::", 5001))
r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, "ff12::5678") + struct.pack("@I", idx))
r.settimeout(0.2)
w = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
w.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
w.bind(("::", 7002))
for i in range(100):
    w.sendto(b"ping %d" % i, ("ff12::1234", 5000, 0, idx))
    try:
        d, a = r.recvfrom(2048)
    except socket.timeout:
        continue
    print(json.dumps({"data": d.decode(), "from": a[0].split("%")[0]}), flush=True)
    break
`;

describe.skipIf(skip)("IPv6 DNS and UDP interop: dnsmasq and the kernel", () => {
  it.skipIf(!haveDnsmasq)("RFC 1035 / RFC 3596 over IPv6: dnsmasq on 2001:db8:1::1, our only DNS server, answers our A and AAAA queries sent over IPv6", async () => {
    const { ns, dev, pcap, net } = await world6(61);
    const dm = await dnsmasqServer(ns, dev, ["--host-record=dual.test,198.51.100.77,2001:db8:1::77", "--host-record=six.test,2001:db8:1::66"]);
    net.setDns([KERNEL6]);
    expect(net.stack.ifaceInfo().dns).toEqual([]); // no IPv4 server
    expect(await net.promises.lookup("dual.test", { all: true })).toEqual([
      { address: "198.51.100.77", family: 4 }, { address: "2001:db8:1::77", family: 6 },
    ]);
    expect(await net.promises.lookup("six.test", { family: 6 })).toEqual({ address: "2001:db8:1::66", family: 6 });
    const nx = await net.promises.lookup("none.test", { family: 6 }).catch((e) => e);
    expect(nx.code).toBe("ENOTFOUND");
    // dnsmasq saw the queries come from our IPv6 address
    expect(dm.errLines.filter((l) => /query\[A\] dual\.test from 2001:db8:1::2/.test(l)).length).toBe(1);
    expect(dm.errLines.filter((l) => /query\[AAAA\] dual\.test from 2001:db8:1::2/.test(l)).length).toBe(1);
    expect(net.stack.stat("dns_replies_accepted")).toBe(4);
    expect(net.stack.stat("dns_wrong_source")).toBe(0);
    dm.kill("SIGKILL");
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 60_000);

  it("RFC 8200 §4.5: a 3000-byte UDP datagram from us arrives whole at a kernel socket (the kernel reassembles our fragments) and its echo, fragmented by the kernel, reaches us whole", async () => {
    const { ns, pcap, net } = await world6(62);
    const srv = python(ns, PY_UDP6_ECHO, [KERNEL6, 7000, 2], 40_000);
    await srv.waitLine(/^ready$/);
    const sock = net.createSocket("udp6");
    const got: Buffer[] = [];
    sock.on("message", (m) => got.push(Buffer.from(m)));
    await new Promise<void>((r) => sock.bind(7001, r));
    // a small datagram first: neighbor resolution done before the fragments go out
    sock.send(Buffer.from("hi"), 7000, KERNEL6);
    expect(await until(() => got.length === 1, 10_000)).toBe(true);
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31 + 7) & 255));
    const fragsBefore = net.stack.stat("ipv6_frag_tx");
    sock.send(data, 7000, KERNEL6);
    const line = JSON.parse(await srv.waitLine(/"len": 3000/, 10_000));
    expect(line).toMatchObject({ len: 3000, sha: createHash("sha256").update(data).digest("hex"), from: OUR6, port: 7001 });
    expect(await until(() => got.length === 2, 10_000)).toBe(true);
    expect(got[1].equals(data)).toBe(true);
    expect(net.stack.stat("ipv6_frag_tx") - fragsBefore).toBe(3); // 3008 bytes: 1448 + 1448 + 112
    expect(net.stack.stat("ipv6_reasm_ok")).toBe(1);
    const snmp = ns.execSync(["cat", "/proc/net/snmp6"]);
    expect(Number(/Ip6ReasmOKs\s+(\d+)/.exec(snmp)![1])).toBe(1);
    expect(Number(/Ip6FragCreates\s+(\d+)/.exec(snmp)![1])).toBeGreaterThanOrEqual(3);
    sock.close();
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 60_000);

  it("RFC 3810 / RFC 4291 §2.7: a kernel socket's datagrams to a group our socket joined reach it; ours to a group the kernel socket joined reach the kernel", async () => {
    const { ns, dev, pcap, net } = await world6(63);
    const s = net.stack;
    const sock = s.udpOpen();
    expect(s.udpBind(sock, 5000)).toBe(5000);
    expect(s.udpJoinGroup(sock, "ff12::1234")).toBe(0);
    const py = python(ns, PY_MCAST6, [dev], 40_000);
    const got: { data: string; from: string }[] = [];
    const io = s.putIo(new Uint8Array(24));
    const poll = () => {
      const n = s.exports.udpRecvFrom6(sock, io + 64, 512, io);
      if (n > 0) got.push({ data: Buffer.from(new Uint8Array(s.exports.memory.buffer, io + 64, n)).toString(), from: bytesToIp6(new Uint8Array(s.exports.memory.buffer), io) });
      return got.length > 0;
    };
    expect(await until(poll, 20_000)).toBe(true);
    expect(got[0].data).toMatch(/^ping \d+$/);
    expect(got[0].from).toMatch(/^fe80::/); // the kernel's link-local address
    const at = s.putIo(Uint8Array.from([...ip6ToBytes("ff12::5678"), ...Buffer.from("pong from core6")]));
    expect(s.exports.udpSendTo6(sock, at, 5001, at + 16, 15)).toBe(15);
    s.wake();
    const line = JSON.parse(await py.waitLine(/"data"/, 10_000));
    const ll = s.ip6Addresses().find((a) => a.origin === "link-local")!.address;
    expect(line).toEqual({ data: "pong from core6", from: ll });
    expect(s.stat("mld_reports_tx")).toBeGreaterThanOrEqual(2); // the group's state change reports (and the solicited-node groups')
    expect(s.udpLeaveGroup(sock, "ff12::1234")).toBe(0);
    s.udpClose(sock);
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 60_000);
});
