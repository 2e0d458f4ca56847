#!/usr/bin/env python3
"""Kernel-side TCP and UDP client for the firmware tests (run inside the test's namespace).

  tcp_client.py echo HOST PORT BYTES     send BYTES (seeded pseudo-random), shutdown(SHUT_WR),
                                         read everything back; exit 0 when equal (RFC 862 + half-close)
  tcp_client.py discard HOST PORT BYTES  send BYTES, close, expect the peer to close too (RFC 863)
  tcp_client.py refused HOST PORT        exit 0 when the connection is refused (RST)
  tcp_client.py bytes-sha N              SHA-256 of the /bytes/N body (byte i = i mod 251)
  tcp_client.py udp-echo HOST PORT SIZE...  (HOST a.b.c.d or an IPv6 address) one datagram of each SIZE (seeded pseudo-random), each
                                         must come back whole from HOST:PORT (RFC 862 over UDP);
                                         then a burst of 4 sent back to back, all echoed
  tcp_client.py udp-no-echo HOST PORT SIZE  a datagram of SIZE gets no reply (within 1 s), and a
                                         1-byte one sent after it is the next reply
  tcp_client.py http HOST PORT CASE      one case of the services' HTTP behaviour spec (docs/services.md),
                                         the same for the Node services and the C ones: head, keepalive,
                                         http10, close, method, body, malformed, bare-lf, too-large, status

Prints one line with the figures; never runs longer than --timeout seconds (default 120).
"""
import hashlib
import random
import re
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


def udp_socket(host="0.0.0.0"):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(UDP_WAIT)
    return s


