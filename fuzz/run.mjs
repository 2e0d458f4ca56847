#!/usr/bin/env node
// npm run fuzz -- [--seconds N] [--jobs J] [--fast] [harness...]
// Builds fuzz/ (libFuzzer + ASan + UBSan over build/testing.mcu.wasm translated by wasm2c),
// replays every saved regression input (fuzz/regress/HARNESS/), then runs each harness for N
// seconds (default 60) from the seed corpus (written here from test/fixtures/kernel.pcap and
// crafted templates) plus the campaign corpus fuzz/build/corpus/HARNESS. Exits non-zero on any
// crash or invariant violation (the input is saved as fuzz/build/crash-HARNESS-*; copy it to
// fuzz/regress/HARNESS/ with the fix). Prints executions, edges (libFuzzer's cov:) and exec/s.
// --fast: the same harnesses built without ASan/UBSan (fuzz/build-fast/: about 4x the executions per
// second; the module's bounds-checked memory accessors, wasm traps and every invariant still apply),
// for campaign volume; a crash it finds is replayed at once by the sanitizer build's replay binary.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, appendFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const all = ["frames", "actions", "services"];
let seconds = 60, jobs = 1, fast = false;
const chosen = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--seconds") seconds = Number(argv[++i]);
  else if (a === "--jobs") jobs = Number(argv[++i]);
  else if (a === "--fast") fast = true;
  else if (all.includes(a)) chosen.push(a);
  else { console.error(`fuzz: unknown argument ${a} (harnesses: ${all.join(", ")})`); process.exit(2); }
}
if (!(seconds > 0) || !(jobs >= 1)) { console.error("fuzz: --seconds and --jobs must be positive"); process.exit(2); }
const harnesses = chosen.length ? chosen : all;

if (!existsSync(join(root, "build/testing.mcu.wasm"))) {
  console.error("fuzz: build/testing.mcu.wasm is missing: run `npm run asbuild:testing` (or npm run build)");
  process.exit(2);
}
execFileSync("make", ["-s", "-C", here], { stdio: "inherit" });
if (fast) execFileSync("make", ["-s", "-C", here, "B=build-fast", "SAN="], { stdio: "inherit" });
const fuzzBin = (h) => join(here, fast ? "build-fast" : "build", `fuzz-${h}`);

