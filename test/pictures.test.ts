// The pictures (src/svg-ladder.ts, src/svg-states.ts): a golden SVG per scenario, and every
// scenario's SVG and HTML rendered in headless Chromium (Debian's `chromium`, driven by
// puppeteer-core): a screenshot, then the DOM: every segment's label present and inside the
// picture, no two labels' boxes overlapping, each side's states in order down the page, lost
// segments crossed out, retransmissions marked. Without Chromium the browser half is skipped
// with the reason printed, unless WASM_TCPIP_REQUIRE_NET=1 (CI): then it fails.
//
// UPDATE_GOLDEN=1 rewrites the golden files; WASM_TCPIP_SCREENSHOTS=DIR keeps the screenshots
// (docs/img holds the ones looked at).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "puppeteer-core";
import { type Ladder, ladderFromPcap, ladderFromRun, segmentLabel, statePath } from "../src/ladder.js";
import { runScenario, TCP_SCENARIOS } from "../src/scenarios.js";
import { ladderHtml, ladderSvg } from "../src/svg-ladder.js";
import { statesSvg } from "../src/svg-states.js";

const ladders = new Map<string, Ladder>();
const ladder = (n: string): Ladder => {
  if (!ladders.has(n)) ladders.set(n, n === "kernel" ? ladderFromPcap(readFileSync("test/fixtures/kernel.pcap"), undefined, "kernel.pcap") : ladderFromRun(n, runScenario(n)));
  return ladders.get(n)!;
};
const update = process.env.UPDATE_GOLDEN === "1";

describe("golden SVGs (test/fixtures/ladder-*.svg, docs/img/ladder-walk-through.svg)", () => {
  const golden = (file: string, text: string) => {
    if (update) writeFileSync(file, text);
    expect(text === readFileSync(file, "utf8"), `${file} differs from what the code draws now (UPDATE_GOLDEN=1 rewrites it)`).toBe(true);
  };
  it.each(TCP_SCENARIOS)("%s", (n) => golden(`test/fixtures/ladder-${n}.svg`, ladderSvg(ladder(n))));
  it("the kernel capture's ladder, the state diagram, and the README's picture", () => {
    golden("test/fixtures/ladder-kernel.svg", ladderSvg(ladder("kernel")));
    golden("test/fixtures/states-walk-through.svg", statesSvg(ladder("walk-through")));
    golden("docs/img/ladder-walk-through.svg", ladderSvg(ladder("walk-through")));
  });
});

