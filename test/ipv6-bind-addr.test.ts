// Servers on one local address (issue 10): server.listen(port, "2001:db8::2") / a link-local /
// our IPv4 address takes only connections to that address, as node:net on Linux does; ports are
// shared as Linux shares them (distinct addresses yes, an address and a wildcard over it no);
// server.address() for every form; udp6 sockets refuse dotted IPv4 peers (EINVAL) as node:dgram.
// Two stacks on the emulated link with the virtual clock; the core's tcpBind6 under the API.
// (test/compat/bind-addr.compat.test.ts runs the same shapes against node:net and node:dgram.)
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";
import { createStack, type NetError, type NetStack, type Server } from "../src/net.js";
import type { BuildName } from "../src/stack.js";
import { bytesToIp6, ip6ToBytes } from "../src/stack.js";
import { Err } from "../src/abi.js";
import { collect } from "./helpers/collect.js";

const A_IP = "198.51.100.1", B_IP = "198.51.100.2";
const A6 = "2001:db8::1", B6 = "2001:db8::2", B6b = "2001:db8::3";
const LL_B = "fe80::ff:fe00:2"; // EUI-64 from 02:00:00:00:00:02

function env(build: BuildName = "node", ipv6 = true) {
  const sim = new Sim({ seed: 3 });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, mac: string, seed: number, addrs: string[]) => createStack({
    ip: `${ip}/24`, mac, seed, build, link: { type: "emulated", sim, link },
    ipv6: ipv6 ? { eui64: true, dad: false, addresses: addrs.map((x) => `${x}/64`) } : false,
  });
  return { a: mk(A_IP, "02:00:00:00:00:01", 1, [A6]), b: mk(B_IP, "02:00:00:00:00:02", 2, [B6, B6b]) };
}

/** A server that answers every connection with its name and the local address the client reached, then ends. */
function named(net: NetStack, name: string): Server {
  return net.createServer((s) => { s.end(`${name}@${s.localAddress}`); });
}

/** listen(port, host): null once 'listening', else the 'error'. */
function listen(srv: Server, port: number, host?: string): Promise<NetError | null> {
  return new Promise((resolve) => {
    srv.once("error", (e: NetError) => resolve(e));
    srv.once("listening", () => resolve(null));
    if (host === undefined) srv.listen(port); else srv.listen(port, host);
  });
}

/** What a client of `a` gets from host:port: the server's answer, or its error code. */
async function ask(a: NetStack, host: string, port: number): Promise<string> {
  const c = a.connect({ host, port });
  const got = collect(c);
  if (!await a.until(() => got.closed, 10_000)) throw new Error(`no close from ${host}:${port}`);
  return got.error ? got.error.code : got.data.toString();
}

const BUILDS = [["node build (scale indexes: listeners hashed by port)", "node"], ["testing-mcu build (pool scans)", "testing-mcu"]] as const;

