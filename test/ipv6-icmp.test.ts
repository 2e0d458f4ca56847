// IPv6 receive path and ICMPv6 on the emulated link with a virtual clock: header validation and
// the extension-header walk (RFC 8200 §3, §4, RFC 5095, RFC 6946), ICMPv6 echo and errors with
// their suppression rules and rate limit (RFC 4443), Packet Too Big (RFC 8201).
import { describe, expect, it } from "vitest";
import { EventKind, ip6ToBytes } from "../src/stack.js";
import { macBytes } from "./wire-build.js";
import { frame6, icmp6, icmp6ChecksumOk, u16be, u32be, type Out6 } from "./ipv6-wire.js";
import { EUI64, h6, LL, NO_RS, OUR_MAC, PEER, PEER_MAC } from "./ipv6-harness.js";

const echoMsg = (src: string, dst: string, seq: number, data: number[] = []) => icmp6(src, dst, 128, 0, [0, 7, ...u16be(seq), ...data]);

/** An extension header (Hop-by-Hop / Destination Options / Routing...) of next header `next`, padded to 8 bytes with PadN. */
function ext(next: number, body: number[]): number[] {
  let b = [...body];
  const rem = (2 + b.length) % 8;
  if (rem !== 0) {
    const pad = 8 - rem;
    b = [...b, ...(pad === 1 ? [0] : [1, pad - 2, ...new Array(pad - 2).fill(0)])];
  }
  return [next, (2 + b.length) / 8 - 1, ...b];
}
const frag = (next: number, offFlags: number, id = 0x1234) => [next, 0, ...u16be(offFlags), ...u32be(id)];
const routing = (next: number, type: number, segLeft: number) => [next, 2, type, segLeft, 0, 0, 0, 0, ...new Array(16).fill(0x20)];

function setup() {
  const h = h6({ Ip6Flags: EUI64 | NO_RS });
  h.ready(); // PEER is cached: replies need no resolution
  const send = (nh: number, payload: number[], o: { dst?: string; src?: string; plen?: number; version?: number } = {}) =>
    h.rx(frame6(PEER_MAC, OUR_MAC, { src: o.src ?? PEER, dst: o.dst ?? LL, nh, hops: 64, plen: o.plen, version: o.version }, payload));
  const icmpOut = (type: number) => h.out().filter((f) => f.upper === 58 && f.type === type);
  return { h, send, icmpOut };
}

/** The ones'-complement sum (folded) of the RFC 8200 §8.1 pseudo-header with next header 17 and `u`. */
function icmp6ChecksumFor17(src: string, dst: string, u: number[]): number {
  const b = [...ip6ToBytes(src), ...ip6ToBytes(dst), ...u32be(u.length), 0, 0, 0, 17, ...u];
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The parameter problem's pointer (RFC 4443 §3.4) and the start of its quote. */
const pointer = (f: Out6) => new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(4);

describe("ICMPv6 echo (RFC 4443 §4)", () => {
  it("RFC 4443 §4.2: the reply carries the request's identifier, sequence number and data, from the address it was sent to", () => {
    const { h, send, icmpOut } = setup();
    send(58, echoMsg(PEER, LL, 77, [1, 2, 3, 4, 5]));
    const r = icmpOut(129);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ src: LL, dst: PEER, dstMac: PEER_MAC, hops: 64 });
    expect(Array.from(r[0].payload.subarray(4))).toEqual([0, 7, 0, 77, 1, 2, 3, 4, 5]);
    expect(icmp6ChecksumOk(r[0])).toBe(true);
    expect(h.stat("icmp6_echo_replies_tx")).toBe(1);
  });

  it("RFC 4443 §4.2: an echo request to ff02::1 is answered from our link-local address", () => {
    const { send, icmpOut } = setup();
    send(58, echoMsg(PEER, "ff02::1", 3), { dst: "ff02::1" });
    expect(icmpOut(129)[0]).toMatchObject({ src: LL, dst: PEER });
  });

  it("RFC 4443 §4.2: ip6Ping sends an echo request; the reply raises EchoReply with its sequence number", () => {
    const { h, send, icmpOut } = setup();
    expect(h.s.ip6Ping(PEER, 9, { id: 5, len: 4 })).toBe(0);
    const q = icmpOut(128);
    expect(q[0]).toMatchObject({ src: LL, dst: PEER });
    expect(Array.from(q[0].payload.subarray(4))).toEqual([0, 5, 0, 9, 0, 1, 2, 3]);
    send(58, icmp6(PEER, LL, 129, 0, [0, 5, 0, 9, 0, 1, 2, 3]));
    expect(h.events).toContainEqual([-1, EventKind.EchoReply, 9]);
  });

  it("RFC 4443 §2.4 (b): an unknown informational message is discarded silently", () => {
    const { h, send } = setup();
    send(58, icmp6(PEER, LL, 200, 0, [0, 0, 0, 0]));
    expect(h.stat("icmp6_unknown_type")).toBe(1);
    expect(h.out()).toHaveLength(0);
  });
});

