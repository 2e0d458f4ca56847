// TCP and UDP over IPv6 end to end (issue 10): two stacks (both testing builds: the scale build
// and the MCU scan build) on the emulated link with a virtual clock, talking over link-local and
// global addresses; the 16-byte-address exports (tcpConnect6, tcpAddrs, udpSendTo6,
// udpRecvFrom6, udpConnect6); RFC 8200 §8.1's pseudo-header and mandatory UDP checksum; RFC 8201
// Packet Too Big lowering a connection's MSS.
import { describe, expect, it } from "vitest";
import { bytesToIp6, ip6ToBytes } from "../src/stack.js";
import { Err, Ev, Net, S, bytes, type Host } from "./helpers/tcp-harness.js";
import { frame6, icmp6, u32be } from "./ipv6-wire.js";

const BUILDS = [["node", "build/testing.wasm"], ["mcu", "build/testing.mcu.wasm"]] as const;
/** EUI-64 identifiers (Ip6Flags bit 0), no router solicitations (bit 2). */
const FLAGS = 1 | 4;
const LL_A = "fe80::ff:fe00:1", LL_B = "fe80::ff:fe00:2";
const MAC_A = "02:00:00:00:00:01", MAC_B = "02:00:00:00:00:02";

/** Two IPv6-enabled stacks (A .1, B .2; DAD off so addresses are usable at once), optionally with global addresses. */
async function pair6(build: string, cfg: Record<string, number> = {}, global = false) {
  const net = new Net();
  const c = { Ip6Enable: 1, Ip6Flags: FLAGS, Ip6DadTransmits: 0, ...cfg };
  const a = await net.host({ ip: "198.51.100.1", cfg: c, build });
  const b = await net.host({ ip: "198.51.100.2", cfg: c, build });
  if (global) {
    expect(a.stack.ip6AddrAdd("2001:db8::1/64")).toBeGreaterThanOrEqual(0);
    expect(b.stack.ip6AddrAdd("2001:db8::2/64")).toBeGreaterThanOrEqual(0);
  }
  net.run(50);
  expect(a.stack.ip6Addresses().map((x) => x.address)).toContain(LL_A);
  net.log = [];
  return { net, a, b };
}

/** 16 bytes of an address; "::ffff:a.b.c.d" IPv4-mapped (RFC 4291 §2.5.5.2). */
function addr16(addr: string): Uint8Array {
  const m = /^::ffff:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
  return m ? Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...m.slice(1).map(Number)]) : ip6ToBytes(addr);
}
const MAPPED_B = bytesToIp6(addr16("::ffff:198.51.100.2"));
const io = (h: Host, addr: string) => h.stack.putIo(addr16(addr));

function connect6(h: Host, addr: string, port: number): number {
  const c = h.open();
  expect(h.x.tcpConnect6(c, io(h, addr), port)).toBe(0);
  h.poll();
  return c;
}

/** tcpAddrs: [local, remote]. */
function addrs(h: Host, s: number): [string, string] {
  const out = h.stack.putIo(new Uint8Array(32));
  expect(h.x.tcpAddrs(s, out)).toBe(0);
  const m = new Uint8Array(h.x.memory.buffer, out, 32);
  return [bytesToIp6(m, 0), bytesToIp6(m, 16)];
}

function listen(h: Host, port: number): number {
  const l = h.open();
  expect(h.bind(l, port)).toBe(0);
  expect(h.listen(l, 4)).toBe(0);
  return l;
}

/** An IPv6 TCP frame (EtherType 0x86DD, next header 6 with no extension headers): its TCP flags, else -1. */
function tcp6Flags(f: Uint8Array): number {
  return f[12] === 0x86 && f[13] === 0xdd && f[20] === 6 ? f[54 + 13] : -1;
}

function udpRecv6(h: Host, s: number): { data: Uint8Array; from: string; port: number; size: number } | number {
  const out = h.stack.putIo(new Uint8Array(24));
  const buf = out + 64;
  const r = h.x.udpRecvFrom6(s, buf, 2048, out);
  if (r < 0) return r;
  const m = new Uint8Array(h.x.memory.buffer);
  const dv = new DataView(h.x.memory.buffer);
  return { data: m.slice(buf, buf + r), from: bytesToIp6(m, out), port: dv.getUint32(out + 16, true), size: dv.getUint32(out + 20, true) };
}

