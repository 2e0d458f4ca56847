// Fleets (issue 15): K devices in the MCU configuration (src/fleet.ts createFleet) on one
// learning switch, 250 devices per VLAN (one /24 each), in one Node process. For K = 100,
// 1000 and 10,000, each in a fresh child process (dist/ must be built):
//   - bring-up: createFleet (instantiate + init K cores, K gratuitous ARPs delivered), seconds;
//   - resident memory per device: RSS growth over bring-up / K (reference: the 100 KB goal);
//   - simulated seconds per second, every device pinging a neighbour in its VLAN once per
//     virtual second (reference: 1.0 = real time); at K = 100 also on a hub (every frame to
//     every port, as before the switch), the reference of that row;
//   - real time (src/links/realtime.ts) at K = 1000: the longest the driver blocked the event
//     loop in one slice (reference: the 4 ms slice budget).
// Children run with --disable-wasm-trap-handler when FLEET_NO_TRAP_HANDLER=1 (then V8 reserves
// each memory's declared maximum, 1 MiB, instead of ~10 GiB of address space); without it a
// process holds at most ~12,700 instances (128 TiB / 10 GiB). `node bench/fleet.mjs` runs it
// alone; FLEET_K=100,1000 picks the sizes.
// DHCP bring-up (createFleet({ dhcp: true }), src/dhcp-server.ts) at K = 100 and 1000: virtual
// seconds until every device is bound (with RFC 5227 probes, and without: DhcpFlags bit 1) and
// the wall time, beside the static-address bring-up (createFleet + ARP) of the same run.
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import { ROOT } from "./lib.mjs";

const dist = (p) => pathToFileURL(join(ROOT, "dist", p)).href;
const SELF = fileURLToPath(import.meta.url);

async function child(K, mode) {
  const { createFleet } = await import(dist("fleet.js"));
  const { realtime } = await import(dist("links/realtime.js"));
  globalThis.gc?.();
  const rss0 = process.memoryUsage.rss();
  const t0 = performance.now();
  if (mode === "dhcp" || mode === "dhcp-noacd" || mode === "static") {
    if (mode === "static") {
      const f = createFleet({ count: K, seed: 1 });
      f.sim.runFor(100);
      return { K, wall: (performance.now() - t0) / 1000, virtual: f.sim.now() / 1000, bound: K };
    }
    const f = createFleet({ count: K, seed: 1, dhcp: mode === "dhcp" ? true : { acd: false } });
    const ok = await f.runUntilBound(600_000);
    return { K, wall: (performance.now() - t0) / 1000, virtual: f.sim.now() / 1000, bound: f.boundCount(), ok };
  }
  const hub = mode === "hub";
  const f = createFleet({ count: K, seed: 1, linkOptions: hub ? { learning: false } : {}, perVlan: hub ? Math.min(K, 250) : 250 });
  f.sim.runFor(100);
  const bringup = (performance.now() - t0) / 1000;
  globalThis.gc?.();
  const rssPer = (process.memoryUsage.rss() - rss0) / K / 1024;
  const peer = (i) => { const base = i - (i % 250), n = Math.min(250, K - base); return base + (((i % 250) + 1) % n); };
  const round = (s) => { for (let i = 0; i < K; i++) f.devices[i].ping(f.ip(peer(i)), s); };
  round(1); // resolve neighbours first (ARP floods once per device)
  f.sim.runFor(1000);
  if (mode === "realtime") {
    const rt = realtime(f.sim);
    let maxGap = 0, last = performance.now();
    const probe = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 1);
    const v0 = f.sim.now(), w0 = performance.now();
    let maxLag = 0;
    let next = 0; // each device pings once per second, spread over the second: K / 100 every 10 ms
    const tick = setInterval(() => {
      for (let j = 0; j < K / 100; j++, next = (next + 1) % K) f.devices[next].ping(f.ip(peer(next)), 2 + Math.floor(f.sim.now() / 1000));
    }, 10);
    const lag = setInterval(() => { maxLag = Math.max(maxLag, rt.lagMs); }, 5);
    await new Promise((r) => setTimeout(r, 3000));
    const simPerSec = (f.sim.now() - v0) / (performance.now() - w0); // reading the clock brings it up to the real one
    clearInterval(tick); clearInterval(probe); clearInterval(lag); rt.stop();
    return { K, longestSliceMs: rt.longestSliceMs, maxGapMs: maxGap, simPerSec, maxLagMs: maxLag, lagDroppedMs: rt.lagDroppedMs };
  }
  const SECS = K >= 10000 ? 2 : 5;
  const t1 = performance.now();
  for (let s = 2; s < 2 + SECS; s++) { round(s); f.sim.runFor(1000); }
  const simPerSec = SECS / ((performance.now() - t1) / 1000);
  const replies = f.devices.reduce((a, d) => a + d.stat("icmp_echo_replies_rx"), 0);
  return { K, bringup, rssPer, simPerSec, replies, expected: K * (SECS + 1) };
}

