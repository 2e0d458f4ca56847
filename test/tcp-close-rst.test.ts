// Issue 14 item 4: new data after the application closed is answered with RST (RFC 1122
// §4.2.2.13 "if new data is received after CLOSE is called, its TCP SHOULD send a RST",
// RFC 2525 §2.17, RFC 9293 §3.10.7.4 FIN-WAIT-1/2 text processing as Linux does it). tcpClose
// releases the handle: nobody will read what arrives, so the connection is reset and freed
// (counted: tcp_rst_data_after_close) instead of taking data until its window closes and being
// probed until the FIN-WAIT-2 timeout. A half-close (tcpShutdown) still receives. On both builds;
// every scenario ends with the pools back to a fresh instance's free counts.
import { describe, expect, it } from "vitest";
import { ACK, Err, FIN, Host, Net, RST, Rng, S, bytes } from "./helpers/tcp-harness.js";
import { PeerConn, hostAndPeer, peerSend, peerToListener } from "./helpers/tcp-peer.js";

const BUILDS = ["build/testing.wasm", "build/testing.mcu.wasm"];
const data = new Uint8Array([0x61, 0x62, 0x63]);

function free(h: Host): { tcb: number; rings: number; tw: number } {
  return {
    tcb: (h.x.tcbFreeCount as () => number)(),
    rings: (h.x.ringFreeCount as () => number)(),
    tw: (h.x.twCount as () => number)(),
  };
}

/** The accepted socket released by the stack and the pools as a fresh instance's, but for the listener. */
async function expectFreed(c: PeerConn, build: string): Promise<void> {
  expect(c.h.state(c.sock)).toBe(-Err.EBADF);
  c.h.close(c.listener);
  const fresh = await hostAndPeer({}, build);
  expect(free(c.h)).toEqual(free(fresh.h));
}

/** A client on A (198.51.100.1) connected to a listener on B (198.51.100.2) port 80, both of `build`. */
async function clientServer(build: string) {
  const net = new Net();
  const a = await net.host({ ip: "198.51.100.1", build });
  const b = await net.host({ ip: "198.51.100.2", build });
  const l = b.open();
  b.bind(l, 80);
  b.listen(l, 8);
  const c = a.open();
  a.connect(c, "198.51.100.2", 80);
  let s = -1;
  net.runUntil(() => { if (s < 0) { const r = b.accept(l); if (r > 0) s = r; } return s > 0 && a.state(c) === S.ESTABLISHED; }, 30_000);
  if (s < 0) throw new Error("no connection");
  return { net, a, b, l, c, s };
}

/** The host's FIN after tcpClose / tcpShutdown of the accepted socket (what the peer saw). */
function hostFin(c: PeerConn) {
  c.net.run(3);
  const fin = c.p.take().find((s) => s.flags & FIN);
  if (!fin) throw new Error("no FIN");
  return fin;
}

