// Prints benchmark rows {name, ours, reference?, unit, ratio?} as one aligned table.
const fmt = (v) => {
  if (v === undefined || v === null) return "-";
  if (typeof v !== "number") return String(v);
  if (Number.isNaN(v)) return "n/a";
  if (Number.isInteger(v)) return String(v);
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
};

export function printTable(rows) {
  // Optional extra columns: a row's `cols` object ({ column name: value }), in first-seen order.
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r.cols ?? {})))];
  const head = ["benchmark", "ours", "reference", "unit", "ours/ref", ...extra];
  const body = rows.map((r) => [r.name, fmt(r.ours), fmt(r.reference), r.unit ?? "", r.ratio === undefined ? "-" : fmt(r.ratio),
    ...extra.map((c) => fmt(r.cols?.[c]))]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  console.log(line(head));
  console.log(w.map((n) => "-".repeat(n)).join("  "));
  for (const b of body) console.log(line(b));
}
