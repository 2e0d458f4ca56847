// UDP and DHCP benchmarks (`node bench/udp.mjs`, or `npm run bench` with the others):
//   - UDP round trips per second, 64-byte datagrams ping-ponged between two of our stacks in one
//     process through the node:dgram-shaped API (src/dgram.ts over an emulated link with no delay,
//     dist/ must be built), beside node:dgram over the kernel's loopback in the same run;
//   - the same ping-pong at the core's level (udpSendTo/udpRecvFrom on two release modules joined
//     by bench/tcp.mjs's in-process frame FIFO), to separate the core from the host wrapper;
//   - time from dhcpStart to BOUND against dnsmasq, our stack behind a TAP in a namespace this
//     bench creates and deletes. No kernel DHCP client is installed here (dhclient, udhcpc and
//     dhcpcd are absent), so the reference is a scripted python3 DISCOVER/OFFER/REQUEST/ACK
//     exchange with the same dnsmasq over a veth: the time dnsmasq takes to answer. Needs root,
//     dnsmasq and the TAP addon; otherwise the row says why and is skipped, never failing the bench.
// Ours and the reference alternate round by round; each figure is the best round.
import { spawn, execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ROOT } from "./lib.mjs";
import { Fifo, Host, IP_A, IP_B, tick } from "./tcp.mjs";

const ROUNDS = 3;
const ROUND_MS = Number(process.env.UDP_BENCH_MS ?? 500);
const SIZE = 64;
const DHCP_TRIALS = 5;

const dist = (p) => pathToFileURL(join(ROOT, "dist", p)).href;

// ---------------------------------------------------------------------------
// Round trips through the dgram API: two NetStacks on an emulated link (no delay)

async function apiRtt(ms) {
  const { createStack } = await import(dist("net.js"));
  const { Sim } = await import(dist("links/emulated.js"));
  const sim = new Sim({ seed: 1 });
  const link = sim.link({});
  const mk = (ip, mac, seed) => createStack({ ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link } });
  const a = mk("198.51.100.1", "02:00:00:00:00:01", 1);
  const b = mk("198.51.100.2", "02:00:00:00:00:02", 2);
  const srv = b.createSocket("udp4", (msg, r) => srv.send(msg, r.port, r.address));
  srv.bind(7);
  const cli = a.createSocket("udp4");
  const payload = Buffer.alloc(SIZE, 0x5a);
  let n = 0, bad = 0, end = Infinity;
  cli.on("message", (msg) => {
    if (msg.length !== SIZE) bad++;
    n++;
    if (performance.now() < end) cli.send(payload, 7, "198.51.100.2");
  });
  cli.bind(0);
  // warm up: ARP, JIT
  cli.send(payload, 7, "198.51.100.2");
  await a.until(() => n >= 200, 60_000);
  const n0 = n;
  const t = performance.now();
  end = t + ms;
  await a.until(() => performance.now() >= end, 1e12);
  await a.until(() => false, 5); // the last one comes back
  const secs = (performance.now() - t) / 1000;
  cli.close(); srv.close(); a.close(); b.close();
  if (bad) throw new Error(`${bad} echoed datagrams had the wrong length`);
  return (n - n0) / secs;
}

// ---------------------------------------------------------------------------
// Round trips at the core's level

