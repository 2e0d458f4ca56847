// Footprint of the firmware (issue 5), for `npm run size` (bench/size.mjs appends these
// rows): flash (.text + .rodata + .data) and RAM (.data + .bss + stack, plus the
// module's linear memory) of the qemu-xtensa image (lx106) and of the rv32imc size build,
// split into the translated stack, the wasm2c runtime, the portable core and the port
// (board code, libc, libgcc), read from the linker maps. The images are built with the
// dual-stack module (build/stack.mcu6.wasm, the default) and the lx106 one also with the
// IPv4-only module (make IPV6=0, in qemu-xtensa/build/ipv4). The linear memory is measured by
// running the dual-stack module's init() with the default MCU configuration (core/wt_mcu_config.h).
// Figures, not tests. Runs make for each image first (needs the cross compilers).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { esp32Rows } from "./esp32/size-esp32.mjs";
import { Cfg } from "../abi/abi.mjs";

const CFG_DEFAULT = Object.fromEntries(Cfg.map((c) => [c.name, c.default]));

const FW = dirname(fileURLToPath(import.meta.url));
const ROOT = join(FW, "..");

const IMAGES = [
  { label: "lx106 (qemu-xtensa)", dir: "qemu-xtensa", map: "qemu-xtensa/build/wasm-tcpip-qemu.map" },
  { label: "lx106 IPv4-only (qemu-xtensa, IPV6=0)", dir: "qemu-xtensa", map: "qemu-xtensa/build/ipv4/wasm-tcpip-qemu.map",
    make: ["IPV6=0", "B=build/ipv4"] },
  { label: "rv32imc (size build)", dir: "rv32", map: "rv32/build/wasm-tcpip-rv32.map" },
];
const MCU6 = join(ROOT, "build/stack.mcu6.wasm");
const PARTS = ["stack", "runtime", "core", "port"];
const PART_NAMES = {
  stack: "translated stack", runtime: "wasm2c runtime", core: "portable core", port: "port+libc+libgcc",
};

function part(file) {
  if (/(^|\/)stack\.o$/.test(file)) return "stack";
  if (/wasm-rt-impl\.o$/.test(file)) return "runtime";
  if (/(wt_core|wt_app|wt_services|wt_dhcp|wt_ip6|engine_aot)\.o$/.test(file)) return "core";
  return "port";
}

function kind(section) {
  if (/^\.(debug|comment|xtensa\.info|riscv\.attributes|rela|toc|preserve|stab|gnu|tbss_space|line)/.test(section)) return null;
  if (/^\.(t?data|sdata)/.test(section)) return "data";
  if (/^\.(t?bss|sbss|stack)/.test(section)) return "bss";
  return "code";  // .vectors .init .text .rodata .srodata ...
}

/** Sum input-section sizes by part and kind from a GNU ld map. */
export function parseMap(text) {
  const sums = Object.fromEntries(PARTS.map((p) => [p, { code: 0, data: 0, bss: 0 }]));
  const lines = text.slice(text.indexOf("Linker script and memory map")).split("\n");
  let out = null;
  let pending = null;
  for (const line of lines) {
    const top = /^(\.\S+)(?:\s+0x[0-9a-f]+\s+0x([0-9a-f]+))?/.exec(line);
    if (top) {
      out = kind(top[1]);
      pending = null;
      // The stack region is reserved by the linker script, not by any input file: the port's.
      if (top[1] === ".stack" && top[2]) sums.port.bss += parseInt(top[2], 16);
      continue;
    }
    if (!out) continue;
    const one = /^ (\.\S+|COMMON)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)/.exec(line);
    const name = /^ (\.\S+|COMMON)\s*$/.exec(line);
    const cont = /^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)/.exec(line);
    if (one) sums[part(one[3])][out] += parseInt(one[2], 16);
    else if (name) pending = name[1];
    else if (pending && cont) { sums[part(cont[2])][out] += parseInt(cont[1], 16); pending = null; }
  }
  return sums;
}

