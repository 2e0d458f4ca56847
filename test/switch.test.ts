// The emulated network's learning switch (LinkOptions.learning / sim.switch()): it learns source
// MACs per port, forwards unicast to the learned port only, floods broadcast, multicast and
// unknown unicast once to every other port of the sender's VLAN, and forgets entries after
// agingMs (IEEE 802.1D 7.8, 7.9). Also: the Sim's per-instant work follows the stacks with work.
import { describe, expect, it } from "vitest";
import { Endpoint, Sim } from "../src/links/emulated.js";
import { createFleet, fleetMac } from "../src/fleet.js";

/** A port that records what reaches it and sends what the test tells it. */
class Port implements Endpoint {
  got: Uint8Array[] = [];
  private tx: ((f: Uint8Array) => void) | null = null;
  constructor(readonly name: string, readonly mac: number[]) {}
  input(frame: Uint8Array): void { this.got.push(frame); }
  attach(fn: ((frame: Uint8Array) => void) | null): void { this.tx = fn; }
  send(dst: number[], tag = 0): void {
    const f = new Uint8Array(60);
    f.set(dst, 0);
    f.set(this.mac, 6);
    f[12] = 0x88; f[13] = 0xb5; // local experimental ethertype
    f[14] = tag;
    this.tx!(f);
  }
}

const mac = (n: number) => [0x02, 0, 0, 0, 0, n];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const MCAST = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];

function setup(n: number, opts: { agingMs?: number } = {}) {
  const sim = new Sim({ seed: 1 });
  const sw = sim.switch({ delayMs: 1, ...opts });
  const ports = Array.from({ length: n }, (_, i) => new Port(`p${i}`, mac(i + 1)));
  for (const p of ports) sw.attach(p);
  const counts = () => ports.map((p) => p.got.length);
  return { sim, sw, ports, counts };
}

