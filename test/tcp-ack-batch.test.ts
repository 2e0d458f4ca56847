// ACK batches (the core's ackBatch, docs/abi.md): a host that reads frames in batches (TapLink) opens
// one per read batch and ends it after the application has read what the batch delivered. The ACKs
// RFC 5681 §4.2 asks for (one per two full-sized segments) are held until then, each with its ACK
// number and the timestamp it echoes (RFC 7323 §4.3), and then offer the space the application's
// reads freed, measured from their own ACK number (RFC 9293 §3.8.6.2.2: the edge never moves back).
// Whatever else the connection sends first sends its held ACKs, so the peer sees them in order.
//
// Frames here reach the core through Stack.input without the poll the harness's Host.input adds (a
// poll ends a batch left open, by design), and the application reads through tcpPeek/tcpConsume as
// net.ts does.
import { describe, expect, it } from "vitest";
import { ACK, Err, FIN, RST, Seg, buildFrame, buildTcp, bytes } from "./helpers/tcp-harness.js";
import { PeerConn, peerToListener } from "./helpers/tcp-peer.js";
import type { TcpOpts } from "../src/trace.js";

const FULL = 1448; // a full-sized segment with timestamps (MSS 1460 less 12)
const RCVBUF = 32_768; // under 64 KiB: windows unscaled, so edges are exact

/** A connection whose peer offers timestamps and SACK; `cfg` for the host. */
async function conn(cfg: Record<string, number> = {}, build?: string): Promise<PeerConn & { tsv: number }> {
  const c = await peerToListener({ RcvBuf: RCVBUF, ...cfg }, { mss: 1460, ts: [1000, 0], sackOk: true }, 9000, 80, build);
  c.net.run(50); // past the handshake's frames
  c.p.take();
  c.net.log = [];
  return Object.assign(c, { tsv: 1001 });
}

/** The peer's segment handed to the host's core at once (no poll). Advances pseq unless `seq` is given. */
function arrive(c: PeerConn & { tsv: number }, flags: number, payload?: Uint8Array, seq?: number, opts: TcpOpts = {}): number {
  const tsv = ++c.tsv;
  const tcp = buildTcp(c.p.ip, c.h.ip, {
    sport: c.pport, dport: c.hport, seq: seq ?? c.pseq, ack: c.pack, flags, payload, wnd: 65535, opts: { ts: [tsv, 0], ...opts },
  });
  c.h.stack.input(buildFrame(c.h.mac, c.p.mac, c.p.ip, c.h.ip, tcp));
  if (seq === undefined) c.pseq = (c.pseq + (payload?.length ?? 0) + (flags & FIN ? 1 : 0)) >>> 0;
  return tsv;
}

/** The application reads everything that arrived (zero-copy, as net.ts; no poll): bytes read. */
function readAll(c: PeerConn): number {
  const io = c.h.x.ioBuffer();
  let got = 0;
  for (let n = c.h.x.tcpPeek(c.sock, io); n > 0; n = c.h.x.tcpPeek(c.sock, io)) {
    expect(c.h.x.tcpConsume(c.sock, n)).toBe(0);
    got += n;
  }
  return got;
}

/** A connection in an open batch after two full-sized segments: one ACK held, nothing sent. `start`: the first one's seq. */
async function oneHeld(): Promise<{ c: PeerConn & { tsv: number }; start: number }> {
  const c = await conn();
  c.h.stack.ackBatch(true);
  const start = c.pseq;
  arrive(c, ACK, bytes(FULL, 1));
  arrive(c, ACK, bytes(FULL, 2));
  expect(sent(c)).toEqual([]);
  return { c, start };
}

/** Segments the host sent since the log was cleared. */
const sent = (c: PeerConn): Seg[] => c.net.segs(c.h);
const pureAcks = (c: PeerConn): Seg[] => sent(c).filter((s) => s.payload.length === 0 && s.flags === ACK);
const edge = (s: Seg): number => (s.ack + s.wnd) >>> 0; // unscaled windows (RcvBuf < 64 KiB)