describe.each(BUILDS)("RST after close (%s)", (build) => {
  it("RFC 1122 §4.2.2.13 / RFC 2525 §2.17: new data in FIN-WAIT-1 after tcpClose gets <SEQ=SEG.ACK><CTL=RST>; the connection is freed", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    expect(c.h.close(c.sock)).toBe(0);
    const fin = hostFin(c);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_1);
    // the peer has not seen our FIN yet: its data acknowledges only what came before it
    peerSend(c, ACK, data, { ack: fin.seq });
    c.net.run(3);
    const rst = c.p.take();
    expect(rst.length).toBe(1);
    expect(rst[0].flags).toBe(RST);
    expect(rst[0].seq).toBe(fin.seq); // exactly the peer's RCV.NXT (RFC 5961 accepts it)
    expect(c.h.stat("tcp_rst_data_after_close")).toBe(1);
    expect(c.h.stat("tcp_rcv_buf_drop")).toBe(0);
    await expectFreed(c, build);
  });

  it("RFC 1122 §4.2.2.13 / RFC 2525 §2.17: new data in FIN-WAIT-2 after tcpClose gets RST (no zero-window probing until the FIN-WAIT-2 timeout)", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    c.h.close(c.sock);
    const fin = hostFin(c);
    peerSend(c, ACK, undefined, { ack: fin.seq + 1 }); // our FIN acknowledged
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    expect(c.p.take()).toEqual([]);
    peerSend(c, ACK, data, { ack: fin.seq + 1 });
    c.net.run(3);
    const out = c.p.take();
    expect(out.map((s) => s.flags)).toEqual([RST]);
    expect(out[0].seq).toBe((fin.seq + 1) >>> 0);
    expect(c.h.stat("tcp_rst_data_after_close")).toBe(1);
    await expectFreed(c, build);
  });

  it("RFC 9293 §3.10.7.4: after tcpClose, a retransmission of data already received is only acknowledged, and the peer's FIN closes normally (no RST)", async () => {
    const c = await peerToListener({ MslMs: 1000 }, { mss: 1460 }, 9000, 80, build);
    peerSend(c, ACK, data);
    c.net.run(3);
    expect(Array.from(c.h.drain(c.sock))).toEqual([0x61, 0x62, 0x63]);
    c.p.take();
    c.h.close(c.sock);
    const fin = hostFin(c);
    peerSend(c, ACK, data, { seq: c.pseq - 3, ack: fin.seq + 1 }); // old bytes again
    c.net.run(3);
    expect(c.p.take().map((s) => s.flags)).toEqual([ACK]);
    peerSend(c, FIN | ACK, undefined, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.p.take().map((s) => s.flags)).toEqual([ACK]);
    expect(c.h.stat("tcp_rst_data_after_close")).toBe(0);
    expect(c.h.stat("tcp_rst_tx")).toBe(0);
    c.net.run(5000); // TIME-WAIT (2 MSL) runs out
    c.h.close(c.listener);
    const fresh = await hostAndPeer({ MslMs: 1000 }, build);
    expect(free(c.h)).toEqual(free(fresh.h));
  });

  it("RFC 9293 §3.10.4: a half-close (tcpShutdown) keeps receiving in FIN-WAIT-1 and FIN-WAIT-2", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    expect(c.h.shutdown(c.sock)).toBe(0);
    const fin = hostFin(c);
    peerSend(c, ACK, data, { ack: fin.seq }); // FIN-WAIT-1
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_1);
    peerSend(c, ACK, data, { ack: fin.seq + 1 }); // FIN-WAIT-2
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    expect(Array.from(c.h.drain(c.sock))).toEqual([0x61, 0x62, 0x63, 0x61, 0x62, 0x63]);
    expect(c.p.rx.some((s) => s.flags & RST)).toBe(false);
    expect(c.h.stat("tcp_rst_data_after_close")).toBe(0);
    peerSend(c, FIN | ACK, undefined, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.TIME_WAIT);
    expect(c.h.read(c.sock)).toBe(0); // EOF
  });

  it("RFC 2525 §2.17: an HTTP client aborting mid-download over a lossy link leaves no connection on the server within 30 s (not probing a zero window until the client's FIN-WAIT-2 timeout)", async () => {
    const { net, a, b, l, c, s } = await clientServer(build);
    // a 1 MiB response; the client reads what has arrived, then closes with nothing unread
    // (so tcpClose sends a FIN, not a RST) while most of the response is still to come
    const response = bytes(1024 * 1024, 7);
    net.impair = { loss: 0.1, rng: new Rng(14) };
    let sent = 0, got = 0;
    net.runUntil(() => {
      while (sent < response.length) { const n = b.write(s, response.subarray(sent, sent + 65536)); if (n <= 0) break; sent += n; }
      got += a.drain(c).length;
      return got >= 20_000;
    }, 60_000);
    expect(got).toBeGreaterThanOrEqual(20_000);
    a.drain(c);
    expect(a.close(c)).toBe(0); // the client is gone; the server still has data to send
    // the server application streams the rest of the response (it does not read); it closes its
    // socket when a write fails (the connection was reset) or once everything is sent
    let closed = false;
    const done = net.runUntil(() => {
      if (!closed) {
        let n = 1;
        while (sent < response.length && n > 0) { n = b.write(s, response.subarray(sent, sent + 65536)); if (n > 0) sent += n; }
        if (n < 0 || sent >= response.length) { b.close(s); closed = true; }
      }
      return closed && b.state(s) === -Err.EBADF;
    }, 30_000);
    expect(done).toBe(true);
    expect(sent).toBeLessThan(response.length); // it really was mid-download
    expect(a.stat("tcp_rst_data_after_close")).toBeGreaterThanOrEqual(1);
    // both sides hold nothing but the listener (and no TIME-WAIT entry on the server)
    net.impair = null;
    net.run(1000);
    b.close(l);
    expect(free(b)).toEqual({ tcb: 8, rings: 8, tw: 0 });
    expect(a.state(c)).toBe(-Err.EBADF);
    expect(free(a).rings).toBe(8);
  });
});
