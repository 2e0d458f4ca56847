// ICMP for IPv4 (RFC 792): echo request/reply and destination unreachable.
import { swap16 } from "./be";
import { count, Stat } from "../stats";
import { checksum, checksumInto } from "../checksum";

export const ICMP_HLEN: i32 = 8;
export const ICMP_TYPE: usize = 0;
export const ICMP_CODE: usize = 1;
export const ICMP_CSUM: usize = 2;
export const ICMP_ID: usize = 4;   // echo: identifier
export const ICMP_SEQ: usize = 6;  // echo: sequence number

export const ICMP_ECHO_REPLY: u8 = 0;
export const ICMP_DEST_UNREACH: u8 = 3;
export const ICMP_ECHO_REQUEST: u8 = 8;
export const ICMP_TIME_EXCEEDED: u8 = 11;
/** Time Exceeded code 1: fragment reassembly time exceeded (RFC 792). */
export const TIME_EXCEEDED_REASSEMBLY: u8 = 1;

export const UNREACH_NET: u8 = 0;
export const UNREACH_HOST: u8 = 1;
export const UNREACH_PROTOCOL: u8 = 2;
export const UNREACH_PORT: u8 = 3;
export const UNREACH_FRAG_NEEDED: u8 = 4;

@inline export function icmpType(p: usize): u8 { return load<u8>(p + ICMP_TYPE); }
@inline export function icmpCode(p: usize): u8 { return load<u8>(p + ICMP_CODE); }
@inline export function icmpId(p: usize): u32 { return swap16(load<u16>(p + ICMP_ID)); }
@inline export function icmpSeq(p: usize): u32 { return swap16(load<u16>(p + ICMP_SEQ)); }

/** Validate an ICMP message of `len` bytes (the IP payload); returns 8 or -1 (counted). */
export function icmpParse(p: usize, len: i32): i32 {
  if (len < ICMP_HLEN) { count(Stat.IcmpTruncated); return -1; }
  if (checksum(p, len) != 0) { count(Stat.IcmpBadChecksum); return -1; }
  return ICMP_HLEN;
}

/** Fill in the checksum of the ICMP message of `len` bytes at p (header and data already written). */
export function icmpFinish(p: usize, len: i32): void {
  checksumInto(p, len, ICMP_CSUM);
}

/** Write an echo header (request or reply) before `dataLen` bytes already at p + 8; returns the message length. */
export function icmpEmitEcho(p: usize, type: u8, id: u16, seq: u16, dataLen: i32): i32 {
  store<u8>(p + ICMP_TYPE, type);
  store<u8>(p + ICMP_CODE, 0);
  store<u16>(p + ICMP_ID, swap16(id));
  store<u16>(p + ICMP_SEQ, swap16(seq));
  icmpFinish(p, ICMP_HLEN + dataLen);
  return ICMP_HLEN + dataLen;
}

/**
 * Write a destination-unreachable message at p quoting `quoteLen` bytes of the offending
 * datagram (its IP header + the first 8 payload bytes, RFC 792); returns the message length.
 * `quote` must not overlap p.
 */
export function icmpEmitUnreach(p: usize, code: u8, quote: usize, quoteLen: i32): i32 {
  return icmpEmitError(p, ICMP_DEST_UNREACH, code, quote, quoteLen);
}

/** An ICMP error of `type` (destination unreachable, time exceeded) quoting `quoteLen` bytes at `quote`. */
export function icmpEmitError(p: usize, type: u8, code: u8, quote: usize, quoteLen: i32): i32 {
  store<u8>(p + ICMP_TYPE, type);
  store<u8>(p + ICMP_CODE, code);
  store<u32>(p + 4, 0); // unused (next-hop MTU for code 4, left 0)
  memory.copy(p + <usize>ICMP_HLEN, quote, <usize>quoteLen);
  icmpFinish(p, ICMP_HLEN + quoteLen);
  return ICMP_HLEN + quoteLen;
}
