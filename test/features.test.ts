// Build-time features (assembly/features.ts, docs/abi.md "Build-time features"): the seams-only MCU
// build (npm run asbuild:mcu-seams: --use WT_SNTP=0 WT_DNS=0 WT_DHCP=0 WT_IGMP=0 WT_FRAG=0) against
// the full MCU build. A left-out feature keeps its exports (a firmware links against either module),
// they return -ENOSYS, and what it would have received is dropped and counted; the rest still works.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Err } from "../src/abi.js";
import { harness, Harness, PEER, PEER_MAC, US } from "./iface-harness.js";
import { arp, eth, icmpEcho, ipv4, MAC_A, udp } from "./wire-build.js";
import { buildTcp, ip, SYN } from "./helpers/tcp-harness.js";

const FULL = "build/stack.mcu.wasm";
const SEAMS = "build/stack.mcu-seams.wasm";

function setup(wasmPath: string): Harness {
  const h = harness({ wasmPath, config: { UdpQueueBytes: 16384 } });
  h.rx(eth(MAC_A, PEER_MAC, 0x0806, arp(2, PEER_MAC, PEER, MAC_A, US)));
  h.take();
  return h;
}

/** A scratch address in linear memory for the info calls (the I/O buffer). */
const scratch = (h: Harness) => h.s.exports.ioBuffer();
const group = 0xe0010203; // 224.1.2.3

describe("build-time features: the seams-only MCU build", () => {
  it("exports exactly what the full MCU build exports (a firmware links against either)", () => {
    const names = (f: string) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(f))).map((e) => `${e.kind} ${e.name}`).sort();
    expect(names(SEAMS)).toEqual(names(FULL));
  });

  it("is smaller: the left-out protocols' code is compiled out", () => {
    expect(readFileSync(SEAMS).length).toBeLessThan(readFileSync(FULL).length - 8192);
  });

  for (const [file, left] of [[FULL, false], [SEAMS, true]] as const) {
    it(`${file}: DHCP, DNS, SNTP and multicast membership calls ${left ? "return -ENOSYS" : "are not -ENOSYS"}`, () => {
      const h = setup(file);
      const x = h.s.exports;
      const out = scratch(h);
      const name = new TextEncoder().encode("example.test");
      new Uint8Array(x.memory.buffer, out, name.length).set(name);
      const u = x.udpOpen();
      expect(u).toBeGreaterThan(0);
      expect(x.udpBind(u, 5000)).toBe(5000);
      const results = {
        dhcpInfo: x.dhcpInfo(out + 256),
        dhcpStart: x.dhcpStart(),
        dhcpStop: x.dhcpStop(0),
        dnsQuery: x.dnsQuery(out, name.length),
        sntpInfo: x.sntpInfo(out + 256),
        sntpStart: x.sntpStart(ip(PEER), 64),
        sntpStop: x.sntpStop(),
        udpJoinGroup: x.udpJoinGroup(u, group),
        udpLeaveGroup: x.udpLeaveGroup(u, group),
      };
      const enosys = Object.entries(results).filter(([, r]) => r === -Err.ENOSYS).map(([n]) => n);
      expect(enosys).toEqual(left ? Object.keys(results) : []);
      if (left) {
        expect(x.dnsResult(1, out, 4)).toBe(-Err.ENOSYS);
        expect(x.dnsCancel(1)).toBe(-Err.ENOSYS);
      }
    });

    it(`${file}: an IPv4 datagram in fragments ${left ? "is dropped (ipv4_frag_no_reasm) and a UDP datagram over the MTU is -EMSGSIZE" : "is reassembled and delivered"}`, () => {
      const h = setup(file);
      const u = h.s.udpOpen();
      expect(h.s.udpBind(u, 7000)).toBe(7000);
      const data = Array.from({ length: 2000 }, (_, i) => i & 255);
      const whole = udp(PEER, US, 4000, 7000, data);
      for (const [off, len, mf] of [[0, 1480, true], [1480, whole.length - 1480, false]] as const) {
        h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 17, id: 9, frag: (mf ? 0x2000 : 0) | (off >> 3) }, whole.slice(off, off + len))));
      }
      expect(h.stat("ipv4_frag_rx")).toBe(2);
      expect(h.stat("ipv4_frag_no_reasm")).toBe(left ? 2 : 0);
      expect(h.stat("ipv4_reasm_ok")).toBe(left ? 0 : 1);
      const got = h.s.udpRecvFrom(u);
      expect(typeof got === "number" ? got : got.data.length).toBe(left ? -Err.EAGAIN : 2000);
      const sent = h.s.udpSendTo(u, PEER, 4000, new Uint8Array(3000));
      expect(sent).toBe(left ? -Err.EMSGSIZE : 3000);
      expect(h.stat("ipv4_frag_tx")).toBe(left ? 0 : 3);
    });

    it(`${file}: an IGMP query ${left ? "is an unknown protocol (never answered)" : "is counted by IGMP"}`, () => {
      const h = setup(file);
      const query = [0x11, 100, 0, 0, 0, 0, 0, 0];
      const c = (~query.reduce((s, b, i) => s + (i & 1 ? b : b << 8), 0)) & 0xffff; // RFC 1071 over 8 bytes (no carry at this size)
      query[2] = c >> 8; query[3] = c & 255;
      h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 2, ttl: 1 }, query)));
      expect(h.stat("igmp_rx")).toBe(left ? 0 : 1);
      expect(h.stat("ipv4_unknown_proto")).toBe(left ? 1 : 0);
    });

    it(`${file}: TCP, UDP and ICMP still work (a SYN to a listener is answered SYN+ACK, an echo request answered, a datagram delivered)`, () => {
      const h = setup(file);
      const x = h.s.exports;
      const l = x.tcpOpen();
      expect(x.tcpBind(l, 80)).toBe(0);
      expect(x.tcpListen(l, 4)).toBe(0);
      const seg = buildTcp(ip(PEER), ip(US), { sport: 40000, dport: 80, seq: 1000, flags: SYN });
      h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 6 }, seg)));
      h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 1 }, icmpEcho(8, 1, 1, [1, 2, 3]))));
      const u = h.s.udpOpen();
      expect(h.s.udpBind(u, 7001)).toBe(7001);
      h.rx(eth(MAC_A, PEER_MAC, 0x0800, ipv4({ src: PEER, dst: US, proto: 17 }, udp(PEER, US, 4001, 7001, [9, 8, 7]))));
      const out = h.take();
      expect(out.some((f) => f.proto === "TCP" && f.flags === "SYN,ACK" && f.dstPort === 40000)).toBe(true);
      expect(out.some((f) => f.proto === "ICMP")).toBe(true);
      const d = h.s.udpRecvFrom(u);
      expect(typeof d === "number" ? d : Array.from(d.data)).toEqual([9, 8, 7]);
    });
  }
});
