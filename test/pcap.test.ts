// src/pcap.ts: libpcap files that tshark reads without complaint.
import { describe, expect, it, afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PcapWriter, LINKTYPE_ETHERNET } from "../src/pcap.js";
import { Link, Sim } from "../src/links/emulated.js";
import { readPcap } from "./helpers/pcap.js";
import { tsharkProblems, tsharkRows } from "./helpers/tshark.js";

const dir = mkdtempSync(join(tmpdir(), "wtcpip-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two stacks on one emulated link; `before` sees the link before the stacks' gratuitous ARPs. */
function pingSim(seed: number, before: (link: Link) => void) {
  const sim = new Sim({ seed });
  const link = sim.link({ delayMs: 1.5 });
  before(link);
  const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", link, seed: 11 });
  sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", link, seed: 12 });
  return { sim, link, a };
}

describe("PcapWriter", () => {
  it("writes the libpcap global header: magic a1b2c3d4, v2.4, snaplen, LINKTYPE_ETHERNET", () => {
    const f = join(dir, "empty.pcap");
    const w = new PcapWriter(f, { snaplen: 1600 });
    w.close();
    const b = readFileSync(f);
    expect(b.length).toBe(24);
    expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect([b.readUInt16LE(4), b.readUInt16LE(6)]).toEqual([2, 4]);
    expect(b.readUInt32LE(16)).toBe(1600);
    expect(b.readUInt32LE(20)).toBe(LINKTYPE_ETHERNET);
  });

  it("records frames with microsecond timestamps, cuts at snaplen keeping the original length, survives many buffer flushes", () => {
    const f = join(dir, "records.pcap");
    const w = new PcapWriter(f, { snaplen: 100, bufferSize: 1024 });
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const fr = new Uint8Array(60 + (i % 90));
      for (let j = 0; j < fr.length; j++) fr[j] = (i * 7 + j) & 255;
      frames.push(fr);
      w.record(fr, 1_700_000_000_000_000 + i * 1_234_567);
    }
    w.close();
    w.record(frames[0]); // after close: ignored
    const p = readPcap(readFileSync(f));
    expect(p.snapLen).toBe(100);
    expect(p.packets.length).toBe(300);
    for (let i = 0; i < 300; i++) {
      const us = 1_700_000_000_000_000 + i * 1_234_567;
      const pk = p.packets[i];
      expect(pk.tsSec).toBe(Math.floor(us / 1e6));
      expect(pk.tsUsec).toBe(us % 1e6);
      expect(pk.origLen).toBe(frames[i].length);
      expect(Array.from(pk.data)).toEqual(Array.from(frames[i].subarray(0, 100)));
    }
  });

  it("attached to an emulated link, records ARP + ICMP echo that tshark reads with no malformed frames and valid checksums", () => {
    const f = join(dir, "sim.pcap");
    const w = new PcapWriter(f);
    let detach = () => {};
    const { sim, link, a } = pingSim(3, (l) => { detach = w.attach(l); });
    for (let seq = 1; seq <= 3; seq++) {
      a.ping("198.51.100.2", seq);
      const want = seq;
      expect(sim.runUntil(() => a.stat("icmp_echo_replies_rx") === want, sim.now() + 1000)).toBe(true);
    }
    detach();
    w.close();
    expect(w.frames).toBe(link.sent - link.dropped + link.duplicated);
    expect(tsharkProblems(f)).toEqual([]);
    const rows = tsharkRows(f, ["frame.time_epoch", "arp.opcode", "icmp.type", "icmp.seq"]);
    expect(rows.filter((r) => r[2] === "8").map((r) => r[3])).toEqual(["1", "2", "3"]);
    expect(rows.filter((r) => r[2] === "0").map((r) => r[3])).toEqual(["1", "2", "3"]);
    expect(rows.some((r) => r[1] === "2")).toBe(true); // an ARP reply resolved the first ping
    // Virtual time (ms since 0) becomes seconds since the epoch with microsecond precision.
    const times = rows.map((r) => Number(r[0]));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
    expect(times[times.length - 1]).toBeLessThan(10);
  });

  it("the tshark check catches what it must: a flipped IPv4 checksum and a truncated header", () => {
    const good = join(dir, "judge-good.pcap");
    const f = join(dir, "judge.pcap");
    const w = new PcapWriter(good);
    const frames: Uint8Array[] = [];
    const { sim, a } = pingSim(5, (l) => { w.attach(l); l.tap((r) => frames.push(r.frame.slice())); });
    a.ping("198.51.100.2", 1);
    expect(sim.runUntil(() => a.stat("icmp_echo_replies_rx") === 1, 1000)).toBe(true);
    w.close();
    expect(tsharkProblems(good)).toEqual([]);
    const echo = frames.find((fr) => fr[12] === 0x08 && fr[13] === 0x00)!;
    const bad = new PcapWriter(f);
    const flipped = echo.slice();
    flipped[14 + 10] ^= 0xff; // IPv4 header checksum
    bad.record(flipped, 1_000_000);
    const cut = echo.slice(0, 14 + 12); // IPv4 header cut short
    bad.record(cut, 2_000_000);
    bad.close();
    const problems = tsharkProblems(f);
    expect(problems).toContain("frame 1: bad ip.checksum.status");
    expect(problems).toContain("frame 2: malformed");
  });

  it("records dropped frames only when asked (includeDropped)", () => {
    const fAll = join(dir, "dropped-all.pcap");
    const fWire = join(dir, "dropped-wire.pcap");
    const all = new PcapWriter(fAll);
    const wire = new PcapWriter(fWire);
    const { sim, link, a } = pingSim(4, (l) => {
      l.set({ loss: 0.3 });
      all.attach(l, { includeDropped: true });
      wire.attach(l);
    });
    for (let seq = 1; seq <= 20; seq++) {
      a.ping("198.51.100.2", seq);
      sim.runFor(100);
    }
    all.close();
    wire.close();
    expect(link.dropped).toBeGreaterThan(0);
    expect(all.frames).toBe(link.sent + link.duplicated);
    expect(wire.frames).toBe(link.sent - link.dropped + link.duplicated);
    expect(readPcap(readFileSync(fWire)).packets.length).toBe(wire.frames);
  });
});
