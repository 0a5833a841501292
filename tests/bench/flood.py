#!/usr/bin/env python3
"""flood.py: berth-api under two floods, side by side with another build of it in one run.

While each flood runs, a well-behaved client on 127.0.0.1 asks GET /healthz every 50 ms with a 2 s
timeout; the figures are how many it got, their p50 and p99, and the server's RSS (peak over the
phase, from /proc). The floods come from other loopback addresses, as other clients would:
- slowloris: CONNS connections (spread over ADDRS addresses 127.0.0.x), each sending a request's
  headers one byte every 2 s and never finishing, reopened as the server closes them;
- body flood: BODIES concurrent unauthenticated POSTs of 1 MiB each, sent slowly, repeated.

A benchmark, not a test: it asserts nothing. Its figures go in the README.
  bench/flood.py BERTH_API [OTHER_BERTH_API]   (CONNS=2000 ADDRS=32 BODIES=900 SECONDS=20)"""
import http.client
import multiprocessing
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import measure

CONNS = int(os.environ.get("CONNS", "2000"))
ADDRS = int(os.environ.get("ADDRS", "32"))
BODIES = int(os.environ.get("BODIES", "900"))
SECONDS = float(os.environ.get("SECONDS", "20"))
TOKEN = "flood-token-0123456789abcdef"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(binary, work):
    os.makedirs(work)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", f"{work}/origin.git"], check=True)
    line = subprocess.run([binary, "hash-token", "flood", "write"], input=TOKEN.encode(), check=True,
                          capture_output=True).stdout
    open(f"{work}/tokens", "wb").write(line)
    port = free_port()
    proc = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", "--repo", f"{work}/origin.git",
                             "--workdir", f"{work}/clone", "--token-file", f"{work}/tokens"],
                            stdout=subprocess.DEVNULL, stderr=open(f"{work}/log", "wb"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{binary} did not start")


class Prober(threading.Thread):
    """The well-behaved client: /healthz every 50 ms, a fresh connection each time."""

    def __init__(self, port, pid):
        super().__init__(daemon=True)
        self.port, self.pid = port, pid
        self.ok, self.failed, self.times, self.rss = 0, 0, [], 0.0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                good = c.getresponse().status == 200
                c.close()
            except OSError:
                good = False
            if good:
                self.ok += 1
                self.times.append(time.monotonic() - t0)
            else:
                self.failed += 1
            self.rss = max(self.rss, measure.rss_mb(self.pid))
            time.sleep(0.05)


def slowloris(port, until):
    sel = selectors.DefaultSelector()
    socks = {}
    held = 0

    def connect(i):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.bind((f"127.0.0.{2 + i % ADDRS}", 0))
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            s.close()
            return
        socks[s] = [i, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: " + b"a" * 4000, 0]
        sel.register(s, selectors.EVENT_READ)

    for i in range(CONNS):
        connect(i)
    next_tick = 0.0
    while time.monotonic() < until:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:  # closed by the server: reopen, as an attacker would
                i = socks.pop(s)[0]
                sel.unregister(s)
                s.close()
                connect(i)
        if time.monotonic() >= next_tick:
            next_tick = time.monotonic() + 2
            held = 0
            for s, st in list(socks.items()):
                try:
                    s.send(st[1][st[2]:st[2] + 1])
                    st[2] += 1
                    held += 1
                except OSError:
                    pass
    for s in socks:
        s.close()
    return held


def body_flood(port, until):
    def one(i):
        while time.monotonic() < until:
            try:
                s = socket.socket()
                s.bind((f"127.0.0.{2 + ADDRS + i % ADDRS}", 0))
                s.settimeout(5)
                s.connect(("127.0.0.1", port))
                s.sendall(b"POST /stacks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 1048576\r\n\r\n")
                chunk = b"{" + b" " * 65535
                for _ in range(16):
                    s.sendall(chunk)
                    time.sleep(0.2)
                s.recv(100)
                s.close()
            except OSError:
                pass
            time.sleep(0.5)  # answered or refused: again, at the pace of a client that retries

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(BODIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run(binary, work):
    proc, port = start(binary, work)
    figures = []
    for name, flood in (("quiet", None), ("slowloris", slowloris), ("body flood", body_flood)):
        probe = Prober(port, proc.pid)
        probe.start()
        until = time.monotonic() + SECONDS
        if flood:
            # In a process of its own, so that the flood's threads do not slow the prober down.
            p = multiprocessing.Process(target=flood, args=(port, until))
            p.start()
            p.join()
        else:
            time.sleep(min(SECONDS, 5))
        probe.stop.set()
        probe.join()
        t = sorted(probe.times) or [float("nan")]
        figures.append((name, probe.ok, probe.ok + probe.failed, statistics.median(t) * 1000,
                        t[min(len(t) - 1, int(len(t) * 0.99))] * 1000, probe.rss))
        print(f"  {binary}: {name}: {probe.ok}/{probe.ok + probe.failed} answered", file=sys.stderr, flush=True)
        time.sleep(3)
    proc.terminate()
    proc.wait(timeout=70)
    return figures


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    binaries = [os.path.abspath(b) for b in sys.argv[1:3]] or [os.path.abspath("build/api/berth-api")]
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(b, f"{tmp}/{i}") for i, b in enumerate(binaries)]
    print(f"GET /healthz while flooded ({CONNS} slowloris connections from {ADDRS} addresses; "
          f"{BODIES} unauthenticated 1 MiB POSTs), {SECONDS:.0f} s each")
    print("| build | phase | healthz answered | p50 ms | p99 ms | RSS peak MB |")
    print("|---|---|---|---|---|---|")
    for b, figs in zip(binaries, results):
        for name, ok, total, p50, p99, rss in figs:
            print(f"| {os.path.relpath(b)} | {name} | {ok}/{total} | {p50:.1f} | {p99:.1f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
