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

@inline export function count(s: Stat): void {
  let p = counters + (<usize>s << 2);
  store<u32>(p, load<u32>(p) + 1);
}

export function statsBase(): usize { return counters; }
