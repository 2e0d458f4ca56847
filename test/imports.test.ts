// The import graph of assembly/ has no cycle (issue 8: imports point down the data path;
// docs/architecture.md). Parses every `import ... from "x"` and `export ... from "x"` of the
// AssemblyScript sources, resolves relative specifiers, and fails naming the first cycle found.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ASSEMBLY = join(ROOT, "assembly");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Relative module specifiers a file imports or re-exports from (comments stripped first). */
export function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const out: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s+(?:type\s+)?(?:[\s\S]*?\bfrom\s+)?["']([^"']+)["']/g)) out.push(m[1]);
  return out.filter((s) => s.startsWith("."));
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sources(ASSEMBLY)) {
    const deps = specifiers(readFileSync(f, "utf8")).map((s) => {
      const base = resolve(dirname(f), s);
      for (const cand of [`${base}.ts`, join(base, "index.ts")]) {
        try { if (statSync(cand).isFile()) return cand; } catch { /* next */ }
      }
      throw new Error(`${relative(ROOT, f)}: cannot resolve ${s}`);
    });
    g.set(f, deps);
  }
  return g;
}

/** One cycle (as a list of files, first repeated at the end), or null. */
export function findCycle(g: Map<string, string[]>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1 on the stack, 2 done
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    stack.push(n);
    for (const d of g.get(n) ?? []) {
      const s = state.get(d);
      if (s === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (s === undefined) { const c = visit(d); if (c) return c; }
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of [...g.keys()].sort()) if (!state.has(n)) { const c = visit(n); if (c) return c; }
  return null;
}

describe("assembly/ import graph", () => {
  it("the parser sees imports, re-exports and multi-line import lists (and no commented-out ones)", () => {
    const text = `import { a } from "./a";\nexport { b } from "../b";\nimport {\n  c,\n  d,\n} from "./c";\n// import { x } from "./x";\nexport * from "./e";\nimport { f } from "vitest";`;
    expect(specifiers(text)).toEqual(["./a", "../b", "./c", "./e"]);
    const g = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", []]]);
    expect(findCycle(g)).toEqual(["a", "b", "c", "a"]);
    expect(findCycle(new Map([["a", ["b"]], ["b", []]]))).toBeNull();
  });

  it("has no import cycle anywhere (imports point down the data path)", () => {
    const g = graph();
    expect(g.size).toBeGreaterThan(20);
    expect(g.get(join(ASSEMBLY, "tcp", "cc.ts"))!.map((p) => relative(ASSEMBLY, p))).not.toContain(join("tcp", "output.ts"));
    const cycle = findCycle(g);
    expect(cycle?.map((p) => relative(ROOT, p)) ?? null).toBeNull();
  });

  it("leaf modules stay leaves: ip/addr.ts imports only checksum, tcp/sack.ts nothing that sends", () => {
    const g = graph();
    const deps = (f: string) => g.get(join(ASSEMBLY, f))!.map((p) => relative(ASSEMBLY, p)).sort();
    expect(deps("ip/addr.ts")).toEqual(["checksum.ts"]);
    for (const d of deps("tcp/sack.ts")) expect(["tcp/reassembly.ts", "tcp/seq.ts", "tcp/tcb.ts", "wire/tcp.ts"]).toContain(d);
  });
});
