// RFC 1071 Internet checksum, RFC 1624 incremental update.
//
// Values are "network semantic": the 16-bit number you would get by summing the
// buffer as big-endian 16-bit words, so a result is stored with a big-endian u16
// store. Internally we sum little-endian words (native loads) and byte-swap once at
// the end: the one's-complement sum is byte-order independent (RFC 1071 §2(B)).
//
// The v128 path is compiled in when the build enables SIMD (Node build); the MCU
// build gets the scalar path only. ASC_FEATURE_SIMD is a compile-time constant, so
// the unused path is removed entirely.
import { swap16 } from "./wire/be";

@inline function fold64(s: u64): u32 {
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  let t = <u32>s;
  t = (t & 0xffff) + (t >> 16);
  t = (t & 0xffff) + (t >> 16);
  return t;
}

@inline function bswap16(x: u32): u32 {
  return ((x & 0xff) << 8) | (x >> 8);
}

/** One's-complement 64-bit add with end-around carry. */
@inline function add64(a: u64, b: u64): u64 {
  let s = a + b;
  return s + <u64>(s < b);
}

/**
 * Scalar sum of little-endian 16-bit words; returns an unfolded 64-bit sum that is
 * congruent (mod 0xFFFF) to the one's-complement sum. 32-bit words are added into
 * 64-bit accumulators, which cannot overflow below 2^32 additions (16 GiB), so no
 * carry handling is needed in the loop: four independent accumulators keep the
 * adds in parallel and the loads are plain i64.load32_u.
 */
function sumScalarLE(ptr: usize, len: usize): u64 {
  let a: u64 = 0, b: u64 = 0, c: u64 = 0, d: u64 = 0;
  while (len >= 32) {
    a += <u64>load<u32>(ptr);
    b += <u64>load<u32>(ptr, 4);
    c += <u64>load<u32>(ptr, 8);
    d += <u64>load<u32>(ptr, 12);
    a += <u64>load<u32>(ptr, 16);
    b += <u64>load<u32>(ptr, 20);
    c += <u64>load<u32>(ptr, 24);
    d += <u64>load<u32>(ptr, 28);
    ptr += 32;
    len -= 32;
  }
  while (len >= 4) { a += <u64>load<u32>(ptr); ptr += 4; len -= 4; }
  if (len >= 2) { b += <u64>load<u16>(ptr); ptr += 2; len -= 2; }
  if (len) c += <u64>load<u8>(ptr); // odd byte: low byte of a LE word
  // Each of a..d < 2^62 for any i32 length, so their sum cannot wrap.
  return a + b + c + d;
}

/** Pairwise sums of the 8 words of a 16-byte vector, each biased by -65536 (see sumSimdLE). */
@inline function dot16(v: v128, flip: v128, ones: v128): v128 {
  return i32x4.dot_i16x8_s(v128.xor(v, flip), ones);
}

/** Adds the 4 signed i32 lanes of `a` into a u64 (two's complement, exact). */
@inline function lanes64(a: v128): u64 {
  let w = i64x2.add(i64x2.extend_low_i32x4_s(a), i64x2.extend_high_i32x4_s(a));
  return <u64>i64x2.extract_lane(w, 0) + <u64>i64x2.extract_lane(w, 1);
}

/**
 * SIMD sum of little-endian 16-bit words (only compiled when SIMD is enabled).
 * i32x4.dot_i16x8_s (one pmaddwd on x86) adds word pairs as SIGNED i16, so each word
 * has its top bit flipped first: (w ^ 0x8000) as i16 = w - 32768, and a dot lane is
 * w0 + w1 - 65536 exactly. Every 16 bytes give 4 lanes, so the exact unsigned sum
 * is the signed total + (bytes / 16) * 4 * 65536 = signed total + (bytes << 14).
 */
