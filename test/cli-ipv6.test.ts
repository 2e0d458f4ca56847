// IPv6 in the CLI (issue 10) over the emulated link with a virtual clock: bracketed IPv6 URLs
// (RFC 3986 §3.2.2, RFC 6874 zones), --ip6 / --no-ip6 and the stack options the CLI derives
// from them (IPv6 on by default, unlike createStack), `up`'s lines as addresses become preferred
// (RFC 4862 DAD, SLAAC from a router advertisement), the status page's IPv6 addresses, neighbor
// cache (RFC 4861 §7.3.2 states, router flag) and RDNSS servers, `get` by an AAAA name learned
// through RDNSS (RFC 8106), and the fallback to the other family when a connect is refused.
// The kernel side of the same features: test/interop/ipv6-cli.test.ts.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Sim, type Endpoint, type Link } from "../src/links/emulated.js";
import { createStack, NetStack } from "../src/net.js";
import { cliStackOptions, parseArgs, watchIp6 } from "../src/cli-net.js";
import { main } from "../src/cli.js";
import { connectFirst, formatIpv6, httpGet, httpServer, ip6Settle, parseHttpUrl, statusPage } from "../src/services.js";
import { decodeFrame, onesSum, pseudoSum6 } from "../src/trace.js";
import { readPcap } from "../src/pcap.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ip6ToBytes } from "../src/stack.js";
import { dnsServer } from "./helpers/dns-server.js";
import { frame6, icmp6, naBody, nsBody, optLla, optPrefix, raBody, u16be, u32be } from "./ipv6-wire.js";

async function run(argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err };
}

const ROUTER_LL = "fe80::1", ROUTER_MAC = "02:00:00:00:00:fe";
const SRV_MAC = "02:00:00:00:00:01", CLI_MAC = "02:00:00:00:00:02";

/**
 * A router on the link: answers router solicitations (and says so once at the start) with an RA
 * for 2001:db8:1::/64 (on-link, autonomous, valid 3600 s, preferred 1800 s) and, when given, an
 * RDNSS option (RFC 8106) naming `dns`.
 */
class Router implements Endpoint {
  readonly name = "router";
  private tx: ((f: Uint8Array) => void) | null = null;
  rs = 0;
  constructor(private dns?: string) {}
  attach(fn: ((f: Uint8Array) => void) | null): void { this.tx = fn; }
  input(f: Uint8Array): void {
    const d = decodeFrame(f);
    if (d.proto === "ICMPv6" && d.icmpType === 133) { this.rs++; this.advertise(); }
  }
  advertise(): void {
    const rdnss = this.dns ? [25, 3, 0, 0, ...u32be(600), ...Array.from(ip6ToBytes(this.dns))] : [];
    const opts = [...optLla(1, ROUTER_MAC), ...optPrefix("2001:db8:1::", 64, 0xc0, 3600, 1800), ...rdnss];
    this.tx?.(frame6(ROUTER_MAC, "33:33:00:00:00:01", { src: ROUTER_LL, dst: "ff02::1", nh: 58, hops: 255 },
      icmp6(ROUTER_LL, "ff02::1", 134, 0, raBody({ lifetime: 1800 }, opts))));
  }
}

/** A stack built from a CLI command line (cliStackOptions) on the emulated link. */
function cliStack(sim: Sim, link: Link, args: string[], seed: number): NetStack {
  const a = parseArgs("up", ["--tap", "unused", ...args]);
  const net = createStack({ ...cliStackOptions(a), seed, link: { type: "emulated", sim, link } });
  if (a.dns.length) net.setDns(a.dns); // as netCommand does
  return net;
}

/**
 * Run the Sim in 5 ms steps of virtual time until pred() holds (at most `ms`), letting promise
 * continuations run between steps: httpGet's own waits (ip6Settle: NetStack.until) run inside.
 */
async function drive(sim: Sim, pred: () => boolean, ms: number): Promise<boolean> {
  const end = sim.now() + ms;
  for (;;) {
    await new Promise((r) => setImmediate(r));
    if (pred()) return true;
    if (sim.now() >= end) return false;
    sim.run(sim.now() + 5);
  }
}

