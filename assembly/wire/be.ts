// Network byte order for 16-bit fields, shared by every parser and writer. One called function
// (the size builds): its result is already in 0..0xffff, so callers need no mask, and
// constant arguments fold at the call site's compile time only where asc can (see docs/abi.md).
/** The low 16 bits of `x` byte-swapped; the result is in 0..0xffff. */
export function swap16(x: u32): u32 { return ((x & 0xff) << 8) | ((x >>> 8) & 0xff); }
