// RFC 2131 §4.1: a client retransmits only after the backoff delay. A stack created partway
// through a Sim (its virtual clock already past 0) with `requestAddress` sends its INIT-REBOOT
// REQUEST once, not twice at the same millisecond (the first deadline armed from the true time).
import { describe, expect, it } from "vitest";
import { createStack } from "../src/net.js";
import { Sim } from "../src/links/emulated.js";
import { decode, REQUEST, type Msg } from "./dhcp-script.js";

describe("DHCP client timing (RFC 2131 §4.1)", () => {
  it("RFC 2131 §4.1: INIT-REBOOT REQUEST from a stack created at t = 10 s is not retransmitted before the ~4 s backoff", () => {
    const sim = new Sim({ seed: 3 });
    const link = sim.link({ delayMs: 1 });
    const log: Msg[] = [];
    link.attach({ name: "watch", attach() {}, input(frame) { const m = decode(frame, sim.now()); if (m) log.push(m); } });
    sim.run(10_000);
    const c = createStack({ dhcp: { requestAddress: "198.51.100.60" }, mac: "02:00:00:00:02:01", seed: 7, link: { type: "emulated", sim, link } });
    sim.run(12_500); // nobody answers: the first retransmission is due 3-5 s after the first REQUEST
    const reqs = log.filter((m) => m.type === REQUEST);
    expect(reqs.length).toBe(1);
    expect(reqs[0].t).toBeGreaterThanOrEqual(10_000);
    expect(c.stats().dhcp_retransmits ?? 0).toBe(0);
    sim.run(15_500); // by 15.5 s the backoff (4 s ± 1 s) has passed once
    const again = log.filter((m) => m.type === REQUEST);
    expect(again.length).toBe(2);
    expect(again[1].t - again[0].t).toBeGreaterThanOrEqual(3_000);
    c.close();
  });
});
