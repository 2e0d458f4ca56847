// The TCP story in the terminal: a scenario run drawn as a two-column ladder (client | server),
// every segment an arrow labelled with its flags, seq, ack and len, each side's state shown as
// it changes, one line saying why at each step, and `ss -tan`-style listings of both hosts at
// the moments netstat can catch a state. `npm start` tells the walk-through scenario this way;
// `demo --scenario NAME` tells any scenario.

import { CFG_DEFAULTS } from "./abi.js";
import { Say, type CatchWhy, type Lang, type SegmentWhy } from "./i18n-story.js";
import { fmtGap, fmtMs, type Ladder, type LadderSegment, ladderFromRun, segmentLabel } from "./ladder.js";
import { formatSockets } from "./net.js";
import type { Listing, ScenarioRun, Side } from "./scenarios.js";

export interface StoryOptions {
  lang: Lang;
  /** ANSI colours (only on a TTY, never with NO_COLOR: the caller decides). */
  color: boolean;
  /** Called before each segment after the first (`--step`: wait for Enter). */
  step?: () => Promise<void>;
  /** Maximum segment lifetime of the run, ms (TIME-WAIT = 2 of them). */
  mslMs?: number;
}

// ---------------------------------------------------------------------------
// Why each segment was sent

export interface SegmentExplanation { whys: SegmentWhy[]; vars: Record<string, string | number> }

const other = (s: Side): Side => (s === "client" ? "server" : "client");
const has = (s: LadderSegment, f: string): boolean => s.flags.split(",").includes(f);

/**
 * For each segment (by its index among segments): why it was sent, in the story's terms. The
 * routine "data" and "dataAck" explanations are given once per side; the rest every time.
 */
