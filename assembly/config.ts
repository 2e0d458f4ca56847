// Configuration: the host sets keys with configure(key, value) before init().
// Every value is an integer (the core has no floats). Defaults suit a small board.

// Keys and defaults are declared once in abi/abi.mjs (generated into abi-consts.ts).
import { Cfg, CFG_VALUES } from "./abi-consts";
export { Cfg };

export const FEAT_TIMESTAMPS: u32 = 1;
export const FEAT_SACK: u32 = 2;
export const FEAT_WSCALE: u32 = 4;
export const FEAT_SYNCOOKIES: u32 = 8;

// Static data that starts out holding the defaults (generated): no start-up code.
const values: usize = CFG_VALUES;

export function cfgSet(key: i32, value: u32): bool {
  if (key < 0 || key >= <i32>Cfg.COUNT) return false;
  store<u32>(values + (<usize>key << 2), value);
  return true;
}

export function cfg(key: Cfg): u32 {
  return load<u32>(values + (<usize>key << 2));
}
