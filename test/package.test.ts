// The published package, tried as a new user would: `npm pack`, install the tarball into a fresh
// project (registry cache only, install scripts off: npm 11 may not run them), import it, type-check
// code against it, run an emulated echo, run the CLI, and get a clear error naming the command to
// run when TAP support was not built.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
let dir = "";
let app = "";
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "wt-pack-"));
  // the build outputs exist (npm ci ran `prepare`): pack them as they are
  run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], ROOT);
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  app = join(dir, "app");
  run("mkdir", ["-p", app], dir);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", type: "module", private: true }));
  run("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", join(dir, tgz)], app);
}, 180_000);

afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe("packaging: the tarball installs and works", () => {
  it("ships the compiled library, its types, the wasm modules, the CLI and the addon sources, and nothing built for this machine", () => {
    const pkg = join(app, "node_modules", "wasm-tcpip");
    for (const f of ["dist/index.js", "dist/index.d.ts", "dist/net.js", "dist/cli.js", "build/stack.wasm", "build/stack.mcu.wasm",
      "bin/wasm-tcpip", "native/binding.gyp", "native/tap.c", "native/uring.h", "README.md", "docs/abi.md"]) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    expect(existsSync(join(pkg, "native", "build"))).toBe(false);
    expect(existsSync(join(pkg, "build", "stack.wat"))).toBe(false);
  });

  it("`import { createStack } from \"wasm-tcpip\"` runs an echo over two emulated stacks", () => {
    writeFileSync(join(app, "echo.mjs"), `
import { createStack, Sim } from "wasm-tcpip";
const sim = new Sim({ seed: 1 });
const link = sim.link({ delayMs: 1 });
const a = createStack({ ip: "198.51.100.1/24", mac: "02:00:00:00:00:01", link: { type: "emulated", sim, link } });
const b = createStack({ ip: "198.51.100.2/24", mac: "02:00:00:00:00:02", link: { type: "emulated", sim, link } });
b.createServer((s) => s.pipe(s)).listen(7);
let got = "";
const c = a.connect({ host: "198.51.100.2", port: 7 }, () => c.end("hello through the package"));
c.on("data", (d) => { got += d; });
await a.until(() => got.length >= 25, 5000);
console.log("echo:" + got);
`);
    expect(run("node", ["echo.mjs"], app).trim()).toBe("echo:hello through the package");
  });

  it("code typed against the package type-checks with tsc --strict (NodeNext)", () => {
    writeFileSync(join(app, "typed.ts"), `
import { createStack, Sim, type Socket, type NetStack } from "wasm-tcpip";
const sim = new Sim({ seed: 1 });
const s: NetStack = createStack({ ip: "198.51.100.1/24", link: { type: "emulated", sim, link: sim.link({}) } });
const c: Socket = s.connect({ host: "198.51.100.2", port: 7 });
c.on("data", (d: Buffer) => d.length);
c.end();
`);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
      compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: ["node"],
        typeRoots: [join(ROOT, "node_modules", "@types")] },
      files: ["typed.ts"],
    }));
    run(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "."], app); // throws on any type error
    // and a wrong use is caught (the types are real, not `any`)
    writeFileSync(join(app, "typed.ts"), `import { createStack } from "wasm-tcpip";\ncreateStack({ ip: 42 });\n`);
    let out = "";
    try { run(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "."], app); } catch (e) { out = String((e as { stdout?: string }).stdout); }
    expect(out).toMatch(/typed\.ts.*error TS2/);
  });

  it("the CLI runs from the installed package", () => {
    const out = run(join(app, "node_modules", ".bin", "wasm-tcpip"), ["--help"], app);
    expect(out).toMatch(/wasm-tcpip/);
    expect(out).toMatch(/\bup\b/);
  });

  it("without the TAP addon built, a TAP stack fails with ERR_TAP_ADDON naming the command to run", () => {
    writeFileSync(join(app, "tap.mjs"), `
import { createStack } from "wasm-tcpip";
try { createStack({ ip: "198.51.100.2/24", link: { type: "tap", name: "wtpkg0" } }); console.log("no error"); }
catch (e) { console.log(e.code + " " + e.message); }
`);
    const out = run("node", ["tap.mjs"], app);
    expect(out).toMatch(/^ERR_TAP_ADDON /);
    expect(out).toMatch(/npm rebuild wasm-tcpip/);
  });
});
