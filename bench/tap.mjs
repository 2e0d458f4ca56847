// Bulk TCP throughput between a stack behind a Linux TAP and the kernel in a namespace this
// bench creates (kernel 198.51.100.1/24, the stack 198.51.100.2/24), both directions, with
// the same kernel-side clients for every stack (python3 sending to discard port 9, curl
// fetching GET /bytes/N from port 80) and the same TAP setup (the stack's process makes the
// TAP, the bench moves it into the namespace). Needs root, /dev/net/tun, the TAP addon and
// dist/ (npm run build); otherwise prints why and skips. Stacks, each with 256 KiB buffers
// (`wasm-tcpip up`'s default):
//   - ours with the TAP's offloads (virtio-net header: 64 KiB TSO super-frames in, merged
//     segments out), in this process (createStack, TapLink), beside the kernel's own TCP over
//     veth (iperf3, else a python socket pair);
//   - ours without them (one frame per syscall, as on a board's MAC): the CLI as a user runs
//     it, `wasm-tcpip up --no-offload --no-ip6` in its own process, beside native lwIP;
//   - native lwIP (bench/lwip: NO_SYS, raw API, poll/read loop, 256 KiB window), built from
//     $LWIP_SRC by bench/lwip/build.sh; without LWIP_SRC its rows say how to get it;
//   - the firmware Linux port (firmware/linux/build/wasm-tcpip-linux, engine aot: the MCU
//     module translated by wasm2c, bounds checks kept; `make -C firmware`), beside native lwIP.
// The stacks alternate round by round (TAP_BENCH_ROUNDS, default 9), one after the other within a
// round; each figure is the median round, and a ratio to lwIP the median of the rounds' own ratios
// (this machine's speed swings by tens of percent within minutes: the stacks of one round share
// it, and the median drops the rounds a swing split). Every stack first moves TAP_BENCH_WARM
// bytes (default 32 MiB) each way, unmeasured, so the figures are a running stack's (a fresh Node
// process spends ~150 ms of CPU compiling its hot JavaScript during its first transfer; the C
// references have nothing to warm). The extra columns give the stack's process CPU time per
// full-size data frame over the transfer, user and system apart, ours and the reference's (medians
// too); the last two rows give the translated module's own time per frame (bench/fw: a timed copy
// of the firmware port).
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { median, paired, ROOT } from "./lib.mjs";

const run = promisify(execFile);
const BYTES = 256 << 20;
const BUF = 256 << 10;
const ROUNDS = Math.max(1, Number(process.env.TAP_BENCH_ROUNDS ?? 9));
const WARM = Math.max(0, Number(process.env.TAP_BENCH_WARM ?? 32 << 20));
// TAP_BENCH_ONLY=plain,lwip (any of offload, plain, thin, lwip, fw, veth, module) runs only those stacks,
// TAP_BENCH_DIRS=in (or out) only that direction: single rows while working on one path.
const ONLY = process.env.TAP_BENCH_ONLY ? new Set(process.env.TAP_BENCH_ONLY.split(",")) : null;
const want = (k) => ONLY === null || ONLY.has(k);
const DIRS = process.env.TAP_BENCH_DIRS ? process.env.TAP_BENCH_DIRS.split(",") : ["in", "out"];
const FRAMES = Math.ceil(BYTES / 1460); // full-size data frames per transfer (MSS 1460)
const LWIP_BIN = join(ROOT, "bench", "out", "lwip-tap");
const FW_BIN = join(ROOT, "firmware", "linux", "build", "wasm-tcpip-linux");
const FW_ARGS = ["--engine", "aot", "--sndbuf", String(BUF), "--rcvbuf", String(BUF)];
/** `wasm-tcpip up` without offloads, IPv4 only (as the references), the same buffers. */
const UP_CMD = [process.execPath, join(ROOT, "bin", "wasm-tcpip"), "up", "--no-offload", "--no-ip6",
  "--snd-buf", String(BUF), "--rcv-buf", String(BUF)];
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

async function vethReference() {
  const a = `wtl-va-${process.pid}`, b = `wtl-vb-${process.pid}`;
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

const TICK_NS = 1e9 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

/** CPU time of a process so far, [user, system] in ns: ours from process.cpuUsage, others from /proc. */
function cpuNs(pid) {
  if (pid === process.pid) { const u = process.cpuUsage(); return [u.user * 1e3, u.system * 1e3]; }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(f[11]) * TICK_NS, Number(f[12]) * TICK_NS]; // utime, stime (fields 14 and 15)
}
const perFrame = (a, b) => [(b[0] - a[0]) / FRAMES, (b[1] - a[1]) / FRAMES];

