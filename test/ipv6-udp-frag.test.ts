// UDP over IPv6 larger than the path MTU (RFC 8200 §4.5): two stacks on the emulated link with a
// virtual clock (both testing builds) send datagrams as fragments, checked on the wire by the
// test's own reassembler and UDP checksum and delivered whole by the peer's reassembly; Packet
// Too Big (RFC 8201) shrinks the fragments; the MCU build without WT_FRAG6 (build/stack.mcu6.wasm)
// keeps refusing with EMSGSIZE.
import { describe, expect, it } from "vitest";
import { bytesToIp6, ip6ToBytes } from "../src/stack.js";
import { Err, bytes, type Host, type Net } from "./helpers/tcp-harness.js";
import { A6, B6, udp6Pair, udp6Recv as recv, udp6Send as send } from "./ipv6-harness.js";
import { frame6, icmp6, u32be } from "./ipv6-wire.js";

const BUILDS = [["node", "build/testing.wasm"], ["mcu", "build/testing.mcu.wasm"]] as const;

async function pair6(build: string) {
  const r = await udp6Pair(build, { UdpQueueBytes: 8192 });
  const { net, a, b, sa, sb } = r;
  // a first small datagram each way resolves the neighbors
  expect(send(a, sa, B6, 6000, bytes(1))).toBe(1);
  expect(send(b, sb, A6, 5000, bytes(1))).toBe(1);
  net.run(20);
  recv(a, sa); recv(b, sb);
  net.log = [];
  return r;
}

interface Piece { offset: number; more: boolean; id: number; next: number; data: Uint8Array; frameLen: number; src: string; dst: string }

/** The fragment headers (RFC 8200 §4.5) of IPv6 frames: every frame must carry one right after the base header. */
function pieces(frames: Uint8Array[]): Piece[] {
  return frames.map((f) => {
    const ip = f.subarray(14);
    expect(ip[6]).toBe(44);
    const plen = (ip[4] << 8) | ip[5];
    const dv = new DataView(ip.buffer, ip.byteOffset);
    const fo = dv.getUint16(42);
    return { offset: fo & 0xfff8, more: (fo & 1) === 1, id: dv.getUint32(44), next: ip[40], data: ip.slice(48, 40 + plen), frameLen: f.length, src: bytesToIp6(ip, 8), dst: bytesToIp6(ip, 24) };
  });
}

