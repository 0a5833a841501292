#!/usr/bin/python3
"""build.py: `berth build` against `docker build` (DOCKER_BUILDKIT=0, the classic builder) on the same
engine, side by side in one run, with a 200 MB build context of 20,000 files. Both send the whole
context (the Dockerfile copies one file, so the engine's own work stays small and the figures are the
clients'), with the same labels; both build without cache every time. Prints medians, the time ratio, and each client's peak
RSS, which GNU time reads for the command alone. berth streams the context from git objects through a
pipe, so its memory does not grow with the context.
A benchmark, not a test: it asserts nothing about speed. Needs DOCKER_HOST (the rig's)."""
import os
import statistics
import subprocess
import sys
import tempfile

import measure

BERTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/reconciler/berth")
RUNS = int(os.environ.get("RUNS", "5"))
FILES = int(os.environ.get("FILES", "20000"))
SIZE = int(os.environ.get("CONTEXT_MB", "200")) * 1024 * 1024 // FILES
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@b", "DOCKER_BUILDKIT": "0"}


def run(cmd, cwd):
    return measure.run(cmd, cwd, ENV)


def main():
    with tempfile.TemporaryDirectory() as d:
        ctx = os.path.join(d, "images", "big")
        os.makedirs(ctx)
        for i in range(FILES):
            sub = os.path.join(ctx, f"d{i // 500:03d}")
            os.makedirs(sub, exist_ok=True)
            with open(os.path.join(sub, f"f{i:05d}"), "wb") as f:
                f.write(os.urandom(SIZE))
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write("FROM berth-test/busybox:latest\nCOPY d000/f00000 /f\n")
        with open(os.path.join(ctx, "image.json"), "w") as f:
            f.write('{"repository": "bench-build", "tags": ["berth"]}\n')
        subprocess.run(["git", "init", "-q", "-b", "main", d], check=True, env=ENV)
        subprocess.run(["git", "add", "-A"], cwd=d, check=True, env=ENV)
        subprocess.run(["git", "commit", "-qm", "context"], cwd=d, check=True, env=ENV)
        total = sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(ctx) for n in ns)
        print(f"context: {FILES} files, {total / 1e6:.0f} MB; {RUNS} runs each, alternating")
        berth = [BERTH, "build", "--no-cache", "big"]
        # The same labels berth gives its images: the classic builder makes a step of each, and that
        # engine work is the same for both clients.
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=d, capture_output=True, text=True).stdout.strip()
        labels = {"io.berth.managed": "true", "io.berth.image": "big", "io.berth.build-hash": "0" * 64,
                  "io.berth.repo": d, "org.opencontainers.image.source": d, "io.berth.commit": head,
                  "org.opencontainers.image.revision": head}
        docker = ["docker", "build", "--no-cache", "-q", "-t", "bench-build:docker",
                  *[a for k, v in labels.items() for a in ("--label", f"{k}={v}")], "images/big"]
        bt, br, dt, dr = [], [], [], []
        for _ in range(RUNS):
            t, r = run(berth, d)
            bt.append(t)
            br.append(r)
            t, r = run(docker, d)
            dt.append(t)
            dr.append(r)
        subprocess.run(["docker", "rmi", "-f", "bench-build:docker", "bench-build:berth", "bench-build:latest"],
                       capture_output=True)
        subprocess.run("docker image prune -f --filter label=io.berth.image=big", shell=True, capture_output=True)
        mb, md = statistics.median(bt), statistics.median(dt)
        print(f"{'':18}{'median s':>10}{'peak RSS MiB':>15}")
        print(f"{'berth build':18}{mb:10.2f}{max(br) / 1024:15.1f}")
        print(f"{'docker build':18}{md:10.2f}{max(dr) / 1024:15.1f}")
        print(f"time ratio berth/docker: {mb / md:.2f}x (goal <= 1.2x); berth peak RSS {max(br) / 1024:.1f} MiB (goal < 40)")


main()