describe("ACK batches (ackBatch)", () => {
  it("RFC 5681 §4.2 / RFC 7323 §4.3: a batch's ACKs are those sent without it (one per two full-sized segments, the same ACK numbers and echoed timestamps), held until it ends and then offering the space the reads freed, the edge moving on by what each acknowledges", async () => {
    // without a batch: the ACKs go out as the segments arrive, each offering what is free then
    const a = await conn();
    const tsA: number[] = [];
    for (let i = 0; i < 8; i++) tsA.push(arrive(a, ACK, bytes(FULL, i)));
    const immediate = pureAcks(a);
    expect(readAll(a)).toBe(8 * FULL);
    const plain = pureAcks(a); // + the window update the read draws
    // with a batch: nothing until it ends
    const b = await conn();
    expect(b.h.stack.ackBatch(true)).toBe(0);
    const tsB: number[] = [];
    for (let i = 0; i < 8; i++) tsB.push(arrive(b, ACK, bytes(FULL, i)));
    expect(sent(b)).toEqual([]);
    expect(readAll(b)).toBe(8 * FULL);
    expect(sent(b)).toEqual([]); // the read's window update waits for the held ACKs, which carry it
    expect(b.h.stack.ackBatch(false)).toBe(4);
    const held = pureAcks(b);
    expect(sent(b).length).toBe(4);

    const rel = (s: Seg, base: number) => (s.ack - base) >>> 0;
    const baseA = (a.pseq - 8 * FULL) >>> 0, baseB = (b.pseq - 8 * FULL) >>> 0;
    expect(immediate.map((s) => rel(s, baseA))).toEqual([2, 4, 6, 8].map((k) => k * FULL));
    expect(held.map((s) => rel(s, baseB))).toEqual([2, 4, 6, 8].map((k) => k * FULL));
    // TS.Recent is the TSval of the first segment of each pair (Last.ACK.sent rule), held or not
    expect(immediate.map((s) => s.opts.ts![1])).toEqual([tsA[0], tsA[2], tsA[4], tsA[6]]);
    expect(held.map((s) => s.opts.ts![1])).toEqual([tsB[0], tsB[2], tsB[4], tsB[6]]);
    // windows: without a batch the edge stays where it was until the read's update moves it
    const e0 = edge(immediate[0]);
    expect(immediate.map(edge)).toEqual([e0, e0, e0, e0]);
    expect(plain.length).toBe(5);
    expect(edge(plain[4])).toBe((a.pseq + RCVBUF) >>> 0);
    // held: each offers the whole (now empty) buffer from its own ACK number
    expect(held.map(edge)).toEqual(held.map((s) => (s.ack + RCVBUF) >>> 0));
    expect(edge(held[0])).toBeGreaterThanOrEqual(e0);
  });

  it("RFC 9293 §3.8.6.2.2: when the application has not read, held ACKs offer the edge it already had: never less, never more than without a batch", async () => {
    const b = await conn();
    b.h.stack.ackBatch(true);
    for (let i = 0; i < 8; i++) arrive(b, ACK, bytes(FULL, i));
    expect(sent(b)).toEqual([]);
    expect(b.h.stack.ackBatch(false)).toBe(4);
    const held = pureAcks(b);
    expect(held.length).toBe(4);
    const start = (b.pseq - 8 * FULL) >>> 0;
    expect(held.map(edge)).toEqual(held.map(() => (start + RCVBUF) >>> 0));
    expect(b.h.info(b.sock).recvQueued).toBe(8 * FULL);
  });

  it("RFC 5681 §4.2 / RFC 2018: an out-of-order segment in a batch draws its duplicate ACK with a SACK block at once, after the ACK held before it", async () => {
    const { c, start } = await oneHeld();
    arrive(c, ACK, bytes(FULL, 4), (start + 3 * FULL) >>> 0); // the third is missing
    const out = sent(c);
    expect(out.length).toBe(2);
    expect(out.map((s) => (s.ack - start) >>> 0)).toEqual([2 * FULL, 2 * FULL]);
    expect(out[0].opts.sack ?? []).toEqual([]); // the held ACK, as it would have gone
    expect(out[1].opts.sack).toEqual([[(start + 3 * FULL) >>> 0, (start + 4 * FULL) >>> 0]]);
    expect(c.h.stack.ackBatch(false)).toBe(0);
    expect(sent(c).length).toBe(2);
  });

  it("RFC 5681 §4.2: data the connection sends in a batch goes after its held ACK, and the batch's end adds no duplicate ACK", async () => {
    const { c, start } = await oneHeld();
    const io = c.h.x.ioBuffer();
    c.h.mem().set(bytes(100, 7), io);
    expect(c.h.x.tcpWrite(c.sock, io, 100)).toBe(100);
    const out = sent(c);
    expect(out.map((s) => [s.payload.length, (s.ack - start) >>> 0])).toEqual([[0, 2 * FULL], [100, 2 * FULL]]);
    expect(c.h.stack.ackBatch(false)).toBe(0);
    expect(sent(c).length).toBe(2);
  });

  it("RFC 9293 §3.10.7.4: a connection reset in a batch sends none of its held ACKs", async () => {
    const c = await conn();
    c.h.stack.ackBatch(true);
    arrive(c, ACK, bytes(FULL, 1));
    arrive(c, ACK, bytes(FULL, 2));
    arrive(c, RST, undefined);
    expect(c.h.stack.ackBatch(false)).toBe(0);
    expect(sent(c)).toEqual([]);
  });

  it("RFC 5681 §4.2: a poll ends a batch left open, so a held ACK waits no longer than the host's next poll", async () => {
    const { c } = await oneHeld();
    c.h.stack.poll();
    expect(pureAcks(c).length).toBe(1);
    expect(c.h.stack.ackBatch(false)).toBe(0); // nothing left
  });

  it("RFC 5681 §4.2: more ACKs than the table holds (256) send the oldest at once, in order; none is lost", async () => {
    const c = await conn({ DelAckMs: 0 }); // an ACK for every segment
    c.h.stack.ackBatch(true);
    const start = c.pseq;
    for (let i = 0; i < 300; i++) arrive(c, ACK, bytes(10, i));
    expect(pureAcks(c).length).toBe(256);
    expect(c.h.stack.ackBatch(false)).toBe(44);
    const acks = pureAcks(c).map((s) => (s.ack - start) >>> 0);
    expect(acks).toEqual(Array.from({ length: 300 }, (_, i) => (i + 1) * 10));
  });

  it("RFC 5681 §4.2: the MCU build has no ACK batches (-ENOSYS): its ACKs leave at once", async () => {
    const c = await conn({}, "build/testing.mcu.wasm");
    expect(c.h.stack.ackBatch(true)).toBe(-Err.ENOSYS);
    arrive(c, ACK, bytes(FULL, 1));
    arrive(c, ACK, bytes(FULL, 2));
    expect(pureAcks(c).length).toBe(1);
    expect(c.h.stack.ackBatch(false)).toBe(-Err.ENOSYS);
  });
});
