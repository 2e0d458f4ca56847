// IPv4 fragmentation on send (RFC 791 §2.3 and §3.2 "Fragmentation").
//
// A datagram whose payload (transport header included) does not fit MTU - 20 is cut into
// fragments of at most MTU - 20 payload bytes rounded down to a multiple of 8 (the fragment
// offset unit), all with one fresh identification, MF set on all but the last, DF clear.
// A datagram that fits is sent whole with DF set, as before. The payload is gathered from two
// pieces (a transport header and its data, e.g. the caller's I/O buffer), so nothing is staged:
// each fragment is copied straight into the tx frame. Bounded by Cfg.FragMaxBytes (0 = never
// fragment). Only UDP and ICMP use this: TCP sizes its segments by the MSS and sends them whole
// through ipSend (never fragmented). Fragments that wait for ARP take one ARP queue slot each.
import { cfg, Cfg } from "../config";
import { count, Stat } from "../stats";
import { ipMtu, ipTxPayload, ipSend, ipSendFragFn, ipNewId } from "../netif";
import { IPV4_HLEN, IP_FLAG_MF } from "../wire/ipv4";
import { FEAT_FRAG } from "../features";

/** Largest IPv4 payload (65535 - a 20-byte header). */
export const FRAG_MAX_BYTES: u32 = 65515;

let fragMax: i32 = 0;

export function frag4Init(): bool {
  let m = cfg(Cfg.FragMaxBytes);
  if (m > FRAG_MAX_BYTES) return false;
  fragMax = <i32>m;
  return true;
}

/** Largest IPv4 payload (transport header included) ip4SendGather sends: FragMaxBytes, or the MTU's when larger. */
export function ip4MaxPayload(): i32 {
  let room = ipMtu - IPV4_HLEN;
  return fragMax > room ? fragMax : room;
}

/** Copy bytes [off, off + n) of head (headLen bytes) followed by body to `out`. */
function gather(out: usize, head: usize, headLen: i32, body: usize, off: i32, n: i32): void {
  let h = 0;
  if (off < headLen) {
    h = headLen - off < n ? headLen - off : n;
    memory.copy(out, head + <usize>off, <usize>h);
  }
  memory.copy(out + <usize>h, body + <usize>(off + h - headLen), <usize>(n - h));
}

/**
 * Send head (headLen bytes, e.g. a transport header; not in the tx frame) followed by body
 * (bodyLen bytes; it may lie in the tx frame only when the whole fits the MTU) as the payload of
 * one IPv4 datagram to `dst`: whole when it fits the MTU, else as fragments. False when it is
 * larger than ip4MaxPayload() or a fragment could not be sent (no route, ARP queue full: counted
 * there; fragments already sent are not recalled).
 */
export function ip4SendGather(dst: u32, proto: u8, head: usize, headLen: i32, body: usize, bodyLen: i32): bool {
  let total = headLen + bodyLen;
  let room = ipMtu - IPV4_HLEN;
  if (ipTxPayload == 0) return false;
  if (total <= room) {
    memory.copy(ipTxPayload + <usize>headLen, body, <usize>bodyLen); // body first: it may overlap the frame
    memory.copy(ipTxPayload, head, <usize>headLen);
    return ipSend(dst, proto, total);
  }
  if (!FEAT_FRAG || total > fragMax) return false; // a build without fragmentation: as FragMaxBytes 0
  let chunk = room & ~7;
  let id = ipNewId();
  let off = 0;
  while (off < total) {
    let n = total - off;
    let more = n > chunk;
    if (more) n = chunk;
    gather(ipTxPayload, head, headLen, body, off, n);
    if (!ipSendFragFn(dst, proto, n, id, (more ? IP_FLAG_MF : 0) | <u16>(off >> 3))) return false;
    count(Stat.Ipv4FragTx);
    off += n;
  }
  return true;
}
