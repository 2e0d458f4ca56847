// Error codes and event kinds shared by the ABI and the layers below it (a leaf module:
// tcp/ and sockets.ts import it without importing abi.ts). abi.ts re-exports both.

/** Error codes returned (negated) by ABI calls; hosts map them to Node codes. */
export const enum Err {
  OK = 0,
  EINVAL = 1,      // bad argument
  ENOMEM = 2,      // pool exhausted / init failed
  EBADF = 3,       // unknown or closed handle
  EADDRINUSE = 4,
  ECONNREFUSED = 5,
  ECONNRESET = 6,
  ETIMEDOUT = 7,
  ENOTCONN = 8,
  EISCONN = 9,
  EPIPE = 10,      // write after shutdown
  EAGAIN = 11,     // would block (no data / no space / nothing to accept)
  EALREADY = 12,
  EOPNOTSUPP = 13, // e.g. read on a listener
  EHOSTUNREACH = 14,
  ESTATE = 15,     // called before init / twice
  EADDRNOTAVAIL = 16, // the local address went away (connections on it are aborted with this)
  EMSGSIZE = 17,   // datagram larger than one IP packet at the MTU
}

/** Kinds passed to the host's event(sock, kind, arg) import. */
export const enum EventKind {
  Readable = 1,   // data (or FIN) can be read
  Writable = 2,   // send buffer space freed
  Connected = 3,  // active open completed
  Accepted = 4,   // a listener has a connection to accept (sock = listener)
  Closed = 5,     // connection fully closed (handle can be released)
  Reset = 6,      // connection reset by peer (arg = error code)
  Error = 7,      // connection failed (arg = error code: ECONNREFUSED, ETIMEDOUT...)
  State = 8,      // state transition: arg = (from << 8) | to (TcpState numbers)
  EchoReply = 9,  // ICMP echo reply received (sock = -1, arg = sequence number)
  AddressChanged = 10, // interface configuration changed (sock = -1, arg = IFACE_CHANGED_* bits)
}
