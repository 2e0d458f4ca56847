// Checksum offload (Cfg.CsumOffload, Cfg.LinkTrusted) and the emulated link's loopbackLike mode.
// Like Linux's lo/veth (CHECKSUM_PARTIAL on send, CHECKSUM_UNNECESSARY on receive), but only on a
// link the host marked trusted: RX offload on a link that is not marked never lets a bad checksum
// in. TX offload leaves TCP and UDP-over-IPv4 checksums 0: a receiver that verifies drops the TCP
// segments (tcp_bad_checksum) and takes the UDP datagrams (0 = "no checksum", RFC 768 / RFC 1122
// §4.1.3.4). The MCU builds leave it out: they always compute and verify.
import { describe, expect, it } from "vitest";
import { Sim, type LinkOptions } from "../src/links/emulated.js";
import { Stack, type BuildName } from "../src/stack.js";
import { createStack } from "../src/net.js";

const A = "198.51.100.1", B = "198.51.100.2";
const B_U32 = 0xc6336402;

interface Raw {
  tcpOpen(): number; tcpBind(h: number, port: number): number; tcpListen(h: number, backlog: number): number;
  tcpConnect(h: number, ip: number, port: number): number; tcpAccept(h: number): number;
}

/** IPv4 protocol and the transport header's offset in an Ethernet frame (-1: not IPv4). */
function l4(f: Uint8Array): { proto: number; at: number } {
  if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00) return { proto: -1, at: -1 };
  return { proto: f[23], at: 14 + (f[14] & 15) * 4 };
}

/** A copy of `f` with its TCP (or UDP) checksum changed: a corrupted segment. */
function corrupt(f: Uint8Array): Uint8Array | undefined {
  const { proto, at } = l4(f);
  const off = proto === 6 ? at + 16 : proto === 17 ? at + 6 : -1;
  if (off < 0) return undefined;
  const g = f.slice();
  g[off] ^= 0x5a;
  if (proto === 17 && g[off] === 0 && g[off + 1] === 0) g[off + 1] = 1; // stay a real (wrong) checksum
  return g;
}

/** Two hosts (a sends, b receives) with their own config, on a link with `opts`. */
function pair(aCfg: Record<string, number>, bCfg: Record<string, number>, opts: LinkOptions = {}, build: BuildName = "node") {
  const sim = new Sim({ seed: 3 });
  const link = sim.link({ delayMs: 1, ...opts });
  const a = sim.addHost({ name: "a", ip: A, prefix: 24, mac: "02:00:00:00:00:01", link, config: aCfg, build });
  const b = sim.addHost({ name: "b", ip: B, prefix: 24, mac: "02:00:00:00:00:02", link, config: bCfg, build });
  sim.runFor(10);
  return { sim, link, a, b };
}

/** a connects to b's port 80: whether b accepted it within 3 s. */
function connects(p: ReturnType<typeof pair>): boolean {
  const ax = p.a.exports as unknown as Raw, bx = p.b.exports as unknown as Raw;
  const l = bx.tcpOpen(); bx.tcpBind(l, 80); bx.tcpListen(l, 2);
  const c = ax.tcpOpen(); ax.tcpConnect(c, B_U32, 80); p.a.wake();
  for (let t = 0; t < 3000; t += 10) {
    p.sim.runFor(10);
    if (bx.tcpAccept(l) > 0) return true;
  }
  return false;
}

/** a sends one UDP datagram to b: what b's socket received (null: nothing). */
function udpOnce(p: ReturnType<typeof pair>): Uint8Array | null {
  const u = p.b.udpOpen(); p.b.udpBind(u, 7000);
  const s = p.a.udpOpen(); p.a.udpBind(s, 0);
  p.a.udpSendTo(s, B, 7000, new Uint8Array([1, 2, 3, 4, 5]));
  p.sim.runFor(50);
  const r = p.b.udpRecvFrom(u);
  return typeof r === "number" ? null : r.data;
}

/** Corrupts a's TCP and UDP checksums (b's replies stay intact: a verifies as usual). */
const corrupting: LinkOptions = { hook: (f, from) => (from === 0 ? corrupt(f) : undefined) };

