// Sharding a fleet across worker threads (src/fleet.ts bridge): devices in a worker's Sim and in
// this thread's Sim, each Sim on the real clock, their switches joined by a MessagePort; pings
// cross in both directions and each side's switch learns the other side's MACs on the bridge port.
// The worker runs dist/ (built by `npm run tsbuild`).
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { bridge, createFleet } from "../src/fleet.js";
import { realtime } from "../src/links/realtime.js";

const dist = (p: string) => new URL(`../dist/${p}`, import.meta.url).href;

describe("a fleet in two shards (this thread and a worker), bridged", () => {
  it("devices ping across the bridge both ways, in real time", async () => {
    const worker = new Worker(`
      const { parentPort } = require("node:worker_threads");
      (async () => {
        const { createFleet, bridge } = await import(${JSON.stringify(dist("fleet.js"))});
        const { realtime } = await import(${JSON.stringify(dist("links/realtime.js"))});
        const f = createFleet({ count: 2, seed: 2, macBase: 256, address: (i) => ({ ip: "198.51.100." + (11 + i) }) });
        // MACs distinct from the main shard's: 02:00:00:00:01:xx
        bridge(f.link, parentPort);
        realtime(f.sim);
        parentPort.on("message", (m) => {
          if (m === "ping") {
            f.devices[1].ping("198.51.100.2", 7);
            const t = setInterval(() => {
              if (f.devices[1].stat("icmp_echo_replies_rx") >= 1) { clearInterval(t); parentPort.postMessage("pong"); }
            }, 5);
          }
        });
        parentPort.postMessage("ready");
      })();
    `, { eval: true, env: { ...process.env } });
    try {
      await new Promise<void>((resolve, reject) => { worker.once("message", () => resolve()); worker.once("error", reject); });
      const f = createFleet({ count: 2, seed: 1, build: "mcu" });
      const rt = realtime(f.sim);
      bridge(f.link, worker);
      f.devices[0].ping("198.51.100.11", 1);
      expect(await rt.until(() => f.devices[0].stat("icmp_echo_replies_rx") === 1, 5000)).toBe(true);
      worker.postMessage("ping");
      const pong = await new Promise<unknown>((resolve) => worker.on("message", (m) => { if (m === "pong") resolve(m); }));
      expect(pong).toBe("pong");
      expect(f.devices[1].stat("icmp_echo_requests_rx")).toBe(1);
      expect(f.link.learned("02:00:00:00:00:01")).toBe(0);
      rt.stop();
    } finally {
      await worker.terminate();
    }
  }, 20_000);
});
