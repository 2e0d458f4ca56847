// Issue 15: the ARP cache at scale. The release and testing builds find a neighbour by a keyed
// hash of its address and take the first free entry from a bitmap (assembly/iface.ts, FEAT_SCALE);
// the MCU builds scan the cache. Same behaviour: every case runs on both builds and, on the scale
// build, with every address in one hash chain; the transmitted frames must be identical.
import { describe, expect, it } from "vitest";
import { Stack, VirtualClock, ipToU32 } from "../src/stack.js";
import { arp, eth, MAC_A, MAC_BCAST } from "./wire-build.js";

const US = "198.51.100.1";
const VARIANTS = [["node", "build/testing.wasm", 0], ["node, one hash chain", "build/testing.wasm", 1], ["mcu (scan)", "build/testing.mcu.wasm", 0]] as const;
const mac = (i: number, tag = 0) => `02:${tag.toString(16).padStart(2, "0")}:00:00:00:${i.toString(16).padStart(2, "0")}`;
const ip = (i: number) => `198.51.100.${i}`;
const macBig = (i: number, tag = 0) => (0x020000000000n | (BigInt(tag) << 32n) | BigInt(i));
const hex = (f: Uint8Array) => Buffer.from(f).toString("hex");

function station(path: string, buckets: number, cfg: Record<string, number>) {
  const clock = new VirtualClock(0);
  const sent: Uint8Array[] = [];
  const s = new Stack({ wasmPath: path, name: "us", ip: US, mac: MAC_A, prefix: 24, seed: 11, clock, config: cfg, tx: (f) => sent.push(f), init: false });
  const x = s.exports as unknown as Record<string, (...a: number[]) => number | bigint>;
  if (buckets > 0) x.scaleTestBuckets(buckets);
  s.init();
  const lookup = (i: number) => x.arpLookup(ipToU32(ip(i))) as bigint;
  const send = (i: number) => x.testUdpSend(ipToU32(ip(i)), 5000, 9, 4) as number;
  const arpIn = (op: number, i: number, tag = 0, tpa = US) => s.input(eth(op === 1 ? MAC_BCAST : MAC_A, mac(i, tag), 0x0806, arp(op, mac(i, tag), ip(i), op === 1 ? "00:00:00:00:00:00" : MAC_A, tpa)));
  return { s, x, clock, sent, lookup, send, arpIn };
}

/** Frames since `from`: [ARP requests sent (target host numbers), UDP frames (destination MAC low byte)]. */
function kinds(sent: Uint8Array[], from: number): { who: number[]; udpTo: number[] } {
  const who: number[] = [], udpTo: number[] = [];
  for (const f of sent.slice(from)) {
    const type = (f[12] << 8) | f[13];
    if (type === 0x0806 && f[21] === 1) who.push(f[41]);
    else if (type === 0x0800) udpTo.push(f[5]);
  }
  return { who, udpTo };
}