function run(K, mode) {
  const flags = ["--expose-gc", ...(process.env.FLEET_NO_TRAP_HANDLER === "1" ? ["--disable-wasm-trap-handler"] : [])];
  try {
    const out = execFileSync(process.execPath, [...flags, SELF, "--child", String(K), mode], { encoding: "utf8", maxBuffer: 1 << 20, timeout: 600_000 });
    return JSON.parse(out.trim().split("\n").pop());
  } catch (e) {
    return { K, error: (e.stderr || e.message).toString().trim().split("\n").slice(-2).join(" ") };
  }
}

export default async function fleetBench() {
  const sizes = (process.env.FLEET_K ?? "100,1000,10000").split(",").filter(Boolean).map(Number);
  const rows = [];
  const hub100 = sizes.includes(100) ? run(100, "hub") : null;
  for (const K of sizes) {
    const r = run(K, "switch");
    if (r.error) { rows.push({ name: `fleet K=${K}: failed (${r.error})`, unit: "" }); continue; }
    if (r.replies !== r.expected) rows.push({ name: `fleet K=${K}: ${r.replies} of ${r.expected} pings answered`, unit: "" });
    rows.push({ name: `fleet K=${K} bring-up (instantiate + init + ARP)`, ours: r.bringup, unit: "s" });
    rows.push({ name: `fleet K=${K} resident memory per device (MCU config)`, ours: r.rssPer, reference: 100, unit: "KiB (ref: goal)", ratio: r.rssPer / 100 });
    const ref = K === 100 && hub100 && !hub100.error ? hub100.simPerSec : 1;
    rows.push({
      name: `fleet K=${K} simulated s per s, 1 ping/s/device`, ours: r.simPerSec, reference: ref,
      unit: K === 100 ? "sim s/s (ref: a hub)" : "sim s/s (ref: real time)", ratio: r.simPerSec / ref,
    });
  }
  for (const K of (process.env.FLEET_DHCP_K ?? "100,1000").split(",").filter(Boolean).map(Number)) {
    const st = run(K, "static");
    for (const mode of ["dhcp", "dhcp-noacd"]) {
      const r = run(K, mode);
      const what = mode === "dhcp" ? "DHCP + RFC 5227 probes" : "DHCP, no ACD";
      if (r.error || st.error) { rows.push({ name: `fleet K=${K} ${what} bring-up: failed (${r.error ?? st.error})`, unit: "" }); continue; }
      if (!r.ok) rows.push({ name: `fleet K=${K} ${what}: only ${r.bound} of ${K} bound`, unit: "" });
      rows.push({ name: `fleet K=${K} ${what}: virtual time to all bound`, ours: r.virtual * 1000, unit: "virtual ms" });
      rows.push({ name: `fleet K=${K} ${what}: wall time to all bound`, ours: r.wall, reference: st.wall, unit: "s (ref: static bring-up)", ratio: r.wall / st.wall });
    }
  }
  if (sizes.includes(1000)) {
    const r = run(1000, "realtime");
    if (r.error) rows.push({ name: `fleet K=1000 real time: failed (${r.error})`, unit: "" });
    else {
      rows.push({ name: "fleet K=1000 real time: longest slice", ours: r.longestSliceMs, reference: 4, unit: "ms (ref: budget)", ratio: r.longestSliceMs / 4 });
      rows.push({ name: "fleet K=1000 real time: longest event-loop gap (1 ms probe)", ours: r.maxGapMs, unit: "ms" });
      rows.push({ name: "fleet K=1000 real time: virtual s per real s", ours: r.simPerSec, reference: 1, unit: "", ratio: r.simPerSec });
      rows.push({ name: "fleet K=1000 real time: largest lag behind the real clock", ours: r.maxLagMs, unit: "ms" });
    }
  }
  return rows;
}

if (process.argv[2] === "--child") {
  const r = await child(Number(process.argv[3]), process.argv[4]);
  console.log(JSON.stringify(r));
  process.exit(0);
} else if (process.argv[1] === SELF) {
  const { printTable } = await import("./table.mjs");
  printTable(await fleetBench());
}
