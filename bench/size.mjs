// Sizes of the release modules (raw and gzip -9), the MCU module with each build-time feature
// switch (assembly/features.ts) against the budgets (issue 9: <= 40 KiB with every feature;
// issue 8: <= 31 KiB for the seams alone) and lwIP's wasm build with DHCP and DNS (42.4 KB, the
// issue's figure), and the default MCU configuration's pools per feature. Run alone
// (`npm run size`) or as a bench module by run.mjs.
//
// The switch variants are compiled here with package.json's "asbuild:mcu" command line plus
// `--use WT_<NAME>=0` into bench/out/ and given its wasm-opt -Oz post-pass (transforms/wasm-opt.mjs;
// rebuilt only when assembly/ or the build files changed);
// the full and seams-only modules are build/stack.mcu.wasm and build/stack.mcu-seams.wasm.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { ensureOut, OUT, ROOT } from "./lib.mjs";
import { wasmOptOz } from "../transforms/wasm-opt.mjs";
import firmwareSizes, { linearMemory, mcuConfig } from "../firmware/size.mjs";

const MODULES = [
  ["stack.wasm (node, SIMD)", "build/stack.wasm"],
  ["stack.mcu.wasm (MCU, no SIMD, IPv4 only: --use WT_IPV6=0)", "build/stack.mcu.wasm"],
  ["stack.mcu6.wasm (MCU + IPv6, budget 56 KiB: npm run asbuild:mcu6)", "build/stack.mcu6.wasm"],
];

const KIB40 = 40 * 1024;
const KIB31 = 31 * 1024;
const LWIP = 42400; // lwIP's wasm build with DHCP and DNS, "42.4 KB" (issue 9)
const FEATURES = ["SNTP", "DNS", "DHCP", "IGMP", "FRAG"];
const FEATURE_NAMES = { SNTP: "SNTP", DNS: "DNS", DHCP: "DHCP", IGMP: "IGMP/multicast", FRAG: "IPv4 fragments" };

/** The MCU variants measured: [label, off switches, budget, file or null (built here)]. */
const VARIANTS = [
  ["all features (default)", [], KIB40, "build/stack.mcu.wasm"],
  ...FEATURES.map((f) => [`without ${FEATURE_NAMES[f]}`, [f], KIB40, null]),
  ["seams only: TCP + UDP, no services (npm run asbuild:mcu-seams)", FEATURES, KIB31, "build/stack.mcu-seams.wasm"],
];

/** Newest modification time under the inputs of a module build. */
function sourcesMtime() {
  let t = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else t = Math.max(t, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, "assembly"));
  walk(join(ROOT, "transforms"));
  for (const f of ["asconfig.json", "package.json"]) t = Math.max(t, statSync(join(ROOT, f)).mtimeMs);
  return t;
}

/** Compile the MCU module with `off` switches (asbuild:mcu's asc command line + --use WT_X=0, then its post-pass). */
async function buildVariant(off) {
  ensureOut();
  const out = join(OUT, `stack.mcu-no-${off.join("-").toLowerCase()}.wasm`);
  if (existsSync(out) && statSync(out).mtimeMs > sourcesMtime()) return out;
  const [cmd, ...args] = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts["asbuild:mcu"].split("&&")[0].trim().split(/\s+/);
  if (cmd !== "asc") throw new Error(`asbuild:mcu is not an asc command line: ${cmd}`);
  await promisify(execFile)(join(ROOT, "node_modules", ".bin", "asc"),
    [...args, ...off.flatMap((f) => ["--use", `WT_${f}=0`]), "-o", out, "-t", out.replace(/\.wasm$/, ".wat")],
    { cwd: ROOT, maxBuffer: 16 << 20 });
  wasmOptOz(out, out.replace(/\.wasm$/, ".wat"));
  return out;
}

/** Run `tasks` (functions returning promises) two at a time (the machines have 2 cores). */
async function twoAtATime(tasks) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => { while (next < tasks.length) { const i = next++; results[i] = await tasks[i](); } };
  await Promise.all([worker(), worker()]);
  return results;
}

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

  // The MCU module per feature set, against its budget and lwIP.
  const files = await twoAtATime(VARIANTS.map(([, off, , rel]) => async () => {
    if (rel) return existsSync(join(ROOT, rel)) ? join(ROOT, rel) : new Error(`missing: npm run ${rel.includes("seams") ? "asbuild:mcu-seams" : "asbuild:mcu"}`);
    try { return await buildVariant(off); } catch (err) { return new Error(`not built: ${String(err.message).split("\n")[0]}`); }
  }));
  const built = [];  // [label, off, file] of the modules measured
  VARIANTS.forEach(([label, off, budget], i) => {
    const f = files[i];
    if (f instanceof Error) { rows.push({ name: `size MCU module, ${label}: ${f.message}`, ours: NaN, unit: "bytes" }); return; }
    const raw = readFileSync(f);
    rows.push({
      name: `size MCU module, ${label}: raw (budget ${budget === KIB40 ? "40" : "31"} KiB)`,
      ours: raw.length, reference: budget, unit: "bytes", ratio: raw.length / budget,
      cols: { "gzip -9": gzipSync(raw, { level: 9 }).length, "raw / lwIP 42.4 KB": raw.length / LWIP },
    });
    built.push([label, off, f]);
  });

  // The default MCU configuration's pools: what each feature reserves (the full module's pools
  // minus those of the module built without it) and the seams-only module's.
  try {
    const cfg = mcuConfig();
    const poolsOf = async (file) => (await linearMemory(cfg, file)).pools;
    const full = built.find(([, off]) => off.length === 0);
    const fullPools = full ? await poolsOf(full[2]) : null;
    for (const [label, off, f] of built) {
      if (off.length === 1 && fullPools !== null) rows.push({ name: `MCU config pools: ${FEATURE_NAMES[off[0]]} reserves`, ours: fullPools - (await poolsOf(f)), unit: "bytes" });
      if (off.length === FEATURES.length) rows.push({ name: `MCU config pools: ${label.split(":")[0]} module, in all`, ours: await poolsOf(f), unit: "bytes" });
    }
  } catch (err) {
    rows.push({ name: `MCU config pools: ${err.message}`, ours: NaN, unit: "bytes" });
  }
  rows.push(...(await firmwareSizes()));  // flash/RAM of the firmware images, the default config's memory
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import("./table.mjs");
  printTable(await sizes());
}
