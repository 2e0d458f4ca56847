import { describe, expect, it } from "vitest";
import { harness, PEER, PEER_MAC, US } from "./iface-harness.js";
import { arp, eth, icmpEcho, inetChecksum, ipv4, MAC_A, MAC_BCAST, udp } from "./wire-build.js";
import { ipToU32 } from "../src/stack.js";
import { UdpOpt } from "../src/abi.js";

const EHOSTUNREACH = -14;
const EINVAL = -1;
const peerMacBig = 0x020000000002n;

/** Answer the ARP request for `ip` as `mac`. */
function arpReply(ip: string, mac: string, to = MAC_A, toIp = US): Uint8Array {
  return eth(to, mac, 0x0806, arp(2, mac, ip, to, toIp));
}

function echoFrom(src: string, seq: number, opts: { dst?: string; dstMac?: string; data?: number[] } = {}): Uint8Array {
  return eth(opts.dstMac ?? MAC_A, PEER_MAC, 0x0800,
    ipv4({ src, dst: opts.dst ?? US, proto: 1 }, icmpEcho(8, 0x1234, seq, opts.data ?? [1, 2, 3, 4, 5])));
}

describe("ARP (RFC 826)", () => {
  it("RFC 5227 §2.3: init announces our address with a gratuitous ARP (SPA = TPA = ours, broadcast)", () => {
    const h = harness();
    const [f, ...rest] = h.take();
    expect(rest).toHaveLength(0);
    expect(f.proto).toBe("ARP");
    expect(f.arpOp).toBe("request");
    expect(f.dstMac).toBe(MAC_BCAST);
    expect(f.src).toBe(US);
    expect(f.dst).toBe(US);
    expect(f.raw.length).toBe(60); // padded to the Ethernet minimum
    expect(h.stat("arp_requests_tx")).toBe(1);
  });

  it("RFC 826: a request for our address gets a reply to the asker, and the asker is learned", () => {
    const h = harness();
    h.take();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, "00:00:00:00:00:00", US)));
    const [r] = h.take();
    expect(r.arpOp).toBe("reply");
    expect(r.dstMac).toBe(PEER_MAC);
    expect(r.arpSha).toBe(MAC_A);
    expect(r.src).toBe(US);
    expect(r.dst).toBe(PEER);
    expect(h.s.exports.arpLookup(ipToU32(PEER))).toBe(peerMacBig);
    expect(h.stat("arp_requests_rx")).toBe(1);
    expect(h.stat("arp_replies_tx")).toBe(1);
  });

  it("RFC 826: a request for another address is not answered and its sender is not added", () => {
    const h = harness();
    h.take();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, "00:00:00:00:00:00", "198.51.100.9")));
    expect(h.take()).toHaveLength(0);
    expect(h.s.exports.arpLookup(ipToU32(PEER))).toBe(-1n);
  });

  it("RFC 826 merge flag: any ARP packet from a known sender updates its hardware address", () => {
    const h = harness();
    h.rx(arpReply(PEER, PEER_MAC));
    expect(h.s.exports.arpLookup(ipToU32(PEER))).toBe(peerMacBig);
    // a gratuitous announcement (target = sender, not us) with a new MAC
    h.rx(eth(MAC_BCAST, "02:00:00:00:00:09", 0x0806, arp(1, "02:00:00:00:00:09", PEER, "00:00:00:00:00:00", PEER)));
    expect(h.s.exports.arpLookup(ipToU32(PEER))).toBe(0x020000000009n);
  });

  it("ARP from a broadcast or our own hardware address is refused (arp_bad_format)", () => {
    const h = harness();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, MAC_BCAST, PEER, "00:00:00:00:00:00", US)));
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0806, arp(1, MAC_A, PEER, "00:00:00:00:00:00", US)));
    expect(h.stat("arp_bad_format")).toBe(2);
    expect(h.s.exports.arpLookup(ipToU32(PEER))).toBe(-1n);
  });

  it("cache entries expire after ArpTimeoutMs", () => {
    const h = harness({ config: { ArpTimeoutMs: 5000 } });
    h.rx(arpReply(PEER, PEER_MAC));
    expect(h.at(4999)).toBeGreaterThan(0);
    expect(h.s.exports.arpLookup(ipToU32(PEER))).toBe(peerMacBig);
    h.at(5000);
    expect(h.s.exports.arpLookup(ipToU32(PEER))).toBe(-1n);
    // the next datagram has to resolve again
    h.take();
    expect(h.s.ping(PEER, 1)).toBe(0);
    expect(h.take()[0].info).toBe(`ARP who-has ${PEER} tell ${US}`);
  });

  it("a datagram to an unresolved neighbour is queued, an ARP request sent, and the queue flushed in order on reply", () => {
    const h = harness();
    h.take();
    expect(h.s.ping(PEER, 1)).toBe(0);
    expect(h.s.ping(PEER, 2)).toBe(0);
    const req = h.take();
    expect(req).toHaveLength(1); // one request for both datagrams
    expect(req[0].info).toBe(`ARP who-has ${PEER} tell ${US}`);
    expect(h.s.exports.arpQueued()).toBe(2);
    h.rx(arpReply(PEER, PEER_MAC));
    const out = h.take();
    expect(out.map((f) => [f.proto, f.icmpSeq, f.dstMac])).toEqual([["ICMP", 1, PEER_MAC], ["ICMP", 2, PEER_MAC]]);
    expect(h.s.exports.arpQueued()).toBe(0);
  });

  it("the pending queue is bounded: beyond ArpQueue frames the send fails and arp_queue_full counts", () => {
    const h = harness({ config: { ArpQueue: 2 } });
    expect(h.s.ping(PEER, 1)).toBe(0);
    expect(h.s.ping(PEER, 2)).toBe(0);
    expect(h.s.ping(PEER, 3)).toBe(EHOSTUNREACH);
    expect(h.stat("arp_queue_full")).toBe(1);
    expect(h.s.exports.arpQueued()).toBe(2);
  });

  it("an unanswered request is retried every second, then the waiting frames are dropped (arp_queue_timeout)", () => {
    const h = harness();
    h.take();
    h.s.ping(PEER, 1);
    expect(h.take()).toHaveLength(1);
    expect(h.at(999)).toBe(1);
    expect(h.take()).toHaveLength(0);
    h.at(1000);
    expect(h.take().map((f) => f.arpOp)).toEqual(["request"]);
    h.at(2000);
    expect(h.take().map((f) => f.arpOp)).toEqual(["request"]);
    expect(h.stat("arp_requests_tx")).toBe(4); // gratuitous + 3
    expect(h.at(3000)).toBe(-1);
    expect(h.take()).toHaveLength(0);
    expect(h.stat("arp_queue_timeout")).toBe(1);
    expect(h.s.exports.arpQueued()).toBe(0);
  });

  it("the cache is bounded: learning beyond ArpEntries evicts the oldest entry (arp_cache_full)", () => {
    const h = harness({ config: { ArpEntries: 2 } });
    for (const [i, t] of [[2, 0], [3, 10], [4, 20]]) {
      h.clock.set(t);
      const ip = `198.51.100.${i}`;
      const mac = `02:00:00:00:00:0${i}`;
      h.rx(eth(MAC_BCAST, mac, 0x0806, arp(1, mac, ip, "00:00:00:00:00:00", US)));
    }
    expect(h.stat("arp_cache_full")).toBe(1);
    expect(h.s.exports.arpLookup(ipToU32("198.51.100.2"))).toBe(-1n);
    expect(h.s.exports.arpLookup(ipToU32("198.51.100.3"))).toBe(0x020000000003n);
    expect(h.s.exports.arpLookup(ipToU32("198.51.100.4"))).toBe(0x020000000004n);
  });
});

