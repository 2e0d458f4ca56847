// Bulk TCP throughput between our stack (behind a Linux TAP, in this process) and the
// kernel in a namespace this bench creates (kernel 198.51.100.1/24, us 198.51.100.2/24),
// both directions, beside the kernel's own TCP throughput between two namespaces over
// veth (iperf3, else a python socket pair) measured in the same run. Needs root,
// /dev/net/tun, the TAP addon and dist/ (npm run build); otherwise prints why and skips.
// Measured twice: with the TAP's offloads (virtio-net header: the kernel hands us 64 KiB
// TSO super-frames, our segments leave merged; the default) and with plain frames (one
// frame per syscall), so the table shows what the offload buys.
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { ROOT } from "./lib.mjs";

const run = promisify(execFile);
const BYTES = 256 << 20;
const KERNEL_IP = "198.51.100.1";
const OUR_IP = "198.51.100.2";

function have(cmd) {
  try { execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }); return true; } catch { return false; }
}

function skipReason() {
  if (process.platform !== "linux") return "needs Linux";
  if (process.getuid?.() !== 0) return "needs root (network namespaces, TAP)";
  if (!existsSync("/dev/net/tun")) return "needs /dev/net/tun";
  if (!existsSync(join(ROOT, "native/build/Release/tap.node"))) return "the TAP addon is not built (npm rebuild)";
  if (!existsSync(join(ROOT, "dist/net.js"))) return "dist/ is not built (npm run tsbuild)";
  const missing = ["ip", "python3", "curl"].filter((t) => !have(t));
  return missing.length ? `needs ${missing.join(", ")}` : null;
}

const ip = (...args) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
const nsRun = (ns, cmd, timeout = 120_000) => run("ip", ["netns", "exec", ns, ...cmd], { timeout, maxBuffer: 16 << 20 });

/** Python: send BYTES to host:port, wait for the server's FIN; prints seconds. */
const PY_SEND = `
import socket, sys, time
n = int(sys.argv[3]); buf = b"x" * (1 << 20)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
t0 = time.perf_counter(); left = n
while left > 0:
    k = s.send(buf[:min(left, len(buf))]); left -= k
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
print(time.perf_counter() - t0)
`;

/** Python socket-pair server for the veth reference: read until EOF, close. */
const PY_SINK = `
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 5201)); l.listen(1); print("ready", flush=True)
c, _ = l.accept()
while c.recv(1 << 20): pass
c.close()
`;

async function ours(offload) {
  const { createStack } = await import(pathToFileURL(join(ROOT, "dist/net.js")).href);
  const { discardServer, httpServer } = await import(pathToFileURL(join(ROOT, "dist/services.js")).href);
  const ns = `wtcpip-bench-${process.pid}`;
  const dev = `wb${process.pid % 100000}`;
  let net = null;
  try {
    ip("netns", "add", ns);
    net = createStack({ ip: `${OUR_IP}/24`, link: { type: "tap", name: dev, offload }, sndBuf: 1 << 20, rcvBuf: 1 << 20 });
    ip("link", "set", dev, "netns", ns);
    ip("netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
    ip("netns", "exec", ns, "ip", "addr", "add", `${KERNEL_IP}/24`, "dev", dev);
    ip("netns", "exec", ns, "ip", "link", "set", dev, "up");
    discardServer(net, 9);
    httpServer(net, 80);
    await nsRun(ns, ["ping", "-c", "1", "-W", "2", OUR_IP]);
    const { stdout: up } = await nsRun(ns, ["python3", "-c", PY_SEND, OUR_IP, "9", String(BYTES)]);
    const kernelToUs = (BYTES * 8) / Number(up) / 1e9;
    const { stdout: down } = await nsRun(ns, ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", `http://${OUR_IP}/bytes/${BYTES}`]);
    const usToKernel = (BYTES * 8) / Number(down) / 1e9;
    return { kernelToUs, usToKernel };
  } finally {
    try { net?.close(); } catch { /* closing */ }
    try { ip("netns", "del", ns); } catch { /* gone */ }
  }
}

async function vethReference() {
  const a = `wtcpip-bva-${process.pid}`, b = `wtcpip-bvb-${process.pid}`;
  try {
    ip("netns", "add", a);
    ip("netns", "add", b);
    ip("link", "add", "wbva", "netns", a, "type", "veth", "peer", "name", "wbvb", "netns", b);
    ip("netns", "exec", a, "ip", "addr", "add", "203.0.113.1/24", "dev", "wbva");
    ip("netns", "exec", b, "ip", "addr", "add", "203.0.113.2/24", "dev", "wbvb");
    ip("netns", "exec", a, "ip", "link", "set", "wbva", "up");
    ip("netns", "exec", b, "ip", "link", "set", "wbvb", "up");
    if (have("iperf3")) {
      const srv = execFile("ip", ["netns", "exec", b, "iperf3", "-s", "-1", "-B", "203.0.113.2"], { timeout: 30_000 });
      await new Promise((r) => setTimeout(r, 300));
      const { stdout } = await nsRun(a, ["iperf3", "-c", "203.0.113.2", "-t", "3", "-J"], 30_000);
      srv.kill();
      return { gbps: JSON.parse(stdout).end.sum_received.bits_per_second / 1e9, how: "iperf3" };
    }
    const sink = execFile("ip", ["netns", "exec", b, "python3", "-u", "-c", PY_SINK, "203.0.113.2"], { timeout: 60_000 });
    await new Promise((r) => sink.stdout.once("data", r));
    const { stdout } = await nsRun(a, ["python3", "-c", PY_SEND, "203.0.113.2", "5201", String(BYTES * 4)]);
    return { gbps: (BYTES * 4 * 8) / Number(stdout) / 1e9, how: "python socket pair" };
  } finally {
    try { ip("netns", "del", a); } catch { /* gone */ }
    try { ip("netns", "del", b); } catch { /* gone */ }
  }
}

export default async function tapBench() {
  const why = skipReason();
  if (why) {
    console.log(`bench tap: SKIPPED: ${why}`);
    return [];
  }
  const o = await ours(true);
  const plain = await ours(false);
  const ref = await vethReference();
  const unit = `Gbit/s (ref: kernel<->kernel veth, ${ref.how})`;
  const row = (name, v) => ({ name: `${name} (${BYTES >> 20} MiB)`, ours: v, reference: ref.gbps, unit, ratio: v / ref.gbps });
  return [
    row("TCP kernel -> our stack over TAP", o.kernelToUs),
    row("TCP our stack -> kernel over TAP", o.usToKernel),
    row("  same, kernel -> us, no TAP offload", plain.kernelToUs),
    row("  same, us -> kernel, no TAP offload", plain.usToKernel),
  ];
}
