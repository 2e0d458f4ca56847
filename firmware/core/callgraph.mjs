#!/usr/bin/env node
// Usage: node callgraph.mjs module.wasm > stack_depth.h
// The module's static call graph (from `wasm-objdump -d`; call_indirect may reach every
// function in the element segments whose signature is its type's; host imports are leaves because the C core never
// re-enters the module from an import: events are queued and delivered after it returns).
// If the graph has no cycle, the deepest chain of wasm calls is a constant and wasm2c's
// per-call depth counter (an increment, compare and decrement in every function) can never
// fire: the header turns it off and records the bound. A cycle (recursion) keeps the
// counter on, so a recursive module still traps instead of overflowing the C stack.
import { execFileSync } from "node:child_process";

const wasm = process.argv[2];
if (!wasm) { console.error("usage: callgraph.mjs module.wasm"); process.exit(2); }
const dis = execFileSync("wasm-objdump", ["-d", wasm], { encoding: "utf8", maxBuffer: 64 << 20 });
const info = execFileSync("wasm-objdump", ["-x", wasm], { encoding: "utf8", maxBuffer: 64 << 20 });

const calls = new Map();    // func index -> Set of callees
const indirect = new Map(); // funcs with a call_indirect -> the type indices they call through
let cur = -1;
for (const line of dis.split("\n")) {
  const f = /^[0-9a-f]+ func\[(\d+)\]/.exec(line);
  if (f) { cur = Number(f[1]); calls.set(cur, new Set()); continue; }
  if (cur < 0) continue;
  const c = /\|\s*call (\d+)/.exec(line);
  if (c) calls.get(cur).add(Number(c[1]));
  // call_indirect traps unless the element's signature equals the instruction's type, so it
  // reaches only the table's functions of that signature ("any" when the disassembly does not
  // name the type).
  const ci = /\|\s*call_indirect\b(?:.*\(type (\d+)\))?/.exec(line);
  if (ci) { if (!indirect.has(cur)) indirect.set(cur, new Set()); indirect.get(cur).add(ci[1] ?? "any"); }
  if (/\|\s*return_call/.test(line)) indirect.set(-1, new Set(["any"]));
}
// type index -> its signature text ("(i32, i32) -> i32"): types are compared by signature
const typeSig = new Map([...info.matchAll(/- type\[(\d+)\] (.*)/g)].map((m) => [m[1], m[2].trim()]));
const sigOf = new Map([...info.matchAll(/- func\[(\d+)\] sig=(\d+)/g)].map((m) => [Number(m[1]), typeSig.get(m[2]) ?? m[2]]));
for (const types of indirect.values()) for (const t of [...types]) if (typeSig.has(t)) { types.delete(t); types.add(typeSig.get(t)); }
const tableFuncs = [...info.matchAll(/elem\[\d+\] = func\[(\d+)\]/g)].map((m) => Number(m[1]));
for (const [f, types] of indirect) {
  if (f < 0) continue;
  for (const t of tableFuncs) if (types.has("any") || types.has(sigOf.get(t))) calls.get(f).add(t);
}
if (/return_call/.test(dis)) indirect.add(-1);  // tail calls: treat as unknown below

// Depth of the longest call chain from each function (1 = a leaf); null on a cycle.
const depth = new Map();
const onPath = new Set();
let cycle = null;
function visit(f) {
  if (depth.has(f)) return depth.get(f);
  if (!calls.has(f)) return 0;  // an import: runs host code, never the module
  if (onPath.has(f)) { cycle ??= [...onPath, f]; return Infinity; }
  onPath.add(f);
  let d = 0;
  for (const g of calls.get(f)) d = Math.max(d, visit(g));
  onPath.delete(f);
  depth.set(f, d + 1);
  return d + 1;
}
let max = 0;
for (const f of calls.keys()) max = Math.max(max, visit(f));

const out = [`/* Generated from ${wasm.split("/").pop()} by callgraph.mjs: do not edit. */`];
if (cycle || !Number.isFinite(max) || indirect.has(-1)) {
  out.push(`/* The call graph has a cycle (${cycle ? cycle.map((f) => `func[${f}]`).join(" -> ") : "tail calls"}):`,
    ` * keep wasm2c's call-depth counter. */`, "#define WASM_RT_USE_STACK_DEPTH_COUNT 1", "#define WT_W2C_CALL_DEPTH 0");
} else {
  out.push(`/* ${calls.size} functions, no cycle: at most ${max} nested wasm calls, so the depth`,
    ` * counter could never fire; it is compiled out. */`, "#define WASM_RT_USE_STACK_DEPTH_COUNT 0", `#define WT_W2C_CALL_DEPTH ${max}`);
}
console.log(out.join("\n"));