def same_peer(src, host, port):
    """recvfrom's source (AF_INET6: a 4-tuple, any spelling of the address) is host:port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return src[1] == port and socket.inet_pton(family, src[0].split("%")[0]) == socket.inet_pton(family, host.split("%")[0])
    except OSError:
        return False


def udp_reply(s, host, port, want, what):
    """The next datagram must be `want`, from host:port; an error message or None."""
    try:
        got, src = s.recvfrom(65535)
    except socket.timeout:
        return f"{what}: no reply within {UDP_WAIT} s"
    if not same_peer(src, host, port):
        return f"{what}: reply from {src[0]}:{src[1]}, want {host}:{port}"
    if got != want:
        return f"{what}: reply of {len(got)} bytes differs from the {len(want)} sent"
    return None


def udp_echo(host, port, sizes):
    rng = random.Random(768)
    s = udp_socket(host)
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
        if not same_peer(src, host, port) or got not in burst:
            print(f"udp-echo: burst: unexpected reply of {len(got)} bytes from {src}")
            return 1
        burst.remove(got)
    s.close()
    print(f"udp-echo: {', '.join(map(str, sizes))} bytes echoed whole ({rtt * 1000:.1f} ms per round trip), and a burst of 4")
    return 0


def udp_no_echo(host, port, n):
    s = udp_socket(host)
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


# ---- the HTTP behaviour spec of the services (docs/services.md) ----

def http_conn(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(10)
    return s


class HttpReader:
    """Responses read off one connection, framed by Content-Length (HEAD: no body)."""

    def __init__(self, s):
        self.s, self.buf, self.eof = s, b"", False

    def fill(self):
        if self.eof:
            return False
        d = self.s.recv(65536)
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def response(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            if not self.fill():
                raise AssertionError(f"connection closed before a response head ({len(self.buf)} bytes: {self.buf[:80]!r})")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin1").split("\r\n")
        m = re.match(r"^HTTP/1\.1 (\d{3}) [^\r\n]+$", lines[0])
        if not m:
            raise AssertionError(f"bad status line {lines[0]!r}")
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" not in headers:
            raise AssertionError(f"no Content-Length in {lines}")
        n = int(headers["content-length"])
        if head_only:
            n = 0
        while len(self.buf) < n:
            if not self.fill():
                raise AssertionError(f"body cut at {len(self.buf)} of {n} bytes")
        body, self.buf = self.buf[:n], self.buf[n:]
        return int(m.group(1)), headers, body

    def closed(self):
        """True when the server closes with nothing more to say (within 10 s)."""
        while self.fill():
            pass
        return self.eof and not self.buf


def pattern(n, off=0):
    return bytes((off + i) % 251 for i in range(n))


# Requests answered with an error that ends the connection: request, status, description.
CLOSING_ERRORS = {
    "body": (b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd", 413, "a request with a body"),
    "malformed": (b"GET/bytes/1\r\n\r\n", 400, "a malformed request line"),
    "too-large": (b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 20000 + b"\r\n\r\n", 431, "a 20 KB head"),
}


def http_case(host, port, case):
    s = http_conn(host, port)
    r = HttpReader(s)
    try:
        if case == "head":
            s.sendall(b"GET /bytes/1000 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /bytes/1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            c1, h1, b1 = r.response()
            c2, h2, b2 = r.response(head_only=True)
            assert c1 == c2 == 200, (c1, c2)
            assert b1 == pattern(1000), "GET body differs"
            assert h2["content-length"] == "1000" and h2.get("content-type") == h1.get("content-type"), (h1, h2)
            assert r.closed(), f"bytes after the HEAD response, or no close: {r.buf[:60]!r}"
            print("HEAD /bytes/1000: 200, Content-Length 1000, no body; then closed")
        elif case == "keepalive":
            # three requests, pipelined in one segment, answered in order on one connection
            s.sendall(b"".join(f"GET /bytes/{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for n in (10, 3000, 0)))
            got = [r.response() for _ in range(3)]
            for (c, h, b), n in zip(got, (10, 3000, 0)):
                assert c == 200 and b == pattern(n), f"response for /bytes/{n}: {c}, {len(b)} bytes"
                assert h.get("connection", "keep-alive").lower() == "keep-alive", h
            s.sendall(b"GET /bytes/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            c, h, b = r.response()
            assert c == 200 and b == pattern(5) and h.get("connection", "").lower() == "close", (c, h)
            assert r.closed(), "still open after Connection: close"
            print("4 requests on one connection (3 pipelined), in order; Connection: close ends it")
        elif case == "http10":
            s.sendall(b"GET /bytes/7 HTTP/1.0\r\n\r\n")
            c, h, b = r.response()
            assert c == 200 and b == pattern(7), (c, b)
            assert r.closed(), "HTTP/1.0 without keep-alive: still open"
            print("HTTP/1.0 without keep-alive: answered, then closed")
        elif case == "close":
            # the client's FIN after a complete exchange: the server closes too
            s.sendall(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            c, h, b = r.response()
            assert c == 200 and b == pattern(1)
            s.shutdown(socket.SHUT_WR)
            assert r.closed(), "the server kept the connection after the client's FIN"
            print("client FIN after the response: the server closes")
        elif case == "method":
            s.sendall(b"DELETE /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            c, h, b = r.response()
            assert c == 405 and h.get("allow", "").replace(" ", "") == "GET,HEAD", (c, h)
            c, h, b = r.response()
            assert c == 200 and b == pattern(2), "the connection did not survive the 405"
            print("DELETE: 405 with Allow: GET, HEAD; the connection goes on")
        elif case == "bare-lf":
            s.sendall(b"GET /bytes/1 HTTP/1.1\n\n")
            s.settimeout(1.0)
            try:
                d = s.recv(100)
                assert False, f"answered a head ended by bare LFs: {d[:60]!r}"
            except socket.timeout:
                pass
            s.settimeout(10)
            s.shutdown(socket.SHUT_WR)
            assert r.closed(), "no close after the client's FIN"
            print("a head ended by LF LF is not a request (no answer in 1 s); FIN -> close")
        elif case in CLOSING_ERRORS:
            request, code, what = CLOSING_ERRORS[case]
            s.sendall(request)
            c, h, b = r.response()
            assert c == code, f"status {c}, want {code}"
            assert r.closed(), f"still open after {code}"
            print(f"{what}: {code}, then closed")
        elif case == "status":
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            c, h, b = r.response()
            text = b.decode("utf-8")
            assert c == 200 and h.get("content-type", "").startswith("text/plain"), (c, h)
            first = text.split("\n", 1)[0]
            assert re.match(rf"^wasm-tcpip {re.escape(host)}/\d+$", first), f"first line {first!r}"
            assert re.search(r"^uptime \d+(\.\d+)? s$", text, re.M), "no uptime line"
            assert re.search(r"^counters:\n  rx_frames +\d+$", text, re.M), "no counters: section starting with rx_frames"
            assert re.search(r"^sockets:$", text, re.M) and re.search(r"LISTEN", text), "no sockets: table with a LISTEN row"
            print(f"status page: {len(b)} bytes, {first}")
        else:
            print(f"unknown http case {case}", file=sys.stderr)
            return 2
        return 0
    except AssertionError as e:
        print(f"http {case}: {e}")
        return 1
    finally:
        s.close()


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
    if cmd == "http" and len(argv) == 5:
        return http_case(argv[2], int(argv[3]), argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
