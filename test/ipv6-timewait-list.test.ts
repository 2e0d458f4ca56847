// The compact TIME-WAIT listing over IPv6 (issue 10): tcpTimeWaitList rows carry the family and
// the 16-byte local and remote addresses, so an IPv6 connection closed actively lists with its
// real addresses and ports (NetStack.sockets(), formatSockets, the CLI status page) beside an
// IPv4 one, unchanged. Both testing builds (the scale build walking its deadline list, the MCU
// scan build); two stacks on the emulated link with the virtual clock.
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";
import { createStack, formatSockets, type NetStack, type SocketInfo } from "../src/net.js";
import { statusPage } from "../src/services.js";
import { TIME_WAIT_ROW, TIME_WAIT_ROW_WORDS } from "../src/abi.js";
import { ip6ToBytes } from "../src/stack.js";
import { collect } from "./helpers/collect.js";

const BUILDS = ["testing", "testing-mcu"] as const;
const A_IP = "198.51.100.1", B_IP = "198.51.100.2";
const A6 = "2001:db8::1", B6 = "2001:db8::2";
const MSL = 1000;

function env(build: (typeof BUILDS)[number]) {
  const sim = new Sim({ seed: 17 });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, ip6: string, mac: string, seed: number) => createStack({
    ip: `${ip}/24`, mac, seed, build, link: { type: "emulated", sim, link }, config: { MslMs: MSL },
    ipv6: { eui64: true, dad: false, addresses: [`${ip6}/64`] },
  });
  return { a: mk(A_IP, A6, "02:00:00:00:00:01", 1), b: mk(B_IP, B6, "02:00:00:00:00:02", 2) };
}

/** Connect a to host:port, send a little, close first (a ends in TIME-WAIT); the local port. */
async function closeActively(a: NetStack, host: string, port: number): Promise<number> {
  const c = a.connect({ host, port });
  const got = collect(c);
  expect(await a.until(() => !c.connecting, 5_000)).toBe(true);
  const lport = c.localPort!;
  c.end(Buffer.from("bye"));
  expect(await a.until(() => got.closed, 5_000)).toBe(true);
  expect(got.error).toBeNull();
  return lport;
}

/** ::ffff:a.b.c.d as 16 bytes (RFC 4291 §2.5.5.2). */
const mapped = (ip: string): number[] => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...ip.split(".").map(Number)];
const tw = (a: NetStack): SocketInfo[] => a.sockets().filter((s) => s.state === "TIME-WAIT");

for (const build of BUILDS) {
  describe(`TIME-WAIT listing with IPv6 addresses, ${build}`, () => {
    it("RFC 9293 §3.10.7.4: an actively closed IPv6 connection lists in TIME-WAIT with its real addresses and ports, family IPv6; an IPv4 one beside it unchanged", async () => {
      const { a, b } = env(build);
      b.createServer((s) => s.resume()).listen(7, "::");
      const p6 = await closeActively(a, B6, 7);
      const p4 = await closeActively(a, B_IP, 7);
      await a.until(() => false, 1);
      const rows = tw(a);
      expect(rows.length).toBe(2);
      const r6 = rows.find((r) => r.family === "IPv6"), r4 = rows.find((r) => r.family === "IPv4");
      expect(r6).toMatchObject({ handle: 0, localAddress: A6, localPort: p6, remoteAddress: B6, remotePort: 7 });
      expect(r4).toMatchObject({ handle: 0, localAddress: A_IP, localPort: p4, remoteAddress: B_IP, remotePort: 7 });
      for (const r of rows) expect(r.timeWaitMs).toBeLessThanOrEqual(2 * MSL);
      expect(tw(b)).toEqual([]); // the passive closer does not wait

      // the raw rows: 48 bytes, family 6 / 4, 16-byte addresses (IPv4 as ::ffff:a.b.c.d)
      const ex = a.stack.exports, io = ex.ioBuffer();
      expect(ex.tcpTimeWaitList(io, 1)).toBe(1); // `max` bounds the rows written
      expect(ex.tcpTimeWaitList(io, 8)).toBe(2);
      const v = new Uint32Array(a.stack.memory.buffer, io, 2 * TIME_WAIT_ROW_WORDS);
      const bytes = new Uint8Array(a.stack.memory.buffer, io, 2 * TIME_WAIT_ROW_WORDS * 4);
      const raw = [0, 1].map((k) => {
        const r = k * TIME_WAIT_ROW_WORDS;
        return {
          family: v[r + TIME_WAIT_ROW.family], lport: v[r + TIME_WAIT_ROW.localPort], rport: v[r + TIME_WAIT_ROW.remotePort],
          local: Array.from(bytes.subarray((r + TIME_WAIT_ROW.localAddr) * 4, (r + TIME_WAIT_ROW.localAddr) * 4 + 16)),
          remote: Array.from(bytes.subarray((r + TIME_WAIT_ROW.remoteAddr) * 4, (r + TIME_WAIT_ROW.remoteAddr) * 4 + 16)),
        };
      }).sort((x, y) => y.family - x.family);
      expect(raw).toEqual([
        { family: 6, lport: p6, rport: 7, local: Array.from(ip6ToBytes(A6)), remote: Array.from(ip6ToBytes(B6)) },
        { family: 4, lport: p4, rport: 7, local: mapped(A_IP), remote: mapped(B_IP) },
      ]);

      // ss-style text and the CLI status page: IPv6 bracketed, no placeholder
      const text = formatSockets(a.sockets());
      expect(text).toMatch(new RegExp(`TIME-WAIT .*${A_IP}:${p4}\\s+${B_IP}:7\\s+timewait \\d+ms`));
      const page = statusPage(a);
      expect(page).toMatch(new RegExp(`TIME-WAIT .*\\[${A6}\\]:${p6}\\s+\\[${B6}\\]:7\\s+timewait \\d+ms`));
      expect(page).toMatch(new RegExp(`TIME-WAIT .*${A_IP}:${p4}\\s+${B_IP}:7\\s+timewait \\d+ms`));
      expect(page).not.toContain("(ipv6)");

      // both expire after 2*MSL
      await a.until(() => false, 2 * MSL + 100);
      expect(tw(a)).toEqual([]);
      expect(ex.tcpTimeWaitList(io, 8)).toBe(0);
    });
  });
}
