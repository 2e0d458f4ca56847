// tshark as an independent judge of the frames we write (pcap files).
import { execFileSync } from "node:child_process";

/** tshark's view of a capture: one row per frame, the given fields, checksums validated. */
export function tsharkRows(file: string, fields: string[]): string[][] {
  const out = execFileSync("tshark", [
    "-n", "-r", file,
    "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
    "-T", "fields", "-E", "separator=|", ...fields.flatMap((f) => ["-e", f]),
  ], { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
  return out.split("\n").filter((l) => l.length > 0).map((l) => l.split("|"));
}

const CHECKSUMS = ["ip.checksum.status", "icmp.checksum.status", "udp.checksum.status", "tcp.checksum.status"];

/** Frames tshark marks malformed or with a bad IP/ICMP/UDP/TCP checksum (status 0 = bad). Empty = clean. */
export function tsharkProblems(file: string): string[] {
  const bad: string[] = [];
  for (const [n, malformed, ...sums] of tsharkRows(file, ["frame.number", "_ws.malformed", ...CHECKSUMS])) {
    if (malformed !== "") bad.push(`frame ${n}: malformed`);
    sums.forEach((s, i) => { if (s.split(",").includes("0")) bad.push(`frame ${n}: bad ${CHECKSUMS[i]}`); });
  }
  return bad;
}
