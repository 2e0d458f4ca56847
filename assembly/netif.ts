// The narrow surface the interface hands to upper layers (TCP, UDP) so that they can
// emit IP datagrams without importing iface.ts (imports point down the data path).
// iface.ts fills these in at init.

/** Where an upper layer writes its IP payload before calling ipSend (tx frame + 14 + 20). */
export let ipTxPayload: usize = 0;
/** Our IPv4 address (host order). */
export let localAddr: u32 = 0;
/**
 * Time (u32 ms) of the ABI call in progress: iface sets it on input, poll and ping, so an
 * upper layer can read it in calls that carry no time. ABI calls into upper layers that
 * start timers should take `now` and set it too (netNow = now).
 */
export let netNow: u32 = 0;
/** IP MTU in bytes (payload limit = ipMtu - 20). */
export let ipMtu: i32 = 1500;

function noSend(dst: u32, proto: u8, len: i32): bool { return false; }

/** Set by iface at init: builds the IPv4 + Ethernet headers around the payload at ipTxPayload and sends it. */
export let ipSendFn: (dst: u32, proto: u8, len: i32) => bool = noSend;

/** Send `len` bytes of payload already written at ipTxPayload to `dst` as protocol `proto`. False when it cannot (counted). */
export function ipSend(dst: u32, proto: u8, len: i32): bool { return ipSendFn(dst, proto, len); }

/** Called by iface at init. */
export function netifSetup(txPayload: usize, addr: u32, mtu: i32, send: (dst: u32, proto: u8, len: i32) => bool): void {
  ipTxPayload = txPayload;
  localAddr = addr;
  ipMtu = mtu;
  ipSendFn = send;
}

/** Called by iface when the address is set or cleared at run time (0 = none). */
export function netifSetAddr(addr: u32): void { localAddr = addr; }
