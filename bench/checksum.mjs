// Internet checksum throughput: our AssemblyScript sum (SIMD and scalar paths, built
// with the release flags) against a C reference (bench/c/csum.c, gcc -O2, scalar
// 64-bit accumulator), on 1500-byte and 64 KiB buffers. Both loop internally, so
// the figures measure the sum itself; one extra row shows the cost of one JS call
// per 1500-byte buffer (what the Node host pays).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OUT, ROOT, ascBuild, ensureOut, sh, stubImports, timeInterleaved } from "./lib.mjs";

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

/** The C reference as a self-timing case: the program loops and reports ns per call. */
function cCase(len) {
  ensureOut();
  const bin = join(OUT, "csum");
  sh("gcc", ["-O2", "-o", bin, join(ROOT, "bench", "c", "csum.c")]);
  const run = (iters) => Number(sh(bin, [String(len), String(iters)]).split(" ")[0]);
  return {
    key: "C",
    external: true,
    fn: run,
    calibrate: (runMs) => Math.max(1000, Math.round((runMs * 1e6) / Math.max(run(1000), 1))),
  };
}

const gbps = (len, ns) => len / ns; // bytes per ns = GB/s

export default async function checksumBench() {
  const node = await load(ascBuild(ENTRY, "node", "checksum.wasm"));
  const mcu = await load(ascBuild(ENTRY, "mcu", "checksum.mcu.wasm"));
  const testing = await load(join(ROOT, "build", "testing.wasm"));
  const rows = [];
  for (const len of SIZES) {
    const label = len === 1500 ? "1500 B" : `${len / 1024} KiB`;
    const cases = [cCase(len)];
    const names = {};
    for (const [key, what, exp, simd] of [
      ["simd", "SIMD (node build)", node, 1],
      ["scalar", "scalar (node build)", node, 0],
      ["mcu", "scalar (MCU build)", mcu, 0],
    ]) {
      const ptr = placeBuffer(exp, len);
      cases.push({ key, fn: (n) => exp.run(ptr, len, n, simd) });
      names[key] = `checksum ${what}, ${label}`;
    }
    if (len === 1500) {
      const ptr = placeBuffer(testing, len);
      const sum16 = testing.sum16;
      cases.push({ key: "jscall", fn: (n) => { let a = 0; for (let i = 0; i < n; i++) a += sum16(ptr, len, 0); return a; } });
      names.jscall = `checksum SIMD, ${label}, one JS call each`;
    }
    const ns = timeInterleaved(cases);
    const ref = gbps(len, ns.C);
    for (const key of Object.keys(names)) {
      const ours = gbps(len, ns[key]);
      rows.push({ name: names[key], ours, reference: ref, unit: "GB/s", ratio: ours / ref });
    }
  }
  rows.push({ name: "(reference: bench/c/csum.c, gcc -O2, scalar, 4 x u64 sums of u32 words)", unit: "" });
  return rows;
}
