// Named counters. Every drop increments one; hosts read them all through the ABI
// (statsPtr/statCount) and tests assert on them.
//
// The counters (name and meaning) are declared once in abi/abi.mjs (`stats`); `npm run gen:abi`
// writes the Stat enum into abi-consts.ts and the names into every host. The module keeps no
// names: to add a counter, add it there.
import { Stat } from "./abi-consts";
export { Stat };

// Static storage: no allocation.
const counters: usize = memory.data(<i32>Stat.COUNT * 4, 16);

// count(s) passes countAt the counter's number less COUNT_BIAS, folded into the constant at each
// call site: a wasm i32.const encodes -64..63 in one byte, so a bias near the middle of the list
// lets most of the ~190 call sites take one byte instead of two (the MCU build keeps count
// inlined for this: transforms/no-inline.mjs). The Node build inlines all of it.
const COUNT_BIAS: i32 = 99;
@inline export function count(s: Stat): void { countAt(<i32>s - COUNT_BIAS); }
@inline export function countAt(b: i32): void {
  let p = counters + (<usize>(b + COUNT_BIAS) << 2);
  store<u32>(p, load<u32>(p) + 1);
}

export function statsBase(): usize { return counters; }
