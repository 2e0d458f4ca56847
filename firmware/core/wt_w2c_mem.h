/* Compact, still exact, linear-memory accessors for wasm2c 1.0.32 output on 32-bit MCUs.
 * Included into the generated stack.c by w2c-rewrite.sh, which also rewrites every
 * access `i32_load(&instance->w2c_memory, (u64)(x) + 8u)` into `WT_i32_load(instance, x, 8u)`.
 *
 * Why: wasm2c forms each effective address as a 64-bit sum in the caller (on a 32-bit
 * core: an add with carry and a register pair), passes the memory by address (an add per
 * call) and compares in 64 bits; lx106 cannot load unaligned words, so every access is
 * byte-wise. GCC -Os already calls the accessors out of line, so the cost is at the ~1,400
 * call sites. Here a call site passes (instance, base, offset) in three registers and the
 * check lives once in the callee.
 *
 * The check is exact wasm semantics: trap (OOB) iff base + offset + size > memory size,
 * computed without overflow in 32 bits. WT_W2C_UNCHECKED=1 removes it: an explicit,
 * memory-UNSAFE build option for measurement only (a wild module address then reads or
 * writes anywhere in the host's RAM); never the default.
 *
 * WT_W2C_OUTLINE=1 (MCU ports, -Os) keeps the accessors out of line; without it the
 * compiler decides (hosts at -O2 inline them). */
#ifndef WT_W2C_MEM_H
#define WT_W2C_MEM_H

#ifndef WT_W2C_INSTANCE
#define WT_W2C_INSTANCE Z_stack_instance_t
#endif

#if defined(WT_W2C_OUTLINE) && WT_W2C_OUTLINE && defined(__GNUC__)
#define WT_MEM_FN static __attribute__((noinline))
#else
#define WT_MEM_FN static inline
#endif

#if defined(WT_W2C_UNCHECKED) && WT_W2C_UNCHECKED
#ifdef __GNUC__
#warning "WT_W2C_UNCHECKED: linear-memory bounds checks removed (memory-unsafe build)"
#endif
#define WT_EA(inst, base, off, n) ((inst)->w2c_memory.data + (u32)((base) + (off)))
#else
/* Address of n bytes at base + off, or an OOB trap. */
static inline u8* WT_EA(WT_W2C_INSTANCE* inst, u32 base, u32 off, u32 n) {
  u32 size = inst->w2c_memory.size;
  if (UNLIKELY(size < n || off > size - n || base > size - n - off))
    TRAP(OOB);
  return inst->w2c_memory.data + base + off;
}
#endif

#define WT_LOAD_FN(name, t)                                         \
  WT_MEM_FN t name(WT_W2C_INSTANCE* inst, u32 base, u32 off) {      \
    const u8* p = WT_EA(inst, base, off, sizeof(t));                \
    t v;                                                            \
    wasm_rt_memcpy(&v, p, sizeof(t));                               \
    return v;                                                       \
  }
#define WT_STORE_FN(name, t)                                             \
  WT_MEM_FN void name(WT_W2C_INSTANCE* inst, u32 base, u32 off, t v) {   \
    u8* p = WT_EA(inst, base, off, sizeof(t));                           \
    wasm_rt_memcpy(p, &v, sizeof(t));                                    \
  }

WT_LOAD_FN(wt_ld8, u8)
WT_LOAD_FN(wt_ld16, u16)
WT_LOAD_FN(wt_ld32, u32)
WT_LOAD_FN(wt_ld64, u64)
WT_STORE_FN(wt_st8, u8)
WT_STORE_FN(wt_st16, u16)
WT_STORE_FN(wt_st32, u32)
WT_STORE_FN(wt_st64, u64)

/* The wasm operations, with their sign or zero extensions. */
#define WT_i32_load(i, b, o) wt_ld32(i, b, o)
#define WT_i64_load(i, b, o) wt_ld64(i, b, o)
#define WT_i32_load8_s(i, b, o) ((u32)(s32)(s8)wt_ld8(i, b, o))
#define WT_i64_load8_s(i, b, o) ((u64)(s64)(s8)wt_ld8(i, b, o))
#define WT_i32_load8_u(i, b, o) ((u32)wt_ld8(i, b, o))
#define WT_i64_load8_u(i, b, o) ((u64)wt_ld8(i, b, o))
#define WT_i32_load16_s(i, b, o) ((u32)(s32)(s16)wt_ld16(i, b, o))
#define WT_i64_load16_s(i, b, o) ((u64)(s64)(s16)wt_ld16(i, b, o))
#define WT_i32_load16_u(i, b, o) ((u32)wt_ld16(i, b, o))
#define WT_i64_load16_u(i, b, o) ((u64)wt_ld16(i, b, o))
#define WT_i64_load32_s(i, b, o) ((u64)(s64)(s32)wt_ld32(i, b, o))
#define WT_i64_load32_u(i, b, o) ((u64)wt_ld32(i, b, o))
#define WT_i32_store(i, b, o, v) wt_st32(i, b, o, (u32)(v))
#define WT_i64_store(i, b, o, v) wt_st64(i, b, o, (u64)(v))
#define WT_i32_store8(i, b, o, v) wt_st8(i, b, o, (u8)(v))
#define WT_i64_store8(i, b, o, v) wt_st8(i, b, o, (u8)(v))
#define WT_i32_store16(i, b, o, v) wt_st16(i, b, o, (u16)(v))
#define WT_i64_store16(i, b, o, v) wt_st16(i, b, o, (u16)(v))
#define WT_i64_store32(i, b, o, v) wt_st32(i, b, o, (u32)(v))
/* Floats: the core has none; kept on wasm2c's own accessors should one ever appear. */
#define WT_f32_load(i, b, o) f32_load(&(i)->w2c_memory, (u64)(b) + (o))
#define WT_f64_load(i, b, o) f64_load(&(i)->w2c_memory, (u64)(b) + (o))
#define WT_f32_store(i, b, o, v) f32_store(&(i)->w2c_memory, (u64)(b) + (o), v)
#define WT_f64_store(i, b, o, v) f64_store(&(i)->w2c_memory, (u64)(b) + (o), v)

#endif
