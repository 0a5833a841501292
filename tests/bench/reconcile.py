#!/usr/bin/python3
"""reconcile.py: reconciling a config repo of 100 stacks x 3 services, side by side with its peers on
the same engine, in one run:

- the engine floor: the same 100 networks and 300 containers created and started by a plain client
  (python3-docker's low-level API), with the same number of operations in flight as berth's budget;
- berth's cold reconcile of the repo (every stack deployed, each through its health gate);
- a shell loop of `docker-compose up -d` (1.29.2) over the same stacks, cold, under its own project
  names;
- berth's no-op reconcile (everything live, nothing to do), against the same compose loop with
  everything up.

Prints the medians, the ratios and berth's peak RSS. A benchmark, not a test: it asserts nothing about
time. Needs DOCKER_HOST (the rig's). STACKS, RUNS and COLD_RUNS change the sizes (COLD_RUNS=0: the no-op
runs only); BASELINE=path/to/another/berth times that binary's no-op reconcile too, alternating with
this one, to compare two builds in one run."""
import concurrent.futures
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import docker

import measure

BERTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/reconciler/berth")
STACKS = int(os.environ.get("STACKS", "100"))
RUNS = int(os.environ.get("RUNS", "7"))
COLD_RUNS = int(os.environ.get("COLD_RUNS", "3"))
SERVICES = ("web", "api", "worker")
IMAGE = "berth-test/busybox:latest"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@b"}


def run(cmd, cwd):
    return measure.run(cmd, cwd, ENV)


def names(prefix):
    return [f"{prefix}{i:03d}" for i in range(STACKS)]


def clear(api):
    # Whatever this benchmark made, by its labels and names; stacks of an earlier, interrupted run belong
    # to another repo, so berth itself would rightly refuse them.
    for c in api.containers(all=True, filters={"label": "io.berth.bench"}):
        api.remove_container(c["Id"], force=True)
    ours = set(names("b") + names("c") + names("f"))
    for c in api.containers(all=True):
        if c["Labels"].get("com.docker.compose.project") in ours:
            api.remove_container(c["Id"], force=True)
    for n in api.networks():
        if n["Name"].split("_")[0] in ours or "io.berth.bench" in (n.get("Labels") or {}):
            api.remove_network(n["Id"])
    subprocess.run(["docker", "network", "rm", "berth-lock"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def engine_floor(api, parallel):
    """Each stack's network, then its three containers created on it and started; at most `parallel`
    operations (a create and start counts as one, as in berth's budget) in flight."""
    def network(stack):
        api.create_network(f"{stack}_default", driver="bridge", labels={"io.berth.bench": "1"})

    def container(stack, svc):
        net = api.create_networking_config({f"{stack}_default": api.create_endpoint_config(aliases=[svc])})
        c = api.create_container(IMAGE, command=["sleep", "86400"], name=f"{stack}-{svc}-1",
                                 labels={"io.berth.bench": "1"}, environment=[f"STACK={stack}"],
                                 stop_signal="SIGKILL", networking_config=net)
        api.start(c["Id"])

    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        nets = {pool.submit(network, s): s for s in names("f")}
        work = []
        for f in concurrent.futures.as_completed(nets):
            f.result()
            work += [pool.submit(container, nets[f], svc) for svc in SERVICES]
        for f in work:
            f.result()
    return time.perf_counter() - t


def berth_parallel(api):
    # berth's default budget: twice the engine's CPUs, from 4 to 32 (deploy/stack.c).
    return min(32, max(4, 2 * api.info()["NCPU"]))


def make_repo():
    d = tempfile.mkdtemp(prefix="berth-bench-rec-")
    subprocess.run(["git", "init", "-q", "-b", "main", d], check=True)
    for name in names("b"):
        sd = os.path.join(d, "stacks", name)
        os.makedirs(sd)
        with open(os.path.join(sd, "compose.yaml"), "w") as f:
            f.write("services:\n")
            for s in SERVICES:
                f.write(f"  {s}:\n    image: {IMAGE}\n    command: [\"sleep\", \"86400\"]\n"
                        f"    stop_signal: SIGKILL\n    environment: [STACK={name}]\n")
    subprocess.run(["git", "-C", d, "add", "-A"], check=True, env=ENV)
    subprocess.run(["git", "-C", d, "commit", "-qm", "bench"], check=True, env=ENV)
    return d


def compose_loop(d):
    t = time.perf_counter()
    for i, name in enumerate(names("b")):
        run(["docker-compose", "-p", f"c{i:03d}", "up", "-d"], os.path.join(d, "stacks", name))
    return time.perf_counter() - t


def main():
    api = docker.APIClient(base_url=os.environ["DOCKER_HOST"], version="auto", timeout=300)
    parallel = berth_parallel(api)
    clear(api)
    d = make_repo()
    floor, cold, cold_rss, compose_cold = [], [], [], []
    for _ in range(COLD_RUNS):
        floor.append(engine_floor(api, parallel))
        clear(api)
        t, rss = run([BERTH, "reconcile"], d)
        cold.append(t)
        cold_rss.append(rss)
        clear(api)
        compose_cold.append(compose_loop(d))
        clear(api)
    run([BERTH, "reconcile"], d)
    compose_loop(d)
    noop, base = [], []
    for _ in range(RUNS):
        noop.append(run([BERTH, "reconcile"], d))
        if os.environ.get("BASELINE"):
            base.append(run([os.path.abspath(os.environ["BASELINE"]), "reconcile"], d))
    compose_noop = [compose_loop(d) for _ in range(max(1, RUNS // 3))]

    n, nrss, cn = (statistics.median(x[0] for x in noop), max(x[1] for x in noop) / 1024,
                   statistics.median(compose_noop))
    print(f"{STACKS} stacks x {len(SERVICES)} services ({STACKS * len(SERVICES)} containers, {STACKS} networks), "
          f"{parallel} operations in flight, medians of {COLD_RUNS} cold runs")
    if COLD_RUNS:
        f, b, c = statistics.median(floor), statistics.median(cold), statistics.median(compose_cold)
        print(f"engine floor (plain client)   {f:8.1f} s   {f / c:.2f}x the docker-compose loop")
        print(f"berth reconcile, cold         {b:8.1f} s   {b / f:.2f}x the floor, peak RSS {max(cold_rss) / 1024:.1f} MiB")
        print(f"docker-compose up -d loop     {c:8.1f} s   berth takes {b / c:.2f}x its time")
    print(f"no-op berth reconcile         {n * 1000:8.0f} ms  (median of {len(noop)}), peak RSS {nrss:.1f} MiB")
    if base:
        bn, brss = statistics.median(x[0] for x in base), max(x[1] for x in base) / 1024
        print(f"no-op BASELINE reconcile      {bn * 1000:8.0f} ms  (median of {len(base)}), peak RSS {brss:.1f} MiB;"
              f" this build takes {n / bn:.2f}x its time")
    print(f"no-op docker-compose loop     {cn * 1000:8.0f} ms  (median of {len(compose_noop)}), berth is {cn / n:.0f}x faster")
    clear(api)
    shutil.rmtree(d)


main()
