// Where our Socket deliberately differs from node:net, asserted here (and listed in the report
// of issue 14) so a change is a decision, not an accident.
import * as nodeNet from "node:net";
import { getDefaultHighWaterMark } from "node:stream";
import { describe, expect, it } from "vitest";
import { Sim } from "../../src/links/emulated.js";
import { createStack, Socket } from "../../src/net.js";

function stack() {
  const sim = new Sim({ seed: 2 });
  return createStack({ ip: "198.51.100.1/24", link: { type: "emulated", sim, link: sim.link() } });
}

describe("compat: deliberate differences from node:net", () => {
  it("not an instanceof net.Socket: node:tls then wraps it as a JS stream (a net.Socket would need a C++ handle)", () => {
    const net = stack();
    const s = new Socket(net);
    expect(s instanceof nodeNet.Socket).toBe(false);
    expect(new nodeNet.Socket() instanceof nodeNet.Socket).toBe(true);
    net.close();
  });

  it("the default readable high-water mark is 64 KiB (node 20: 16 KiB): one push per I/O-region copy out of the core", () => {
    const net = stack();
    expect(new Socket(net).readableHighWaterMark).toBe(64 * 1024);
    expect(new nodeNet.Socket().readableHighWaterMark).toBe(getDefaultHighWaterMark(false));
    expect(new Socket(net).writableHighWaterMark).toBe(new nodeNet.Socket().writableHighWaterMark);
    net.close();
  });

  it("no IPC paths: connect(path) throws ERR_INVALID_ARG_VALUE (node connects to a Unix socket)", () => {
    const net = stack();
    expect(() => new Socket(net).connect("/tmp/some.sock")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE" }));
    expect(() => new Socket(net).connect({ path: "/tmp/some.sock" })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE" }));
    net.close();
  });
});
