// The Node API over IPv6 (src/net.ts, src/dgram.ts): createStack({ ipv6 }), connect to an IPv6
// host, a dual-stack listen(port, "::"), families in address() / remoteAddress, createSocket("udp6").
// Two stacks on the emulated link with the virtual clock.
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";
import { createStack, type NetStack, type Socket } from "../src/net.js";
import type { RemoteInfo } from "../src/dgram.js";
import { collect } from "./helpers/collect.js";

const A_IP = "198.51.100.1", B_IP = "198.51.100.2";
const A6 = "2001:db8::1", B6 = "2001:db8::2";
const LL_B = "fe80::ff:fe00:2";

function env(ipv6 = true) {
  const sim = new Sim({ seed: 11 });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, ip6: string, mac: string, seed: number) => createStack({
    ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link },
    ipv6: ipv6 ? { eui64: true, dad: false, addresses: [`${ip6}/64`] } : false,
  });
  return { sim, a: mk(A_IP, A6, "02:00:00:00:00:01", 1), b: mk(B_IP, B6, "02:00:00:00:00:02", 2) };
}


async function echoOver(a: NetStack, b: NetStack, host: string, listenHost?: string) {
  let peer: { address?: string; family?: string } = {};
  const server = b.createServer((s) => { peer = { address: s.remoteAddress, family: s.remoteFamily }; s.pipe(s); });
  if (listenHost === undefined) server.listen(7); else server.listen(7, listenHost);
  const data = Buffer.alloc(100_000, 7);
  const c = a.connect({ host, port: 7 }, () => c.end(data));
  const got = collect(c);
  expect(await a.until(() => got.closed, 60_000)).toBe(true);
  expect(got.error).toBeNull();
  expect(got.data.equals(data)).toBe(true);
  return { c, server, peer };
}

describe("net over IPv6 (createStack({ ipv6 }))", () => {
  it("RFC 8200 / RFC 9293: connect({ host: '2001:db8::2' }) to a dual-stack listen(7, '::'): echo both ways, families IPv6, RFC 6724 source", async () => {
    const { a, b } = env();
    const { c, server, peer } = await echoOver(a, b, B6, "::");
    expect(server.address()).toEqual({ address: "::", family: "IPv6", port: 7 });
    expect(c.remoteAddress).toBe(B6);
    expect(c.remoteFamily).toBe("IPv6");
    expect(peer).toEqual({ address: A6, family: "IPv6" });
    expect(c.localFamily).toBe("IPv6");
    expect(c.localAddress).toBe(A6);
    server.close();
  });

  it("the same dual-stack listener takes IPv4 clients, named ::ffff:a.b.c.d / IPv6 on its side as node:net does (test/compat); link-local hosts work too ('[fe80::...]')", async () => {
    const { a, b } = env();
    const { c, server, peer } = await echoOver(a, b, B_IP, "::");
    expect(c.remoteFamily).toBe("IPv4");
    expect(c.remoteAddress).toBe(B_IP);
    expect(peer).toEqual({ address: `::ffff:${A_IP}`, family: "IPv6" });
    server.close();
    const r = await echoOver(a, b, `[${LL_B}]`);
    expect(r.c.remoteAddress).toBe(LL_B);
    expect(r.c.address()).toMatchObject({ address: "fe80::ff:fe00:1", family: "IPv6" });
  });

  it("listen(port, '0.0.0.0') is IPv4 only: an IPv6 client is refused (the core's listener takes IPv4 only: RST to its SYN, ECONNREFUSED as from Linux), IPv4 ones are served", async () => {
    const { a, b } = env();
    const server = b.createServer((s) => s.pipe(s)).listen(8, "0.0.0.0");
    expect(server.address()).toEqual({ address: "0.0.0.0", family: "IPv4", port: 8 });
    const c = a.connect({ host: B6, port: 8 });
    const got = collect(c);
    expect(await a.until(() => got.closed, 10_000)).toBe(true);
    expect((got.error as { code?: string } | null)?.code).toBe("ECONNREFUSED");
    server.close();
    // an IPv4 client of an IPv4-only listener: plain IPv4 names on both sides (no ::ffff:)
    const r = await echoOver(a, b, B_IP, "0.0.0.0");
    expect(r.peer).toEqual({ address: A_IP, family: "IPv4" });
    expect(r.c.remoteAddress).toBe(B_IP);
    r.server.close();
  });

  it("RFC 9293 §3.10.7.1: connecting to an IPv6 port nobody listens on is ECONNREFUSED", async () => {
    const { a } = env();
    const c = a.connect({ host: B6, port: 9 });
    const got = collect(c);
    expect(await a.until(() => got.closed, 10_000)).toBe(true);
    expect((got.error as { code?: string } | null)?.code).toBe("ECONNREFUSED");
  });

  it("createSocket('udp6'): datagrams over IPv6 both ways and IPv4 on the same socket (its senders named ::ffff:a.b.c.d, as node's); address() family IPv6; udp4 sockets get no IPv6", async () => {
    const { a, b } = env();
    const s6 = b.createSocket("udp6");
    const got: [string, RemoteInfo][] = [];
    s6.on("message", (m, r) => { got.push([m.toString(), r]); s6.send(m, r.port, r.address); });
    s6.bind(5353);
    const c6 = a.createSocket("udp6");
    const replies: [string, RemoteInfo][] = [];
    c6.on("message", (m, r) => replies.push([m.toString(), r]));
    c6.bind(4000);
    const c4 = a.createSocket("udp4");
    const replies4: [string, RemoteInfo][] = [];
    c4.on("message", (m, r) => replies4.push([m.toString(), r]));
    c4.bind(4001);
    await a.until(() => false, 10);
    c6.send("over six", 5353, B6);
    c4.send("over four", 5353, B_IP);
    expect(await a.until(() => replies.length === 1 && replies4.length === 1 && got.length === 2, 5000)).toBe(true);
    // node's udp6 names an IPv4 sender IPv4-mapped, family IPv6; the echo to that name goes back over IPv4
    expect(got.map(([m, r]) => [m, r.address, r.family, r.port])).toEqual(
      expect.arrayContaining([["over six", A6, "IPv6", 4000], ["over four", `::ffff:${A_IP}`, "IPv6", 4001]]));
    expect(replies4[0]).toEqual(["over four", { address: B_IP, family: "IPv4", port: 5353, size: 9 }]);
    expect(replies[0][1]).toMatchObject({ address: B6, family: "IPv6", port: 5353 });
    expect(s6.address()).toEqual({ address: "::", family: "IPv6", port: 5353 });
    // a udp4 socket on an IPv6 stack: IPv6 datagrams to its port are refused (port unreachable)
    const before = a.stat("ipv6_udp_no_port");
    b.createSocket("udp6").send("x", 4001, A6);
    await a.until(() => false, 20);
    expect(a.stat("ipv6_udp_no_port")).toBe(before + 1);
    for (const s of [s6, c6, c4]) s.close();
  });

  it("with ipv6: false the stack stays IPv4-only: an IPv6 host is EADDRNOTAVAIL", async () => {
    const { a } = env(false);
    expect(a.ipv6).toBe(false);
    const c = a.connect({ host: B6, port: 7 });
    const got = collect(c);
    expect(await a.until(() => got.closed, 1000)).toBe(true);
    expect((got.error as { code?: string } | null)?.code).toBe("EADDRNOTAVAIL");
  });
});

