// UDP sockets (RFC 768) and the socket set's kind-tagged handles: one stack fed crafted
// frames (test/iface-harness.ts) for wire rules, two stacks on an emulated link for round
// trips. Deterministic: virtual clock, seeded entropy.
import { describe, expect, it } from "vitest";
import { handleKind, HandleKind, Stack, type UdpDatagram } from "../src/stack.js";
import { Sim } from "../src/links/emulated.js";
import { Err, EventKind } from "../src/abi.js";
import { harness, PEER, PEER_MAC, US } from "./iface-harness.js";
import { arp, eth, ipv4, MAC_A, MAC_BCAST, udp } from "./wire-build.js";

const EINVAL = -Err.EINVAL, ENOMEM = -Err.ENOMEM, EBADF = -Err.EBADF, EADDRINUSE = -Err.EADDRINUSE;
const ENOTCONN = -Err.ENOTCONN, EISCONN = -Err.EISCONN, EAGAIN = -Err.EAGAIN, EMSGSIZE = -Err.EMSGSIZE;
const READABLE = EventKind.Readable;

const arpReply = (ip: string, mac: string) => eth(MAC_A, mac, 0x0806, arp(2, mac, ip, MAC_A, US));

/** The interface harness with the peer's MAC resolved and a UDP socket bound to `port` (`bound`: udpBind's result). */
function boundSocket(port: number) {
  const h = harness();
  h.rx(arpReply(PEER, PEER_MAC));
  h.take();
  const u = h.s.udpOpen();
  return { h, u, bound: h.s.udpBind(u, port) };
}
/** A datagram from PEER:sport to US:dport. */
const dgramFrom = (sport: number, dport: number, data: number[], o: Parameters<typeof udp>[5] = {}, src = PEER) =>
  eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src, dst: US, proto: 17 }, udp(src, US, sport, dport, data, o)));

const dg = (r: UdpDatagram | number): UdpDatagram => {
  if (typeof r === "number") throw new Error(`udpRecvFrom failed: ${r}`);
  return r;
};

function pair(build: "node" | "mcu" = "node", config: Record<string, number> = {}) {
  const sim = new Sim({ seed: 3 });
  const link = sim.link({ delayMs: 1 });
  const a = sim.addHost({ name: "a", build, ip: "198.51.100.1", mac: "02:00:00:00:00:01", link, seed: 1, config });
  const b = sim.addHost({ name: "b", build, ip: "198.51.100.2", mac: "02:00:00:00:00:02", link, seed: 2, config });
  return { sim, a, b };
}

describe("socket set: kind-tagged handles", () => {
  it("TCP and UDP handles are positive and carry their kind; a handle of one kind is -EBADF to the other's calls", () => {
    const { s } = harness();
    const x = s.exports;
    const t = x.tcpOpen();
    const u = s.udpOpen();
    expect(t).toBeGreaterThan(0);
    expect(u).toBeGreaterThan(0);
    expect(handleKind(t)).toBe(HandleKind.TCP);
    expect(handleKind(u)).toBe(HandleKind.UDP);
    expect(t & 0xffff).toBe(u & 0xffff); // slot 0 of each pool: the kinds keep them apart
    expect(t).not.toBe(u);
    const io = x.ioBuffer();
    expect(x.tcpRead(u, io, 16)).toBe(EBADF);
    expect(x.tcpWrite(u, io, 16)).toBe(EBADF);
    expect(x.tcpClose(u)).toBe(EBADF);
    expect(x.tcpState(u)).toBe(EBADF);
    expect(s.udpBind(t, 0)).toBe(EBADF);
    expect(x.udpRecvFrom(t, io, 16, io + 64)).toBe(EBADF);
    expect(s.udpClose(t)).toBe(EBADF);
    expect(s.udpClose(u)).toBe(0);
    expect(x.tcpClose(t)).toBe(0);
  });

  it("a closed UDP handle is stale (-EBADF) even after its slot is reused; negative and malformed handles are -EBADF", () => {
    const { s } = harness();
    const u1 = s.udpOpen();
    expect(s.udpClose(u1)).toBe(0);
    expect(s.udpClose(u1)).toBe(EBADF);
    const u2 = s.udpOpen();
    expect(u2 & 0xffff).toBe(u1 & 0xffff);
    expect(u2).not.toBe(u1);
    expect(s.udpBind(u1, 0)).toBe(EBADF);
    expect(s.udpInfo(u1)).toBeNull();
    for (const h of [0, -1, -3, u2 | (1 << 31), (u2 & ~(7 << 28)) | (3 << 28)]) expect(s.udpBind(h, 0)).toBe(EBADF);
    expect(s.udpBind(u2, 7)).toBe(7);
  });

  it("the UDP pool is sized by Cfg.UdpSockets: -ENOMEM when full; UdpSockets 0 leaves UDP out", () => {
    const { s } = harness({ config: { UdpSockets: 2 } });
    expect(s.udpOpen()).toBeGreaterThan(0);
    expect(s.udpOpen()).toBeGreaterThan(0);
    expect(s.udpOpen()).toBe(ENOMEM);
    const none = harness({ config: { UdpSockets: 0 } });
    expect(none.s.udpOpen()).toBe(ENOMEM);
    expect(none.s.exports.tcpOpen()).toBeGreaterThan(0);
  });
});