export function explainSegments(l: Ladder, say: Say): Map<number, SegmentExplanation> {
  const out = new Map<number, SegmentExplanation>();
  const synSent: Partial<Record<Side, boolean>> = {};
  const synAcked: Partial<Record<Side, boolean>> = {};
  const finEnd: Partial<Record<Side, number>> = {};
  const finAckedBy: Partial<Record<Side, boolean>> = {}; // side whose FIN the other acknowledged
  const lastAck: Partial<Record<Side, number>> = {};
  const told = new Set<string>();
  const state = { ...l.initial };
  for (const s of l.items) {
    if (s.kind === "state") { state[s.side] = s.to; continue; }
    const a = s.src, b = other(a);
    const whys: SegmentWhy[] = [];
    const once = (k: SegmentWhy) => { if (!told.has(`${k}:${a}`)) { told.add(`${k}:${a}`); whys.push(k); } };
    const ackN = s.relAck;
    if (s.retransmission) whys.push("rtx");
    if (has(s, "RST")) whys.push("rst");
    else if (has(s, "SYN") && !has(s, "ACK")) { if (!s.retransmission) whys.push("syn"); synSent[a] = true; }
    else if (has(s, "SYN")) { if (!s.retransmission) whys.push(synSent[a] ? "synackSimul" : "synack"); synSent[a] = true; }
    else if (s.retransmission) { /* the rtx line says it all */ }
    else {
      if (s.len > 0 && (state[a] === "CLOSE-WAIT" || state[b] === "FIN-WAIT-2")) whys.push("dataHalfClosed");
      else if (s.len > 0) once("data");
      if (has(s, "FIN")) {
        const fe = finEnd[b];
        if (fe === undefined) whys.push("finFirst");
        else whys.push(ackN === fe ? "finSecond" : "finSimul");
        finEnd[a] = (s.relSeq + s.len + 1) >>> 0;
      } else if (s.len === 0 && has(s, "ACK")) {
        if (synSent[b] && !synAcked[b] && ackN === 1 && !s.lost) { whys.push("hs3"); synAcked[b] = true; }
        else if (synSent[b] && !synAcked[b] && ackN === 1) whys.push("hs3");
        else if (finEnd[b] !== undefined && ackN === finEnd[b] && state[a] === "TIME-WAIT") whys.push("reAckFin");
        else if (finEnd[b] !== undefined && ackN === finEnd[b] && !finAckedBy[b]) {
          if (finEnd[a] === undefined) whys.push("ackFinPassive");
          else whys.push(finAckedBy[a] ? "ackFinLast" : "ackFinSimul");
        } else if (lastAck[a] !== undefined && ((ackN - lastAck[a]!) | 0) > 0) once("dataAck");
      }
    }
    if (has(s, "ACK") && !s.lost) {
      if (synSent[b] && ackN >= 1) synAcked[b] = true;
      if (finEnd[b] !== undefined && ackN === finEnd[b]) finAckedBy[b] = true;
      lastAck[a] = ackN;
    }
    if (s.lost) whys.push("lost");
    if (whys.length) out.set(s.index, { whys, vars: { a: say.side(a), b: say.side(b), ack: ackN, n: s.len, end: (s.relSeq + s.len) >>> 0 } });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Terminal layout

const TIME_W = 9;   // "61502 ms"
const STATE_W = 13; // "SYN-RECEIVED"
const MID_W = 44;   // arrows and their labels
const FULL_W = TIME_W + 1 + STATE_W + 1 + MID_W + 1 + STATE_W;

/** Display width of a string in a terminal (CJK and fullwidth forms take two columns). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && (c <= 0x115f || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6))) ? 2 : 1;
  }
  return w;
}

function pad(s: string, w: number): string { return s + " ".repeat(Math.max(0, w - displayWidth(s))); }
function padStart(s: string, w: number): string { return " ".repeat(Math.max(0, w - displayWidth(s))) + s; }

/** Wrap text to `width` columns: at spaces for words, anywhere between CJK characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  const tokens = text.match(/[\u2e80-\ua4cf\uff00-\uffef]|[^\s\u2e80-\ua4cf\uff00-\uffef]+|\s+/g) ?? [];
  for (const tok of tokens) {
    if (/^\s+$/.test(tok)) { if (line) line += " "; continue; }
    if (displayWidth(line) + displayWidth(tok) > width && line.trim()) { lines.push(line.trimEnd()); line = ""; }
    line += tok;
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines;
}

const ANSI = { bold: "1", dim: "2", red: "31", green: "32", yellow: "33", blue: "34", magenta: "35", cyan: "36" } as const;
type Style = keyof typeof ANSI;


/** The arrow of one segment, exactly MID_W columns wide. */
export function arrow(s: LadderSegment): string {
  const label = ` ${s.retransmission ? "(rtx) " : ""}${segmentLabel(s)} `;
  const body = MID_W - 2 - displayWidth(label);
  const left = 2, right = Math.max(1, body - left);
  if (s.src === "client") {
    const line = "─".repeat(left) + label + "─".repeat(right);
    return s.lost ? line.slice(0, -5) + "─ ✕  " : line + "─▶";
  }
  const line = "─".repeat(right) + label + "─".repeat(left);
  return s.lost ? "  ✕ ─" + line.slice(5) + "─" : "◀─" + line;
}

/** Print the story of a scenario run. */
export async function tellStory(name: string, run: ScenarioRun, print: (line: string) => void, opts: StoryOptions): Promise<void> {
  const out = (line: string) => print(line.replace(/ +$/, ""));
  const say = new Say(opts.lang);
  const msl = opts.mslMs ?? CFG_DEFAULTS.MslMs;
  const c = (style: Style, s: string) => (opts.color ? `\x1b[${ANSI[style]}m${s}\x1b[0m` : s);
  const l = ladderFromRun(name, run);
  const explained = explainSegments(l, say);
  const sideStyle: Record<Side, Style> = { client: "cyan", server: "yellow" };

  for (const line of say.intro()) out(line);
  out(say.relative(l.isn.client, l.isn.server));
  out("");
  const end = (side: Side) => l.ends[side].replace(/^\w+/, say.side(side));
  out(c("bold", `${pad(say.time(), TIME_W)} ${pad(end("client"), STATE_W + 1 + MID_W)} ${end("server")}`));
  out(`${" ".repeat(TIME_W)} ${pad(l.initial.client, STATE_W)} ${" ".repeat(MID_W)} ${l.initial.server}`);

  const indent = " ".repeat(TIME_W + 1 + STATE_W + 1);
  const explain = (text: string, style: Style = "dim") => {
    for (const w of wrap(text, MID_W + 1 + STATE_W)) out(indent + c(style, w));
  };
  let lastT = -1;
  /** The time column: blank while the time stays the same; a gap of 100 ms or more gets its own line. */
  const timeCell = (t: number) => {
    const gap = t - lastT;
    if (lastT >= 0 && gap >= 100) out(`${padStart("⋮", TIME_W)}  ${c("dim", `(+${fmtGap(gap)})`)}`);
    const cell = t === lastT ? " ".repeat(TIME_W) : padStart(fmtMs(t), TIME_W);
    lastT = t;
    return cell;
  };

  // notes and listings, in the order they happened, each before the record it preceded
  const asides = [...run.notes.map((n) => ({ ...n, listing: undefined as Listing | undefined })),
    ...run.listings.map((x) => ({ t: x.t, before: x.before, side: x.side, text: "", listing: x }))]
    .sort((p, q) => p.before - q.before || p.t - q.t);
  let aside = 0, segs = 0;
  const notesBefore = (i: number) => {
    for (; aside < asides.length && asides[aside].before <= i; aside++) {
      const n = asides[aside];
      if (n.listing) { printListing(n.listing); continue; }
      const who = n.side ? `${say.side(n.side)}${say.colon()}` : "";
      out(`${timeCell(n.t)} ${c("dim", `${who}${say.note(n.text)}`)}`);
    }
  };
  const printListing = (x: Listing) => {
    out("");
    out(`${timeCell(x.t)} ${c("bold", `── ${say.catchTitle(x.t)} ──`)}`);
    let why = say.catchWhy(x.state as CatchWhy);
    if (x.state === "SYN-RECEIVED") why += ` ${say.synRcvdHere(run.records.some((r, k) => k < x.before && r.event === "segment" && r.dropped))}`;
    for (const w of wrap(why, FULL_W - TIME_W - 1)) out(`${" ".repeat(TIME_W)} ${c("dim", w)}`);
    for (const side of ["client", "server"] as const) {
      out(`${" ".repeat(TIME_W)} ${c(sideStyle[side], `${say.side(side)}$ ss -tan`)}`);
      const table = formatSockets(x.rows[side], { brief: true }).split("\n");
      table.forEach((row, k) => {
        const hit = k > 0 && x.rows[side][k - 1].state === x.state;
        out(`${" ".repeat(TIME_W)}   ${hit ? c("bold", row) : row}`);
      });
    }
    out("");
  };

  for (let i = 0; i < l.items.length; i++) {
    notesBefore(i);
    const it = l.items[i];
    if (it.kind === "state") {
      const meaning = say.state(it.to, msl);
      const cell = c("green", it.side === "client" ? pad(it.to, STATE_W) : it.to);
      if (it.side === "client") {
        const lines = wrap(`· ${meaning}`, MID_W);
        out(`${timeCell(it.t)} ${c("bold", cell)} ${c("dim", lines[0])}`);
        for (const w of lines.slice(1)) out(`${" ".repeat(TIME_W + 1 + STATE_W + 3)}${c("dim", w)}`);
      } else {
        const lines = wrap(meaning, MID_W - 2);
        out(`${timeCell(it.t)} ${" ".repeat(STATE_W)} ${c("dim", `${padStart(lines[0], MID_W - 2)} ·`)} ${c("bold", cell)}`);
        for (const w of lines.slice(1)) out(`${" ".repeat(TIME_W + 1 + STATE_W + 1)}${c("dim", padStart(w, MID_W - 2))}`);
      }
      continue;
    }
    if (segs++ > 0 && opts.step) await opts.step();
    const style: Style = it.lost ? "red" : it.retransmission ? "magenta" : sideStyle[it.src];
    out(`${timeCell(it.t)} ${" ".repeat(STATE_W)} ${c(style, arrow(it))}`);
    const e = explained.get(it.index);
    if (e) for (const k of e.whys) explain(say.why(k, e.vars), k === "lost" ? "red" : k === "rtx" ? "magenta" : "dim");
  }
  notesBefore(Infinity);
  out("");
  out(run.ok ? c("green", say.result(true)) : `${c("red", say.result(false))}\n${run.problems.map((p) => `  ${p}`).join("\n")}`);
}