describe.each(BUILDS)("listen on one address: %s", (_, build) => {
  it("RFC 9293 §3.10.7.1: listen(80, '2001:db8::2') serves only that address; a SYN to our link-local or IPv4 address on port 80 is answered as a closed port's (RST: ECONNREFUSED)", async () => {
    const { a, b } = env(build);
    const srv = named(b, "g");
    expect(await listen(srv, 80, B6)).toBeNull();
    expect(srv.address()).toEqual({ address: B6, family: "IPv6", port: 80 });
    const before = b.stat("tcp_no_socket");
    expect(await ask(a, B6, 80)).toBe(`g@${B6}`);
    expect(await ask(a, `[${LL_B}]`, 80)).toBe("ECONNREFUSED");
    expect(await ask(a, B_IP, 80)).toBe("ECONNREFUSED");
    expect(b.stat("tcp_no_socket")).toBe(before + 2);
    srv.close();
  });

  it("one port, a server on each of our addresses (two globals, the link-local one, IPv4): each gets only its own connections, answered from that address (RFC 8200 §8.1: the pseudo-header's source, not RFC 6724's pick for the peer); closing one refuses its address only", async () => {
    const { a, b } = env(build);
    const servers = { g: named(b, "g"), h: named(b, "h"), ll: named(b, "ll"), v4: named(b, "v4") };
    expect(await listen(servers.g, 80, B6)).toBeNull();
    expect(await listen(servers.h, 80, B6b)).toBeNull();
    expect(await listen(servers.ll, 80, LL_B)).toBeNull();
    expect(await listen(servers.v4, 80, B_IP)).toBeNull();
    expect(await ask(a, B6, 80)).toBe(`g@${B6}`);
    expect(await ask(a, B6b, 80)).toBe(`h@${B6b}`);
    expect(await ask(a, `[${LL_B}]`, 80)).toBe(`ll@${LL_B}`);
    expect(await ask(a, B_IP, 80)).toBe(`v4@${B_IP}`); // an IPv4 server names its addresses dotted
    servers.ll.close();
    expect(await ask(a, `[${LL_B}]`, 80)).toBe("ECONNREFUSED");
    expect(await ask(a, B6, 80)).toBe(`g@${B6}`);
    for (const s of Object.values(servers)) s.close();
  });

  it("ports are shared as on Linux (node:net on this machine agrees: test/compat): never by an address and a wildcard over it (EADDRINUSE, either order), always by addresses that do not overlap", async () => {
    const { a, b } = env(build);
    const pairs: [string, string, string | null][] = [
      ["::", B6, "EADDRINUSE"], [B6, "::", "EADDRINUSE"],
      ["::", B_IP, "EADDRINUSE"], [B_IP, "::", "EADDRINUSE"],
      ["0.0.0.0", B_IP, "EADDRINUSE"], [B_IP, "0.0.0.0", "EADDRINUSE"],
      ["::", "0.0.0.0", "EADDRINUSE"], ["0.0.0.0", "::", "EADDRINUSE"],
      [`::ffff:${B_IP}`, B_IP, "EADDRINUSE"], ["::ffff:0.0.0.0", B_IP, "EADDRINUSE"],
      ["0.0.0.0", B6, null], [B6, "0.0.0.0", null], [B_IP, B6, null], [B6, LL_B, null], ["::ffff:0.0.0.0", LL_B, null],
    ];
    let port = 90;
    for (const [first, second, want] of pairs) {
      const s1 = named(b, "1"), s2 = named(b, "2");
      expect(await listen(s1, port, first)).toBeNull();
      const e = await listen(s2, port, second);
      expect([first, second, e?.code ?? null]).toEqual([first, second, want]);
      s1.close(); s2.close();
      port++;
    }
    // the IPv4 wildcard and an IPv6 address together: each takes its own, the link-local address neither
    const v4 = named(b, "any4"), g = named(b, "g");
    expect(await listen(v4, 80, "0.0.0.0")).toBeNull();
    expect(await listen(g, 80, B6)).toBeNull();
    expect(await ask(a, B_IP, 80)).toBe(`any4@${B_IP}`);
    expect(await ask(a, B6, 80)).toBe(`g@${B6}`);
    expect(await ask(a, `[${LL_B}]`, 80)).toBe("ECONNREFUSED");
    // and once the wildcard is gone, the address it covered can be taken
    v4.close();
    expect(await listen(named(b, "v4"), 80, B_IP)).toBeNull();
  });

  it("EADDRINUSE for the same address and port twice, with node's error (code, errno, syscall, address, port, message)", async () => {
    const { b } = env(build);
    expect(await listen(named(b, "1"), 80, B6)).toBeNull();
    const e = await listen(named(b, "2"), 80, B6);
    expect(e).toMatchObject({ code: "EADDRINUSE", errno: -98, syscall: "listen", address: B6, port: 80 });
    expect(e!.message).toBe(`listen EADDRINUSE: address already in use ${B6}:80`);
  });

  it("EADDRNOTAVAIL for an address that is not ours (IPv6, IPv4, link-local, multicast, a name), with node's error; port 0: no ':0' and no port, as node's", async () => {
    const { b } = env(build);
    for (const host of ["2001:db8::99", "198.51.100.77", "fe80::99", "ff02::1", "224.0.0.1", "localhost"]) {
      const e = await listen(named(b, "x"), 81, host);
      expect(e).toMatchObject({ code: "EADDRNOTAVAIL", errno: -99, syscall: "listen", address: host, port: 81 });
      expect(e!.message).toBe(`listen EADDRNOTAVAIL: address not available ${host}:81`);
    }
    const e = await listen(named(b, "x"), 0, "2001:db8::99");
    expect(e!.message).toBe("listen EADDRNOTAVAIL: address not available 2001:db8::99");
    expect(e!.port).toBeUndefined();
    expect("port" in e!).toBe(false);
  });

  it("address() as node:net reports each form: the wildcards, IPv4, RFC 5952 text for IPv6 (zone dropped), ::ffff:a.b.c.d (family IPv6, its IPv4 peers named ::ffff:)", async () => {
    const { a, b } = env(build);
    const cases: [string | undefined, string, string][] = [
      [undefined, "::", "IPv6"], ["0.0.0.0", "0.0.0.0", "IPv4"], ["::", "::", "IPv6"], ["0:0::0", "::", "IPv6"],
      [B_IP, B_IP, "IPv4"], ["2001:0db8:0000::0002", B6, "IPv6"], [`${LL_B}%eth0`, LL_B, "IPv6"],
      [`::ffff:${B_IP}`, `::ffff:${B_IP}`, "IPv6"], ["::FFFF:0.0.0.0", "::ffff:0.0.0.0", "IPv6"],
    ];
    let port = 100;
    for (const [host, address, family] of cases) {
      const s = named(b, "x");
      expect(await listen(s, port, host)).toBeNull();
      expect([host, s.address()]).toEqual([host, { address, family, port }]);
      s.close();
      port++;
    }
    // an IPv6 socket on a mapped address: its IPv4 client and its own address are named ::ffff:a.b.c.d
    let peer = "";
    const m = b.createServer((s) => { peer = `${s.remoteAddress} ${s.remoteFamily} ${s.localAddress}`; s.end(); });
    expect(await listen(m, 110, `::ffff:${B_IP}`)).toBeNull();
    expect(await ask(a, B_IP, 110)).toBe("");
    expect(peer).toBe(`::ffff:${A_IP} IPv6 ::ffff:${B_IP}`);
    expect(await ask(a, B6, 110)).toBe("ECONNREFUSED"); // an IPv4 address only
  });

  it("RFC 4862 §5.4: a tentative address (duplicate address detection not done) is not ours yet: EADDRNOTAVAIL until DAD passes, then served", async () => {
    const sim = new Sim({ seed: 4 });
    const link = sim.link({ delayMs: 1 });
    const c = createStack({ ip: "198.51.100.3/24", mac: "02:00:00:00:00:03", seed: 3, build, link: { type: "emulated", sim, link },
      ipv6: { eui64: true, dad: true, addresses: ["2001:db8::30/64"] } });
    expect((await listen(named(c, "t"), 80, "2001:db8::30"))?.code).toBe("EADDRNOTAVAIL");
    expect(await c.until(() => c.stack.ip6Addresses().some((x) => x.address === "2001:db8::30" && x.state === "preferred"), 5000)).toBe(true);
    expect(await listen(named(c, "t"), 80, "2001:db8::30")).toBeNull();
  });

  it("the core (tcpBind6): a listener keeps its address when the interface loses it (served again when it comes back, as on Linux); tcpAddrs names a listener's address; a socket bound to one address connects from it", async () => {
    const { a, b } = env(build);
    const ex = b.stack.exports;
    const put = (x: string) => b.stack.putIo(ip6ToBytes(x));
    const localOf = (h: number) => {
      const io = b.stack.putIo(new Uint8Array(32));
      expect(ex.tcpAddrs(h, io)).toBe(0);
      return bytesToIp6(b.stack.bytes(io, 16));
    };
    const srv = named(b, "g");
    expect(await listen(srv, 80, B6)).toBeNull();
    expect(b.stack.ip6AddrDel(B6)).toBe(0);
    expect((await listen(named(b, "x"), 81, B6))?.code).toBe("EADDRNOTAVAIL"); // not ours now
    expect(b.stack.ip6AddrAdd(`${B6}/64`)).toBeGreaterThanOrEqual(0);
    expect(await ask(a, B6, 80)).toBe(`g@${B6}`);
    // tcpAddrs: a listener's bound address (:: for the wildcard, ::ffff:0.0.0.0 for the IPv4 one), :: for an unbound socket
    const h = ex.tcpOpen();
    expect(localOf(h)).toBe("::");
    expect(ex.tcpBind6(h, put("::ffff:0.0.0.0"), 0)).toBe(0);
    expect(ex.tcpListen(h, 4)).toBe(0);
    expect(localOf(h)).toBe("::ffff:0:0");
    ex.tcpClose(h);
    // EINVAL (bound already) comes before EADDRNOTAVAIL, as Linux's checks go; an address not ours is refused unbound
    const k = ex.tcpOpen();
    expect(ex.tcpBind6(k, put("2001:db8::99"), 0)).toBe(-Err.EADDRNOTAVAIL);
    expect(ex.tcpBind6(k, put(LL_B), 0)).toBe(0); // port 0: an ephemeral one
    expect(ex.tcpBind6(k, put("2001:db8::99"), 0)).toBe(-Err.EINVAL);
    expect(localOf(k)).toBe(LL_B);
    // connect from the bound (link-local) address, not the RFC 6724 choice (the global one) towards A6
    let served = "";
    const as = a.createServer((s) => { served = `${s.remoteAddress}`; s.end(); });
    await listen(as, 7, A6);
    expect(ex.tcpConnect6(k, put(A6), 7)).toBe(0);
    b.wake();
    expect(await a.until(() => served !== "", 5000)).toBe(true);
    expect(served).toBe(LL_B);
    // bound to an IPv6 address, a connect to an IPv4 peer has no source of its family: EADDRNOTAVAIL
    const v = ex.tcpOpen();
    expect(ex.tcpBind6(v, put(B6), 0)).toBe(0);
    expect(ex.tcpConnect(v, (198 << 24 | 51 << 16 | 100 << 8 | 1) >>> 0, 7)).toBe(-Err.EADDRNOTAVAIL);
  });
});