// ---------------------------------------------------------------------------
// Chromium

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const required = process.env.WASM_TCPIP_REQUIRE_NET === "1";
const missing = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`;
if (missing && !required) console.warn(`test/pictures.test.ts: browser checks SKIPPED: ${missing}`);

interface Box { cls: string; text: string; x: number; y: number; w: number; h: number }
interface Dom {
  width: number; height: number;
  texts: Box[];
  segLabels: { index: number; text: string; y: number }[];
  states: { side: string; state: string; y: number }[];
  times: { text: string; y: number }[];
  lostLines: number; crosses: number; rtxLabels: number; tableRows: number;
}

/** Everything the checks need, read from the page (the SVG document, or the SVG inside the HTML page). */
async function readDom(page: Page): Promise<Dom> {
  return page.evaluate(() => {
    const svg = document.querySelector("svg")!;
    const r0 = svg.getBoundingClientRect();
    const all = (sel: string) => [...svg.querySelectorAll(sel)] as SVGGraphicsElement[];
    const box = (e: Element) => { const r = e.getBoundingClientRect(); return { x: r.x - r0.x, y: r.y - r0.y, w: r.width, h: r.height }; };
    return {
      width: r0.width, height: r0.height,
      texts: all("text").map((e) => ({ cls: e.getAttribute("class") ?? "", text: e.textContent ?? "", ...box(e) })),
      segLabels: all("text.seg-label").map((e) => ({ index: Number(e.dataset.index), text: e.textContent ?? "", y: box(e).y })),
      states: all("text.state-label").map((e) => ({ side: e.dataset.side ?? "", state: e.textContent ?? "", y: box(e).y })),
      times: all("text.time-label").map((e) => ({ text: e.textContent ?? "", y: box(e).y })),
      lostLines: all("line.seg.lost").length, crosses: all("path.cross").length, rtxLabels: all("text.seg-label.rtx").length,
      tableRows: document.querySelectorAll("table tr").length,
    };
  });
}

/** Pairs of text boxes that overlap (by more than half a pixel each way). */
function overlaps(texts: Box[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i], b = texts[j];
      if (a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5) out.push(`"${a.text}" / "${b.text}"`);
    }
  }
  return out;
}

/** Texts not wholly inside the picture. */
const outside = (d: Dom): string[] =>
  d.texts.filter((t) => t.x < -0.5 || t.y < -0.5 || t.x + t.w > d.width + 0.5 || t.y + t.h > d.height + 0.5).map((t) => t.text);

function checkLadder(name: string, l: Ladder, d: Dom): void {
  const segs = l.items.filter((x) => x.kind === "segment");
  // every segment's label, in order, with its markers
  expect(d.segLabels.map((s) => s.index)).toEqual(segs.map((s) => s.index));
  expect(d.segLabels.map((s) => s.text)).toEqual(segs.map((s) => `${s.retransmission ? "↻ " : ""}${segmentLabel(s)}${s.lost ? " (lost)" : ""}`));
  expect(d.segLabels.every((s, i) => i === 0 || s.y > d.segLabels[i - 1].y), `${name}: segment labels go down the page`).toBe(true);
  // no two labels overlap; none is cut off
  expect(overlaps(d.texts), name).toEqual([]);
  expect(outside(d), name).toEqual([]);
  // each side's states in order, top to bottom
  for (const side of ["client", "server"] as const) {
    const st = d.states.filter((s) => s.side === side);
    expect(st.map((s) => s.state), `${name} ${side}`).toEqual(statePath(l, side));
    expect(st.every((s, i) => i === 0 || s.y > st[i - 1].y), `${name} ${side}: states go down the page`).toBe(true);
  }
  // lost segments drawn as lost, retransmissions marked; time runs down the page
  const lost = segs.filter((s) => s.lost).length;
  expect([d.lostLines, d.crosses]).toEqual([lost, lost]);
  expect(d.rtxLabels).toBe(segs.filter((s) => s.retransmission).length);
  const ms = d.times.map((t) => Number.parseFloat(t.text));
  expect(ms.every((t, i) => i === 0 || (t > ms[i - 1] && d.times[i].y > d.times[i - 1].y)), `${name}: time increases downwards`).toBe(true);
}

/** Width and height from a PNG's IHDR. */
function pngSize(png: Uint8Array): [number, number] {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]); // "PNG"
  return [v.getUint32(16), v.getUint32(20)];
}

describe.skipIf(missing !== null && !required)("pictures in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  const dir = process.env.WASM_TCPIP_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "wt-pictures-"));
  mkdirSync(dir, { recursive: true });

  beforeAll(async () => {
    if (missing) throw new Error(`test/pictures.test.ts: ${missing}, and WASM_TCPIP_REQUIRE_NET=1 requires it`);
    const { default: puppeteer } = await import("puppeteer-core");
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"] });
    page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 800 });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    if (!process.env.WASM_TCPIP_SCREENSHOTS) rmSync(dir, { recursive: true, force: true });
  });

  /** Load a file, screenshot it (full page), return the DOM facts. */
  async function render(file: string, text: string, shot: string): Promise<Dom> {
    const path = join(dir, file);
    writeFileSync(path, text);
    await page.goto(`file://${path}`, { waitUntil: "load" });
    const png = await page.screenshot({ path: join(dir, shot), fullPage: true });
    const d = await readDom(page);
    const [w, h] = pngSize(png);
    expect(w).toBeGreaterThanOrEqual(Math.floor(d.width));
    expect(h).toBeGreaterThanOrEqual(Math.floor(d.height));
    return d;
  }

  it.each([...TCP_SCENARIOS, "kernel"])("%s: SVG and HTML", async (n) => {
    const l = ladder(n);
    checkLadder(n, l, await render(`ladder-${n}.svg`, ladderSvg(l), `ladder-${n}.png`));
    const h = await render(`ladder-${n}.html`, ladderHtml(l), `ladder-${n}-html.png`);
    checkLadder(`${n} (html)`, l, h);
    expect(h.tableRows).toBe(l.items.filter((x) => x.kind === "segment").length);
  });

  it("the Chinese HTML page renders its explanations", async () => {
    const l = ladder("walk-through");
    await render("ladder-zh.html", ladderHtml(l, "zh"), "ladder-walk-through-zh-html.png");
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain("所以关闭要四个报文");
  });

  it.each(["walk-through", "simultaneous-close", "syn-received-timeout"])("state diagram for %s: nodes and edge labels do not overlap", async (n) => {
    const d = await render(`states-${n}.svg`, statesSvg(ladder(n)), `states-${n}.png`);
    expect(overlaps(d.texts), n).toEqual([]);
    expect(outside(d), n).toEqual([]);
    const taken = await page.evaluate(() => [...document.querySelectorAll("path.edge.taken")].map((e) => `${e.getAttribute("data-from")}>${e.getAttribute("data-to")}`));
    const l = ladder(n);
    const want = new Set<string>();
    for (const side of ["client", "server"] as const) {
      const p = statePath(l, side);
      for (let i = 1; i < p.length; i++) want.add(`${p[i - 1] === "CLOSED" && i > 1 ? "CLOSED-END" : p[i - 1]}>${p[i]}`);
    }
    expect(taken.length).toBe(want.size);
  });
});
