// Drift tests for the one ABI declaration (abi/abi.mjs): the generated files are current,
// and the built modules, their imports and the C header agree with the declaration.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-ignore plain .mjs without types
import * as abi from "../abi/abi.mjs";
// @ts-ignore plain .mjs without types
import { generate, GENERATED } from "../abi/gen.mjs";
// @ts-ignore plain .mjs without types
import { wasmSignatures } from "../abi/wasm-sig.mjs";
import { STAT_COUNT, STAT_NAMES } from "../src/abi.js";

const root = join(import.meta.dirname, "..");

interface Fn { name: string; params: [string, string][]; result: string | null; firmware?: boolean; section: string }
interface Imp { name: string; params: [string, string][]; result: string | null; debugOnly?: boolean }
const fns = abi.functions as Fn[];
const imports = abi.imports as Imp[];
const sig = (params: unknown[], result: string | null) => `(${params.map(() => "i32").join(",")})->${result === null ? "" : "i32"}`;
const wsig = (e: { params: string[]; results: string[] }) => `(${e.params.join(",")})->${e.results.join(",")}`;

describe("ABI declaration (abi/abi.mjs)", () => {
  it("generated files are current (else: run npm run gen:abi and commit)", () => {
    const want = generate(root) as Record<string, string>;
    expect(Object.keys(want).sort()).toEqual([...GENERATED].sort());
    const stale = Object.keys(want).filter((p) => !existsSync(join(root, p)) || readFileSync(join(root, p), "utf8") !== want[p]);
    expect(stale, `stale generated ABI files: ${stale.join(", ")}; run npm run gen:abi`).toEqual([]);
  });

  for (const build of ["stack.wasm", "stack.mcu.wasm", "stack.debug.wasm"]) {
    describe(`build/${build}`, () => {
      const bytes = readFileSync(join(root, "build", build));
      const { imports: imps, exports: exps } = wasmSignatures(bytes);

      it("exports exactly the declared functions, with the declared arities (all i32)", () => {
        const have = Object.fromEntries(exps.filter((e: { kind: string }) => e.kind === "function").map((e: any) => [e.name, wsig(e)]));
        const want = Object.fromEntries(fns.map((f) => [f.name, sig(f.params, f.result)]));
        expect(have).toEqual(want);
      });

      it("exports exactly the declared globals and memory (no enum globals: hosts have them generated), with the declared values", () => {
        const other = exps.filter((e: { kind: string }) => e.kind !== "function").map((e: any) => `${e.kind} ${e.name}`).sort();
        const want = (abi.otherExports as { name: string; kind: string }[]).map((e) => `${e.kind} ${e.name}`).sort();
        expect(other).toEqual(want);
        const env = Object.fromEntries(imports.map((i) => [i.name, () => { throw new Error(`${i.name} called`); }]));
        const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env });
        const x = inst.exports as Record<string, WebAssembly.Global>;
        expect(x.ABI_VERSION.value).toBe(abi.ABI_VERSION);
      });

      it("imports only declared functions from env, with the declared arities", () => {
        const want = Object.fromEntries(imports.map((i) => [i.name, sig(i.params, i.result)]));
        for (const i of imps) {
          expect(i.module).toBe("env");
          expect(i.kind).toBe("function");
          expect(wsig(i), `import ${i.name}`).toBe(want[i.name]);
        }
        const names = imps.map((i: { name: string }) => i.name);
        for (const i of imports) if (!i.debugOnly) expect(names, `import ${i.name}`).toContain(i.name);
        if (build === "stack.debug.wasm") expect(names).toContain("abort");
      });
    });
  }

  it("the testing builds carry every declared export (the TCP harness uses them)", () => {
    for (const build of ["testing.wasm", "testing.mcu.wasm"]) {
      const { exports: exps } = wasmSignatures(readFileSync(join(root, "build", build)));
      const have = Object.fromEntries(exps.filter((e: { kind: string }) => e.kind === "function").map((e: any) => [e.name, wsig(e)]));
      for (const f of fns) expect(have[f.name], `${build}: ${f.name}`).toBe(sig(f.params, f.result));
    }
  });

  it("every build counts exactly the declared counters (statCount = STAT_NAMES) and carries no counter names", () => {
    const names = (abi.stats as { counters: [string, string][] }[]).flatMap((g) => g.counters.map(([n]) => n));
    expect(STAT_NAMES).toEqual(names);
    expect(STAT_COUNT).toBe(names.length);
    const env = Object.fromEntries(imports.map((i) => [i.name, () => {}]));
    for (const build of ["stack.wasm", "stack.mcu.wasm", "stack.debug.wasm", "testing.wasm", "testing.mcu.wasm"]) {
      const bytes = readFileSync(join(root, "build", build));
      const x = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env }).exports as { statCount(): number };
      expect(x.statCount(), build).toBe(names.length);
      // the names live in the hosts (src/abi.ts, wt_abi.h), not in the module: neither UTF-8 nor UTF-16
      for (const n of ["ipv4_frag_past_64k", "tcp_syn_cookies_bad", "dns_pointer_out_of_bounds"]) {
        expect(bytes.includes(Buffer.from(n, "utf8")), `${build}: ${n}`).toBe(false);
        expect(bytes.includes(Buffer.from(n, "utf16le")), `${build}: ${n}`).toBe(false);
      }
    }
    const h = readFileSync(join(root, "firmware/core/wt_abi.h"), "utf8");
    expect(Number(/\bWT_STAT_COUNT = (\d+)/.exec(h)?.[1])).toBe(names.length);
    expect([...h.matchAll(/^ *X\(WT_STAT_(\w+), (\w+)\)/gm)].map((m) => [m[1], m[2]])).toEqual(names.map((n) => [n.toUpperCase(), n]));
  });

  it("the C header's export list (WT_ABI_FUNCTIONS) and constants equal the declaration", () => {
    const h = readFileSync(join(root, "firmware/core/wt_abi.h"), "utf8");
    const list = [...h.matchAll(/^ *X\((WT_FN_\w+), (\w+), (\d+), ([01])\)/gm)].map((m) => [m[2], Number(m[3]), m[4] === "1"]);
    expect(list).toEqual(fns.filter((f) => f.firmware).map((f) => [f.name, f.params.length, f.result !== null]));
    const num = (name: string) => Number(new RegExp(`\\b${name} = (\\d+)`).exec(h)?.[1]);
    for (const [n, v] of abi.Err as [string, number][]) expect(num(`WT_${n}`), n).toBe(v);
    for (const e of abi.EventKind as { name: string; value: number }[]) {
      expect(num(`WT_EV_${e.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`), e.name).toBe(e.value);
    }
    for (const [n, v] of abi.TcpState as [string, number][]) expect(num(`WT_TCP_${n}`), n).toBe(v);
    for (const c of abi.Cfg as { name: string; key: number; default: number }[]) {
      const cn = c.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
      expect(num(`WT_CFG_${cn}`), c.name).toBe(c.key);
      expect(Number(new RegExp(`#define WT_CFG_${cn}_DEFAULT (\\w+)u`).exec(h)?.[1]), `${c.name} default`).toBe(c.default);
    }
    expect(num("WT_TCP_INFO_COUNT")).toBe(abi.tcpInfo.length);
  });

  it("every firmware export takes at most 5 parameters (wt_callv) and the other exports are listed in the header's comment", () => {
    const h = readFileSync(join(root, "firmware/core/wt_abi.h"), "utf8");
    for (const f of fns) {
      if (f.firmware) expect(f.params.length).toBeLessThanOrEqual(5);
      else expect(h).toContain(` *   ${f.name}(`);
    }
  });
});