/**
 * One stack over a fresh TAP in a fresh namespace: `start(dev)` makes the TAP and serves
 * discard on 9 and GET /bytes/N on 80, returning { pid, stop() }. Both directions measured,
 * with the CPU time the stack's process spent per data frame.
 */
async function overTap(tag, start, dirs = DIRS) {
  const ns = `wtl-${tag}-${process.pid}`;
  const dev = `wtl${tag}${process.pid % 10000}`;
  let target = null;
  const res = {};
  try {
    ip("netns", "add", ns);
    target = await start(dev);
    ip("link", "set", dev, "netns", ns);
    ip("netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
    ip("netns", "exec", ns, "ip", "addr", "add", `${KERNEL_IP}/24`, "dev", dev);
    ip("netns", "exec", ns, "ip", "link", "set", dev, "up");
    await nsRun(ns, ["ping", "-c", "1", "-W", "2", OUR_IP]);
    if (WARM > 0) { // unmeasured: the same first transfers for every stack
      if (dirs.includes("in")) await nsRun(ns, ["python3", "-c", PY_SEND, OUR_IP, "9", String(WARM)]);
      if (dirs.includes("out")) await nsRun(ns, ["curl", "-s", "-o", "/dev/null", `http://${OUR_IP}/bytes/${WARM}`]);
    }
    let c0 = cpuNs(target.pid);
    if (dirs.includes("in")) {
      const { stdout: up } = await nsRun(ns, ["python3", "-c", PY_SEND, OUR_IP, "9", String(BYTES)]);
      [res.inUser, res.inSys] = perFrame(c0, cpuNs(target.pid));
      res.kernelToUs = (BYTES * 8) / Number(up) / 1e9;
    }
    if (!dirs.includes("out")) return res;
    c0 = cpuNs(target.pid);
    const { stdout: down } = await nsRun(ns, ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", `http://${OUR_IP}/bytes/${BYTES}`]);
    [res.outUser, res.outSys] = perFrame(c0, cpuNs(target.pid));
    const [secs, got] = down.split(" ").map(Number);
    if (got !== BYTES) throw new Error(`${tag}: GET /bytes/${BYTES} returned ${got} bytes`);
    res.usToKernel = (BYTES * 8) / secs / 1e9;
    return res;
  } finally {
    try { res.log = await target?.stop(); } catch { /* stopping */ }
    try { ip("netns", "del", ns); } catch { /* gone */ }
  }
}

/**
 * Ours in this process. `thinAcks` (the "thin" row, kernel -> us only): TapLink drops the pure ACKs a
 * later ACK in the same write batch supersedes, as it does by default with offloads. Without them it
 * is off by default: the ACKs sent become stretch ACKs (one per read batch, not one per two
 * segments, RFC 5681 §4.2), which a board's one-frame-per-write MAC path does not do; the row shows
 * what the ACK writes cost, not the default path.
 */
function ours(offload, thinAcks) {
  return overTap(offload ? "o" : thinAcks ? "t" : "p", async (dev) => {
    const { createStack } = await import(pathToFileURL(join(ROOT, "dist/net.js")).href);
    const { discardServer, httpServer } = await import(pathToFileURL(join(ROOT, "dist/services.js")).href);
    const net = createStack({ ip: `${OUR_IP}/24`, link: { type: "tap", name: dev, offload, thinAcks }, sndBuf: BUF, rcvBuf: BUF });
    discardServer(net, 9);
    httpServer(net, 80);
    return { pid: process.pid, stop: async () => net.close() };
  }, thinAcks ? DIRS.filter((d) => d === "in") : DIRS);
}

/** A program (`cmd`: the executable and its first arguments) that makes the TAP, serves discard 9 and HTTP 80, prints "ready", and stops on SIGTERM. */
function program(tag, cmd, args, dirs) {
  const [bin, ...pre] = cmd;
  const what = cmd.slice(0, 3).join(" "); // for messages: `node .../wasm-tcpip up`, not `node`
  return overTap(tag, (dev) => new Promise((resolve, reject) => {
    const child = spawn(bin, [...pre, "--tap", dev, "--ip", `${OUR_IP}/24`, "--discard", "9", "--http", "80", ...args],
      { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const exited = new Promise((r) => child.once("exit", r));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
      return out;
    };
    const timer = setTimeout(() => { stop(); reject(new Error(`${what} printed no "ready" in 10 s: ${out}`)); }, 10_000);
    const onData = (d) => {
      out += d;
      if (/^ready\b/m.test(out)) { clearTimeout(timer); resolve({ pid: child.pid, stop }); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (d) => { out += d; });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}) before "ready": ${out}`)); });
    child.once("error", (e) => { clearTimeout(timer); reject(e); });
  }), dirs);
}

/**
 * The translated module's own time per data frame, each direction in its own process of the
 * timed firmware copy (bench/fw: every call into the module timed, less the tx import's
 * write() syscalls and the timing's own cost). Returns { in, out } with ns per frame, the
 * export breakdown, and cycles per byte at the CPU's nominal clock.
 */
async function moduleTime(fwArgs) {
  const bin = execFileSync(join(ROOT, "bench", "fw", "build.sh"), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? NaN);
  const out = {};
  for (const dir of ["in", "out"]) {
    const r = await program("t", [bin], fwArgs, [dir]);
    const clock = Number(/^timed clock ([\d.]+)$/m.exec(r.log)?.[1] ?? 0);
    // Per export: the mean of the calls that were not preempted, times all its calls; setup
    // exports (configure, init: once per process) are not per-frame work.
    const fns = [...r.log.matchAll(/^timed fn (\w+) (\d+) (\d+) (\d+)$/gm)]
      .filter(([, name]) => name !== "init" && name !== "configure")
      .map(([, name, kept, ns, skipped]) => {
        const calls = Number(kept) + Number(skipped);
        return { name, calls, skipped: Number(skipped), ns: Number(kept) ? Math.max(0, Number(ns) / Number(kept) - clock) * calls : 0 };
      });
    if (fns.length === 0) throw new Error(`timed firmware printed no totals: ${r.log.slice(-300)}`);
    const total = fns.reduce((a, f) => a + f.ns, 0);
    const skipped = fns.reduce((a, f) => a + f.skipped, 0);
    out[dir] = {
      nsPerFrame: total / FRAMES, cyclesPerByte: (total / FRAMES) * (mhz / 1e3) / 1460, mhz,
      split: fns.filter((f) => f.ns / total > 0.01).sort((a, b) => b.ns - a.ns)
        .map((f) => `${f.name} ${(f.ns / FRAMES).toFixed(0)} ns/frame (${(f.calls / FRAMES).toFixed(2)} calls)`).join(", ") +
        `; ${skipped} preempted calls left out`,
    };
  }
  return out;
}

/** Builds the native lwIP reference from $LWIP_SRC; null (with the reason) without it. */
function lwipBuild() {
  if (!process.env.LWIP_SRC) return { why: "no native lwIP: LWIP_SRC=<lwIP tree>, see bench/lwip/README.md" };
  try {
    execFileSync(join(ROOT, "bench", "lwip", "build.sh"), { env: { ...process.env, OUT: LWIP_BIN }, stdio: ["ignore", "pipe", "pipe"] });
    return { bin: LWIP_BIN };
  } catch (e) {
    return { why: `native lwIP build failed: ${e.stderr ?? e.message}`.slice(0, 300) };
  }
}

const KEYS = ["kernelToUs", "usToKernel", "inUser", "inSys", "outUser", "outSys"];
/** A stack's rounds: the median of each figure, the rounds themselves, and its paired ratios to lwIP once made. */
const summary = (rounds) => rounds.length === 0 ? null
  : Object.assign({ rounds, pairs: {} }, Object.fromEntries(KEYS.map((k) => [k, median(rounds.map((r) => r[k]))])));
/** The paired ratios of one figure to the reference's (lib.mjs paired()), made once per figure (the row and the printout both use them). */
const pairedBy = (mine, theirs, key) =>
  (mine.pairs[key] ??= paired(mine.rounds.map((r) => r[key]), theirs.rounds.map((r) => r?.[key])));

export default async function tapBench() {
  const why = skipReason();
  if (why) {
    console.log(`bench tap: SKIPPED: ${why}`);
    return [];
  }
  const lwip = want("lwip") ? lwipBuild() : { why: "not run (TAP_BENCH_ONLY)" };
  const fw = !want("fw") ? "not run (TAP_BENCH_ONLY)" : existsSync(FW_BIN) ? null : "firmware Linux port not built (make -C firmware)";
  const runs = { off: [], plain: [], thin: [], lwip: [], fw: [] };
  const thin = want("thin") && DIRS.includes("in");
  for (let r = 0; r < ROUNDS; r++) {
    // native lwIP runs between the two stacks measured against it (`up` and the firmware port), so
    // each is next to it in time; which of them goes first alternates round by round
    const plainRun = async () => { if (want("plain")) runs.plain.push(await program("p", UP_CMD, [])); };
    const fwRun = async () => { if (!fw) runs.fw.push(await program("f", [FW_BIN], FW_ARGS)); };
    await (r % 2 ? fwRun() : plainRun());
    if (lwip.bin) runs.lwip.push(await program("l", [lwip.bin], []));
    await (r % 2 ? plainRun() : fwRun());
    if (thin) runs.thin.push(await ours(false, true));
    if (want("offload")) runs.off.push(await ours(true));
  }
  const ref = want("veth") ? await vethReference() : { gbps: NaN, how: "not run (TAP_BENCH_ONLY)" };
  const mod = fw || !want("module") ? null : await moduleTime(FW_ARGS);
  const [o, plain, native, firm, thinned] = [runs.off, runs.plain, runs.lwip, runs.fw, runs.thin].map(summary);
  const mib = `${BYTES >> 20} MiB`;
  const vethUnit = `Gbit/s (ref: kernel<->kernel veth, ${ref.how})`;
  const veth = (name, v) => ({ name: `${name} (${mib})`, ours: v, reference: ref.gbps, unit: vethUnit, ratio: v / ref.gbps });
  // CPU time per data frame of the stack's process: user (the stack itself, its loop and the
  // host around it) and system (its syscalls, which include the kernel's own TCP work on the
  // frames it writes: a TAP write runs the kernel's receive path in the writer's context).
  const cpu = (mine, theirs, dir) => ({
    "user ns/frame": mine?.[`${dir}User`], "ref user": theirs?.[`${dir}User`],
    "sys ns/frame": mine?.[`${dir}Sys`], "ref sys": theirs?.[`${dir}Sys`],
  });
  const vsLwip = (name, mine, key, cpuKey) => native
    ? { name: `${name} (${mib})`, ours: mine?.[key], reference: native[key], unit: "Gbit/s (ref: native lwIP, same TAP)",
        ratio: mine ? pairedBy(mine, native, key).ratio : undefined, cols: cpu(mine, native, cpuKey) }
    : { name: `${name} (${mib}; ${lwip.why})`, ours: mine?.[key], unit: "Gbit/s", cols: cpu(mine, null, cpuKey) };
  // the spread behind each paired median, round by round
  for (const [what, mine] of [["up --no-offload", plain], ["thinAcks", thinned], ["firmware", firm]]) {
    if (!mine || !native) continue;
    const per = (key) => pairedBy(mine, native, key).per;
    console.log(`bench tap: ${what} / lwIP by round: in ${per("kernelToUs")}` + (DIRS.includes("out") && what !== "thinAcks" ? `; out ${per("usToKernel")}` : ""));
  }
  const rows = [];
  if (o) rows.push(veth("TCP kernel -> our stack over TAP", o.kernelToUs), veth("TCP our stack -> kernel over TAP", o.usToKernel));
  if (plain) {
    // `up` says in its banner whether its plain frames go through io_uring (many per system call;
    // lwIP's harness makes one read()/write() per frame)
    const how = runs.plain.every((r) => /offloads off \(io_uring\)/.test(r.log ?? "")) ? " (io_uring)" : "";
    rows.push(
      vsLwip(`TCP kernel -> \`wasm-tcpip up --no-offload\`${how} over TAP`, plain, "kernelToUs", "in"),
      vsLwip(`TCP \`wasm-tcpip up --no-offload\`${how} -> kernel over TAP`, plain, "usToKernel", "out"));
  }
  if (thinned) rows.push(vsLwip("  kernel -> us without offloads, in this process, TapLink thinAcks on (stretch ACKs: not the default)", thinned, "kernelToUs", "in"));
  if (fw) rows.push({ name: `TCP firmware Linux port over TAP (${fw})`, unit: "Gbit/s" });
  else rows.push(
    vsLwip("TCP kernel -> firmware Linux port (aot) over TAP", firm, "kernelToUs", "in"),
    vsLwip("TCP firmware Linux port (aot) -> kernel over TAP", firm, "usToKernel", "out"));
  if (mod) {
    const modRow = (name, m) => ({ name, ours: m.nsPerFrame, unit: `ns per data frame in the module (${m.mhz.toFixed(0)} MHz)`,
      cols: { "cycles/byte": m.cyclesPerByte } });
    rows.push(
      modRow("  translated module, receive path (kernel -> firmware)", mod.in),
      modRow("  translated module, send path (firmware -> kernel)", mod.out));
    console.log(`bench tap: module time, receive path: ${mod.in.split}\nbench tap: module time, send path: ${mod.out.split}`);
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import("./table.mjs");
  const { loadavg } = await import("node:os");
  printTable(await tapBench());
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}
