// Test-only frame decoder (exported by testing.ts, never by abi.ts, so no shipped build links it).
//
// dissect(ptr, len, out) runs OUR validating parsers (wire/*.ts) over one Ethernet frame of `len`
// bytes at `ptr` and writes every decoded field into a flat u32 array at `out` (D.COUNT entries,
// zeroed first). test/fixtures.test.ts compares the array field by field with tshark's decode of
// the same frame.
//
// The layout is defined once, here: the D enum gives each field's index and DISSECT_NAMES lists
// the same fields' names at the same positions; the test reads the names from the module
// (dissectFieldNames/dissectFieldCount) and addresses fields by name, so the two cannot drift.
//
// Returns the bitmask of layers decoded (L_* below; > 0), or -1 when one of our parsers rejected
// the frame; then D.Reject holds that layer's L_* bit and the layers below it stay filled in.
// Checksums: *Csum is the value in the header, *CsumCalc the value our checksum module computes
// for it (the field taken as zero, as tshark's checksum_calculated), *CsumValid = calc == stored
// (UDP: 2 when the sender sent no checksum).
import { swap16 } from "./wire/be";
import { sum16, pseudoSum, finish } from "./checksum";
import { ETH_DST, ETH_SRC, ETHERTYPE_ARP, ETHERTYPE_IPV4, ethParse, ethType, macLoad } from "./wire/ethernet";
import {
  ARP_HLEN, ARP_HTYPE, ARP_PLEN, ARP_PTYPE, ARP_SHA, ARP_THA, arpOper, arpParse, arpSpa, arpTpa,
} from "./wire/arp";
import {
  IP_CSUM, IP_TOS, PROTO_ICMP, PROTO_TCP, PROTO_UDP, ipDst, ipFrag, ipId, ipProto,
  ipSrc, ipTotalLen, ipTtl, ipv4Parse, ipVersion, IP_OFFSET_MASK,
} from "./wire/ipv4";
import { ICMP_CSUM, icmpCode, icmpId, icmpParse, icmpSeq, icmpType } from "./wire/icmp";
import { UDP_CSUM, udpChecksum, udpDstPort, udpLength, udpParse, udpSrcPort } from "./wire/udp";
import {
  TCP_CSUM, TcpOptions, sackBlockPtr, tcpAck, tcpCsum, tcpDataOffset, tcpDport, tcpFlags, tcpParse,
  tcpSeq, tcpSport, tcpUrp, tcpWnd,
} from "./wire/tcp";

// Layer bits (return value and D.Reject).
export const L_ETH: i32 = 1;
export const L_ARP: i32 = 2;
export const L_IPV4: i32 = 4;
export const L_ICMP: i32 = 8;
export const L_UDP: i32 = 16;
export const L_TCP: i32 = 32;

/** Field indices in the output array (u32 each). Keep DISSECT_NAMES in the same order. */
export const enum D {
  Layers, Reject, FrameLen,
  // ethernet: MACs split into the upper 16 and lower 32 bits
  EthDstHi, EthDstLo, EthSrcHi, EthSrcLo, EthType,
  // arp
  ArpHtype, ArpPtype, ArpHlen, ArpPlen, ArpOper, ArpShaHi, ArpShaLo, ArpSpa, ArpThaHi, ArpThaLo, ArpTpa,
  // ipv4 (IpIhl in bytes; IpFlags = the 3 flag bits: 4 reserved, 2 DF, 1 MF)
  IpVersion, IpIhl, IpDscp, IpEcn, IpTotalLen, IpId, IpFlags, IpFragOffset, IpTtl, IpProto,
  IpCsum, IpCsumCalc, IpCsumValid, IpSrc, IpDst,
  // icmp (IcmpId/IcmpSeq: bytes 4..7 as echo identifier and sequence number)
  IcmpType, IcmpCode, IcmpCsum, IcmpCsumCalc, IcmpCsumValid, IcmpId, IcmpSeq,
  // udp
  UdpSport, UdpDport, UdpLen, UdpCsum, UdpCsumCalc, UdpCsumValid,
  // tcp (TcpDataOff in bytes; TcpWscale = 0xffffffff when absent; up to 4 SACK blocks)
  TcpSport, TcpDport, TcpSeq, TcpAck, TcpDataOff, TcpFlags, TcpWnd, TcpCsum, TcpCsumCalc, TcpCsumValid,
  TcpUrp, TcpPayloadLen, TcpMss, TcpWscale, TcpSackPerm, TcpTsPresent, TcpTsVal, TcpTsEcr, TcpSackCount,
  TcpSack0L, TcpSack0R, TcpSack1L, TcpSack1R, TcpSack2L, TcpSack2R, TcpSack3L, TcpSack3R,
  COUNT,
}