describe.each(VARIANTS)("issue 15: the ARP cache with hundreds of neighbours (%s)", (_name, path, buckets) => {
  it("RFC 826: 150 neighbours resolved and in use survive a flood of 5000 ARP packets from 100 other addresses; each frame goes to its own neighbour's MAC without a new request", () => {
    const h = station(path, buckets, { ArpEntries: 200, ArpQueue: 4 });
    const N = 150;
    // resolve each neighbour: a frame to it queues and asks; its reply sends the frame
    for (let i = 2; i < 2 + N; i++) {
      const from = h.sent.length;
      expect(h.send(i)).toBe(1);
      expect(kinds(h.sent, from).who).toEqual([i]);
      h.arpIn(2, i);
      expect(kinds(h.sent, from).udpTo).toEqual([i]);
      expect(h.lookup(i)).toBe(macBig(i));
    }
    // a flood from the rest of the /24 (requests and replies aimed at us, fresh MACs each time)
    let r = 7;
    for (let k = 0; k < 5000; k++) {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      const i = 2 + N + ((r >>> 16) % 100);
      h.clock.set(k >> 4);
      h.arpIn((k & 1) ? 1 : 2, i, 1 + (k & 127));
    }
    expect(h.s.stat("arp_cache_full")).toBeGreaterThan(0);
    expect(h.s.ifaceInfo().arpEntries).toBe(200);
    const from = h.sent.length;
    for (let i = 2; i < 2 + N; i++) {
      expect(h.lookup(i)).toBe(macBig(i));
      expect(h.send(i)).toBe(1);
    }
    const k = kinds(h.sent, from);
    expect(k.who).toEqual([]);
    expect(k.udpTo).toEqual(Array.from({ length: N }, (_, j) => j + 2));
  });

  it("RFC 5227 §2.4: ARP claiming our own address (gratuitous, a reply, a request) never enters or overwrites the cache; RFC 826 merge updates a known neighbour in place", () => {
    const h = station(path, buckets, { ArpEntries: 64 });
    for (let i = 2; i < 50; i++) h.arpIn(1, i); // learned (we are the target)
    expect(h.s.ifaceInfo().arpEntries).toBe(48);
    const conflicts = h.s.stat("arp_addr_conflict");
    // gratuitous ARP for our address from another MAC: request and reply, sender = target = us
    h.s.input(eth(MAC_BCAST, mac(99, 5), 0x0806, arp(1, mac(99, 5), US, "00:00:00:00:00:00", US)));
    h.s.input(eth(MAC_BCAST, mac(99, 5), 0x0806, arp(2, mac(99, 5), US, MAC_BCAST, US)));
    h.s.input(eth(MAC_A, mac(99, 5), 0x0806, arp(1, mac(99, 5), US, "00:00:00:00:00:00", ip(7))));
    expect(h.s.stat("arp_addr_conflict")).toBe(conflicts + 3);
    expect(h.x.arpLookup(ipToU32(US))).toBe(-1n);
    expect(h.s.ifaceInfo().arpEntries).toBe(48);
    // a neighbour's new MAC (merge): the same entry, found by its address
    h.arpIn(2, 30, 9);
    expect(h.lookup(30)).toBe(macBig(30, 9));
    expect(h.s.ifaceInfo().arpEntries).toBe(48);
    for (let i = 2; i < 50; i++) if (i !== 30) expect(h.lookup(i)).toBe(macBig(i));
  });

  it("entries expire (ArpTimeoutMs) and leave the hash; freed entries are taken again first-free-first, and a full cache evicts as the scan does", () => {
    const h = station(path, buckets, { ArpEntries: 40, ArpTimeoutMs: 10_000 });
    for (let i = 2; i < 42; i++) { h.clock.set(i); h.arpIn(1, i); }
    expect(h.s.ifaceInfo().arpEntries).toBe(40);
    h.clock.set(5_000);
    for (let i = 2; i < 22; i++) h.send(i); // in use: 2..21
    h.clock.set(10_020); h.s.poll(); // 2..20 expired (deadline = learned + 10 s; sending does not extend it)
    expect(h.s.ifaceInfo().arpEntries).toBe(21);
    for (let i = 2; i < 21; i++) expect(h.lookup(i)).toBe(-1n);
    for (let i = 21; i < 42; i++) expect(h.lookup(i)).toBe(macBig(i));
    // 40 more neighbours ask for us: 19 take the freed entries, then each evicts the unused entry
    // nearest its expiry (22..41, then 100); 21, used to send, stays
    for (let i = 100; i < 140; i++) { h.clock.set(10_000 + i); h.arpIn(1, i); }
    expect(h.s.ifaceInfo().arpEntries).toBe(40);
    expect(h.s.stat("arp_cache_full")).toBe(21);
    const cached: number[] = [];
    for (let i = 2; i < 140; i++) if (h.lookup(i) !== -1n) cached.push(i);
    expect(cached).toEqual([21, ...Array.from({ length: 39 }, (_, j) => 101 + j)]);
    // 21's lifetime is over (10,021): a frame to it queues and asks again, in the same entry
    const from = h.sent.length;
    expect(h.send(21)).toBe(1);
    expect(kinds(h.sent, from)).toEqual({ who: [21], udpTo: [] });
    expect(h.s.ifaceInfo().arpEntries).toBe(40);
    h.arpIn(2, 21);
    expect(kinds(h.sent, from)).toEqual({ who: [21], udpTo: [21] });
  });
});

describe("issue 15: the ARP cache behaves alike on every build", () => {
  it("the same frames and the same poll() deadlines from hashed (full and one-chain) and scanned caches through learning, use, expiry, eviction and re-resolution (the hashed build's poll skips the walk until an ARP deadline is due)", () => {
    const run = (path: string, buckets: number) => {
      const h = station(path, buckets, { ArpEntries: 24, ArpQueue: 8, ArpTimeoutMs: 3_000 });
      const polls: number[] = [];
      let r = 3;
      for (let k = 0; k < 3000; k++) {
        r = (Math.imul(r, 1103515245) + 12345) >>> 0;
        const i = 2 + ((r >>> 16) % 60);
        h.clock.set(k * 7);
        const what = (r >>> 8) & 7;
        if (what < 3) h.send(i);
        else if (what < 5) h.arpIn(2, i, (r >>> 4) & 3);
        else if (what < 7) h.arpIn(1, i);
        else polls.push(h.s.poll());
      }
      return { frames: h.sent.map(hex), polls, info: h.s.ifaceInfo().arpEntries, full: h.s.stat("arp_cache_full") };
    };
    const node = run("build/testing.wasm", 0);
    expect(node.frames.length).toBeGreaterThan(1000);
    expect(node.full).toBeGreaterThan(0);
    expect(run("build/testing.wasm", 1)).toEqual(node);
    expect(run("build/testing.mcu.wasm", 0)).toEqual(node);
  });
});
