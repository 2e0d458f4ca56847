import { swap16 } from "./be";
// DNS messages (RFC 1035 §4): the header with its RFC field names, question and resource
// record framing, name encoding from a dotted string, and a name decoder that follows
// compression pointers (§4.1.4) safely. No state, no counters: failures are negative codes
// (DNS_E*) that the caller counts.
//
// Decoding rules (every offset checked against the message length `len`):
//   - a pointer must point strictly backwards (to an offset below the pointer's own): a pointer
//     to itself is a loop (DNS_ELOOP), one to a later offset is DNS_EFORWARD, one at or past
//     the end DNS_EBOUNDS; at most DNS_MAX_JUMPS pointers per name (DNS_ELOOP past it);
//   - labels are <= 63 bytes (the 0x40 / 0x80 label types are refused as DNS_ELABEL);
//   - a decoded name is <= 255 bytes in wire form (DNS_ENAME);
//   - running off the end of the message is DNS_ETRUNC.

export const DNS_HLEN: i32 = 12;
export const DNS_PORT: u16 = 53;
/** Largest message over UDP without EDNS (RFC 1035 §2.3.4). */
export const DNS_UDP_MAX: i32 = 512;
export const DNS_NAME_MAX: i32 = 255;
export const DNS_LABEL_MAX: i32 = 63;
export const DNS_MAX_JUMPS: i32 = 16;

export const DNS_TYPE_A: u16 = 1;
export const DNS_TYPE_CNAME: u16 = 5;
export const DNS_TYPE_AAAA: u16 = 28; // RFC 3596 §2.1
export const DNS_CLASS_IN: u16 = 1;

export const DNS_RCODE_NOERROR: i32 = 0;
export const DNS_RCODE_FORMERR: i32 = 1;
export const DNS_RCODE_SERVFAIL: i32 = 2;
export const DNS_RCODE_NXDOMAIN: i32 = 3;
export const DNS_RCODE_NOTIMP: i32 = 4;
export const DNS_RCODE_REFUSED: i32 = 5;

export const DNS_ETRUNC: i32 = -1;
export const DNS_EFORWARD: i32 = -2;
export const DNS_EBOUNDS: i32 = -3;
export const DNS_ELOOP: i32 = -4;
export const DNS_ELABEL: i32 = -5;
export const DNS_ENAME: i32 = -6;

// --- header accessors (network order on the wire, host order here) ---
@inline function be16(p: usize): u32 { return swap16(load<u16>(p)); }
@inline function put16(p: usize, v: u16): void { store<u16>(p, swap16(v)); }
@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }

@inline export function dnsId(p: usize): u16 { return <u16>be16(p); }
@inline export function dnsQr(p: usize): i32 { return <i32>(load<u8>(p, 2) >> 7); }
@inline export function dnsOpcode(p: usize): i32 { return <i32>((load<u8>(p, 2) >> 3) & 0xf); }
@inline export function dnsAa(p: usize): i32 { return <i32>((load<u8>(p, 2) >> 2) & 1); }
@inline export function dnsTc(p: usize): i32 { return <i32>((load<u8>(p, 2) >> 1) & 1); }
@inline export function dnsRd(p: usize): i32 { return <i32>(load<u8>(p, 2) & 1); }
@inline export function dnsRa(p: usize): i32 { return <i32>(load<u8>(p, 3) >> 7); }
@inline export function dnsRcode(p: usize): i32 { return <i32>(load<u8>(p, 3) & 0xf); }
@inline export function dnsQdcount(p: usize): i32 { return <i32>be16(p + 4); }
@inline export function dnsAncount(p: usize): i32 { return <i32>be16(p + 6); }
@inline export function dnsNscount(p: usize): i32 { return <i32>be16(p + 8); }
@inline export function dnsArcount(p: usize): i32 { return <i32>be16(p + 10); }

/**
 * Encode the dotted name of `len` bytes at `src` into wire form at `out` (at most 255 bytes).
 * One trailing dot is allowed. Bytes allowed: letters, digits, '-', '_'. Returns the encoded
 * length (>= 2), or -1 for an empty name, an empty label, a label over 63 bytes or a bad byte.
 */
export function dnsEncodeName(src: usize, len: i32, out: usize): i32 {
  if (len > 0 && load<u8>(src + <usize>(len - 1)) == 0x2e) len--;
  if (len <= 0 || len > 253) return -1;
  let o = 0;      // where the current label's length byte goes
  let n = 0;      // bytes in the current label
  for (let i = 0; i <= len; i++) {
    let c: u32 = i == len ? 0x2e : <u32>load<u8>(src + <usize>i);
    if (c == 0x2e) {
      if (n == 0 || n > DNS_LABEL_MAX) return -1;
      store<u8>(out + <usize>o, <u8>n);
      o += n + 1;
      n = 0;
      continue;
    }
    let ok = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c == 0x2d || c == 0x5f;
    if (!ok) return -1;
    n++;
    if (n > DNS_LABEL_MAX) return -1;
    store<u8>(out + <usize>(o + n), <u8>c);
  }
  store<u8>(out + <usize>o, 0);
  return o + 1; // len <= 253 keeps this <= 255
}

