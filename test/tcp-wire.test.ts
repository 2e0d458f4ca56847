// assembly/wire/tcp.ts: the validating parse (with counters) and the options it extracts,
// called directly (tcpParseAt) and through the stack (bad segments are dropped, counted, unanswered).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ACK, SYN, buildTcp, flagStr, ip } from "./helpers/tcp-harness.js";
import { hostAndPeer } from "./helpers/tcp-peer.js";
import { type Exports as AbiExports, STAT_NAMES } from "../src/abi.js";

const SRC = ip("198.51.100.9"), DST = ip("198.51.100.2");

/** The ABI's exports (src/abi.ts) plus the testing build's TCP parser. */
type X = AbiExports & { tcpParseAt(seg: number, len: number, src: number, dst: number, out: number): number };

async function load(file: string) {
  const mod = await WebAssembly.compile(readFileSync(file));
  const inst = await WebAssembly.instantiate(mod, { env: { abort: () => { throw new Error("abort"); }, tx: () => {}, entropy: () => {}, event: () => {} } });
  const x = inst.exports as unknown as X;
  const base = x.memory.grow(2) * 65536;
  const names: readonly string[] = STAT_NAMES;
  const stat = (n: string) => new Uint32Array(x.memory.buffer, x.statsPtr(), x.statCount())[names.indexOf(n)];
  const OUT = base, SEG = base + 4096;
  /** Parse `seg` placed so that it ends exactly at the end of linear memory (any over-read would trap). */
  const parseAtEnd = (seg: Uint8Array) => {
    const end = x.memory.buffer.byteLength;
    new Uint8Array(x.memory.buffer, end - seg.length, seg.length).set(seg);
    return x.tcpParseAt(end - seg.length, seg.length, SRC, DST, OUT);
  };
  const parse = (seg: Uint8Array) => {
    new Uint8Array(x.memory.buffer, SEG, seg.length).set(seg);
    const r = x.tcpParseAt(SEG, seg.length, SRC, DST, OUT);
    const u = new Uint32Array(x.memory.buffer, OUT, 15);
    const i = new Int32Array(x.memory.buffer, OUT, 15);
    const sack: [number, number][] = [];
    for (let k = 0; k < u[6]; k++) sack.push([u[7 + 2 * k], u[8 + 2 * k]]);
    return { r, mss: u[0], wscale: i[1], sackOk: u[2], ts: u[3] ? [u[4], u[5]] : null, sack };
  };
  return { x, stat, parse, parseAtEnd };
}