function world(clientArgs: string[] = [], dns?: string) {
  const sim = new Sim({ seed: 3 });
  const link = sim.link({ delayMs: 1 });
  const router = new Router(dns);
  link.attach(router);
  const srv = cliStack(sim, link, ["--ip", "198.51.100.1/24", "--mac", SRV_MAC, "--ip6", "2001:db8::1/64"], 11);
  const cli = cliStack(sim, link, ["--ip", "198.51.100.2/24", "--mac", CLI_MAC, ...clientArgs], 12);
  return { sim, link, router, srv, cli };
}

describe("CLI IPv6: URLs and options", () => {
  it("RFC 3986 §3.2.2: http://[2001:db8::1]:8000/path, with and without a port; RFC 6874 zones dropped; bad literals refused", () => {
    expect(parseHttpUrl("http://[2001:db8::1]:8000/path?q")).toEqual({ host: "2001:db8::1", port: 8000, path: "/path?q" });
    expect(parseHttpUrl("http://[2001:db8::1]/")).toEqual({ host: "2001:db8::1", port: 80, path: "/" });
    expect(parseHttpUrl("http://[2001:DB8:0:0::1]")).toEqual({ host: "2001:DB8:0:0::1", port: 80, path: "/" });
    expect(parseHttpUrl("http://[fe80::1%25tap0]:8080/x")).toEqual({ host: "fe80::1", port: 8080, path: "/x" });
    expect(() => parseHttpUrl("http://[2001:db8::g]/")).toThrow(/bad IPv6 address \[2001:db8::g\]/);
    expect(() => parseHttpUrl("http://[2001:db8:::1]/")).toThrow(/bad IPv6 address/);
    expect(() => parseHttpUrl("http://2001:db8::1/")).toThrow(/unsupported URL/); // unbracketed
    expect(() => parseHttpUrl("http://[2001:db8::1]:70000/")).toThrow(/bad port/);
    expect(() => parseHttpUrl("http://[2001:db8::1/")).toThrow(/unsupported URL/);
  });

  it("help of up, get and resolve names --ip6 ADDR/LEN and --no-ip6; get's names bracketed IPv6 URLs", async () => {
    for (const cmd of ["up", "get", "resolve", "time"]) {
      const r = await run([cmd, "--help"]);
      expect(r.out).toContain("--ip6 ADDR/LEN");
      expect(r.out).toContain("--no-ip6");
    }
    expect((await run(["get", "--help"])).out).toContain("http://[2001:db8::1]:8000/");
  });

  const bad: [string[], RegExp][] = [
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", "--ip6", "2001:db8::2"], /--ip6 wants an IPv6 ADDR\/LEN \(LEN 1\.\.128\), got 2001:db8::2$/],
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", "--ip6", "2001:db8::2/129"], /--ip6 wants/],
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", "--ip6", "2001:db8::2/0"], /--ip6 wants/],
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", "--ip6", "198.51.100.3/24"], /--ip6 wants/],
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", "--ip6", "2001:db8::zz/64"], /--ip6 wants/],
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", "--no-ip6", "--ip6", "2001:db8::2/64"], /--ip6 and --no-ip6 exclude each other/],
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", "--no-ip6=yes"], /--no-ip6 takes no value/],
    [["get", "http://[2001:db8::1]:8000/", "--tap", "t", "--ip", "198.51.100.2/24", "--no-ip6"], /an IPv6 address with --no-ip6/],
    [["get", "http://[2001:db8::x]/", "--tap", "t", "--ip", "198.51.100.2/24"], /bad IPv6 address/],
    [["resolve", "device.test", "--tap", "t", "--ip", "198.51.100.2/24", "--no-ip6"], /resolve with --ip and --no-ip6 needs --dns ADDR/],
    [["resolve", "device.test", "--tap", "t", "--ip", "198.51.100.2/24", "--no-ip6", "--dns", "2001:db8::53"], /an IPv6 --dns server with --no-ip6$/],
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", "--dns", "2001:db8::zz"], /--dns wants an IPv4 address or an IPv6 one, got 2001:db8::zz$/],
    [["up", "--tap", "t", "--ip", "198.51.100.2/24", ...["1", "2", "3", "4"].flatMap((k) => ["--dns", `2001:db8::${k}`])], /at most 3 --dns servers per family \(IPv6\)$/],
  ];
  for (const [argv, msg] of bad) {
    it(`bad usage \`${argv.join(" ")}\`: one line, exit 2`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^error: /);
      expect(r.err[0]).toMatch(msg);
    });
  }

  it("IPv6 is on by default in the CLI (createStack's default stays off); --ip6 repeats; --no-ip6 turns it off", () => {
    const base = ["--tap", "t", "--ip", "198.51.100.2/24"];
    expect(cliStackOptions(parseArgs("get", ["http://[2001:db8::1]/", ...base])).ipv6).toEqual({ addresses: [] });
    expect(cliStackOptions(parseArgs("up", [...base, "--ip6", "2001:db8::2/64", "--ip6=2001:db8:5::2/48"])).ipv6)
      .toEqual({ addresses: ["2001:db8::2/64", "2001:db8:5::2/48"] });
    // RFC 4862 §5.4.2 / RFC 4861 §6.3.7: `up` (an interface coming up) delays its first solicitation; one-shot commands do not
    expect(cliStackOptions(parseArgs("up", base), "up").ipv6).toEqual({ addresses: [], startDelay: true });
    expect(cliStackOptions(parseArgs("get", ["http://[2001:db8::1]/", ...base]), "get").ipv6).toEqual({ addresses: [] });
    expect(cliStackOptions(parseArgs("up", [...base, "--no-ip6"])).ipv6).toBe(false);
    expect(parseArgs("resolve", ["x.test", ...base]).ip6).toBe(true); // RDNSS may give the server
  });

  it("--no-ip6: the stack sends no IPv6 frame and the status page says ipv6: off", async () => {
    const sim = new Sim({ seed: 1 });
    const link = sim.link({ delayMs: 1 });
    let v6 = 0;
    link.tap((r) => { if (decodeFrame(r.frame).ethertype === 0x86dd) v6++; });
    const net = cliStack(sim, link, ["--ip", "198.51.100.2/24", "--no-ip6"], 1);
    await net.until(() => false, 5_000);
    expect(v6).toBe(0);
    expect(net.ipv6).toBe(false);
    expect(statusPage(net)).toMatch(/\ndhcp: STOPPED \(static address\)\nipv6: off\n/);
    net.close();
  });
});

