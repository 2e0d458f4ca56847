// UDP broadcast (UdpOpt.Broadcast), multicast (udpJoinGroup, one copy per member socket),
// IGMPv2 (RFC 2236) and ICMP errors reported to UDP sockets (RFC 1122 §4.1.3.3). One stack
// (testing build) fed crafted frames on a virtual clock; both builds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Err, EventKind, UdpOpt } from "../src/abi.js";
import type { UdpDatagram } from "../src/stack.js";
import { harness, PEER, PEER_MAC, US } from "./iface-harness.js";
import { decodeFrame } from "../src/trace.js";
import { eth, inetChecksum, ipBytes, ipv4, MAC_A, MAC_BCAST, udp } from "./wire-build.js";

const GROUP = "239.1.2.3";
const GROUP_MAC = "01:00:5e:01:02:03";
const ALL_HOSTS_MAC = "01:00:5e:00:00:01";

const dg = (r: UdpDatagram | number): UdpDatagram => {
  if (typeof r === "number") throw new Error(`udpRecvFrom failed: ${r}`);
  return r;
};
const bytes = (s: string) => [...Buffer.from(s)];

/** A datagram from PEER:sport to dst:dport in a frame to dstMac. */
const dgram = (dst: string, dstMac: string, sport: number, dport: number, data: number[]) =>
  eth(dstMac, PEER_MAC, 0x0800, ipv4({ src: PEER, dst, proto: 17 }, udp(PEER, dst, sport, dport, data)));

/** An IGMP message (8 bytes, valid checksum unless `bad`) from `src` to `dst`. */
function igmp(type: number, maxResp: number, group: string, dst: string, o: { bad?: boolean; src?: string; len?: number } = {}) {
  const m = [type, maxResp, 0, 0, ...ipBytes(group)];
  const c = inetChecksum(m);
  m[2] = c >> 8;
  m[3] = (c & 255) ^ (o.bad ? 0x11 : 0);
  const body = o.len !== undefined ? m.slice(0, o.len) : m;
  const mac = dst === "224.0.0.1" ? ALL_HOSTS_MAC : dst === GROUP ? GROUP_MAC : "01:00:5e:00:00:02";
  return eth(mac, PEER_MAC, 0x0800, ipv4({ src: o.src ?? PEER, dst, proto: 2, ttl: 1, options: [0x94, 4, 0, 0] }, body));
}

/** IGMP frames among `frames`, decoded: type, group, IP destination, TTL, router alert present, checksum ok. */
function igmpSent(frames: { raw: Uint8Array }[]) {
  return frames.map((f) => decodeFrame(f.raw)).filter((d) => d.ip?.proto === 2 && d.ip.fragOffset === 0).map((d) => {
    const m = d.payload!.subarray(0, 8);
    const o = d.ip!.options;
    return {
      type: m[0], group: [...m.subarray(4, 8)].join("."), dst: d.dst!, ttl: d.ip!.ttl,
      routerAlert: o.length === 4 && o[0] === 0x94 && o[1] === 4, ipOk: d.ip!.sumOk, igmpOk: inetChecksum(m) === 0, dstMac: d.dstMac,
    };
  });
}

/** A socket joined to `groups`, after its unsolicited reports (RFC 2236 §3: repeated within 10 s) are sent and taken. */
function settledMember(h: ReturnType<typeof harness>, ...groups: string[]): number {
  const u = h.s.udpOpen();
  for (const g of groups) h.s.udpJoinGroup(u, g);
  h.at(20000);
  h.take();
  return u;
}

