// Scenario helpers on top of tcp-harness: a host connected to a scripted RawPeer,
// with the peer's and the host's sequence numbers tracked for crafting segments.
import { ACK, FIN, Host, Net, RawPeer, S, SYN, Seg, TcpOpts } from "./tcp-harness.js";

export const PEER_IP = "198.51.100.9";
export const HOST_IP = "198.51.100.2";

export interface PeerConn {
  net: Net; h: Host; p: RawPeer; sock: number; listener: number;
  hport: number; pport: number;
  /** peer's next sequence number / what the peer acknowledges next */
  pseq: number; pack: number;
  syn: Seg;
}

/** `build`: the module file (default build/testing.wasm; build/testing.mcu.wasm for the MCU build). */
export async function hostAndPeer(cfg: Record<string, number> = {}, build?: string): Promise<{ net: Net; h: Host; p: RawPeer }> {
  const net = new Net();
  const h = await net.host({ ip: HOST_IP, cfg: cfg as never, build });
  const p = net.peer(PEER_IP);
  (h.x.ping as (d: number, i: number, s: number, l: number) => number)(p.ip, 1, 1, 0); // resolve ARP first
  net.run(5);
  return { net, h, p };
}

/** The host actively opens to the peer; the peer answers SYN+ACK (with `opts`); the host ACKs. */
export async function activeToPeer(cfg: Record<string, number> = {}, opts: TcpOpts = { mss: 1460 }, piss = 5000, build?: string): Promise<PeerConn> {
  const { net, h, p } = await hostAndPeer(cfg, build);
  const sock = h.open();
  h.connect(sock, PEER_IP, 7000);
  net.run(3);
  const syn = p.rx.find((s) => s.flags & SYN)!;
  p.take();
  p.send(h, { sport: 7000, dport: syn.sport, seq: piss, ack: syn.seq + 1, flags: SYN | ACK, opts, wnd: 65535 });
  net.run(3);
  if (h.state(sock) !== S.ESTABLISHED) throw new Error(`not established: ${h.state(sock)}`);
  p.take();
  return { net, h, p, sock, listener: -1, hport: syn.sport, pport: 7000, pseq: piss + 1, pack: syn.seq + 1, syn };
}

/** The peer actively opens to a listener on the host; returns the accepted socket. */
export async function peerToListener(cfg: Record<string, number> = {}, opts: TcpOpts = { mss: 1460 }, piss = 9000, port = 80, build?: string): Promise<PeerConn> {
  const { net, h, p } = await hostAndPeer(cfg, build);
  const l = h.open();
  h.bind(l, port);
  h.listen(l, 4);
  p.send(h, { sport: 40000, dport: port, seq: piss, flags: SYN, opts, wnd: 65535 });
  net.run(3);
  const synack = p.rx.find((s) => (s.flags & (SYN | ACK)) === (SYN | ACK))!;
  p.take();
  const ts = opts.ts && synack.opts.ts ? { ts: [opts.ts[0] + 1, synack.opts.ts[0]] as [number, number] } : undefined;
  p.send(h, { sport: 40000, dport: port, seq: piss + 1, ack: synack.seq + 1, flags: ACK, wnd: 65535, opts: ts });
  net.run(3);
  const sock = h.accept(l);
  if (sock <= 0) throw new Error(`accept ${sock}`);
  return { net, h, p, sock, listener: l, hport: port, pport: 40000, pseq: piss + 1, pack: synack.seq + 1, syn: synack };
}

/** Peer sends a segment on the connection using its tracked sequence numbers. */
export function peerSend(c: PeerConn, flags: number, payload?: Uint8Array, extra: Partial<{ seq: number; ack: number; wnd: number; opts: TcpOpts }> = {}): void {
  c.p.send(c.h, {
    sport: c.pport, dport: c.hport, seq: extra.seq ?? c.pseq, ack: extra.ack ?? c.pack, flags, payload,
    wnd: extra.wnd ?? 65535, opts: extra.opts,
  });
  if (extra.seq === undefined) c.pseq = (c.pseq + (payload?.length ?? 0) + ((flags & SYN) ? 1 : 0) + ((flags & 1) ? 1 : 0)) >>> 0;
}

/** The host closes first (`close`, or `shutdown` keeping the handle): returns the FIN the peer saw (its inbox is emptied). */
export function hostFin(c: PeerConn, how: "close" | "shutdown" = "close"): Seg {
  if (how === "close") c.h.close(c.sock); else c.h.shutdown(c.sock);
  c.net.run(3);
  const fin = c.p.take().find((x) => x.flags & FIN);
  if (!fin) throw new Error("the host sent no FIN");
  return fin;
}

/** The peer acknowledges the host's `fin` with its own FIN (the host goes to TIME-WAIT). */
export function peerFinAck(c: PeerConn, fin: Seg): void {
  peerSend(c, FIN | ACK, undefined, { ack: fin.seq + 1 });
  c.net.run(3);
}

/** The host in SYN-SENT towards the peer; returns the SYN the peer saw. */
export async function synSentToPeer(cfg: Record<string, number> = {}) {
  const { net, h, p } = await hostAndPeer(cfg);
  const s = h.open();
  h.connect(s, PEER_IP, 7000);
  net.run(3);
  const syn = p.take()[0];
  return { net, h, p, s, syn };
}

/** A host with a listener on `port`; the scripted peer is ready to send SYNs. */
export async function listenerAndPeer(cfg: Record<string, number> = {}, port = 80, backlog = 4) {
  const { net, h, p } = await hostAndPeer(cfg);
  const l = h.open();
  h.bind(l, port);
  h.listen(l, backlog);
  return { net, h, p, l };
}