// ---- seeds ----
function pcapFrames(file) {
  const b = readFileSync(file);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const out = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const n = u32(o + 8);
    out.push(b.subarray(o + 16, o + 16 + n));
    o += 16 + n;
  }
  return out;
}
const rec = (ctl, bytes) => Buffer.concat([Buffer.from([ctl, bytes.length >> 8, bytes.length & 255]), bytes]);
function tcpHdr(flags, { seq = 0, ack = 0, win = 1024, opts = [], data = [] } = {}) {
  const o = Buffer.from(opts);
  const h = Buffer.alloc(20 + o.length + data.length);
  h.writeUInt32BE(seq >>> 0, 4); h.writeUInt32BE(ack >>> 0, 8);
  h[12] = ((20 + o.length) / 4) << 4; h[13] = flags; h.writeUInt16BE(win, 14);
  o.copy(h, 20); Buffer.from(data).copy(h, 20 + o.length);
  return h;
}
const TS = [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0];
function seedsFrames() {
  const peer = Buffer.from([2, 0, 0, 0, 0xfe, 1]);
  const frames = pcapFrames(join(root, "test/fixtures/kernel.pcap")).filter((f) => f.subarray(6, 12).equals(peer));
  const seeds = [];
  // The kernel's frames, as is, into the listening stack and into every state class.
  for (let cls = 0; cls < 9; cls++) seeds.push(Buffer.concat([Buffer.from([cls]), ...frames.slice(0, 24).map((f) => rec(0, f))]));
  frames.forEach((f) => seeds.push(Buffer.concat([Buffer.from([0]), rec(0, f)])));
  // Segments on each class's connection: seq/ack relative to what the stack expects and sent.
  const segs = [
    tcpHdr(0x10, { opts: TS }), tcpHdr(0x18, { opts: TS, data: [...Buffer.from("GET /\r\n")] }),
    tcpHdr(0x11, { opts: TS }), tcpHdr(0x04), tcpHdr(0x14), tcpHdr(0x02, { opts: [2, 4, 5, 180, 4, 2, 1, 3, 3, 7] }),
    tcpHdr(0x12, { opts: [2, 4, 5, 180, 4, 2, 1, 3, 3, 7, ...TS] }), tcpHdr(0x10, { win: 0, opts: TS }),
    tcpHdr(0x10, { seq: 100, opts: TS, data: [1, 2, 3, 4] }),
    tcpHdr(0x10, { opts: [1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 8, ...TS.slice(0, 0)] }),
  ];
  for (let cls = 0; cls < 9; cls++) {
    for (const s of segs) seeds.push(Buffer.concat([Buffer.from([cls]), rec(1, s)]));
    seeds.push(Buffer.concat([Buffer.from([cls]), rec(1, segs[0]), rec(1, segs[1]), rec(0x41, segs[2]), rec(0xfd, segs[0])]));
  }
  // IPv6 (the harness turns it on: Ip6Enable): a router advertisement with a prefix, echo requests
  // to all-nodes (plain, behind hop-by-hop + destination options, as an atomic fragment), a neighbor solicitation.
  const v6 = seedsIpv6(peer);
  v6.forEach((f) => seeds.push(Buffer.concat([Buffer.from([0]), rec(0, f)])));
  seeds.push(Buffer.concat([Buffer.from([0]), ...v6.map((f) => rec(0x41, f))]));
  return seeds;
}
/** IPv6 frames from the peer (fe80::1) with valid ICMPv6 checksums (RFC 8200 §8.1 pseudo-header). */
function seedsIpv6(peer) {
  const ll = Buffer.from("fe800000000000000000000000000001", "hex");
  const allNodes = Buffer.from("ff020000000000000000000000000001", "hex");
  const frame = (dst, dstMac, hop, nh, ext, icmp) => {
    const sum = (b, init) => { let x = init; for (let i = 0; i < b.length; i += 2) x += (b[i] << 8) | (b[i + 1] ?? 0); while (x > 0xffff) x = (x & 0xffff) + (x >>> 16); return x; };
    const len = Buffer.alloc(4); len.writeUInt32BE(icmp.length);
    const c = 0xffff - sum(icmp, sum(Buffer.concat([ll, dst, len, Buffer.from([0, 0, 0, 58])]), 0));
    icmp.writeUInt16BE(c === 0 ? 0xffff : c, 2);
    const ip = Buffer.alloc(40);
    ip[0] = 0x60; ip.writeUInt16BE(ext.length + icmp.length, 4); ip[6] = nh; ip[7] = hop; ll.copy(ip, 8); dst.copy(ip, 24);
    return Buffer.concat([dstMac, peer, Buffer.from([0x86, 0xdd]), ip, ext, icmp]);
  };
  const mc = Buffer.from([0x33, 0x33, 0, 0, 0, 1]);
  const ra = Buffer.alloc(16 + 8 + 32);
  ra[0] = 134; ra[4] = 64; ra.writeUInt16BE(1800, 6);
  ra[16] = 1; ra[17] = 1; peer.copy(ra, 18);
  ra[24] = 3; ra[25] = 4; ra[26] = 64; ra[27] = 0xc0; ra.writeUInt32BE(86400, 28); ra.writeUInt32BE(14400, 32);
  Buffer.from("20010db8000100000000000000000000", "hex").copy(ra, 40);
  const echo = () => { const e = Buffer.alloc(16); e[0] = 128; e.writeUInt16BE(0x1234, 4); e.writeUInt16BE(1, 6); e.write("ping6!!!", 8); return e; };
  const hbhDst = Buffer.from([60, 0, 1, 4, 0, 0, 0, 0, 58, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop (PadN) -> destination options (PadN) -> ICMPv6
  const atomic = Buffer.from([58, 0, 0, 0, 0, 0, 0, 7]); // fragment header, offset 0, M = 0
  const ns = Buffer.alloc(24); ns[0] = 135; Buffer.from("fe800000000000000000000000001234", "hex").copy(ns, 8);
  const solicited = Buffer.from("ff0200000000000000000001ff001234", "hex");
  return [
    frame(allNodes, mc, 255, 58, Buffer.alloc(0), ra),
    frame(allNodes, mc, 64, 58, Buffer.alloc(0), echo()),
    frame(allNodes, mc, 64, 0, hbhDst, echo()),
    frame(allNodes, mc, 64, 44, atomic, echo()),
    frame(solicited, Buffer.from([0x33, 0x33, 0xff, 0, 0x12, 0x34]), 255, 58, Buffer.alloc(0), ns),
  ];
}
// harness 2 and 3 seeds: written by their own generator below (kept in step with actions.c / services.c).
const seedGen = { frames: seedsFrames, actions: () => seedsActions(), services: () => seedsServices() };

function seedsActions() {
  const s = [];
  // op codes: see actions.c. A handshake, data both ways, close; a SYN flood past the backlog
  // (cookies); a zero window with a shutdown; TIME-WAIT and a reused 4-tuple; an active open.
  s.push(Buffer.from([0, 0, 0, 0x0f, 3, 0, 1, 0, 0x18, 0, 0, 0, 0, 4, 0, 16, 4, 0, 20, 2, 0, 0, 0, 10, 20, 6, 0, 2, 0, 255, 10, 60, 7, 0]));
  s.push(Buffer.from([0, 0, 1, 0x0f, 0, 2, 0x0f, 0, 3, 0x0f, 0, 4, 0x0f, 0, 5, 0x0f, 3, 1, 0, 0x10, 0, 0, 0, 0, 3, 1, 0, 0x18, 0, 0, 0, 0, 8]));
  s.push(Buffer.from([1, 0, 0, 0x0f, 3, 2, 0, 0, 4, 0, 1, 6, 0, 10, 200, 10, 200, 10, 200, 2, 0, 8]));
  s.push(Buffer.from([2, 9, 0, 2, 1, 0x12, 10, 30, 4, 0, 8, 6, 0, 2, 0, 8, 10, 100]));
  s.push(Buffer.from([0, 0, 0, 0x0f, 3, 1, 0, 0x11, 0, 0, 0, 0, 7, 0, 10, 255, 0, 0, 0, 0x0f]));
  return s;
}
function seedsServices() {
  const s = [];
  // DHCP OFFER then ACK (xid/chaddr patched by the harness), a DNS answer, an SNTP reply.
  const dhcp = (type) => {
    const b = Buffer.alloc(240 + 40);
    b[0] = 2; b[1] = 1; b[2] = 6; b.writeUInt32BE(0xc6336402, 16); b.writeUInt32BE(0xc6336401, 20);
    b.writeUInt32BE(0x63825363, 236);
    Buffer.from([53, 1, type, 54, 4, 198, 51, 100, 1, 51, 4, 0, 0, 14, 16, 1, 4, 255, 255, 255, 0, 3, 4, 198, 51, 100, 1, 6, 4, 198, 51, 100, 5, 42, 4, 198, 51, 100, 5, 255]).copy(b, 240);
    return b;
  };
  const dns = Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7, ...Buffer.from("example"), 3, ...Buffer.from("com"), 0, 0, 1, 0, 1,
    0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7]);
  const ntp = Buffer.alloc(48); ntp[0] = 0x24; ntp[1] = 2; ntp.writeUInt32BE(0xe9000000, 32); ntp.writeUInt32BE(0xe9000000, 40);
  s.push(Buffer.concat([Buffer.from([0]), rec(1, dhcp(2)), rec(5, dhcp(5))]));
  s.push(Buffer.concat([Buffer.from([0]), rec(1, dhcp(2)), rec(5, dhcp(6))]));
  s.push(Buffer.concat([Buffer.from([1]), rec(1, dns)]));
  s.push(Buffer.concat([Buffer.from([1]), rec(1, dns.subarray(0, 20))]));
  s.push(Buffer.concat([Buffer.from([2]), rec(1, ntp)]));
  s.push(Buffer.concat([Buffer.from([2]), rec(0x41, ntp)]));
  return s;
}

