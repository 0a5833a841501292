#!/usr/bin/env python3
"""api.py: berth-api's figures, side by side with the git CLI in one run.

- POST /stacks to a pushed commit on a file:// origin: p50 and p99 over STACKS creates, against the git
  CLI adding, committing and pushing the same two files per stack to an origin of its own (the floor of
  the same work), and the ratio of the medians.
- GET /stacks with STACKS stacks in the repo (each from a definition, so each is re-rendered to say
  whether its template changed, and each with its live state when an engine is given): p50 and p99.
- GET /healthz with wrk at 64 connections: requests per second.
- The server's peak RSS over all of it (VmHWM).

A benchmark, not a test: it asserts nothing about speed.
  bench/api.py [BERTH_API]    (STACKS=200, WRK_SECONDS=10; DOCKER_HOST for live state)"""
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BERTH_API = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/api/berth-api")
STACKS = int(os.environ.get("STACKS", "200"))
WRK_SECONDS = int(os.environ.get("WRK_SECONDS", "10"))
TOKEN = "bench-token-0123456789abcdef"
ENV = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.com", GIT_COMMITTER_NAME="b",
           GIT_COMMITTER_EMAIL="b@example.com")


def git(*args, cwd=None):
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def seed_origin(path, work):
    git("init", "-q", "--bare", "-b", "main", path)
    git("clone", "-q", "file://" + path, work)
    os.makedirs(os.path.join(work, "templates/hello"))
    with open(os.path.join(work, "templates/hello/compose.yaml"), "w") as f:
        f.write('services:\n  s:\n    image: busybox:latest\n    command: ["echo", "${greeting}"]\n'
                '    deploy:\n      replicas: ${replicas}\n')
    with open(os.path.join(work, "templates/hello/definition.json"), "w") as f:
        json.dump({"title": "Hello", "version": "1.0.0", "options": {"type": "object", "properties": {
            "greeting": {"type": "string", "default": "hi"},
            "replicas": {"type": "integer", "default": 1, "minimum": 1, "maximum": 5}}}}, f)
    git("add", "-A", cwd=work)
    git("commit", "-qm", "seed", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def ms(x):
    return f"{x * 1000:.1f} ms"


def main():
    w = tempfile.mkdtemp(prefix="berth-bench-api.")
    try:
        seed_origin(os.path.join(w, "origin.git"), os.path.join(w, "seed"))
        seed_origin(os.path.join(w, "peer.git"), os.path.join(w, "peer"))
        line = subprocess.run([BERTH_API, "hash-token", "bench", "write"], input=TOKEN.encode(),
                              check=True, capture_output=True).stdout.decode()
        with open(os.path.join(w, "tokens"), "w") as f:
            f.write(line)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        api = subprocess.Popen([BERTH_API, "--listen", f"127.0.0.1:{port}", "--repo", os.path.join(w, "origin.git"),
                                "--workdir", os.path.join(w, "clone"), "--token-file", os.path.join(w, "tokens")],
                               stderr=subprocess.DEVNULL)
        conn = None
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        auth = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}

        # POST /stacks, one at a time over one connection: the latency of a create that is pushed.
        post, files = [], []
        for i in range(STACKS):
            body = json.dumps({"name": f"s{i}", "definition": "hello", "options": {"greeting": f"g{i}"}})
            t = time.perf_counter()
            conn.request("POST", "/stacks", body, auth)
            r = conn.getresponse()
            r.read()
            post.append(time.perf_counter() - t)
            if r.status != 201:
                raise SystemExit(f"POST /stacks answered {r.status}")
        # The git CLI's floor: the same files, added, committed and pushed, one stack per commit.
        origin = os.path.join(w, "origin.git")
        for i in range(STACKS):
            for name in ("compose.yaml", "stack.json"):
                files.append((f"stacks/s{i}/{name}", subprocess.run(
                    ["git", "show", f"main:stacks/s{i}/{name}"], cwd=origin, check=True,
                    capture_output=True).stdout))
        peer = os.path.join(w, "peer")
        cli = []
        for i in range(STACKS):
            t = time.perf_counter()
            for path, data in files[2 * i:2 * i + 2]:
                os.makedirs(os.path.join(peer, os.path.dirname(path)), exist_ok=True)
                with open(os.path.join(peer, path), "wb") as f:
                    f.write(data)
            git("add", f"stacks/s{i}", cwd=peer)
            git("commit", "-qm", f"create stack s{i}", cwd=peer)
            git("push", "-q", "origin", "main", cwd=peer)
            cli.append(time.perf_counter() - t)

        # GET /stacks with STACKS stacks, on a new connection: the server closed the idle one meanwhile.
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port)
        get = []
        for _ in range(50):
            t = time.perf_counter()
            conn.request("GET", "/stacks", headers=auth)
            r = conn.getresponse()
            n = len(json.loads(r.read()))
            get.append(time.perf_counter() - t)
        if n != STACKS:
            raise SystemExit(f"GET /stacks listed {n} stacks, not {STACKS}")

        rps = "wrk not installed"
        if shutil.which("wrk"):
            out = subprocess.run(["wrk", "-t2", "-c64", f"-d{WRK_SECONDS}s", f"http://127.0.0.1:{port}/healthz"],
                                 capture_output=True, text=True).stdout
            m = re.search(r"Requests/sec:\s*([\d.]+)", out)
            lat = re.search(r"Latency\s+(\S+)", out)
            rps = f"{float(m.group(1)):.0f} requests/s (mean latency {lat.group(1)})" if m else out
        with open(f"/proc/{api.pid}/status") as f:
            hwm = int(re.search(r"VmHWM:\s*(\d+)", f.read()).group(1))
        api.terminate()
        api.wait()

        print(f"berth-api, {STACKS} stacks, file:// origin; GET /stacks live state: "
              f"{'engine at ' + os.environ['DOCKER_HOST'] if os.environ.get('DOCKER_HOST') else 'no engine'}")
        print(f"  POST /stacks (render, check, commit, push)   p50 {ms(statistics.median(post))}   p99 {ms(pct(post, 99))}")
        print(f"  git CLI add + commit + push, same files      p50 {ms(statistics.median(cli))}   p99 {ms(pct(cli, 99))}")
        print(f"  ratio of the medians, berth-api / git CLI    {statistics.median(post) / statistics.median(cli):.2f}x")
        print(f"  GET /stacks with {STACKS} stacks                 p50 {ms(statistics.median(get))}   p99 {ms(pct(get, 99))}")
        print(f"  GET /healthz, wrk 64 connections             {rps}")
        print(f"  berth-api peak RSS                           {hwm / 1024:.1f} MiB")
    finally:
        shutil.rmtree(w, ignore_errors=True)


if __name__ == "__main__":
    main()
