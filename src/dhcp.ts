// The DHCP client seen from Node: options for createStack({ dhcp }) applied to the core before
// dhcpStart (docs/abi.md "DHCP client"), and the core's DhcpState events turned into lease events:
//
//   net.on("dhcp", (event, lease) => ...)   event "bound" | "renewed" | "lost", with a DhcpLease;
//                                           every state change also arrives as its name
//                                           ("SELECTING", "BOUND", ...) without a lease.
//
// bound: a lease was obtained (DISCOVER or INIT-REBOOT), or a renewal moved us to another address;
// renewed: RENEWING/REBINDING ended with an ACK for the same address;
// lost: the lease expired or a NAK came while bound (the address is already gone). dhcpStop is no loss.
import { Stack } from "./stack.js";

export interface DhcpOptions {
  /** Option 12: one RFC 1123 label (1-63 letters, digits, inner hyphens). */
  hostname?: string;
  /** Option 61, sent as given (a string: its UTF-8 bytes); default type 1 + the MAC. */
  clientId?: Uint8Array | string;
  /** An address remembered from an earlier boot: asked for first (RFC 2131 §3.2 INIT-REBOOT). */
  requestAddress?: string;
}

export interface DhcpLease {
  address: string;
  prefix: number;
  router: string | null;
  dns: string[];
  ntp: string[];
  leaseSeconds: number;
  serverId: string | null;
}

export type DhcpLeaseEvent = "bound" | "renewed" | "lost";

const BOUND = 5, RENEWING = 6, REBINDING = 7, INIT = 1;

/** Apply `o` to the (stopped) client; the first error as [call, -Err], or null. */
export function configureDhcp(stack: Stack, o: DhcpOptions): [string, number] | null {
  if (o.hostname !== undefined) {
    const r = stack.dhcpSetHostname(o.hostname);
    if (r !== 0) return ["dhcpSetHostname", r];
  }
  if (o.clientId !== undefined) {
    const r = stack.dhcpSetClientId(typeof o.clientId === "string" ? Buffer.from(o.clientId, "utf8") : o.clientId);
    if (r !== 0) return ["dhcpSetClientId", r];
  }
  if (o.requestAddress !== undefined) {
    let r: number;
    try { r = stack.dhcpSetRequestAddress(o.requestAddress); } catch { r = -1; }
    if (r !== 0) return ["dhcpSetRequestAddress", r];
  }
  return null;
}

/** Follows DhcpState events (called in order, inside the core's event callback) and says which lease event each makes. */
export class DhcpTracker {
  private prev = 0;
  /** The current lease, null when none. */
  lease: DhcpLease | null = null;

  constructor(private stack: Stack) {}

  /** The core entered `state`: the lease event it makes, if any (reads the core's state: call it from the event). */
  onState(state: number): [DhcpLeaseEvent, DhcpLease] | null {
    const prev = this.prev;
    this.prev = state;
    if (state === BOUND) {
      const lease = this.read();
      const same = (prev === RENEWING || prev === REBINDING) && this.lease?.address === lease.address;
      this.lease = lease;
      return [same ? "renewed" : "bound", lease];
    }
    if (state === INIT && (prev === BOUND || prev === RENEWING || prev === REBINDING) && this.lease) {
      const lost = this.lease;
      this.lease = null;
      return ["lost", lost];
    }
    if (state === 0) this.lease = null; // stopped
    return null;
  }

  private read(): DhcpLease {
    const d = this.stack.dhcpInfo();
    return {
      address: d.address ?? "0.0.0.0", prefix: d.prefixLen, router: d.router, dns: this.stack.ifaceInfo().dns, ntp: d.ntp,
      leaseSeconds: d.leaseSecs, serverId: d.serverId,
    };
  }
}
