// The receive path under arbitrary segmentation: a scripted sender re-cuts, repeats,
// overlaps and reorders segments within the advertised window (as a kernel sender may,
// re-packetizing retransmissions); what the application reads must equal what was sent.
import { describe, expect, it } from "vitest";
import { ACK, FIN, Rng } from "./helpers/tcp-harness.js";
import { activeToPeer, peerSend } from "./helpers/tcp-peer.js";

describe("receive path under arbitrary segmentation", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`RFC 9293 §3.10.7.4: re-cut, overlapping, duplicated and reordered segments reassemble exactly (seed ${seed})`, async () => {
      const rng = new Rng(seed);
      const opts = seed % 2 ? { mss: 1460, sackOk: true, ts: [1, 0] as [number, number], wscale: 2 } : { mss: 1460 };
      const c = await activeToPeer({ RcvBuf: seed % 3 ? 16384 : 262144, DelAckMs: 0 }, opts);
      const data = rng.bytes(300_000);
      const base = c.pseq;
      let acked = 0; // highest cumulative ACK seen (offset)
      let wnd = 16384;
      let sentMax = 0;
      const got: Uint8Array[] = [];
      let total = 0;
      let ts = 2;
      for (let step = 0; step < 20000 && total < data.length; step++) {
        for (const s of c.p.take()) {
          const off = (s.ack - base) >>> 0;
          if (off <= data.length && off >= acked) acked = off;
          wnd = s.wnd << (opts.wscale !== undefined ? 2 : 0);
        }
        const r = rng.float();
        let off: number;
        if (r < 0.6) off = sentMax;
        else if (r < 0.85) off = acked + Math.floor(rng.float() * Math.max(1, sentMax - acked));
        else off = acked + Math.floor(rng.float() * Math.max(1, wnd));
        let len = 1 + Math.floor(rng.float() * 1400);
        if (off + len > acked + wnd) len = acked + wnd - off;
        if (off + len > data.length) len = data.length - off;
        if (len > 0 && off >= 0) {
          const extra = opts.ts ? { opts: { ts: [ts++, 0] as [number, number] } } : {};
          peerSend(c, ACK, data.subarray(off, off + len), { seq: base + off, ...extra });
          if (rng.float() < 0.1) peerSend(c, ACK, data.subarray(off, off + len), { seq: base + off, ...extra });
          sentMax = Math.max(sentMax, off + len);
        }
        c.net.run(rng.float() < 0.3 ? 2 : 0);
        if (rng.float() < 0.5) { const d = c.h.drain(c.sock); if (d.length) { got.push(d); total += d.length; } }
        if (step % 500 === 499) { c.net.run(5); }
      }
      c.net.run(5);
      // finish in order
      while (total < data.length) {
        const d = c.h.drain(c.sock); if (d.length) { got.push(d); total += d.length; }
        for (const s of c.p.take()) { const off = (s.ack - base) >>> 0; if (off <= data.length && off >= acked) acked = off; }
        const len = Math.min(1400, data.length - acked);
        if (len > 0) peerSend(c, ACK, data.subarray(acked, acked + len), { seq: base + acked, ...(opts.ts ? { opts: { ts: [ts++, 0] as [number, number] } } : {}) });
        c.net.run(3);
      }
      const all = Buffer.concat(got);
      expect(all.length).toBe(data.length);
      let firstBad = -1;
      for (let i = 0; i < data.length; i++) if (all[i] !== data[i]) { firstBad = i; break; }
      expect(firstBad).toBe(-1);
      peerSend(c, FIN | ACK, undefined, { seq: base + data.length, ...(opts.ts ? { opts: { ts: [ts++, 0] as [number, number] } } : {}) });
      c.net.run(3);
      expect(c.h.read(c.sock)).toBe(0);
    });
  }
});
