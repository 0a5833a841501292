#!/usr/bin/python3
"""podman.py: berth on Podman next to berth on Docker, in one run, each against its engine's floor.
On each engine (the rig's dockerd at DOCKER_HOST, the rig's Podman service at BERTH_TEST_PODMAN_HOST):
  cold up          `berth up` of a 10-service busybox stack
  no-op up         a second up of the unchanged stack
  no-op reconcile  `berth reconcile` of a config repo of 10 deployed, unchanged stacks
  floor            the cold up's creates and starts issued in parallel with curl: what any client pays
Prints medians, Podman/Docker ratios and berth/floor ratios. A benchmark, not a test: it asserts nothing
about speed. Run it through tests/bench/podman.sh, which starts the Podman service."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

BERTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/reconciler/berth")
RUNS = int(os.environ.get("RUNS", "5"))
N = 10
IMAGE = "berth-test/busybox:latest"
CMD = ["sleep", "3600"]
ENGINES = {"docker": os.environ["DOCKER_HOST"], "podman": os.environ["BERTH_TEST_PODMAN_HOST"]}


def stack(n, tag):
    out = ["services:"]
    for i in range(n):
        out.append(f"  s{i:02d}:\n    image: {IMAGE}\n    command: {json.dumps(CMD)}\n"
                   f"    stop_signal: SIGKILL\n    environment: [\"TAG={tag}\"]")
    return "\n".join(out) + "\n"


def timed(cmd, cwd, env):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stdout[-300:]} {p.stderr[-500:]}")
    return dt


def curl(sock, method, path, body=None):
    cmd = ["curl", "-sf", "--unix-socket", sock, "-X", method, f"http://localhost/v1.41{path}"]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def floor_once(sock):
    t = time.perf_counter()
    curl(sock, "POST", "/networks/create", {"Name": "floor_default"})

    def one(i):
        body = {"Image": IMAGE, "Cmd": CMD, "Labels": {"bench": "floor"},
                "HostConfig": {"NetworkMode": "floor_default"}}
        cid = json.loads(curl(sock, "POST", f"/containers/create?name=floor-s{i:02d}-1", body))["Id"]
        curl(sock, "POST", f"/containers/{cid}/start")
        return cid

    with ThreadPoolExecutor(max_workers=N) as ex:
        ids = list(ex.map(one, range(N)))
    dt = time.perf_counter() - t
    for cid in ids:
        curl(sock, "DELETE", f"/containers/{cid}?force=1")
    curl(sock, "DELETE", "/networks/floor_default")
    return dt


def bench(name, host):
    env = dict(os.environ, DOCKER_HOST=host,
               BERTH_STATE_DIR=tempfile.mkdtemp(prefix=f"berth-bench-{name}-state-"))
    sock = host.removeprefix("unix://")
    d = tempfile.mkdtemp(prefix=f"berth-bench-{name}-")
    res = {k: [] for k in ("cold up", "no-op up", "no-op reconcile", "floor")}
    os.makedirs(f"{d}/app")
    open(f"{d}/app/compose.yaml", "w").write(stack(N, "a"))
    repo = f"{d}/repo"
    for i in range(N):
        os.makedirs(f"{repo}/stacks/r{i:02d}")
        open(f"{repo}/stacks/r{i:02d}/compose.yaml", "w").write(stack(1, "r"))
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "bench")
    timed([BERTH, "reconcile"], repo, env)
    for _ in range(RUNS):
        res["cold up"].append(timed([BERTH, "up", "-p", "bp"], f"{d}/app", env))
        res["no-op up"].append(timed([BERTH, "up", "-p", "bp"], f"{d}/app", env))
        res["no-op reconcile"].append(timed([BERTH, "reconcile"], repo, env))
        timed([BERTH, "down", "-p", "bp", "-t", "0"], f"{d}/app", env)
        res["floor"].append(floor_once(sock))
    for i in range(N):
        timed([BERTH, "down", "-p", f"r{i:02d}", "-t", "0"], repo, env)
    shutil.rmtree(d)
    shutil.rmtree(env["BERTH_STATE_DIR"])
    return {k: statistics.median(v) for k, v in res.items()}


def main():
    out = {name: bench(name, host) for name, host in ENGINES.items()}
    ver = subprocess.run([BERTH, "status"], env=dict(os.environ, DOCKER_HOST=ENGINES["podman"]),
                         capture_output=True, text=True).stdout.strip().splitlines()[-1:]
    print(f"{N}-service busybox stack and a repo of {N} stacks, medians of {RUNS} runs; {' '.join(ver)}")
    print(f"{'':<17}{'docker':>9}{'podman':>10}{'podman/docker':>15}{'docker/floor':>14}{'podman/floor':>14}")
    for k in ("cold up", "no-op up", "no-op reconcile", "floor"):
        dk, pm = out["docker"][k], out["podman"][k]
        line = f"{k:<17}{dk * 1000:>7.0f}ms{pm * 1000:>8.0f}ms{pm / dk:>14.2f}x"
        if k == "cold up":
            line += f"{dk / out['docker']['floor']:>13.2f}x{pm / out['podman']['floor']:>13.2f}x"
        print(line)


main()
