// MLDv2 Multicast Listener Report (RFC 3810 §5.2) framing: the Hop-by-Hop header with the Router
// Alert option (RFC 2711; §5 requires it) and the report header; ip/ipv6.ts writes the records
// (20 bytes each: type, aux 0, no sources, the group) and decides when to send (§6.1, §6.2).
import { NH_ICMPV6 } from "../wire/ipv6";
import { MLD2_REPORT } from "../wire/icmp6";

/** ff02::16, all MLDv2-capable routers (§5.2.14). */
export const MLD_ALL_ROUTERS_V2: usize = memory.data<u8>([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16]);

/**
 * At p: the 8-byte Hop-by-Hop header (next header ICMPv6, Router Alert value 0 = MLD, PadN) and
 * the report header for `records` records already written at p + 16. Returns the bytes after
 * the IPv6 header (8 + 8 + 20 * records); the ICMPv6 message starts at p + 8.
 */
export function mldReportEmit(p: usize, records: i32): i32 {
  store<u8>(p, NH_ICMPV6);
  store<u8>(p + 1, 0);
  store<u32>(p + 2, 0x00000205); // 05 02 00 00: Router Alert, value 0 (MLD)
  store<u16>(p + 6, 0x0001);     // 01 00: PadN of 0 bytes
  store<u32>(p + 8, <u32>MLD2_REPORT); // type, reserved, checksum 0
  store<u16>(p + 12, 0);
  store<u16>(p + 14, <u16>(((records & 0xff) << 8) | ((records >> 8) & 0xff)));
  return 16 + 20 * records;
}
