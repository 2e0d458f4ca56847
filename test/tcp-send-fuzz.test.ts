// The send path under an arbitrary receiver: a scripted peer ACKs late, out of order and
// twice, SACKs random received ranges (D-SACKs too), varies its window and drops segments.
// Every payload byte we put on the wire must equal the application's byte at that sequence
// number, and the whole stream must eventually be acknowledged.
import { describe, expect, it } from "vitest";
import { ACK, FIN, Rng, S } from "./helpers/tcp-harness.js";
import { activeToPeer, peerSend } from "./helpers/tcp-peer.js";

describe("send path under an arbitrary receiver", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`RFC 9293 §3.4 + RFC 6675: every byte sent matches the stream, whatever the ACKs, SACKs and windows (seed ${seed})`, async () => {
      const rng = new Rng(seed * 7919);
      const sack = seed % 2 === 1;
      const opts = sack ? { mss: 1000, sackOk: true, ts: [1, 0] as [number, number], wscale: 1 } : { mss: 1000 };
      const c = await activeToPeer({ SndBuf: 32768, RtoMinMs: 50, DataRetries: 50 }, opts);
      const data = rng.bytes(200_000);
      const base = c.pack; // our first data byte
      let written = 0;
      let cum = 0; // what the peer has cumulatively "received"
      const have = new Uint8Array(data.length);
      const pending: { at: number; ack: number; wnd: number; sack?: [number, number][] }[] = [];
      let ts = 2;
      let bad = 0;
      for (let step = 0; step < 40000 && cum < data.length; step++) {
        if (written < data.length) {
          const n = c.h.write(c.sock, data.subarray(written, Math.min(data.length, written + 4096)));
          if (n > 0) written += n;
        }
        for (const s of c.p.take()) {
          if (!s.payload.length) continue;
          const off = (s.seq - base) >>> 0;
          for (let i = 0; i < s.payload.length; i++) {
            if (off + i >= data.length || s.payload[i] !== data[off + i]) bad++;
          }
          if (rng.float() < 0.1) continue; // lost
          for (let i = 0; i < s.payload.length && off + i < data.length; i++) have[off + i] = 1;
          while (cum < data.length && have[cum]) cum++;
          const blocks: [number, number][] = [];
          if (sack) {
            // up to 3 random blocks of received data above cum (plus sometimes a D-SACK below)
            for (let k = 0; k < 3; k++) {
              let st = cum + Math.floor(rng.float() * 40000);
              if (st >= data.length || !have[st]) continue;
              let en = st;
              while (en < data.length && have[en] && en - st < 5000) en++;
              while (st > cum && have[st - 1] && en - st < 5000) st--;
              blocks.push([base + st, base + en]);
            }
            if (rng.float() < 0.1 && cum > 100) blocks.unshift([base + cum - 100, base + cum - 50]);
          }
          const wnd = rng.float() < 0.05 ? 0 : 2000 + Math.floor(rng.float() * 30000);
          pending.push({ at: c.net.now + Math.floor(rng.float() * 5), ack: base + cum, wnd, sack: blocks.length ? blocks.slice(0, 3) : undefined });
        }
        // deliver due ACKs, sometimes out of order or twice
        pending.sort((x, y) => x.at - y.at || (rng.float() < 0.3 ? -1 : 1));
        while (pending.length && pending[0].at <= c.net.now) {
          const a = pending.shift()!;
          const o = { ...(sack ? { ts: [ts++, 0] as [number, number] } : {}), ...(a.sack ? { sack: a.sack } : {}) };
          peerSend(c, ACK, undefined, { ack: a.ack, wnd: sack ? a.wnd >> 1 : a.wnd, opts: o });
          if (rng.float() < 0.05) peerSend(c, ACK, undefined, { ack: a.ack, wnd: sack ? a.wnd >> 1 : a.wnd, opts: o });
        }
        if (pending.length === 0 && rng.float() < 0.02) peerSend(c, ACK, undefined, { ack: base + cum, wnd: 30000, opts: sack ? { ts: [ts++, 0] } : undefined });
        c.net.run(1);
      }
      expect(bad).toBe(0);
      expect(cum).toBe(data.length);
      expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
      peerSend(c, ACK, undefined, { ack: base + cum, wnd: 30000, opts: sack ? { ts: [ts++, 0] } : undefined });
      c.net.run(5);
      expect(c.h.info(c.sock).sendQueued).toBe(0);
      expect(FIN).toBe(1);
    });
  }
});