// One static literal (line continuations, no `+`): a concatenation would be computed at start-up
// with the runtime allocator, in memory the pool later reuses.
export const DISSECT_NAMES = "\
layers,reject,frame_len,\
eth_dst_hi,eth_dst_lo,eth_src_hi,eth_src_lo,eth_type,\
arp_htype,arp_ptype,arp_hlen,arp_plen,arp_oper,arp_sha_hi,arp_sha_lo,arp_spa,arp_tha_hi,arp_tha_lo,arp_tpa,\
ip_version,ip_ihl,ip_dscp,ip_ecn,ip_total_len,ip_id,ip_flags,ip_frag_offset,ip_ttl,ip_proto,\
ip_csum,ip_csum_calc,ip_csum_valid,ip_src,ip_dst,\
icmp_type,icmp_code,icmp_csum,icmp_csum_calc,icmp_csum_valid,icmp_id,icmp_seq,\
udp_sport,udp_dport,udp_len,udp_csum,udp_csum_calc,udp_csum_valid,\
tcp_sport,tcp_dport,tcp_seq,tcp_ack,tcp_data_off,tcp_flags,tcp_wnd,tcp_csum,tcp_csum_calc,tcp_csum_valid,\
tcp_urp,tcp_payload_len,tcp_mss,tcp_wscale,tcp_sack_perm,tcp_ts_present,tcp_ts_val,tcp_ts_ecr,tcp_sack_count,\
tcp_sack0_l,tcp_sack0_r,tcp_sack1_l,tcp_sack1_r,tcp_sack2_l,tcp_sack2_r,tcp_sack3_l,tcp_sack3_r";

const opts: usize = memory.data(offsetof<TcpOptions>(), 8);

@inline function put(out: usize, f: i32, v: u32): void { store<u32>(out + (<usize>f << 2), v); }

@inline function putMac(out: usize, hi: i32, p: usize): void {
  let mac = macLoad(p);
  put(out, hi, <u32>(mac >> 32));
  put(out, hi + 1, <u32>mac);
}

@inline function be16(p: usize): u32 { return <u32>swap16(load<u16>(p)); }

/**
 * Checksum our module computes for `len` bytes at p whose 16-bit checksum field sits at offset
 * `field` (summed as zero), starting from the partial sum `initial`.
 */
function checksumWithoutField(p: usize, len: i32, field: i32, initial: u32): u32 {
  let s = sum16(p, field, initial);
  return <u32>finish(sum16(p + <usize>field + 2, len - field - 2, s));
}

@inline function reject(out: usize, layer: i32): i32 {
  put(out, D.Reject, <u32>layer);
  return -1;
}

function dissectArp(p: usize, len: i32, out: usize): i32 {
  if (arpParse(p, len) < 0) return reject(out, L_ARP);
  put(out, D.ArpHtype, be16(p + ARP_HTYPE));
  put(out, D.ArpPtype, be16(p + ARP_PTYPE));
  put(out, D.ArpHlen, <u32>load<u8>(p + ARP_HLEN));
  put(out, D.ArpPlen, <u32>load<u8>(p + ARP_PLEN));
  put(out, D.ArpOper, <u32>arpOper(p));
  putMac(out, D.ArpShaHi, p + ARP_SHA);
  put(out, D.ArpSpa, arpSpa(p));
  putMac(out, D.ArpThaHi, p + ARP_THA);
  put(out, D.ArpTpa, arpTpa(p));
  return L_ARP;
}

function dissectIcmp(p: usize, len: i32, out: usize): i32 {
  if (icmpParse(p, len) < 0) return reject(out, L_ICMP);
  put(out, D.IcmpType, <u32>icmpType(p));
  put(out, D.IcmpCode, <u32>icmpCode(p));
  let stored = be16(p + ICMP_CSUM);
  let calc = checksumWithoutField(p, len, <i32>ICMP_CSUM, 0);
  put(out, D.IcmpCsum, stored);
  put(out, D.IcmpCsumCalc, calc);
  put(out, D.IcmpCsumValid, <u32>(calc == stored));
  put(out, D.IcmpId, <u32>icmpId(p));
  put(out, D.IcmpSeq, <u32>icmpSeq(p));
  return L_ICMP;
}

function dissectUdp(p: usize, len: i32, src: u32, dst: u32, out: usize): i32 {
  if (udpParse(p, len, src, dst) < 0) return reject(out, L_UDP);
  let ulen = udpLength(p);
  put(out, D.UdpSport, <u32>udpSrcPort(p));
  put(out, D.UdpDport, <u32>udpDstPort(p));
  put(out, D.UdpLen, <u32>ulen);
  let stored = <u32>udpChecksum(p);
  let calc = checksumWithoutField(p, ulen, <i32>UDP_CSUM, pseudoSum(src, dst, PROTO_UDP, <u32>ulen));
  if (calc == 0) calc = 0xffff; // RFC 768: a computed zero is sent as all ones
  put(out, D.UdpCsum, stored);
  put(out, D.UdpCsumCalc, calc);
  put(out, D.UdpCsumValid, stored == 0 ? 2 : <u32>(calc == stored));
  return L_UDP;
}

