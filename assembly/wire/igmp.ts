// IGMPv2 messages (RFC 2236 §2): 8 bytes, [type][max resp time][checksum][group address].
// Accessors over bytes, a validating parse and an emit; no state.
import { count, Stat } from "../stats";
import { checksum, checksumInto } from "../checksum";

export const PROTO_IGMP: u8 = 2;
export const IGMP_LEN: i32 = 8;
export const IGMP_QUERY: u8 = 0x11;        // Membership Query (general: group 0; group-specific)
export const IGMP_V1_REPORT: u8 = 0x12;    // Version 1 Membership Report
export const IGMP_V2_REPORT: u8 = 0x16;    // Version 2 Membership Report
export const IGMP_LEAVE: u8 = 0x17;        // Leave Group
export const IGMP_ALL_HOSTS: u32 = 0xe0000001;    // 224.0.0.1
export const IGMP_ALL_ROUTERS: u32 = 0xe0000002;  // 224.0.0.2

@inline export function igmpType(p: usize): u8 { return load<u8>(p); }
/** Max Resp Time in units of 1/10 second (0 in an IGMPv1 query). */
@inline export function igmpMaxResp(p: usize): u32 { return <u32>load<u8>(p, 1); }
@inline export function igmpGroup(p: usize): u32 { return bswap<u32>(load<u32>(p, 4)); }

/**
 * Validate `len` bytes of IGMP message at p: at least 8 bytes, the checksum over the whole
 * message (RFC 2236 §2.3), and a group field that is 0 or multicast (224.0.0.0/4).
 * Returns 0, or -1 (counted: igmp_bad_length, igmp_bad_checksum, igmp_bad_group).
 */
export function igmpParse(p: usize, len: i32): i32 {
  if (len < IGMP_LEN) { count(Stat.IgmpBadLength); return -1; }
  if (checksum(p, len) != 0) { count(Stat.IgmpBadChecksum); return -1; }
  let g = igmpGroup(p);
  if (g != 0 && (g >> 28) != 0xe) { count(Stat.IgmpBadGroup); return -1; }
  return 0;
}

/** Write an 8-byte IGMP message at p with its checksum; returns 8. */
export function igmpEmit(p: usize, type: u8, maxResp: u8, group: u32): i32 {
  store<u8>(p, type);
  store<u8>(p, maxResp, 1);
  store<u32>(p, bswap<u32>(group), 4);
  checksumInto(p, IGMP_LEN, 2);
  return IGMP_LEN;
}
