// The IPv6 tests' harness: one stack (testing build) on a virtual clock, IPv6 frames in and out.
import { bytesToIp6, ip6ToBytes } from "../src/stack.js";
import { Net, type Host } from "./helpers/tcp-harness.js";
import { harness } from "./iface-harness.js";
import { frame6, icmp6, nsBody, optLla, parse6, solicitedNode, u16be, type Ip6Opts, type Out6 } from "./ipv6-wire.js";

export const OUR_MAC = "02:00:00:00:00:01";
export const PEER_MAC = "02:00:00:00:00:02";
export const ROUTER_MAC = "02:00:00:00:00:0a";
/** Our link-local address with EUI-64 identifiers (Ip6Flags bit 0) from MAC 02:00:00:00:00:01. */
export const LL = "fe80::ff:fe00:1";
export const PEER = "fe80::2";
export const ROUTER = "fe80::1";
export const EUI64 = 1, NO_SLAAC = 2, NO_RS = 4;

/** `opts`: more harness options (a seed, ip6Secret, a MAC). */
export function h6(config: Record<string, number> = {}, opts: Omit<Parameters<typeof harness>[0], "config"> = {}) {
  const h = harness({ ...opts, config: { Ip6Enable: 1, ...config } });
  let taken = 0;
  /** IPv6 frames sent since the last call. */
  const out = (): Out6[] => {
    const r = h.sent.slice(taken).map(parse6).filter((x): x is Out6 => x !== null);
    taken = h.sent.length;
    return r;
  };
  /** An ICMPv6 message from `src` (MAC `mac`) to `dst`. */
  const icmp = (o: Partial<Ip6Opts> & { src: string; dst: string }, type: number, code: number, body: number[], mac = PEER_MAC) =>
    h.rx(frame6(mac, OUR_MAC, { nh: 58, hops: 255, ...o }, icmp6(o.src, o.dst, type, code, body)));
  const echo = (src: string, dst: string, seq: number, data: number[] = [], mac = PEER_MAC) =>
    icmp({ src, dst, hops: 64 }, 128, 0, [0, 7, ...u16be(seq), ...data], mac);
  /** After DAD of the link-local address (1 s): the peer announces itself with an NS so replies need no resolution. */
  const ready = (learnPeer = true) => {
    h.at(1000);
    if (learnPeer) icmp({ src: PEER, dst: solicitedNode(LL) }, 135, 0, nsBody(LL, optLla(1, PEER_MAC)));
    out();
  };
  const addrs = () => h.s.ip6Addresses();
  return { ...h, out, icmp, echo, ready, addrs };
}

/** Addresses of the two-host IPv6 UDP rig. */
export const A6 = "2001:db8::1", B6 = "2001:db8::2";

/**
 * Two stacks of `build` on the emulated link (virtual clock), each with a global address (A6, B6;
 * no DAD, EUI-64 identifiers, no RS) and a UDP socket bound to 5000 (a) and 6000 (b). `cfg` adds
 * or overrides config keys. Neighbors are not resolved yet.
 */
export async function udp6Pair(build: string, cfg: Record<string, number> = {}) {
  const net = new Net();
  const c = { Ip6Enable: 1, Ip6Flags: EUI64 | NO_RS, Ip6DadTransmits: 0, ...cfg };
  const a = await net.host({ ip: "198.51.100.1", cfg: c, build });
  const b = await net.host({ ip: "198.51.100.2", cfg: c, build });
  if (a.stack.ip6AddrAdd(`${A6}/64`) < 0 || b.stack.ip6AddrAdd(`${B6}/64`) < 0) throw new Error("ip6AddrAdd failed");
  net.run(50);
  const sa = a.x.udpOpen(), sb = b.x.udpOpen();
  if (a.x.udpBind(sa, 5000) !== 5000 || b.x.udpBind(sb, 6000) !== 6000) throw new Error("udpBind failed");
  return { net, a, b, sa, sb };
}

/** udpSendTo6 with the address at the I/O region and the payload right after it, then a poll. */
export function udp6Send(h: Host, s: number, addr: string, port: number, data: Uint8Array): number {
  const at = h.stack.putIo(ip6ToBytes(addr));
  new Uint8Array(h.x.memory.buffer, at + 16, data.length).set(data);
  const r = h.x.udpSendTo6(s, at, port, at + 16, data.length);
  h.poll();
  return r;
}

/** One datagram from socket s (udpRecvFrom6), or the negative error. */
export function udp6Recv(h: Host, s: number): { data: Uint8Array; from: string; port: number; size: number } | number {
  const out = h.stack.putIo(new Uint8Array(24));
  const r = h.x.udpRecvFrom6(s, out + 32, 65536 - 32, out);
  if (r < 0) return r;
  const m = new Uint8Array(h.x.memory.buffer);
  const dv = new DataView(h.x.memory.buffer);
  return { data: m.slice(out + 32, out + 32 + r), from: bytesToIp6(m, out), port: dv.getUint32(out + 16, true), size: dv.getUint32(out + 20, true) };
}