describe("createStack's IPv6 default: dual-stack like node's when the build has IPv6", () => {
  function plain(build?: "node" | "mcu", ipv6?: boolean) {
    const sim = new Sim({ seed: 5 });
    const link = sim.link({ delayMs: 1 });
    const mk = (ip: string, mac: string, seed: number) => createStack({ ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link }, build, ipv6 });
    return { a: mk(A_IP, "02:00:00:00:00:01", 1), b: mk(B_IP, "02:00:00:00:00:02", 2) };
  }

  it("RFC 4862 §5.4.2 / RFC 4861 §6.3.7: ipv6 { startDelay: true } (as `wasm-tcpip up` sets) holds the first solicitation 0..1 s, differently per seed; without it the first goes at once", async () => {
    /** The virtual time of the first IPv6 frame each of four stacks sends. */
    const firstSends = async (startDelay: boolean) => {
      const sim = new Sim({ seed: 5 });
      const link = sim.link({ delayMs: 1 });
      const first = new Map<number, number>();
      link.tap((r) => { if (r.frame[12] === 0x86 && r.frame[13] === 0xdd && !first.has(r.from)) first.set(r.from, r.time); });
      const stacks = [1, 2, 3, 4].map((i) => createStack({
        ip: `198.51.100.${i}/24`, mac: `02:00:00:00:00:0${i}`, seed: 40 + i, link: { type: "emulated", sim, link }, ipv6: { startDelay },
      }));
      await stacks[0].until(() => first.size === 4, 5000);
      return [...first.values()];
    };
    const delayed = await firstSends(true);
    expect(delayed).toHaveLength(4);
    for (const t of delayed) { expect(t).toBeGreaterThanOrEqual(0); expect(t).toBeLessThanOrEqual(1000); }
    expect(new Set(delayed).size).toBeGreaterThan(1);
    expect(Math.max(...delayed)).toBeGreaterThan(0);
    const prompt = await firstSends(false);
    expect(prompt).toEqual([0, 0, 0, 0]);
  });

  it("RFC 4862 §5.3: without an ipv6 option the node build forms a link-local address (after DAD) and serves IPv6 and IPv4 on listen(port)", async () => {
    const { a, b } = plain();
    expect(a.ipv6).toBe(true);
    expect(await a.until(() => b.stack.ip6Addresses().some((x) => x.origin === "link-local" && x.state === "preferred"), 5000)).toBe(true);
    const ll = b.stack.ip6Addresses().find((x) => x.origin === "link-local")!.address;
    expect(ll.startsWith("fe80:")).toBe(true);
    const six = await echoOver(a, b, `[${ll}]`);
    expect(six.server.address()).toEqual({ address: "::", family: "IPv6", port: 7 });
    expect(six.c.remoteAddress).toBe(ll);
    expect(six.peer.family).toBe("IPv6");
    six.server.close();
    const four = await echoOver(a, b, B_IP);
    expect(four.peer).toEqual({ address: `::ffff:${A_IP}`, family: "IPv6" });
    four.server.close();
  });

  it("the mcu build (no IPv6 compiled in) stays IPv4-only without the option, and refuses an explicit ipv6: true", async () => {
    const { a, b } = plain("mcu");
    expect(a.ipv6).toBe(false);
    const r = await echoOver(a, b, B_IP, "0.0.0.0");
    expect(r.peer).toEqual({ address: A_IP, family: "IPv4" });
    r.server.close();
    expect(() => plain("mcu", true)).toThrow(/no IPv6/);
  });
});
