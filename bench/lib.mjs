// Shared helpers for benchmark modules (not a benchmark itself: run.mjs skips it).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(ROOT, "bench", "out");

export function ensureOut() {
  mkdirSync(OUT, { recursive: true });
  return OUT;
}

/** Run a command from the repository root; returns stdout. Throws with stderr on failure. */
export function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
}

/** Compile an AssemblyScript entry with the flags of an asconfig.json target, into bench/out/. */
export function ascBuild(entry, target, outName) {
  ensureOut();
  const out = join(OUT, outName);
  sh(join(ROOT, "node_modules", ".bin", "asc"), [
    entry, "--config", "asconfig.json", "--target", target,
    "--outFile", out, "--textFile", out.replace(/\.wasm$/, ".wat"), "--sourceMap", "false",
  ]);
  return out;
}

/** Imports every module of ours accepts; benchmarks never call them. */
export function stubImports() {
  const trap = (name) => () => { throw new Error(`bench: unexpected import ${name}`); };
  return { env: { abort: trap("abort"), tx: trap("tx"), entropy: trap("entropy"), event: trap("event") } };
}

/**
 * Time `fn(iters)` (which does `iters` units of work): picks iters so one run lasts
 * about `runMs`, then returns the best (smallest) ns per unit over `reps` runs.
 */
export function timeBest(fn, { runMs = 150, reps = 5 } = {}) {
  let iters = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    fn(iters);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= runMs / 4) { iters = Math.max(1, Math.round(iters * runMs / ms)); break; }
    iters *= ms < 1 ? 16 : 2;
  }
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn(iters);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / iters);
  }
  return best;
}
