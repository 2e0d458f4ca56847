// The differential compatibility suite for node:net: every case (net-cases.ts) runs against
// node:net over loopback (the oracle) and against two of our stacks on an emulated link;
// both runs must log the same events, in the same order, with the same arguments.
import { describe, expect, it } from "vitest";
import { nodeFactory, oursFactory, type Factory } from "./factory.js";
import { EventLog } from "./log.js";
import { netCases, type Case } from "./net-cases.js";

async function runIn(make: () => Factory, c: Case): Promise<Record<string, string[]>> {
  const f = make();
  const log = new EventLog();
  try {
    await c.run(f, log);
  } finally {
    await f.close();
  }
  return log.byTag();
}

describe("compat: node:net (loopback) and our stack log the same events", () => {
  for (const c of netCases) {
    it(c.name, async () => {
      const oracle = await runIn(nodeFactory, c);
      const ours = await runIn(() => oursFactory(), c);
      expect(Object.keys(oracle).length).toBeGreaterThan(0);
      expect(ours).toEqual(oracle);
    });
  }
});