describe("UDP sockets (RFC 768)", () => {
  it("bind: an explicit port, -EADDRINUSE for a port taken, -EINVAL for a second bind or out of range; TCP's port space is separate", () => {
    const { s } = harness();
    const a = s.udpOpen(), b = s.udpOpen();
    expect(s.udpBind(a, 5353)).toBe(5353);
    expect(s.udpBind(b, 5353)).toBe(EADDRINUSE);
    expect(s.udpBind(a, 5354)).toBe(EINVAL);
    expect(s.udpBind(b, 65536)).toBe(EINVAL);
    expect(s.udpBind(b, -1)).toBe(EINVAL);
    const t = s.exports.tcpOpen();
    expect(s.exports.tcpBind(t, 5353)).toBe(0);
    expect(s.udpInfo(a)?.localPort).toBe(5353);
  });

  it("RFC 6056 §3.3.1: port 0 binds a random free ephemeral port in 49152-65535, different across sockets and seeds", () => {
    const ports: number[] = [];
    for (const seed of [1, 2, 3]) {
      const { s } = harness({ seed });
      const h = [s.udpOpen(), s.udpOpen(), s.udpOpen()];
      for (const x of h) {
        const p = s.udpBind(x, 0);
        expect(p).toBeGreaterThanOrEqual(49152);
        expect(p).toBeLessThanOrEqual(65535);
        ports.push(p);
      }
    }
    expect(new Set(ports).size).toBe(ports.length);
    // not a sequential allocator: the ports of one stack are not neighbours
    expect(Math.abs(ports[1] - ports[0])).toBeGreaterThan(1);
  });

  it("RFC 768: a datagram round trip between two stacks carries the source address and port; Readable is raised on the UDP handle", () => {
    const { sim, a, b } = pair();
    const ev: [number, number, number][] = [];
    b.onEvents((h, k, arg) => ev.push([h, k, arg]));
    const ha = a.udpOpen(), hb = b.udpOpen();
    expect(b.udpBind(hb, 7000)).toBe(7000);
    const payload = new TextEncoder().encode("hello, datagram");
    expect(a.udpSendTo(ha, "198.51.100.2", 7000, payload)).toBe(payload.length);
    const aport = a.udpInfo(ha)!.localPort; // bound on first send
    expect(aport).toBeGreaterThanOrEqual(49152);
    expect(sim.runUntil(() => b.udpInfo(hb)!.recvDatagrams === 1, 100)).toBe(true);
    expect(ev).toContainEqual([hb, READABLE, payload.length]);
    const r = dg(b.udpRecvFrom(hb));
    expect(new TextDecoder().decode(r.data)).toBe("hello, datagram");
    expect([r.address, r.port, r.size]).toEqual(["198.51.100.1", aport, payload.length]);
    expect(b.udpRecvFrom(hb)).toBe(EAGAIN);
    // and the answer back to the source
    expect(b.udpSendTo(hb, r.address, r.port, new Uint8Array([1, 2, 3]))).toBe(3);
    expect(sim.runUntil(() => a.udpInfo(ha)!.recvDatagrams === 1, 100)).toBe(true);
    const back = dg(a.udpRecvFrom(ha));
    expect([...back.data]).toEqual([1, 2, 3]);
    expect([back.address, back.port]).toEqual(["198.51.100.2", 7000]);
    expect(a.stat("udp_tx")).toBe(1);
    expect(b.stat("udp_tx")).toBe(1);
    expect(a.stat("udp_no_port") + b.stat("udp_no_port")).toBe(0);
  });

  it("the mcu build runs the same round trip, and zero-length datagrams are delivered (RFC 768: length 8 is legal)", () => {
    const { sim, a, b } = pair("mcu");
    const ha = a.udpOpen(), hb = b.udpOpen();
    b.udpBind(hb, 9);
    expect(a.udpSendTo(ha, "198.51.100.2", 9, new Uint8Array(0))).toBe(0);
    expect(a.udpSendTo(ha, "198.51.100.2", 9, new Uint8Array(1000).fill(7))).toBe(1000);
    expect(sim.runUntil(() => b.udpInfo(hb)!.recvDatagrams === 2, 100)).toBe(true);
    expect(dg(b.udpRecvFrom(hb)).size).toBe(0);
    const big = dg(b.udpRecvFrom(hb));
    expect(big.data.length).toBe(1000);
    expect(big.data.every((x) => x === 7)).toBe(true);
  });

  it("RFC 768: datagrams we send carry a correct checksum over the pseudo-header", () => {
    const { h, u } = boundSocket(4444);
    for (const n of [0, 1, 2, 3, 17, 100]) {
      expect(h.s.udpSendTo(u, PEER, 5555, new Uint8Array(n).map((_, i) => i * 37))).toBe(n);
    }
    const out = h.take();
    expect(out).toHaveLength(6);
    for (const f of out) {
      expect([f.proto, f.srcPort, f.dstPort, f.dst]).toEqual(["UDP", 4444, 5555, PEER]);
      expect(f.l4SumOk).toBe(true);
    }
  });

  it("connect fixes the peer: only its datagrams are delivered, others get port unreachable; sendTo(0, 0) goes to the peer", () => {
    const { h, u, bound } = boundSocket(6000);
    expect(bound).toBe(6000);
    expect(h.s.udpConnect(u, PEER, 53)).toBe(0);
    expect(h.s.udpInfo(u)).toMatchObject({ localPort: 6000, remotePort: 53 });
    h.rx(dgramFrom(54, 6000, [1]));                         // wrong port
    h.rx(dgramFrom(53, 6000, [2], {}, "198.51.100.3"));     // wrong address
    h.rx(dgramFrom(53, 6000, [3]));                         // the peer
    expect(h.s.udpInfo(u)!.recvDatagrams).toBe(1);
    expect([...dg(h.s.udpRecvFrom(u)).data]).toEqual([3]);
    expect(h.stat("udp_no_port")).toBe(2);
    expect(h.s.udpSendTo(u, null, 0, new Uint8Array([9]))).toBe(1);
    expect(h.s.udpSendTo(u, PEER, 99, new Uint8Array([9]))).toBe(EISCONN);
    const sent = h.take().filter((f) => f.proto === "UDP");
    expect(sent.map((f) => [f.dst, f.srcPort, f.dstPort])).toEqual([[PEER, 6000, 53]]);
    // dissolving the association accepts everyone again
    expect(h.s.udpConnect(u, null, 0)).toBe(0);
    expect(h.s.udpSendTo(u, null, 0, new Uint8Array([9]))).toBe(ENOTCONN);
    h.rx(dgramFrom(54, 6000, [4]));
    expect(h.s.udpInfo(u)!.recvDatagrams).toBe(1);
  });

  it("connect on an unbound socket binds an ephemeral port; -EINVAL for port 0, address 0, broadcast or multicast peers", () => {
    const { s } = harness();
    const u = s.udpOpen();
    expect(s.udpConnect(u, PEER, 0)).toBe(EINVAL);
    expect(s.exports.udpConnect(u, 0, 53)).toBe(EINVAL);
    expect(s.udpConnect(u, "255.255.255.255", 53)).toBe(EINVAL);
    expect(s.udpConnect(u, "224.0.0.251", 5353)).toBe(EINVAL);
    expect(s.udpInfo(u)!.localPort).toBe(0);
    expect(s.udpConnect(u, PEER, 53)).toBe(0);
    expect(s.udpInfo(u)!.localPort).toBeGreaterThanOrEqual(49152);
  });

  it("a full queue drops the datagram and counts udp_queue_full (no port unreachable); reading makes room again", () => {
    const h = harness({ config: { UdpQueueBytes: 64 } });
    h.rx(arpReply(PEER, PEER_MAC));
    h.take();
    const u = h.s.udpOpen();
    h.s.udpBind(u, 7);
    const d = (k: number) => dgramFrom(1000, 7, new Array(20).fill(k)); // 28-byte records
    h.rx(d(1)); h.rx(d(2)); h.rx(d(3));
    expect(h.s.udpInfo(u)).toMatchObject({ recvQueued: 56, recvDatagrams: 2, drops: 1 });
    expect(h.stat("udp_queue_full")).toBe(1);
    expect(h.stat("udp_no_port")).toBe(0);
    expect(h.take()).toHaveLength(0);
    expect(dg(h.s.udpRecvFrom(u)).data[0]).toBe(1);
    h.rx(d(4)); // wraps around the end of the ring
    expect(dg(h.s.udpRecvFrom(u)).data[0]).toBe(2);
    const w = dg(h.s.udpRecvFrom(u));
    expect([...w.data]).toEqual(new Array(20).fill(4));
    expect([w.address, w.port]).toEqual([PEER, 1000]);
    // a datagram bigger than the whole queue is dropped the same way
    h.rx(dgramFrom(1000, 7, new Array(60).fill(5)));
    expect(h.stat("udp_queue_full")).toBe(2);
  });

  it("truncation: a datagram longer than the buffer gives its first bytes, its full size in out[2], and the rest is discarded", () => {
    const h = harness();
    const u = h.s.udpOpen();
    h.s.udpBind(u, 7);
    h.rx(dgramFrom(1, 7, [1, 2, 3, 4, 5, 6]));
    h.rx(dgramFrom(1, 7, [7, 8]));
    const r = dg(h.s.udpRecvFrom(u, 4));
    expect([...r.data]).toEqual([1, 2, 3, 4]);
    expect(r.size).toBe(6);
    expect([...dg(h.s.udpRecvFrom(u, 4)).data]).toEqual([7, 8]);
  });

  it("RFC 768: checksum 0 (none) is accepted on receive", () => {
    const h = harness();
    const u = h.s.udpOpen();
    h.s.udpBind(u, 7);
    h.rx(dgramFrom(1, 7, [1, 2, 3], { checksum: "none" }));
    expect([...dg(h.s.udpRecvFrom(u)).data]).toEqual([1, 2, 3]);
    expect(h.stat("udp_bad_checksum")).toBe(0);
  });

  it("RFC 768 / RFC 1122 §4.1.3.4: a bad checksum is dropped and counted, never delivered nor answered", () => {
    const { h, u } = boundSocket(7);
    h.rx(dgramFrom(1, 7, [1, 2, 3], { checksum: "bad" }));
    h.rx(dgramFrom(1, 8, [1, 2, 3], { checksum: "bad" }));
    expect(h.s.udpRecvFrom(u)).toBe(EAGAIN);
    expect(h.stat("udp_bad_checksum")).toBe(2);
    expect(h.stat("udp_no_port")).toBe(0);
    expect(h.take()).toHaveLength(0);
  });

  it("RFC 1122 §4.1.3.1: port unreachable is still sent when nothing is bound to the port (and after a close)", () => {
    const { h, u } = boundSocket(7);
    h.rx(dgramFrom(1, 8, [1]));
    h.s.udpClose(u);
    h.rx(dgramFrom(1, 7, [1]));
    const out = h.take();
    expect(out.map((f) => [f.proto, f.icmpType, f.icmpCode])).toEqual([["ICMP", 3, 3], ["ICMP", 3, 3]]);
    expect(out[0].l4SumOk).toBe(true);
    expect(h.stat("udp_no_port")).toBe(2);
  });

  it("broadcast datagrams are not delivered yet (no sockets for them) and never answered (RFC 1122 §3.2.2)", () => {
    const h = harness();
    const u = h.s.udpOpen();
    h.s.udpBind(u, 67);
    h.take();
    h.rx(eth(MAC_BCAST, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: "198.51.100.255", proto: 17 }, udp(PEER, "198.51.100.255", 68, 67, [1]))));
    expect(h.s.udpInfo(u)!.recvDatagrams).toBe(0);
    expect(h.take()).toHaveLength(0);
  });

  it("RFC 791 / RFC 1122 §3.3.1: with FragMaxBytes 0 (no fragmentation), -EMSGSIZE past MTU - 28 bytes; exactly MTU - 28 is sent", () => {
    const h = harness({ mtu: 576, config: { FragMaxBytes: 0 } });
    h.rx(arpReply(PEER, PEER_MAC));
    h.take();
    const u = h.s.udpOpen();
    expect(h.s.udpSendTo(u, PEER, 9, new Uint8Array(549))).toBe(EMSGSIZE);
    expect(h.s.udpSendTo(u, PEER, 9, new Uint8Array(548))).toBe(548);
    const [f] = h.take();
    expect(f.raw.length).toBe(14 + 576);
    expect(f.l4SumOk).toBe(true);
  });

  it("sendTo: -EINVAL for port 0, address 0, broadcast; -ENOTCONN with no peer; -EHOSTUNREACH off-link without a gateway", () => {
    const { s } = harness();
    const u = s.udpOpen();
    const one = new Uint8Array(1);
    expect(s.udpSendTo(u, PEER, 0, one)).toBe(EINVAL);
    expect(s.udpSendTo(u, "255.255.255.255", 9, one)).toBe(-Err.EACCES); // no Broadcast option (test/udp-multicast.test.ts)
    expect(s.udpSendTo(u, null, 0, one)).toBe(ENOTCONN);
    expect(s.udpSendTo(u, "203.0.113.9", 9, one)).toBe(-14);
  });

  it("pointer bounds: udpSendTo, udpRecvFrom and udpInfo give -EINVAL for ranges outside linear memory or negative lengths", () => {
    const h = harness();
    const x = h.s.exports;
    const u = h.s.udpOpen();
    h.s.udpBind(u, 7);
    h.rx(dgramFrom(1, 7, [1]));
    const end = h.s.memory.buffer.byteLength;
    const io = x.ioBuffer();
    expect(x.udpSendTo(u, 0xc6336402, 9, end - 4, 8)).toBe(EINVAL);
    expect(x.udpSendTo(u, 0xc6336402, 9, io, -1)).toBe(EINVAL);
    expect(x.udpSendTo(u, 0xc6336402, 9, 0xfffffff0, 0x20)).toBe(EINVAL);
    expect(x.udpRecvFrom(u, end - 4, 8, io)).toBe(EINVAL);
    expect(x.udpRecvFrom(u, io, -1, io + 64)).toBe(EINVAL);
    expect(x.udpRecvFrom(u, io, 16, end - 8)).toBe(EINVAL);
    expect(x.udpInfo(u, end - 16)).toBe(EINVAL);
    expect(h.s.udpInfo(u)!.recvDatagrams).toBe(1); // nothing was consumed by the refused calls
    expect(x.udpRecvFrom(u, io, 16, end - 12)).toBe(1);
  });

  it.each(["node", "mcu"] as const)("random call sequences with random arguments never trap (fast-check, %s build); queues stay within UdpQueueBytes", async (build) => {
    const fc = (await import("fast-check")).default;
    const { sim, a, b } = pair(build, { UdpSockets: 4, UdpQueueBytes: 300 });
    const handles: number[] = [a.exports.tcpOpen()];
    b.udpBind(b.udpOpen(), 1); // listeners the sequences do not know the handles of
    a.udpBind(a.udpOpen(), 2);
    const stacks = [a, b];
    const mem = () => a.memory.buffer.byteLength;
    const arb = fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer(), fc.integer(), fc.nat(20)), { maxLength: 50 });
    fc.assert(fc.property(arb, (ops) => {
      for (const [op, x, y, wait] of ops) {
        const h = handles.length && (x & 1) ? handles[Math.abs(x) % handles.length] : x;
        const s = stacks[y & 1];
        const x8 = s.exports;
        const ptr = Math.abs(y) % (mem() + 100);
        const peer = (y & 2) ? 0xc6336402 : (x & 4) ? 0xc6336401 : y;
        switch (op) {
          case 0: { const r = s.udpOpen(); if (r > 0) handles.push(r); break; }
          case 1: x8.udpBind(h, (x & 8) ? 0 : (x & 16) ? 1 + (y & 3) : y & 0x1ffff); break;
          case 2: x8.udpConnect(h, peer, (x & 2) ? 0 : (y >>> 3) & 0x1ffff); break;
          case 3: x8.udpSendTo(h, peer, (x >>> 4) & 0xf, ptr, y % 2000); break;
          case 4: x8.udpRecvFrom(h, ptr, y % 2000, Math.abs(x) % (mem() + 100)); break;
          case 5: x8.udpClose(h); break;
          case 6: x8.udpInfo(h, ptr); break;
          case 7: x8.udpSendTo(h, (y & 1) ? 0xc6336401 : 0xc6336402, (y & 1) ? 2 : 1, x8.ioBuffer(), Math.abs(x) % 600); break; // to the other stack
          default: sim.runFor(wait);
        }
      }
      sim.runFor(10);
      for (const st of stacks) for (const hh of handles) {
        const i = st.udpInfo(hh);
        if (i) expect(i.recvQueued).toBeLessThanOrEqual(300);
      }
      return true;
    }), { numRuns: 150 });
    expect(a.stat("udp_tx") + b.stat("udp_tx")).toBeGreaterThan(0);
    expect(a.stat("udp_rx") + b.stat("udp_rx")).toBeGreaterThan(a.stat("udp_no_port") + b.stat("udp_no_port")); // some were delivered
  });

  it("before init: udpOpen is -ESTATE", () => {
    const s = new Stack({ build: "testing", init: false, seed: 1 });
    expect(s.exports.udpOpen()).toBe(-15);
  });
});
