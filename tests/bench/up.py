#!/usr/bin/python3
"""up.py: `berth up`/`down` against `docker-compose` 1.29.2 on the same engine, side by side in one run,
on a 20-service busybox stack whose processes handle SIGTERM. Prints medians and ratios:
  cold up        berth vs docker-compose, and vs the engine's floor: the same network, creates and
                 starts issued in parallel with curl
  no-op up       a second up on an unchanged stack
  change one     one service's environment changed: only that container replaced
  down           removing the stack (floor: the same stops and removes in parallel with curl)
A benchmark, not a test: it asserts nothing about speed. Needs DOCKER_HOST=unix://... (the rig's)."""
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
N = 20
SOCK = os.environ["DOCKER_HOST"].removeprefix("unix://")
CMD = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]


def compose_file(mode):
    out = ["services:"]
    for i in range(N):
        env = f"MODE={mode}" if i == 0 else "MODE=fixed"
        # "$$" is a literal "$" in a compose file; the floor's raw API call takes CMD as it is.
        cmd = json.dumps([c.replace("$", "$$") for c in CMD])
        out.append(f"  s{i:02d}:\n    image: berth-test/busybox:latest\n    command: {cmd}\n"
                   f"    environment: [\"{env}\"]")
    return "\n".join(out) + "\n"


def timed(cmd, cwd):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr[-500:]}")
    return dt


def curl(method, path, body=None):
    cmd = ["curl", "-sf", "--unix-socket", SOCK, "-X", method, f"http://localhost/v1.41{path}"]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def floor_once():
    """The engine's floor: what any client must ask for, issued in parallel with curl."""
    t = time.perf_counter()
    curl("POST", "/networks/create", {"Name": "floor_default", "CheckDuplicate": True})

    def one(i):
        body = {"Image": "berth-test/busybox:latest", "Cmd": CMD, "Env": ["MODE=fixed"],
                "Labels": {"bench": "floor"}, "HostConfig": {"NetworkMode": "floor_default"}}
        cid = json.loads(curl("POST", f"/containers/create?name=floor-s{i:02d}-1", body))["Id"]
        curl("POST", f"/containers/{cid}/start")
        return cid

    with ThreadPoolExecutor(max_workers=N) as ex:
        ids = list(ex.map(one, range(N)))
    up = time.perf_counter() - t

    def gone(cid):
        curl("POST", f"/containers/{cid}/stop")
        curl("DELETE", f"/containers/{cid}")

    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=N) as ex:
        list(ex.map(gone, ids))
    curl("DELETE", "/networks/floor_default")
    return up, time.perf_counter() - t


def main():
    d = tempfile.mkdtemp(prefix="berth-bench-up-")
    open(os.path.join(d, "compose.yaml"), "w").write(compose_file("a"))
    res = {k: {"berth": [], "compose": [], "floor": []} for k in ("cold up", "no-op up", "change one", "down")}
    berth = lambda *a: timed([BERTH, *a], d)
    dc = lambda *a: timed(["docker-compose", "-p", "bc", *a], d)
    for _ in range(RUNS):
        open(os.path.join(d, "compose.yaml"), "w").write(compose_file("a"))
        res["cold up"]["berth"].append(berth("up", "-p", "bb"))
        res["cold up"]["compose"].append(dc("up", "-d"))
        fu, fd = floor_once()
        res["cold up"]["floor"].append(fu)
        res["down"]["floor"].append(fd)
        res["no-op up"]["berth"].append(berth("up", "-p", "bb"))
        res["no-op up"]["compose"].append(dc("up", "-d"))
        open(os.path.join(d, "compose.yaml"), "w").write(compose_file("b"))
        res["change one"]["berth"].append(berth("up", "-p", "bb"))
        res["change one"]["compose"].append(dc("up", "-d"))
        res["down"]["berth"].append(berth("down", "-p", "bb"))
        res["down"]["compose"].append(dc("down"))
    shutil.rmtree(d)
    print(f"{N}-service busybox stack, medians of {RUNS} runs, same engine (dockerd "
          f"{subprocess.run(['docker', 'version', '-f', '{{.Server.Version}}'], capture_output=True, text=True).stdout.strip()})")
    print(f"{'':<12}{'berth':>10}{'compose':>10}{'berth/compose':>15}{'floor':>9}{'berth/floor':>13}")
    for k, v in res.items():
        b, c = statistics.median(v["berth"]), statistics.median(v["compose"])
        line = f"{k:<12}{b * 1000:>8.0f}ms{c * 1000:>8.0f}ms{b / c:>14.2f}x"
        if v["floor"]:
            f = statistics.median(v["floor"])
            line += f"{f * 1000:>7.0f}ms{b / f:>12.2f}x"
        print(line)


main()
