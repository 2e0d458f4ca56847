// Bulk transfer through the emulated segment: 16 MiB, SHA-256 compared, under seeded
// loss, reordering and duplication (deterministic: same seed, same run).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Host, Rng, connected, transfer } from "./helpers/tcp-harness.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const COUNTERS = ["tcp_retransmits", "tcp_fast_retransmits", "tcp_rto_timeouts", "tcp_sack_recoveries", "tcp_dup_acks", "tcp_out_of_order", "tcp_ofo_dropped", "tcp_bad_seq"];
const report = (h: Host) => COUNTERS.map((n) => `${n}=${h.stat(n)}`).join(" ");

describe("TCP bulk transfer", () => {
  const cases: [string, { loss?: number; dup?: number; reorder?: number } | null, number][] = [
    ["a clean link", null, 16 << 20],
    ["1% loss, 1% duplication, 2% reordering", { loss: 0.01, dup: 0.01, reorder: 0.02 }, 16 << 20],
    ["5% loss", { loss: 0.05 }, 4 << 20],
  ];
  for (const [name, im, size] of cases) {
    it(`RFC 9293 §3.4 + RFC 5681/6675: ${size >> 20} MiB arrive intact (SHA-256) over ${name}`, async () => {
      const buf = { SndBuf: 131072, RcvBuf: 131072, DelAckMs: 40, RtoMinMs: 200 };
      const { net, a, b, c, s } = await connected(buf);
      net.logEnabled = false;
      if (im) net.impair = { ...im, reorderMs: 3, rng: new Rng(20261124) };
      const data = new Rng(42).bytes(size);
      const t0 = net.now;
      const got = transfer(net, a, c, b, s, data, 3_600_000);
      expect(got.length).toBe(data.length);
      expect(sha(got)).toBe(sha(data));
      console.log(`${name}: ${size} bytes in ${net.now - t0} virtual ms; sender ${report(a)}; receiver ${report(b)}`);
      if (im?.loss) expect(a.stat("tcp_retransmits")).toBeGreaterThan(0);
      a.close(c);
      // the FIN arrives (over a lossy link it may be lost and come again after an RTO of >= 200 ms)
      let eof = -1;
      expect(net.runUntil(() => (eof = b.read(s) as number) === 0, im?.loss ? 5_000 : 10)).toBe(true);
      expect(eof).toBe(0);
    });
  }

  it("RFC 9293 §3.4: both directions at once over an impaired link (MCU build)", async () => {
    const { net, a, b, c, s } = await (async () => {
      const h = await import("./helpers/tcp-harness.js");
      const n = new h.Net();
      const cfg = { SndBuf: 32768, RcvBuf: 32768 };
      const a = await n.host({ ip: "198.51.100.1", cfg, build: "build/testing.mcu.wasm" });
      const b = await n.host({ ip: "198.51.100.2", cfg, build: "build/testing.mcu.wasm" });
      const l = b.open(); b.bind(l, 80); b.listen(l, 2);
      const c = a.open(); a.connect(c, "198.51.100.2", 80);
      let s = -1;
      n.runUntil(() => (s = b.accept(l)) > 0, 10_000);
      return { net: n, a, b, c, s };
    })();
    net.logEnabled = false;
    net.impair = { loss: 0.02, dup: 0.01, reorder: 0.02, rng: new Rng(5) };
    const up = new Rng(1).bytes(1 << 20), down = new Rng(2).bytes(1 << 20);
    const rx = { a: [] as Uint8Array[], b: [] as Uint8Array[] };
    let sa = 0, sb = 0, ga = 0, gb = 0;
    net.runUntil(() => {
      while (sa < up.length) { const n = a.write(c, up.subarray(sa, sa + 65536)); if (n <= 0) break; sa += n; }
      while (sb < down.length) { const n = b.write(s, down.subarray(sb, sb + 65536)); if (n <= 0) break; sb += n; }
      const ra = a.drain(c); if (ra.length) { rx.a.push(ra); ga += ra.length; }
      const rb = b.drain(s); if (rb.length) { rx.b.push(rb); gb += rb.length; }
      return ga >= down.length && gb >= up.length;
    }, 600_000);
    expect(sha(Buffer.concat(rx.b))).toBe(sha(up));
    expect(sha(Buffer.concat(rx.a))).toBe(sha(down));
  });
});
