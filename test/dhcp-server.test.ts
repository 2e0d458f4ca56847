// The DHCP server (src/dhcp-server.ts, RFC 2131) on one NetStack, against the core's DHCP client
// (assembly/services/dhcp.ts) on other NetStacks, on an emulated link in virtual time; and
// createFleet({ dhcp: true }) (src/fleet.ts).
import { describe, expect, it } from "vitest";
import { createStack, type NetStack } from "../src/net.js";
import { Sim, type Link } from "../src/links/emulated.js";
import { DhcpServer, type DhcpServerOptions } from "../src/dhcp-server.js";
import { createFleet } from "../src/fleet.js";
import type { DhcpLease } from "../src/dhcp.js";
import { decode, DECLINE, DISCOVER, ACK, NAK, OFFER, RELEASE, REQUEST, type Msg } from "./dhcp-script.js";

const SRV = "198.51.100.1";

/** A server stack, its DhcpServer, a log of every DHCP message on the link (both directions), and a client maker. */
function env(o: Partial<DhcpServerOptions> = {}, drop?: () => boolean) {
  const sim = new Sim({ seed: 5 });
  const link = sim.link({ delayMs: 1, dropIf: (f) => drop !== undefined && drop() && f[5] === 0xfe }); // drop frames to the server's MAC
  const net = createStack({ ip: `${SRV}/24`, mac: "02:00:00:00:00:fe", seed: 1, link: { type: "emulated", sim, link } });
  const srv = new DhcpServer(net, { pool: ["198.51.100.10", "198.51.100.19"], leaseSeconds: 3600, ...o });
  const log: Msg[] = [];
  watch(link, sim, log);
  let n = 0;
  const client = (opts: { mac?: string; requestAddress?: string } = {}) => {
    const c = createStack({ dhcp: opts.requestAddress ? { requestAddress: opts.requestAddress } : true, mac: opts.mac ?? `02:00:00:00:01:${(++n).toString(16).padStart(2, "0")}`, seed: 100 + n, link: { type: "emulated", sim, link } });
    const ev: [string, DhcpLease | undefined][] = [];
    c.on("dhcp", (e: string, l?: DhcpLease) => ev.push([e, l]));
    return { c, ev, has: (e: string) => ev.some((x) => x[0] === e) };
  };
  return { sim, link, net, srv, log, client };
}

/** Record every DHCP frame (client -> server: decoded by dport 67; server -> client: dport 68). */
function watch(link: Link, sim: Sim, log: Msg[]): void {
  link.attach({
    name: "watch", attach() {}, input(frame) {
      const m = decode(frame, sim.now()) ?? decode(frame, sim.now(), 68);
      if (m) log.push(m);
    },
  });
}

const replies = (log: Msg[], type: number) => log.filter((m) => m.dport === 68 && m.type === type);
const requests = (log: Msg[], type: number) => log.filter((m) => m.dport === 67 && m.type === type);

