// Wire formats: each validation failure drops the frame and bumps its named counter;
// emits produce valid headers; no input, however malformed, traps or writes outside
// the interface's own buffers.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { harness, PEER, PEER_MAC, US } from "./iface-harness.js";
import { arp, eth, icmpEcho, inetChecksum, ipv4, IpOpts, MAC_A, MAC_BCAST, pseudo, udp } from "./wire-build.js";
import { ipToU32 } from "../src/stack.js";
import { decodeFrame } from "../src/trace.js";

const ipo = (o: Partial<IpOpts> = {}): IpOpts => ({ src: PEER, dst: US, proto: 1, ...o });
const toUs = (payload: number[]) => eth(MAC_A, PEER_MAC, 0x0800, payload);

/** Inject one frame into a fresh stack; return the counters that changed (excluding rx_frames). */
function counted(frame: Uint8Array): Record<string, number> {
  const h = harness();
  const before = h.s.stats();
  h.rx(frame);
  const after = h.s.stats();
  const out: Record<string, number> = {};
  for (const k of Object.keys(after)) if (after[k] !== before[k] && k !== "rx_frames") out[k] = after[k] - before[k];
  return out;
}

describe("Ethernet", () => {
  it("a frame shorter than the 14-byte header is dropped (eth_truncated)", () => {
    expect(counted(new Uint8Array(13))).toEqual({ eth_truncated: 1 });
  });
  it("a frame longer than MTU + 14 is dropped (eth_too_long)", () => {
    expect(counted(new Uint8Array(1515))).toEqual({ eth_too_long: 1 });
  });
  it("an unknown EtherType is dropped (eth_unknown_type)", () => {
    expect(counted(eth(MAC_A, PEER_MAC, 0x86dd, new Array(40).fill(0)))).toEqual({ eth_unknown_type: 1 });
  });
});

describe("ARP", () => {
  const req = arp(1, PEER_MAC, PEER, "00:00:00:00:00:00", US);
  it("an ARP packet shorter than 28 bytes is dropped (arp_truncated)", () => {
    expect(counted(eth(MAC_BCAST, PEER_MAC, 0x0806, req.slice(0, 27)))).toEqual({ arp_truncated: 1 });
  });
  it.each([
    ["hardware type 6", 1, 6],
    ["protocol type 0x86dd", 2, 0x86],
    ["hardware length 8", 4, 8],
    ["protocol length 16", 5, 16],
    ["operation 3", 7, 3],
  ])("RFC 826: %s is not IPv4-over-Ethernet ARP (arp_bad_format)", (_n, at, v) => {
    const bad = [...req];
    bad[at] = v;
    expect(counted(eth(MAC_BCAST, PEER_MAC, 0x0806, bad))).toEqual({ arp_bad_format: 1 });
  });
  it("emit: our reply is a well-formed 28-byte IPv4/Ethernet ARP reply padded to 60 bytes", () => {
    const h = harness();
    h.take();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, req));
    const [r] = h.take();
    expect(r.raw.length).toBe(60);
    expect([...r.raw.subarray(14, 42)]).toEqual(arp(2, MAC_A, US, PEER_MAC, PEER));
  });
});

