// RFC 7217 §5 in the Linux firmware port: WT_IP6_SECRET_FILE keeps the secret_key across
// restarts (made on the first start, 16 bytes, mode 0600), so the port's stable link-local
// address is the same on every start; without it the address changes. The port (the dual-stack
// mcu6 module, wasm2c AOT) runs on a TAP inside a namespace this test creates and deletes.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./env.js";
import { tapUnavailableReason } from "../helpers/netns.js";

const BIN = join(ROOT, "firmware/linux/build/wasm-tcpip-linux");
const required = process.env.WASM_TCPIP_REQUIRE_NET === "1";
const reason = tapUnavailableReason() ?? (existsSync(BIN) ? null : "firmware/linux not built (make -C firmware/linux)");
const NS = `ip6core-sec-${process.pid}`;
const TAP = `ip6cs${process.pid % 100000}`;
const dir = mkdtempSync(join(tmpdir(), "ip6core-secret-"));

/** Start the port for ~4 s (bounded by timeout) and return the link-local address it reports preferred. */
function linkLocal(env: Record<string, string>): string {
  const r = spawnSync("ip", ["netns", "exec", NS, "timeout", "-s", "TERM", "4", BIN, "--tap", TAP, "--ip", "198.51.100.9/24"],
    { env: { ...process.env, ...env }, encoding: "utf8", timeout: 15_000 });
  const out = `${r.stdout}${r.stderr}`;
  const m = /ip6 preferred (fe80::[0-9a-f:]+)\/64 \(link-local\)/.exec(out);
  if (!m) throw new Error(`no link-local address in the port's output:\n${out}`);
  return m[1];
}

describe.skipIf(reason !== null && !required)("RFC 7217 §5: the Linux port's persistent secret (WT_IP6_SECRET_FILE)", () => {
  afterAll(() => {
    spawnSync("ip", ["netns", "del", NS]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("RFC 7217 §5: the same stable link-local address on every start with the secret file; a new one each start without it", () => {
    if (reason) throw new Error(reason);
    execFileSync("ip", ["netns", "add", NS]);
    execFileSync("ip", ["-n", NS, "tuntap", "add", "mode", "tap", "name", TAP]);
    execFileSync("ip", ["-n", NS, "link", "set", TAP, "up"]);
    const file = join(dir, "secret");
    const a = linkLocal({ WT_IP6_SECRET_FILE: file });
    expect(readFileSync(file).length).toBe(16);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const b = linkLocal({ WT_IP6_SECRET_FILE: file });
    expect(b).toBe(a);
    const c = linkLocal({});
    const d = linkLocal({});
    expect(c === d && c === a).toBe(false);
  }, 60_000);
});
