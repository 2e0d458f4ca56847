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

/** Scalar sum of little-endian 16-bit words; returns the unfolded 64-bit one's-complement sum. */
function sumScalarLE(ptr: usize, len: usize): u64 {
  let acc: u64 = 0;
  let acc2: u64 = 0;
  // 16 bytes per iteration with two independent accumulators.
  while (len >= 16) {
    acc = add64(acc, load<u64>(ptr));
    acc2 = add64(acc2, load<u64>(ptr, 8));
    ptr += 16;
    len -= 16;
  }
  acc = add64(acc, acc2);
  if (len >= 8) { acc = add64(acc, load<u64>(ptr)); ptr += 8; len -= 8; }
  if (len >= 4) { acc = add64(acc, <u64>load<u32>(ptr)); ptr += 4; len -= 4; }
  if (len >= 2) { acc = add64(acc, <u64>load<u16>(ptr)); ptr += 2; len -= 2; }
  if (len) acc = add64(acc, <u64>load<u8>(ptr)); // odd byte: low byte of a LE word
  return acc;
}

/** SIMD sum of little-endian 16-bit words (only compiled when SIMD is enabled). */
function sumSimdLE(ptr: usize, len: usize): u64 {
  if (!ASC_FEATURE_SIMD) return sumScalarLE(ptr, len);
  let total: u64 = 0;
  while (len >= 64) {
    // Each extadd lane is <= 0x1FFFE; 4 adds per iteration per accumulator, so an
    // i32 lane cannot overflow within 4096 iterations (4096*4*0x1FFFE < 2^32).
    let blocks = len >> 6;
    if (blocks > 4096) blocks = 4096;
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    for (let i: usize = 0; i < blocks; i++) {
      a0 = i32x4.add(a0, i32x4.extadd_pairwise_i16x8_u(v128.load(ptr)));
      a1 = i32x4.add(a1, i32x4.extadd_pairwise_i16x8_u(v128.load(ptr, 16)));
      a0 = i32x4.add(a0, i32x4.extadd_pairwise_i16x8_u(v128.load(ptr, 32)));
      a1 = i32x4.add(a1, i32x4.extadd_pairwise_i16x8_u(v128.load(ptr, 48)));
      ptr += 64;
    }
    len -= blocks << 6;
    // Widen: 4 lanes of two accumulators into u64.
    let w = i64x2.add(
      i64x2.add(i64x2.extend_low_i32x4_u(a0), i64x2.extend_high_i32x4_u(a0)),
      i64x2.add(i64x2.extend_low_i32x4_u(a1), i64x2.extend_high_i32x4_u(a1)),
    );
    total += <u64>i64x2.extract_lane(w, 0) + <u64>i64x2.extract_lane(w, 1);
  }
  return add64(total, sumScalarLE(ptr, len));
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
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit field changing from m to m'.
 * All values in network semantic (as read with a big-endian u16 load).
 */
export function incrementalUpdate(hc: u32, m: u32, m2: u32): u16 {
  let s: u32 = (~hc & 0xffff) + (~m & 0xffff) + (m2 & 0xffff);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return <u16>(~s & 0xffff);
}
