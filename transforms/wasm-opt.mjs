// Post-pass of the size builds (package.json "asbuild:mcu", "asbuild:mcu-seams", the testing-mcu
// half of "asbuild:testing", and bench/size.mjs's feature variants): Binaryen's wasm-opt -Oz
// (node_modules/binaryen, the version asc itself uses) over the module asc wrote, in place, with
// the MCU target's features (no mutable-global imports/exports; sign-ext and bulk memory as asc
// emits them). asc's own pipeline at shrinkLevel 2 leaves a few hundred bytes that a second -Oz
// round on the finished binary removes (issue 9's 40 KiB budget). The text file, if given, is
// rewritten from the optimized binary so it shows what ships.
//   node transforms/wasm-opt.mjs MODULE.wasm [MODULE.wat]
import { execFileSync } from "node:child_process";
import { renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const WASM_OPT_FLAGS = ["--disable-mutable-globals", "--enable-sign-ext", "--enable-bulk-memory", "-Oz"];
const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", "binaryen", "bin");

/** Optimize `wasm` in place with -Oz; write its text form to `wat` when given. */
export function wasmOptOz(wasm, wat) {
  const tmp = `${wasm}.opt`;
  execFileSync(join(BIN, "wasm-opt"), [...WASM_OPT_FLAGS, wasm, "-o", tmp], { stdio: "inherit" });
  renameSync(tmp, wasm);
  if (wat) execFileSync(join(BIN, "wasm-dis"), [wasm, "-o", wat], { stdio: "inherit" });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [wasm, wat] = process.argv.slice(2);
  if (!wasm) { console.error("usage: node transforms/wasm-opt.mjs MODULE.wasm [MODULE.wat]"); process.exit(2); }
  wasmOptOz(wasm, wat);
}