export function mcuConfig() {
  // every "#define WT_MCU_<KEY> value" line: KEY is the Cfg key in UPPER_SNAKE (MAX_SOCKETS = MaxSockets)
  const h = readFileSync(join(FW, "core/wt_mcu_config.h"), "utf8");
  const camel = (k) => k.toLowerCase().split("_").map((w) => w[0].toUpperCase() + w.slice(1)).join("");
  return Object.fromEntries([...h.matchAll(/^#define WT_MCU_([A-Z0-9_]+) (\d+)$/gm)].map((m) => [camel(m[1]), Number(m[2])]));
}

/** Run an MCU module's init() (default build/stack.mcu.wasm) with configuration `cfg`: linear memory and pools. */
export async function linearMemory(cfg, file = join(ROOT, "build/stack.mcu.wasm")) {
  const bytes = readFileSync(file);
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: { tx() {}, entropy() {}, event() {}, abort() { throw new Error("module abort"); } },
  });
  const e = instance.exports;
  const key = (n) => Cfg.find((c) => c.name === n).key;
  for (const [n, v] of Object.entries(cfg)) if (e.configure(key(n), v) !== 0) throw new Error(`configure ${n}`);
  if (e.init() !== 0) throw new Error("init() failed with the MCU configuration");
  return { memory: e.memory.buffer.byteLength, pools: e.poolBytes() };
}

export default async function firmwareSizes() {
  const rows = [];
  const statics = [];
  for (const img of IMAGES) {
    const map = join(FW, img.map);
    try {  // incremental: rebuilds only what changed (the module, the core...)
      execFileSync("make", ["-s", "-C", FW, img.dir, ...(img.make ?? [])], { stdio: ["ignore", "ignore", "pipe"], timeout: 600_000 });
    } catch (err) {
      rows.push({ name: `firmware ${img.label}: not built (make -C firmware ${img.dir}: ${String(err.stderr ?? err).split("\n")[0]})`, ours: NaN, unit: "bytes" });
      continue;
    }
    const sums = parseMap(readFileSync(map, "utf8"));
    let flash = 0, ram = 0;
    for (const p of PARTS) {
      const s = sums[p];
      flash += s.code + s.data;
      ram += s.data + s.bss;
      const target = p === "stack" && img.label.startsWith("lx106 IPv4") ? " (target <= 40 KiB)" : "";
      rows.push({ name: `firmware ${img.label} flash: ${PART_NAMES[p]}${target}`, ours: s.code + s.data, unit: "bytes" });
    }
    rows.push({ name: `firmware ${img.label} flash: total`, ours: flash, unit: "bytes" });
    for (const p of PARTS) rows.push({ name: `firmware ${img.label} static RAM: ${PART_NAMES[p]}`, ours: sums[p].data + sums[p].bss, unit: "bytes" });
    rows.push({ name: `firmware ${img.label} static RAM: total (.data + .bss + stack)`, ours: ram, unit: "bytes" });
    statics.push([img.label, ram, sums]);
  }
  try {
    const cfg = mcuConfig();
    const { memory, pools } = await linearMemory(cfg, MCU6);
    const what = `${cfg.MaxSockets} blocks, ${cfg.RingPairs} ring pairs x ${cfg.SndBuf}/${cfg.RcvBuf} B`;
    rows.push({ name: `firmware MCU config (${what}): module pools`, ours: pools, unit: "bytes" });
    // Each pool of the configuration: the pools minus those with its count set to 0; TCP (which
    // cannot have 0 blocks), the rx/tx frames and the I/O scratch are the remainder.
    let rest = pools;
    for (const [label, zero] of [
      [`${cfg.UdpSockets} UDP sockets x ${cfg.UdpQueueBytes} B queues`, { UdpSockets: 0 }],
      [`DNS: ${cfg.DnsQueries ?? CFG_DEFAULT.DnsQueries} queries + ${cfg.DnsCacheEntries ?? CFG_DEFAULT.DnsCacheEntries} cache entries`, { DnsQueries: 0, DnsCacheEntries: 0 }],
      [`IPv4 reassembly: ${cfg.ReasmSlots} slot(s) x ${cfg.ReasmMaxBytes} B`, { ReasmSlots: 0 }],
      [`ARP queue: ${cfg.ArpQueue} frames`, { ArpQueue: 0 }],
      [`multicast filter + IGMP: ${cfg.McastGroups} groups`, { McastGroups: 0 }],
      [`IPv6: ${cfg.Ip6Addrs} addresses, ${cfg.Ip6Neighbors} neighbors, ${cfg.Ip6Queue} queued frames`, { Ip6Enable: 0 }],
    ]) {
      try {
        const bytes = pools - (await linearMemory({ ...cfg, ...zero }, MCU6)).pools;
        rest -= bytes;
        rows.push({ name: `firmware MCU config pool: ${label}`, ours: bytes, unit: "bytes" });
      } catch (err) {
        rows.push({ name: `firmware MCU config pool: ${label}: ${err.message}`, ours: NaN, unit: "bytes" });
      }
    }
    rows.push({ name: `firmware MCU config pool: TCP (${what}), ARP cache, frames, I/O scratch`, ours: rest, unit: "bytes" });
    rows.push({ name: `firmware MCU config (${what}): linear memory (target: one 64 KiB page)`, ours: memory, reference: 65536, unit: "bytes", ratio: memory / 65536 });
    for (const [label, ram] of statics)
      rows.push({ name: `firmware ${label} RAM: static + linear memory`, ours: ram + memory, unit: "bytes" });
    // The ESP32 rows: its default image runs the dual-stack module, CONFIG_WT_IPV6=n the IPv4-only one.
    const ourStatic = (prefix) => {
      const sums = statics.find(([label]) => label.startsWith(prefix))?.[2];
      return sums && ["stack", "runtime", "core"].reduce((s, p) => s + sums[p].data + sums[p].bss, 0);
    };
    const memory4 = (await linearMemory(cfg)).memory;
    rows.push(...esp32Rows({ memory, staticRam: ourStatic("lx106 (") }, { memory: memory4, staticRam: ourStatic("lx106 IPv4") }));
  } catch (err) {
    rows.push({ name: `firmware MCU config: ${err.message}`, ours: NaN, unit: "bytes" });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import("../bench/table.mjs");
  printTable(await firmwareSizes());
}
