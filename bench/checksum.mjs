// Internet checksum throughput: our AssemblyScript sum (SIMD and scalar paths, built
// with the release flags) against a C reference (bench/c/csum.c, gcc -O2, scalar
// 64-bit accumulator), on 1500-byte and 64 KiB buffers. Both loop internally, so
// the figures measure the sum itself; one extra row shows the cost of one JS call
// per 1500-byte buffer (what the Node host pays).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OUT, ROOT, ascBuild, ensureOut, sh, stubImports, timeBest } from "./lib.mjs";

const SIZES = [1500, 65536];
const ENTRY = "bench/asm/checksum.ts";

async function load(file) {
  const { instance } = await WebAssembly.instantiate(readFileSync(file), stubImports());
  return instance.exports;
}

/** Fill `len` bytes of linear memory at a fresh page with a fixed pseudo-random pattern. */
function placeBuffer(exp, len) {
  const pages = Math.ceil((len + 64) / 65536);
  const ptr = exp.memory.grow(pages) * 65536;
  const view = new Uint8Array(exp.memory.buffer, ptr, len);
  let x = 12345;
  for (let i = 0; i < len; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; view[i] = x >>> 16; }
  return ptr;
}

function cReference(len) {
  ensureOut();
  const bin = join(OUT, "csum");
  sh("gcc", ["-O2", "-o", bin, join(ROOT, "bench", "c", "csum.c")]);
  // Calibrate: ~150 ms per run, best of 5 runs.
  const probe = Number(sh(bin, [String(len), "1000"]).split(" ")[0]);
  const iters = Math.max(1000, Math.round(150e6 / Math.max(probe, 1)));
  let best = Infinity;
  for (let r = 0; r < 5; r++) best = Math.min(best, Number(sh(bin, [String(len), String(iters)]).split(" ")[0]));
  return best;
}

const gbps = (len, ns) => len / ns; // bytes per ns = GB/s

export default async function checksumBench() {
  const node = await load(ascBuild(ENTRY, "node", "checksum.wasm"));
  const mcu = await load(ascBuild(ENTRY, "mcu", "checksum.mcu.wasm"));
  const testing = await load(join(ROOT, "build", "testing.wasm")).catch(() => null);
  const rows = [];
  for (const len of SIZES) {
    const ref = gbps(len, cReference(len));
    const label = len === 1500 ? "1500 B" : `${len / 1024} KiB`;
    const cases = [
      ["SIMD (node build)", node, 1],
      ["scalar (node build)", node, 0],
      ["scalar (MCU build)", mcu, 0],
    ];
    for (const [what, exp, simd] of cases) {
      const ptr = placeBuffer(exp, len);
      const ns = timeBest((n) => exp.run(ptr, len, n, simd));
      const ours = gbps(len, ns);
      rows.push({ name: `checksum ${what}, ${label}`, ours, reference: ref, unit: "GB/s", ratio: ours / ref });
    }
    if (len === 1500 && testing) {
      const ptr = placeBuffer(testing, len);
      const sum16 = testing.sum16;
      const ns = timeBest((n) => { let a = 0; for (let i = 0; i < n; i++) a += sum16(ptr, len, 0); return a; });
      const ours = gbps(len, ns);
      rows.push({ name: `checksum SIMD, ${label}, one JS call each`, ours, reference: ref, unit: "GB/s", ratio: ours / ref });
    }
  }
  return rows;
}
