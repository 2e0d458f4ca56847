#!/usr/bin/env python3
"""Kernel-side TCP client for the firmware tests (run inside the test's namespace).

  tcp_client.py echo HOST PORT BYTES     send BYTES (seeded pseudo-random), shutdown(SHUT_WR),
                                         read everything back; exit 0 when equal (RFC 862 + half-close)
  tcp_client.py discard HOST PORT BYTES  send BYTES, close, expect the peer to close too (RFC 863)
  tcp_client.py refused HOST PORT        exit 0 when the connection is refused (RST)
  tcp_client.py bytes-sha N              SHA-256 of the /bytes/N body (byte i = i mod 251)

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
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
