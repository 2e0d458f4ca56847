// A ladder (sequence) diagram of one TCP connection as SVG, and an HTML page around it:
// time runs down the page (one row per event, the time on the left, long gaps marked), the
// client's and the server's lifelines with their state columns outside them, every segment an
// arrow with its label (flags, relative seq/ack, len), lost segments stopping short with a red
// cross, retransmissions marked. Deterministic output (golden files in test/fixtures/).
// Element classes the browser test reads: seg-label (data-index), state-label (data-side,
// data-state), time-label, end-label.

import { CFG_DEFAULTS } from "./abi.js";
import { Say, type Lang } from "./i18n-story.js";
import { fmtGap, fmtMs, type Ladder, segmentLabel, statePath } from "./ladder.js";
import { explainSegments } from "./story.js";
import type { Side } from "./scenarios.js";

const X = { time: 78, clientState: 177, client: 272, server: 712, serverState: 807 } as const;
const WIDTH = 892;
const TOP = 104;        // y of the first row
const ROW = 34;         // one event
const DY = 22;          // how far an arrow falls while crossing (the link delay, drawn)
const GAP_ROW = 26;     // extra room for a time gap
const GAP_MS = 100;     // gaps this long or longer get their own marker
const BOX_W = 124;

export const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");


/** The ladder as a standalone SVG document. */
export function ladderSvg(l: Ladder): string {
  const body: string[] = [];
  const labels: string[] = [];
  let y = TOP;
  let lastT: number | undefined;
  const lineX: Record<Side, number> = { client: X.client, server: X.server };
  const stateX: Record<Side, number> = { client: X.clientState, server: X.serverState };
  const stateBox = (side: Side, state: string, cy: number, initial: boolean) => {
    body.push(`<rect class="state-box" x="${stateX[side] - BOX_W / 2}" y="${cy - 11}" width="${BOX_W}" height="22" rx="4"${initial ? ` fill="#eef1f5"` : ""}/>`);
    labels.push(`<text class="state-label" data-side="${side}" data-state="${state}" x="${stateX[side]}" y="${cy + 4}" text-anchor="middle">${state}</text>`);
    const from = side === "client" ? stateX.client + BOX_W / 2 : stateX.server - BOX_W / 2;
    body.push(`<line class="tick" x1="${from}" y1="${cy}" x2="${lineX[side]}" y2="${cy}"/>`);
    body.push(`<circle class="dot" cx="${lineX[side]}" cy="${cy}" r="3"/>`);
  };
  const timeAt = (t: number, cy: number) => {
    if (lastT !== undefined && t - lastT >= GAP_MS) {
      body.push(`<text class="gap-label" x="${X.time}" y="${cy - ROW / 2 - 4}" text-anchor="end">+${fmtGap(t - lastT)}</text>`);
      for (const x of [X.client, X.server]) body.push(`<line class="gap" x1="${x - 6}" y1="${cy - ROW / 2 - 12}" x2="${x + 6}" y2="${cy - ROW / 2 - 6}"/>`);
    }
    if (t !== lastT) labels.push(`<text class="time-label" x="${X.time}" y="${cy + 4}" text-anchor="end">${fmtMs(t)}</text>`);
    lastT = t;
  };

  stateBox("client", l.initial.client, TOP - 30, true);
  stateBox("server", l.initial.server, TOP - 30, true);
  for (const it of l.items) {
    if (lastT !== undefined && it.t - lastT >= GAP_MS) y += GAP_ROW;
    timeAt(it.t, y);
    if (it.kind === "state") {
      stateBox(it.side, it.to, y, false);
      y += ROW;
      continue;
    }
    const x1 = lineX[it.src], x2 = lineX[it.src === "client" ? "server" : "client"];
    const cls = `seg${it.lost ? " lost" : ""}${it.retransmission ? " rtx" : ""} from-${it.src}`;
    const text = `${it.retransmission ? "↻ " : ""}${segmentLabel(it)}${it.lost ? " (lost)" : ""}`;
    const midX = (X.client + X.server) / 2;
    if (it.lost) {
      const xe = x1 + (x2 - x1) * 0.72, ye = y + DY * 0.72;
      body.push(`<line class="${cls}" x1="${x1}" y1="${y}" x2="${xe}" y2="${ye}"/>`);
      body.push(`<path class="cross" d="M${xe - 6} ${ye - 6}L${xe + 6} ${ye + 6}M${xe - 6} ${ye + 6}L${xe + 6} ${ye - 6}"/>`);
    } else {
      body.push(`<line class="${cls}" x1="${x1}" y1="${y}" x2="${x2}" y2="${y + DY}" marker-end="url(#head)"/>`);
    }
    labels.push(`<text class="seg-label${it.lost ? " lost" : ""}${it.retransmission ? " rtx" : ""}" data-index="${it.index}" x="${midX}" y="${y + DY / 2 - 8}" text-anchor="middle">${esc(text)}</text>`);
    y += ROW;
  }
  const height = y + 16;
  const title = `${l.title}${l.inferred ? " (states inferred from the segments)" : ""}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">`,
    `<title>${esc(`TCP ladder: ${title}`)}</title>`,
    "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"11\" markerHeight=\"11\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#333\"/></marker></defs>",
    "<style>",
    ".seg{stroke:#333;stroke-width:1.4}.seg.from-server{stroke:#7a4a00}.seg.lost{stroke:#c62828;stroke-dasharray:5 4}.seg.rtx{stroke:#6a1b9a;stroke-width:2}",
    ".cross{stroke:#c62828;stroke-width:2.5}.life{stroke:#9aa5b1;stroke-width:2}.tick{stroke:#c5ccd4}.dot{fill:#555}.gap{stroke:#9aa5b1;stroke-width:2}",
    ".state-box{fill:#e8f5e9;stroke:#66a36b}.state-label{font-weight:bold;fill:#1b5e20}.time-label,.gap-label{fill:#666}",
    ".seg-label{fill:#111;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}.seg-label.lost{fill:#c62828}.seg-label.rtx{fill:#6a1b9a}",
    ".end-label{font-weight:bold;font-size:13px}.title{font-size:15px;font-weight:bold}",
    "</style>",
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text class="title" x="${WIDTH / 2}" y="22" text-anchor="middle">${esc(title)}</text>`,
    `<text class="end-label" x="${X.client}" y="50" text-anchor="middle">${esc(l.ends.client)}</text>`,
    `<text class="end-label" x="${X.server}" y="50" text-anchor="middle">${esc(l.ends.server)}</text>`,
    `<line class="life" x1="${X.client}" y1="58" x2="${X.client}" y2="${height - 8}"/>`,
    `<line class="life" x1="${X.server}" y1="58" x2="${X.server}" y2="${height - 8}"/>`,
    ...body,
    ...labels,
    "</svg>",
    "",
  ].join("\n");
}

/** An HTML page: the SVG inline, a legend and the story's explanation of each segment. */
export function ladderHtml(l: Ladder, lang: Lang = "en", mslMs = CFG_DEFAULTS.MslMs): string {
  const say = new Say(lang);
  const ex = explainSegments(l, say);
  const segs = l.items.filter((x) => x.kind === "segment");
  const rows = segs.map((s) => {
    const e = ex.get(s.index);
    const why = e ? e.whys.map((k) => esc(say.why(k, e.vars))).join(" ") : "";
    return `<tr><td>${s.index + 1}</td><td>${esc(fmtMs(s.t))}</td><td>${esc(say.side(s.src))}</td><td><code>${esc(segmentLabel(s))}</code>${s.lost ? " ✕" : ""}${s.retransmission ? " ↻" : ""}</td><td>${why}</td></tr>`;
  });
  const states = (["client", "server"] as const).map((side) =>
    `<p><b>${esc(say.side(side))}</b>: ${statePath(l, side)
      .map((st) => `<abbr title="${esc(say.state(st, mslMs))}">${st}</abbr>`).join(" → ")}</p>`);
  return [
    "<!doctype html>",
    `<html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><title>${esc(`TCP ladder: ${l.title}`)}</title>`,
    "<style>body{font-family:DejaVu Sans,Noto Sans CJK SC,sans-serif;margin:24px;max-width:900px}table{border-collapse:collapse;font-size:13px}",
    "td{border-top:1px solid #ddd;padding:4px 8px;vertical-align:top}td:nth-child(-n+4){white-space:nowrap}figure{margin:0}</style></head><body>",
    `<h1>${esc(l.title)}</h1>`,
    `<p>${esc(say.relative(l.isn.client, l.isn.server))}</p>`,
    `<figure>${ladderSvg(l).trim()}<figcaption>${esc(say.legend())}</figcaption></figure>`,
    ...states,
    `<table><tbody>${rows.join("")}</tbody></table>`,
    "</body></html>",
    "",
  ].join("\n");
}
