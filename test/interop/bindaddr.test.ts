// Servers on one local address against the Linux kernel's TCP (python3 sockets), in a namespace this
// test creates (named bindaddr<pid>-<n>): our stack (src/net.ts, in this process) behind a TAP whose
// kernel side holds 2001:db8:2::1/64 and 198.51.100.1/24; ours has 2001:db8:2::2 and 2001:db8:2::3
// (after DAD), a link-local address and 198.51.100.2. A server on each global address and one on the
// IPv4 address share port 7; the kernel reaches each on its own address (answered from that address:
// the kernel drops a SYN+ACK from any other) and is refused (RST) on the link-local address and on
// a port only the IPv4 server holds. Documentation addresses only.
import { describe, expect, it } from "vitest";
import { createStack, type NetStack, type Server } from "../../src/net.js";
import { defer, gate, installCleanup, ip, KERNEL_IP, namespaceAndTap, NsProc, OUR_IP, OUR_MAC, pcapProblems, until } from "./env.js";

const FILE = "test/interop/bindaddr.test.ts";
const skip = gate(FILE);
installCleanup();

const KERNEL = "2001:db8:2::1", OURS_A = "2001:db8:2::2", OURS_B = "2001:db8:2::3";

/** The kernel's client: one line per target, "NAME got TEXT" or "NAME refused" (or the error's name). */
const client = (dev: string, ll: string) => `
import socket
scope = socket.if_nametoindex("${dev}")
def ask(name, fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(10)
    try:
        s.connect((addr, port) if fam == socket.AF_INET else (addr, port, 0, scope if addr.startswith("fe80") else 0))
        d = b""
        while True:
            x = s.recv(100)
            if not x: break
            d += x
        print(name, "got", d.decode(), flush=True)
    except ConnectionRefusedError:
        print(name, "refused", flush=True)
    except Exception as e:
        print(name, "error", type(e).__name__, flush=True)
ask("a", socket.AF_INET6, "${OURS_A}", 7)
ask("b", socket.AF_INET6, "${OURS_B}", 7)
ask("ll", socket.AF_INET6, "${ll}", 7)
ask("v4", socket.AF_INET, "${OUR_IP}", 7)
ask("a8", socket.AF_INET6, "${OURS_A}", 8)
ask("v48", socket.AF_INET, "${OUR_IP}", 8)
`;

function named(net: NetStack, name: string, port: number, host: string): Server {
  return net.createServer((s) => { s.end(`${name}@${s.localAddress}`); }).listen(port, host);
}

describe.skipIf(skip)("servers on one address: the kernel's TCP", () => {
  it("RFC 9293 §3.10.7.1 / RFC 8200 §8.1: the kernel reaches each of three servers sharing port 7 on its own address (answered from it), and is refused on our link-local address and on a port held for IPv4 only", async () => {
    const { ns, dev, pcap } = namespaceAndTap("bindaddr");
    const net = createStack({ ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 47, pcap, link: { type: "tap", name: dev },
      ipv6: { addresses: [`${OURS_A}/64`, `${OURS_B}/64`] } });
    defer(() => net.close());
    ip(["link", "set", dev, "netns", ns.name]);
    ns.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.accept_dad=0`]);
    ns.execSync(["ip", "-6", "addr", "add", `${KERNEL}/64`, "dev", dev, "nodad"]);
    ns.execSync(["ip", "addr", "add", `${KERNEL_IP}/24`, "dev", dev]);
    ns.execSync(["ip", "link", "set", dev, "up"]);
    const s = net.stack;
    const ready = () => s.ip6Addresses().filter((a) => a.state === "preferred").length === 3;
    expect(await until(ready, 10_000), JSON.stringify(s.ip6Addresses())).toBe(true);
    const ll = s.ip6Addresses().find((a) => a.origin === "link-local")!.address;

    const servers = [named(net, "A", 7, OURS_A), named(net, "B", 7, OURS_B), named(net, "V4", 7, OUR_IP), named(net, "V4only", 8, "0.0.0.0")];
    const p = new NsProc(ns, ["python3", "-c", client(dev, ll)], { timeoutMs: 60_000 });
    expect(await p.exited, p.errLines.join("\n")).toBe(0);
    expect(p.lines).toEqual([
      `a got A@${OURS_A}`, `b got B@${OURS_B}`, "ll refused", `v4 got V4@${OUR_IP}`, "a8 refused", `v48 got V4only@${OUR_IP}`,
    ]);
    expect(s.stat("tcp_bad_checksum")).toBe(0);
    for (const x of servers) x.close();
    net.close();
    expect(pcapProblems(pcap)).toEqual([]);
  }, 90_000);
});
