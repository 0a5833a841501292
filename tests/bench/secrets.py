#!/usr/bin/python3
"""secrets.py: what SOPS files cost berth, in one run.

- A no-op reconcile of 100 stacks whose env_file is a SOPS document, beside the same 100 stacks with the
  same file in plain text (two repos on one engine, runs alternating), both with SOPS_AGE_KEY set:
  medians and the ratio (the goal is 1.3 at most); then the same with --all, which loads (so decrypts)
  every stack and checks it against the engine.
- Opening a 100-value SOPS file (dotenv and YAML) in memory, without a process start
  (build/tests/sops-decrypt): the median in milliseconds (the goal is 2 ms at most).

A benchmark, not a test: it asserts nothing about time. Needs DOCKER_HOST (the rig's). STACKS and RUNS
change the sizes."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import docker

import measure

BERTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/reconciler/berth")
DECRYPT = os.path.join(os.path.dirname(os.path.dirname(BERTH)), "tests", "sops-decrypt")
STACKS = int(os.environ.get("STACKS", "100"))
RUNS = int(os.environ.get("RUNS", "7"))
IMAGE = "berth-test/busybox:latest"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@b"}


def sh(cmd, cwd=None, env=None):
    subprocess.run(cmd, cwd=cwd, env=env or ENV, check=True, stdout=subprocess.DEVNULL)


def make_repo(d, prefix, recipient):
    repo = os.path.join(d, prefix)
    sh(["git", "init", "-q", "-b", "main", repo])
    for i in range(STACKS):
        s = os.path.join(repo, "stacks", f"{prefix}{i:03d}")
        os.makedirs(s)
        open(os.path.join(s, "compose.yaml"), "w").write(
            f"services:\n  app:\n    image: {IMAGE}\n    command: [\"sleep\", \"86400\"]\n    env_file: app.env\n"
            "    stop_signal: SIGKILL\n")
        open(os.path.join(s, "app.env"), "w").write(f"DB_PASSWORD=pw-{i}-x\nAPI_TOKEN=tok-{i}-y\nLOG_LEVEL=info\n")
        if prefix == "s":
            sh([BERTH, "secrets", "encrypt", "-i", "--age", recipient, os.path.join(s, "app.env")])
    sh(["git", "add", "-A"], cwd=repo)
    sh(["git", "commit", "-qm", "stacks"], cwd=repo)
    return repo


def clear(api, prefixes):
    for c in api.containers(all=True):
        if c["Labels"].get("com.docker.compose.project", "")[:1] in prefixes and \
                c["Labels"].get("io.berth.stack", "").startswith(tuple(prefixes)):
            try:
                api.remove_container(c["Id"], force=True)
            except docker.errors.APIError:
                pass  # going already
    for n in api.networks():
        if n["Name"][:1] in prefixes and n["Name"][1:4].isdigit() and n["Name"].endswith("_default"):
            try:
                api.remove_network(n["Id"])
            except docker.errors.APIError:
                pass


def main():
    api = docker.APIClient(base_url=os.environ["DOCKER_HOST"])
    d = tempfile.mkdtemp(prefix="berth-bench-secrets-")
    key = os.path.join(d, "key.txt")
    sh(["age-keygen", "-o", key], env=ENV)
    recipient = [line.split(": ")[1] for line in open(key) if line.startswith("# public key: ")][0]
    env = {**ENV, "SOPS_AGE_KEY": [line for line in open(key).read().splitlines()
                                   if line.startswith("AGE-SECRET-KEY-")][0],
           "BERTH_STATE_DIR": os.path.join(d, "state")}
    clear(api, ["p", "s"])
    try:
        print(f"secrets.py: {STACKS} stacks per repo, {RUNS} no-op runs each", flush=True)
        repos = {p: make_repo(d, p, recipient) for p in ("p", "s")}
        for p, repo in repos.items():
            t, _ = measure.run([BERTH, "reconcile"], repo, env)
            print(f"  cold reconcile ({'SOPS' if p == 's' else 'plain'}): {t:.1f} s", flush=True)
        times = {"p": [], "s": []}
        rss = {"p": [], "s": []}
        for i in range(RUNS):
            for p in ("p", "s"):
                t, m = measure.run([BERTH, "reconcile"], repos[p], env)
                times[p].append(t)
                rss[p].append(m)
            print(f"  run {i + 1}/{RUNS}: plain {times['p'][-1]:.3f} s, SOPS {times['s'][-1]:.3f} s", flush=True)
        mp, ms = statistics.median(times["p"]), statistics.median(times["s"])
        print(f"no-op reconcile, {STACKS} stacks: plain env_file {mp:.3f} s, SOPS env_file {ms:.3f} s, "
              f"ratio {ms / mp:.2f} (peak RSS {max(rss['p']) // 1024} / {max(rss['s']) // 1024} MiB)")
        # --all loads (and so decrypts) every stack and compares it with the engine: SOPS's whole cost.
        every = {"p": [], "s": []}
        for i in range(RUNS):
            for p in ("p", "s"):
                every[p].append(measure.run([BERTH, "reconcile", "--all"], repos[p], env)[0])
            print(f"  --all run {i + 1}/{RUNS}: plain {every['p'][-1]:.3f} s, SOPS {every['s'][-1]:.3f} s", flush=True)
        mp, ms = statistics.median(every["p"]), statistics.median(every["s"])
        print(f"no-op reconcile --all (every stack loaded and checked), {STACKS} stacks: plain {mp:.3f} s, "
              f"SOPS {ms:.3f} s, ratio {ms / mp:.2f}")

        for fmt, body in (("env", "\n".join(f"KEY_{i:03d}=value-{i}-{'x' * 20}" for i in range(100)) + "\n"),
                          ("yaml", "".join(f"key{i:03d}: value-{i}-{'x' * 20}\n" for i in range(100)))):
            f = os.path.join(d, f"hundred.{fmt}")
            open(f, "w").write(body)
            sh([BERTH, "secrets", "encrypt", "-i", "--age", recipient, f])
            out = subprocess.run([DECRYPT, f, key, "500"], capture_output=True, text=True, check=True).stdout.split()
            print(f"decrypting a 100-value {fmt} file in memory: median {float(out[0]) / 1000:.3f} ms, "
                  f"fastest {float(out[1]) / 1000:.3f} ms")
    finally:
        clear(api, ["p", "s"])
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