describe("CLI IPv6 over the emulated link", () => {
  it("RFC 4862 §5.4 / §5.5.3: up prints the link-local, static and SLAAC addresses as each becomes preferred, after DAD", async () => {
    const { sim, srv, router } = world();
    const lines: string[] = [];
    const stop = watchIp6(srv, (l) => lines.push(l));
    const t0 = sim.now();
    expect(await srv.until(() => lines.length >= 3, 10_000)).toBe(true);
    stop();
    expect(router.rs).toBeGreaterThan(0);
    expect(lines).toHaveLength(3);
    expect(lines).toContain("ipv6: 2001:db8::1/64 preferred (static)");
    expect(lines.find((l) => l.includes("(link-local)"))).toMatch(/^ipv6: fe80::[0-9a-f:]+\/64 preferred \(link-local\)$/);
    expect(lines.find((l) => l.includes("(slaac"))).toMatch(/^ipv6: 2001:db8:1:0:[0-9a-f:]+\/64 preferred \(slaac, valid 3[56]\d\d s, preferred 1[78]\d\d s\)$/);
    expect(sim.now() - t0).toBeGreaterThanOrEqual(900); // DAD: about a second (RetransTimer) before any is usable
    srv.close();
  });

  it("status page over IPv6 (GET http://[2001:db8::1]/): every address with origin, state and lifetimes, the neighbor cache, RDNSS, the IPv6 connection bracketed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli6-"));
    const pcap = join(dir, "cli.pcap");
    const { srv, cli } = world(["--ip6", "2001:db8::2/64", "--pcap", pcap], "2001:db8::53");
    httpServer(srv, 80);
    const ready = (n: NetStack) => n.stack.ip6Addresses().filter((a) => a.state === "preferred").length === 3;
    expect(await srv.until(() => ready(srv) && ready(cli), 10_000)).toBe(true);
    let page = "";
    let err: Error | null = null;
    void httpGet(cli, "http://[2001:db8::1]/").then((r) => { page = r.body!.toString(); }, (e) => { err = e; });
    expect(await cli.until(() => page !== "" || err !== null, 20_000)).toBe(true);
    expect(err).toBeNull();
    expect(page.split("\n")[0]).toBe("wasm-tcpip 198.51.100.1/24");
    expect(page).toMatch(/\nipv6: on, link MTU 1500, hop limit 64, 1 default router\(s\), 1 on-link prefix\(es\), reachable time \d+ ms\n/);
    expect(page).toMatch(/\nipv6 addresses:\nAddress\s+Origin\s+State\s+Valid\s+Preferred\n/);
    expect(page).toMatch(/\nfe80::[0-9a-f:]+\/64\s+link-local\s+preferred\s+forever\s+forever\n/);
    expect(page).toMatch(/\n2001:db8::1\/64\s+static\s+preferred\s+forever\s+forever\n/);
    expect(page).toMatch(/\n2001:db8:1:0:[0-9a-f:]+\/64\s+slaac\s+preferred\s+(3[5-9]\d\d|3600) s\s+(1[7-8]\d\d) s\n/);
    expect(page).toMatch(/\nipv6 neighbors:\nAddress\s+MAC\s+State\s+Router\s+Probes\s+Queued\n/);
    // the client (resolved by our NS, confirmed by its NA: REACHABLE) and the router (from its RA's source link-layer option: STALE)
    expect(page).toMatch(/\n2001:db8::2\s+02:00:00:00:00:02\s+(REACHABLE|STALE|DELAY)\s+no\s+\d+\s+0\n/);
    expect(page).toMatch(/\nfe80::1\s+02:00:00:00:00:fe\s+STALE\s+yes\s+0\s+0\n/);
    expect(page).toMatch(/\nipv6 dns servers \(RDNSS\): 2001:db8::53 \(\d+ s left\)\n/);
    expect(page).toMatch(/\nESTABLISHED\s+\d+\s+\d+\s+\[2001:db8::1\]:80\s+\[2001:db8::2\]:\d+/);
    expect(page).toMatch(/\nLISTEN\s+0\s+0\s+198\.51\.100\.1:80/);
    srv.close();
    cli.close();
    // the client's pcap: every IPv6 frame decodes whole with a good checksum (ND, MLD, RA, TCP)
    const frames = readPcap(readFileSync(pcap)).packets.map((p) => decodeFrame(p.data)).filter((d) => d.ethertype === 0x86dd);
    rmSync(dir, { recursive: true, force: true });
    expect(frames.filter((d) => d.bad || d.l4SumOk !== true).map((d) => d.info)).toEqual([]);
    const kinds = new Set(frames.map((d) => d.info.split(" ").slice(0, 3).join(" ")));
    for (const k of ["ICMPv6 router solicitation", "ICMPv6 router advertisement", "ICMPv6 neighbor solicitation", "ICMPv6 neighbor advertisement", "ICMPv6 MLDv2 report"]) {
      expect([...kinds].some((x) => x.startsWith(k)), `${k} in ${[...kinds].join(", ")}`).toBe(true);
    }
    expect(frames.some((d) => /^TCP \[2001:db8::2\]:\d+ > \[2001:db8::1\]:80 \[SYN\] /.test(d.info))).toBe(true);
  });

  it("RFC 3596 + RFC 6724 §6: get by a name with A and AAAA records: IPv6 first once a global address of ours is preferred (SLAAC)", async () => {
    const { sim, srv, cli } = world(["--dns", "198.51.100.1"]);
    const slaac = () => srv.stack.ip6Addresses().find((a) => a.origin === "slaac" && a.state === "preferred")?.address;
    expect(await drive(sim, () => slaac() !== undefined, 10_000)).toBe(true);
    const srv6 = slaac()!; // on-link for the client too (the RA's prefix); 2001:db8::1 is not: it would go through the router
    dnsServer(srv, { "www.test": { a: "198.51.100.1", aaaa: srv6 } });
    httpServer(srv, 80);
    let page = "";
    let err: Error | null = null;
    void httpGet(cli, "http://www.test/").then((r) => { page = r.body!.toString(); }, (e) => { err = e; });
    expect(await drive(sim, () => page !== "" || err !== null, 30_000)).toBe(true);
    expect(err).toBeNull();
    expect(page).toContain(`[${srv6}]:80`);
    expect(page).toMatch(/\nESTABLISHED\s+\d+\s+\d+\s+\[2001:db8:1:0:[0-9a-f:]+\]:80\s+\[2001:db8:1:0:[0-9a-f:]+\]:\d+/); // from our SLAAC address
    srv.close();
    cli.close();
  });

  it("--dns takes IPv6 servers (the core's ip6SetDns): resolve asks the IPv6 one only, and does not wait for RDNSS", async () => {
    const { sim, srv, cli } = world(["--ip6", "2001:db8::2/64", "--dns", "2001:db8::1", "--dns", "198.51.100.9"]);
    expect(parseArgs("up", ["--tap", "t", "--ip", "198.51.100.2/24", "--dns", "2001:db8::1", "--dns", "198.51.100.9"]).dns).toEqual(["2001:db8::1", "198.51.100.9"]);
    expect(cli.getServers()).toEqual(["198.51.100.9", "2001:db8::1"]);
    expect(formatIpv6(cli)).toContain("ipv6 dns servers (set): 2001:db8::1");
    expect(formatIpv6(srv).some((l) => l.startsWith("ipv6 dns servers (set)"))).toBe(false);
    cli.setDns(["2001:db8::1"]); // the IPv6 server alone (198.51.100.9 would be asked first and time out)
    const questions = dnsServer(srv, { "www.test": { a: "198.51.100.1", aaaa: "2001:db8::1" } });
    const ready = (n: NetStack) => n.stack.ip6Addresses().some((a) => a.origin === "static" && a.state === "preferred");
    expect(await drive(sim, () => ready(srv) && ready(cli), 10_000)).toBe(true);
    const t0 = sim.now();
    let settled = false;
    void ip6Settle(cli, "www.test", 10_000).then(() => { settled = true; });
    expect(await drive(sim, () => settled, 10_000)).toBe(true);
    expect(sim.now() - t0).toBeLessThan(100); // no RDNSS awaited: a server was given
    let list: unknown = null;
    void cli.promises.lookup("www.test", { all: true }).then((x) => { list = x; }, (e) => { list = e; });
    expect(await drive(sim, () => list !== null, 10_000)).toBe(true);
    expect(list).toEqual([{ address: "198.51.100.1", family: 4 }, { address: "2001:db8::1", family: 6 }]);
    expect(questions.map((q) => q.family)).toEqual(["IPv6", "IPv6"]);
    srv.close();
    cli.close();
  });

  it("status page: a TIME-WAIT entry of an IPv6 peer shows its real addresses (the core's compact rows carry both 16-byte addresses)", async () => {
    const { sim, srv, cli } = world(["--ip6", "2001:db8::2/64"]);
    httpServer(srv, 80);
    const pages: string[] = [];
    for (let i = 0; i < 2; i++) { // the first GET's connection waits in TIME-WAIT at the server (it closed first) during the second
      let done = false;
      void httpGet(cli, "http://[2001:db8::1]/").then((r) => { pages.push(r.body!.toString()); done = true; }, (e) => { pages.push(String(e)); done = true; });
      expect(await drive(sim, () => done, 10_000)).toBe(true);
    }
    expect(pages[1]).toMatch(/\nTIME-WAIT\s+0\s+0\s+\[2001:db8::1\]:80\s+\[2001:db8::2\]:\d+\s+timewait \d+ms\n/);
    expect(pages[1]).not.toMatch(/TIME-WAIT.*(0\.0\.0\.0|\(ipv6\))/);
    srv.close();
    cli.close();
  });

  it("a refused IPv6 connect falls back to the next address, IPv4 (another host listening there)", async () => {
    const { sim, link, srv, cli } = world(["--ip6", "2001:db8::2/64"]);
    const v4 = cliStack(sim, link, ["--ip", "198.51.100.3/24", "--mac", "02:00:00:00:00:03", "--no-ip6"], 13);
    v4.createServer((s) => s.end("v4 only\n")).listen(8080);
    const ready = (n: NetStack) => n.stack.ip6Addresses().some((a) => a.origin === "static" && a.state === "preferred");
    expect(await srv.until(() => ready(srv) && ready(cli), 10_000)).toBe(true);
    let family = "";
    let err: Error | null = null;
    void connectFirst(cli, ["2001:db8::1", "198.51.100.3"], 8080).then((s) => { family = s.remoteFamily ?? "?"; s.destroy(); }, (e) => { err = e; });
    expect(await cli.until(() => family !== "" || err !== null, 20_000)).toBe(true);
    expect(err).toBeNull();
    expect(family).toBe("IPv4");
    let refused: NodeJS.ErrnoException | null = null;
    void connectFirst(cli, ["2001:db8::1"], 8080).catch((e) => { refused = e; });
    expect(await cli.until(() => refused !== null, 20_000)).toBe(true);
    expect(refused!.code).toBe("ECONNREFUSED");
    v4.close();
    srv.close();
    cli.close();
  });
});

