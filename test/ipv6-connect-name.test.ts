// Names in the Node API over both families (issue 10): DNS servers given as IPv6 addresses
// (NetStack.setServers / getServers, node:dns style; the core's ip6SetDns), connect({ host: NAME })
// through lookup with family 0, 4 or 6, and node:net's autoSelectFamily: a name's addresses tried
// in turn, families alternating, the next one when an attempt is refused or silent for
// autoSelectFamilyAttemptTimeout ms. Two stacks on the emulated link, virtual clock.
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";
import { createStack, type ConnectOptions, type NetStack, type Socket } from "../src/net.js";
import { collect } from "./helpers/collect.js";
import { dnsServer, type DnsRecords } from "./helpers/dns-server.js";

const A_IP = "198.51.100.1", B_IP = "198.51.100.2";
const A6 = "2001:db8::1", B6 = "2001:db8::2", C6 = "2001:db8::3", NOBODY6 = "2001:db8::99";

function env(records: DnsRecords, dns = [B6]) {
  const sim = new Sim({ seed: 21 });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, ip6: string, mac: string, seed: number) => createStack({
    ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link },
    ipv6: { eui64: true, dad: false, addresses: [`${ip6}/64`] },
  });
  const a = mk(A_IP, A6, "02:00:00:00:00:01", 1), b = mk(B_IP, B6, "02:00:00:00:00:02", 2);
  const c = createStack({ ip: "198.51.100.3/24", mac: "02:00:00:00:00:03", seed: 3, link: { type: "emulated", sim, link }, ipv6: { eui64: true, dad: false, addresses: [`${C6}/64`] } });
  const questions = dnsServer(b, records);
  a.setServers(dns);
  return { sim, a, b, c, questions };
}

/** Connect `a` to `opts`, record the attempt events, wait until connected or closed. */
async function attempt(a: NetStack, opts: ConnectOptions) {
  const c = a.connect(opts);
  const events: string[] = [];
  c.on("lookup", (err: Error | null, address: string, family: number) => events.push(err ? `lookup error` : `lookup ${address} ${family}`));
  c.on("connectionAttempt", (ip: string, port: number, family: number) => events.push(`attempt ${ip} ${port} ${family}`));
  c.on("connectionAttemptFailed", (ip: string, _p: number, _f: number, e: NodeJS.ErrnoException) => events.push(`failed ${ip} ${e.code}`));
  c.on("connectionAttemptTimeout", (ip: string) => events.push(`timeout ${ip}`));
  let connected = false;
  c.on("connect", () => { connected = true; });
  const got = collect(c);
  const t0 = a.now();
  await a.until(() => connected || got.closed, 30_000);
  return { c, events, got, connected, ms: a.now() - t0 };
}