describe("IPv4 (RFC 791)", () => {
  const echo = icmpEcho(8, 1, 1, [1, 2, 3, 4]);
  it("a packet shorter than 20 bytes is dropped (ipv4_truncated)", () => {
    expect(counted(toUs(ipv4(ipo(), echo).slice(0, 19)))).toEqual({ ipv4_truncated: 1 });
  });
  it("RFC 791 §3.1: version other than 4 is dropped (ipv4_bad_version)", () => {
    expect(counted(toUs(ipv4(ipo({ version: 6 }), echo)))).toEqual({ ipv4_bad_version: 1 });
  });
  it("RFC 791 §3.1: IHL below 5 is dropped (ipv4_bad_ihl)", () => {
    expect(counted(toUs(ipv4(ipo({ ihl: 4 }), echo)))).toEqual({ ipv4_bad_ihl: 1 });
  });
  it("an IHL pointing past the frame is dropped (ipv4_truncated)", () => {
    expect(counted(toUs(ipv4(ipo({ ihl: 15 }), [])))).toEqual({ ipv4_truncated: 1 });
  });
  it("RFC 1122 §3.2.1.1: total length beyond the frame is dropped (ipv4_bad_total_length)", () => {
    expect(counted(toUs(ipv4(ipo({ totalLength: 20 + echo.length + 1 }), echo)))).toEqual({ ipv4_bad_total_length: 1 });
  });
  it("total length below the header length is dropped (ipv4_bad_total_length)", () => {
    expect(counted(toUs(ipv4(ipo({ totalLength: 19 }), echo)))).toEqual({ ipv4_bad_total_length: 1 });
  });
  it("RFC 1122 §3.2.1.2: a bad header checksum is dropped (ipv4_bad_checksum)", () => {
    expect(counted(toUs(ipv4(ipo({ badChecksum: true }), echo)))).toEqual({ ipv4_bad_checksum: 1 });
  });
  it("RFC 791 §3.2: fragments (MF set, or offset != 0) go to reassembly (ipv4_frag_rx; test/ipv4-frag.test.ts has the rules)", () => {
    // 12 bytes with MF: not a multiple of 8, dropped; a last fragment at offset 128 waits for the rest
    expect(counted(toUs(ipv4(ipo({ frag: 0x2000 }), echo)))).toEqual({ ipv4_rx: 1, ipv4_frag_rx: 1, ipv4_frag_misaligned: 1 });
    expect(counted(toUs(ipv4(ipo({ frag: 0x0010 }), echo)))).toEqual({ ipv4_rx: 1, ipv4_frag_rx: 1 });
  });
  it("RFC 791 §3.1: trailing Ethernet padding beyond total length is ignored", () => {
    const h = harness();
    h.rx(eth(MAC_A, PEER_MAC, 0x0806, arp(2, PEER_MAC, PEER, MAC_A, US)));
    h.take();
    h.rx(toUs([...ipv4(ipo(), echo), 0, 0, 0, 0, 0, 0]));
    const [r] = h.take();
    expect(r.len).toBe(4); // the padding is not echoed back
  });
  it("RFC 791 §3.1: options are skipped (IHL 6) and the packet is processed", () => {
    const h = harness();
    h.rx(toUs(ipv4(ipo({ options: [1, 1, 1, 0] }), echo)));
    expect(h.stat("icmp_echo_requests_rx")).toBe(1);
  });
});

describe("ICMP", () => {
  it("a message shorter than 8 bytes is dropped (icmp_truncated)", () => {
    expect(counted(toUs(ipv4(ipo(), [8, 0, 0xf7, 0xff])))).toMatchObject({ icmp_truncated: 1 });
  });
  it("RFC 792: a bad ICMP checksum is dropped (icmp_bad_checksum)", () => {
    const c = counted(toUs(ipv4(ipo(), icmpEcho(8, 1, 1, [9, 9], true))));
    expect(c.icmp_bad_checksum).toBe(1);
    expect(c.icmp_rx).toBeUndefined();
  });
  it("other types are counted (icmp_other_rx) and destination unreachables too (icmp_dest_unreach_rx)", () => {
    const ts = [13, 0, 0, 0, 0, 0, 0, 0];
    const c = inetChecksum(ts);
    ts[2] = c >> 8; ts[3] = c & 255;
    expect(counted(toUs(ipv4(ipo(), ts)))).toMatchObject({ icmp_other_rx: 1 });
    const un = [3, 1, 0, 0, 0, 0, 0, 0];
    const c2 = inetChecksum(un);
    un[2] = c2 >> 8; un[3] = c2 & 255;
    expect(counted(toUs(ipv4(ipo(), un)))).toMatchObject({ icmp_dest_unreach_rx: 1 });
  });
});

describe("UDP (RFC 768)", () => {
  const u = (data: number[], o = {}) => toUs(ipv4(ipo({ proto: 17 }), udp(PEER, US, 1000, 2000, data, o)));
  it("a datagram shorter than 8 bytes is dropped (udp_truncated)", () => {
    expect(counted(toUs(ipv4(ipo({ proto: 17 }), [0, 1, 0, 2, 0, 7])))).toMatchObject({ udp_truncated: 1 });
  });
  it("RFC 768: a length field beyond the IP payload is dropped (udp_bad_length)", () => {
    expect(counted(u([1, 2, 3], { length: 12 }))).toMatchObject({ udp_bad_length: 1 });
  });
  it("RFC 768: a length field below 8 is dropped (udp_bad_length)", () => {
    expect(counted(u([1, 2, 3], { length: 7 }))).toMatchObject({ udp_bad_length: 1 });
  });
  it("RFC 768: a bad checksum is dropped (udp_bad_checksum)", () => {
    const c = counted(u([1, 2, 3], { checksum: "bad" }));
    expect(c.udp_bad_checksum).toBe(1);
    expect(c.udp_rx).toBeUndefined();
  });
  it("RFC 768: checksum 0 means none: the datagram is accepted", () => {
    expect(counted(u([1, 2, 3], { checksum: "none" }))).toMatchObject({ udp_rx: 1, udp_no_port: 1 });
  });
  it("RFC 768: a valid checksum over an odd-length payload is accepted", () => {
    expect(counted(u([1, 2, 3, 4, 5]))).toMatchObject({ udp_rx: 1 });
  });
  it("emit: udpEmit writes the header and a pseudo-header checksum the receiver verifies", () => {
    const h = harness();
    const x = h.s.exports;
    const p = x.ifaceTxBuffer() + 34;
    const data = [10, 20, 30, 40, 50];
    h.s.bytes(p + 8, data.length).set(data);
    expect(x.udpEmit(p, ipToU32(US), ipToU32(PEER), 7, 9, data.length)).toBe(13);
    const seg = [...h.s.bytes(p, 13)];
    expect(seg.slice(0, 6)).toEqual([0, 7, 0, 9, 0, 13]);
    expect(decodeFrame(eth(MAC_A, MAC_A, 0x0800, ipv4({ src: US, dst: PEER, proto: 17 }, seg))).l4SumOk).toBe(true);
  });
  it("RFC 768: a computed checksum of zero is transmitted as all ones", () => {
    const h = harness();
    const x = h.s.exports;
    const p = x.ifaceTxBuffer() + 34;
    // choose the 2 data bytes so that the checksum comes out as 0
    const w = inetChecksum(udp(US, PEER, 7, 9, [0, 0], { checksum: "none" }), pseudo(US, PEER, 17, 10));
    h.s.bytes(p + 8, 2).set([w >> 8, w & 255]);
    x.udpEmit(p, ipToU32(US), ipToU32(PEER), 7, 9, 2);
    expect([...h.s.bytes(p + 6, 2)]).toEqual([0xff, 0xff]);
  });
});

