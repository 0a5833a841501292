#!/usr/bin/python3
"""test-api-limits.py: nobody can take berth-api down. Raw sockets from other loopback addresses play
the bad clients; a well-behaved client on 127.0.0.1 must still be answered. Checked: a request that
will be refused is answered as soon as its headers are in (401, 403, 413), before its body; a request
that trickles in is cut at its deadline; one address cannot hold more than its share of connections;
/healthz answers through 1,500 trickling connections; and the access log says who did what, as JSON
lines, without a token."""
import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done, free_port  # noqa: E402

BERTH_API = os.environ["BERTH_API"]
WRITE = "limits-write-token-0123456789"
READ = "limits-read-token-0123456789"


def raw(src, port, head, timeout=5.0):
    """Sends head from address src; returns the reply's first bytes (b"" when closed), or None on timeout."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.sendall(head)
    try:
        return s.recv(4096)
    except socket.timeout:
        return None
    finally:
        s.close()


def healthz(port, timeout=2.0):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", "/healthz")
        st = c.getresponse().status
        c.close()
        return st
    except OSError as e:
        return str(e)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory() as w:
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", f"{w}/origin.git"], check=True)
        with open(f"{w}/tokens", "wb") as f:
            for tok, name, role in ((WRITE, "alice", "write"), (READ, "viewer", "read")):
                f.write(subprocess.run([BERTH_API, "hash-token", name, role], input=tok.encode(),
                                       capture_output=True, check=True).stdout)
        port = free_port()
        log = open(f"{w}/api.log", "wb")
        api = subprocess.Popen([BERTH_API, "--listen", f"127.0.0.1:{port}", "--repo", f"{w}/origin.git",
                                "--workdir", f"{w}/clone", "--token-file", f"{w}/tokens"], stderr=log)
        try:
            for _ in range(100):
                if healthz(port, 0.5) == 200:
                    break
                time.sleep(0.1)
            run(port)
        finally:
            api.terminate()
            code = api.wait(timeout=90)
            log.close()
        text = open(f"{w}/api.log").read()
        check("SIGTERM stops the server cleanly", code == 0, code)
        check("without libmicrohttpd's complaint about quiescing", "MHD_quiesce_daemon" not in text, text[-2000:])
        logs(text)
    return done()


def run(port):
    post = (b"POST /stacks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1048576\r\n")
    # Headers complete, body never sent: the old server waited for the body before looking at the token.
    r = raw("127.0.0.2", port, post + b"\r\n")
    check("a POST without a token is answered 401 before its body is read", r and r.startswith(b"HTTP/1.1 401"), r)
    r = raw("127.0.0.2", port, post + f"Authorization: Bearer {READ}\r\n\r\n".encode())
    check("a read token's POST is answered 403 before its body", r and r.startswith(b"HTTP/1.1 403"), r)
    r = raw("127.0.0.2", port, post.replace(b"1048576", b"2097152") + f"Authorization: Bearer {WRITE}\r\n\r\n".encode())
    check("a Content-Length over the limit is answered 413 before its body", r and r.startswith(b"HTTP/1.1 413"), r)
    r = raw("127.0.0.2", port, b"GET /stacks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not-a-token-at-all\r\n\r\n")
    check("an unknown token is 401", r and r.startswith(b"HTTP/1.1 401"), r)

    # A request trickled in one byte a second is cut at its deadline (libmicrohttpd's idle timeout
    # never fires: the client is never idle). The 90 s here bound the test, not the server.
    s = socket.socket()
    s.bind(("127.0.0.3", 0))
    s.connect(("127.0.0.1", port))
    s.settimeout(1)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    closed_after = None
    t0 = time.monotonic()
    for i in range(len(head)):
        if time.monotonic() - t0 > 90:
            break
        try:
            s.send(head[i:i + 1])
            if s.recv(1) == b"":
                closed_after = time.monotonic() - t0
                break
        except socket.timeout:
            continue
        except OSError:
            closed_after = time.monotonic() - t0
            break
    s.close()
    check("a request that trickles in is cut at its deadline", closed_after is not None,
          f"still open after {time.monotonic() - t0:.0f} s")

    # One address holds at most its share; the connections past it are closed at once.
    held = []
    for _ in range(80):
        c = socket.socket()
        c.bind(("127.0.0.4", 0))
        c.connect(("127.0.0.1", port))
        held.append(c)
    time.sleep(0.5)
    closed = 0
    for c in held:
        c.settimeout(0.2)
        try:
            if c.recv(1) == b"":
                closed += 1
        except socket.timeout:
            pass
        except OSError:
            closed += 1
    check("one address gets 64 connections: 16 of 80 are closed at once", closed == 16, f"{closed} closed")
    check("and another client is still answered", healthz(port) == 200)
    for c in held:
        c.close()

    # The finding itself: 1,500 connections trickling header bytes, from 30 addresses (more than the
    # thousand or so that stopped the old server).
    loris = []
    for i in range(1500):
        c = socket.socket()
        c.setblocking(False)
        c.bind((f"127.0.1.{1 + i % 30}", 0))
        c.connect_ex(("127.0.0.1", port))
        loris.append(c)
    answered = 0
    for round_ in range(10):
        for c in loris:
            try:
                c.send(b"GET /healthz HTTP/1.1\r\nX-a: a"[round_:round_ + 1] if round_ < 3 else b"a")
            except OSError:
                pass
        if healthz(port) == 200:
            answered += 1
        time.sleep(0.5)
    check("/healthz answers through 1,500 trickling connections from 30 addresses", answered == 10,
          f"{answered}/10 answered")
    for c in loris:
        c.close()
    check("an authenticated request is served after the floods",
          raw("127.0.0.1", port, f"GET /session HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {READ}\r\n\r\n".encode())
          .startswith(b"HTTP/1.1 200"))


def logs(text):
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    reqs = [e for e in lines if e.get("event") == "request"]
    check("the access log has a JSON line per request", len(reqs) >= 6, text[-1500:])
    good = [e for e in reqs if e["path"] == "/session" and e.get("token") == "viewer" and e["status"] == 200]
    check("saying who (address, token name), what, the result and the time",
          bool(good) and good[0]["client"] == "127.0.0.1" and "duration_ms" in good[0] and "time" in good[0],
          good)
    refused = [e for e in lines if e.get("event") == "auth_refused"]
    check("a refused authentication has a line of its own, with why",
          {e["reason"] for e in refused} >= {"no token", "unknown token", "read token asked to write"},
          refused)
    check("a request cut early says so", any(e.get("note") == "body too large" and e["status"] == 413 for e in reqs))
    check("no token appears in the log", WRITE not in text and READ not in text and "not-a-token-at-all" not in text)


if __name__ == "__main__":
    sys.exit(main())
