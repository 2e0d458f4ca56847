// Build checks on the release modules (run `npm run asbuild` first):
// - both release builds exist and validate;
// - the MCU build is SIMD-free (wasm2c 1.0.32 and board interpreters reject v128),
//   the node build really carries the v128 checksum;
// - imports are only the documented host ABI, no allocator is exported;
// - the code is integer-only (no f32/f64 anywhere in function bodies).
// Uses Debian's wabt (wasm2wat, wasm-objdump).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Cfg, TcpState } from "../src/abi.js";

const NODE = "build/stack.wasm";
const MCU = "build/stack.mcu.wasm";
const RELEASES = [NODE, MCU];
const HOST_IMPORTS = ["abort", "entropy", "event", "tx"];

const wasm2wat = (file: string, ...flags: string[]) =>
  spawnSync("wasm2wat", [...flags, file, "-o", "/dev/null"], { encoding: "utf8" });

/** Disassembly of the code section only (no data segments, no names section text). */
const disassemble = (file: string) => execFileSync("wasm-objdump", ["-d", file], { encoding: "utf8", maxBuffer: 64 << 20 });

describe("release builds", () => {
  for (const file of RELEASES) {
    it(`${file} exists and validates`, () => {
      expect(existsSync(file), `${file} missing: run npm run asbuild`).toBe(true);
      expect(WebAssembly.validate(readFileSync(file))).toBe(true);
    });

    it(`${file} imports only the host ABI: env.{${HOST_IMPORTS.join(",")}}`, () => {
      const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(file)));
      for (const imp of imports) {
        expect(imp.module).toBe("env");
        expect(HOST_IMPORTS).toContain(imp.name);
      }
    });

    it(`${file} exports no allocator or runtime helpers (no heap after init)`, () => {
      const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(file))).map((e) => e.name);
      expect(exports).toContain("init");
      expect(exports).toContain("memory");
      const runtime = exports.filter((n) => /^__(new|alloc|realloc|renew|free|pin|unpin|collect|newArray|newBuffer|newString|rtti_base)/.test(n));
      expect(runtime).toEqual([]);
    });

    it(`${file} is integer-only: no f32/f64 instructions, locals, signatures or globals`, () => {
      const code = disassemble(file);
      expect(code).toMatch(/\bi32\./); // the disassembly really lists instructions
      const decls = ["Type", "Global", "Import"]
        .map((section) => execFileSync("wasm-objdump", ["-x", "-j", section, file], { encoding: "utf8" }))
        .join("\n");
      expect(decls).toMatch(/\bi32\b/);
      const floats = (code + decls).split("\n").filter((l) => /\bf(32|64)\b|[._]f(32|64)/.test(l));
      expect(floats).toEqual([]);
    });
  }

  it(`${MCU} contains no SIMD: wasm2wat --disable-simd accepts it`, () => {
    const r = wasm2wat(MCU, "--disable-simd");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(disassemble(MCU)).not.toMatch(/\bv128\b|\b[if](8x16|16x8|32x4|64x2)\./);
  });

  it(`${NODE} carries the v128 checksum: wasm2wat --disable-simd rejects it, and accepts it with SIMD`, () => {
    expect(wasm2wat(NODE).status).toBe(0);
    const r = wasm2wat(NODE, "--disable-simd");
    expect(r.status).not.toBe(0);
    expect(disassemble(NODE)).toMatch(/\bi32x4\.dot_i16x8_s\b/);
  });

  it("the test builds follow the same split: testing.mcu.wasm SIMD-free, testing.wasm with SIMD", () => {
    expect(wasm2wat("build/testing.mcu.wasm", "--disable-simd").status).toBe(0);
    expect(wasm2wat("build/testing.wasm", "--disable-simd").status).not.toBe(0);
  });
});

describe("MCU modules with and without IPv6 (WT_IPV6, issue 10)", () => {
  const MCU6 = "build/stack.mcu6.wasm";

  it(`${MCU} (IPv4 only, --use WT_IPV6=0) stays within 40,960 bytes; ${MCU6} (IPv6 on) within 56 KiB (57,344 bytes)`, () => {
    expect(readFileSync(MCU).length).toBeLessThanOrEqual(40960);
    expect(readFileSync(MCU6).length).toBeLessThanOrEqual(57344);
    expect(readFileSync(MCU6).length).toBeGreaterThan(readFileSync(MCU).length); // the IPv6 layer really is in it
  });

  it(`${MCU6} with the firmware's default configuration still fits one 64 KiB page of linear memory`, async () => {
    // @ts-expect-error: a plain .mjs module without types
    const { linearMemory, mcuConfig } = await import("../firmware/size.mjs");
    const { memory } = await linearMemory({ ...mcuConfig(), Ip6Enable: 1 }, MCU6);
    expect(memory).toBe(65536);
  });

  it(`${MCU} answers the ip6* exports with -ENOSYS, ${MCU6} does not`, async () => {
    const run = async (file: string) => {
      const { instance } = await WebAssembly.instantiate(readFileSync(file), {
        env: { tx() {}, entropy() {}, event() {}, abort() { throw new Error("abort"); } },
      });
      const x = instance.exports as Record<string, any>;
      if (file === MCU6) expect(x.configure(Cfg.Ip6Enable, 1)).toBe(0);
      expect(x.init()).toBe(0);
      return x.ip6Info(x.ioBuffer());
    };
    expect(await run(MCU)).toBe(-24); // -ENOSYS
    expect(await run(MCU6)).toBe(0);
  });
});

describe("TcpState numbering", () => {
  it("follows RFC 793's order, which the core's range checks rely on (tcp/input.ts, output.ts, timers.ts, ifdown.ts, sockets.ts)", () => {
    expect(Object.entries(TcpState).map(([k, v]) => [v, k])).toEqual([
      [0, "CLOSED"], [1, "LISTEN"], [2, "SYN_SENT"], [3, "SYN_RECEIVED"], [4, "ESTABLISHED"], [5, "FIN_WAIT_1"],
      [6, "FIN_WAIT_2"], [7, "CLOSE_WAIT"], [8, "CLOSING"], [9, "LAST_ACK"], [10, "TIME_WAIT"],
    ]);
  });
});
