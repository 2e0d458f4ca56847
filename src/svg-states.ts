// RFC 9293's TCP connection state diagram (§3.3.2, Figure 5) as SVG, with the transitions one
// connection took highlighted: the client's in blue, the server's in orange, both in purple.
// Figure 5 is drawn as the RFC has it (one CLOSED at the top for opening, one at the bottom
// where connections end), plus the seed's FIN-WAIT-1 -> TIME-WAIT on a FIN+ACK. Transitions
// the figure leaves out (resets, timeouts, aborts) are added as dashed edges when taken.

import type { TcpStateName } from "./abi.js";
import { esc } from "./svg-ladder.js";
import { type Ladder, statePath } from "./ladder.js";
import type { Side } from "./scenarios.js";

type Node = TcpStateName | "CLOSED-END";
const NODE_W = 132, NODE_H = 34;
const POS: Record<Node, [number, number]> = {
  "CLOSED": [450, 60], "LISTEN": [450, 170], "SYN-RECEIVED": [190, 280], "SYN-SENT": [710, 280],
  "ESTABLISHED": [450, 400], "FIN-WAIT-1": [190, 520], "CLOSE-WAIT": [710, 520], "FIN-WAIT-2": [190, 650],
  "CLOSING": [450, 650], "LAST-ACK": [710, 650], "TIME-WAIT": [450, 780], "CLOSED-END": [710, 780],
};
const WIDTH = 900, HEIGHT = 850;

interface Edge {
  from: Node; to: Node; label: string;
  /** Perpendicular offset of a quadratic curve's control point (0: straight). */
  bend?: number;
  /** Label position along the edge (0..1) and its offset from the edge. */
  at?: number; dx?: number; dy?: number; anchor?: "start" | "middle" | "end";
  /** Not in Figure 5. */
  extra?: boolean;
}

/** Figure 5's edges (and the seed's FIN-WAIT-1 -> TIME-WAIT). */
export const FIGURE_EDGES: Edge[] = [
  { from: "CLOSED", to: "LISTEN", label: "passive OPEN", bend: 30, dx: -24, anchor: "end" },
  { from: "LISTEN", to: "CLOSED", label: "CLOSE", bend: 30, dx: 24, anchor: "start" },
  { from: "CLOSED", to: "SYN-SENT", label: "active OPEN / snd SYN", at: 0.35, dx: 14, dy: -4, anchor: "start" },
  { from: "LISTEN", to: "SYN-RECEIVED", label: "rcv SYN / snd SYN,ACK", at: 0.45, dx: -10, dy: -8, anchor: "end" },
  { from: "LISTEN", to: "SYN-SENT", label: "SEND / snd SYN", at: 0.45, dx: 10, dy: -8, anchor: "start" },
  { from: "SYN-SENT", to: "SYN-RECEIVED", label: "rcv SYN / snd SYN,ACK (simultaneous open)", bend: 0, at: 0.5, dy: 16 },
  { from: "SYN-RECEIVED", to: "LISTEN", label: "rcv RST", bend: -40, at: 0.5, dx: -4, dy: -14, anchor: "end" },
  { from: "SYN-SENT", to: "CLOSED", label: "CLOSE / timeout / rcv RST", bend: 140, at: 0.25, dx: 14, anchor: "start" },
  { from: "SYN-RECEIVED", to: "ESTABLISHED", label: "rcv ACK of SYN", at: 0.5, dx: -12, dy: 14, anchor: "end" },
  { from: "SYN-SENT", to: "ESTABLISHED", label: "rcv SYN,ACK / snd ACK", at: 0.5, dx: 12, dy: 14, anchor: "start" },
  { from: "SYN-RECEIVED", to: "FIN-WAIT-1", label: "CLOSE / snd FIN", at: 0.5, dx: -8, anchor: "end" },
  { from: "ESTABLISHED", to: "FIN-WAIT-1", label: "CLOSE / snd FIN", at: 0.5, dx: 8, dy: 18, anchor: "start" },
  { from: "ESTABLISHED", to: "CLOSE-WAIT", label: "rcv FIN / snd ACK", at: 0.5, dx: -8, dy: 18, anchor: "end" },
  { from: "FIN-WAIT-1", to: "FIN-WAIT-2", label: "rcv ACK of FIN", at: 0.5, dx: -8, anchor: "end" },
  { from: "FIN-WAIT-1", to: "CLOSING", label: "rcv FIN / snd ACK", at: 0.42, dx: 10, dy: -6, anchor: "start" },
  { from: "FIN-WAIT-1", to: "TIME-WAIT", label: "rcv FIN,ACK / snd ACK", at: 0.86, dx: 10, dy: 4, anchor: "start" },
  { from: "FIN-WAIT-2", to: "TIME-WAIT", label: "rcv FIN / snd ACK", at: 0.25, dx: -10, dy: 18, anchor: "end" },
  { from: "CLOSING", to: "TIME-WAIT", label: "rcv ACK of FIN", at: 0.35, dx: 8, anchor: "start" },
  { from: "CLOSE-WAIT", to: "LAST-ACK", label: "CLOSE / snd FIN", at: 0.5, dx: 8, anchor: "start" },
  { from: "LAST-ACK", to: "CLOSED-END", label: "rcv ACK of FIN", at: 0.5, dx: 8, anchor: "start" },
  { from: "TIME-WAIT", to: "CLOSED-END", label: "2·MSL timeout", at: 0.5, dy: -8 },
];

