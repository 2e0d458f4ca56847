// Issue 16: TCP bugs found by coverage-guided probes, each with its regression test (fails
// without the fix), on both builds. Every scenario ends with the pool invariant: once the
// application has closed everything and enough virtual time has passed, every connection is
// gone (CLOSED and released) and the TCB / ring-pair / TIME-WAIT pools are back to their
// initial free counts.
import { describe, expect, it } from "vitest";
import { ACK, Err, Ev, FIN, Host, RST, S, SYN, Seg, flagStr } from "./helpers/tcp-harness.js";
import { PeerConn, activeToPeer, hostAndPeer, hostFin, peerFinAck, peerSend, peerToListener } from "./helpers/tcp-peer.js";

const BUILDS = ["build/testing.wasm", "build/testing.mcu.wasm"];
const one = new Uint8Array([0x61]);

interface Free { tcb: number; rings: number; tw: number }
function free(h: Host): Free {
  return {
    tcb: (h.x.tcbFreeCount as () => number)(),
    rings: (h.x.ringFreeCount as () => number)(),
    tw: (h.x.twCount as () => number)(),
  };
}

/**
 * The invariant: the application closes every handle it still holds (`socks`), the peer goes
 * silent, and after `ms` of virtual time every connection has reached CLOSED and been released:
 * the pools hold exactly what a fresh instance with the same configuration holds.
 */
async function expectAllReleased(c: PeerConn, cfg: Record<string, number>, build: string, socks: number[], ms = 3_600_000): Promise<void> {
  for (const s of socks) c.h.close(s);
  c.net.run(ms);
  for (const s of socks) expect(c.h.state(s)).toBe(-Err.EBADF); // released by the stack
  const fresh = await hostAndPeer(cfg, build);
  expect(free(c.h)).toEqual(free(fresh.h));
  expect(free(c.h).tw).toBe(0);
}

const finOf = (segs: Seg[]) => segs.find((x) => x.flags & FIN);

