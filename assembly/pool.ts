// Fixed pools: every byte the stack uses is reserved once, by init(), from a bump
// allocator over linear memory. Nothing is ever freed and nothing is allocated after
// init, so a board's memory use is known before flashing. The module never uses
// `new` (the release build links no allocator at all; test/build.test.ts checks it).

let top: usize = 0;
let sealed = false;

/** Reserve `size` bytes aligned to 16; grows linear memory exactly as needed. Returns 0 when sealed or out of memory. */
export function poolAlloc(size: usize): usize {
  if (sealed) return 0;
  if (top == 0) top = (__heap_base + 15) & ~<usize>15;
  let p = top;
  let end = (p + size + 15) & ~<usize>15;
  let have = (<usize>memory.size()) << 16;
  if (end > have) {
    let pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  // No fill: bytes past __heap_base start zeroed (the module's initial pages, memory.grow's) and
  // `top` only moves forward, so a block is never handed out twice. Filling would make every pool
  // page resident at init (an idle fleet device would cost its whole pool in RSS).
  top = end;
  return p;
}

/** After init: no further allocation. */
export function poolSeal(): void { sealed = true; }

/** Bytes reserved so far (for the footprint report). */
export function poolUsed(): usize { return top == 0 ? 0 : top - ((__heap_base + 15) & ~<usize>15); }

/** Is [ptr, ptr + len) inside linear memory? (every ABI call that takes a pointer checks it) */
export function validRange(ptr: usize, len: i32): bool {
  if (len < 0) return false;
  let end = ptr + <usize>len;
  return end >= ptr && end <= (<usize>memory.size() << 16);
}

/**
 * Copy `len` (<= cap) bytes between `mem` and a ring of `cap` bytes starting at offset `pos`
 * (wrapping at the end): into the ring when `put`, out of it otherwise. TCP's and UDP's rings.
 */
export function ringCopy(ring: usize, cap: u32, pos: u32, mem: usize, len: u32, put: bool): void {
  pos %= cap;
  let first = cap - pos;
  if (first > len) first = len;
  let r = ring + pos, m2 = mem + first;
  memory.copy(put ? r : mem, put ? mem : r, first);
  memory.copy(put ? ring : m2, put ? m2 : ring, len - first);
}
