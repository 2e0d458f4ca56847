// Checksum offload (Cfg.CsumOffload, Cfg.LinkTrusted): what Linux does on lo and veth, where a
// frame never leaves the host and its TCP/UDP checksum is neither computed (CHECKSUM_PARTIAL) nor
// verified (CHECKSUM_UNNECESSARY). Off by default; RX trusts a checksum only while the host has
// marked the link trusted, so turning on bit 2 alone never lets a bad segment in from a real link.
// Compiled into builds with WT_SCALE only (the host builds): the MCU builds always compute and
// verify, and carry no byte of this.
import { Cfg, cfg } from "../config";
import { FEAT_SCALE } from "../features";

export const CSUM_OFFLOAD: bool = FEAT_SCALE;

/** TX: leave TCP (and UDP-over-IPv4) checksums 0 for the link. */
@inline export function txCsumOffloaded(): bool {
  return CSUM_OFFLOAD && (cfg(Cfg.CsumOffload) & 1) != 0;
}

/** RX: the link is trusted and RX offload is on: TCP (and UDP-over-IPv4) checksums are not verified. */
@inline export function rxCsumTrusted(): bool {
  return CSUM_OFFLOAD && (cfg(Cfg.CsumOffload) & 2) != 0 && cfg(Cfg.LinkTrusted) == 1;
}
