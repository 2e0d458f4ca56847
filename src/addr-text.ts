// IP address text as the Node host's socket modules read it (net.ts, dgram.ts): one copy of each
// rule, over stack.ts's parsers. A leaf: it imports neither of them.
import { isIP } from "node:net";
import { bytesToIp6, ip6ToBytes, ipToU32 } from "./stack.js";

/** An IPv6 literal without brackets or a zone ("[fe80::1%eth0]" -> "fe80::1"), or null when `h` is not one. */
export function ip6Literal(h: string): string | null {
  if (!h.includes(":")) return null;
  const a = h.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  try { ip6ToBytes(a); return a; } catch { return null; }
}

/** Is the 16-byte address IPv4-mapped (::ffff:a.b.c.d, RFC 4291 §2.5.5.2)? */
export function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** What a server is bound to: the 16 bytes the core takes (tcpBind6) and what server.address() reports. */
export interface BindAddress {
  bytes: Uint8Array;
  /** As node:net reports it (the kernel's getsockname): dotted IPv4, RFC 5952 IPv6, ::ffff:a.b.c.d for a mapped one. */
  address: string;
  /** "IPv6" for every IPv6 literal, mapped ones included (node:net's socket is then AF_INET6). */
  family: "IPv4" | "IPv6";
}

/**
 * A listen() host as node:net reads it: an IP literal (node's isIP: strict dotted quads, IPv6 with
 * an optional %zone, no brackets) gives its address; "0.0.0.0" is every IPv4 address (bytes
 * ::ffff:0.0.0.0) and "::" every address of both families (::). Null for anything else (a name).
 */
export function bindAddress(host: string): BindAddress | null {
  const kind = isIP(host);
  if (kind === 4) {
    const v = ipToU32(host);
    const bytes = new Uint8Array(16);
    bytes[10] = 0xff; bytes[11] = 0xff;
    new DataView(bytes.buffer).setUint32(12, v);
    return { bytes, address: host, family: "IPv4" };
  }
  if (kind !== 6) return null;
  const bytes = ip6ToBytes(host.replace(/%.*$/, ""));
  const address = isMapped(bytes) ? `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}` : bytesToIp6(bytes);
  return { bytes, address, family: "IPv6" };
}

/** What ownAddress needs of a stack: its IPv4 address and, with IPv6, its address table. */
export interface AddressOwner {
  readonly address: string;
  readonly ipv6: boolean;
  readonly stack: { ip6Addresses(): { address: string; state: string }[] };
}

/**
 * Is the 16-byte bind address a wildcard (::, ::ffff:0.0.0.0) or one of `net`'s addresses (its IPv4
 * one, mapped; an IPv6 one that is preferred or deprecated: tentative and duplicate ones are not ours)?
 */
export function ownAddress(b: Uint8Array, net: AddressOwner): boolean {
  if (b.every((x) => x === 0)) return true;
  if (isMapped(b)) {
    const v = new DataView(b.buffer, b.byteOffset, 16).getUint32(12);
    return v === 0 || v === ipToU32(net.address);
  }
  const text = bytesToIp6(b);
  return net.ipv6 && net.stack.ip6Addresses().some((x) => x.address === text && (x.state === "preferred" || x.state === "deprecated"));
}