describe("IPv4 next hop", () => {
  it("RFC 1122 §3.3.1.1: an on-link destination is resolved directly", () => {
    const h = harness({ gateway: "198.51.100.254" });
    h.take();
    h.s.ping("198.51.100.77", 1);
    expect(h.take()[0].info).toBe(`ARP who-has 198.51.100.77 tell ${US}`);
  });

  it("RFC 1122 §3.3.1.1: an off-link destination goes to the gateway's MAC with the final IP destination", () => {
    const h = harness({ gateway: "198.51.100.254" });
    h.take();
    h.s.ping("203.0.113.5", 1);
    expect(h.take()[0].info).toBe(`ARP who-has 198.51.100.254 tell ${US}`);
    h.rx(arpReply("198.51.100.254", "02:00:00:00:00:fe"));
    const [f] = h.take();
    expect(f.dstMac).toBe("02:00:00:00:00:fe");
    expect(f.dst).toBe("203.0.113.5");
    expect(f.ttl).toBe(64);
  });

  it("without a gateway an off-link destination has no route (ipv4_no_route, EHOSTUNREACH)", () => {
    const h = harness();
    h.take();
    expect(h.s.ping("203.0.113.5", 1)).toBe(EHOSTUNREACH);
    expect(h.stat("ipv4_no_route")).toBe(1);
    expect(h.take()).toHaveLength(0);
  });

  it("a datagram to the subnet broadcast address goes to the broadcast MAC without ARP", () => {
    const h = harness();
    h.take();
    expect(h.s.ping("198.51.100.255", 1)).toBe(0);
    const [f] = h.take();
    expect(f.proto).toBe("ICMP");
    expect(f.dstMac).toBe(MAC_BCAST);
  });

  it("RFC 791: emitted headers have version 4, IHL 5, DF, TTL 64, a fresh id and a valid checksum", () => {
    const h = harness();
    h.rx(arpReply(PEER, PEER_MAC));
    h.take();
    h.s.ping(PEER, 1);
    h.s.ping(PEER, 2);
    const [a, b] = h.take();
    for (const f of [a, b]) {
      expect(f.raw[14]).toBe(0x45);
      expect([f.ip?.hlen, f.ip?.df, f.ip?.mf, f.ip?.fragOffset, f.ip?.ttl, f.ip?.sumOk]).toEqual([20, true, false, 0, 64, true]);
    }
    expect(b.ipId).not.toBe(a.ipId);
  });
});