describe("DNS servers over IPv6 (node:dns setServers / getServers)", () => {
  it("RFC 3596 over an IPv6 server: setServers(['[2001:db8::2]:53']) alone answers lookup's A and AAAA questions, asked over IPv6", async () => {
    const { a, questions } = env({ "www.test": { a: B_IP, aaaa: B6 } }, ["[2001:db8::2]:53"]);
    expect(a.getServers()).toEqual([B6]);
    let all: unknown = null;
    void a.promises.lookup("www.test", { all: true }).then((x) => { all = x; }, (e) => { all = e; });
    expect(await a.until(() => all !== null, 10_000)).toBe(true);
    expect(all).toEqual([{ address: B_IP, family: 4 }, { address: B6, family: 6 }]);
    expect(questions.map((q) => `${q.name} ${q.qtype} ${q.family}`).sort()).toEqual(["www.test 1 IPv6", "www.test 28 IPv6"]);
    let six: unknown = null;
    void a.resolve6("www.test").then((x) => { six = x; }, (e) => { six = e; });
    expect(await a.until(() => six !== null, 10_000)).toBe(true);
    expect(six).toEqual([B6]);
  });

  it("both families: getServers lists IPv4 then IPv6; bad addresses and other ports refused like node (TypeErrors); setServers([]) clears both", () => {
    const { a } = env({});
    a.setServers(["2001:db8::53", "198.51.100.53:53", "[2001:DB8::54]"]);
    expect(a.getServers()).toEqual(["198.51.100.53", "2001:db8::53", "2001:db8::54"]);
    expect(() => a.setServers(["198.51.100"])).toThrow(expect.objectContaining({ code: "ERR_INVALID_IP_ADDRESS" }));
    expect(() => a.setServers(["2001:db8:::1"])).toThrow(expect.objectContaining({ code: "ERR_INVALID_IP_ADDRESS" }));
    expect(() => a.setServers(["[2001:db8::53]:5353"])).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE" }));
    expect(() => a.setServers(["2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4"])).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => a.setServers(["ff02::1"])).toThrow(expect.objectContaining({ code: "EINVAL" })); // multicast (the core's ip6SetDns)
    expect(a.getServers()).toEqual(["198.51.100.53", "2001:db8::53", "2001:db8::54"]); // a refused list changes nothing
    a.setServers([]);
    expect(a.getServers()).toEqual([]);
  });

  it("an IPv6 server on a stack with ipv6: false is ENOSYS", () => {
    const sim = new Sim({ seed: 1 });
    const n = createStack({ ip: `${A_IP}/24`, link: { type: "emulated", sim, link: sim.link({}) }, ipv6: false });
    expect(() => n.setServers(["2001:db8::53"])).toThrow(expect.objectContaining({ code: "ENOSYS" }));
    n.setServers(["198.51.100.53"]);
    expect(n.getServers()).toEqual(["198.51.100.53"]);
  });
});

