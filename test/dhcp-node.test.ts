// The Node API over the core's DHCP, DNS and SNTP clients (src/net.ts, src/dhcp.ts, src/sntp.ts,
// src/lookup.ts) in virtual time: createStack({ dhcp: {...} }), 'dhcp' lease events (bound,
// renewed, lost), resolve4 and sntp(). The servers are scripted on a second NetStack on the same
// emulated link (DHCP on 67, DNS on 53, NTP on 123, all at 198.51.100.1).
import { describe, expect, it } from "vitest";
import { createStack, type NetError, type NetStack } from "../src/net.js";
import { Sim } from "../src/links/emulated.js";
import type { DhcpLease } from "../src/dhcp.js";
import { ACK, DISCOVER, NAK, OFFER, OFFER_IP, reply, REQUEST, scriptedServer, SERVER, SERVER_MAC, type ReplyOpts } from "./dhcp-script.js";
import { MAC_A } from "./wire-build.js";

const NTP_SECS = 3_973_000_000; // the scripted NTP server's time (2025-11-24), seconds since 1900

type Script = (type: number, opts: Map<number, number[]>) => { type: number; o?: ReplyOpts } | null;

/** A server stack with DHCP (answers per `script`), DNS and NTP servers, and a client built by `mk`. */
function env(script: Script, mk: (sim: Sim, link: ReturnType<Sim["link"]>) => NetStack) {
  const sim = new Sim({ seed: 3 });
  const link = sim.link({ delayMs: 1 });
  const srv = createStack({ ip: `${SERVER}/24`, mac: SERVER_MAC, seed: 4, link: { type: "emulated", sim, link } });
  const seen = scriptedServer(link, () => sim.now(), (m) => {
    const r = script(m.type, m.opts);
    return r ? reply(r.type, m.xid, r.o) : null;
  });
  // DNS: device.test has two addresses; nodata.test none; broken.test SERVFAIL; closed.test REFUSED; the rest NXDOMAIN
  const dns = srv.createSocket("udp4");
  dns.bind(53);
  dns.on("message", (m, r) => {
    let o = 12; const labels: string[] = [];
    while (m[o] !== 0) { labels.push(m.subarray(o + 1, o + 1 + m[o]).toString("latin1")); o += m[o] + 1; }
    const name = labels.join(".");
    const rcode = name === "broken.test" ? 2 : name === "closed.test" ? 5 : name === "device.test" || name === "nodata.test" ? 0 : 3;
    const addrs = name === "device.test" ? [[198, 51, 100, 80], [198, 51, 100, 81]] : [];
    const head = Buffer.alloc(12);
    head.writeUInt16BE(m.readUInt16BE(0), 0); head.writeUInt16BE(0x8180 | rcode, 2); head.writeUInt16BE(1, 4); head.writeUInt16BE(addrs.length, 6);
    const ans = addrs.map((a) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...a]));
    dns.send(Buffer.concat([head, m.subarray(12, o + 5), ...ans]), r.port, r.address);
  });
  const ntp = srv.createSocket("udp4");
  ntp.bind(123);
  ntp.on("message", (m, r) => {
    const p = Buffer.alloc(48);
    p[0] = (4 << 3) | 4; p[1] = 3; p[2] = 6;
    m.copy(p, 24, 40, 48); // originate = the request's transmit timestamp
    p.writeUInt32BE(NTP_SECS, 32); p.writeUInt32BE(NTP_SECS, 40);
    ntp.send(p, r.port, r.address);
  });
  const net = mk(sim, link);
  const events: [string, DhcpLease | undefined][] = [];
  net.on("dhcp", (e: string, lease?: DhcpLease) => events.push([e, lease]));
  return { sim, srv, net, seen, events, leases: () => events.filter((e) => e[1] !== undefined) };
}

const ntp42 = { ntp: [SERVER], dns: [SERVER] };
/** DORA with a `lease`-second lease (T1/T2 given), NTP and DNS at the server. */
const dora = (lease: number, t1: number, t2: number): Script => (type) =>
  type === DISCOVER ? { type: OFFER, o: { lease, t1, t2, ...ntp42 } } : type === REQUEST ? { type: ACK, o: { lease, t1, t2, ...ntp42 } } : null;

