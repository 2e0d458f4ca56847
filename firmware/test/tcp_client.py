#!/usr/bin/env python3
"""Kernel-side TCP and UDP client for the firmware tests (run inside the test's namespace).

  tcp_client.py echo HOST PORT BYTES     send BYTES (seeded pseudo-random), shutdown(SHUT_WR),
                                         read everything back; exit 0 when equal (RFC 862 + half-close)
  tcp_client.py discard HOST PORT BYTES  send BYTES, close, expect the peer to close too (RFC 863)
  tcp_client.py refused HOST PORT        exit 0 when the connection is refused (RST)
  tcp_client.py bytes-sha N              SHA-256 of the /bytes/N body (byte i = i mod 251)
  tcp_client.py udp-echo HOST PORT SIZE...  one datagram of each SIZE (seeded pseudo-random), each
                                         must come back whole from HOST:PORT (RFC 862 over UDP);
                                         then a burst of 4 sent back to back, all echoed
  tcp_client.py udp-no-echo HOST PORT SIZE  a datagram of SIZE gets no reply (within 1 s), and a
                                         1-byte one sent after it is the next reply

Prints one line with the figures; never runs longer than --timeout seconds (default 120).
"""
import hashlib
import random
import socket
import sys
import threading
import time

TIMEOUT = 120.0


def payload(n):
    rng = random.Random(862)
    return rng.randbytes(n)


def echo(host, port, n):
    data = payload(n)
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    err = []

    def sender():
        try:
            view = memoryview(data)
            while view:
                sent = s.send(view[:65536])
                view = view[sent:]
            s.shutdown(socket.SHUT_WR)  # half-close: the echo server must still answer
        except OSError as e:
            err.append(e)

    t0 = time.monotonic()
    th = threading.Thread(target=sender)
    th.start()
    got = bytearray()
    while True:
        chunk = s.recv(262144)
        if not chunk:
            break
        got += chunk
    dt = time.monotonic() - t0
    th.join()
    s.close()
    if err:
        print(f"echo: send failed: {err[0]}")
        return 1
    if bytes(got) != data:
        print(f"echo: mismatch: sent {n} bytes, got {len(got)}")
        return 1
    print(f"echo: {n} bytes back intact in {dt:.2f} s ({n / dt / 1e6 * 8:.1f} Mbit/s each way)")
    return 0


def discard(host, port, n):
    data = payload(n)
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    t0 = time.monotonic()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    rest = s.recv(1)  # the server closes after reading everything: EOF, no data
    dt = time.monotonic() - t0
    s.close()
    if rest:
        print("discard: server sent data")
        return 1
    print(f"discard: {n} bytes in {dt:.2f} s ({n / dt / 1e6 * 8:.1f} Mbit/s)")
    return 0


def refused(host, port):
    try:
        s = socket.create_connection((host, port), timeout=10)
    except ConnectionRefusedError:
        print(f"refused: connect to {host}:{port} refused")
        return 0
    except OSError as e:
        print(f"refused: expected ECONNREFUSED, got {e}")
        return 1
    s.close()
    print(f"refused: connect to {host}:{port} succeeded")
    return 1


def bytes_sha(n):
    h = hashlib.sha256()
    block = bytes(i % 251 for i in range(251 * 256))  # whole periods of the pattern
    left = n
    while left:
        k = min(left, len(block))
        h.update(block[:k])
        left -= k
    print(h.hexdigest())
    return 0


UDP_WAIT = 3.0  # a local link: a reply later than this is a lost one


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(UDP_WAIT)
    return s


def udp_reply(s, host, port, want, what):
    """The next datagram must be `want`, from host:port; an error message or None."""
    try:
        got, src = s.recvfrom(65535)
    except socket.timeout:
        return f"{what}: no reply within {UDP_WAIT} s"
    if src != (host, port):
        return f"{what}: reply from {src[0]}:{src[1]}, want {host}:{port}"
    if got != want:
        return f"{what}: reply of {len(got)} bytes differs from the {len(want)} sent"
    return None


def udp_echo(host, port, sizes):
    rng = random.Random(768)
    s = udp_socket()
    t0 = time.monotonic()
    for n in sizes:
        data = rng.randbytes(n)
        s.sendto(data, (host, port))
        err = udp_reply(s, host, port, data, f"{n}-byte datagram")
        if err:
            print(f"udp-echo: {err}")
            return 1
    rtt = (time.monotonic() - t0) / len(sizes)
    burst = [rng.randbytes(100 + 50 * i) for i in range(4)]  # distinct sizes: order-independent check
    for d in burst:
        s.sendto(d, (host, port))
    for i in range(len(burst)):
        try:
            got, src = s.recvfrom(65535)
        except socket.timeout:
            print(f"udp-echo: burst: {i} of {len(burst)} replies")
            return 1
        if src != (host, port) or got not in burst:
            print(f"udp-echo: burst: unexpected reply of {len(got)} bytes from {src}")
            return 1
        burst.remove(got)
    s.close()
    print(f"udp-echo: {', '.join(map(str, sizes))} bytes echoed whole ({rtt * 1000:.1f} ms per round trip), and a burst of 4")
    return 0


def udp_no_echo(host, port, n):
    s = udp_socket()
    s.sendto(random.Random(769).randbytes(n), (host, port))
    s.settimeout(1.0)
    try:
        got, _ = s.recvfrom(65535)
        print(f"udp-no-echo: the {n}-byte datagram got a reply of {len(got)} bytes")
        return 1
    except socket.timeout:
        pass
    s.settimeout(UDP_WAIT)
    s.sendto(b"x", (host, port))
    err = udp_reply(s, host, port, b"x", "the 1-byte datagram after it")
    if err:
        print(f"udp-no-echo: {err}")
        return 1
    print(f"udp-no-echo: no reply to {n} bytes; the next datagram echoed")
    return 0


def main(argv):
    global TIMEOUT
    if "--timeout" in argv:
        i = argv.index("--timeout")
        TIMEOUT = float(argv[i + 1])
        del argv[i:i + 2]
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "echo" and len(argv) == 5:
        return echo(argv[2], int(argv[3]), int(argv[4]))
    if cmd == "discard" and len(argv) == 5:
        return discard(argv[2], int(argv[3]), int(argv[4]))
    if cmd == "refused" and len(argv) == 4:
        return refused(argv[2], int(argv[3]))
    if cmd == "bytes-sha" and len(argv) == 3:
        return bytes_sha(int(argv[2]))
    if cmd == "udp-echo" and len(argv) >= 5:
        return udp_echo(argv[2], int(argv[3]), [int(a) for a in argv[4:]])
    if cmd == "udp-no-echo" and len(argv) == 5:
        return udp_no_echo(argv[2], int(argv[3]), int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
