// Our stub resolver (assembly/services/dns.ts, through src/lookup.ts) against dnsmasq, a real DNS
// server nobody here wrote, in a namespace this test creates: dnsmasq listens on the kernel side of
// the TAP (198.51.100.1, port 53, bound to that interface only, no upstream, no /etc/hosts), our
// stack behind the TAP at 198.51.100.2. Gated like the other interop suites (test/interop/env.ts);
// also needs dnsmasq (Debian dnsmasq-base, see .ci/run).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { dnsmasqServer, gate, installCleanup, KERNEL_IP, NsProc, pcapProblems, python, world, World } from "./env.js";

const required = process.env.WASM_TCPIP_REQUIRE_NET === "1";
const haveDnsmasq = (() => { try { execFileSync("sh", ["-c", "command -v dnsmasq"], { stdio: "ignore" }); return true; } catch { return false; } })();
let skip = gate("test/interop/dns.test.ts");
if (!skip && !haveDnsmasq) {
  if (required) throw new Error("test/interop/dns.test.ts: needs dnsmasq (apt-get install dnsmasq-base), and WASM_TCPIP_REQUIRE_NET=1 requires it");
  console.warn("test/interop/dns.test.ts: SKIPPED: needs dnsmasq (apt-get install dnsmasq-base)");
  skip = true;
}
installCleanup();

/** dnsmasq as a DNS server only, on the TAP's kernel side (env.ts dnsmasqServer). */
function dnsmasq(w: World): Promise<NsProc> {
  return dnsmasqServer(w.ns, w.dev, [
    "--address=/device.test/198.51.100.77", "--host-record=kernel.test,198.51.100.1",
    "--cname=alias.test,kernel.test", "--host-record=multi.test,198.51.100.78",
  ]);
}

const PY_HELLO_SERVER = String.raw`
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(30)
print("listening", flush=True)
c, a = s.accept(); c.settimeout(30)
d = c.recv(100)
c.sendall(b"kernel got " + d); c.close()
print("done", a[0], flush=True)
`;

describe.skipIf(skip)("DNS interop: our stub resolver against dnsmasq", () => {
  it("RFC 1035: resolves an A record, a CNAME (to kernel.test), NXDOMAIN; connects by name to a kernel-side python server", async () => {
    const w = world();
    const dm = await dnsmasq(w);
    w.net.setDns([KERNEL_IP]);
    expect(await w.net.promises.lookup("device.test")).toEqual({ address: "198.51.100.77", family: 4 });
    expect(await w.net.promises.lookup("Multi.Test", { all: true })).toEqual([{ address: "198.51.100.78", family: 4 }]);
    expect(await w.net.promises.lookup("alias.test")).toEqual({ address: KERNEL_IP, family: 4 });
    const nx = await w.net.promises.lookup("nonexistent.test").catch((e) => e);
    expect(nx.code).toBe("ENOTFOUND");
    expect(dm.errLines.some((l) => /query\[A\] alias\.test from 198\.51\.100\.2/.test(l))).toBe(true);

    const srv = python(w.ns, PY_HELLO_SERVER, [KERNEL_IP, 8080], 30_000);
    await srv.waitLine(/^listening/);
    const got = await new Promise<string>((resolve, reject) => {
      const c = w.net.connect({ host: "kernel.test", port: 8080 }, () => c.write("hi"));
      let buf = "";
      c.on("data", (d: Buffer) => { buf += d.toString(); });
      c.on("end", () => { c.end(); resolve(buf); });
      c.on("error", reject);
      setTimeout(() => reject(new Error("connect by name timed out")), 20_000).unref();
    });
    expect(got).toBe("kernel got hi");
    expect(await srv.waitLine(/^done/)).toBe("done 198.51.100.2");
    const st = w.net.stack.stats();
    expect(st.dns_wrong_source + st.dns_bad_id + st.dns_bad_question + st.dns_malformed).toBe(0);
    w.net.close();
    expect(pcapProblems(w.pcap)).toEqual([]);
  }, 60_000);
});
