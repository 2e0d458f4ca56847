// `npm run bench`: runs every benchmark module in bench/ and prints one table.
// A benchmark module is any bench/*.mjs (other than run/lib/table) whose default
// export is an async function returning rows {name, ours, reference, unit, ratio}.
// `node bench/run.mjs checksum` runs only modules whose file name contains "checksum".
import { readdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { printTable } from "./table.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const NOT_BENCHES = new Set(["run.mjs", "lib.mjs", "table.mjs"]);
const filter = process.argv[2] ?? "";

const files = readdirSync(HERE).filter((f) => f.endsWith(".mjs") && !NOT_BENCHES.has(f) && f.includes(filter)).sort();
const rows = [];
let failed = false;
const t0 = Date.now();
for (const f of files) {
  const mod = await import(pathToFileURL(join(HERE, f)).href);
  if (typeof mod.default !== "function") continue;
  try {
    rows.push(...(await mod.default()));
  } catch (e) {
    failed = true;
    console.error(`bench ${f} failed: ${e.stderr ?? ""}${e.message}`);
  }
}
printTable(rows);
const load = loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`\n${files.length} bench modules, ${((Date.now() - t0) / 1000).toFixed(1)} s; node ${process.version}; ` +
  `${cpus().length} CPUs, load average ${load} (figures are only comparable on an idle machine)`);
if (failed) process.exitCode = 1;