describe("listen on one address: the mcu build (IPv4 only: tcpBind6 is ENOSYS, the host checks its one address)", () => {
  it("listen(port, our IPv4 / 0.0.0.0 / no host / ::ffff:ours) work with node's address(); another address is EADDRNOTAVAIL; the wildcard and our address conflict as on Linux", async () => {
    const { a, b } = env("mcu", false);
    expect(b.stack.exports.tcpBind6(b.stack.exports.tcpOpen(), b.stack.putIo(new Uint8Array(16)), 80)).toBe(-Err.ENOSYS);
    const s = named(b, "v4");
    expect(await listen(s, 80, B_IP)).toBeNull();
    expect(s.address()).toEqual({ address: B_IP, family: "IPv4", port: 80 });
    expect(await ask(a, B_IP, 80)).toBe(`v4@${B_IP}`);
    const forms: [string | undefined, string, string][] = [["0.0.0.0", "0.0.0.0", "IPv4"], [undefined, "0.0.0.0", "IPv4"], [`::ffff:${B_IP}`, `::ffff:${B_IP}`, "IPv6"]];
    let port = 81;
    for (const [host, address, family] of forms) {
      const x = named(b, "x");
      expect(await listen(x, port, host)).toBeNull();
      expect(x.address()).toEqual({ address, family, port });
      x.close();
      port++;
    }
    for (const host of ["198.51.100.77", B6, "::ffff:198.51.100.77"]) expect((await listen(named(b, "x"), 90, host))?.code).toBe("EADDRNOTAVAIL");
    expect((await listen(named(b, "x"), 80, "0.0.0.0"))?.code).toBe("EADDRINUSE");
  });
});