function coreRtt(ms) {
  const ab = new Fifo(256), ba = new Fifo(256);
  const cfg = { UdpSockets: 2, MaxSockets: 1, SndBuf: 4096, RcvBuf: 4096 };
  const a = new Host(IP_A, 1, cfg, ab);
  const b = new Host(IP_B, 2, cfg, ba);
  a.x.ping(IP_B, 1, 1, 0, tick());
  for (let k = 0; k < 4; k++) { ab.deliver(b); ba.deliver(a); }
  const ua = a.x.udpOpen(), ub = b.x.udpOpen();
  if (a.x.udpBind(ua, 4000) < 0) throw new Error("udpBind");
  if (b.x.udpBind(ub, 7) < 0) throw new Error("udpBind");
  a.mem().fill(0x5a, a.io, a.io + SIZE);
  const from = b.io, data = b.io + 16;
  let n = 0;
  const end = performance.now() + ms;
  let t = performance.now(), warm = false;
  while (performance.now() < end) {
    tick();
    for (let k = 0; k < 256; k++) {
      if (a.x.udpSendTo(ua, IP_B, 7, a.io, SIZE) !== SIZE) throw new Error("udpSendTo (A)");
      ab.deliver(b);
      const r = b.x.udpRecvFrom(ub, data, 2048, from);
      if (r !== SIZE) throw new Error(`udpRecvFrom (B): ${r}`);
      const v = new Uint32Array(b.x.memory.buffer, from, 2);
      if (b.x.udpSendTo(ub, v[0], v[1], data, r) !== SIZE) throw new Error("udpSendTo (B)");
      ba.deliver(a);
      if (a.x.udpRecvFrom(ua, a.io + 4096, 2048, a.io + 2048) !== SIZE) throw new Error("udpRecvFrom (A)");
      n++;
    }
    a.pollIfDue(); b.pollIfDue();
    if (!warm && performance.now() - t > ms / 5) { warm = true; t = performance.now(); n = 0; }
  }
  return n / ((performance.now() - t) / 1000);
}

// ---------------------------------------------------------------------------
// The reference: node:dgram over loopback

async function nodeRtt(ms) {
  const srv = dgram.createSocket("udp4");
  srv.on("message", (msg, r) => srv.send(msg, r.port, r.address));
  await new Promise((r) => srv.bind(0, "127.0.0.1", r));
  const port = srv.address().port;
  const cli = dgram.createSocket("udp4");
  await new Promise((r) => cli.bind(0, "127.0.0.1", r));
  const payload = Buffer.alloc(SIZE, 0x5a);
  let n = 0, t = 0;
  const warmN = 200;
  await new Promise((resolve) => {
    let end = Infinity;
    cli.on("message", () => {
      n++;
      if (n === warmN) { t = performance.now(); end = t + ms; }
      if (performance.now() < end) cli.send(payload, port, "127.0.0.1");
      else resolve();
    });
    cli.send(payload, port, "127.0.0.1");
  });
  const secs = (performance.now() - t) / 1000;
  cli.close(); srv.close();
  return (n - warmN) / secs;
}

