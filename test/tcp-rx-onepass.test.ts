// The receive path's one pass over the payload (issue 12, assembly/tcp/input.ts placePayload): in
// the SIMD build (testing.wasm, as the node build) a segment next in order for an ESTABLISHED
// connection is copied to its place in the receive ring while its checksum is summed, before the
// segment is parsed and accepted. The bytes of a segment that is then dropped (a bad checksum,
// PAWS) lie in the ring's free space only: what the application reads afterwards is exactly what
// was accepted. The MCU build (testing.mcu.wasm: no SIMD, copy after the check) must behave the same.
import { describe, expect, it } from "vitest";
import { ACK, bytes } from "./helpers/tcp-harness.js";
import { activeToPeer, peerSend, type PeerConn } from "./helpers/tcp-peer.js";

const BUILDS = [["build/testing.wasm", "the SIMD build (one pass)"], ["build/testing.mcu.wasm", "the MCU build (copy after the check)"]] as const;

/** Everything readable on the host's socket, concatenated. */
function readAll(c: PeerConn): Uint8Array {
  const parts: Uint8Array[] = [];
  for (;;) {
    const r = c.h.read(c.sock);
    if (!(r instanceof Uint8Array)) break;
    parts.push(r);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** A segment from the peer at `seq` (not moving the peer's sequence number) with a bad checksum. */
function badSegment(c: PeerConn, seq: number, payload: Uint8Array, ts?: [number, number]): void {
  c.p.send(c.h, { sport: c.pport, dport: c.hport, seq, ack: c.pack, flags: ACK, payload, wnd: 65535, badChecksum: true, opts: ts ? { ts } : undefined });
}

const cat = (...a: Uint8Array[]) => Uint8Array.from(a.flatMap((x) => Array.from(x)));

for (const [build, what] of BUILDS) {
  describe(`issue 12: received payload placed before the checksum check, in ${what}`, () => {
    it("RFC 9293 §3.1: a next-in-order segment with a bad checksum is dropped and leaves nothing to read; shorter good segments then read exactly", async () => {
      const c = await activeToPeer({ DelAckMs: 0 }, { mss: 1460 }, 5000, build);
      const bad = bytes(1000, 7), good1 = bytes(300, 8), good2 = bytes(300, 9);
      badSegment(c, c.pseq, bad);
      c.net.run(3);
      expect(c.h.stat("tcp_bad_checksum")).toBe(1);
      expect(c.h.info(c.sock).recvQueued).toBe(0);
      // the good segments cover the bad one's first 600 bytes: those are read, never the rest
      peerSend(c, ACK, good1);
      peerSend(c, ACK, good2);
      c.net.run(3);
      expect(c.h.info(c.sock).recvQueued).toBe(600);
      expect(readAll(c)).toEqual(cat(good1, good2));
    });

    it("RFC 7323 §5.3: a next-in-order segment PAWS drops leaves nothing to read either", async () => {
      const c = await activeToPeer({ DelAckMs: 0 }, { mss: 1460, ts: [50000, 0] }, 5000, build);
      const first = bytes(10, 1), stale = bytes(800, 2), next = bytes(200, 3);
      peerSend(c, ACK, first, { opts: { ts: [50010, 0] } });
      c.net.run(3);
      // a valid checksum but an old TSval: placed (SIMD build), then dropped by PAWS
      c.p.send(c.h, { sport: c.pport, dport: c.hport, seq: c.pseq, ack: c.pack, flags: ACK, payload: stale, wnd: 65535, opts: { ts: [40000, 0] } });
      c.net.run(3);
      expect(c.h.stat("tcp_paws_drop")).toBe(1);
      expect(c.h.info(c.sock).recvQueued).toBe(10);
      peerSend(c, ACK, next, { opts: { ts: [50020, 0] } });
      c.net.run(3);
      expect(readAll(c)).toEqual(cat(first, next));
    });

    it("RFC 9293 §3.10.7.4: with out-of-order data held, a bad in-order segment overlapping it changes none of it", async () => {
      const c = await activeToPeer({ DelAckMs: 0 }, { mss: 1460 }, 5000, build);
      const s = c.pseq, part1 = bytes(100, 4), part2 = bytes(100, 5);
      peerSend(c, ACK, part2, { seq: s + 100 }); // out of order: kept in the ring past the hole
      c.net.run(3);
      badSegment(c, s, bytes(200, 6)); // in order, covering the hole and the held bytes
      c.net.run(3);
      expect(c.h.stat("tcp_bad_checksum")).toBe(1);
      peerSend(c, ACK, part1, { seq: s }); // fills the hole
      c.net.run(3);
      expect(readAll(c)).toEqual(cat(part1, part2));
    });

    it("RFC 9293 §3.10.7.4: an in-order segment larger than the free space is trimmed to the window and read exactly", async () => {
      const c = await activeToPeer({ DelAckMs: 0, RcvBuf: 4096 }, { mss: 1460 }, 5000, build);
      const fill1 = bytes(1460, 10), fill2 = bytes(1460, 11), over = bytes(1460, 12);
      peerSend(c, ACK, fill1);
      peerSend(c, ACK, fill2);
      c.net.run(3);
      peerSend(c, ACK, over); // 1,176 bytes of room left
      c.net.run(3);
      const got = readAll(c);
      expect(got.length).toBe(4096);
      expect(got).toEqual(cat(fill1, fill2, over.subarray(0, 1176)));
    });
  });
}
