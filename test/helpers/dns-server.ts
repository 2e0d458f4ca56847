// A minimal DNS server (RFC 1035 §4.1) for emulated-link tests: answers A and AAAA questions
// from a table over UDP port 53 (IPv4 and IPv6 clients), NXDOMAIN for other names; it records
// each question (name, type, the client's family) for the tests to check.
import type { NetStack } from "../../src/net.js";
import { ip6ToBytes } from "../../src/stack.js";
import { u32be } from "../ipv6-wire.js";

export interface DnsRecords { [name: string]: { a?: string; aaaa?: string } }
export interface DnsQuestion { name: string; qtype: number; family: string }



export function dnsServer(net: NetStack, records: DnsRecords): DnsQuestion[] {
  const log: DnsQuestion[] = [];
  const s = net.createSocket("udp6");
  s.on("message", (q, rinfo) => {
    let o = 12;
    const labels: string[] = [];
    while (q[o] !== 0) { labels.push(q.subarray(o + 1, o + 1 + q[o]).toString("latin1")); o += q[o] + 1; }
    const qtype = q.readUInt16BE(o + 1);
    const question = q.subarray(12, o + 5);
    const name = labels.join(".").toLowerCase();
    log.push({ name, qtype, family: rinfo.family });
    const rec = records[name];
    const text = qtype === 1 ? rec?.a : qtype === 28 ? rec?.aaaa : undefined;
    const rdata = text === undefined ? null : qtype === 1 ? text.split(".").map(Number) : Array.from(ip6ToBytes(text));
    const answer = rdata ? [0xc0, 12, 0, qtype, 0, 1, ...u32be(60), 0, rdata.length, ...rdata] : [];
    const head = [q[0], q[1], 0x81, rec ? 0x80 : 0x83, 0, 1, 0, answer.length ? 1 : 0, 0, 0, 0, 0];
    s.send(Buffer.concat([Buffer.from(head), question, Buffer.from(answer)]), rinfo.port, rinfo.address);
  });
  s.bind(53);
  return log;
}