describe("ICMP (RFC 792)", () => {
  it("RFC 792: an echo request is answered with an echo reply carrying the same id, sequence and data", () => {
    const h = harness();
    h.rx(arpReply(PEER, PEER_MAC));
    h.take();
    const data = Array.from({ length: 100 }, (_, i) => (i * 7) & 255);
    h.rx(echoFrom(PEER, 42, { data }));
    const [r] = h.take();
    expect(r.proto).toBe("ICMP");
    expect(r.icmpType).toBe(0);
    expect(r.icmpId).toBe(0x1234);
    expect(r.icmpSeq).toBe(42);
    expect(r.dst).toBe(PEER);
    expect(r.dstMac).toBe(PEER_MAC);
    expect([...r.payload!]).toEqual(data);
    expect(r.l4SumOk).toBe(true);
    expect(h.stat("icmp_echo_requests_rx")).toBe(1);
    expect(h.stat("icmp_echo_replies_tx")).toBe(1);
  });

  it("RFC 1122 §3.2.2.6: an echo request to a broadcast address is not answered (counted)", () => {
    const h = harness();
    h.take();
    h.rx(echoFrom(PEER, 1, { dst: "198.51.100.255", dstMac: MAC_BCAST }));
    h.rx(echoFrom(PEER, 2, { dst: "255.255.255.255", dstMac: MAC_BCAST }));
    expect(h.take()).toHaveLength(0);
    expect(h.stat("icmp_echo_broadcast_ignored")).toBe(2);
  });

  it("an echo reply is counted and reported to the host as event(-1, EchoReply, seq)", () => {
    const h = harness();
    h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 1 }, icmpEcho(0, 1, 77))));
    expect(h.stat("icmp_echo_replies_rx")).toBe(1);
    expect(h.events).toEqual([[-1, 9, 77]]);
  });

  it("ping() with a payload larger than the MTU allows is refused with EINVAL", () => {
    const h = harness();
    expect(h.s.ping(PEER, 1, { len: 1500 - 28 + 1 })).toBe(EINVAL);
    expect(h.s.ping(PEER, 1, { len: -1 })).toBe(EINVAL);
  });
});