for (const build of ["testing", "testing-mcu"] as const) {
  describe(`UDP broadcast (UdpOpt.Broadcast, RFC 919 / RFC 1122 §3.3.6) [${build}]`, () => {
    it("a broadcast datagram (255.255.255.255 or the subnet's) reaches only the sockets of the port with Broadcast on", () => {
      const h = harness({ build });
      const on = h.s.udpOpen();
      const off = h.s.udpOpen();
      expect(h.s.udpSetOption(on, UdpOpt.ReuseAddr, true)).toBe(0);
      expect(h.s.udpSetOption(off, UdpOpt.ReuseAddr, true)).toBe(0);
      expect(h.s.udpSetOption(on, UdpOpt.Broadcast, true)).toBe(0);
      expect(h.s.udpBind(on, 5000)).toBe(5000);
      expect(h.s.udpBind(off, 5000)).toBe(5000);
      h.take(); // the gratuitous ARP of init
      h.rx(dgram("255.255.255.255", MAC_BCAST, 68, 5000, bytes("all")));
      h.rx(dgram("198.51.100.255", MAC_BCAST, 68, 5000, bytes("subnet")));
      expect(new TextDecoder().decode(dg(h.s.udpRecvFrom(on)).data)).toBe("all");
      expect(new TextDecoder().decode(dg(h.s.udpRecvFrom(on)).data)).toBe("subnet");
      expect(h.s.udpRecvFrom(off)).toBe(-Err.EAGAIN);
      expect(h.take()).toHaveLength(0); // never an ICMP answer to a broadcast
      // Broadcast off again: nobody takes it (counted), still no ICMP
      expect(h.s.udpSetOption(on, UdpOpt.Broadcast, 0)).toBe(0);
      h.rx(dgram("255.255.255.255", MAC_BCAST, 68, 5000, bytes("x")));
      expect(h.s.udpRecvFrom(on)).toBe(-Err.EAGAIN);
      expect(h.stat("udp_broadcast_filtered")).toBe(1);
      expect(h.take()).toHaveLength(0);
      expect(h.s.udpSetOption(on, 99, 1)).toBe(-Err.EINVAL);
    });

    it("sending to a broadcast address needs Broadcast: -EACCES without it (like Linux), a broadcast frame with it", () => {
      const h = harness({ build });
      const u = h.s.udpOpen();
      h.take();
      const one = new Uint8Array([1]);
      expect(h.s.udpSendTo(u, "255.255.255.255", 67, one)).toBe(-Err.EACCES);
      expect(h.s.udpSendTo(u, "198.51.100.255", 67, one)).toBe(-Err.EACCES);
      expect(h.stat("udp_broadcast_refused")).toBe(2);
      expect(h.take()).toHaveLength(0);
      expect(h.s.udpSetOption(u, UdpOpt.Broadcast, 1)).toBe(0);
      expect(h.s.udpSendTo(u, "255.255.255.255", 67, one)).toBe(1);
      expect(h.s.udpSendTo(u, "198.51.100.255", 67, one)).toBe(1);
      const f = h.take();
      expect(f.map((x) => [x.proto, x.dstMac, x.dst])).toEqual([
        ["UDP", "ff:ff:ff:ff:ff:ff", "255.255.255.255"], ["UDP", "ff:ff:ff:ff:ff:ff", "198.51.100.255"],
      ]);
    });
  });

  describe(`UDP multicast (udpJoinGroup, RFC 1112) [${build}]`, () => {
    it("one datagram to a group: a copy for every socket of the port that joined it, none for the others", () => {
      const h = harness({ build });
      const socks = [0, 1, 2].map(() => h.s.udpOpen());
      for (const u of socks) { h.s.udpSetOption(u, UdpOpt.ReuseAddr, 1); expect(h.s.udpBind(u, 6000)).toBe(6000); }
      expect(h.s.udpJoinGroup(socks[0], GROUP)).toBe(0);
      expect(h.s.udpJoinGroup(socks[1], GROUP)).toBe(0);
      expect(h.s.udpJoinGroup(socks[1], GROUP)).toBe(-Err.EINVAL); // joined already
      expect(h.s.ifaceInfo().multicastGroups).toBe(2); // the group's MAC and 224.0.0.1's
      h.events.length = 0;
      h.rx(dgram(GROUP, GROUP_MAC, 7, 6000, bytes("hello")));
      expect(new TextDecoder().decode(dg(h.s.udpRecvFrom(socks[0])).data)).toBe("hello");
      expect(new TextDecoder().decode(dg(h.s.udpRecvFrom(socks[1])).data)).toBe("hello");
      expect(h.s.udpRecvFrom(socks[2])).toBe(-Err.EAGAIN);
      expect(h.events.filter((e) => e[1] === EventKind.Readable).map((e) => e[0])).toEqual([socks[0], socks[1]]);
      // after leaving, only the remaining member gets it
      expect(h.s.udpLeaveGroup(socks[0], GROUP)).toBe(0);
      expect(h.s.udpLeaveGroup(socks[0], GROUP)).toBe(-Err.EINVAL);
      h.rx(dgram(GROUP, GROUP_MAC, 7, 6000, bytes("again")));
      expect(h.s.udpRecvFrom(socks[0])).toBe(-Err.EAGAIN);
      expect(dg(h.s.udpRecvFrom(socks[1])).size).toBe(5);
      // closing the last member leaves the group: the filter drops the group's frames again
      expect(h.s.udpClose(socks[1])).toBe(0);
      expect(h.s.ifaceInfo().multicastGroups).toBe(0);
      h.rx(dgram(GROUP, GROUP_MAC, 7, 6000, bytes("late")));
      expect(h.stat("eth_multicast_not_joined")).toBe(1);
    });

    it("a member on another port does not get it (udp_mcast_no_member when the port has sockets, udp_no_port when none)", () => {
      const h = harness({ build });
      const a = h.s.udpOpen();
      const b = h.s.udpOpen();
      h.s.udpBind(a, 6000);
      h.s.udpBind(b, 6001);
      expect(h.s.udpJoinGroup(b, GROUP)).toBe(0);
      h.take();
      h.rx(dgram(GROUP, GROUP_MAC, 7, 6000, [1]));
      h.rx(dgram(GROUP, GROUP_MAC, 7, 6002, [1]));
      expect(h.s.udpRecvFrom(a)).toBe(-Err.EAGAIN);
      expect(h.s.udpRecvFrom(b)).toBe(-Err.EAGAIN);
      expect(h.stat("udp_mcast_no_member")).toBe(1);
      expect(h.stat("udp_no_port")).toBe(1);
      expect(h.take()).toHaveLength(0); // no ICMP for multicast
    });

    it("udpJoinGroup refuses non-multicast addresses and 224.0.0.1; at most 4 groups a socket", () => {
      const h = harness({ build, config: { McastGroups: 16 } });
      const u = h.s.udpOpen();
      expect(h.s.udpJoinGroup(u, "198.51.100.9")).toBe(-Err.EINVAL);
      expect(h.s.udpJoinGroup(u, "224.0.0.1")).toBe(-Err.EINVAL);
      for (let i = 1; i <= 4; i++) expect(h.s.udpJoinGroup(u, `239.0.0.${i}`)).toBe(0);
      expect(h.s.udpJoinGroup(u, "239.0.0.5")).toBe(-Err.ENOMEM);
      expect(h.s.udpLeaveGroup(u, "239.0.0.9")).toBe(-Err.EINVAL);
    });

    it("RFC 1112 §6.1: multicast is sent with TTL 1 to the group's MAC, and not looped back to our own member socket", () => {
      const h = harness({ build });
      const u = h.s.udpOpen();
      h.s.udpBind(u, 6000);
      h.s.udpJoinGroup(u, GROUP);
      h.take();
      expect(h.s.udpSendTo(u, GROUP, 6000, new Uint8Array([9, 9]))).toBe(2);
      const f = h.take();
      expect(f).toHaveLength(1);
      expect(f[0].dstMac).toBe(GROUP_MAC);
      expect(f[0].ttl).toBe(1);
      expect(h.s.udpRecvFrom(u)).toBe(-Err.EAGAIN);
    });
  });

  describe(`IGMPv2 (RFC 2236) [${build}]`, () => {
    it("RFC 2236 §3: joining sends an unsolicited report at once and repeats it after a random delay up to 10 s; §2: TTL 1 and Router Alert", () => {
      const h = harness({ build });
      const u = h.s.udpOpen();
      h.s.udpBind(u, 6000);
      h.take();
      expect(h.s.udpJoinGroup(u, GROUP)).toBe(0);
      const first = igmpSent(h.take());
      expect(first).toEqual([{ type: 0x16, group: GROUP, dst: GROUP, ttl: 1, routerAlert: true, ipOk: true, igmpOk: true, dstMac: GROUP_MAC }]);
      const wait = h.at(0);
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(10000);
      expect(igmpSent(h.take())).toHaveLength(0);
      h.at(wait);
      expect(igmpSent(h.take()).map((r) => [r.type, r.group])).toEqual([[0x16, GROUP]]);
      h.at(60000);
      expect(igmpSent(h.take())).toHaveLength(0); // twice only
      expect(h.stat("igmp_reports_tx")).toBe(2);
      // a second socket joining the same group sends nothing
      const v = h.s.udpOpen();
      expect(h.s.udpJoinGroup(v, GROUP)).toBe(0);
      expect(igmpSent(h.take())).toHaveLength(0);
    });

    it("RFC 2236 §3: the last leave sends a Leave Group to 224.0.0.2; an earlier leave sends nothing", () => {
      const h = harness({ build });
      const a = h.s.udpOpen();
      const b = h.s.udpOpen();
      h.s.udpJoinGroup(a, GROUP);
      h.s.udpJoinGroup(b, GROUP);
      h.at(20000);
      h.take();
      expect(h.s.udpLeaveGroup(a, GROUP)).toBe(0);
      expect(igmpSent(h.take())).toHaveLength(0);
      expect(h.s.udpLeaveGroup(b, GROUP)).toBe(0);
      const l = igmpSent(h.take());
      expect(l.map((r) => [r.type, r.group, r.dst, r.ttl, r.routerAlert, r.igmpOk])).toEqual([[0x17, GROUP, "224.0.0.2", 1, true, true]]);
      expect(h.stat("igmp_leaves_tx")).toBe(1);
    });

    it("RFC 2236 §3: a General Query is answered for each group after a random delay within Max Resp Time; 224.0.0.1 never reported (§6)", () => {
      const h = harness({ build, config: { McastGroups: 8 } });
      const u = settledMember(h, GROUP, "239.9.9.9");
      h.rx(igmp(0x11, 20, "0.0.0.0", "224.0.0.1")); // Max Resp Time 2 s
      expect(igmpSent(h.take())).toHaveLength(0); // not at once
      const seen: string[] = [];
      for (let t = 20000; t <= 22000; t += 50) { h.at(t); seen.push(...igmpSent(h.take()).map((r) => r.group)); }
      expect(seen.sort()).toEqual([GROUP, "239.9.9.9"].sort());
      expect(seen).not.toContain("224.0.0.1");
      h.at(40000);
      expect(igmpSent(h.take())).toHaveLength(0);
      expect(h.stat("igmp_queries_rx")).toBe(1);
    });

    it("RFC 2236 §3: a query with a shorter Max Resp Time lowers a running timer; an IGMPv1 query (code 0) means 10 s (§4)", () => {
      const h = harness({ build });
      const u = settledMember(h, GROUP);
      h.rx(igmp(0x11, 0, "0.0.0.0", "224.0.0.1")); // v1: up to 10 s
      const first = h.at(20000);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(10000);
      h.rx(igmp(0x11, 1, "0.0.0.0", "224.0.0.1")); // 100 ms: the report must come within it
      h.at(20100);
      expect(igmpSent(h.take()).map((r) => r.group)).toEqual([GROUP]);
      h.at(40000);
      expect(igmpSent(h.take())).toHaveLength(0); // one report for both queries
    });

    it("RFC 1112 §4: datagrams to 224.0.0.1 reach every socket of the port while a group is joined", () => {
      const h = harness({ build });
      const a = h.s.udpOpen();
      const b = h.s.udpOpen();
      h.s.udpSetOption(a, UdpOpt.ReuseAddr, 1);
      h.s.udpSetOption(b, UdpOpt.ReuseAddr, 1);
      h.s.udpBind(a, 6000);
      h.s.udpBind(b, 6000);
      h.s.udpJoinGroup(a, GROUP);
      h.rx(dgram("224.0.0.1", ALL_HOSTS_MAC, 7, 6000, [5]));
      expect(dg(h.s.udpRecvFrom(a)).size).toBe(1);
      expect(dg(h.s.udpRecvFrom(b)).size).toBe(1);
    });

    it("RFC 2236 §3: a Group-Specific Query is answered only for its group", () => {
      const h = harness({ build, config: { McastGroups: 8 } });
      const u = settledMember(h, GROUP, "239.9.9.9");
      h.rx(igmp(0x11, 10, GROUP, GROUP));
      h.at(21001);
      expect(igmpSent(h.take()).map((r) => r.group)).toEqual([GROUP]);
    });

    it("RFC 2236 §3: another host's report for the group heard before our timer fires suppresses ours, and we no longer send the Leave", () => {
      const h = harness({ build });
      const u = settledMember(h, GROUP);
      h.rx(igmp(0x11, 100, "0.0.0.0", "224.0.0.1")); // 10 s
      h.rx(igmp(0x16, 0, GROUP, GROUP, { src: "198.51.100.3" }));
      h.at(31000);
      expect(igmpSent(h.take())).toHaveLength(0);
      expect(h.stat("igmp_reports_suppressed")).toBe(1);
      expect(h.stat("igmp_reports_rx")).toBe(1);
      h.s.udpLeaveGroup(u, GROUP);
      expect(igmpSent(h.take())).toHaveLength(0); // RFC 2236 §3: not the last reporter: no Leave
    });

    it("RFC 2236 §2.3: a bad checksum, a short message or a non-multicast group is dropped and counted", () => {
      const h = harness({ build });
      const u = settledMember(h, GROUP);
      h.rx(igmp(0x11, 10, "0.0.0.0", "224.0.0.1", { bad: true }));
      h.rx(igmp(0x11, 10, "0.0.0.0", "224.0.0.1", { len: 6 }));
      h.rx(igmp(0x11, 10, "198.51.100.7", "224.0.0.1"));
      h.at(40000);
      expect(igmpSent(h.take())).toHaveLength(0);
      expect(h.stat("igmp_bad_checksum")).toBe(1);
      expect(h.stat("igmp_bad_length")).toBe(1);
      expect(h.stat("igmp_bad_group")).toBe(1);
      expect(h.stat("igmp_rx")).toBe(0);
    });

    it("fuzz: arbitrary IGMP messages to 224.0.0.1 never trap and each one is counted once (fast-check)", () => {
      const h = harness({ build });
      const u = h.s.udpOpen();
      h.s.udpJoinGroup(u, GROUP);
      let n = 0;
      fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.boolean(), (body, fix) => {
        const m = [...body];
        if (fix && m.length >= 8) { m[2] = 0; m[3] = 0; const c = inetChecksum(m); m[2] = c >> 8; m[3] = c & 255; }
        h.rx(eth(ALL_HOSTS_MAC, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: "224.0.0.1", proto: 2, ttl: 1 }, m)));
        h.at(h.clock.now() + 1000);
        n++;
        const counted = ["igmp_rx", "igmp_bad_length", "igmp_bad_checksum", "igmp_bad_group"].reduce((a, k) => a + h.stat(k), 0);
        expect(counted).toBe(n);
      }), { seed: 42, numRuns: 300 });
      expect(h.s.udpLeaveGroup(u, GROUP)).toBe(0);
    });
  });

  describe(`ICMP errors to UDP sockets (RFC 1122 §4.1.3.3) [${build}]`, () => {
    /** ICMP destination unreachable (code) from PEER quoting the IP packet `quoted`. */
    function unreach(code: number, quoted: Uint8Array) {
      const m = [3, code, 0, 0, 0, 0, 0, 0, ...quoted.subarray(0, 28)];
      const c = inetChecksum(m);
      m[2] = c >> 8;
      m[3] = c & 255;
      return eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 1 }, m));
    }

    it("a port unreachable quoting our datagram: the connected socket's next receive (or send) is -ECONNREFUSED, once", () => {
      const h = harness({ build });
      h.rx(eth(MAC_A, PEER_MAC, 0x0806, [0, 1, 8, 0, 6, 4, 0, 2, ...[2, 0, 0, 0, 0, 2], ...ipBytes(PEER), ...[2, 0, 0, 0, 0, 1], ...ipBytes(US)]));
      const u = h.s.udpOpen();
      expect(h.s.udpConnect(u, PEER, 9)).toBe(0);
      h.take();
      expect(h.s.udpSendTo(u, null, 0, new Uint8Array([1, 2, 3]))).toBe(3);
      const sent = h.take().find((f) => f.proto === "UDP")!;
      const ip = sent.raw.subarray(14);
      h.events.length = 0;
      h.rx(unreach(3, ip));
      expect(h.stat("udp_icmp_errors")).toBe(1);
      expect(h.events).toContainEqual([u, EventKind.Error, Err.ECONNREFUSED]);
      expect(h.s.udpRecvFrom(u)).toBe(-Err.ECONNREFUSED);
      expect(h.s.udpRecvFrom(u)).toBe(-Err.EAGAIN); // reported once
      h.rx(unreach(1, ip)); // host unreachable: EHOSTUNREACH, on the next send this time
      expect(h.s.udpSendTo(u, null, 0, new Uint8Array([1]))).toBe(-Err.EHOSTUNREACH);
      expect(h.s.udpSendTo(u, null, 0, new Uint8Array([1]))).toBe(1);
    });

    it("a quote that is not ours (other source address, port, or peer) is dropped (udp_icmp_bad_quote) and changes nothing", () => {
      const h = harness({ build });
      const u = h.s.udpOpen();
      h.s.udpConnect(u, PEER, 9);
      const port = h.s.udpInfo(u)!.localPort;
      const q = (src: string, sport: number, dst: string, dport: number) =>
        new Uint8Array(ipv4({ src, dst, proto: 17 }, udp(src, dst, sport, dport, [1, 2, 3])));
      h.rx(unreach(3, q("198.51.100.50", port, PEER, 9)));  // not our address
      h.rx(unreach(3, q(US, port ^ 1, PEER, 9)));            // no socket on that port
      h.rx(unreach(3, q(US, port, PEER, 10)));               // not the socket's peer
      h.rx(unreach(3, q(US, port, "198.51.100.3", 9)));      // not the socket's peer
      expect(h.stat("udp_icmp_bad_quote")).toBe(4);
      expect(h.stat("udp_icmp_errors")).toBe(0);
      expect(h.s.udpRecvFrom(u)).toBe(-Err.EAGAIN);
    });
  });
}