describe("IPv4-only stacks (ipv6: false) keep the IPv4 forms", () => {
  it("listen(port) is the IPv4 wildcard 0.0.0.0 (node:net without IPv6); our address and 0.0.0.0 as before; an IPv6 address is EADDRNOTAVAIL", async () => {
    const { a, b } = env("node", false);
    const w = named(b, "w");
    expect(await listen(w, 80)).toBeNull();
    expect(w.address()).toEqual({ address: "0.0.0.0", family: "IPv4", port: 80 });
    expect(await ask(a, B_IP, 80)).toBe(`w@${B_IP}`);
    const s = named(b, "s");
    expect(await listen(s, 81, B_IP)).toBeNull();
    expect(s.address()).toEqual({ address: B_IP, family: "IPv4", port: 81 });
    expect(await ask(a, B_IP, 81)).toBe(`s@${B_IP}`);
    expect((await listen(named(b, "x"), 82, B6))?.code).toBe("EADDRNOTAVAIL");
  });
});

describe("udp6 sockets and dotted IPv4 peers (node:dgram: EINVAL)", () => {
  it("send(..., '198.51.100.2', cb): EINVAL to the callback with node's shape, nothing sent; without a callback no 'error' (node drops it); ::ffff:a.b.c.d still goes over IPv4", async () => {
    const { a, b } = env();
    const got: string[] = [];
    const rx = b.createSocket("udp4", (m, r) => got.push(`${m} ${r.address}`));
    rx.bind(5000);
    const s = a.createSocket("udp6");
    const errors: Error[] = [];
    s.on("error", (e) => errors.push(e));
    s.bind(4000);
    await a.until(() => s.handle !== 0 && rx.handle !== 0, 10);
    const tx = a.stat("udp_tx");
    let cbErr: NetError | null = null, cbArgs = -1;
    s.send("dotted", 5000, B_IP, (...args: unknown[]) => { cbErr = args[0] as NetError; cbArgs = args.length; });
    await a.until(() => cbErr !== null, 10);
    expect(cbErr).toMatchObject({ code: "EINVAL", errno: -22, syscall: "send", address: B_IP, port: 5000 });
    expect(cbErr!.message).toBe(`send EINVAL ${B_IP}:5000`);
    expect(cbArgs).toBe(1); // (err) alone, no byte count: node's
    s.send("dotted, no callback", 5000, B_IP);
    await a.until(() => false, 20);
    expect(errors).toEqual([]);
    expect(a.stat("udp_tx")).toBe(tx);
    let ok: Error | null | undefined;
    s.send("mapped", 5000, `::ffff:${B_IP}`, (e) => { ok = e; });
    expect(await a.until(() => got.length === 1, 100)).toBe(true);
    expect(ok).toBeNull();
    expect(got).toEqual([`mapped ${A_IP}`]);
    // and the other way round: an IPv6 destination on a udp4 socket
    const four = a.createSocket("udp4");
    let e4: NetError | null = null;
    four.send("x", 5000, B6, (e) => { e4 = e as NetError; });
    await a.until(() => e4 !== null, 10);
    expect(e4).toMatchObject({ code: "EINVAL", syscall: "send", address: B6, port: 5000 });
    for (const x of [s, rx, four]) x.close();
  });

  it("connect(port, '198.51.100.2') on udp6: EINVAL to the callback (not 'connect'), else an 'error'; the socket stays unconnected", async () => {
    const { a } = env();
    const s = a.createSocket("udp6");
    let err: NetError | null = null, connected = false;
    s.on("connect", () => { connected = true; });
    s.connect(5000, B_IP, (e?: Error) => { err = (e ?? null) as NetError | null; });
    await a.until(() => err !== null, 10);
    expect(err).toMatchObject({ code: "EINVAL", errno: -22, syscall: "connect", address: B_IP, port: 5000 });
    expect(err!.message).toBe(`connect EINVAL ${B_IP}:5000`);
    expect(connected).toBe(false);
    expect(() => s.remoteAddress()).toThrow(/Not connected/);
    const t = a.createSocket("udp6");
    let ev: NetError | null = null;
    t.on("error", (e) => { ev = e as NetError; });
    t.connect(5000, B_IP);
    await a.until(() => ev !== null, 10);
    expect(ev).toMatchObject({ code: "EINVAL", syscall: "connect" });
    s.close(); t.close();
  });
});
