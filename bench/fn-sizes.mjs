// Where the MCU module's bytes go: compiles it exactly as package.json's "asbuild:mcu" does, but
// keeping a name section (asc --debug, wasm-opt -g: the code is the same as the shipped module's,
// byte for byte), and lists each function's body size (biggest first), the bytes per source file,
// and the size of each section. With --save FILE the per-function sizes are written as JSON; with
// --diff FILE they are compared with such a file (what grew or shrank since).
//   node bench/fn-sizes.mjs [--top N] [--save base.json] [--diff base.json] [-- extra asc args]
// A tool, not a benchmark module: run.mjs imports every bench/*.mjs, so it acts only when run itself.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./lib.mjs";
import { WASM_OPT_FLAGS } from "../transforms/wasm-opt.mjs";

if (process.argv[1] === fileURLToPath(import.meta.url)) main();

function main() {
  const argv = process.argv.slice(2);
  const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const top = Number(opt("--top") ?? 40);
  const dd = argv.indexOf("--");
  const extra = dd >= 0 ? argv.slice(dd + 1) : [];

  const dir = mkdtempSync(join(tmpdir(), "fn-sizes-"));
  try {
    const raw = join(dir, "named.wasm"), out = join(dir, "named.opt.wasm");
    const [cmd, ...args] = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts["asbuild:mcu"].split("&&")[0].trim().split(/\s+/);
    if (cmd !== "asc") throw new Error(`asbuild:mcu is not an asc command line: ${cmd}`);
    execFileSync(join(ROOT, "node_modules", ".bin", "asc"), [...args, ...extra, "--debug", "-o", raw], { cwd: ROOT, stdio: "inherit" });
    execFileSync(join(ROOT, "node_modules", "binaryen", "bin", "wasm-opt"), [...WASM_OPT_FLAGS, "-g", raw, "-o", out], { stdio: "inherit" });
    const sizes = functionSizes(readFileSync(out));
    let total = 0;
    for (const s of Object.values(sizes.fns)) total += s;
    const byFile = {};
    for (const [n, s] of Object.entries(sizes.fns)) { const f = n.replace(/\/[^/]*$/, ""); byFile[f] = (byFile[f] ?? 0) + s; }
    console.log(`module without its name section: ${sizes.shipped} bytes; code bodies ${total} bytes in ${Object.keys(sizes.fns).length} functions`);
    console.log(`sections: ${Object.entries(sizes.sections).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    console.log(`\nbiggest functions:`);
    for (const [n, s] of Object.entries(sizes.fns).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${String(s).padStart(7)}  ${n}`);
    console.log(`\nby source file:`);
    for (const [f, s] of Object.entries(byFile).sort((a, b) => b[1] - a[1])) console.log(`${String(s).padStart(7)}  ${f}`);
    const save = opt("--save");
    if (save) writeFileSync(save, JSON.stringify({ shipped: sizes.shipped, fns: sizes.fns }, null, 1));
    const diff = opt("--diff");
    if (diff) {
      const base = JSON.parse(readFileSync(diff, "utf8"));
      console.log(`\nagainst ${diff}: module ${base.shipped} -> ${sizes.shipped} (${sizes.shipped - base.shipped >= 0 ? "+" : ""}${sizes.shipped - base.shipped})`);
      const names = new Set([...Object.keys(base.fns), ...Object.keys(sizes.fns)]);
      const rows = [...names].map((n) => [n, (sizes.fns[n] ?? 0) - (base.fns[n] ?? 0)]).filter(([, d]) => d !== 0);
      for (const [n, d] of rows.sort((a, b) => a[1] - b[1])) console.log(`${(d > 0 ? "+" : "") + d}`.padStart(7) + `  ${n}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Body size of each function (by its name-section name) and each section's size, from a module's bytes. */
function functionSizes(b) {
  let p = 8;
  const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const SECTIONS = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "elem", "code", "data", "datacount"];
  const sections = {};
  let imported = 0, bodies = [], names = {}, nameSection = 0;
  while (p < b.length) {
    const id = b[p++], size = leb(), start = p, end = p + size;
    const kind = SECTIONS[id] ?? `section${id}`;
    if (id === 0) {
      const n = leb(), nm = new TextDecoder().decode(b.subarray(p, p + n)); p += n;
      if (nm === "name") {
        nameSection = end - start + 1 + lebLen(size);
        while (p < end) {
          const sub = b[p++], sz = leb(), subEnd = p + sz;
          if (sub === 1) {
            const count = leb();
            for (let i = 0; i < count; i++) { const idx = leb(), l = leb(); names[idx] = new TextDecoder().decode(b.subarray(p, p + l)); p += l; }
          }
          p = subEnd;
        }
      } else sections[`custom ${nm}`] = end - start;
    } else {
      sections[kind] = end - start;
      if (id === 2) {
        const count = leb();
        for (let i = 0; i < count; i++) {
          const m = leb(); p += m; const f = leb(); p += f; const k = b[p++];
          if (k === 0) { leb(); imported++; } else if (k === 1) { p++; const fl = leb(); leb(); if (fl & 1) leb(); }
          else if (k === 2) { const fl = leb(); leb(); if (fl & 1) leb(); } else { p += 2; }
        }
      } else if (id === 10) {
        const count = leb();
        for (let i = 0; i < count; i++) { const sz = leb(); bodies.push(sz); p += sz; }
      }
    }
    p = end;
  }
  const fns = {};
  bodies.forEach((sz, i) => { const n = names[imported + i] ?? `func${imported + i}`; fns[fns[n] === undefined ? n : `${n}#${i}`] = sz; });
  return { fns, sections, shipped: b.length - nameSection };
}

function lebLen(v) { let n = 1; while (v >= 0x80) { v >>>= 7; n++; } return n; }