describe("checksum offload (Cfg.CsumOffload, Cfg.LinkTrusted)", () => {
  it("RX offload on a link not marked trusted still verifies: a corrupted TCP SYN and UDP datagram are dropped and counted", () => {
    const p = pair({}, { CsumOffload: 2 }, corrupting);
    expect(connects(p)).toBe(false);
    expect(p.b.stat("tcp_bad_checksum")).toBeGreaterThan(0);
    expect(udpOnce(p)).toBeNull();
    expect(p.b.stat("udp_bad_checksum")).toBe(1);
  });

  it("RX offload with the link marked trusted takes the same corrupted segments unverified (the guard above is what refuses them)", () => {
    const p = pair({}, { CsumOffload: 2, LinkTrusted: 1 }, corrupting);
    expect(connects(p)).toBe(true);
    expect(p.b.stat("tcp_bad_checksum")).toBe(0);
    expect(udpOnce(p)).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(p.b.stat("udp_bad_checksum")).toBe(0);
  });

  it("a trusted link without RX offload verifies (LinkTrusted alone changes nothing)", () => {
    const p = pair({}, { LinkTrusted: 1 }, corrupting);
    expect(connects(p)).toBe(false);
    expect(p.b.stat("tcp_bad_checksum")).toBeGreaterThan(0);
  });

  it("TX offload leaves TCP and UDP checksums 0 (IPv4 header checksum kept): a verifying receiver drops the TCP segments, takes the UDP datagram (0 = none, RFC 768)", () => {
    const seen: { proto: number; csum: number; ipOk: boolean }[] = [];
    const p = pair({ CsumOffload: 1 }, {}, {});
    p.link.tap(({ frame: f, from }) => {
      const { proto, at } = l4(f);
      if (from !== 0 || (proto !== 6 && proto !== 17)) return;
      const off = proto === 6 ? at + 16 : at + 6;
      let sum = 0;
      for (let i = 14; i < at; i += 2) sum += (f[i] << 8) | f[i + 1];
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      seen.push({ proto, csum: (f[off] << 8) | f[off + 1], ipOk: sum === 0xffff });
    });
    expect(connects(p)).toBe(false);
    expect(p.b.stat("tcp_bad_checksum")).toBeGreaterThan(0);
    expect(udpOnce(p)).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(p.b.stat("udp_bad_checksum")).toBe(0);
    expect(seen.some((s) => s.proto === 6)).toBe(true);
    expect(seen.some((s) => s.proto === 17)).toBe(true);
    for (const s of seen) expect(s).toEqual({ proto: s.proto, csum: 0, ipOk: true });
  });

  it("TX offload to a receiver with RX offload on a trusted link: connects (the loopback pairing)", () => {
    const p = pair({ CsumOffload: 1 }, { CsumOffload: 2, LinkTrusted: 1 });
    expect(connects(p)).toBe(true);
    expect(p.b.stat("tcp_bad_checksum")).toBe(0);
  });

  it("the MCU build leaves offload out: with every key set it still computes and verifies", () => {
    const p = pair({ CsumOffload: 3, LinkTrusted: 1 }, { CsumOffload: 3, LinkTrusted: 1 }, corrupting, "mcu");
    expect(connects(p)).toBe(false);
    expect(p.b.stat("tcp_bad_checksum")).toBeGreaterThan(0);
    const q = pair({ CsumOffload: 3, LinkTrusted: 1 }, {}, {}, "mcu");
    expect(connects(q)).toBe(true); // its checksums were computed: a verifying peer accepts them
  });
});

describe("the emulated link's loopbackLike mode (MTU 9000, checksum offload)", () => {
  it("moves 1 MiB intact through the API in jumbo frames with TCP checksums left 0, none counted bad", async () => {
    const sim = new Sim({ seed: 5 });
    const link = sim.link({ loopbackLike: true });
    let biggest = 0, tcpCsums = 0;
    link.tap(({ frame: f }) => {
      biggest = Math.max(biggest, f.length);
      const { proto, at } = l4(f);
      if (proto === 6) tcpCsums |= (f[at + 16] << 8) | f[at + 17];
    });
    const a = createStack({ ip: `${A}/24`, mac: "02:00:00:00:00:01", seed: 1, link: { type: "emulated", sim, link } });
    const b = createStack({ ip: `${B}/24`, mac: "02:00:00:00:00:02", seed: 2, link: { type: "emulated", sim, link } });
    const total = 1 << 20;
    const data = Buffer.alloc(total);
    for (let i = 0; i < total; i++) data[i] = (i * 7 + (i >> 9)) & 255;
    const got: Buffer[] = [];
    let n = 0;
    b.createServer((s) => { s.on("data", (d: Buffer) => { got.push(d); n += d.length; }); }).listen(5001);
    const c = a.connect({ host: B, port: 5001, noDelay: true });
    c.end(data);
    expect(await a.until(() => n >= total, 60_000)).toBe(true);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(biggest).toBe(9014);
    expect(tcpCsums).toBe(0);
    expect(b.stack.stat("tcp_bad_checksum")).toBe(0);
    a.close(); b.close();
  });

  it("refuses a Stack already initialized (it could no longer take the MTU and offload keys)", () => {
    const sim = new Sim({ seed: 6 });
    const link = sim.link({ loopbackLike: true });
    const s = new Stack({ ip: A, prefix: 24 });
    expect(() => link.attach(s)).toThrow(/before init/);
  });
});