describe("learning switch (IEEE 802.1D)", () => {
  it("floods unknown unicast once to every other port, then forwards to the learned port only", () => {
    const { sim, sw, ports, counts } = setup(4);
    ports[0].send(mac(2)); // p1's MAC is not learned yet: flood
    sim.runFor(5);
    expect(counts()).toEqual([0, 1, 1, 1]);
    expect(sw.learned("02:00:00:00:00:01")).toBe(0); // learned p0 from the source address
    ports[1].send(mac(1)); // to p0, learned: forwarded to port 0 only
    sim.runFor(5);
    expect(counts()).toEqual([1, 1, 1, 1]);
    ports[0].send(mac(2)); // p1 learned from its reply: port 1 only
    sim.runFor(5);
    expect(counts()).toEqual([1, 2, 1, 1]);
    expect([sw.forwarded, sw.flooded]).toEqual([2, 1]);
  });

  it("floods broadcast and multicast once to every other port, and never learns a group address as a source", () => {
    const { sim, sw, ports, counts } = setup(5);
    ports[2].send(BCAST);
    ports[3].send(MCAST);
    sim.runFor(5);
    expect(counts()).toEqual([2, 2, 1, 1, 2]);
    const bad = new Port("bad", MCAST); // a (bogus) group source address
    sw.attach(bad);
    bad.send(mac(1));
    sim.runFor(5);
    expect(sw.learned("01:00:5e:00:00:01")).toBeUndefined();
  });

  it("filters a frame whose destination was learned on the sender's own port", () => {
    const { sim, sw, ports, counts } = setup(3);
    ports[0].send(BCAST); // learn p0 on port 0
    sim.runFor(5);
    const before = counts();
    ports[0].send(mac(1)); // to itself: stays on port 0's segment
    sim.runFor(5);
    expect(counts()).toEqual(before);
    expect(sw.filtered).toBe(1);
  });

  it("follows a station that moves to another port", () => {
    const { sim, sw, ports, counts } = setup(3);
    ports[0].send(BCAST);
    sim.runFor(5);
    expect(sw.learned("02:00:00:00:00:01")).toBe(0);
    const moved = new Port("moved", mac(1)); // the same MAC now on a new port 3
    sw.attach(moved);
    moved.send(BCAST);
    sim.runFor(5);
    expect(sw.learned("02:00:00:00:00:01")).toBe(3);
    const c = counts(), m = moved.got.length;
    ports[1].send(mac(1));
    sim.runFor(5);
    expect(moved.got.length).toBe(m + 1);
    expect(counts()).toEqual(c); // not to the old port
  });

  it("ages entries out after agingMs (then floods again); traffic from the station refreshes them", () => {
    const { sim, sw, ports, counts } = setup(3, { agingMs: 1000 });
    ports[0].send(BCAST);
    sim.runFor(5);
    sim.runFor(600);
    ports[0].send(BCAST); // refresh at ~605 ms
    sim.runFor(600); // 1205 ms: 600 since the refresh, still learned
    expect(sw.learned("02:00:00:00:00:01")).toBe(0);
    const c = counts();
    ports[1].send(mac(1));
    sim.runFor(5);
    expect(counts()).toEqual([c[0] + 1, c[1], c[2]]); // forwarded
    sim.runFor(1100); // no frame from p0 for > 1000 ms
    expect(sw.learned("02:00:00:00:00:01")).toBeUndefined();
    const d = counts();
    ports[1].send(mac(1));
    sim.runFor(5);
    expect(counts()).toEqual([d[0] + 1, d[1], d[2] + 1]); // flooded again
  });

  it("VLANs: a port only exchanges frames with ports of its VLAN, learning per VLAN", () => {
    const sim = new Sim({ seed: 1 });
    const sw = sim.switch({ delayMs: 1 });
    const ports = Array.from({ length: 4 }, (_, i) => new Port(`p${i}`, mac(i + 1)));
    ports.forEach((p, i) => sw.attach(p, { vlan: i < 2 ? 10 : 20 }));
    ports[0].send(BCAST);
    ports[2].send(BCAST);
    ports[0].send(mac(3)); // p2's MAC, but in another VLAN: unknown in VLAN 10, flooded there only
    sim.runFor(5);
    expect(ports.map((p) => p.got.length)).toEqual([0, 2, 0, 1]);
    expect(sw.learned("02:00:00:00:00:03", 20)).toBe(2);
    expect(sw.learned("02:00:00:00:00:03", 10)).toBeUndefined();
    sw.setVlan(3, 10); // move p3 into VLAN 10
    ports[0].send(BCAST);
    sim.runFor(5);
    expect(ports.map((p) => p.got.length)).toEqual([0, 3, 0, 2]);
  });

  it("stacks on a switch: ARP broadcasts reach all, a unicast ping exchange reaches only the two ends", () => {
    const f = createFleet({ count: 6, perVlan: 6, build: "node" });
    f.sim.runFor(10);
    const rx0 = f.devices.map((d) => d.stat("rx_frames"));
    f.devices[1].ping(f.ip(4), 1);
    f.sim.runFor(50);
    expect(f.devices[1].stat("icmp_echo_replies_rx")).toBe(1);
    const rx = f.devices.map((d, i) => d.stat("rx_frames") - rx0[i]);
    // the ARP request is flooded (every other device gets it once); the reply, the echo and its
    // reply are forwarded: device 1 gets ARP reply + echo reply, device 4 ARP request + echo request
    expect(rx).toEqual([1, 2, 1, 1, 2, 1]);
    expect(fleetMac(0)).toBe("02:00:00:00:00:01");
  });
});

describe("Sim cost per instant", () => {
  it("polls only the stacks with work: 200 idle devices are not polled while two exchange pings", () => {
    const f = createFleet({ count: 200 });
    f.sim.runFor(2000); // settle: gratuitous ARPs done, every core idle
    f.devices[7].ping(f.ip(9), 100); // resolve 9 first (the ARP request is flooded to all)
    f.sim.runFor(20);
    const polls = new Array<number>(200).fill(0);
    f.devices.forEach((d, i) => {
      const inner = d.poll.bind(d);
      d.poll = () => { polls[i]++; return inner(); };
    });
    for (let s = 1; s <= 20; s++) { f.devices[7].ping(f.ip(9), s); f.sim.runFor(20); }
    expect(f.devices[7].stat("icmp_echo_replies_rx")).toBe(21);
    expect(polls.flatMap((n, i) => (n > 0 ? [i] : []))).toEqual([7, 9]);
  });
});

describe("createFleet's module with a declared memory maximum (cappedModule)", () => {
  it("declares maxPages, keeps everything else: the core works and cannot grow past the cap", () => {
    const f = createFleet({ count: 2, maxPages: 4 });
    f.sim.runFor(10);
    f.devices[0].ping(f.ip(1), 1);
    f.sim.runFor(50);
    expect(f.devices[0].stat("icmp_echo_replies_rx")).toBe(1);
    const mem = f.devices[0].memory;
    const pages = mem.buffer.byteLength >> 16;
    expect(() => mem.grow(4 - pages + 1)).toThrow(RangeError); // past the declared maximum
    expect(mem.grow(4 - pages)).toBe(pages); // up to it is fine
    expect(() => createFleet({ count: 1, maxPages: 0.5 })).toThrow(); // below the module's initial size
  });
});
