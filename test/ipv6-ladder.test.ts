// Ladders from IPv6 captures (src/ladder.ts, issue 10): TCP over IPv6 read from Ethernet, raw IP
// (LINKTYPE_RAW by the version nibble, LINKTYPE_IPV6), Linux cooked "any" captures (SLL, SLL2,
// protocol 0x86dd) and BSD loopback (AF_INET6) to the same ladder, endpoints printed bracketed
// (RFC 3986 §3.2.2) and IPv4 and IPv6 connections of one capture told apart. The capture is our
// own: an echo over IPv6 then one over IPv4 between two stacks on the emulated link.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sim } from "../src/links/emulated.js";
import { createStack } from "../src/net.js";
import { captureConnections, ladderFromPcap, statePath } from "../src/ladder.js";
import { readPcap, writePcap } from "./helpers/pcap.js";
import { collect } from "./helpers/collect.js";

async function capture(): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), "ladder6-"));
  try {
    const file = join(dir, "a.pcap");
    const sim = new Sim({ seed: 5 });
    const link = sim.link({ delayMs: 1 });
    const ipv6 = (a: string) => ({ eui64: true, dad: false, addresses: [`${a}/64`] });
    const a = createStack({ ip: "198.51.100.1/24", mac: "02:00:00:00:00:01", seed: 1, link: { type: "emulated", sim, link }, ipv6: ipv6("2001:db8::1"), pcap: file });
    const b = createStack({ ip: "198.51.100.2/24", mac: "02:00:00:00:00:02", seed: 2, link: { type: "emulated", sim, link }, ipv6: ipv6("2001:db8::2") });
    b.createServer((s) => s.pipe(s)).listen(7, "::");
    for (const host of ["2001:db8::2", "198.51.100.2"]) {
      const c = a.connect({ host, port: 7, localPort: host.includes(":") ? 40006 : 40004 }, () => c.end(Buffer.alloc(3000, 1)));
      const got = collect(c);
      expect(await a.until(() => got.closed, 10_000)).toBe(true);
      expect(got.data.length).toBe(3000);
    }
    await a.until(() => false, 1000); // the ACK of the last FIN
    a.close();
    b.close();
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("ladder: TCP over IPv6 captures", () => {
  it("Ethernet: the IPv6 connection's ladder with bracketed ends and the full state paths; the IPv4 one beside it", async () => {
    const bytes = await capture();
    const { conns } = captureConnections(bytes);
    expect(conns.map((c) => c.key)).toEqual(["[2001:db8::1]:40006 [2001:db8::2]:7", "198.51.100.1:40004 198.51.100.2:7"]);
    const l = ladderFromPcap(bytes);
    expect(l.ends).toEqual({ client: "client [2001:db8::1]:40006", server: "server [2001:db8::2]:7" });
    expect(statePath(l, "client")).toEqual(["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]);
    expect(statePath(l, "server")).toEqual(["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"]);
    const data = l.items.filter((x) => x.kind === "segment" && x.src === "client").reduce((n, x) => n + (x.kind === "segment" ? x.len : 0), 0);
    expect(data).toBe(3000);
    expect(ladderFromPcap(bytes, 2).ends).toEqual({ client: "client 198.51.100.1:40004", server: "server 198.51.100.2:7" });
  });

  it("raw IP (101, 229), Linux cooked SLL (113) and SLL2 (276), BSD loopback (0, AF_INET6 = 24/28/30/10) give the Ethernet capture's ladders", async () => {
    const bytes = await capture();
    const eth = readPcap(bytes);
    const ip = eth.packets.filter((p) => p.data[12] === 0x08 && p.data[13] === 0x00 || p.data[12] === 0x86 && p.data[13] === 0xdd);
    const conv = (f: (p: (typeof eth.packets)[number]) => Uint8Array) => ip.map((p) => ({ tsSec: p.tsSec, tsUsec: p.tsUsec, data: f(p) }));
    const want = [ladderFromPcap(bytes, 1).items, ladderFromPcap(bytes, 2).items];
    const same = (file: Uint8Array, n = 2) => {
      for (let k = 1; k <= n; k++) expect(ladderFromPcap(file, k).items).toEqual(want[k - 1]);
    };
    same(writePcap(conv((p) => p.data.subarray(14)), 101));
    same(writePcap(conv((p) => p.data.subarray(14)).filter((p) => p.data[0] >> 4 === 6), 229), 1);
    expect(ladderFromPcap(writePcap(conv((p) => p.data.subarray(14)).filter((p) => p.data[0] >> 4 === 6), 229)).ends.client).toBe("client [2001:db8::1]:40006");
    same(writePcap(conv((p) => {
      const d = new Uint8Array(16 + p.data.length - 14);
      d.set([0, 0, 0, 1, 0, 6], 0);
      d.set(p.data.subarray(6, 12), 6);
      d.set(p.data.subarray(12), 14);
      return d;
    }), 113));
    same(writePcap(conv((p) => {
      const d = new Uint8Array(20 + p.data.length - 14);
      d.set(p.data.subarray(12, 14), 0);
      d.set([0, 1, 0, 6], 8);
      d.set(p.data.subarray(14), 20);
      return d;
    }), 276));
    for (const af6 of [24, 28, 30, 10]) {
      same(writePcap(conv((p) => {
        const d = new Uint8Array(4 + p.data.length - 14);
        new DataView(d.buffer).setUint32(0, p.data[12] === 0x86 ? af6 : 2, true);
        d.set(p.data.subarray(14), 4);
        return d;
      }), 0));
    }
  });
});