describe("DhcpServer (RFC 2131) against the core's client", () => {
  it("RFC 2131 §4.3.1/§4.3.2 SELECTING: DISCOVER -> OFFER, REQUEST -> ACK with options 1, 3, 6, 51, 54, 58, 59; the lease table records 12/61", async () => {
    const e = env({ seed: 3 });
    const a = e.client();
    expect(await a.c.until(() => a.has("bound"), 30_000)).toBe(true);
    const lease = a.ev.find((x) => x[0] === "bound")![1]!;
    expect(lease).toMatchObject({ prefix: 24, router: SRV, dns: [SRV], leaseSeconds: 3600, serverId: SRV });
    const offer = replies(e.log, OFFER)[0], ack = replies(e.log, ACK)[0];
    expect(offer.dstIp).toBe("255.255.255.255"); // ciaddr 0: broadcast (§4.1)
    for (const o of [1, 3, 6, 51, 54, 58, 59]) expect(ack.opts.has(o)).toBe(true);
    expect(ack.opts.get(58)).toEqual([0, 0, 0x07, 0x08]); // T1 = 1800
    expect(ack.opts.get(59)).toEqual([0, 0, 0x0c, 0x4e]); // T2 = 3150
    const t = e.srv.leases();
    expect(t).toEqual([expect.objectContaining({ address: lease.address, state: "bound", mac: "02:00:00:00:01:01", clientId: "01020000000101" })]);
    expect(e.srv.stats).toMatchObject({ discovers: 1, offers: 1, requests: 1, acks: 1, naks: 0 });
  });

  it("seeded: the same seed hands out the same addresses in the same order; another seed another order", async () => {
    const order = async (seed: number) => {
      const e = env({ seed });
      const cs = [e.client(), e.client(), e.client()];
      for (const c of cs) expect(await c.c.until(() => c.has("bound"), 30_000)).toBe(true);
      return cs.map((c) => c.c.address);
    };
    const a = await order(7), b = await order(7), c = await order(8);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(3);
    expect(c).not.toEqual(a);
  });

  it("RFC 2131 §4.4.5 RENEWING: at T1 the client unicasts a REQUEST to the server, which ACKs it unicast", async () => {
    const e = env({ leaseSeconds: 60 });
    const a = e.client();
    expect(await a.c.until(() => a.has("bound"), 30_000)).toBe(true);
    expect(await a.c.until(() => a.has("renewed"), 40_000)).toBe(true);
    const req = requests(e.log, REQUEST).at(-1)!;
    expect(req).toMatchObject({ srcIp: a.c.address, dstIp: SRV, ciaddr: a.c.address });
    expect(req.opts.has(54)).toBe(false);
    expect(replies(e.log, ACK).at(-1)!.dstIp).toBe(a.c.address);
    expect(e.srv.leases()[0].expiresMs).toBeGreaterThan(e.sim.now() + 50_000);
  });

  it("RFC 2131 §4.4.5 REBINDING: no answer to the unicast renewals, the broadcast REQUEST after T2 is ACKed", async () => {
    let block = false;
    const e = env({ leaseSeconds: 80 }, () => block);
    const a = e.client();
    expect(await a.c.until(() => a.has("bound"), 30_000)).toBe(true);
    block = true; // unicast to the server is lost from now on
    expect(await a.c.until(() => a.has("REBINDING"), 80_000)).toBe(true);
    block = false;
    expect(await a.c.until(() => a.has("renewed"), 20_000)).toBe(true);
    const req = requests(e.log, REQUEST).at(-1)!;
    expect(req).toMatchObject({ dstIp: "255.255.255.255", ciaddr: a.c.address });
    expect(e.srv.leases()[0].state).toBe("bound");
  });

  it("RFC 2131 §4.3.2 INIT-REBOOT: a client asking for an address that is not its own gets a NAK, then DISCOVERs its own", async () => {
    const e = env();
    const a = e.client({ mac: "02:00:00:00:01:aa" });
    expect(await a.c.until(() => a.has("bound"), 30_000)).toBe(true);
    const mine = a.c.address;
    a.c.close(); e.link.detach(a.c.stack); // unplug the first client
    const wrong = mine === "198.51.100.15" ? "198.51.100.16" : "198.51.100.15";
    const b = e.client({ mac: "02:00:00:00:01:aa", requestAddress: wrong });
    expect(await b.c.until(() => b.has("bound"), 60_000)).toBe(true);
    // every INIT-REBOOT REQUEST for the wrong address got a NAK (the client sent it twice at the same instant: see the report)
    const reboot = requests(e.log, REQUEST).filter((m) => m.opts.get(50)?.join(".") === wrong && !m.opts.has(54));
    expect(reboot.length).toBeGreaterThanOrEqual(1);
    expect(e.srv.stats.naks).toBe(reboot.length);
    expect(replies(e.log, NAK)[0].dstIp).toBe("255.255.255.255");
    expect(b.c.address).toBe(mine);
  });

  it("RFC 2131 §4.3.3 DECLINE: an address found in use (RFC 5227 probe answered) is marked unusable and the client gets another", async () => {
    const e = env();
    // a squatter holds the first address the pool would give (ascending order, no seed)
    createStack({ ip: "198.51.100.10/24", mac: "02:00:00:00:00:55", seed: 9, link: { type: "emulated", sim: e.sim, link: e.link } });
    const a = e.client();
    expect(await a.c.until(() => a.has("bound"), 60_000)).toBe(true);
    expect(requests(e.log, DECLINE)).toHaveLength(1);
    expect(e.srv.stats.declines).toBe(1);
    expect(a.c.address).toBe("198.51.100.11");
    expect(e.srv.leases().map((l) => [l.address, l.state])).toEqual([["198.51.100.10", "declined"], ["198.51.100.11", "bound"]]);
  });

  it("RFC 2131 §4.3.4 RELEASE frees the address: with a one-address pool the next client gets it", async () => {
    const e = env({ pool: ["198.51.100.10", "198.51.100.10"] });
    const a = e.client();
    expect(await a.c.until(() => a.has("bound"), 30_000)).toBe(true);
    a.c.dhcpStop(true);
    expect(await a.c.until(() => requests(e.log, RELEASE).length === 1, 1000)).toBe(true);
    await a.c.until(() => false, 100);
    expect(e.srv.leases()[0].state).toBe("released");
    const b = e.client();
    expect(await b.c.until(() => b.has("bound"), 30_000)).toBe(true);
    expect(b.c.address).toBe("198.51.100.10");
  });

  it("pool exhaustion: no OFFER, counted (poolExhausted); the table never exceeds the pool", async () => {
    const e = env({ pool: ["198.51.100.10", "198.51.100.11"] });
    const cs = [e.client(), e.client(), e.client()];
    await cs[0].c.until(() => false, 40_000);
    expect(cs.filter((c) => c.has("bound"))).toHaveLength(2);
    expect(e.srv.stats.poolExhausted).toBeGreaterThanOrEqual(1);
    expect(e.srv.leases()).toHaveLength(2);
    const third = cs.find((c) => !c.has("bound"))!;
    const mac = requests(e.log, DISCOVER).map((m) => m.chaddr).find((m) => !replies(e.log, OFFER).some((o) => o.chaddr === m));
    expect(mac).toBeDefined(); // one client's DISCOVERs were never answered
    expect(third.c.address).toBe("0.0.0.0");
  });

  it("malformed packets are dropped and counted, one counter per reason; the server still serves", async () => {
    const e = env();
    const x = createStack({ ip: "198.51.100.200/24", mac: "02:00:00:00:00:66", seed: 3, link: { type: "emulated", sim: e.sim, link: e.link } });
    const u = x.createSocket("udp4");
    u.bind(68);
    const good = () => {
      const p = Buffer.alloc(300);
      p[0] = 1; p[1] = 1; p[2] = 6; p.writeUInt32BE(0x63825363, 236);
      p.set([53, 1, DISCOVER, 255], 240);
      return p;
    };
    const bad: [string, Buffer][] = [];
    bad.push(["truncated", good().subarray(0, 239)]);
    { const p = good(); p[0] = 2; bad.push(["badOp", p]); }
    { const p = good(); p[2] = 16; bad.push(["badHardware", p]); }
    { const p = good(); p[236] = 0; bad.push(["badCookie", p]); }
    { const p = good(); p.set([12, 200], 240); bad.push(["badOption", p.subarray(0, 260)]); }
    { const p = good(); p.fill(0, 240); bad.push(["badOption", p]); } // no end option
    { const p = good(); p.set([52, 1, 1, 53, 1, 1, 255], 240); bad.push(["overload", p]); }
    { const p = good(); p.set([12, 1, 65, 255], 240); bad.push(["noMsgType", p]); }
    { const p = good(); p.set([53, 1, 9, 255], 240); bad.push(["badMsgType", p]); }
    { const p = good(); p.set([53, 1, OFFER, 255], 240); bad.push(["badMsgType", p]); }
    { const p = good(); p.set([53, 1, REQUEST, 255], 240); bad.push(["badRequest", p]); } // neither 50, 54 nor ciaddr
    for (const [, p] of bad) { u.send(p, 67, SRV); await x.until(() => false, 20); } // one at a time (the first waits for ARP)
    const want: Record<string, number> = {};
    for (const [k] of bad) want[k] = (want[k] ?? 0) + 1;
    expect(e.srv.stats).toMatchObject(want);
    expect(e.srv.stats.rx).toBe(bad.length);
    expect(e.srv.stats.tx).toBe(0);
    const a = e.client();
    expect(await a.c.until(() => a.has("bound"), 30_000)).toBe(true);
  });
});

describe("createFleet({ dhcp: true })", () => {
  it("300 devices over two VLANs: one server per VLAN, every device bound, addresses distinct per VLAN, in virtual time", async () => {
    const f = createFleet({ count: 300, seed: 4, dhcp: true });
    expect(f.servers).toHaveLength(2);
    expect(await f.runUntilBound(120_000)).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const a = f.ip(i);
      expect(a).toMatch(/^198\.51\.100\.\d+$/);
      expect(a).not.toBe("198.51.100.1");
      const k = `${f.vlan(i)}/${a}`;
      expect(seen.has(k)).toBe(false);
      seen.add(k);
    }
    expect(f.servers[0].leases().filter((l) => l.state === "bound")).toHaveLength(250);
    expect(f.servers[1].leases().filter((l) => l.state === "bound")).toHaveLength(50);
    expect(f.sim.now()).toBeLessThan(120_000);
  });
});
