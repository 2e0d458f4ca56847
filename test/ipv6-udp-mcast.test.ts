// UDP sockets in IPv6 multicast groups (UdpOpt.JoinGroup6 / LeaveGroup6, Stack.udpJoinGroup with
// an IPv6 group): delivery to the members of a group, MLDv2 reports for the groups (RFC 3810
// §6.1 state changes, §6.2 answers to queries), sending to a group. Both testing builds, the
// emulated link and a virtual clock.
import { describe, expect, it } from "vitest";
import { harness } from "./iface-harness.js";
import { frame6, icmp6, nsBody, optLla, parse6, solicitedNode, udp6, type Out6 } from "./ipv6-wire.js";
import { EUI64, LL, NO_RS, OUR_MAC, PEER, PEER_MAC } from "./ipv6-harness.js";
import { Err, UdpOpt } from "../src/abi.js";
import { bytesToIp6, ip6ToBytes } from "../src/stack.js";

const BUILDS = ["testing", "testing-mcu"] as const;
const G = "ff12::1234"; // link-local scope, transient
const G2 = "ff05::77"; // site-local scope

function setup(build: (typeof BUILDS)[number]) {
  const h = harness({ build, config: { Ip6Enable: 1, Ip6Flags: EUI64 | NO_RS } });
  h.at(1000);
  h.rx(frame6(PEER_MAC, OUR_MAC, { src: PEER, dst: solicitedNode(LL), nh: 58, hops: 255 }, icmp6(PEER, solicitedNode(LL), 135, 0, nsBody(LL, optLla(1, PEER_MAC)))));
  h.at(5000); // the link-local address's own reports are over
  let taken = h.sent.length;
  const out = (): Out6[] => {
    const r = h.sent.slice(taken).map(parse6).filter((x): x is Out6 => x !== null);
    taken = h.sent.length;
    return r;
  };
  /** MLDv2 reports (RFC 3810 §5.2) sent since the last out(): their records as [type, group]. */
  const reports = (): [number, string][][] => out().filter((f) => f.upper === 58 && f.type === 143).map((f) => {
    const n = (f.payload[6] << 8) | f.payload[7];
    return Array.from({ length: n }, (_, i) => [f.payload[8 + 20 * i], bytesToIp6(f.payload, 8 + 20 * i + 4)] as [number, string]);
  });
  const sock = (port: number) => {
    const s = h.s.udpOpen();
    expect(h.s.udpBind(s, port)).toBe(port);
    return s;
  };
  /** A datagram from PEER to `dst` port `port`. */
  const toGroup = (dst: string, port: number, data: number[]) => h.rx(frame6(PEER_MAC, OUR_MAC, { src: PEER, dst, nh: 17, hops: 1 }, udp6(PEER, dst, 7000, port, data)));
  const recv = (s: number) => {
    const out16 = h.s.putIo(new Uint8Array(24));
    const n = h.s.exports.udpRecvFrom6(s, out16 + 64, 1024, out16);
    return n < 0 ? n : Array.from(new Uint8Array(h.s.exports.memory.buffer, out16 + 64, n));
  };
  return { h, out, reports, sock, toGroup, recv };
}

