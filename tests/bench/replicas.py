#!/usr/bin/env python3
"""replicas.py: two berth-api replicas on one file:// origin, racing creates, near a large repo.

The origin starts with PRESEED stacks (one commit); then CLIENTS client threads send CREATES creates,
alternating between the replicas. Every request must get an answer: the figures are the replies by
status, the requests with no reply at all, p50 and p99 of a create, and the pushes each replica had
redone because the other pushed first (from /metrics). Then the origin is checked with the git CLI: each
201 is exactly one stack, made by exactly one commit.

Each replica's resident memory is sampled every second (/proc/PID/status): at the start, its peak, and
at the end, to show whether it grows with the requests.

A benchmark, not a test: it prints what it saw. Its figures go in the README.
  bench/replicas.py [BERTH_API]   (PRESEED=3000 CREATES=2000 CLIENTS=16)
  The issue-28 soak: PRESEED=0 CREATES=10000 CLIENTS=50"""
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import measure

BERTH_API = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/api/berth-api")
PRESEED = int(os.environ.get("PRESEED", "3000"))
CREATES = int(os.environ.get("CREATES", "2000"))
CLIENTS = int(os.environ.get("CLIENTS", "16"))
TOKEN = "replicas-token-0123456789abcdef"
ENV = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.com", GIT_COMMITTER_NAME="b",
           GIT_COMMITTER_EMAIL="b@example.com")


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def seed(w):
    git("init", "-q", "--bare", "-b", "main", f"{w}/origin.git")
    git("clone", "-q", f"file://{w}/origin.git", f"{w}/seed")
    os.makedirs(f"{w}/seed/templates/hello")
    open(f"{w}/seed/templates/hello/compose.yaml", "w").write(
        'services:\n  s:\n    image: busybox:latest\n    command: ["echo", "${greeting}"]\n')
    json.dump({"title": "Hello", "version": "1.0.0", "options": {"type": "object", "properties": {
        "greeting": {"type": "string", "default": "hi"}}}}, open(f"{w}/seed/templates/hello/definition.json", "w"))
    for i in range(PRESEED):
        os.makedirs(f"{w}/seed/stacks/pre{i}")
        open(f"{w}/seed/stacks/pre{i}/compose.yaml", "w").write(f"services:\n  s:\n    image: busybox:{i}\n")
    git("add", "-A", cwd=f"{w}/seed")
    git("commit", "-qm", "seed", cwd=f"{w}/seed")
    git("push", "-q", "origin", "main", cwd=f"{w}/seed")


def start(w, n):
    s = __import__("socket").socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = subprocess.Popen([BERTH_API, "--listen", f"127.0.0.1:{port}", "--repo", f"{w}/origin.git", "--workdir",
                          f"{w}/clone{n}", "--token-file", f"{w}/tokens"], stderr=open(f"{w}/api{n}.log", "wb"))
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            c.getresponse().read()
            return p, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("a replica did not start")


def main():
    with tempfile.TemporaryDirectory() as w:
        print(f"seeding {PRESEED} stacks...", file=sys.stderr, flush=True)
        seed(w)
        open(f"{w}/tokens", "wb").write(subprocess.run([BERTH_API, "hash-token", "bench", "write"],
                                                       input=TOKEN.encode(), check=True, capture_output=True).stdout)
        replicas = [start(w, 0), start(w, 1)]
        statuses, times, lock = {}, [], threading.Lock()
        todo = iter(range(CREATES))

        def client(k):
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                port = replicas[i % 2][1]
                t = time.monotonic()
                try:
                    # A client waits as long as the server's own deadline and a margin: an answer, late or
                    # not, counts; silence does not.
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    c.request("POST", "/stacks", json.dumps({"name": f"c{i}", "definition": "hello",
                                                             "options": {"greeting": f"g{i}"}}),
                              {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
                    st = c.getresponse().status
                    c.close()
                except OSError:
                    st = "no reply"
                with lock:
                    statuses[st] = statuses.get(st, 0) + 1
                    if st == 201:
                        times.append(time.monotonic() - t)
                    done = sum(statuses.values())
                if done % 200 == 0:
                    print(f"  {done}/{CREATES} answered", file=sys.stderr, flush=True)

        rss = [[], []]
        sampling = threading.Event()

        def sampler():
            while not sampling.wait(1.0):
                for k, (p, _) in enumerate(replicas):
                    rss[k].append(measure.rss_mb(p.pid))

        threading.Thread(target=sampler, daemon=True).start()
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - t0
        sampling.set()
        retries = []
        for _, port in replicas:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            m = re.search(r"^berth_api_push_retries_total (\d+)", c.getresponse().read().decode(), re.M)
            retries.append(int(m.group(1)) if m else -1)
        for p, _ in replicas:
            p.terminate()
            p.wait(timeout=90)
        names = git("ls-tree", "--name-only", "main:stacks", cwd=f"{w}/origin.git").split()
        made = sum(1 for n in names if re.fullmatch(r"c\d+", n))
        subjects = git("log", "--format=%s", "main", cwd=f"{w}/origin.git").splitlines()
        commits = sum(1 for s in subjects if s.startswith("berth-api: create stack c"))
        t = sorted(times) or [float("nan")]
        print(f"two replicas, {PRESEED} stacks before, {CREATES} creates from {CLIENTS} clients, {took:.0f} s")
        print("| replies | no reply | p50 create | p99 create | pushes redone (replica 1, 2) | stacks on the origin | create commits |")
        print("|---|---|---|---|---|---|---|")
        replies = ", ".join(f"{v} x {k}" for k, v in sorted(statuses.items(), key=str) if k != "no reply")
        print(f"| {replies} | {statuses.get('no reply', 0)} | {statistics.median(t) * 1000:.0f} ms | "
              f"{t[min(len(t) - 1, int(len(t) * 0.99))] * 1000:.0f} ms | {retries[0]}, {retries[1]} | "
              f"{made} (201s: {statuses.get(201, 0)}) | {commits} |")
        for k in range(2):
            r = rss[k] or [0.0]
            print(f"replica {k + 1} RSS: {r[0]:.0f} MB at the start, {max(r):.0f} MB at its peak, {r[-1]:.0f} MB at the end "
                  f"(a sample a second, {len(r)} samples)")


if __name__ == "__main__":
    main()