for (const file of ["build/testing.wasm", "build/testing.mcu.wasm"]) {
  describe(`wire/tcp.ts parse (${file})`, () => {
    it("RFC 9293 §3.1: returns the header length and every option (MSS, WS, SACK-permitted, TS, SACK blocks)", async () => {
      const { parse } = await load(file);
      const seg = buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: SYN,
        opts: { mss: 1400, wscale: 7, sackOk: true, ts: [0xdeadbeef, 42] } });
      const p = parse(seg);
      expect(p.r).toBe(seg.length);
      expect(p).toMatchObject({ mss: 1400, wscale: 7, sackOk: 1, ts: [0xdeadbeef, 42], sack: [] });
      const seg2 = buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: ACK,
        opts: { ts: [5, 6], sack: [[10, 20], [30, 40], [50, 60]] }, payload: new Uint8Array(3) });
      const p2 = parse(seg2);
      expect(p2.r).toBe(60);
      expect(p2).toMatchObject({ mss: 0, wscale: -1, sackOk: 0, ts: [5, 6], sack: [[10, 20], [30, 40], [50, 60]] });
    });

    it("RFC 9293 §3.1: absent options read as MSS 0, window scale -1, no timestamps", async () => {
      const { parse } = await load(file);
      const p = parse(buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: ACK, payload: new Uint8Array(7) }));
      expect(p).toMatchObject({ r: 20, mss: 0, wscale: -1, sackOk: 0, ts: null, sack: [] });
    });

    it("RFC 9293 §3.2: unknown options are skipped by their length; EOL ends the list", async () => {
      const { parse } = await load(file);
      const raw = new Uint8Array([30, 6, 1, 2, 3, 4, 2, 4, 0x05, 0xb4, 0, 2, 4, 0x01, 0x00, 0]);
      const p = parse(buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: SYN, rawOpts: raw }));
      expect(p.r).toBe(36);
      expect(p.mss).toBe(1460); // the MSS after EOL is ignored
    });

    it("RFC 9293 §3.1: a segment shorter than 20 bytes is dropped as tcp_truncated", async () => {
      const { stat, parse } = await load(file);
      const seg = buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: ACK });
      for (let n = 0; n < 20; n++) expect(parse(seg.subarray(0, n)).r).toBe(-1);
      expect(stat("tcp_truncated")).toBe(20);
    });

    it("RFC 9293 §3.1: a data offset below 5 words or beyond the segment is dropped as tcp_bad_offset", async () => {
      const { stat, parse } = await load(file);
      for (const off of [0, 1, 4]) expect(parse(buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: ACK, dataOffset: off })).r).toBe(-1);
      expect(parse(buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: ACK, dataOffset: 15 })).r).toBe(-1);
      expect(stat("tcp_bad_offset")).toBe(4);
    });

    it("RFC 9293 §3.1: a bad checksum (pseudo-header included) is dropped as tcp_bad_checksum", async () => {
      const { stat, parse, x } = await load(file);
      expect(parse(buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: ACK, badChecksum: true })).r).toBe(-1);
      const good = buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: ACK });
      new Uint8Array(x.memory.buffer, 70000, good.length).set(good);
      expect(x.tcpParseAt(70000, good.length, SRC + 1, DST, 80000)).toBe(-1); // wrong source address
      expect(stat("tcp_bad_checksum")).toBe(2);
    });

    it("RFC 9293 §3.2: option length 0 or 1, or running past the header, is dropped as tcp_bad_option", async () => {
      const { stat, parse } = await load(file);
      for (const raw of [[2, 0, 0, 0], [8, 1, 0, 0], [8, 10, 0, 0], [1, 1, 1, 2]]) {
        expect(parse(buildTcp(SRC, DST, { sport: 1, dport: 2, seq: 3, flags: ACK, rawOpts: new Uint8Array(raw) })).r).toBe(-1);
      }
      expect(stat("tcp_bad_option")).toBe(4);
    });

    it("never reads past the segment, whatever the bytes (fast-check)", async () => {
      const { parseAtEnd } = await load(file);
      fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (b) => {
        const r = parseAtEnd(b);
        return r === -1 || (r >= 20 && r <= b.length);
      }), { numRuns: 3000 });
    });
  });
}

describe("bad segments through the stack", () => {
  it("RFC 9293 §3.1: malformed segments are dropped, counted and never answered (not even with a RST)", async () => {
    const { net, h, p } = await hostAndPeer();
    const l = h.open(); h.bind(l, 80); h.listen(l, 4);
    p.send(h, { sport: 1000, dport: 80, seq: 1, flags: SYN, badChecksum: true });
    p.send(h, { sport: 1000, dport: 80, seq: 1, flags: SYN, dataOffset: 3 });
    p.send(h, { sport: 1000, dport: 80, seq: 1, flags: SYN, rawOpts: new Uint8Array([2, 0, 0, 0]) });
    p.send(h, { sport: 1000, dport: 81, seq: 1, flags: SYN, badChecksum: true }); // closed port: still no RST
    net.run(5);
    expect(p.rx.length).toBe(0);
    expect(h.stat("tcp_bad_checksum")).toBe(2);
    expect(h.stat("tcp_bad_offset")).toBe(1);
    expect(h.stat("tcp_bad_option")).toBe(1);
    expect(h.stat("tcp_rx")).toBe(4);
    p.send(h, { sport: 1000, dport: 80, seq: 1, flags: SYN, rawOpts: new Uint8Array([99, 4, 0, 0, 2, 4, 0x02, 0x18]) });
    net.run(5);
    expect(flagStr(p.last().flags)).toBe("SYN,ACK"); // the unknown option was skipped
    expect(h.info(l).state).toBe(1);
  });
});
