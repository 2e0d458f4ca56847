// The IPv6 tests' harness: one stack (testing build) on a virtual clock, IPv6 frames in and out.
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

export function h6(config: Record<string, number> = {}) {
  const h = harness({ config: { Ip6Enable: 1, ...config } });
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