// ---------------------------------------------------------------------------
// DHCP: time to BOUND against dnsmasq

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000, ...opts });
const have = (cmd) => { try { sh("sh", ["-c", `command -v ${cmd}`]); return true; } catch { return false; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function dhcpUnavailable() {
  if (process.getuid?.() !== 0) return "needs root";
  if (!have("dnsmasq")) return "needs dnsmasq (Debian dnsmasq-base)";
  if (!have("python3") || !have("ip")) return "needs python3 and ip";
  if (!existsSync("/dev/net/tun")) return "needs /dev/net/tun";
  if (!existsSync(join(ROOT, "native/build/Release/tap.node"))) return "the TAP addon (native/) is not built";
  if (!existsSync(join(ROOT, "dist/net.js"))) return "dist/ is not built (npm run build)";
  return null;
}

/** N scripted DORA exchanges (BROADCAST flag set) on `dev`; prints one JSON list of ms from DISCOVER to ACK. */
const PY_DORA = String.raw`
import socket, struct, sys, time, json, random
dev, n = sys.argv[1], int(sys.argv[2])
mac = bytes.fromhex(open("/sys/class/net/%s/address" % dev).read().strip().replace(":", ""))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
s.bind(("0.0.0.0", 68))
s.settimeout(5)
def msg(xid, opts, ciaddr=b"\0" * 4):
    return struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000, ciaddr, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                       mac + b"\0" * 10, b"", b"") + b"\x63\x82\x53\x63" + opts + b"\xff"
def opt(code, val): return bytes([code, len(val)]) + val
def wait(xid, want):
    while True:
        d, _ = s.recvfrom(4096)
        if len(d) < 240 or struct.unpack("!I", d[4:8])[0] != xid: continue
        o, i = {}, 240
        while i < len(d) and d[i] != 255:
            if d[i] == 0: i += 1; continue
            o[d[i]] = d[i + 2:i + 2 + d[i + 1]]; i += 2 + d[i + 1]
        if o.get(53) == bytes([want]): return d[16:20], o
out = []
for k in range(n):
    xid = random.getrandbits(32)
    t0 = time.perf_counter()
    s.sendto(msg(xid, opt(53, b"\x01") + opt(55, b"\x01\x03\x06")), ("255.255.255.255", 67))
    yiaddr, o = wait(xid, 2)
    s.sendto(msg(xid, opt(53, b"\x03") + opt(50, yiaddr) + opt(54, o[54]) + opt(55, b"\x01\x03\x06")), ("255.255.255.255", 67))
    wait(xid, 5)
    out.append((time.perf_counter() - t0) * 1000)
    s.sendto(msg(random.getrandbits(32), opt(53, b"\x07") + opt(54, o[54]), ciaddr=yiaddr), (socket.inet_ntoa(o[54]), 67))
    time.sleep(0.05)
print(json.dumps(out))
`;

async function dhcpBound() {
  const why = dhcpUnavailable();
  const nameAcd = "DHCP time to BOUND vs dnsmasq (ACD off); ref: python3 DORA script (no dhclient/udhcpc/dhcpcd here)";
  const nameDefault = "DHCP time to BOUND vs dnsmasq, default (RFC 5227 probes + announce wait)";
  if (why) return [{ name: `${nameAcd}: skipped, ${why}`, unit: "ms" }, { name: `${nameDefault}: skipped, ${why}`, unit: "ms" }];
  const { createStack } = await import(dist("net.js"));
  const { TapLink } = await import(dist("links/tap.js"));
  const tag = `wtub${process.pid % 100000}`;
  const ns = `${tag}-srv`, nsc = `${tag}-cli`, vs = `${tag}s`, vc = `${tag}c`;
  // two TAPs: one stack with ACD off (DhcpFlags bit 1), one with the defaults (config is fixed at init)
  const devs = [`${tag}a`, `${tag}d`];
  const dir = mkdtempSync(join(tmpdir(), "wtcpip-bench-dhcp-"));
  const inNs = (name, ...args) => sh("ip", ["netns", "exec", name, ...args]);
  let dnsmasq = null;
  const taps = [], nets = [];
  const cleanup = () => {
    if (dnsmasq && dnsmasq.exitCode === null) dnsmasq.kill("SIGKILL");
    for (const n of nets) { try { n.close(); } catch { /* closed */ } }
    for (const t of taps) { try { t.close(); } catch { /* gone */ } }
    for (const n of [ns, nsc]) { try { sh("ip", ["netns", "del", n]); } catch { /* not there */ } }
    rmSync(dir, { recursive: true, force: true });
  };
  const onExit = () => cleanup();
  process.once("exit", onExit);
  try {
    sh("ip", ["netns", "add", ns]);
    sh("ip", ["netns", "add", nsc]);
    inNs(ns, "ip", "link", "set", "lo", "up");
    for (const d of devs) {
      taps.push(TapLink.open(d));
      sh("ip", ["link", "set", d, "netns", ns]);
    }
    sh("ip", ["link", "add", vs, "netns", ns, "type", "veth", "peer", "name", vc, "netns", nsc]);
    for (const [d, a] of [[devs[0], "198.51.100.1/24"], [devs[1], "203.0.113.129/25"], [vs, "203.0.113.1/25"]]) {
      inNs(ns, "ip", "addr", "add", a, "dev", d);
      inNs(ns, "ip", "link", "set", d, "up");
    }
    inNs(nsc, "ip", "link", "set", vc, "up");
    dnsmasq = spawn("ip", ["netns", "exec", ns, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--bind-interfaces", "--user=root",
      ...[...devs, vs].map((d) => `--interface=${d}`), `--pid-file=${join(dir, "pid")}`, `--dhcp-leasefile=${join(dir, "leases")}`,
      "--dhcp-range=198.51.100.50,198.51.100.99,2m", "--dhcp-range=203.0.113.50,203.0.113.99,2m",
      "--dhcp-range=203.0.113.150,203.0.113.199,2m", "--port=0"],
    { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    dnsmasq.stderr.on("data", (d) => { err += d; });
    for (let i = 0; ; i++) {
      if (/:67\s/.test(inNs(ns, "ss", "-Hunl"))) break;
      if (dnsmasq.exitCode !== null || i > 100) throw new Error(`dnsmasq did not start: ${err}`);
      await sleep(50);
    }
    const bound = (net) => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no lease within 30 s")), 30_000);
      const on = (st) => { if (st === "BOUND") { clearTimeout(t); net.off("dhcp", on); resolve(); } };
      net.on("dhcp", on);
    });
    /** ms from createStack (trial 0) or dhcpStart to BOUND; DHCPRELEASE after each. */
    const trial = async (k, first) => {
      const t0 = performance.now();
      if (first) {
        nets[k] = createStack({ ip: "dhcp", mac: `02:00:00:00:00:0${k + 2}`, link: { type: "tap", tap: taps[k] }, config: { DhcpFlags: k === 0 ? 2 : 0 } });
        nets[k].on("error", () => {});
      }
      const p = bound(nets[k]);
      if (!first && nets[k].stack.dhcpStart() !== 0) throw new Error("dhcpStart");
      await p;
      const ms = performance.now() - t0;
      nets[k].dhcpStop(true);
      await sleep(50);
      return ms;
    };
    const ours = [], ref = [];
    for (let k = 0; k < DHCP_TRIALS; k++) { // ours and the reference alternate
      ours.push(await trial(0, k === 0));
      ref.push(...JSON.parse(inNs(nsc, "python3", "-c", PY_DORA, vc, "1")));
    }
    const acd = await trial(1, true);
    const best = (xs) => Math.min(...xs);
    return [
      { name: `${nameAcd} [best of ${ours.length}]`, ours: best(ours), reference: best(ref), unit: "ms", ratio: best(ours) / best(ref) },
      { name: nameDefault, ours: acd, unit: "ms" },
    ];
  } catch (e) {
    return [{ name: `${nameAcd}: failed, ${String(e.message).split("\n")[0]}`, unit: "ms" }];
  } finally {
    process.off("exit", onExit);
    cleanup();
  }
}

// ---------------------------------------------------------------------------

export default async function udpBench() {
  let api = 0, core = 0, ref = 0;
  for (let r = 0; r < ROUNDS; r++) {
    api = Math.max(api, await apiRtt(ROUND_MS));
    ref = Math.max(ref, await nodeRtt(ROUND_MS));
    core = Math.max(core, coreRtt(ROUND_MS));
  }
  return [
    { name: "UDP round trips/s, 64 B, 2 stacks in-process via the dgram API vs node:dgram loopback", ours: api / 1e3, reference: ref / 1e3, unit: "k RTT/s", ratio: api / ref },
    { name: "UDP round trips/s, 64 B, core only (udpSendTo/udpRecvFrom) vs node:dgram loopback", ours: core / 1e3, reference: ref / 1e3, unit: "k RTT/s", ratio: core / ref },
    ...(await dhcpBound()),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import("./table.mjs");
  const { loadavg } = await import("node:os");
  printTable(await udpBench());
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}
