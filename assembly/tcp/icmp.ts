// ICMP Destination Unreachable handed to TCP (RFC 1122 §4.2.3.9, RFC 5461), validated
// against blind ICMP attacks (RFC 5927 §4.1, §5.2): the quoted IPv4 header and first 8 TCP
// bytes must name one of our connections (our address and port, its address and port)
// and the quoted sequence number must lie in [SND.UNA, SND.MAX) -- data we sent and that
// is not yet acknowledged (sndMax is RFC 9293's SND.NXT; our sndNxt may have gone back
// after a timeout). Anything else is dropped and counted (tcp_icmp_rejected).
//
// Accepted messages (tcp_icmp_accepted):
//   codes 2 (protocol) and 3 (port) unreachable are hard errors: a connection in SYN-SENT
//     is aborted with ECONNREFUSED; in any other state they are treated as soft (RFC 5461 §4).
//   code 4 (fragmentation needed) is set aside: we do no path MTU discovery, so no effect.
//   every other code (0 net, 1 host, 5 source route failed, ...) is soft: never aborts a
//     connection (RFC 1122 MUST NOT), only recorded in t.err (tcpInfo lastError: EHOSTUNREACH,
//     or ECONNREFUSED for a hard code after the handshake). If the connection later times out
//     (SYN retries or data retries exhausted), that recorded error is reported instead of
//     ETIMEDOUT, as Linux does; an acknowledgment of new data clears it.
//
// The check itself is family-neutral (tcpIcmpError on 16-byte addresses, ip/addr.ts); an
// ICMPv6 layer calls it with its own code mapping. tcpIcmpUnreach adapts ICMPv4's quote.
import { swap16 } from "../wire/be";
import { count, Stat } from "../stats";
import { Err } from "../errors";
import { localAddrIndex } from "../netif";
import { addrFamily, addrSetV4, tcpMssFor } from "../ip/addr";
import { sendAt } from "./output";
import { FEAT_IPV6 } from "../features";
import { IPV4_HLEN, PROTO_TCP, ipDst, ipHeaderLen, ipProto, ipSrc, ipVersion } from "../wire/ipv4";
import { UNREACH_FRAG_NEEDED, UNREACH_PORT, UNREACH_PROTOCOL } from "../wire/icmp";
import { seqGe, seqLt } from "./seq";
import { TcpState } from "./tcb";
import { findConn } from "./input";
import { connClosed } from "./close";

/** What an ICMP error means to TCP (RFC 5461). */
export const ICMP_SOFT: u32 = 0;        // never aborts: recorded as EHOSTUNREACH
export const ICMP_HARD: u32 = 1;        // protocol / port unreachable: refuses a connection in SYN-SENT
export const ICMP_TOO_BIG: u32 = 2;     // fragmentation needed / packet too big: no PMTUD, no effect

const quoteSrc: usize = memory.data(16, 16);
const quoteDst: usize = memory.data(16, 16);

/**
 * An ICMPv4 Destination Unreachable with `code`, quoting `qlen` bytes at `q` (the offending
 * datagram's IPv4 header and at least 8 payload bytes). Quotes of other protocols are ignored.
 */
export function tcpIcmpUnreach(code: u32, q: usize, qlen: i32): void {
  if (qlen < IPV4_HLEN || ipProto(q) != PROTO_TCP) return; // not about TCP
  let ihl = ipHeaderLen(q);
  if (ipVersion(q) != 4 || ihl < IPV4_HLEN || qlen < ihl + 8) {
    count(Stat.TcpIcmpRejected);
    return;
  }
  addrSetV4(quoteSrc, ipSrc(q));
  addrSetV4(quoteDst, ipDst(q));
  let kind = code == <u32>UNREACH_FRAG_NEEDED ? ICMP_TOO_BIG :
    code == <u32>UNREACH_PROTOCOL || code == <u32>UNREACH_PORT ? ICMP_HARD : ICMP_SOFT;
  tcpIcmpError(kind, quoteSrc, quoteDst, q + <usize>ihl);
}

/**
 * An ICMP error of `kind` about a segment we sent from `src` to `dst` (16-byte addresses),
 * whose first 8 TCP bytes are at `th`. Accepted only when it names one of our connections and
 * quotes a sequence number in [SND.UNA, SND.MAX).
 */
export function tcpIcmpError(kind: u32, src: usize, dst: usize, th: usize, mtu: i32 = 0): void {
  let laddr = localAddrIndex(src);
  if (laddr < 0) { count(Stat.TcpIcmpRejected); return; }
  let sport = <u32>swap16(load<u16>(th));
  let dport = <u32>swap16(load<u16>(th, 2));
  let seq = bswap<u32>(load<u32>(th, 4));
  let t = findConn(laddr, sport, dst, dport);
  if (t == null || !seqGe(seq, t.sndUna) || !seqLt(seq, t.sndMax)) {
    count(Stat.TcpIcmpRejected);
    return;
  }
  count(Stat.TcpIcmpAccepted);
  if (kind == ICMP_TOO_BIG) {
    if (!FEAT_IPV6) return;
    // IPv6 Packet Too Big (`mtu`: the path MTU IPv6 recorded): RFC 8201 §5.2 / RFC 9293 §3.7.2, the
    // MSS drops to fit it and the first unacknowledged segment is sent again at the new size
    let mss = tcpMssFor(mtu, addrFamily(dst));
    if (mtu > 0 && mss < <i32>t.sndMss && mss >= 64) {
      t.sndMss = <u16>mss;
      count(Stat.TcpPmtuLowered);
      if (t.state >= <u8>TcpState.ESTABLISHED && t.sndUna != t.sndMax) sendAt(t, t.sndUna, <u32>mss);
    }
    return;
  }
  let hard = kind == ICMP_HARD;
  if (hard && t.state == <u8>TcpState.SYN_SENT) {
    connClosed(t, Err.ECONNREFUSED);
    return;
  }
  t.err = <u8>(hard ? Err.ECONNREFUSED : Err.EHOSTUNREACH);
}
