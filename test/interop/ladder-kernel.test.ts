// `wasm-tcpip ladder` on a real kernel connection: in a network namespace of its own, Python
// opens a TCP connection over the namespace's loopback, sends a request and a reply, the client
// shuts down its side, the server keeps sending for a moment in CLOSE-WAIT, then closes. dumpcap
// captures it (-P: classic pcap, what tcpdump -w writes); `ss -tan` is read in the half-closed
// moment and in TIME-WAIT. The ladder's inferred states must be the kernel's: the seed's story on
// a real stack. Needs root, ip, dumpcap, python3 and ss; skipped with the reason otherwise, unless
// WASM_TCPIP_REQUIRE_NET=1 (CI): then it fails.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import { ladderFromPcap, statePath } from "../../src/ladder.js";

const NS = `wtseed-${process.pid}`;
const PORT = 7007;
const required = process.env.WASM_TCPIP_REQUIRE_NET === "1";

function unavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces)";
  for (const t of ["ip", "dumpcap", "python3", "ss", "timeout"]) {
    if (spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0) return `needs ${t}`;
  }
  return null;
}
const reason = unavailable();
if (reason && !required) console.warn(`test/interop/ladder-kernel.test.ts: SKIPPED: ${reason}`);

const PY = `
import socket, subprocess, threading, time
def ss():
    return subprocess.run(["ss", "-tan", "( sport = :${PORT} or dport = :${PORT} )"], capture_output=True, text=True).stdout
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", ${PORT}))
srv.listen(1)
def serve():
    c, _ = srv.accept()
    c.recv(100)
    c.sendall(b"hello, client")
    while c.recv(100):
        pass
    time.sleep(0.4)           # CLOSE-WAIT: the server still has something to say
    c.sendall(b"bye")
    c.close()
t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(("127.0.0.1", ${PORT}))
cl.sendall(b"hello, server")
cl.recv(100)
cl.shutdown(socket.SHUT_WR)
time.sleep(0.2)
print("HALF\\n" + ss(), flush=True)
while cl.recv(100):
    pass
cl.close()
t.join()
time.sleep(0.1)
print("END\\n" + ss(), flush=True)
`;

describe.skipIf(reason !== null && !required)("ladder of a kernel connection captured by dumpcap", () => {
  const dir = mkdtempSync(join(tmpdir(), "wt-ladder-kernel-"));
  const pcap = join(dir, "kernel.pcap");
  let py = "";

  beforeAll(async () => {
    if (reason) throw new Error(`test/interop/ladder-kernel.test.ts: ${reason}, and WASM_TCPIP_REQUIRE_NET=1 requires it`);
    spawnSync("ip", ["netns", "del", NS]);
    execFileSync("ip", ["netns", "add", NS]);
    execFileSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
    const log = join(dir, "dumpcap.log");
    const cap = spawn("sh", ["-c", `exec ip netns exec ${NS} timeout -s INT 20 dumpcap -q -P -i lo -f "tcp port ${PORT}" -w ${pcap} 2>${log}`]);
    try {
      for (let i = 0; i < 100 && !(readFileSyncSafe(log).includes("File:")); i++) await new Promise((r) => setTimeout(r, 100));
      writeFileSync(join(dir, "conn.py"), PY);
      py = execFileSync("ip", ["netns", "exec", NS, "timeout", "15", "python3", join(dir, "conn.py")], { encoding: "utf8" });
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      cap.kill("SIGINT");
      await new Promise((r) => (cap.exitCode !== null ? r(null) : cap.once("exit", r)));
    }
  }, 40_000);
  afterAll(() => {
    spawnSync("ip", ["netns", "del", NS]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("RFC 9293 §3.3.2: the states inferred from the capture are the ones the kernel's ss showed", async () => {
    const l = ladderFromPcap(readFileSync(pcap));
    expect(statePath(l, "client")).toEqual(["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]);
    expect(statePath(l, "server")).toEqual(["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"]);
    // the kernel agrees: half-closed, the active closer in FIN-WAIT-2 and the passive one in CLOSE-WAIT, then TIME-WAIT
    const [half, end] = py.split("END\n");
    expect(half).toMatch(new RegExp(`FIN-WAIT-2 .*127\\.0\\.0\\.1:\\d+ +127\\.0\\.0\\.1:${PORT}`));
    expect(half).toMatch(new RegExp(`CLOSE-WAIT .*127\\.0\\.0\\.1:${PORT} +127\\.0\\.0\\.1:\\d+`));
    expect(end).toMatch(/TIME-WAIT/);
    // the capture's data: the request, the reply, "bye" sent in CLOSE-WAIT
    const lens = l.items.filter((x) => x.kind === "segment" && x.len > 0).map((x) => (x.kind === "segment" ? x.len : 0));
    expect(lens).toEqual([13, 13, 3]);
  });

  it("`wasm-tcpip ladder` draws it", async () => {
    const out: string[] = [];
    const svg = join(dir, "k.svg");
    expect(await main(["ladder", pcap, "-o", svg], { out: (x) => out.push(x), err: () => {} })).toBe(0);
    expect(out[0]).toMatch(new RegExp(`^client 127\\.0\\.0\\.1:\\d+ <-> server 127\\.0\\.0\\.1:${PORT}: \\d+ segments$`));
    expect(readFileSync(svg, "utf8")).toMatch(/class="state-label" data-side="server" data-state="CLOSE-WAIT"/);
  });
});

function readFileSyncSafe(p: string): string {
  try { return readFileSync(p, "utf8"); } catch { return ""; }
}