function dissectTcp(p: usize, len: i32, src: u32, dst: u32, out: usize): i32 {
  let o = changetype<TcpOptions>(opts);
  let hlen = tcpParse(p, len, src, dst, o);
  if (hlen < 0) return reject(out, L_TCP);
  put(out, D.TcpSport, tcpSport(p));
  put(out, D.TcpDport, tcpDport(p));
  put(out, D.TcpSeq, tcpSeq(p));
  put(out, D.TcpAck, tcpAck(p));
  put(out, D.TcpDataOff, <u32>tcpDataOffset(p));
  put(out, D.TcpFlags, tcpFlags(p));
  put(out, D.TcpWnd, tcpWnd(p));
  let stored = tcpCsum(p);
  let calc = checksumWithoutField(p, len, TCP_CSUM, pseudoSum(src, dst, PROTO_TCP, <u32>len));
  put(out, D.TcpCsum, stored);
  put(out, D.TcpCsumCalc, calc);
  put(out, D.TcpCsumValid, <u32>(calc == stored));
  put(out, D.TcpUrp, tcpUrp(p));
  put(out, D.TcpPayloadLen, <u32>(len - hlen));
  put(out, D.TcpMss, o.mss);
  put(out, D.TcpWscale, <u32>o.wscale);
  put(out, D.TcpSackPerm, o.sackPermitted);
  put(out, D.TcpTsPresent, o.tsPresent);
  put(out, D.TcpTsVal, o.tsVal);
  put(out, D.TcpTsEcr, o.tsEcr);
  put(out, D.TcpSackCount, o.sackCount);
  for (let i = 0; i < <i32>o.sackCount; i++) {
    let b = sackBlockPtr(o, i);
    put(out, D.TcpSack0L + (i << 1), load<u32>(b));
    put(out, D.TcpSack0R + (i << 1), load<u32>(b, 4));
  }
  return L_TCP;
}

function dissectIpv4(p: usize, len: i32, out: usize): i32 {
  let hlen = ipv4Parse(p, len);
  if (hlen < 0) return reject(out, L_IPV4);
  let tos = <u32>load<u8>(p + IP_TOS);
  let frag = <u32>ipFrag(p);
  put(out, D.IpVersion, ipVersion(p));
  put(out, D.IpIhl, <u32>hlen);
  put(out, D.IpDscp, tos >> 2);
  put(out, D.IpEcn, tos & 3);
  put(out, D.IpTotalLen, <u32>ipTotalLen(p));
  put(out, D.IpId, <u32>ipId(p));
  put(out, D.IpFlags, frag >> 13);
  put(out, D.IpFragOffset, frag & <u32>IP_OFFSET_MASK);
  put(out, D.IpTtl, <u32>ipTtl(p));
  let proto = ipProto(p);
  put(out, D.IpProto, <u32>proto);
  let stored = be16(p + IP_CSUM);
  let calc = checksumWithoutField(p, hlen, <i32>IP_CSUM, 0);
  put(out, D.IpCsum, stored);
  put(out, D.IpCsumCalc, calc);
  put(out, D.IpCsumValid, <u32>(calc == stored));
  let src = ipSrc(p);
  let dst = ipDst(p);
  put(out, D.IpSrc, src);
  put(out, D.IpDst, dst);
  // The upper layer gets the IP payload only: Ethernet padding beyond the total length is not its.
  let q = p + <usize>hlen;
  let qlen = ipTotalLen(p) - hlen;
  let upper = 0;
  if (proto == PROTO_ICMP) upper = dissectIcmp(q, qlen, out);
  else if (proto == PROTO_UDP) upper = dissectUdp(q, qlen, src, dst, out);
  else if (proto == PROTO_TCP) upper = dissectTcp(q, qlen, src, dst, out);
  return upper < 0 ? -1 : (L_IPV4 | upper);
}

/** Decode the frame of `len` bytes at `ptr` into D.COUNT u32 fields at `out`; see the header comment. */
export function dissect(ptr: usize, len: i32, out: usize): i32 {
  memory.fill(out, 0, <usize>D.COUNT << 2);
  put(out, D.FrameLen, <u32>len);
  let hlen = ethParse(ptr, len);
  if (hlen < 0) return reject(out, L_ETH);
  putMac(out, D.EthDstHi, ptr + ETH_DST);
  putMac(out, D.EthSrcHi, ptr + ETH_SRC);
  let type = ethType(ptr);
  put(out, D.EthType, <u32>type);
  let p = ptr + <usize>hlen;
  let plen = len - hlen;
  let upper = 0;
  if (type == ETHERTYPE_ARP) upper = dissectArp(p, plen, out);
  else if (type == ETHERTYPE_IPV4) upper = dissectIpv4(p, plen, out);
  if (upper < 0) return -1;
  let layers = L_ETH | upper;
  put(out, D.Layers, <u32>layers);
  return layers;
}

export function dissectFieldCount(): i32 { return <i32>D.COUNT; }

/** Address of the static UTF-16 string of comma-separated field names (byte length at address - 4). */
export function dissectFieldNames(): usize { return changetype<usize>(DISSECT_NAMES); }
