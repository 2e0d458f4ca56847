// `wasm-tcpip up` / `get` / `resolve` / `time` argument handling (no network needed) and the
// bin/wasm-tcpip launcher. Their network behaviour is tested against the kernel in
// test/interop/cli.test.ts.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { main } from "../src/cli.js";
import { parseArgs } from "../src/cli-net.js";

async function run(argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err };
}

describe("CLI up/get: usage", () => {
  it("`wasm-tcpip --help` lists up and get", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\s+up\s/m);
    expect(r.out).toMatch(/^\s+get URL\s/m);
    expect(r.out).toMatch(/^\s+resolve NAME\s/m);
    expect(r.out).toMatch(/^\s+time \[SERVER\]\s/m);
  });

  for (const cmd of ["up", "get", "resolve", "time"]) {
    it(`\`wasm-tcpip ${cmd} --help\` prints its own usage and exits 0`, async () => {
      const r = await run([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.err).toEqual([]);
      expect(r.out.split("\n")[0]).toMatch(new RegExp(`^usage: wasm-tcpip ${cmd} `));
      for (const f of ["--tap NAME", "--ip A.B.C.D/LEN", "--dhcp", "--dns ADDR", "--gw ADDR", "--pcap FILE", "--loss P", "--delay MS", "--jitter MS", "--reorder P", "--duplicate P", "--seed N", "--no-offload"]) {
        expect(r.out).toContain(f);
      }
      if (cmd === "up") for (const f of ["--echo PORT", "--discard PORT", "--http PORT"]) expect(r.out).toContain(f);
      else if (cmd === "get") expect(r.out).toContain("-o, --output FILE");
      else expect(r.out).toContain("--timeout S");
      if (cmd === "time") expect(r.out).toMatch(/Without SERVER \(needs --dhcp\) the NTP servers of the DHCP\s+lease \(option 42\)/);
      expect(r.out).toContain("--hostname NAME");
    });
  }

  const bad: [string[], RegExp][] = [
    [["up", "--ip", "198.51.100.2/24"], /needs --tap/],
    [["up", "--tap", "wt0"], /needs --ip A\.B\.C\.D\/LEN or --dhcp/],
    [["up", "--tap", "wt0", "--dhcp", "--ip", "198.51.100.2/24"], /--ip and --dhcp exclude each other/],
    [["up", "--tap", "wt0", "--dhcp", "--dns", "198.51.100.1"], /--gw and --dns go with --ip/],
    [["up", "--tap", "wt0", "--dhcp=1"], /--dhcp takes no value/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--dns", "x"], /--dns wants an IPv4 address/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--dns", "198.51.100.1", "--dns", "198.51.100.3", "--dns", "198.51.100.4", "--dns", "198.51.100.5"], /at most 3 --dns/],
    [["resolve", "--tap", "wt0", "--dhcp"], /resolve needs a NAME/],
    [["resolve", "device.test", "--tap", "wt0", "--ip", "198.51.100.2/24", "--no-ip6"], /resolve with --ip and --no-ip6 needs --dns/],
    [["resolve", "a.test", "b.test", "--tap", "wt0", "--dhcp"], /unexpected argument b\.test/],
    [["time", "--tap", "wt0", "--ip", "198.51.100.2/24"], /time with --ip needs a SERVER/],
    [["up", "--tap", "wt0", "--dhcp", "--hostname", "bad_name"], /--hostname wants 1-63 letters, digits and inner hyphens/],
    [["up", "--tap", "wt0", "--dhcp", "--hostname", "-lead"], /--hostname wants/],
    [["up", "--tap", "wt0", "--dhcp", "--hostname", "a".repeat(64)], /--hostname wants/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--hostname", "node"], /--hostname goes with --dhcp/],
    [["time", "ntp.test", "--tap", "wt0", "--dhcp"], /time wants the server as an IPv4 address/],
    [["time", "198.51.100.1", "--tap", "wt0", "--dhcp", "--http", "80"], /unknown option --http for time/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2"], /--ip wants A\.B\.C\.D\/LEN/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.300/24"], /--ip wants/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/33"], /--ip wants/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--echo", "70000"], /--echo wants a port/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--loss", "1.5"], /--loss wants a probability/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--mac", "zz"], /--mac wants/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--seed", "-1"], /--seed wants/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--bogus"], /unknown option --bogus/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "-o", "x"], /unknown option -o for up/],
    [["up", "--tap"], /--tap needs a value/],
    [["up", "--tap", "wt0", "--ip", "198.51.100.2/24", "--no-offload=yes"], /--no-offload takes no value/],
    [["get", "--tap", "wt0", "--ip", "198.51.100.2/24"], /get needs a URL/],
    [["get", "https://example.com/", "--tap", "wt0", "--ip", "198.51.100.2/24"], /unsupported URL/],
    [["get", "http://bad_name/", "--tap", "wt0", "--ip", "198.51.100.2/24"], /unsupported URL/],
    [["get", "http://198.51.100.1/", "http://198.51.100.1/", "--tap", "wt0", "--ip", "198.51.100.2/24"], /unexpected argument/],
    [["get", "http://198.51.100.1/", "--tap", "wt0", "--ip", "198.51.100.2/24", "--echo", "7"], /unknown option --echo for get/],
  ];
  for (const [argv, msg] of bad) {
    it(`bad usage \`${argv.join(" ")}\`: one-line error, exit code 2`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(/^error: /);
      expect(r.err[0]).toMatch(msg);
      expect(r.out).toBe("");
    });
  }
});

describe("CLI options to the stack", () => {
  it("TAP offloads are on by default; --no-offload turns them off for every command (the link's `offload` option)", () => {
    const base = ["--tap", "wt0", "--ip", "198.51.100.2/24"];
    expect(parseArgs("up", base).offload).toBe(true);
    expect(parseArgs("up", [...base, "--no-offload"]).offload).toBe(false);
    expect(parseArgs("get", ["http://198.51.100.1/", ...base, "--no-offload"]).offload).toBe(false);
    expect(parseArgs("resolve", ["device.test", ...base, "--dns", "198.51.100.1", "--no-offload"]).offload).toBe(false);
    expect(parseArgs("time", ["198.51.100.1", ...base, "--no-offload"]).offload).toBe(false);
  });
});

describe("bin/wasm-tcpip", () => {
  it("runs dist/cli.js with node: `up --help` exits 0, a bad flag exits 2 with one stderr line", () => {
    expect(existsSync(new URL("../dist/cli.js", import.meta.url)), "dist/cli.js missing: run `npm run tsbuild`").toBe(true);
    const bin = new URL("../bin/wasm-tcpip", import.meta.url).pathname;
    const help = spawnSync(process.execPath, [bin, "up", "--help"], { encoding: "utf8", timeout: 20_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: wasm-tcpip up /);
    const badFlag = spawnSync(process.execPath, [bin, "get", "--nope"], { encoding: "utf8", timeout: 20_000 });
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr.trim().split("\n")).toEqual(["error: unknown option --nope for get (see wasm-tcpip get --help)"]);
    expect(badFlag.stdout).toBe("");
  });
});
