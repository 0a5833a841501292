#!/usr/bin/python3
"""swarm.py: a 20-service swarm stack (an image from the swarm's registry) deployed by `berth up --swarm`
and by `docker stack deploy`,
side by side on the same two-node swarm (tests/lib/swarm.sh, started here inside the rig that
BERTH_RIG_DIR and DOCKER_HOST name):

- no-op: the unchanged file deployed again (docker stack deploy sends an update for every service);
- change one service: one service's environment changes, alternately, and the file is deployed.

berth is measured twice: `berth up --swarm -f FILE` (as docker stack deploy is used) and `berth reconcile`
of a config repo whose berth.yaml says mode: swarm (the GitOps path: the commit is made before the clock
starts; reconcile's health gate waits until the changed service's tasks run, which docker stack deploy
does not, so its change figure is shown for information).

Runs alternate between the tools, RUNS each (default 5); prints medians and ratios, and how many
services each tool wrote (their spec versions read back) and how many tasks were replaced.

usage: DOCKER_HOST=... BERTH_RIG_DIR=... tests/bench/swarm.py build/reconciler/berth [RUNS]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time



def run(cmd, cwd, env):
    """Runs cmd and returns its wall time. Not through GNU time, as measure.run does for its RSS (not
    reported here): at a few milliseconds a run, the wrapper's own fork and exec would be a third of
    berth's figure and none of the peer's."""
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.decode(errors='replace')[-800:]}")
    return dt, 0

SERVICES = 20
TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


# Started and stopped from two shells: the swarm's directory is named for both.
SWARM_ENV = {**os.environ, "SWARM_DIR": os.path.join(os.environ.get("BERTH_RIG_DIR", "/nonexistent"), "swarm-bench")}


def start_swarm():
    out = subprocess.run(["bash", "-c", ". tests/lib/rig.sh && . tests/lib/swarm.sh && swarm_start >&2 && env"],
                         cwd=TOP, check=True, capture_output=True, text=True, env=SWARM_ENV).stdout
    env = dict(line.split("=", 1) for line in out.splitlines() if line.startswith("BERTH_TEST_SWARM"))
    return env


def stop_swarm():
    subprocess.run(["bash", "-c", ". tests/lib/rig.sh && . tests/lib/swarm.sh && swarm_stop"], cwd=TOP, env=SWARM_ENV)


def write_stack(path, changed, image):
    lines = ["services:"]
    for i in range(SERVICES):
        lines += [f"  s{i:02d}:", f"    image: {image}", "    command: [\"sleep\", \"3600\"]",
                  "    stop_grace_period: 1s", "    environment:", f"      VERSION: \"{changed if i == 7 else 1}\""]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def docker(host, *args):
    return subprocess.run(["docker", *args], env={**os.environ, "DOCKER_HOST": host}, check=True,
                          capture_output=True, text=True).stdout


def versions(host, stack):
    out = docker(host, "service", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}")
    ids = out.split()
    specs = json.loads(docker(host, "service", "inspect", *ids)) if ids else []
    return {s["Spec"]["Name"]: s["Version"]["Index"] for s in specs}


def tasks(host, stack):
    """The running tasks, once every service has one running again: an update replaces a task after
    the deploy returns, so this waits (up to a minute) for that to settle."""
    ids = set()
    for _ in range(120):
        out = docker(host, "stack", "ps", "--filter", "desired-state=running", "--format",
                     "{{.ID}} {{.CurrentState}}", stack)
        rows = [line.split() for line in out.splitlines() if line]
        ids = {r[0] for r in rows}
        if len(rows) == SERVICES and all(r[1] == "Running" for r in rows):
            break
        time.sleep(0.5)
    return ids


def main():
    berth = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sw = start_swarm()
    host = sw["BERTH_TEST_SWARM_HOST"]
    env = {**os.environ, "DOCKER_HOST": host}
    try:
        with tempfile.TemporaryDirectory() as d:
            compose = os.path.join(d, "compose.yaml")
            # As production stacks do, the image comes from a registry (the swarm's own): both tools ask
            # it for the tag's digest and pin the services to it.
            image = f"{sw['BERTH_TEST_SWARM_REGISTRY']}/bench/app:1"
            docker(host, "tag", "berth-test/busybox:latest", image)
            docker(host, "push", "-q", image)
            write_stack(compose, 1, image)
            repo = os.path.join(d, "repo")
            os.makedirs(os.path.join(repo, "stacks", "rbench"))
            with open(os.path.join(repo, "berth.yaml"), "w") as f:
                f.write("mode: swarm\nhealth_timeout: 120s\n")
            rcompose = os.path.join(repo, "stacks", "rbench", "compose.yaml")
            git = ["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
            subprocess.run(["git", "init", "-q", repo], check=True)

            def commit(version):
                write_stack(rcompose, version, image)
                subprocess.run(git + ["add", "-A"], check=True)
                subprocess.run(git + ["commit", "-qm", f"v{version}"], check=True)

            commit(1)
            deploy = {"berth": [berth, "up", "--swarm", "-f", compose, "-p", "bbench"],
                      "reconcile": [berth, "reconcile", "--repo", repo],
                      "docker": ["docker", "stack", "deploy", "-c", compose, "dbench"]}
            stacks = {"berth": "bbench", "reconcile": "rbench", "docker": "dbench"}
            for tool in deploy:
                run(deploy[tool], d, env)
            results = {}
            for step in ("no-op", "change one service"):
                times = {t: [] for t in deploy}
                written, replaced = {t: [] for t in deploy}, {t: [] for t in deploy}
                for i in range(runs):
                    if step != "no-op":
                        write_stack(compose, i + 2, image)
                        commit(i + 2)
                    for tool in deploy:
                        before_v, before_t = versions(host, stacks[tool]), tasks(host, stacks[tool])
                        dt, _ = run(deploy[tool], d, env)
                        times[tool].append(dt)
                        after_v = versions(host, stacks[tool])
                        written[tool].append(sum(1 for k in after_v if after_v[k] != before_v.get(k)))
                        replaced[tool].append(len(before_t - tasks(host, stacks[tool])))
                results[step] = (times, written, replaced)
            print(f"{SERVICES}-service swarm stack, 2 nodes, medians of {runs} runs each")
            print(f"{'step':<20} {'berth':<16} {'berth':>9} {'docker stack deploy':>20} {'ratio':>8} "
                  f"{'services written b/d':>22} {'tasks replaced b/d':>20}")
            for step, (times, written, replaced) in results.items():
                k = statistics.median(times["docker"])
                for tool, label in (("berth", "up --swarm"), ("reconcile", "reconcile")):
                    b = statistics.median(times[tool])
                    print(f"{step:<20} {label:<16} {b * 1000:>7.0f}ms {k * 1000:>18.0f}ms {k / b:>7.1f}x "
                          f"{statistics.median(written[tool]):>10.0f}/{statistics.median(written['docker']):<11.0f}"
                          f"{statistics.median(replaced[tool]):>9.0f}/{statistics.median(replaced['docker']):<10.0f}")
            for tool in stacks:
                subprocess.run(["docker", "stack", "rm", stacks[tool]], env=env, capture_output=True)
    finally:
        stop_swarm()


if __name__ == "__main__":
    main()