describe("IPv6 header and extension headers (RFC 8200)", () => {
  it("RFC 8200 §3: version not 6, a payload length past the frame, and a loopback or multicast source are dropped; Ethernet padding is ignored", () => {
    const { h, send, icmpOut } = setup();
    send(58, echoMsg(PEER, LL, 1), { version: 4 });
    send(58, echoMsg(PEER, LL, 2), { plen: 200 });
    send(58, echoMsg("::1", LL, 3), { src: "::1" });
    send(58, echoMsg("ff02::5", LL, 4), { src: "ff02::5" });
    expect([h.stat("ipv6_bad_version"), h.stat("ipv6_bad_length"), h.stat("ipv6_bad_source")]).toEqual([1, 1, 2]);
    expect(h.out()).toHaveLength(0);
    const m = echoMsg(PEER, LL, 5);
    send(58, [...m, 0, 0, 0, 0, 0, 0], { plen: m.length }); // trailing padding
    expect(icmpOut(129)).toHaveLength(1);
  });

  it("RFC 8200 §4: an unrecognized next header gets parameter problem code 1 pointing at its Next Header field, quoting the packet", () => {
    const { h, send, icmpOut } = setup();
    send(253, [1, 2, 3, 4, 5, 6, 7, 8]);
    const e = icmpOut(4);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ code: 1, src: LL, dst: PEER });
    expect(pointer(e[0])).toBe(6);
    expect(e[0].payload[8]).toBe(0x60); // the quote begins with the invoking packet's header
    expect(e[0].payload.length).toBe(8 + 40 + 8);
    expect(icmp6ChecksumOk(e[0])).toBe(true);
    expect(h.stat("ipv6_unknown_next_header")).toBe(1);
    // after a Destination Options header: the pointer names that header's Next Header field
    send(60, [...ext(253, []), 1, 2, 3, 4]);
    expect(pointer(icmpOut(4)[0])).toBe(40);
  });

  it("RFC 8200 §4.1: a Hop-by-Hop header that is not first gets parameter problem code 1", () => {
    const { h, send, icmpOut } = setup();
    send(60, [...ext(0, []), ...ext(58, []), ...echoMsg(PEER, LL, 1)]);
    const e = icmpOut(4);
    expect(e[0].code).toBe(1);
    expect(pointer(e[0])).toBe(40);
    expect(h.stat("ipv6_hbh_not_first")).toBe(1);
    // first: walked, the echo answered
    send(0, [...ext(58, []), ...echoMsg(PEER, LL, 2)]);
    expect(icmpOut(129)).toHaveLength(1);
  });

  it("RFC 8200 §4.4: a routing header with Segments Left 0 is ignored and the packet processed", () => {
    const { send, icmpOut } = setup();
    send(43, [...routing(58, 4, 0), ...echoMsg(PEER, LL, 1)]);
    expect(icmpOut(129)).toHaveLength(1);
  });

  it("RFC 5095 §3: a type 0 routing header with segments left gets parameter problem code 0 pointing at the Routing Type", () => {
    const { h, send, icmpOut } = setup();
    send(43, [...routing(58, 0, 1), ...echoMsg(PEER, LL, 1)]);
    const e = h.out();
    expect(e.filter((f) => f.type === 129)).toHaveLength(0);
    const pp = e.filter((f) => f.type === 4);
    expect(pp[0].code).toBe(0);
    expect(pointer(pp[0])).toBe(42);
    expect(h.stat("ipv6_rh0")).toBe(1);
    // other types with segments left: a host forwards nothing
    send(43, [...routing(58, 4, 2), ...echoMsg(PEER, LL, 2)]);
    expect(pointer(icmpOut(4)[0])).toBe(42);
    expect(h.stat("ipv6_routing_rejected")).toBe(1);
  });

  it("RFC 8200 §4.2: unrecognized options by their action bits: 00 skipped, 01 discarded, 10 parameter problem code 2 (even to multicast), 11 only for unicast", () => {
    const { h, send, icmpOut } = setup();
    const opt = (t: number) => ext(58, [t, 2, 0, 0]);
    send(60, [...opt(0x1e), ...echoMsg(PEER, LL, 1)]);
    expect(icmpOut(129)).toHaveLength(1);
    send(60, [...opt(0x5e), ...echoMsg(PEER, LL, 2)]);
    expect(h.out()).toHaveLength(0);
    send(60, [...opt(0x9e), ...echoMsg(PEER, "ff02::1", 3)], { dst: "ff02::1" });
    let e = icmpOut(4);
    expect(e).toHaveLength(1);
    expect(e[0].code).toBe(2);
    expect(pointer(e[0])).toBe(42);
    send(60, [...opt(0xde), ...echoMsg(PEER, "ff02::1", 4)], { dst: "ff02::1" });
    expect(h.out()).toHaveLength(0);
    send(60, [...opt(0xde), ...echoMsg(PEER, LL, 5)]);
    e = icmpOut(4);
    expect(e.map((f) => [f.code, pointer(f)])).toEqual([[2, 42]]);
    expect(h.stat("ipv6_unknown_option")).toBe(5);
  });

  it("RFC 8200 §4: the chain is bounded: 8 extension headers are walked, a 9th drops the packet", () => {
    const { h, send, icmpOut } = setup();
    const chain = (n: number) => [...Array.from({ length: n }, (_, i) => ext(i === n - 1 ? 58 : 60, [])).flat(), ...echoMsg(PEER, LL, n)];
    send(60, chain(8));
    expect(icmpOut(129)).toHaveLength(1);
    send(60, chain(9));
    expect(h.out()).toHaveLength(0);
    expect(h.stat("ipv6_ext_chain_too_long")).toBe(1);
  });

  it("RFC 8200 §4: an extension header reaching past the payload is dropped", () => {
    const { h, send } = setup();
    send(60, [58, 1, 1, 4, 0, 0, 0, 0]); // says 16 bytes, 8 present
    expect(h.stat("ipv6_ext_truncated")).toBe(1);
    expect(h.out()).toHaveLength(0);
  });

  it("RFC 6946 §4: an atomic fragment is processed whole (reassembly: test/ipv6-frag.test.ts)", () => {
    const { h, send, icmpOut } = setup();
    send(44, [...frag(58, 0), ...echoMsg(PEER, LL, 3)]);
    expect(icmpOut(129)).toHaveLength(1);
    expect(h.stat("ipv6_atomic_fragments")).toBe(1);
  });

  it("RFC 4862 §5.4 / RFC 4291: packets for addresses that are not ours are dropped", () => {
    const { h, send } = setup();
    send(58, echoMsg(PEER, "fe80::99", 1), { dst: "fe80::99" });
    send(58, echoMsg(PEER, "ff02::1:ff12:3456", 2), { dst: "ff02::1:ff12:3456" }); // a group we are not in: the MAC filter
    expect(h.stat("ipv6_not_for_us")).toBe(1);
    expect(h.stat("eth_multicast_not_joined")).toBe(1);
    expect(h.out()).toHaveLength(0);
  });
});

