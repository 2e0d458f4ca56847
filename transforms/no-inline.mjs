// An asc transform for the size builds (asconfig.json targets "mcu" and "testing-mcu"): drops
// the @inline decorator from our functions and methods, so each is emitted once and called,
// and Binaryen's own size-aware inliner decides what is worth inlining (at shrinkLevel 2 it
// inlines only functions smaller than a call). The node build keeps every @inline (speed).
// Functions whose body is a single statement (an accessor: `return load<u16>(p + 2)`) keep
// theirs: a call costs as much as their body. Library (~lib) sources are left alone.
import { Transform } from "assemblyscript/transform";

const KEEP_TINY = process.env.WT_KEEP_TINY === "1";
// Kept inline in every build: wrappers whose inlining shrinks each call site (stats.ts `count`
// folds its counter's bias into the call's constant, which then encodes in one byte).
const KEEP = new Set(["count"]);
const isInline = (d) => d && d.name && d.name.text === "inline";

/** A function body of one statement (or an expression-bodied arrow). */
function tiny(fn) {
  const b = fn.body;
  if (!b) return false;
  if (Array.isArray(b.statements)) return b.statements.length <= 1 && !nested(b.statements[0]);
  return true;
}
/** A statement holding a block (if/loop/switch): not an accessor. */
const nested = (s) => !!s && (s.ifTrue !== undefined || s.body !== undefined || s.cases !== undefined || s.statements !== undefined);

function strip(node, counts) {
  if (!node || typeof node !== "object") return;
  if (node.signature && Array.isArray(node.decorators) && node.decorators.some(isInline) && !(KEEP_TINY && tiny(node)) &&
      !KEEP.has(node.name?.text)) {
    node.decorators = node.decorators.filter((d) => !isInline(d));
    if (node.decorators.length === 0) node.decorators = null;
    counts.n++;
  }
  for (const list of [node.statements, node.members]) if (Array.isArray(list)) for (const s of list) strip(s, counts);
  if (node.declaration) strip(node.declaration, counts);  // export default function ...
}

export default class NoInline extends Transform {
  afterParse(parser) {
    const counts = { n: 0 };
    for (const source of parser.sources) {
      if (source.normalizedPath.startsWith("~lib/")) continue;
      strip(source, counts);
    }
    if (process.env.WT_NO_INLINE_VERBOSE) console.error(`no-inline: @inline dropped from ${counts.n} functions`);
  }
}