/** Write a query header (id, RD=1, one question) and the question for `name` (wire form). Returns its length. */
export function dnsEmitQuery(p: usize, id: u16, name: usize, nameLen: i32, qtype: u16): i32 {
  put16(p, id);
  store<u8>(p, 0x01, 2); // QR=0 opcode=0 AA=0 TC=0 RD=1
  store<u8>(p, 0, 3);
  put16(p + 4, 1);
  put16(p + 6, 0);
  put16(p + 8, 0);
  put16(p + 10, 0);
  memory.copy(p + <usize>DNS_HLEN, name, <usize>nameLen);
  let q = p + <usize>(DNS_HLEN + nameLen);
  put16(q, qtype);
  put16(q + 2, DNS_CLASS_IN);
  return DNS_HLEN + nameLen + 4;
}

@inline function lower(c: u8): u8 { return c >= 0x41 && c <= 0x5a ? c | 0x20 : c; }

/**
 * Decode the (possibly compressed) name at offset `off` of the message `msg` of `len` bytes
 * into uncompressed, lower-cased wire form at `out` (room for 255 bytes). Returns the offset
 * just past the name at its original position (what follows it in the record), or a DNS_E*
 * code (< 0).
 */
export function dnsReadName(msg: usize, len: i32, off: i32, out: usize): i32 {
  let end = -1;      // offset after the name in place (set at the first pointer)
  let o = 0;         // bytes written to out
  let jumps = 0;
  let pos = off;
  while (true) {
    if (pos < 0 || pos >= len) return DNS_ETRUNC;
    let b = <i32>load<u8>(msg + <usize>pos);
    if ((b & 0xc0) == 0xc0) {
      if (pos + 1 >= len) return DNS_ETRUNC;
      let target = ((b & 0x3f) << 8) | <i32>load<u8>(msg + <usize>(pos + 1));
      if (end < 0) end = pos + 2;
      if (target >= len) return DNS_EBOUNDS;
      if (target == pos) return DNS_ELOOP;
      if (target > pos) return DNS_EFORWARD;
      if (++jumps > DNS_MAX_JUMPS) return DNS_ELOOP;
      pos = target;
      continue;
    }
    if ((b & 0xc0) != 0) return DNS_ELABEL; // 0x40 / 0x80: extended / reserved label types
    if (o + 1 + b > DNS_NAME_MAX) return DNS_ENAME;
    if (pos + 1 + b > len) return DNS_ETRUNC;
    store<u8>(out + <usize>o, <u8>b);
    for (let i = 1; i <= b; i++) store<u8>(out + <usize>(o + i), lower(load<u8>(msg + <usize>(pos + i))));
    o += b + 1;
    pos += b + 1;
    if (b == 0) return end < 0 ? pos : end;
  }
}

/** Length of the uncompressed wire-form name at `p` (it is known to be well formed: dnsReadName's output or dnsEncodeName's). */
export function dnsNameLen(p: usize): i32 {
  let o = 0;
  while (o < DNS_NAME_MAX) {
    let b = <i32>load<u8>(p + <usize>o);
    o += b + 1;
    if (b == 0) break;
  }
  return o;
}

/** Do two uncompressed wire-form names match, ignoring ASCII case (RFC 1035 §2.3.3)? */
export function dnsNameEq(a: usize, b: usize): bool {
  let n = dnsNameLen(a);
  if (dnsNameLen(b) != n) return false;
  for (let i = 0; i < n; i++) {
    if (lower(load<u8>(a + <usize>i)) != lower(load<u8>(b + <usize>i))) return false;
  }
  return true;
}

/** One resource record's fixed part (after its owner name), read by dnsReadRr. */
@unmanaged export class DnsRr {
  type: u16; klass: u16;
  ttl: u32;
  rdOff: i32;   // offset of the RDATA in the message
  rdLen: i32;
}

/** Read TYPE, CLASS, TTL, RDLENGTH at `off` (just after the owner name) into `rr`; the offset after the record or DNS_ETRUNC. */
export function dnsReadRr(msg: usize, len: i32, off: i32, rr: DnsRr): i32 {
  if (off < 0 || off + 10 > len) return DNS_ETRUNC;
  let p = msg + <usize>off;
  rr.type = <u16>be16(p);
  rr.klass = <u16>be16(p + 2);
  let ttl = be32(p + 4);
  rr.ttl = ttl > 0x7fffffff ? 0 : ttl; // RFC 2181 §8: a TTL with the top bit set counts as 0
  rr.rdLen = <i32>be16(p + 8);
  rr.rdOff = off + 10;
  if (rr.rdOff + rr.rdLen > len) return DNS_ETRUNC;
  return rr.rdOff + rr.rdLen;
}

/** Read the IPv4 address (host order) in an A record's RDATA. */
@inline export function dnsReadA(msg: usize, off: i32): u32 { return be32(msg + <usize>off); }