describe("trace.ts: IPv6 frames (summary lines for the CLI, pcaps and ladders)", () => {
  const A = "2001:db8::1", B = "2001:db8::2", MA = "02:00:00:00:00:01", MB = "02:00:00:00:00:02";
  /** A TCP or UDP segment over IPv6 with its RFC 8200 §8.1 checksum (`sum`: override the field). */
  const l4 = (proto: 6 | 17, body: number[], sum?: number) => {
    const seg = [...body];
    const at = proto === 6 ? 16 : 6;
    const c = sum ?? (~onesSum(seg, pseudoSum6(ip6ToBytes(A), ip6ToBytes(B), proto, seg.length)) & 0xffff);
    seg[at] = c >> 8; seg[at + 1] = c & 255;
    return frame6(MA, MB, { src: A, dst: B, nh: proto }, seg);
  };

  it("ICMPv6 (RFC 4443, RFC 4861): echo, NS with its target, NA flags, RA, packet too big; a bad checksum is flagged", () => {
    const echo = decodeFrame(frame6(MA, MB, { src: A, dst: B, nh: 58 }, icmp6(A, B, 128, 0, [0, 7, 0, 3, 1, 2, 3])));
    expect(echo).toMatchObject({ proto: "ICMPv6", icmpType: 128, icmpId: 7, icmpSeq: 3, len: 3, l4SumOk: true, ttl: 64 });
    expect(echo.info).toBe("ICMPv6 echo request 2001:db8::1 > 2001:db8::2 id=7 seq=3 len=3");
    const ns = decodeFrame(frame6(MA, MB, { src: "::", dst: "ff02::1:ff00:2", nh: 58, hops: 255 }, icmp6("::", "ff02::1:ff00:2", 135, 0, nsBody(B))));
    expect(ns.info).toBe("ICMPv6 neighbor solicitation :: > ff02::1:ff00:2 who-has 2001:db8::2");
    expect(ns.ndTarget).toBe(B);
    const na = decodeFrame(frame6(MA, MB, { src: B, dst: A, nh: 58, hops: 255 }, icmp6(B, A, 136, 0, naBody(B, 0xe0, optLla(2, MB)))));
    expect(na.info).toBe("ICMPv6 neighbor advertisement 2001:db8::2 > 2001:db8::1 2001:db8::2 [RSO]");
    const ra = decodeFrame(frame6(MA, MB, { src: "fe80::1", dst: "ff02::1", nh: 58, hops: 255 }, icmp6("fe80::1", "ff02::1", 134, 0, raBody({ lifetime: 1800, flags: 0x40 }))));
    expect(ra.info).toBe("ICMPv6 router advertisement fe80::1 > ff02::1 hoplimit=64 lifetime=1800s O");
    const ptb = decodeFrame(frame6(MA, MB, { src: A, dst: B, nh: 58 }, icmp6(A, B, 2, 0, [...u32be(1280), 0x60, 0, 0, 0])));
    expect(ptb.info).toBe("ICMPv6 packet too big 2001:db8::1 > 2001:db8::2 mtu=1280");
    const bad = decodeFrame(frame6(MA, MB, { src: A, dst: B, nh: 58 }, icmp6(A, B, 128, 0, [0, 1, 0, 1], true)));
    expect(bad.l4SumOk).toBe(false);
  });

  it("RFC 8200 §8.1: TCP and UDP over IPv6 with bracketed addresses, the pseudo-header checksum verified; UDP checksum 0 is not valid over IPv6", () => {
    const syn = [...u16be(1234), ...u16be(80), ...u32be(1000), ...u32be(0), 0x60, 0x02, ...u16be(65535), 0, 0, 0, 0, 2, 4, ...u16be(1440)];
    const t = decodeFrame(l4(6, syn));
    expect(t).toMatchObject({ proto: "TCP", src: A, dst: B, srcPort: 1234, dstPort: 80, flags: "SYN", l4SumOk: true, options: ["mss=1440"] });
    expect(t.info).toBe("TCP [2001:db8::1]:1234 > [2001:db8::2]:80 [SYN] seq=1000 win=65535 len=0 <mss=1440>");
    expect(t.ip6).toMatchObject({ payloadLen: 24, hopLimit: 64, nextHeader: 6, proto: 6, extHeaders: [] });
    expect(decodeFrame(l4(6, syn, 0x1234)).l4SumOk).toBe(false);
    const dgram = [...u16be(5353), ...u16be(53), ...u16be(11), 0, 0, 1, 2, 3];
    const u = decodeFrame(l4(17, dgram));
    expect(u.info).toBe("UDP [2001:db8::1]:5353 > [2001:db8::2]:53 len=3");
    expect(u.l4SumOk).toBe(true);
    expect(decodeFrame(l4(17, dgram, 0)).l4SumOk).toBe(false);
  });

  it("RFC 8200 §4: extension headers are walked (hop-by-hop, fragment); a fragment is summarized, a truncated chain is reported, never thrown", () => {
    const mld = icmp6("fe80::1", "ff02::16", 143, 0, [0, 0, 0, 0]);
    const hbh = decodeFrame(frame6(MA, MB, { src: "fe80::1", dst: "ff02::16", nh: 0, hops: 1 }, [58, 0, 5, 2, 0, 0, 1, 0, ...mld]));
    expect(hbh.ip6!.extHeaders).toEqual([0]);
    expect(hbh.info).toBe("ICMPv6 MLDv2 report fe80::1 > ff02::16 records=0");
    const frag = decodeFrame(frame6(MA, MB, { src: A, dst: B, nh: 44 }, [17, 0, 0, 1, ...u32be(0xabc), ...new Array(16).fill(0)]));
    expect(frag.ip6!.frag).toEqual({ id: 0xabc, offset: 0, more: true });
    expect(frag.info).toBe("IPv6 fragment 2001:db8::1 > 2001:db8::2 id=2748 off=0+ proto 17 len 16");
    const cut = decodeFrame(frame6(MA, MB, { src: A, dst: B, nh: 60 }, [6, 3, 0, 0]));
    expect(cut.bad).toBe("truncated ipv6 extension header");
    const lying = decodeFrame(frame6(MA, MB, { src: A, dst: B, nh: 58, plen: 400 }, [128, 0, 0, 0]));
    expect(lying.bad).toBe("bad ipv6 header");
    expect(decodeFrame(frame6(MA, MB, { src: A, dst: B, nh: 58 }, []).subarray(0, 40)).bad).toBe("truncated ipv6");
  });
});
