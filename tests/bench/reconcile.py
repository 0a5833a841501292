#!/usr/bin/python3
"""reconcile.py: a no-op `berth reconcile` of a config repo with 100 stacks x 3 services, all live,
against `docker-compose up -d` (1.29.2) over the same 100 stacks (deployed by it under its own project
names), in one run on the same engine. Prints medians, the ratio and berth's peak RSS. A benchmark, not
a test. Needs DOCKER_HOST (the rig's)."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BERTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/reconciler/berth")
STACKS = int(os.environ.get("STACKS", "100"))
RUNS = int(os.environ.get("RUNS", "7"))
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@b"}


def run(cmd, cwd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(cmd)} failed: {err[-800:]}")
    return dt, ru.ru_maxrss


def clear():
    # Stacks of an earlier, interrupted run belong to another repo: berth would rightly refuse them.
    names = [f"b{i:03d}" for i in range(STACKS)] + [f"c{i:03d}" for i in range(STACKS)]
    procs = [subprocess.Popen([BERTH, "down", "-t", "0", "-p", n], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for n in names]
    for p in procs:
        p.wait()


def main():
    clear()
    d = tempfile.mkdtemp(prefix="berth-bench-rec-")
    subprocess.run(["git", "init", "-q", "-b", "main", d], check=True)
    for i in range(STACKS):
        sd = os.path.join(d, "stacks", f"b{i:03d}")
        os.makedirs(sd)
        with open(os.path.join(sd, "compose.yaml"), "w") as f:
            f.write("services:\n")
            for s in ("web", "api", "worker"):
                f.write(f"  {s}:\n    image: berth-test/busybox:latest\n    command: [\"sleep\", \"86400\"]\n"
                        f"    stop_signal: SIGKILL\n    environment: [STACK=b{i:03d}]\n")
    subprocess.run(["git", "-C", d, "add", "-A"], check=True, env=ENV)
    subprocess.run(["git", "-C", d, "commit", "-qm", "bench"], check=True, env=ENV)
    t0 = time.perf_counter()
    run([BERTH, "reconcile"], d)
    cold = time.perf_counter() - t0
    for i in range(STACKS):
        run(["docker-compose", "-p", f"c{i:03d}", "up", "-d"], os.path.join(d, "stacks", f"b{i:03d}"))
    berth = [run([BERTH, "reconcile"], d) for _ in range(RUNS)]
    compose = []
    for _ in range(max(1, RUNS // 3)):
        t = time.perf_counter()
        for i in range(STACKS):
            run(["docker-compose", "-p", f"c{i:03d}", "up", "-d"], os.path.join(d, "stacks", f"b{i:03d}"))
        compose.append(time.perf_counter() - t)
    b = statistics.median(x[0] for x in berth)
    rss = max(x[1] for x in berth) / 1024
    c = statistics.median(compose)
    print(f"{STACKS} stacks x 3 services, all live ({STACKS * 3} containers each tool); cold reconcile {cold:.1f}s")
    print(f"no-op berth reconcile      {b * 1000:8.0f} ms  (median of {len(berth)}), peak RSS {rss:.1f} MiB")
    print(f"docker-compose up -d x{STACKS}  {c * 1000:8.0f} ms  (median of {len(compose)})")
    print(f"berth is {c / b:.0f}x faster")
    clear()
    shutil.rmtree(d)


main()
