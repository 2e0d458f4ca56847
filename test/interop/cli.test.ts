// `wasm-tcpip up` and `wasm-tcpip get` (bin/wasm-tcpip -> dist/cli.js) as real processes
// inside a namespace this test creates, on a persistent TAP whose kernel side is
// 198.51.100.1/24; our stack is 198.51.100.2/24. Bounded in time; everything is
// removed afterwards. Every pcap the CLI writes must pass tshark's checks.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { patternBytes } from "../../src/services.js";
import {
  gate, installCleanup, KERNEL_IP, kernelIngressLoss, namespace, NsProc, OUR_IP, pcapProblems, persistentTap,
  PY_ECHO_CLIENT, python, ROOT, scratch,
} from "./env.js";
import { Netns } from "../helpers/netns.js";

const skip = gate("test/interop/cli.test.ts");
installCleanup();

const BIN = join(ROOT, "bin/wasm-tcpip");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function cli(ns: Netns, args: string[], timeoutMs = 120_000): NsProc {
  if (!existsSync(join(ROOT, "dist/cli.js"))) throw new Error("dist/cli.js missing: run `npm run tsbuild`");
  return new NsProc(ns, [process.execPath, BIN, ...args], { cwd: ROOT, timeoutMs });
}

/** A 16 MiB random file served by `python3 -m http.server` in the namespace. */
async function fileServer(ns: Netns): Promise<{ url: string; digest: string }> {
  const dir = scratch(`www-${ns.name}`);
  mkdirSync(dir, { recursive: true });
  const blob = randomBytes(16 << 20);
  writeFileSync(join(dir, "blob.bin"), blob);
  const srv = new NsProc(ns, ["python3", "-u", "-m", "http.server", "8000", "--bind", KERNEL_IP, "--directory", dir], { timeoutMs: 200_000 });
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 100; i++) {
    const r = await ns.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", `http://${KERNEL_IP}:8000/`], 5_000);
    if (r.stdout === "200") break;
    if (srv.code !== null) throw new Error(`http.server exited: ${srv.errLines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://${KERNEL_IP}:8000/blob.bin`, digest: sha(blob) };
}

describe.skipIf(skip)("CLI against the kernel", () => {
  it("`wasm-tcpip up`: serves echo + HTTP to kernel clients, stops on SIGTERM with exit 0, pcap passes tshark", async () => {
    const ns = namespace();
    const dev = persistentTap(ns);
    const pcap = scratch(`${dev}-up.pcap`);
    const up = cli(ns, ["up", "--tap", dev, "--ip", `${OUR_IP}/24`, "--echo", "7", "--discard", "9", "--http", "80", "--pcap", pcap]);
    await up.waitLine(/^ready/, 20_000);
    expect(up.lines[0]).toBe(`wasm-tcpip up: ${dev} ${OUR_IP}/24 mac 02:00:00:00:00:02 pcap ${pcap}`);
    expect(up.lines[1]).toBe("serving: echo tcp/7, discard tcp/9, http tcp/80");
    const ping = await ns.run(["ping", "-c", "3", "-i", "0.1", OUR_IP], 10_000);
    expect(ping.stdout).toMatch(/3 received, 0% packet loss/);
    const curl = await ns.run(["sh", "-c", `curl -sS http://${OUR_IP}/bytes/1048576 | sha256sum`], 30_000);
    expect(curl.stdout.split(" ")[0]).toBe(sha(patternBytes(1 << 20)));
    const status = await ns.run(["curl", "-sS", "-i", `http://${OUR_IP}/`], 10_000);
    expect(status.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(status.stdout).toMatch(/LISTEN\s+0\s+0\s+198\.51\.100\.2:80/);
    expect(status.stdout).toMatch(/ESTABLISHED\s+\d+\s+\d+\s+198\.51\.100\.2:80\s+198\.51\.100\.1:\d+/);
    const echo = python(ns, PY_ECHO_CLIENT, [OUR_IP, 7, 1 << 20]);
    expect(JSON.parse(await echo.waitLine(/^\{/, 30_000))).toEqual({ sent: 1 << 20, received: 1 << 20, match: true });
    up.kill("SIGTERM");
    expect(await up.exited).toBe(0);
    expect(up.lines.some((l) => /^SIGTERM: closing \d+ connection/.test(l))).toBe(true);
    expect(up.lines.at(-1)).toMatch(/^done: \d+ http request\(s\), tcp conns opened=\d+ .* pcap \d+ frames$/);
    expect(statSync(pcap).size).toBeGreaterThan(1 << 20);
    expect(pcapProblems(pcap)).toEqual([]);
  });

  it("`wasm-tcpip up` with a busy TAP name or no rights fails with one line and exit code 1 (not a crash)", async () => {
    const ns = namespace();
    const dev = persistentTap(ns);
    const first = cli(ns, ["up", "--tap", dev, "--ip", `${OUR_IP}/24`]);
    await first.waitLine(/^ready/, 20_000);
    const second = cli(ns, ["up", "--tap", dev, "--ip", `${OUR_IP}/24`]);
    expect(await second.exited).toBe(1);
    expect(second.errLines.filter((l) => l.trim() !== "")).toHaveLength(1);
    expect(second.errLines[0]).toMatch(/^error: /);
    first.kill("SIGINT");
    expect(await first.exited).toBe(0);
  });

  for (const mode of ["clean", "our impairment 5% loss+reorder+dup", "kernel-side nftables 5% loss"] as const) {
    it(`\`wasm-tcpip get\` downloads 16 MiB from python3 -m http.server, SHA-256 equal (${mode})`, async () => {
      const ns = namespace();
      const dev = persistentTap(ns);
      const { url, digest } = await fileServer(ns);
      if (mode.startsWith("kernel")) kernelIngressLoss(ns, dev, 5);
      const out = scratch(`${dev}-get.bin`);
      const pcap = scratch(`${dev}-get.pcap`);
      const imp = mode.startsWith("our") ? ["--loss", "0.05", "--reorder", "0.05", "--duplicate", "0.05", "--delay", "0.2", "--seed", "5"] : [];
      const t0 = performance.now();
      const get = cli(ns, ["get", url, "--tap", dev, "--ip", `${OUR_IP}/24`, "-o", out, "--pcap", pcap, "--timeout", "110", ...imp], 130_000);
      const code = await get.exited;
      const secs = (performance.now() - t0) / 1000;
      console.log(`get 16 MiB (${mode}): ${secs.toFixed(2)} s; ${get.errLines.join(" | ")}`);
      expect(code).toBe(0);
      expect(get.errLines.at(-1)).toMatch(new RegExp(`^200 OK: ${16 << 20} bytes in [\\d.]+ s \\([\\d.]+ Mbit/s\\) -> `));
      expect(sha(readFileSync(out))).toBe(digest);
      expect(pcapProblems(pcap)).toEqual([]);
    }, 150_000);
  }
});
