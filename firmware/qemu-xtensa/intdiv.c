/* Integer helpers Debian's lx106 libgcc lacks (the core has no hardware divider and
 * gcc emits these calls for / and % and 64-bit *). Shift-and-subtract; only 32-bit
 * operations inside, so no helper calls itself. */
#include <stdint.h>

typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;

static u32 udivmod32(u32 n, u32 d, u32 *rem) {
  u32 q = 0, r = 0;
  if (d == 0) { if (rem) *rem = n; return 0xffffffffu; }  /* callers check first */
  if (n < d) { if (rem) *rem = n; return 0; }
  for (int i = 31; i >= 0; i--) {
    r = (r << 1) | ((n >> i) & 1u);
    if (r >= d) { r -= d; q |= 1u << i; }
  }
  if (rem) *rem = r;
  return q;
}

static u64 udivmod64(u64 n, u64 d, u64 *rem) {
  u64 q = 0, r = 0;
  if (d == 0) { if (rem) *rem = n; return ~(u64)0; }
  if ((n >> 32) == 0 && (d >> 32) == 0) {
    u32 r32, q32 = udivmod32((u32)n, (u32)d, &r32);
    if (rem) *rem = r32;
    return q32;
  }
  for (int i = 63; i >= 0; i--) {
    r = (r << 1) | ((n >> i) & 1u);
    if (r >= d) { r -= d; q |= (u64)1 << i; }
  }
  if (rem) *rem = r;
  return q;
}

u32 __udivsi3(u32 n, u32 d) { return udivmod32(n, d, 0); }
u32 __umodsi3(u32 n, u32 d) { u32 r; udivmod32(n, d, &r); return r; }
s32 __divsi3(s32 n, s32 d) {
  u32 q = udivmod32(n < 0 ? 0u - (u32)n : (u32)n, d < 0 ? 0u - (u32)d : (u32)d, 0);
  return (s32)((n < 0) != (d < 0) ? 0u - q : q);
}
s32 __modsi3(s32 n, s32 d) {
  u32 r;
  udivmod32(n < 0 ? 0u - (u32)n : (u32)n, d < 0 ? 0u - (u32)d : (u32)d, &r);
  return (s32)(n < 0 ? 0u - r : r);
}

u64 __udivdi3(u64 n, u64 d) { return udivmod64(n, d, 0); }
u64 __umoddi3(u64 n, u64 d) { u64 r; udivmod64(n, d, &r); return r; }
s64 __divdi3(s64 n, s64 d) {
  u64 q = udivmod64(n < 0 ? 0 - (u64)n : (u64)n, d < 0 ? 0 - (u64)d : (u64)d, 0);
  return (s64)((n < 0) != (d < 0) ? 0 - q : q);
}
s64 __moddi3(s64 n, s64 d) {
  u64 r;
  udivmod64(n < 0 ? 0 - (u64)n : (u64)n, d < 0 ? 0 - (u64)d : (u64)d, &r);
  return (s64)(n < 0 ? 0 - r : r);
}

/* 64 x 64 -> 64 from 16-bit partial products (lx106 has a 32-bit multiplier only). */
u64 __muldi3(u64 a, u64 b) {
  u32 al = (u32)a, ah = (u32)(a >> 32), bl = (u32)b, bh = (u32)(b >> 32);
  u32 a0 = al & 0xffffu, a1 = al >> 16, b0 = bl & 0xffffu, b1 = bl >> 16;
  u32 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  u32 mid = (p00 >> 16) + (p01 & 0xffffu) + (p10 & 0xffffu);
  u32 lo = (p00 & 0xffffu) | (mid << 16);
  u32 hi = p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16) + ah * bl + al * bh;
  return (u64)hi << 32 | lo;
}
