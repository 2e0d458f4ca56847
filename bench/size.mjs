// Sizes of the release modules (raw and gzip -9). Run alone (`npm run size`) or as a
// bench module by run.mjs. Firmware image sizes will join this table later.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { ROOT } from "./lib.mjs";
import firmwareSizes from "../firmware/size.mjs";

const MODULES = [
  ["stack.wasm (node, SIMD)", "build/stack.wasm"],
  ["stack.mcu.wasm (MCU, no SIMD)", "build/stack.mcu.wasm"],
];

export default async function sizes() {
  const rows = [];
  for (const [name, rel] of MODULES) {
    const file = join(ROOT, rel);
    if (!existsSync(file)) { rows.push({ name: `${name}: missing, run npm run asbuild`, ours: NaN, unit: "bytes" }); continue; }
    const raw = readFileSync(file);
    const gz = gzipSync(raw, { level: 9 }).length;
    rows.push({ name: `size ${name}, raw`, ours: raw.length, unit: "bytes" });
    rows.push({ name: `size ${name}, gzip -9`, ours: gz, reference: raw.length, unit: "bytes", ratio: gz / raw.length });
  }
  rows.push(...(await firmwareSizes()));  // flash/RAM of the firmware images (firmware/size.mjs)
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import("./table.mjs");
  printTable(await sizes());
}