describe("ICMPv6 errors (RFC 4443 §2.4, §3)", () => {
  it("RFC 4443 §3.1: UDP to our address (no socket on the port) is answered with port unreachable (code 4)", () => {
    const { send, icmpOut } = setup();
    // a valid checksum (RFC 8200 §8.1: a zero one is dropped): ICMPv6's pseudo-header sum with next header 17, not 58
    const u = [0x30, 0x39, 0x1f, 0x90, 0, 12, 0, 0, 1, 2, 3, 4];
    const c = 0xffff - icmp6ChecksumFor17(PEER, LL, u);
    u[6] = c >> 8; u[7] = c & 255;
    send(17, u);
    const e = icmpOut(1);
    expect(e).toHaveLength(1);
    expect(e[0].code).toBe(4);
  });

  it("RFC 4443 §2.4 (e): no error to a multicast destination, from ::, or about an ICMPv6 error message", () => {
    const { h, send } = setup();
    send(253, [1, 2, 3, 4, 5, 6, 7, 8], { dst: "ff02::1" });
    send(253, [1, 2, 3, 4, 5, 6, 7, 8], { src: "::" });
    // an ICMPv6 error (destination unreachable) behind a Destination Options header with a 10-action option
    send(60, [...ext(58, [0x9e, 2, 0, 0]), ...icmp6(PEER, LL, 1, 4, [0, 0, 0, 0, ...new Array(48).fill(0)])]);
    expect(h.out()).toHaveLength(0);
    expect(h.stat("icmp6_errors_suppressed")).toBe(3);
  });

  it("RFC 4443 §2.4 (f): errors are rate-limited (a burst of 10, one more every 100 ms)", () => {
    const { h, send, icmpOut } = setup();
    for (let i = 0; i < 15; i++) send(253, [i, 0, 0, 0, 0, 0, 0, 0]);
    expect(icmpOut(4)).toHaveLength(10);
    expect(h.stat("icmp6_rate_limited")).toBe(5);
    h.at(1100);
    send(253, [0, 0, 0, 0, 0, 0, 0, 0]);
    send(253, [0, 0, 0, 0, 0, 0, 0, 0]);
    expect(icmpOut(4)).toHaveLength(1);
  });

  it("RFC 8201 §4: Packet Too Big sets the path MTU of the quoted destination (never below 1280), for 10 minutes; a quote of another source is ignored", () => {
    const { h, send } = setup();
    const quote = (src: string, dst: string) => frame6(PEER_MAC, OUR_MAC, { src, dst, nh: 59, hops: 64 }, new Array(16).fill(0)).subarray(14);
    const ptb = (mtu: number, src: string, dst: string) => send(58, icmp6(PEER, LL, 2, 0, [...u32be(mtu), ...quote(src, dst)]));
    expect(h.s.ip6PathMtu("2001:db8::7")).toBe(1500);
    ptb(1400, LL, "2001:db8::7");
    expect(h.s.ip6PathMtu("2001:db8::7")).toBe(1400);
    expect(h.s.ip6PathMtu("2001:db8::8")).toBe(1500);
    ptb(600, LL, "2001:db8::8");
    expect(h.s.ip6PathMtu("2001:db8::8")).toBe(1280);
    ptb(1300, "fe80::77", "2001:db8::9");
    expect(h.s.ip6PathMtu("2001:db8::9")).toBe(1500);
    expect(h.stat("icmp6_bad_quote")).toBe(1);
    h.at(1000 + 600000);
    expect(h.s.ip6PathMtu("2001:db8::7")).toBe(1500);
  });
});

describe("IPv6 off (Ip6Enable 0, the default)", () => {
  it("(the default) sends nothing, treats 0x86DD as an unknown EtherType, and the ip6* calls say ENOSYS", () => {
    const h = h6({ Ip6Enable: 0 });
    h.at(5000);
    expect(h.out()).toHaveLength(0);
    h.rx(Uint8Array.from([...macBytes(OUR_MAC), ...macBytes(PEER_MAC), 0x86, 0xdd, ...new Array(40).fill(0)]));
    expect(h.stat("eth_unknown_type")).toBe(1);
    expect(h.out()).toHaveLength(0);
    expect(h.s.exports.ip6Info(h.s.exports.ioBuffer())).toBe(-24);
  });
});