describe.each(BUILDS)("issue 16 (%s)", (build) => {
  /** Connected; the peer's window 0; one byte written, sent as a zero-window probe, taken by the peer with the window still 0. */
  const zeroWindowAfterProbe = async (cfg: Record<string, number>) => {
    const c = await activeToPeer(cfg, { mss: 1460 }, 5000, build);
    peerSend(c, ACK, undefined, { wnd: 0 });
    c.net.run(3);
    c.h.write(c.sock, one);
    expect(c.net.runUntil(() => c.p.rx.some((x) => x.payload.length === 1), 10_000)).toBe(true); // the probe
    c.p.take();
    peerSend(c, ACK, undefined, { ack: c.pack + 1, wnd: 0 }); // byte taken, window still 0
    c.net.run(3);
    return c;
  };

  it("RFC 9293 §3.10.7.4: in FIN-WAIT-1, a FIN+ACK acknowledging our FIN but out of order moves to FIN-WAIT-2 (then TIME-WAIT once the gap fills)", async () => {
    const cfg = { MslMs: 1000 };
    const c = await activeToPeer(cfg, { mss: 1460 }, 5000, build);
    const fin = hostFin(c, "shutdown");
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_1);
    // the peer's FIN one past RCV.NXT (a byte is missing), acknowledging our FIN
    peerSend(c, FIN | ACK, undefined, { seq: c.pseq + 1, ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.p.last().flags).toBe(ACK); // duplicate ACK for the gap
    expect(c.p.last().ack).toBe(c.pseq);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    expect(c.h.transitions(c.sock).slice(-2)).toEqual([[S.ESTABLISHED, S.FIN_WAIT_1], [S.FIN_WAIT_1, S.FIN_WAIT_2]]);
    // the missing byte: the held FIN is consumed and the connection goes to TIME-WAIT
    peerSend(c, ACK, one, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.TIME_WAIT);
    expect(c.p.last().ack).toBe((c.pseq + 1) >>> 0);
    expect(Array.from(c.h.drain(c.sock))).toEqual([0x61]);
    await expectAllReleased(c, cfg, build, [c.sock]);
  });

  it("RFC 9293 §3.10.7.4 (orphan): after close, the out-of-order FIN+ACK leaves FIN-WAIT-2 to its timeout and the TCB is released", async () => {
    const cfg = { MslMs: 1000 };
    const c = await activeToPeer(cfg, { mss: 1460 }, 5000, build);
    const fin = hostFin(c);
    peerSend(c, FIN | ACK, undefined, { seq: c.pseq + 1, ack: fin.seq + 1 });
    c.net.run(3);
    c.net.run(2100); // the orphan FIN-WAIT-2 timeout (2*MSL)
    await expectAllReleased(c, cfg, build, [], 0);
  });

  it("RFC 9293 §3.8.6.1 + RFC 1122 §4.2.2.17: with a zero window and only a FIN left, the persist timer probes with the FIN itself for as long as the user holds the connection", async () => {
    const cfg = { DataRetries: 3, RtoMinMs: 200, RtoMaxMs: 2000 };
    const c = await zeroWindowAfterProbe(cfg);
    const fin = hostFin(c, "shutdown");
    expect(fin.seq).toBe((c.pack + 1) >>> 0);
    // the peer keeps answering with a zero window, far more often than DataRetries
    for (let i = 0; i < 12; i++) {
      expect(c.net.runUntil(() => finOf(c.p.rx) !== undefined, 10_000)).toBe(true);
      const f = finOf(c.p.take())!;
      expect(f.seq).toBe(fin.seq); // the FIN again, never taken back as unsent
      peerSend(c, ACK, undefined, { ack: fin.seq, wnd: 0 });
    }
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_1);
    // the window opens and the FIN is acknowledged
    peerSend(c, ACK, undefined, { ack: fin.seq + 1, wnd: 65535 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    await expectAllReleased(c, { ...cfg }, build, [c.sock]);
  });

  it("RFC 9293 §3.8.6.1 (orphan): after close, a peer answering every FIN probe with a zero window cannot hold the connection: DataRetries probes, then RST", async () => {
    const cfg = { DataRetries: 3, RtoMinMs: 200, RtoMaxMs: 2000 };
    const c = await zeroWindowAfterProbe(cfg);
    const aborted = c.h.stat("tcp_conns_aborted");
    const fin = hostFin(c);
    let rst: Seg | undefined;
    for (let i = 0; i < 20 && !rst; i++) {
      c.net.runUntil(() => c.p.rx.length > 0, 10_000);
      const got = c.p.take();
      rst = got.find((x) => x.flags & RST);
      if (!rst) peerSend(c, ACK, undefined, { ack: fin.seq, wnd: 0 });
    }
    expect(rst).toBeDefined();
    expect(c.h.stat("tcp_conns_aborted")).toBe(aborted + 1);
    await expectAllReleased(c, cfg, build, [], 0);
  });

  it("RFC 1122 §4.2.3.6: keepalive keeps working in FIN-WAIT-2 while the user holds the connection (no FIN-WAIT-2 timeout); unanswered, RST and ETIMEDOUT", async () => {
    const cfg = { KeepIdleMs: 10_000, KeepIntvlMs: 1000, KeepCount: 3, MslMs: 1000 };
    const c = await activeToPeer(cfg, { mss: 1460 }, 5000, build);
    expect(c.h.setOption(c.sock, 2, 1)).toBe(0);
    const fin = hostFin(c, "shutdown");
    peerSend(c, ACK, undefined, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    // the peer keeps sending for 30 s, past the keepalive idle time and 2*MSL
    let got = 0;
    for (let i = 0; i < 10; i++) {
      c.net.run(3000);
      peerSend(c, ACK, one, { ack: fin.seq + 1 });
      c.net.run(3);
      got += c.h.drain(c.sock).length;
      expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    }
    expect(got).toBe(10);
    c.net.run(500); // (the delayed ACK of the last byte)
    expect(c.p.take().some((x) => x.flags & RST)).toBe(false);
    // the peer goes silent: probes after 10 s idle, then RST + ETIMEDOUT
    c.net.run(9000);
    expect(c.p.take().length).toBe(0);
    c.net.run(5000);
    const segs = c.p.take();
    expect(segs.filter((x) => x.flags === ACK && x.payload.length === 0 && x.seq === fin.seq).length).toBe(3);
    expect(segs.at(-1)!.flags & RST).toBe(RST);
    expect(c.h.state(c.sock)).toBe(S.CLOSED);
    expect(c.h.hasEvent(c.sock, Ev.Error, Err.ETIMEDOUT)).toBe(true);
    await expectAllReleased(c, cfg, build, [c.sock]);
  });

  it("RFC 9293 §3.10.7.4: a FIN outside the window does not restart the 2*MSL TIME-WAIT timer (TIME-WAIT entry and TCB-held)", async () => {
    const cfg = { MslMs: 1000 };
    for (const held of [false, true]) {
      const c = await activeToPeer(cfg, { mss: 1460 }, 5000, build);
      const fin = hostFin(c, held ? "shutdown" : "close");
      peerFinAck(c, fin);
      if (held) expect(c.h.state(c.sock)).toBe(S.TIME_WAIT);
      else expect(free(c.h).tw).toBe(1);
      c.p.take();
      c.net.run(1500);
      for (const seq of [c.pseq + 20001, c.pseq - 19999]) {
        peerSend(c, FIN | ACK, undefined, { seq: seq >>> 0, ack: fin.seq + 1 });
        c.net.run(3);
        expect(c.p.last().flags).toBe(ACK); // acknowledged, nothing more
        expect(c.p.last().ack).toBe(c.pseq);
      }
      c.p.take();
      c.net.run(600); // 2*MSL after entering TIME-WAIT, 0.6 s after the stray FINs
      if (held) {
        expect(c.h.state(c.sock)).toBe(S.CLOSED);
      } else {
        expect(free(c.h).tw).toBe(0);
        peerSend(c, ACK, undefined, { ack: fin.seq + 1 });
        c.net.run(3);
        expect(flagStr(c.p.last().flags)).toBe("RST");
      }
      await expectAllReleased(c, cfg, build, held ? [c.sock] : []);
    }
  });

  it("RFC 6191 §2: with timestamps, a SYN reopens a TIME-WAIT entry iff its TSval is newer than TS.Recent, whatever its sequence number", async () => {
    const cfg = { MslMs: 60_000 };
    const c = await peerToListener(cfg, { mss: 1460, ts: [1000, 0] }, 9000, 80, build);
    c.h.close(c.sock); // the host closes first and ends in TIME-WAIT
    c.net.run(3);
    const fin = finOf(c.p.take())!;
    peerSend(c, FIN | ACK, undefined, { ack: fin.seq + 1, opts: { ts: [1002, fin.opts.ts![0]] } });
    c.net.run(3);
    expect(free(c.h).tw).toBe(1);
    c.p.take();
    const syn = (seq: number, tsVal: number) =>
      c.p.send(c.h, { sport: c.pport, dport: c.hport, seq: seq >>> 0, flags: SYN, wnd: 65535, opts: { mss: 1460, ts: [tsVal, 0] } });
    // a higher sequence number but an older TSval: refused (the entry answers with an ACK)
    syn(c.pseq + 100000, 500);
    c.net.run(3);
    expect(c.p.last().flags).toBe(ACK);
    expect(c.p.last().ack).toBe(c.pseq);
    expect(free(c.h).tw).toBe(1);
    // a lower sequence number but a newer TSval: reopens
    syn(c.pseq - 100000, 5000);
    c.net.run(3);
    expect(c.p.last().flags).toBe(SYN | ACK);
    expect(c.p.last().ack).toBe((c.pseq - 100000 + 1) >>> 0);
    expect(free(c.h).tw).toBe(0);
    await expectAllReleased(c, cfg, build, [c.listener]);
  });

  it("RFC 1122 §4.2.2.13: without timestamps the TIME-WAIT reuse rule stays the sequence number (a lower one is refused)", async () => {
    const cfg = { MslMs: 60_000 };
    const c = await peerToListener(cfg, { mss: 1460 }, 9000, 80, build);
    peerFinAck(c, hostFin(c));
    expect(free(c.h).tw).toBe(1);
    c.p.take();
    c.p.send(c.h, { sport: c.pport, dport: c.hport, seq: (c.pseq - 100000) >>> 0, flags: SYN, wnd: 65535, opts: { mss: 1460 } });
    c.net.run(3);
    expect(c.p.last().flags).toBe(ACK);
    expect(free(c.h).tw).toBe(1);
    c.p.send(c.h, { sport: c.pport, dport: c.hport, seq: (c.pseq + 100000) >>> 0, flags: SYN, wnd: 65535, opts: { mss: 1460 } });
    c.net.run(3);
    expect(c.p.last().flags).toBe(SYN | ACK);
    await expectAllReleased(c, cfg, build, [c.listener]);
  });
});