describe("createStack({ dhcp }) and the lease events (src/dhcp.ts)", () => {
  it("dhcp: { hostname, clientId, requestAddress }: INIT-REBOOT asks for the address with options 12 and 61; 'bound' carries the lease", async () => {
    const script: Script = (type, opts) =>
      type === REQUEST ? { type: ACK, o: { yiaddr: `${opts.get(50)!.join(".")}`, lease: 3600, ...ntp42 } } : null;
    const { net, seen, events } = env(script, (sim, link) => createStack({
      dhcp: { hostname: "node-7", clientId: "id-1", requestAddress: "198.51.100.60" }, mac: MAC_A, seed: 9, link: { type: "emulated", sim, link },
    }));
    expect(await net.until(() => events.some((e) => e[0] === "bound"), 30_000)).toBe(true);
    expect(seen[0].type).toBe(REQUEST); // no DISCOVER: INIT-REBOOT (RFC 2131 §3.2)
    expect(Buffer.from(seen[0].opts.get(12)!).toString()).toBe("node-7");
    expect(Buffer.from(seen[0].opts.get(61)!).toString()).toBe("id-1");
    expect(seen[0].opts.get(50)).toEqual([198, 51, 100, 60]);
    const lease = { address: "198.51.100.60", prefix: 24, router: SERVER, dns: [SERVER], ntp: [SERVER], leaseSeconds: 3600, serverId: SERVER };
    expect(events.find((e) => e[0] === "bound")![1]).toEqual(lease);
    expect(net.dhcpLease).toEqual(lease);
    expect(events.map((e) => e[0]).filter((e) => e === e.toUpperCase())).toEqual(["INIT-REBOOT", "REBOOTING", "CHECKING", "BOUND"]);
    expect(net.address).toBe("198.51.100.60");
    net.close();
  });

  it("a bad host name or client id, or ip and dhcp together, is refused by createStack", () => {
    const sim = new Sim({ seed: 1 });
    const link = sim.link({ delayMs: 1 });
    const mk = (o: object) => () => createStack({ ...o, link: { type: "emulated", sim, link } });
    expect(mk({ dhcp: { hostname: "no_underscores" } })).toThrow(expect.objectContaining({ code: "EINVAL", syscall: "dhcpSetHostname" }));
    expect(mk({ dhcp: { clientId: new Uint8Array([1]) } })).toThrow(expect.objectContaining({ code: "EINVAL", syscall: "dhcpSetClientId" }));
    expect(mk({ dhcp: { requestAddress: "127.0.0.1" } })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(mk({ dhcp: true, ip: "198.51.100.9/24" })).toThrow(/either ip or dhcp/);
    expect(mk({})).toThrow(/needs ip/);
  });

  it("RFC 2131 §4.4.5: 'renewed' at T1 (same lease, address kept); no answer: 'lost' at expiry (address removed); a NAK while RENEWING: 'lost' at once", async () => {
    let mode: "answer" | "silent" | "nak" = "answer";
    const base = dora(100, 50, 80);
    const { net, events, leases, seen } = env((type, opts) => (mode === "silent" ? null : mode === "nak" && type === REQUEST ? { type: NAK } : base(type, opts)),
      (sim, link) => createStack({ dhcp: true, mac: MAC_A, seed: 9, link: { type: "emulated", sim, link } }));
    expect(await net.until(() => leases().length === 1, 30_000)).toBe(true);
    const t0 = seen.find((m) => m.type === REQUEST)!.t; // the lease counts from the REQUEST
    expect(leases()[0][0]).toBe("bound");
    expect(await net.until(() => leases().length === 2, 60_000)).toBe(true);
    expect(seen.filter((m) => m.type === REQUEST)[1].t - t0).toBe(50_000); // T1
    expect(net.now() - t0).toBeLessThan(50_010);
    expect(leases()[1]).toEqual(["renewed", { ...leases()[0][1], leaseSeconds: 100 }]);
    expect(net.address).toBe(OFFER_IP);

    mode = "silent";
    const t1 = seen.filter((m) => m.type === REQUEST)[1].t;
    expect(await net.until(() => leases().length === 3, 120_000)).toBe(true);
    expect(leases()[2][0]).toBe("lost");
    expect(leases()[2][1]!.address).toBe(OFFER_IP);
    expect(net.now() - t1).toBeGreaterThanOrEqual(99_990); // (t1: when the server saw it, a few ms of link late) the whole lease, RENEWING and REBINDING unanswered
    expect(net.now() - t1).toBeLessThan(100_010);
    expect(net.address).toBe("0.0.0.0");
    expect(events.map((e) => e[0])).toContain("REBINDING");
    expect(net.dhcpLease).toBeNull();

    mode = "answer";
    expect(await net.until(() => leases().length === 4, 120_000)).toBe(true); // DISCOVER retransmissions reach the server
    expect(leases()[3][0]).toBe("bound");
    mode = "nak";
    expect(await net.until(() => leases().length === 5, 60_000)).toBe(true);
    expect(leases()[4][0]).toBe("lost");
    expect(events.at(-1)).toEqual(["SELECTING", undefined]); // back to DISCOVER
    net.close();
  }, 20_000);

  it("dhcpStop is no loss: no 'lost' event, the lease is cleared; ip: \"dhcp\" is an alias of dhcp: true", async () => {
    const { net, leases } = env(dora(600, 0, 0), (sim, link) => createStack({ ip: "dhcp", mac: MAC_A, seed: 9, link: { type: "emulated", sim, link } }));
    expect(await net.until(() => leases().length === 1, 30_000)).toBe(true);
    net.dhcpStop(true);
    await net.until(() => false, 100);
    expect(leases().map((e) => e[0])).toEqual(["bound"]);
    expect(net.dhcpLease).toBeNull();
    net.close();
  });
});

describe("resolve4 and sntp() with the lease's servers", () => {
  const up = async () => {
    const e = env(dora(3600, 0, 0), (sim, link) => createStack({ dhcp: true, mac: MAC_A, seed: 9, link: { type: "emulated", sim, link } }));
    expect(await e.net.until(() => e.leases().length === 1, 30_000)).toBe(true);
    return e;
  };
  /** Settle a promise while the Sim runs. */
  async function settle<T>(net: NetStack, p: Promise<T>, ms = 30_000): Promise<{ v?: T; e?: NetError }> {
    const out: { v?: T; e?: NetError; done?: boolean } = {};
    p.then((v) => { out.v = v; out.done = true; }, (e) => { out.e = e; out.done = true; });
    expect(await net.until(() => out.done === true, ms)).toBe(true);
    return out;
  }

  it("resolve4 (node:dns/promises shape): the A records; ENOTFOUND, ENODATA, ESERVFAIL, EREFUSED with syscall queryA", async () => {
    const { net } = await up();
    expect((await settle(net, net.resolve4("device.test"))).v).toEqual(["198.51.100.80", "198.51.100.81"]);
    for (const [name, code] of [["nope.test", "ENOTFOUND"], ["nodata.test", "ENODATA"], ["broken.test", "ESERVFAIL"], ["closed.test", "EREFUSED"]]) {
      const { e } = await settle(net, net.resolve4(name));
      expect(e, name).toMatchObject({ code, syscall: "queryA", hostname: name });
    }
    net.close();
  });

  it("resolve4 of a name nobody answers: ETIMEOUT", async () => {
    const { net, srv } = await up();
    srv.close(); // the DNS server goes away (its address too: nobody answers ARP)
    const { e } = await settle(net, net.resolve4("device.test"), 120_000);
    expect(e).toMatchObject({ code: "ETIMEOUT", syscall: "queryA" });
    net.close();
  });

  it("sntp() without a server uses the lease's NTP server (option 42); sntp(server) that one; the result has time, offset, delay, server, stratum", async () => {
    const { net } = await up();
    const { v } = await settle(net, net.sntp());
    expect(v).toMatchObject({ server: SERVER, stratum: 3 });
    const unixMs = (NTP_SECS - 2208988800) * 1000;
    expect(Math.abs(v!.time.getTime() - unixMs)).toBeLessThan(50); // the server's time (2 ms of link delay)
    expect(v!.delayMs).toBeGreaterThanOrEqual(0);
    expect(v!.delayMs).toBeLessThan(20);
    expect(Math.abs(v!.offsetMs)).toBeGreaterThan(1e9); // our clock started in 1900 (virtual)
    const again = await settle(net, net.sntp(SERVER));
    expect(again.v).toMatchObject({ server: SERVER, stratum: 3 });
    expect(Math.abs(again.v!.offsetMs)).toBeLessThan(50); // already set
    expect(net.stack.sntpInfo().stateName).toBe("stopped"); // one exchange each
    net.close();
  });

  it("sntp() fails cleanly: EADDRNOTAVAIL without NTP servers from DHCP; ETIMEDOUT when nobody answers", async () => {
    const e = env((type) => (type === DISCOVER ? { type: OFFER } : type === REQUEST ? { type: ACK, o: { lease: 3600 } } : null),
      (sim, link) => createStack({ dhcp: true, mac: MAC_A, seed: 9, link: { type: "emulated", sim, link } }));
    const before = await settle(e.net, e.net.sntp(), 10);
    expect(before.e).toMatchObject({ code: "EADDRNOTAVAIL" });
    expect(await e.net.until(() => e.leases().length === 1, 30_000)).toBe(true);
    expect((await settle(e.net, e.net.sntp())).e).toMatchObject({ code: "EADDRNOTAVAIL" }); // a lease without option 42
    const { e: err } = await settle(e.net, e.net.sntp("198.51.100.99", { timeoutMs: 5000 }), 10_000);
    expect(err).toMatchObject({ code: "ETIMEDOUT", address: "198.51.100.99" });
    e.net.close();
  });
});
