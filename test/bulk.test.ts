// 16 MiB transfers between two emulated stacks under each impairment of issue 3: the
// receiver's SHA-256 equals the sender's (nothing lost, duplicated or reordered in the
// byte stream), and both connections walk the close to CLOSED.
// BULK_REPORT=1 prints a table of figures (frames, losses, virtual and wall time).
import { afterAll, describe, expect, it } from "vitest";
import { runTransfer, TransferOptions, TransferResult } from "./helpers/transfer.js";

const MiB = 1 << 20;
const BYTES = 16 * MiB;
const ACTIVE = ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"];
// Over a lossy link the ACK of our FIN may be lost; the peer's FIN then acknowledges ours and
// FIN-WAIT-1 goes straight to TIME-WAIT (RFC 9293 §3.10.7.4, "If our FIN has been ACKed ... enter TIME-WAIT").
const ACTIVE_FIN_ACKED_BY_FIN = ACTIVE.filter((st) => st !== "FIN-WAIT-2");
const PASSIVE = ["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"];
const SND_BUF = 16384; // Cfg.SndBuf default
const TS_OPT = 12;     // timestamp option bytes per segment (RFC 7323 §3), negotiated by default

const report: [string, TransferResult][] = [];
afterAll(() => {
  if (!process.env.BULK_REPORT) return;
  const rows = report.map(([n, r]) => `${n.padEnd(22)} frames=${String(r.frames).padStart(6)} lost=${String(r.lost).padStart(5)} dup=${String(r.duplicated).padStart(4)} ` +
    `rtx=${String(r.stats.client.tcp_retransmits).padStart(5)} virtual=${(r.virtualMs / 1000).toFixed(1).padStart(7)} s wall=${r.wallMs.toFixed(0).padStart(5)} ms`);
  console.log(rows.join("\n"));
});

/** Run one 16 MiB transfer and check everything every case must satisfy. */
function bulk(name: string, o: Omit<TransferOptions, "bytes" | "seed"> & { seed?: number }): TransferResult {
  const r = runTransfer({ bytes: BYTES, seed: o.seed ?? 1, ...o });
  report.push([name, r]);
  expect(r.sent).toBe(BYTES);
  expect(r.received).toBe(BYTES);
  expect(r.receivedSha).toBe(r.sentSha);
  expect(r.errors).toEqual({ client: [], server: [] });
  expect(r.final).toEqual({ client: "CLOSED", server: "CLOSED" });
  if (r.lost > 0 && r.path.client.length === ACTIVE.length - 1) expect(r.path.client).toEqual(ACTIVE_FIN_ACKED_BY_FIN);
  else expect(r.path.client).toEqual(ACTIVE);
  expect(r.path.server).toEqual(PASSIVE);
  return r;
}

describe("16 MiB bulk transfer, SHA-256 equal on both ends, both sides end CLOSED", () => {
  it("RFC 9293 §3.8: no impairment (node build)", () => {
    const r = bulk("none", {});
    expect(r.lost).toBe(0);
    expect(r.stats.client.tcp_retransmits).toBe(0);
    expect(r.maxPayload.client).toBe(1500 - 40 - TS_OPT);
  });

  it("RFC 9293 §3.8: no impairment (MCU build, no SIMD)", () => {
    const r = bulk("none (mcu)", { build: "mcu" });
    expect(r.stats.client.tcp_retransmits).toBe(0);
  });

  it.each([
    [0.01], [0.05], [0.1],
  ])("RFC 6298 / RFC 5681 / RFC 6675: %f loss both ways is repaired", (loss) => {
    const r = bulk(`loss ${loss * 100}%`, { link: { loss } });
    // the impairment really happened, at about the asked rate, and was repaired by retransmission
    expect(r.lost / r.frames).toBeGreaterThan(loss / 2);
    expect(r.lost / r.frames).toBeLessThan(loss * 2);
    expect(r.stats.client.tcp_retransmits).toBeGreaterThan(0);
  });

  it("RFC 9293 §3.10.7.4 (reassembly): 5% of frames reordered by 5 ms", () => {
    const r = bulk("reorder 5%", { link: { reorder: 0.05, reorderDelayMs: 5 } });
    expect(r.stats.server.tcp_out_of_order).toBeGreaterThan(0);
    expect(r.lost).toBe(0);
  });

  it("RFC 9293 §3.10.7.4 (old duplicates trimmed): 5% of frames duplicated", () => {
    const r = bulk("duplicate 5%", { link: { duplicate: 0.05 } });
    expect(r.duplicated).toBeGreaterThan(0);
    expect(r.lost).toBe(0);
  });

  it("RFC 6298 §2: 1 ms RTT", () => {
    const r = bulk("rtt 1 ms", { link: { delayMs: 0.5 } });
    expect(r.stats.client.tcp_retransmits).toBe(0);
  });

  it("RFC 6298 §2 / RFC 9293 §3.8.6: 100 ms RTT (throughput bounded by window / RTT)", () => {
    const r = bulk("rtt 100 ms", { link: { delayMs: 50 } });
    // at most one send buffer per round trip: the virtual clock must show it
    expect(r.virtualMs).toBeGreaterThanOrEqual((BYTES / SND_BUF) * 100 * 0.9);
    expect(r.stats.client.tcp_retransmits).toBe(0);
  });

  it("RFC 9293 §3.8.6.2: small receive buffer (2 KiB) on the receiver", () => {
    const r = bulk("rcvbuf 2 KiB", { server: { RcvBuf: 2048 } });
    expect(r.maxPayload.client).toBeLessThanOrEqual(2048);
    expect(r.dataSegments.client).toBeGreaterThan(BYTES / 2048);
  });

  it("RFC 9293 §3.7.1: MSS 536 on both sides", () => {
    const r = bulk("mss 536", { config: { Mss: 536 } });
    expect(r.maxPayload.client).toBe(536 - TS_OPT);
    expect(r.dataSegments.client).toBeGreaterThanOrEqual(Math.ceil(BYTES / (536 - TS_OPT)));
  });
});