/** Join the pieces by offset (no gap, no overlap) and check the UDP checksum over RFC 8200 §8.1's pseudo-header. */
function joinUdp(ps: Piece[]): Uint8Array {
  const sorted = [...ps].sort((x, y) => x.offset - y.offset);
  let at = 0;
  for (const p of sorted) { expect(p.offset).toBe(at); at += p.data.length; }
  const whole = new Uint8Array(at);
  for (const p of sorted) whole.set(p.data, p.offset);
  expect((whole[4] << 8) | whole[5]).toBe(whole.length); // the UDP length covers the reassembled datagram
  const words = [...ip6ToBytes(ps[0].src), ...ip6ToBytes(ps[0].dst), ...u32be(whole.length), 0, 0, 0, 17, ...whole];
  let s = 0;
  for (let i = 0; i < words.length; i += 2) s += (words[i] << 8) | (words[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  expect(s).toBe(0xffff);
  expect((whole[6] << 8) | whole[7]).not.toBe(0);
  return whole;
}

const ipv6From = (net: Net, h: Host) => net.log.filter((c) => c.from === h.name && c.frame[12] === 0x86 && c.frame[13] === 0xdd).map((c) => c.frame);

describe.each(BUILDS)("UDP fragmentation on send over IPv6 (%s build)", (_name, build) => {
  it("RFC 8200 §4.5: a 3000-byte datagram goes as fragments within the link MTU (each a multiple of 8 but the last, M on all but the last, one identification, next header 17) and arrives whole", async () => {
    const { net, a, b, sa, sb } = await pair6(build);
    const data = bytes(3000, 9);
    const before = a.stat("ipv6_frag_tx");
    expect(send(a, sa, B6, 6000, data)).toBe(3000);
    net.run(20);
    const ps = pieces(ipv6From(net, a));
    expect(ps.length).toBe(3);
    expect(a.stat("ipv6_frag_tx") - before).toBe(3);
    for (const p of ps) {
      expect(p.frameLen).toBeLessThanOrEqual(1514);
      expect(p.next).toBe(17);
      expect(p.id).toBe(ps[0].id);
      expect([p.src, p.dst]).toEqual([A6, B6]);
    }
    expect(ps.map((p) => p.more)).toEqual([true, true, false]);
    expect(ps.slice(0, -1).every((p) => p.data.length % 8 === 0)).toBe(true);
    const whole = joinUdp(ps);
    expect(Buffer.from(whole.subarray(8))).toEqual(Buffer.from(data));
    const r = recv(b, sb);
    expect(r).toMatchObject({ from: A6, port: 5000, size: 3000 });
    expect(Buffer.from((r as { data: Uint8Array }).data)).toEqual(Buffer.from(data));
    expect(b.stat("ipv6_reasm_ok")).toBe(1);
    // and back, an odd length; each datagram a new identification (RFC 7739)
    const back = bytes(2001, 10);
    net.log = [];
    expect(send(b, sb, A6, 5000, back)).toBe(2001);
    net.run(20);
    const ps2 = pieces(ipv6From(net, b));
    expect(ps2.length).toBe(2);
    joinUdp(ps2);
    expect(Buffer.from((recv(a, sa) as { data: Uint8Array }).data)).toEqual(Buffer.from(back));
    net.log = [];
    expect(send(a, sa, B6, 6000, data)).toBe(3000);
    expect(pieces(ipv6From(net, a))[0].id).not.toBe(ps[0].id);
  });

  it("RFC 8200 §5 / RFC 8201: after a Packet Too Big of 1280 the fragments fit 1280 bytes; a datagram that fits the path MTU goes unfragmented", async () => {
    const { net, a, b, sa, sb } = await pair6(build);
    expect(send(a, sa, B6, 6000, bytes(1400))).toBe(1400);
    const quoted = ipv6From(net, a)[0];
    expect(quoted[20]).toBe(17); // whole: no fragment header
    net.run(10);
    recv(b, sb);
    // a router on the path (here: B's address) reports MTU 1280 for B6
    a.input(frame6("02:00:00:00:00:02", "02:00:00:00:00:01", { src: B6, dst: A6, nh: 58, hops: 64 },
      icmp6(B6, A6, 2, 0, [...u32be(1280), ...Array.from(quoted.subarray(14, 14 + 1232))])));
    expect(a.stack.ip6PathMtu(B6)).toBe(1280);
    net.log = [];
    expect(send(a, sa, B6, 6000, bytes(1400, 3))).toBe(1400);
    net.run(20);
    const ps = pieces(ipv6From(net, a));
    expect(ps.length).toBe(2);
    for (const p of ps) expect(p.frameLen - 14).toBeLessThanOrEqual(1280);
    joinUdp(ps);
    expect(recv(b, sb)).toMatchObject({ size: 1400 });
    net.log = [];
    expect(send(a, sa, B6, 6000, bytes(1232))).toBe(1232); // 1280 - 40 - 8
    expect(ipv6From(net, a)[0][20]).toBe(17);
  });

  it("RFC 8200 §4.5: the largest datagram (65,519 bytes: a 65,535-byte payload less the fragment and UDP headers) is sent in 45 fragments; one byte more is EMSGSIZE", async () => {
    const { net, a, sa } = await pair6(build);
    expect(send(a, sa, B6, 6000, bytes(65520))).toBe(-Err.EMSGSIZE);
    expect(send(a, sa, B6, 6000, bytes(65519, 4))).toBe(65519);
    const ps = pieces(ipv6From(net, a));
    expect(ps.length).toBe(Math.ceil(65527 / 1448));
    expect(Buffer.from(joinUdp(ps).subarray(8))).toEqual(Buffer.from(bytes(65519, 4)));
  });
});

describe("without WT_FRAG6 (build/stack.mcu6.wasm)", () => {
  it("RFC 8200 §4.5 left out: a UDP datagram over the path MTU - 48 is EMSGSIZE, one that fits is sent", async () => {
    const { net, a, b, sa, sb } = await pair6("build/stack.mcu6.wasm");
    expect(send(a, sa, B6, 6000, bytes(1453))).toBe(-Err.EMSGSIZE);
    expect(send(a, sa, B6, 6000, bytes(1452))).toBe(1452);
    net.run(10);
    expect(recv(b, sb)).toMatchObject({ size: 1452 });
  });
});