let failed = false;
const results = [];
for (const h of harnesses) {
  const seedDir = join(here, "build/seeds", h), corpus = join(here, "build/corpus", h);
  mkdirSync(seedDir, { recursive: true }); mkdirSync(corpus, { recursive: true });
  seedGen[h]().forEach((b, i) => writeFileSync(join(seedDir, `seed-${i}`), b));
  // Every regression input first: a fixed bug must stay fixed.
  const regress = join(here, "regress", h);
  if (existsSync(regress) && readdirSync(regress).length) {
    try { execFileSync(join(here, "build", `replay-${h}`), [regress], { stdio: "inherit" }); }
    catch { console.error(`fuzz: ${h}: a regression input fails`); failed = true; continue; }
  }
  const args = [`-max_total_time=${seconds}`, "-print_final_stats=1", "-max_len=2048", "-timeout=30",
    `-artifact_prefix=${join(here, "build", `crash-${h}-`)}`, corpus, seedDir];
  if (jobs > 1) args.unshift(`-fork=${jobs}`, "-ignore_crashes=0");
  const t0 = Date.now();
  const out = await new Promise((resolve) => {
    const p = spawn(fuzzBin(h), args, { stdio: ["ignore", "inherit", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => { err += d; if (err.length > 4e6) err = err.slice(-2e6); });
    p.on("close", (code) => resolve({ code, err }));
  });
  const execs = Number((/stat::number_of_executed_units:\s*(\d+)/.exec(out.err) || [])[1] || 0);
  const covs = [...out.err.matchAll(/ cov: (\d+) ft: (\d+)/g)];
  const cov = covs.length ? Number(covs[covs.length - 1][1]) : 0, ft = covs.length ? Number(covs[covs.length - 1][2]) : 0;
  const secs = (Date.now() - t0) / 1000;
  const r = { harness: h, seconds: Math.round(secs), executions: execs, edges: cov, features: ft,
    execPerSec: Math.round(execs / secs), corpus: readdirSync(corpus).length, ok: out.code === 0, mode: fast ? "fast" : "asan+ubsan" };
  results.push(r);
  if (out.code !== 0) {
    failed = true;
    console.error(out.err.split("\n").filter((l) => !/^#\d+\s+(NEW|REDUCE|pulse)/.test(l)).slice(-60).join("\n"));
    console.error(out.code === 72 ? `fuzz: ${h}: interrupted` : `fuzz: ${h}: crash or invariant violation (exit ${out.code})`);
    const crash = /Test unit written to (\S+)/.exec(out.err)?.[1];
    if (fast && crash) {
      console.error(`fuzz: ${h}: replaying ${crash} under ASan + UBSan:`);
      try { execFileSync(join(here, "build", `replay-${h}`), [crash], { stdio: "inherit" }); } catch { /* its report is the point */ }
    }
  }
  const verdict = r.ok ? "no crash" : out.code === 72 ? "interrupted (no crash)" : "CRASH";
  console.log(`fuzz ${h}: ${execs} executions in ${r.seconds} s (${r.execPerSec}/s), ${cov} edges, ${ft} features, corpus ${r.corpus}, ${verdict}`);
  appendFileSync(join(here, "build", "results.jsonl"), JSON.stringify({ date: new Date().toISOString(), ...r }) + "\n");
}
process.exit(failed ? 1 : 0);
