// Network namespaces for kernel interop tests.
//
// Layout: our Node process opens a TAP device in the root namespace (the fd stays
// valid wherever the netdev goes), then the helper moves the netdev into a fresh
// namespace and configures the KERNEL side there (198.51.100.1/24 by default), so
// every packet the kernel sends comes from a namespace the test created. Our stack
// sits behind the TAP fd as 198.51.100.2/24.
//
// Cleanup is not optional: delete() runs from afterAll, and a process 'exit'
// handler deletes whatever is left; stale namespaces of dead test processes
// (same name prefix, pid no longer alive) are removed on the next create.
// Every command is bounded by a timeout.

import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const execFileP = promisify(execFile);
const PREFIX = "wtcpip-";
const CMD_TIMEOUT_MS = 10_000;
const live = new Set<string>();
let seq = 0;
let exitHookInstalled = false;

/** Why TAP/netns tests cannot run here, or null when they can. */
export function tapUnavailableReason(): string | null {
  if (process.platform !== "linux") return "TAP tests need Linux";
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "TAP tests need root (not running as uid 0)";
  if (!existsSync("/dev/net/tun")) return "TAP tests need /dev/net/tun (modprobe tun)";
  return null;
}

function ipSync(args: string[]): string {
  return execFileSync("ip", args, { timeout: CMD_TIMEOUT_MS, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function deleteSync(name: string): void {
  try { ipSync(["netns", "del", name]); } catch { /* already gone */ }
  live.delete(name);
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}

/** Remove namespaces left by test processes that died before cleaning up (SIGKILL, crash). */
export function sweepStale(): void {
  let list = "";
  try { list = ipSync(["netns", "list"]); } catch { return; }
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0];
    const m = /^wtcpip-(\d+)-\d+$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) deleteSync(name);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => { for (const n of [...live]) deleteSync(n); });
  // On a signal: clean up, then die of the same signal as if we had not been here.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => { for (const n of [...live]) deleteSync(n); process.kill(process.pid, sig); });
  }
}

export interface RunResult { stdout: string; stderr: string; code: number }

export class Netns {
  readonly name: string;
  private constructor(name: string) { this.name = name; }

  /** Create an empty namespace with its loopback up. */
  static create(): Netns {
    installExitHook();
    sweepStale();
    const name = `${PREFIX}${process.pid}-${seq++}`;
    ipSync(["netns", "add", name]);
    live.add(name);
    const ns = new Netns(name);
    ns.execSync(["ip", "link", "set", "lo", "up"]);
    return ns;
  }

  get alive(): boolean { return live.has(this.name); }

  /** Run a command inside the namespace, synchronously (blocks the event loop: only for setup). */
  execSync(cmd: string[], timeoutMs = CMD_TIMEOUT_MS): string {
    return execFileSync("ip", ["netns", "exec", this.name, ...cmd],
      { timeout: timeoutMs, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  /**
   * Run a command inside the namespace without blocking the event loop (so our
   * stack, driven by that loop, can answer). Resolves with the exit code; never rejects
   * on a non-zero exit, so tests assert on it. Killed after `timeoutMs`.
   */
  async run(cmd: string[], timeoutMs = CMD_TIMEOUT_MS): Promise<RunResult> {
    try {
      const r = await execFileP("ip", ["netns", "exec", this.name, ...cmd], { timeout: timeoutMs, encoding: "utf8" });
      return { stdout: r.stdout, stderr: r.stderr, code: 0 };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number | string; killed?: boolean };
      return { stdout: err.stdout ?? "", stderr: (err.stderr ?? "") + (err.killed ? "\n(killed: timeout)" : ""),
        code: typeof err.code === "number" ? err.code : -1 };
    }
  }

  /**
   * Move the netdev `dev` (e.g. a TAP our process holds open) into this namespace and
   * configure the kernel side: address `cidr`, link up, IPv6 off (no router/MLD noise).
   */
  adoptLink(dev: string, cidr = "198.51.100.1/24", opts: { ipv6?: boolean } = {}): void {
    ipSync(["link", "set", dev, "netns", this.name]);
    if (!opts.ipv6) {
      this.execSync(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
      this.execSync(["sysctl", "-qw", `net.ipv6.conf.${dev}.disable_ipv6=1`]);
    }
    this.execSync(["ip", "addr", "add", cidr, "dev", dev]);
    this.execSync(["ip", "link", "set", dev, "up"]);
  }

  /** Delete the namespace (idempotent). Devices inside it that nobody holds open go with it. */
  delete(): void { deleteSync(this.name); }
}
