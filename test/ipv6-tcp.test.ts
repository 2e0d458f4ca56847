// The seam TCP plugs into (docs/architecture.md "IPv6"): segments to our IPv6 addresses reach
// tcpInputAddr, and TCP's answers leave through netif's ipSendTo with the RFC 6724 source and the
// RFC 8200 §8.1 pseudo-header checksum. (TCP and UDP over IPv6 in full are the next step.)
import { describe, expect, it } from "vitest";
import { ip6ToBytes } from "../src/stack.js";
import { frame6, u16be, u32be, type Out6 } from "./ipv6-wire.js";
import { EUI64, h6, LL, NO_RS, OUR_MAC, PEER, PEER_MAC } from "./ipv6-harness.js";

function tcpSum(src: string, dst: string, seg: number[]): number {
  const b = [...ip6ToBytes(src), ...ip6ToBytes(dst), ...u32be(seg.length), 0, 0, 0, 6, ...seg];
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function syn(src: string, dst: string, sport: number, dport: number, seq: number): number[] {
  const seg = [...u16be(sport), ...u16be(dport), ...u32be(seq), 0, 0, 0, 0, 0x60, 0x02, ...u16be(65535), 0, 0, 0, 0,
    2, 4, ...u16be(1440)]; // MSS option
  const c = tcpSum(src, dst, seg);
  seg[16] = c >> 8; seg[17] = c & 255;
  return seg;
}

const tcpOk = (o: Out6) => tcpSum(o.src, o.dst, Array.from(o.payload)) === 0;

describe("TCP's seam over IPv6", () => {
  it("RFC 9293 §3.10.7.1 over RFC 8200 §8.1: a SYN to a closed port on our link-local address gets a RST from it, checksummed with the IPv6 pseudo-header", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready();
    h.rx(frame6(PEER_MAC, OUR_MAC, { src: PEER, dst: LL, nh: 6, hops: 64 }, syn(PEER, LL, 40000, 81, 1000)));
    const out = h.out().filter((o) => o.nh === 6);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ src: LL, dst: PEER, dstMac: PEER_MAC });
    expect(out[0].payload[13] & 0x04).toBe(0x04); // RST
    expect(tcpOk(out[0])).toBe(true);
  });

  it("RFC 9293 §3.5: a listener answers a SYN to our IPv6 address with a SYN-ACK (MSS for the IPv6 header: MTU - 60)", () => {
    const h = h6({ Ip6Flags: EUI64 | NO_RS });
    h.ready();
    const x = h.s.exports;
    const l = x.tcpOpen();
    expect(x.tcpBind(l, 80)).toBe(0);
    expect(x.tcpListen(l, 4)).toBe(0);
    h.rx(frame6(PEER_MAC, OUR_MAC, { src: PEER, dst: LL, nh: 6, hops: 64 }, syn(PEER, LL, 40001, 80, 5000)));
    const out = h.out().filter((o) => o.nh === 6);
    expect(out).toHaveLength(1);
    expect(out[0].payload[13]).toBe(0x12); // SYN+ACK
    expect(tcpOk(out[0])).toBe(true);
    const p = out[0].payload;
    const opts = Array.from(p.subarray(20, (p[12] >> 4) * 4));
    const i = opts.indexOf(2);
    expect((opts[i + 2] << 8) | opts[i + 3]).toBe(1440);
  });
});