function udpSend6(h: Host, s: number, addr: string, port: number, data: Uint8Array): number {
  const a = io(h, addr);
  const p = a + 64;
  new Uint8Array(h.x.memory.buffer, p, data.length).set(data);
  const r = h.x.udpSendTo6(s, a, port, p, data.length);
  h.poll();
  return r;
}

/** A TCP segment over IPv6 with its RFC 8200 §8.1 checksum (20-byte header, no options). */
function tcp6(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number): number[] {
  const seg = [sport >> 8, sport & 255, dport >> 8, dport & 255, ...u32be(seq >>> 0), ...u32be(ack >>> 0), 0x50, flags, 0xff, 0xff, 0, 0, 0, 0];
  const b = [...ip6ToBytes(src), ...ip6ToBytes(dst), ...u32be(seg.length), 0, 0, 0, 6, ...seg];
  let x = 0;
  for (let i = 0; i < b.length; i += 2) x += (b[i] << 8) | b[i + 1];
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  const c = ~x & 0xffff;
  seg[16] = c >> 8; seg[17] = c & 255;
  return seg;
}

describe.each(BUILDS)("TCP over IPv6 between two stacks (%s build)", (_name, build) => {
  it("RFC 5961 §3.2 over IPv6: an in-window RST that is not exactly RCV.NXT draws a challenge ACK and the connection stays; the exact one resets it", async () => {
    const { net, a, b } = await pair6(build);
    const l = listen(b, 80);
    const c = connect6(a, LL_B, 80);
    net.run(20);
    const s = b.accept(l);
    const rport = b.info(s).localPort;
    const aport = a.info(c).localPort;
    const nxt = a.info(c).rcvNxt;
    const before = a.stat("tcp_challenge_ack");
    net.schedule(a, frame6(MAC_B, MAC_A, { src: LL_B, dst: LL_A, nh: 6, hops: 64 }, tcp6(LL_B, LL_A, rport, aport, nxt + 100, 0, 0x04)));
    net.run(5);
    expect(a.stat("tcp_challenge_ack")).toBe(before + 1);
    expect(a.state(c)).toBe(S.ESTABLISHED);
    net.schedule(a, frame6(MAC_B, MAC_A, { src: LL_B, dst: LL_A, nh: 6, hops: 64 }, tcp6(LL_B, LL_A, rport, aport, nxt, 0, 0x04)));
    net.run(5);
    expect(a.hasEvent(c, Ev.Reset, Err.ECONNRESET)).toBe(true);
  });

  it("RFC 5461 §4 / RFC 4443 §3.1 over IPv6: port unreachable quoting our SYN refuses the connection (ECONNREFUSED); one quoting an unknown connection is rejected (RFC 5927 §4.1)", async () => {
    const { net, a } = await pair6(build);
    let syn: Uint8Array | null = null;
    net.hook = (f, from) => { if (from === a && tcp6Flags(f) === 0x02) { syn = f; return "drop"; } return undefined; };
    const c = connect6(a, LL_B, 80);
    net.run(5);
    expect(syn).not.toBeNull();
    const quote = Array.from(syn!.subarray(14));
    const bad = quote.slice(); bad[40] ^= 1; // another source port: no such connection
    const rejected = a.stat("tcp_icmp_rejected");
    net.schedule(a, frame6(MAC_B, MAC_A, { src: LL_B, dst: LL_A, nh: 58, hops: 64 }, icmp6(LL_B, LL_A, 1, 4, [0, 0, 0, 0, ...bad])));
    net.run(2);
    expect(a.stat("tcp_icmp_rejected")).toBe(rejected + 1);
    expect(a.state(c)).toBe(S.SYN_SENT);
    net.schedule(a, frame6(MAC_B, MAC_A, { src: LL_B, dst: LL_A, nh: 58, hops: 64 }, icmp6(LL_B, LL_A, 1, 4, [0, 0, 0, 0, ...quote])));
    net.run(2);
    expect(a.hasEvent(c, Ev.Error, Err.ECONNREFUSED)).toBe(true);
  });

  it("RFC 9293 §3.5 over RFC 8200 §8.1, link-local: handshake, data both ways, half-close, TIME-WAIT at the active closer; MSS = MTU - 60 (RFC 8200 §8.3)", async () => {
    const { net, a, b } = await pair6(build);
    const l = listen(b, 80);
    const c = connect6(a, LL_B, 80);
    net.run(20);
    expect(a.state(c)).toBe(S.ESTABLISHED);
    const s = b.accept(l);
    expect(s).toBeGreaterThan(0);
    // RFC 6724 §5 rule 2: a link-local destination gets our link-local source
    expect(addrs(a, c)).toEqual([LL_A, LL_B]);
    expect(addrs(b, s)).toEqual([LL_B, LL_A]);
    expect(a.info(c).mss).toBe(1440);
    expect(a.info(c).remoteIp).toBe(0); // the IPv4 field: 0 for an IPv6 peer
    const up = bytes(5000, 1), down = bytes(3000, 2);
    expect(a.write(c, up)).toBe(5000);
    net.run(300);
    expect(Buffer.from(b.drain(s))).toEqual(Buffer.from(up));
    expect(b.write(s, down)).toBe(3000);
    net.run(300);
    expect(Buffer.from(a.drain(c))).toEqual(Buffer.from(down));
    // half-close (RFC 9293 §3.10.4): A's FIN; B reads EOF and may still send
    expect(a.shutdown(c)).toBe(0);
    net.run(20);
    expect(b.read(s)).toBe(0);
    expect(b.state(s)).toBe(S.CLOSE_WAIT);
    expect(b.write(s, bytes(100, 3))).toBe(100);
    net.run(20);
    expect(a.drain(c).length).toBe(100);
    expect(b.close(s)).toBe(0);
    net.run(20);
    expect(a.read(c)).toBe(0);
    expect(a.state(c)).toBe(S.TIME_WAIT);
    // every segment on the wire was IPv6 with a valid checksum (the peer accepted them all)
    expect(b.stat("tcp_bad_checksum") + a.stat("tcp_bad_checksum")).toBe(0);
    expect(net.log.every((x) => x.frame[12] === 0x86 || x.frame[12] === 0x08)).toBe(true);
    a.close(c);
    // RFC 9293 §3.10.7.4: the 4-tuple stays in TIME-WAIT (a compact entry), then it is released
    const tw = a.stack.putIo(new Uint8Array(64));
    expect(a.x.tcpTimeWaitList(tw, 4)).toBe(1);
    net.run(4 * 60_000);
    expect(a.x.tcpTimeWaitList(tw, 4)).toBe(0);
  });

  it("RFC 6724 §5 rule 8: towards a global destination the global address is the source; a refused port is ECONNREFUSED (RFC 9293 §3.10.7.1 RST)", async () => {
    const { net, a, b } = await pair6(build, {}, true);
    const l = listen(b, 443);
    const c = connect6(a, "2001:db8::2", 443);
    net.run(20);
    expect(a.state(c)).toBe(S.ESTABLISHED);
    const s = b.accept(l);
    expect(addrs(a, c)).toEqual(["2001:db8::1", "2001:db8::2"]);
    expect(addrs(b, s)).toEqual(["2001:db8::2", "2001:db8::1"]);
    expect(a.write(c, bytes(2000))).toBe(2000);
    net.run(300);
    expect(b.drain(s).length).toBe(2000);
    const r = connect6(a, "2001:db8::2", 444);
    net.run(20);
    expect(a.hasEvent(r, Ev.Error, Err.ECONNREFUSED)).toBe(true);
    expect(b.stat("tcp_rst_tx")).toBeGreaterThan(0);
  });

  it("RFC 4987 §3.6 over IPv6: with the SYN backlog full the listener answers with a cookie and the ACK completes the connection", async () => {
    const { net: n2, a: a2, b: b2 } = await pair6(build, { SynBacklog: 1 });
    const l = listen(b2, 80);
    let dropped = 0;
    n2.hook = (f, from) => (from === b2 && tcp6Flags(f) === 0x12 && dropped++ === 0 ? "drop" : undefined);
    const c1 = connect6(a2, LL_B, 80); // its SYN-ACK is lost: half-open at B, the backlog full
    n2.run(5);
    const before = b2.stat("tcp_syn_cookies_tx");
    const c2 = connect6(a2, LL_B, 80);
    n2.run(10);
    expect(b2.stat("tcp_syn_cookies_tx")).toBe(before + 1);
    expect(b2.stat("tcp_syn_cookies_ok")).toBe(1);
    expect(a2.state(c2)).toBe(S.ESTABLISHED);
    const s = b2.accept(l);
    expect(s).toBeGreaterThan(0);
    expect(addrs(b2, s)[1]).toBe(LL_A);
    expect(a2.write(c2, bytes(3000))).toBe(3000);
    n2.run(300);
    expect(b2.drain(s).length).toBe(3000);
    void c1;
  });

  it("RFC 8201 §4 / §5.2: a Packet Too Big for our segment records the path MTU and lowers the connection's MSS to MTU - 60; the data goes again in smaller segments", async () => {
    const { net, a, b } = await pair6(build, { SndBuf: 16384 }, true);
    const l = listen(b, 80);
    const c = connect6(a, "2001:db8::2", 80);
    net.run(20);
    const s = b.accept(l);
    expect(a.info(c).mss).toBe(1440);
    // the link "loses" every data segment over 1280 bytes and a router answers Packet Too Big
    const ptbs: Uint8Array[] = [];
    net.hook = (f, from) => {
      if (from !== a || tcp6Flags(f) < 0 || f.length - 14 <= 1280) return undefined;
      const quote = Array.from(f.subarray(14, 14 + 1232)); // RFC 4443 §3.2: as much as fits in 1280
      ptbs.push(f);
      net.schedule(a, frame6(MAC_B, MAC_A, { src: "2001:db8::2", dst: "2001:db8::1", nh: 58, hops: 64 },
        icmp6("2001:db8::2", "2001:db8::1", 2, 0, [...u32be(1280), ...quote])));
      return "drop";
    };
    const data = bytes(8000, 7);
    expect(a.write(c, data)).toBe(8000);
    net.run(100);
    expect(ptbs.length).toBeGreaterThan(0);
    expect(a.stat("tcp_pmtu_lowered")).toBe(1);
    expect(a.info(c).mss).toBe(1220);
    expect(a.stack.ip6PathMtu("2001:db8::2")).toBe(1280);
    net.run(3000);
    expect(Buffer.from(b.drain(s))).toEqual(Buffer.from(data));
    // a Packet Too Big quoting something that is not our segment in flight changes nothing (RFC 5927 §4.1)
    const before = a.stat("tcp_icmp_rejected");
    net.schedule(a, frame6(MAC_B, MAC_A, { src: "2001:db8::2", dst: "2001:db8::1", nh: 58, hops: 64 },
      icmp6("2001:db8::2", "2001:db8::1", 2, 0, [...u32be(1280), ...Array.from(ptbs[0].subarray(14, 14 + 200))])));
    net.run(5);
    expect(a.stat("tcp_icmp_rejected")).toBe(before + 1);
  });
});