function sumSimdLE(ptr: usize, len: usize): u64 {
  if (!ASC_FEATURE_SIMD) return sumScalarLE(ptr, len);
  let ones = i16x8.splat(1);
  let flip = i16x8.splat(<i16>0x8000);
  let simdBytes = len & ~<usize>15;
  let total: u64 = <u64>simdBytes << 14;
  while (len >= 128) {
    // A lane gets 4 dots in [-65536, 65534] per 128 bytes: |lane| <= 2^30 after 4096 rounds.
    let rounds = len >> 7;
    if (rounds > 4096) rounds = 4096;
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    let end = ptr + (rounds << 7);
    do {
      // Independent dots, added as a tree: short dependency chains.
      let x0 = i32x4.add(dot16(v128.load(ptr), flip, ones), dot16(v128.load(ptr, 16), flip, ones));
      let x1 = i32x4.add(dot16(v128.load(ptr, 32), flip, ones), dot16(v128.load(ptr, 48), flip, ones));
      let x2 = i32x4.add(dot16(v128.load(ptr, 64), flip, ones), dot16(v128.load(ptr, 80), flip, ones));
      let x3 = i32x4.add(dot16(v128.load(ptr, 96), flip, ones), dot16(v128.load(ptr, 112), flip, ones));
      a0 = i32x4.add(a0, i32x4.add(x0, x1));
      a1 = i32x4.add(a1, i32x4.add(x2, x3));
      ptr += 128;
    } while (ptr < end);
    len -= rounds << 7;
    total += lanes64(a0) + lanes64(a1);
  }
  if (len >= 16) {
    let a = i32x4.splat(0); // at most 7 dots: no overflow
    do {
      a = i32x4.add(a, dot16(v128.load(ptr), flip, ones));
      ptr += 16;
      len -= 16;
    } while (len >= 16);
    total += lanes64(a);
  }
  return total + sumScalarLE(ptr, len);
}

/**
 * One's-complement sum of `len` bytes at `ptr`, added to `initial` (a previous
 * partial sum in network semantic). Returns the folded 16-bit sum in network
 * semantic (not complemented). Chaining is exact when the earlier parts had even length.
 */
export function sum16(ptr: usize, len: i32, initial: u32): u32 {
  if (len <= 0) return fold64(<u64>initial);
  let s = ASC_FEATURE_SIMD ? sumSimdLE(ptr, <usize>len) : sumScalarLE(ptr, <usize>len);
  return bswap16(fold64(add64(s, <u64>bswap16(fold64(<u64>initial)))));
}

/** Scalar-only sum (network semantic), exported for tests and benchmarks in every build. */
export function sum16Scalar(ptr: usize, len: i32, initial: u32): u32 {
  if (len <= 0) return fold64(<u64>initial);
  return bswap16(fold64(add64(sumScalarLE(ptr, <usize>len), <u64>bswap16(fold64(<u64>initial)))));
}

/** The Internet checksum of a buffer: the complement of its sum (network semantic). */
export function checksum(ptr: usize, len: i32): u16 {
  return <u16>(~sum16(ptr, len, 0) & 0xffff);
}

/** Zero the 16-bit checksum field at `ptr + at`, then fill it with the checksum of the `len` bytes at ptr. */
export function checksumInto(ptr: usize, len: i32, at: usize): void {
  store<u16>(ptr + at, 0);
  store<u16>(ptr + at, swap16(checksum(ptr, len)));
}

/** Complement a folded sum into the value to store in a header. */
@inline export function finish(sum: u32): u16 {
  return <u16>(~fold64(<u64>sum) & 0xffff);
}

/** Sum of the IPv4 pseudo-header (src, dst in host order, protocol, upper-layer length). */
export function pseudoSum(src: u32, dst: u32, proto: u32, len: u32): u32 {
  let s: u64 = <u64>(src >>> 16) + <u64>(src & 0xffff) + <u64>(dst >>> 16) + <u64>(dst & 0xffff) + <u64>proto + <u64>len;
  return fold64(s);
}

/**
 * Sum of the IPv6 pseudo-header (RFC 8200 §8.1): the 16-byte source and destination addresses
 * at `src` and `dst` (network order), the 32-bit upper-layer length, three zero bytes and the
 * next header `proto`. Same convention as pseudoSum (folded, network semantic, not complemented).
 */
export function pseudoSum6(src: usize, dst: usize, proto: u32, len: u32): u32 {
  let a = sum16(dst, 16, sum16(src, 16, 0));
  return fold64(<u64>a + <u64>(len >>> 16) + <u64>(len & 0xffff) + <u64>proto);
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit field changing from m to m'.
 * All values in network semantic (as read with a big-endian u16 load).
 */
export function incrementalUpdate(hc: u32, m: u32, m2: u32): u16 {
  let s: u32 = (~hc & 0xffff) + (~m & 0xffff) + (m2 & 0xffff);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return <u16>(~s & 0xffff);
}