/** Dashed extras for transitions Figure 5 leaves out. */
const EXTRA_LABEL = "rcv RST / timeout / abort";

/** The node a transition ends at: CLOSED at the top only when opening fails or a listener closes. */
function endNode(from: TcpStateName, to: TcpStateName): Node {
  return to === "CLOSED" && from !== "LISTEN" && from !== "SYN-SENT" && from !== "CLOSED" ? "CLOSED-END" : to;
}

/** Each side's transitions, as [from node, to node] pairs, from a ladder's state paths. */
export function takenEdges(l: Ladder): Record<Side, [Node, Node][]> {
  const out = { client: [], server: [] } as Record<Side, [Node, Node][]>;
  for (const side of ["client", "server"] as const) {
    const p = statePath(l, side);
    for (let i = 1; i < p.length; i++) out[side].push([p[i - 1] === "CLOSED" && i > 1 ? "CLOSED-END" : p[i - 1], endNode(p[i - 1], p[i])]);
  }
  return out;
}

function clip(cx: number, cy: number, tx: number, ty: number): [number, number] {
  const dx = tx - cx, dy = ty - cy;
  if (dx === 0 && dy === 0) return [cx, cy];
  const s = Math.min(Math.abs((NODE_W / 2 + 3) / (dx || 1e-9)), Math.abs((NODE_H / 2 + 3) / (dy || 1e-9)));
  return [cx + dx * s, cy + dy * s];
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/** The state diagram as SVG; `l` (optional) is the connection whose transitions are highlighted. */
export function statesSvg(l?: Ladder): string {
  const taken = l ? takenEdges(l) : { client: [], server: [] };
  const edges = [...FIGURE_EDGES];
  const key = (a: Node, b: Node) => `${a}>${b}`;
  const known = new Set(edges.map((e) => key(e.from, e.to)));
  for (const side of ["client", "server"] as const) {
    for (const [a, b] of taken[side]) {
      if (!known.has(key(a, b))) { known.add(key(a, b)); edges.push({ from: a, to: b, label: EXTRA_LABEL, extra: true, bend: 50, at: 0.5, dy: -6 }); }
    }
  }
  const sides = (a: Node, b: Node) => (["client", "server"] as const).filter((s) => taken[s].some(([x, y]) => x === a && y === b));
  const colour = { client: "#1565c0", server: "#e65100", both: "#6a1b9a" };
  const out: string[] = [];
  const labels: string[] = [];
  for (const e of edges) {
    const [ax, ay] = POS[e.from], [bx, by] = POS[e.to];
    const bend = e.bend ?? 0;
    const mx = (ax + bx) / 2, my = (ay + by) / 2;
    const len = Math.hypot(bx - ax, by - ay);
    const cx = mx - ((by - ay) / len) * bend, cy = my + ((bx - ax) / len) * bend;
    const [sx, sy] = clip(ax, ay, bend ? cx : bx, bend ? cy : by);
    const [ex, ey] = clip(bx, by, bend ? cx : ax, bend ? cy : ay);
    const who = sides(e.from, e.to);
    const tag = who.length === 2 ? "both" : who[0];
    const cls = `edge${e.extra ? " extra" : ""}${tag ? ` taken ${tag}` : ""}`;
    const d = bend ? `M${r1(sx)} ${r1(sy)}Q${r1(cx)} ${r1(cy)} ${r1(ex)} ${r1(ey)}` : `M${r1(sx)} ${r1(sy)}L${r1(ex)} ${r1(ey)}`;
    out.push(`<path class="${cls}" d="${d}" data-from="${e.from}" data-to="${e.to}" marker-end="url(#${tag ? `h-${tag}` : "h"})"/>`);
    const t = e.at ?? 0.5;
    const px = bend ? (1 - t) ** 2 * sx + 2 * (1 - t) * t * cx + t * t * ex : sx + (ex - sx) * t;
    const py = bend ? (1 - t) ** 2 * sy + 2 * (1 - t) * t * cy + t * t * ey : sy + (ey - sy) * t;
    labels.push(`<text class="edge-label${tag ? ` taken ${tag}` : ""}" x="${r1(px + (e.dx ?? 0))}" y="${r1(py + (e.dy ?? 0) + 4)}" text-anchor="${e.anchor ?? "middle"}">${esc(e.label)}</text>`);
  }
  const visited = (n: Node) => (["client", "server"] as const).filter((s) => taken[s].some(([a, b]) => a === n || b === n));
  for (const [n, [x, y]] of Object.entries(POS) as [Node, [number, number]][]) {
    const v = visited(n);
    const tag = v.length === 2 ? "both" : v[0];
    out.push(`<rect class="node${tag ? ` visited ${tag}` : ""}" x="${x - NODE_W / 2}" y="${y - NODE_H / 2}" width="${NODE_W}" height="${NODE_H}" rx="8"/>`);
    labels.push(`<text class="node-label" data-state="${n}" x="${x}" y="${y + 5}" text-anchor="middle">${n === "CLOSED-END" ? "CLOSED" : n}</text>`);
  }
  const legend: string[] = [];
  if (l) {
    let ly = HEIGHT - 34;
    for (const side of ["client", "server"] as const) {
      legend.push(`<text class="legend ${side}" x="20" y="${ly}">${esc(`${side}: ${statePath(l, side).join(" → ")}`)}</text>`);
      ly += 18;
    }
  }
  const title = l ? `RFC 9293 state diagram: ${l.title}` : "RFC 9293 state diagram";
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    "<defs>",
    ...[["h", "#8a949e"], ["h-client", colour.client], ["h-server", colour.server], ["h-both", colour.both]].map(([id, c]) =>
      `<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${c}"/></marker>`),
    "</defs>",
    "<style>.edge{fill:none;stroke:#8a949e;stroke-width:1.3}.edge.extra{stroke-dasharray:6 4}.edge.taken{stroke-width:3.2}",
    ".edge-label{fill:#555;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}.edge-label.taken{font-weight:bold}",
    ".node{fill:#f5f7fa;stroke:#8a949e;stroke-width:1.3}.node.visited{fill:#fff;stroke-width:3}.node-label{font-weight:bold;font-size:13px}",
    ".title{font-size:16px;font-weight:bold}.legend{font-size:13px;font-weight:bold}",
    ...(["client", "server", "both"] as const).map((t) => `.edge.${t}{stroke:${colour[t]}}.edge-label.${t},.legend.${t}{fill:${colour[t]}}.node.${t}{stroke:${colour[t]}}`),
    "</style>",
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text class="title" x="20" y="26">${esc(title)}</text>`,
    ...out,
    ...labels,
    ...legend,
    "</svg>",
    "",
  ].join("\n");
}