describe("robustness (fuzz)", () => {
  const corpus: Uint8Array[] = [
    eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, "00:00:00:00:00:00", US)),
    eth(MAC_A, PEER_MAC, 0x0806, arp(2, PEER_MAC, PEER, MAC_A, US)),
    toUs(ipv4(ipo(), icmpEcho(8, 1, 1, [1, 2, 3, 4, 5, 6, 7, 8]))),
    toUs(ipv4(ipo({ options: [7, 3, 4, 0] }), icmpEcho(0, 1, 1, []))),
    toUs(ipv4(ipo({ proto: 17 }), udp(PEER, US, 1, 2, [1, 2, 3]))),
    toUs(ipv4(ipo({ proto: 99 }), [1, 2, 3, 4])),
  ];

  /** Check that input(frame) neither traps nor writes outside tx buffer / ARP state / counters. */
  function checkFrame(h: ReturnType<typeof harness>, frame: Uint8Array): void {
    const x = h.s.exports;
    const rxStart = x.rxBuffer();
    const rxEnd = rxStart + x.ifaceRxCapacity();
    const allowed: [number, number][] = [
      [x.ifaceTxBuffer(), x.ifaceRegionEnd()],
      [x.statsBase(), x.statsBase() + 4 * x.statCount()],
    ];
    const before = Buffer.from(new Uint8Array(h.s.memory.buffer).slice());
    h.rx(frame); // throws on a trap
    h.at(h.clock.now() + 1);
    const after = Buffer.from(h.s.memory.buffer);
    expect(after.length).toBe(before.length); // no memory growth after init
    // Every byte outside the allowed regions (and the host's copy of the frame) is unchanged.
    const skip = [...allowed, [rxStart, rxEnd] as [number, number]].sort((a, b) => a[0] - b[0]);
    let from = 0;
    for (const [a, b] of [...skip, [before.length, before.length] as [number, number]]) {
      if (a > from && !before.subarray(from, a).equals(after.subarray(from, a))) {
        throw new Error(`memory in [${from}, ${a}) changed (frame ${Buffer.from(frame).toString("hex")})`);
      }
      from = Math.max(from, b);
    }
    // the frame in the rx buffer was not modified in place
    expect([...after.subarray(rxStart, rxStart + Math.min(frame.length, rxEnd - rxStart))]).toEqual(
      [...frame.subarray(0, rxEnd - rxStart)]);
  }

  it("random frames never trap and touch only the interface's buffers and counters", () => {
    const h = harness();
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 1600 }), (frame) => { checkFrame(h, frame); }),
      { seed: 12345, numRuns: 300 });
  });

  it("mutated valid frames (byte flips, truncation, extension) never trap and stay in bounds", () => {
    const h = harness();
    const mutated = fc.tuple(
      fc.constantFrom(...corpus),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.integer({ min: -40, max: 40 }),
    ).map(([base, flips, delta]) => {
      const len = Math.max(0, base.length + delta);
      const f = new Uint8Array(len);
      f.set(base.subarray(0, Math.min(len, base.length)));
      for (const [pos, v] of flips) if (len) f[pos % len] = v;
      return f;
    });
    fc.assert(fc.property(mutated, (frame) => { checkFrame(h, frame); }), { seed: 54321, numRuns: 1000 });
    // the corpus really exercises the parsers
    const st = h.s.stats();
    expect(st.ipv4_rx + st.arp_rx).toBeGreaterThan(0);
    expect(st.ipv4_bad_checksum + st.arp_bad_format + st.icmp_bad_checksum).toBeGreaterThan(0);
  });
});
