// Benchmark entry (not shipped): loops over the checksum inside wasm so that the
// figure measures the checksum, not the JS -> wasm call. Compiled by bench/checksum.mjs
// with the release targets' flags (asconfig.json "node" and "mcu") into bench/out/.
import { sum16, sum16Scalar } from "../../assembly/checksum";

/**
 * Sum `len` bytes at `ptr` `iters` times with the SIMD (simd != 0) or scalar path.
 * `initial` changes every iteration and the result feeds an accumulator, so no call
 * can be hoisted or dropped. (Storing into the buffer instead would measure a
 * store-forwarding stall: a byte store followed by a wide load of the same bytes.)
 */
export function run(ptr: usize, len: i32, iters: i32, simd: i32): u32 {
  let acc: u32 = 0;
  for (let i = 0; i < iters; i++) {
    let init = <u32>i & 0xffff;
    acc += simd ? sum16(ptr, len, init) : sum16Scalar(ptr, len, init);
  }
  return acc;
}
