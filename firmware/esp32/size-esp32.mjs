// The ESP32's RAM budget rows of `npm run size` (firmware/size.mjs calls esp32Rows): what the
// firmware takes from the ESP32's data RAM with the wasm2c engine (the default), from this
// project's defaults (main/Kconfig.projbuild, sdkconfig.defaults), the module's linear memory
// measured by size.mjs and the static RAM of the same C code in the lx106 image (no ESP32
// link is possible here: no Espressif toolchain). The default image runs the dual-stack module
// (CONFIG_WT_IPV6 = y: build/stack.mcu6.wasm, the lx106 image built the same way); `ipv4`
// figures, when given, add the same rows for CONFIG_WT_IPV6 = n (build/stack.mcu.wasm, the
// lx106 image of make IPV6=0). Figures, not tests; README "Memory" has the
// table with its sources, and the WAMR engine's figures (which need WAMR, not in CI).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

// ESP-IDF docs/en/api-guides/memory-types.rst: "520 KB of available SRAM (320 KB of DRAM and
// 200 KB of IRAM) on the ESP32 ... the maximum statically allocated DRAM usage is 160 KB".
export const DRAM = 320 * 1024;
// components/heap/port/esp32/memory_layout.c: DRAM the ROM keeps (rom_data 0x3ffae000-0x3ffae6e0,
// rom_pro_data 0x3ffe0000-0x3ffe0440, rom_app_data 0x3ffe3f20-0x3ffe4350).
export const ROM_RESERVED = 0x6e0 + 0x440 + 0x430;
// ESP-IDF's own task stacks with its Kconfig defaults (identical in v5.1.7 ... v6.0.2, dual
// core): 2 IPC x 1024, 2 idle x 1536, esp_timer 3584, FreeRTOS timer 2048, the default event
// loop 2304 (esp_eth needs it), esp_eth's receive task 2048 (v5.x; 4096 in v6). The main task's
// 3584 are freed when app_main returns.
export const IDF_STACKS = 2 * 1024 + 2 * 1536 + 3584 + 2048 + 2304 + 2048;
// An EMAC DMA descriptor is 8 words (hal: eth_dma_{rx,tx}_descriptor_t).
const DMA_DESCRIPTOR = 32;
// A queued received frame is a heap block of at most 1514 bytes (esp_eth frees nothing until
// the stack's task copies it) plus the queue's 8-byte entry.
const FRAME = 1514 + 8;

/** First unconditional `default N` of `config NAME` in Kconfig text. */
function kconfigDefault(text, name) {
  const m = new RegExp(`config ${name}\\n(?:(?!\\n    config )[\\s\\S])*?\\n\\s+default (\\d+)\\n`).exec(text);
  if (!m) throw new Error(`no default for ${name} in main/Kconfig.projbuild`);
  return Number(m[1]);
}

function sdkDefault(text, name) {
  const m = new RegExp(`^CONFIG_${name}=(\\d+)$`, "m").exec(text);
  if (!m) throw new Error(`no CONFIG_${name} in sdkconfig.defaults`);
  return Number(m[1]);
}

/**
 * @param {{ memory: number, staticRam: number | undefined }} measured linear memory after init()
 *   with the MCU configuration, and .data + .bss of the translated stack, wasm2c runtime and
 *   portable core in the lx106 image (undefined when it was not built): the dual-stack module
 * @param {{ memory: number, staticRam: number | undefined }} [ipv4] the same for the IPv4-only module
 */
export function esp32Rows(dual, ipv4) {
  return [...ramRows(dual, "dual-stack module, the default"), ...(ipv4 ? ramRows(ipv4, "IPv4-only module, CONFIG_WT_IPV6=n") : [])];
}

function ramRows({ memory, staticRam }, module) {
  const kconfig = readFileSync(join(HERE, "main/Kconfig.projbuild"), "utf8");
  const sdk = readFileSync(join(HERE, "sdkconfig.defaults"), "utf8");
  const stack = kconfigDefault(kconfig, "WT_TASK_STACK");
  const queue = kconfigDefault(kconfig, "WT_RX_QUEUE_LEN") * FRAME;
  const buffers = sdkDefault(sdk, "ETH_DMA_RX_BUFFER_NUM") + sdkDefault(sdk, "ETH_DMA_TX_BUFFER_NUM");
  const dma = buffers * (sdkDefault(sdk, "ETH_DMA_BUFFER_SIZE") + DMA_DESCRIPTOR);
  const label = `firmware ESP32 RAM (wasm2c engine, defaults, ${module})`;
  const items = [
    ["static RAM of the stack, runtime and core (as linked for lx106)", staticRam],
    ["interpreter pool: none", 0],
    ["linear memory (heap)", memory],
    ["stack task", stack],
    ["Ethernet DMA buffers + descriptors", dma],
    ["received-frame queue, worst case", queue],
  ];
  const rows = items.map(([what, bytes]) => ({ name: `${label}: ${what}`, ours: bytes ?? NaN, unit: "bytes" }));
  const ours = items.reduce((s, [, b]) => s + (b ?? NaN), 0);
  rows.push({ name: `${label}: total`, ours, unit: "bytes" });
  rows.push({ name: `${label}: ESP-IDF task stacks (Kconfig defaults)`, ours: IDF_STACKS, unit: "bytes" });
  const room = DRAM - ROM_RESERVED - IDF_STACKS - ours;
  rows.push({
    name: `${label}: room left in 320 KiB DRAM (after ROM and ESP-IDF stacks, before ESP-IDF's static data)`,
    ours: room, reference: DRAM, unit: "bytes", ratio: room / DRAM,
  });
  return rows;
}
