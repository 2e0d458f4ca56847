// The socket set's handle encoding (a leaf module: tcp/, udp.ts, services/ and hosts share it).
// The layout is declared once in abi/abi.mjs (handleLayout, generated into abi-consts.ts):
//
//   bit 31      0 (handles are positive i32; negative results are -Err)
//   bits 28-30  kind: TCP 1, UDP 2 (RAW 3, ICMP 4 reserved), DNS 5 (a resolver query)
//   bits 16-27  generation of the slot, 1..0xfff (bumped on every reuse)
//   bits 0-15   slot in the kind's pool (pools hold at most 65,535 entries)
//
// A handle of another kind, an unused slot or an old generation is -EBADF, never another socket.
import { HANDLE_GEN_BITS, HANDLE_GEN_SHIFT, HANDLE_KIND_SHIFT, HANDLE_SLOT_BITS } from "./abi-consts";
export { HANDLE_KIND_SHIFT, HANDLE_SLOT_BITS };

export const enum HandleKind { TCP = 1, UDP = 2, RAW = 3, ICMP = 4, DNS = 5 }

export const HANDLE_SLOT_MASK: i32 = (1 << HANDLE_SLOT_BITS) - 1;
export const HANDLE_GEN_MAX: i32 = (1 << HANDLE_GEN_BITS) - 1;
/** Largest pool of one kind (slot indexes + 1 fit a u16: the TCP lookup tables link by them). */
export const HANDLE_SLOTS: u32 = (1 << HANDLE_SLOT_BITS) - 1;

@inline export function handleEncode(kind: HandleKind, gen: i32, slot: i32): i32 {
  return (<i32>kind << HANDLE_KIND_SHIFT) | (gen << HANDLE_GEN_SHIFT) | slot;
}
/** Kind of a handle (0 for anything that is not a well-formed positive handle). */
@inline export function handleKind(h: i32): i32 { return h > 0 ? h >>> HANDLE_KIND_SHIFT : 0; }
@inline export function handleGen(h: i32): i32 { return (h >>> HANDLE_GEN_SHIFT) & HANDLE_GEN_MAX; }
@inline export function handleSlot(h: i32): i32 { return h & HANDLE_SLOT_MASK; }
/** The generation after `g` (1..HANDLE_GEN_MAX, never 0). */
@inline export function handleNextGen(g: i32): i32 { return g >= HANDLE_GEN_MAX || g < 0 ? 1 : g + 1; }

/**
 * The entry `h` names in a pool of `n` entries of `stride` bytes at `base` whose u16 generation
 * is at offset `genOff`: its address when `h` is of `kind`, its slot is in the pool and the
 * generations match; 0 otherwise. (Whether the entry is in use is the caller's check.)
 */
export function handleEntry(h: i32, kind: HandleKind, base: usize, n: i32, stride: usize, genOff: usize): usize {
  let i = handleSlot(h);
  if (handleKind(h) != kind || i >= n) return 0;
  let p = base + <usize>i * stride;
  return <i32>load<u16>(p + genOff) == handleGen(h) ? p : 0;
}