describe.each(BUILDS)("UDP over IPv6 between two stacks (%s build)", (_name, build) => {
  it("RFC 768 over RFC 8200 §8.1: datagrams both ways, the 16-byte source reported; a dual-stack socket takes IPv4 too; UdpOpt.Family 4 refuses IPv6", async () => {
    const { net, a, b } = await pair6(build, {}, true);
    const sa = a.x.udpOpen(), sb = b.x.udpOpen();
    expect(a.x.udpBind(sa, 5000)).toBe(5000);
    expect(b.x.udpBind(sb, 6000)).toBe(6000);
    expect(udpSend6(b, sb, "2001:db8::1", 5000, bytes(300, 1))).toBe(300);
    net.run(10);
    const r = udpRecv6(a, sa);
    expect(r).toMatchObject({ from: "2001:db8::2", port: 6000, size: 300 });
    expect(Buffer.from((r as { data: Uint8Array }).data)).toEqual(Buffer.from(bytes(300, 1)));
    expect(udpSend6(a, sa, "2001:db8::2", 6000, bytes(40, 2))).toBe(40);
    net.run(10);
    expect(udpRecv6(b, sb)).toMatchObject({ from: "2001:db8::1", port: 5000, size: 40 });
    // link-local both ways
    expect(udpSend6(a, sa, LL_B, 6000, bytes(10, 3))).toBe(10);
    net.run(10);
    expect(udpRecv6(b, sb)).toMatchObject({ from: LL_A, port: 5000, size: 10 });
    // an IPv4 datagram to the same socket: reported IPv4-mapped by udpRecvFrom6
    expect(udpSend6(b, sb, "::ffff:198.51.100.1", 5000, bytes(5, 4))).toBe(5);
    net.run(10);
    expect(udpRecv6(a, sa)).toMatchObject({ from: MAPPED_B, port: 6000, size: 5 });
    // an IPv4-only socket: IPv6 datagrams to its port are not delivered (port unreachable)
    expect(a.x.udpSetOption(sa, 3, 4)).toBe(0);
    expect(udpSend6(b, sb, "2001:db8::1", 5000, bytes(5, 5))).toBe(5);
    net.run(10);
    expect(udpRecv6(a, sa)).toBe(-Err.EAGAIN);
    expect(a.stat("ipv6_udp_no_port")).toBe(1);
    expect(a.stat("udp6_rx")).toBe(2); // the 300-byte datagram and the refused one (IPv4 is counted by udp_rx)
  });

  it("RFC 8200 §8.1: a zero UDP checksum over IPv6 is dropped and counted; a wrong one too", async () => {
    const { net, a, b } = await pair6(build);
    const sa = a.x.udpOpen();
    a.x.udpBind(sa, 5000);
    const sb = b.x.udpOpen();
    let mode = 0;
    net.hook = (f, from) => {
      if (from !== b || f[20] !== 17) return undefined;
      const g = f.slice();
      if (mode === 0) { g[60] = 0; g[61] = 0; } else g[61] ^= 0x55;
      return g;
    };
    expect(udpSend6(b, sb, LL_A, 5000, bytes(20))).toBe(20);
    net.run(10);
    expect(a.stat("udp6_zero_checksum")).toBe(1);
    expect(udpRecv6(a, sa)).toBe(-Err.EAGAIN);
    mode = 1;
    expect(udpSend6(b, sb, LL_A, 5000, bytes(20))).toBe(20);
    net.run(10);
    expect(a.stat("udp6_bad_checksum")).toBe(1);
    expect(udpRecv6(a, sa)).toBe(-Err.EAGAIN);
    net.hook = null;
    expect(udpSend6(b, sb, LL_A, 5000, bytes(20))).toBe(20);
    net.run(10);
    expect(udpRecv6(a, sa)).toMatchObject({ from: LL_B, size: 20 });
    // what we send never carries 0: RFC 8200 §8.1 (checked by the receiver's acceptance above)
  });

  it("RFC 4443 §3.1: a datagram to a port nobody is bound to is answered with port unreachable (code 4), which a connected sender sees as ECONNREFUSED; connected sockets only talk to their peer", async () => {
    const { net, a, b } = await pair6(build);
    const sb = b.x.udpOpen();
    expect(udpSend6(b, sb, LL_A, 7777, bytes(8))).toBe(8);
    net.run(10);
    expect(a.stat("ipv6_udp_no_port")).toBe(1);
    const icmps = net.log.filter((x) => x.from === a.name && x.frame[20] === 58 && x.frame[54] === 1);
    expect(icmps).toHaveLength(1);
    expect(icmps[0].frame[55]).toBe(4);
    // connected: only the peer's datagrams are delivered; send with :: and port 0 goes to the peer
    const sa = a.x.udpOpen();
    a.x.udpBind(sa, 5001);
    expect(a.x.udpConnect6(sa, io(a, LL_B), 9000)).toBe(0);
    const sb2 = b.x.udpOpen();
    b.x.udpBind(sb2, 9000);
    expect(udpSend6(b, sb, LL_A, 5001, bytes(4))).toBe(4); // wrong port: not delivered
    expect(udpSend6(b, sb2, LL_A, 5001, bytes(6))).toBe(6);
    net.run(10);
    expect(udpRecv6(a, sa)).toMatchObject({ from: LL_B, port: 9000, size: 6 });
    expect(udpRecv6(a, sa)).toBe(-Err.EAGAIN);
    expect(udpSend6(a, sa, "::", 0, bytes(3))).toBe(3);
    net.run(10);
    expect(udpRecv6(b, sb2)).toMatchObject({ from: LL_A, port: 5001, size: 3 });
    expect(udpSend6(a, sa, LL_B, 9000, bytes(3))).toBe(-Err.EISCONN);
    // RFC 4443 §3.1 back to the sender: a connected socket whose peer port is closed gets ECONNREFUSED once
    b.x.udpClose(sb2);
    expect(udpSend6(a, sa, "::", 0, bytes(3))).toBe(3);
    net.run(10);
    expect(a.hasEvent(sa, Ev.Error, Err.ECONNREFUSED)).toBe(true);
    expect(udpRecv6(a, sa)).toBe(-Err.ECONNREFUSED);
    expect(udpRecv6(a, sa)).toBe(-Err.EAGAIN);
    // over the path MTU - 48 goes in fragments (RFC 8200 §4.5: test/ipv6-udp-frag.test.ts)
    expect(udpSend6(b, sb, LL_A, 5001, bytes(1453))).toBe(1453);
    expect(udpSend6(b, sb, LL_A, 5001, bytes(1452))).toBe(1452);
  });
});
