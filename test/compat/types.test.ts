// Issue 14 item 7: code typed against node:net takes our Socket and Server without casts.
// The assignments below are the test: `npx tsc -p tsconfig.test.json` fails if one stops
// compiling; at run time the same objects are checked for node:net's members.
import type * as nodeNet from "node:net";
import { describe, expect, it } from "vitest";
import { Sim } from "../../src/links/emulated.js";
import { createStack, Server, Socket } from "../../src/net.js";

function typedAgainstNode(s: nodeNet.Socket, srv: nodeNet.Server): string[] {
  return [typeof s.destroySoon, typeof s.bufferSize, typeof s.autoSelectFamilyAttemptedAddresses, typeof srv.maxConnections];
}

describe("types: our Socket / Server where node:net's are expected", () => {
  it("assign to net.Socket / net.Server and call through node's types", () => {
    const sim = new Sim({ seed: 1 });
    const net = createStack({ ip: "198.51.100.1/24", link: { type: "emulated", sim, link: sim.link() } });
    const sock: Socket = new Socket(net);
    const srv: Server = net.createServer();
    const asNode: nodeNet.Socket = sock;
    const srvAsNode: nodeNet.Server = srv;
    const listener: (s: nodeNet.Socket) => void = () => {};
    net.createServer(listener);
    expect(typedAgainstNode(asNode, srvAsNode)).toEqual(["function", "undefined", "object", "undefined"]);
    srvAsNode.maxConnections = 3;
    expect(srv.maxConnections).toBe(3);
    net.close();
  });
});