for (const build of BUILDS) {
  describe(`UDP in IPv6 multicast groups, ${build}`, () => {
    it("RFC 3810 §6.1: joining a group sends [Robustness Variable] = 2 state change reports (CHANGE_TO_EXCLUDE, no sources); datagrams to it reach the members of its port only; ff02::1 reaches every socket of the port", () => {
      const { h, reports, sock, toGroup, recv } = setup(build);
      const a = sock(5000), b = sock(5001);
      expect(h.s.udpJoinGroup(a, G)).toBe(0);
      h.at(5000);
      expect(reports()).toEqual([[[4, G]]]);
      h.at(6000);
      expect(reports()).toEqual([[[4, G]]]); // the retransmission, 1 s later (§9.11 Unsolicited Report Interval)
      h.at(9000);
      expect(reports()).toEqual([]);
      toGroup(G, 5000, [1, 2, 3]);
      expect(recv(a)).toEqual([1, 2, 3]);
      toGroup(G, 5001, [4]); // b is on port 5001 but not a member
      expect(recv(b)).toBe(-Err.EAGAIN);
      expect(h.stat("udp_mcast_no_member")).toBe(1);
      toGroup("ff02::1", 5001, [5]);
      expect(recv(b)).toEqual([5]);
      toGroup("ff12::9999", 5000, [6]); // a group nobody joined: its MAC is not in the filter
      expect(recv(a)).toBe(-Err.EAGAIN);
      expect(h.stat("eth_multicast_not_joined")).toBe(1);
    });

    it("RFC 3810 §6.1: a group shared by two sockets is reported once; the last leave reports CHANGE_TO_INCLUDE {} once and the group's datagrams stop; udpClose leaves", () => {
      const { h, reports, sock, toGroup, recv } = setup(build);
      const a = h.s.udpOpen(), b = h.s.udpOpen();
      for (const s of [a, b]) { expect(h.s.udpSetOption(s, UdpOpt.ReuseAddr, 1)).toBe(0); expect(h.s.udpBind(s, 5000)).toBe(5000); }
      expect(h.s.udpJoinGroup(a, G)).toBe(0);
      expect(h.s.udpJoinGroup(b, G)).toBe(0);
      h.at(5000); h.at(6000); h.at(9000);
      expect(reports()).toEqual([[[4, G]], [[4, G]]]);
      toGroup(G, 5000, [9]);
      expect([recv(a), recv(b)]).toEqual([[9], [9]]);
      expect(h.s.udpLeaveGroup(a, G)).toBe(0);
      expect(reports()).toEqual([]); // b is still a member
      toGroup(G, 5000, [8]);
      expect([recv(a), recv(b)]).toEqual([-Err.EAGAIN, [8]]);
      expect(h.s.udpClose(b)).toBe(0);
      expect(reports()).toEqual([[[3, G]]]);
      const before = h.stat("eth_multicast_not_joined");
      toGroup(G, 5000, [7]); // the group's MAC left the filter
      expect(h.stat("eth_multicast_not_joined")).toBe(before + 1);
    });

    it("RFC 3810 §6.2: a general query is answered with IS_EXCLUDE records for the solicited-node group and the joined groups; §6: an interface-local group (ff01::) is never reported", () => {
      const { h, reports, sock } = setup(build);
      const a = sock(5000);
      expect(h.s.udpJoinGroup(a, G2)).toBe(0);
      expect(h.s.udpJoinGroup(a, "ff01::5")).toBe(0);
      h.at(5000); h.at(6000); h.at(9000);
      expect(reports()).toEqual([[[4, G2]], [[4, G2]]]);
      // an MLDv2 general query (24-byte header + 4: max response code 1000 ms) from a link-local router
      const q = [0, 0, 0x03, 0xe8, 0, 0, ...new Array(16).fill(0), 0, 0, 0, 0];
      h.rx(frame6("02:00:00:00:00:0a", OUR_MAC, { src: "fe80::1", dst: "ff02::1", nh: 58, hops: 1 }, icmp6("fe80::1", "ff02::1", 130, 0, q)));
      h.at(10_000);
      const r = reports();
      expect(r).toHaveLength(1);
      expect(r[0]).toEqual([[2, solicitedNode(LL)], [2, G2]]);
      expect(h.s.udpLeaveGroup(a, "ff01::5")).toBe(0);
      expect(reports()).toEqual([]);
    });

    it("sending to a group: the frame goes to its 33:33 MAC with hop limit 1 from our link-local address", () => {
      const { h, out, sock } = setup(build);
      const a = sock(5000);
      const at = h.s.putIo(Uint8Array.from([...ip6ToBytes(G), 1, 2, 3, 4]));
      expect(h.s.exports.udpSendTo6(a, at, 6000, at + 16, 4)).toBe(4);
      const [f] = out().filter((x) => x.upper === 17);
      expect(f).toMatchObject({ dst: G, src: LL, hops: 1, dstMac: "33:33:00:00:12:34" });
    });

    it("UdpOpt.JoinGroup6 / LeaveGroup6: not multicast, ff02::1 or joined already is EINVAL; leaving a group not joined is EINVAL; 4 slots per socket and 4 groups per interface (ENOMEM)", () => {
      const { h, sock } = setup(build);
      const a = sock(5000), b = sock(5001);
      expect(h.s.udpJoinGroup(a, "2001:db8::1")).toBe(-Err.EINVAL);
      expect(h.s.udpJoinGroup(a, "ff02::1")).toBe(-Err.EINVAL);
      expect(h.s.udpLeaveGroup(a, G)).toBe(-Err.EINVAL);
      expect(h.s.udpJoinGroup(a, G)).toBe(0);
      expect(h.s.udpJoinGroup(a, G)).toBe(-Err.EINVAL);
      expect(h.s.exports.udpLeaveGroup(a, 1)).toBe(-Err.EINVAL); // an IPv4 leave never touches an IPv6 slot
      expect(h.s.udpJoinGroup(a, "ff12::2")).toBe(0);
      expect(h.s.udpJoinGroup(a, "ff12::3")).toBe(0);
      expect(h.s.udpJoinGroup(a, "224.1.2.3")).toBe(0); // IPv4 and IPv6 groups share the slots
      expect(h.s.udpJoinGroup(a, "ff12::4")).toBe(-Err.ENOMEM);
      expect(h.s.udpJoinGroup(b, "ff12::4")).toBe(0); // the interface's fourth IPv6 group
      expect(h.s.udpJoinGroup(b, "ff12::5")).toBe(-Err.ENOMEM);
      expect(h.s.exports.udpSetOption(b, UdpOpt.JoinGroup6, 0x7fffffff)).toBe(-Err.EINVAL); // outside memory
    });
  });
}

describe("IPv6 groups without IPv6 (Ip6Enable 0)", () => {
  it("UdpOpt.JoinGroup6 is ENOSYS when IPv6 is configured off", () => {
    const h = harness({ config: { Ip6Enable: 0 } });
    const s = h.s.udpOpen();
    expect(h.s.udpBind(s, 5000)).toBe(5000);
    expect(h.s.udpJoinGroup(s, G)).toBe(-Err.ENOSYS);
  });
});
