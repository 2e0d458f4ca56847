// TCP and UDP over IPv6 against the Linux kernel (python3 sockets), in a namespace this test
// creates (named v6t<pid>-<n>): our stack (src/net.ts, createStack({ ipv6 }), in this process)
// behind a TAP whose kernel side holds 2001:db8:2::1/64; ours is 2001:db8:2::2/64 (after DAD).
// The kernel connects to our dual-stack echo server, we connect to a kernel echo server, and a
// kernel UDP socket exchanges a datagram with our udp6 socket. Documentation addresses only.
import { describe, expect, it } from "vitest";
import { createStack, type Socket } from "../../src/net.js";
import type { Netns } from "../helpers/netns.js";
import { defer, gate, installCleanup, ip, namespaceAndTap, NsProc, OUR_IP, OUR_MAC, pcapProblems, until } from "./env.js";

const FILE = "test/interop/ipv6-transport.test.ts";
const skip = gate(FILE);
installCleanup();

const KERNEL = "2001:db8:2::1", OURS = "2001:db8:2::2";

const ECHO_SERVER = `
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("${KERNEL}", 8000)); s.listen(1); print("ready", flush=True)
c, a = s.accept(); c.settimeout(20); print("peer", a[0], flush=True)
while True:
    d = c.recv(65536)
    if not d: break
    c.sendall(d)
c.close(); print("done", flush=True)
`;

const CLIENT = `
import socket
c = socket.create_connection(("${OURS}", 7), timeout=20)
data = bytes(range(256)) * 800
c.sendall(data); c.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = c.recv(65536)
    if not d: break
    got += d
print("tcp", "ok" if got == data else "bad %d" % len(got), c.getsockname()[0], flush=True)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.settimeout(5)
u.sendto(b"ping6", ("${OURS}", 4242))
d, a = u.recvfrom(100)
print("udp", d.decode(), a[0], a[1], flush=True)
`;

describe.skipIf(skip)("IPv6 transport interop: the kernel's TCP and UDP", () => {
  it("RFC 9293 / RFC 768 over RFC 8200: kernel client -> our dual-stack echo server and udp6 socket; our client -> kernel echo server", async () => {
    const { ns, dev, pcap } = namespaceAndTap("v6t");
    const net = createStack({ ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 43, pcap, link: { type: "tap", name: dev }, ipv6: { addresses: [`${OURS}/64`] } });
    defer(() => net.close());
    ip(["link", "set", dev, "netns", ns.name]);
    ns.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.accept_dad=0`]);
    ns.execSync(["ip", "-6", "addr", "add", `${KERNEL}/64`, "dev", dev, "nodad"]);
    ns.execSync(["ip", "link", "set", dev, "up"]);
    const s = net.stack;
    expect(await until(() => s.ip6Addresses().some((a) => a.address === OURS && a.state === "preferred"), 10_000),
      JSON.stringify(s.ip6Addresses())).toBe(true);

    // our servers: TCP echo on a dual-stack listener, a udp6 socket answering "pong"
    const server = net.createServer((c) => c.pipe(c)).listen(7, "::");
    const peers: string[] = [];
    server.on("connection", (c: Socket) => peers.push(`${c.remoteAddress} ${c.remoteFamily}`));
    const u = net.createSocket("udp6");
    u.on("message", (m, r) => u.send(Buffer.from(`pong:${m.toString()}`), r.port, r.address));
    u.bind(4242);

    const client = new NsProc(ns, ["python3", "-c", CLIENT], { timeoutMs: 40_000 });
    expect(await client.exited, client.errLines.join("\n")).toBe(0);
    expect(client.lines).toContain(`tcp ok ${KERNEL}`);
    expect(client.lines.find((l) => l.startsWith("udp"))).toMatch(new RegExp(`^udp pong:ping6 ${OURS} 4242$`));
    expect(peers).toEqual([`${KERNEL} IPv6`]);

    // our client to the kernel's echo server
    const srv = new NsProc(ns, ["python3", "-c", ECHO_SERVER], { timeoutMs: 40_000 });
    expect(await until(() => srv.lines.includes("ready"), 10_000), srv.errLines.join("\n")).toBe(true);
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 255;
    const chunks: Buffer[] = [];
    let closed = false;
    let err: Error | null = null;
    const c = net.connect({ host: KERNEL, port: 8000 }, () => c.end(data));
    c.on("data", (d: Buffer) => chunks.push(d));
    c.on("close", () => { closed = true; });
    c.on("error", (e: Error) => { err = e; });
    expect(await until(() => closed, 30_000)).toBe(true);
    expect(err).toBeNull();
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(c.remoteFamily).toBe("IPv6");
    expect(c.localAddress).toBe(OURS);
    expect(await srv.exited).toBe(0);
    expect(srv.lines).toContain(`peer ${OURS}`);
    expect(s.stat("udp6_bad_checksum") + s.stat("tcp_bad_checksum")).toBe(0);
    u.close();
    server.close();
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 90_000);
});