describe("UDP and unreachables", () => {
  it("RFC 1122 §3.2.2.1 / RFC 792: UDP to a closed port gets a port unreachable quoting the IP header + 8 bytes", () => {
    const h = harness();
    h.rx(arpReply(PEER, PEER_MAC));
    h.take();
    const orig = ipv4({ src: PEER, dst: US, proto: 17 }, udp(PEER, US, 5000, 9999, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    h.rx(eth(MAC_A, PEER_MAC, 0x0800, orig));
    const [r] = h.take();
    expect(r.proto).toBe("ICMP");
    expect(r.icmpType).toBe(3);
    expect(r.icmpCode).toBe(3);
    expect(r.dst).toBe(PEER);
    expect(r.l4SumOk).toBe(true);
    expect([...r.payload!]).toEqual(orig.slice(0, 28));
    expect(h.stat("udp_no_port")).toBe(1);
    expect(h.stat("icmp_dest_unreach_tx")).toBe(1);
  });

  it("RFC 1122 §3.2.2: no ICMP error for a datagram sent to a broadcast address", () => {
    const h = harness();
    h.take();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: "198.51.100.255", proto: 17 }, udp(PEER, "198.51.100.255", 1, 2, []))));
    expect(h.take()).toHaveLength(0);
    expect(h.stat("udp_no_port")).toBe(1);
    expect(h.stat("icmp_dest_unreach_tx")).toBe(0);
  });

  it("RFC 1812 §4.3.2.8: ICMP errors are rate-limited (burst of 10, then one per 100 ms)", () => {
    const h = harness();
    h.rx(arpReply(PEER, PEER_MAC));
    h.take();
    const frame = eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 17 }, udp(PEER, US, 1, 2, [0])));
    for (let i = 0; i < 15; i++) h.rx(frame);
    expect(h.take()).toHaveLength(10);
    expect(h.stat("icmp_rate_limited")).toBe(5);
    h.clock.set(100);
    h.rx(frame);
    h.rx(frame);
    expect(h.take()).toHaveLength(1);
  });

  it("RFC 1122 §3.2.2.1: an unknown protocol gets a protocol unreachable", () => {
    const h = harness();
    h.rx(arpReply(PEER, PEER_MAC));
    h.take();
    h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 99 }, [1, 2, 3])));
    const [r] = h.take();
    expect([r.icmpType, r.icmpCode]).toEqual([3, 2]);
    expect(h.stat("ipv4_unknown_proto")).toBe(1);
  });
});

describe("frames not for us", () => {
  it("a frame to another unicast MAC is dropped (eth_not_for_us)", () => {
    const h = harness();
    h.take();
    h.rx(echoFrom(PEER, 1, { dstMac: "02:00:00:00:00:33" }));
    expect(h.stat("eth_not_for_us")).toBe(1);
    expect(h.stat("ipv4_rx")).toBe(0);
    expect(h.take()).toHaveLength(0);
  });

  it("RFC 1122 §3.2.1.3: a datagram to another IP address is dropped (ipv4_not_for_us)", () => {
    const h = harness();
    h.take();
    h.rx(echoFrom(PEER, 1, { dst: "198.51.100.50" }));
    expect(h.stat("ipv4_not_for_us")).toBe(1);
    expect(h.take()).toHaveLength(0);
  });

  it("RFC 1122 §3.2.1.3: a broadcast or multicast source address is dropped (ipv4_bad_source)", () => {
    const h = harness();
    h.take();
    for (const src of ["255.255.255.255", "198.51.100.255", "224.0.0.1", "127.0.0.1", US]) h.rx(echoFrom(src, 1));
    expect(h.stat("ipv4_bad_source")).toBe(5);
    expect(h.take()).toHaveLength(0);
  });

  it("RFC 1122 §3.2.1.3: source 0.0.0.0 only for UDP to the limited broadcast (a DHCP client learning its address, RFC 2131 §4.1)", () => {
    const h = harness();
    const u = h.s.udpOpen();
    expect(h.s.udpBind(u, 67)).toBe(67);
    expect(h.s.udpSetOption(u, UdpOpt.Broadcast, true)).toBe(0); // a socket takes broadcasts only when asked
    h.take();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0800, ipv4({ src: "0.0.0.0", dst: "255.255.255.255", proto: 17 }, udp("0.0.0.0", "255.255.255.255", 68, 67, [7, 8]))));
    const d = h.s.udpRecvFrom(u);
    expect(typeof d === "number" ? d : { address: d.address, port: d.port, data: [...d.data] }).toEqual({ address: "0.0.0.0", port: 68, data: [7, 8] });
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0800, ipv4({ src: "0.0.0.0", dst: "198.51.100.255", proto: 17 }, udp("0.0.0.0", "198.51.100.255", 68, 67, [7])))); // subnet broadcast
    h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: "0.0.0.0", dst: US, proto: 17 }, udp("0.0.0.0", US, 68, 67, [7])))); // unicast
    h.rx(echoFrom("0.0.0.0", 1, { dst: "255.255.255.255", dstMac: MAC_BCAST })); // not UDP
    expect(h.stat("ipv4_bad_source")).toBe(3);
    expect(h.take()).toHaveLength(0);
  });

  it("RFC 9293 §3.9.2.1: TCP to a broadcast address is dropped before TCP sees it", () => {
    const h = harness();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: "198.51.100.255", proto: 6 }, new Array(20).fill(0))));
    expect(h.stat("ipv4_not_for_us")).toBe(1);
    expect(h.stat("tcp_rx")).toBe(0);
  });
});