describe("connect({ host: NAME }) over both families", () => {
  const both = { "www.test": { a: B_IP, aaaa: B6 } };

  it("RFC 6724 §6: family 0 (default) with a global IPv6 address of ours connects over IPv6 first; 'lookup' for each address", async () => {
    const { a, b } = env(both);
    b.createServer((s) => s.end("hi")).listen(80, "::");
    const r = await attempt(a, { host: "www.test", port: 80 });
    expect(r.connected).toBe(true);
    expect(r.c.remoteAddress).toBe(B6);
    expect(r.c.remoteFamily).toBe("IPv6");
    expect(r.events).toEqual([`lookup ${B6} 6`, `lookup ${B_IP} 4`, `attempt ${B6} 80 6`]);
    expect(r.c.autoSelectFamilyAttemptedAddresses).toEqual([`${B6}:80`]);
    r.c.destroy();
  });

  it("family 4 asks only A and connects over IPv4; family 6 only AAAA and IPv6; a bad family throws like node", async () => {
    const { a, b, questions } = env(both);
    b.createServer((s) => s.end("hi")).listen(80, "::");
    const r4 = await attempt(a, { host: "www.test", port: 80, family: 4 });
    expect(r4.c.remoteAddress).toBe(B_IP);
    expect(r4.events).toEqual([`lookup ${B_IP} 4`]);
    expect(questions.map((q) => q.qtype)).toEqual([1]);
    r4.c.destroy();
    const r6 = await attempt(a, { host: "www.test", port: 80, family: 6 });
    expect(r6.c.remoteAddress).toBe(B6);
    expect(questions.map((q) => q.qtype)).toEqual([1, 28]);
    r6.c.destroy();
    expect(() => a.connect({ host: "www.test", port: 80, family: 5 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE" }));
  });

  const split = { "www.test": { a: B_IP, aaaa: C6 } }; // the AAAA record names a host that listens on nothing

  it("autoSelectFamily: an IPv6 attempt refused (RST from a closed port) gives way to IPv4 at once", async () => {
    const { a, b } = env(split);
    b.createServer((s) => s.end("v4")).listen(80);
    const r = await attempt(a, { host: "www.test", port: 80 });
    expect(r.connected).toBe(true);
    expect(r.c.remoteFamily).toBe("IPv4");
    expect(r.events.slice(2, 4)).toEqual([`attempt ${C6} 80 6`, `failed ${C6} ECONNREFUSED`]);
    expect(r.events[4]).toBe(`attempt ${B_IP} 80 4`);
    expect(r.c.autoSelectFamilyAttemptedAddresses).toEqual([`${C6}:80`, `${B_IP}:80`]);
    expect(r.ms).toBeLessThan(250); // no attempt timeout waited
    let body = "";
    r.c.on("data", (d: Buffer) => { body += d.toString(); });
    await a.until(() => r.got.closed, 5_000);
    expect(body).toBe("v4");
  });

  it("autoSelectFamily: an IPv6 address nobody answers (NDP unanswered) times out after autoSelectFamilyAttemptTimeout, then IPv4", async () => {
    const { a, b } = env({ "www.test": { a: B_IP, aaaa: NOBODY6 } });
    b.createServer((s) => s.end("v4")).listen(80);
    const r = await attempt(a, { host: "www.test", port: 80, autoSelectFamilyAttemptTimeout: 300 });
    expect(r.connected).toBe(true);
    expect(r.c.remoteAddress).toBe(B_IP);
    expect(r.events.slice(2)).toEqual([`attempt ${NOBODY6} 80 6`, `timeout ${NOBODY6}`, `attempt ${B_IP} 80 4`]);
    expect(r.ms).toBeGreaterThanOrEqual(300);
    expect(r.ms).toBeLessThan(400);
    r.c.destroy();
    await a.until(() => false, 5_000); // the abandoned attempt leaves nothing behind
    expect(a.sockets().filter((s) => s.remoteAddress === NOBODY6)).toEqual([]);
  });

  it("autoSelectFamily: false connects to the preferred address only: its refusal is the socket's error", async () => {
    const { a, b } = env(split);
    b.createServer((s) => s.end("v4")).listen(80);
    const r = await attempt(a, { host: "www.test", port: 80, autoSelectFamily: false });
    expect(r.connected).toBe(false);
    expect(r.got.error?.code).toBe("ECONNREFUSED");
    expect(r.events).toEqual([`lookup ${C6} 6`]);
    a.setDefaultAutoSelectFamily(false);
    expect(a.getDefaultAutoSelectFamily()).toBe(false);
    const r2 = await attempt(a, { host: "www.test", port: 80 });
    expect(r2.connected).toBe(false);
  });

  it("every address refused: an AggregateError of each attempt's error, code the first one's", async () => {
    const { a } = env(both);
    const r = await attempt(a, { host: "www.test", port: 81 });
    expect(r.connected).toBe(false);
    const e = r.got.error as unknown as AggregateError & { code: string };
    expect(e).toBeInstanceOf(AggregateError);
    expect(e.errors.map((x: NodeJS.ErrnoException) => `${x.code} ${(x as { address?: string }).address}`)).toEqual([`ECONNREFUSED ${B6}`, `ECONNREFUSED ${B_IP}`]);
    expect(e.code).toBe("ECONNREFUSED");
  });

  it("a name without addresses: the lookup's error (ENOTFOUND) with a 'lookup' error event; Socket.connect by name works too", async () => {
    const { a, b } = env(both);
    const r = await attempt(a, { host: "nothing.test", port: 80 });
    expect(r.got.error?.code).toBe("ENOTFOUND");
    expect(r.events).toEqual(["lookup error"]);
    b.createServer((s) => s.end("x")).listen(80, "::");
    const { Socket: Sock } = await import("../src/net.js");
    const s: Socket = new Sock(a);
    let ok = false;
    s.connect(80, "www.test", () => { ok = true; });
    expect(await a.until(() => ok, 5_000)).toBe(true);
    expect(s.remoteFamily).toBe("IPv6");
    s.destroy();
  });
});
