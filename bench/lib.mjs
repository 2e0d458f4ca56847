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

/** Iterations of `fn(iters)` (which does `iters` units of work) that take about `runMs`. */
export function calibrate(fn, runMs = 150) {
  let iters = 1;
  for (;;) {
    const ms = timeOnce(fn, iters) * iters / 1e6;
    if (ms >= runMs / 4) return Math.max(1, Math.round(iters * runMs / ms));
    iters *= ms < 1 ? 16 : 2;
  }
}

/** Nanoseconds per unit of one run of `fn(iters)`. */
export function timeOnce(fn, iters) {
  const t0 = process.hrtime.bigint();
  fn(iters);
  return Number(process.hrtime.bigint() - t0) / iters;
}

/**
 * Best (smallest) ns per unit of each case over `reps` rounds. The cases run
 * interleaved, round after round, so a burst of load from elsewhere on the machine
 * hits ours and the reference alike instead of skewing one ratio.
 * `cases`: [{ key, fn(iters) -> ns per unit | undefined }]; a case may time itself
 * (returning ns per unit, e.g. an external program) or be timed here.
 */
export function timeInterleaved(cases, { runMs = 150, reps = 5 } = {}) {
  const iters = cases.map((c) => (c.calibrate ? c.calibrate(runMs) : calibrate(c.fn, runMs)));
  const best = cases.map(() => Infinity);
  for (let r = 0; r < reps; r++) {
    cases.forEach((c, i) => {
      const ns = c.external ? c.fn(iters[i]) : timeOnce(c.fn, iters[i]);
      best[i] = Math.min(best[i], ns);
    });
  }
  return Object.fromEntries(cases.map((c, i) => [c.key, best[i]]));
}

/** The middle value of the finite ones (the mean of the two middle ones for an even count); NaN for none. */
export const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  return n === 0 ? NaN : n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
};

/**
 * Paired rounds: the ratio mine[i] / theirs[i] of each round (the two ran back to back, so a swing
 * of the machine's speed cancels) and their median, the figure to report. `per` is the rounds'
 * ratios to two decimals, for printing the spread behind the median.
 */
export function paired(mine, theirs) {
  const ratios = mine.map((m, i) => m / theirs[i]);
  return { ratio: median(ratios), per: ratios.map((x) => x.toFixed(2)).join(" ") };
}
