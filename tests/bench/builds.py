#!/usr/bin/python3
"""builds.py: the default build (shared libraries) against the static one (-Dstatic_deps=true, the
runner image's) on the paths where berth's own start-up is most of the time, in one run, alternating:

- `berth --version` (the process start alone);
- `berth config` of a 10-service compose file;
- a no-op `berth up` of a 20-service stack that is live;
- a no-op `berth reconcile` of a config repo of 10 live stacks.

Both builds are made here with --buildtype=release, so that they differ only in how they link. Prints
medians of hyperfine's runs and the ratio. A benchmark, not a test: it asserts nothing about time.
Needs DOCKER_HOST (the rig's) and hyperfine; RUNS sets the runs per command (default 40)."""
import json
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNS = os.environ.get("RUNS", "40")
IMAGE = os.environ.get("BERTH_TEST_IMAGE", "berth-test/busybox:latest")


def build(name, static):
    d = os.path.join(TOP, f"build-bench-{name}")
    if not os.path.exists(os.path.join(d, "build.ninja")):
        subprocess.run(["meson", "setup", d, TOP, "-Dtests=false", "--buildtype=release",
                        f"-Dstatic_deps={'true' if static else 'false'}"], check=True, capture_output=True)
    subprocess.run(["ninja", "-C", d, "reconciler/berth"], check=True, capture_output=True)
    return os.path.join(d, "reconciler", "berth")


def service(i):
    return (f"  s{i:02d}:\n    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n"
            f"    environment: [\"N={i}\"]\n")


def median_ms(cmd, cwd):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", RUNS, "--export-json", out.name, cmd],
                       cwd=cwd, check=True, capture_output=True)
        return json.load(open(out.name))["results"][0]["median"] * 1000


def main():
    shared, static = build("shared", False), build("static", True)
    w = tempfile.mkdtemp(prefix="berth-bench-builds.")
    up = os.path.join(w, "up")
    os.makedirs(up)
    open(os.path.join(up, "compose.yaml"), "w").write("services:\n" + "".join(service(i) for i in range(20)))
    cfg = os.path.join(w, "cfg")
    os.makedirs(cfg)
    open(os.path.join(cfg, "compose.yaml"), "w").write("services:\n" + "".join(service(i) for i in range(10)))
    repo = os.path.join(w, "repo")
    for s in range(10):
        os.makedirs(os.path.join(repo, "stacks", f"bb{s}"))
        open(os.path.join(repo, "stacks", f"bb{s}", "compose.yaml"), "w").write(
            "services:\n" + "".join(service(i) for i in range(2)))
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@b")
    for c in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "stacks"]):
        subprocess.run(c, cwd=repo, check=True, env=env)
    try:
        subprocess.run([shared, "up", "-p", "benchup"], cwd=up, check=True, capture_output=True)
        subprocess.run([shared, "reconcile"], cwd=repo, check=True, capture_output=True)
        rows = [("`berth --version`", "{} --version", w), ("`berth config`, 10 services", "{} config", cfg),
                ("no-op `berth up`, 20 services", "{} up -p benchup", up),
                ("no-op `berth reconcile`, 10 stacks", "{} reconcile", repo)]
        print(f"medians of {RUNS} runs each (hyperfine -N), release builds\n")
        print("| path | shared (default) | static (-Dstatic_deps=true) | shared / static |")
        print("|---|---|---|---|")
        for name, cmd, cwd in rows:
            a = median_ms(cmd.format(shared), cwd)
            b = median_ms(cmd.format(static), cwd)
            print(f"| {name} | {a:.1f} ms | {b:.1f} ms | {a / b:.2f}x |", flush=True)
    finally:
        subprocess.run([shared, "down", "-p", "benchup", "-t", "0"], cwd=up, capture_output=True)
        for s in range(10):
            subprocess.run([shared, "down", "-p", f"bb{s}", "-t", "0"], capture_output=True)
        subprocess.run(["rm", "-rf", w])


if __name__ == "__main__":
    sys.exit(main())
