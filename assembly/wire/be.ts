// Network byte order for 16-bit fields, shared by every parser and writer. In the size builds it
// is one called function whose result is already in 0..0xffff, so callers need no mask (the
// ~lib bswap<u16> polyfill it replaces returned high garbage that every u16 use masked off).
/** The low 16 bits of `x` byte-swapped; the result is in 0..0xffff. */
export function swap16(x: u32): u32 { return ((x & 0xff) << 8) | ((x >>> 8) & 0xff); }
