// Runs a small ES module in a child node process (the liveness tests: does the process exit by
// itself, and when). The child is killed after `limitMs`; stdout and stderr are collected.
import { spawn } from "node:child_process";

export interface ChildRun { code: number | null; ms: number; out: string; killed: boolean }

/** Run `src` (an ES module's text) with `node --input-type=module -e`. */
export function runModule(src: string, limitMs: number): Promise<ChildRun> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", src], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill("SIGKILL"); }, limitMs);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, ms: Date.now() - t0, out, killed }); });
  });
}
