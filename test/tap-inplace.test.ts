// The TAP driver reading frames straight into the stack's staging region (native/tap.c
// start(handle, memory, meta, frameMax, cb, base, size); src/links/tap.ts): the core processes
// each frame where the kernel's read() put it. Against the real kernel in a namespace this test
// creates (198.51.100.1/24 kernel side, us 198.51.100.2/24); every namespace is deleted.
import { afterEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { loadTapAddon, TapLink } from "../src/links/tap.js";
import { Stack } from "../src/stack.js";
import { Netns, tapUnavailableReason } from "./helpers/netns.js";

const run = promisify(execFile);
const reason = tapUnavailableReason();
if (reason) console.warn(`test/tap-inplace.test.ts: SKIPPED: ${reason}`);
const KERNEL_IP = "198.51.100.1";
const cleanups: (() => void)[] = [];
afterEach(() => { while (cleanups.length) { try { cleanups.pop()!(); } catch { /* keep cleaning */ } } });
let seq = 0;

function setup(offload: boolean, initFirst = false) {
  const link = TapLink.open(`wp2${process.pid % 100000}x${seq++}`, { offload });
  const ns = Netns.create();
  cleanups.push(() => ns.delete());
  cleanups.push(() => link.close());
  ns.adoptLink(link.name, `${KERNEL_IP}/24`);
  const config = { SndBuf: 65536, RcvBuf: 65536 };
  const stack = new Stack({ name: "us", ip: "198.51.100.2", prefix: 24, mac: "02:00:00:00:00:02", seed: 7, init: initFirst, config });
  link.attach(stack); // before init (as createStack does), the link asks for a region that holds a batch
  if (!initFirst) stack.init();
  return { link, ns, stack };
}

const waitFor = (pred: () => boolean, ms: number) => new Promise<boolean>((resolve) => {
  const t0 = Date.now();
  const tick = () => (pred() ? resolve(true) : Date.now() - t0 > ms ? resolve(false) : setTimeout(tick, 5));
  tick();
});

describe.skipIf(reason !== null)("TAP frames read in place into the staging region", () => {
  for (const offload of [false, true]) {
    it(`a kernel client's 2 MiB arrive intact, read in place (${offload ? "offload: split super-frames" : "plain frames"})`, async () => {
      const { link, ns, stack } = setup(offload);
      expect(link.stats().inPlace).toBe(true);
      const x = stack.exports as unknown as Record<string, (...n: number[]) => number>;
      const l = x.tcpOpen(); x.tcpBind(l, 9); x.tcpListen(l, 2);
      const hash = createHash("sha256");
      let got = 0, s = -1;
      const io = x.ioBuffer();
      stack.onEvents(() => {
        if (s < 0) { const h = x.tcpAccept(l); if (h > 0) s = h; }
        if (s > 0) for (let n; (n = x.tcpRead(s, io, 65536)) > 0;) { hash.update(new Uint8Array(stack.memory.buffer, io, n)); got += n; stack.wake(); }
      });
      const N = 2 << 20;
      const py = `import socket,hashlib\nd=bytes((i*7+(i>>9))&255 for i in range(${N}))\ns=socket.create_connection(("198.51.100.2",9))\ns.sendall(d)\ns.close()\nprint(hashlib.sha256(d).hexdigest())`;
      const child = run("ip", ["netns", "exec", ns.name, "python3", "-c", py], { timeout: 30_000 });
      expect(await waitFor(() => got >= N, 30_000)).toBe(true);
      const { stdout } = await child;
      expect(hash.digest("hex")).toBe(stdout.trim());
      expect(stack.stat("rx_bad_frame_ref")).toBe(0);
      expect(link.stats().framesIn).toBeGreaterThan(offload ? 10 : 1400);
    }, 60_000);
  }

  it("a stack initialized before attach with a region too small for a batch: the link's own buffer (frames copied by input)", async () => {
    const { link, ns, stack } = setup(false, true); // the default 64 KiB region < frameMax + a batch
    expect(stack.isInitialized).toBe(true);
    expect(link.stats().inPlace).toBe(false);
    await run("ip", ["netns", "exec", ns.name, "ping", "-c", "2", "-i", "0.2", "-W", "2", "198.51.100.2"], { timeout: 10_000 });
    expect(stack.stat("icmp_echo_requests_rx")).toBe(2);
  }, 30_000);

  it("the addon refuses a range outside the memory it is given", () => {
    const tap = loadTapAddon();
    const h = tap.open(`wp2${process.pid % 100000}x${seq++}`, null, false);
    try {
      const mem = new WebAssembly.Memory({ initial: 1 });
      const meta = new Uint32Array(16);
      expect(() => tap.start(h, mem, meta, 1514, () => {}, 65536 - 1000, 2000)).toThrow(/inside memory.buffer/);
      expect(() => tap.start(h, mem, meta, 1514, () => {}, 0xfffff000, 0x2000)).toThrow(/inside memory.buffer/);
      expect(() => tap.start(h, mem, meta, 1514, () => {}, 1000, 4000)).not.toThrow();
    } finally { tap.close(h); }
  });
});
