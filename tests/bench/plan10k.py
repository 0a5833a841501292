#!/usr/bin/python3
"""plan10k.py: a no-op `berth plan` over a config repo of 10,000 stack directories, all deployed at the
previous commit (HEAD only changed a file outside every stack), against `berth plan --all` over the same
repo (which parses and plans every stack), in one run. Prints medians, the ratio and peak RSS.

10,000 live stacks cannot run on this machine: a running container costs ~5 MiB and ~0.3 s to create
here (measured), so 10,000 would need ~50 GiB and ~50 minutes. The engine's side is therefore a stand-in
that sits beside the real one: one stack is deployed for real on the rig's dockerd (DOCKER_HOST), its
container as the engine lists it is copied 10,000 times with the names changed, and a small server on
a unix socket answers the calls a plan makes (/_ping, /info, /containers/json with its filters, and the
image, network and volume inspections of `--all`) from that list. What is measured is berth's own work:
the tree diff, the skip decisions, and (with --all) the parsing. A benchmark, not a test."""
import http.server
import json
import os
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

BERTH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/reconciler/berth")
STACKS = int(os.environ.get("STACKS", "10000"))
RUNS = int(os.environ.get("RUNS", "5"))
ORIGIN = "https://git.example.invalid/ops/config.git"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@b"}
COMPOSE = 'services:\n  app:\n    image: berth-test/busybox:latest\n    command: ["sleep", "86400"]\n'


def git(d, *args):
    return subprocess.run(["git", "-C", d, *args], check=True, env=ENV, capture_output=True,
                          text=True).stdout.strip()


def make_repo(d, names):
    git(d, "init", "-q", "-b", "main")
    git(d, "remote", "add", "origin", ORIGIN)
    for n in names:
        os.makedirs(os.path.join(d, "stacks", n))
        with open(os.path.join(d, "stacks", n, "compose.yaml"), "w") as f:
            f.write(COMPOSE)
    git(d, "add", "-A")
    git(d, "commit", "-qm", "stacks")
    return git(d, "rev-parse", "HEAD")


def template():
    """The container of one stack deployed for real, as the engine lists it."""
    import docker
    d = tempfile.mkdtemp(prefix="berth-bench-tmpl-")
    make_repo(d, ["tmpl"])
    subprocess.run([BERTH, "reconcile"], cwd=d, check=True, env=ENV, capture_output=True)
    api = docker.APIClient(base_url=os.environ["DOCKER_HOST"])
    c = api.containers(all=True, filters={"label": "com.docker.compose.project=tmpl"})[0]
    net = api.inspect_network("tmpl_default")
    subprocess.run([BERTH, "down", "-t", "0", "-p", "tmpl"], check=True, capture_output=True)
    shutil.rmtree(d)
    return c, net


def fake_list(tmpl, names, commit):
    text = json.dumps(tmpl)
    text = text.replace(tmpl["Labels"]["io.berth.commit"], commit)
    out = []
    for n in names:
        out.append(json.loads(text.replace("tmpl", n)))
    return out


class Engine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def handler(containers, net, image_id):
    by_project = {}
    for c in containers:
        by_project.setdefault(c["Labels"]["com.docker.compose.project"], []).append(c)
    everything = json.dumps(containers).encode()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def address_string(self):
            return "fake"

        def log_message(self, *a):
            pass

        def reply(self, code, body, ctype="application/json"):
            self.send_response(code)
            self.send_header("Api-Version", "1.41")
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            path = u.path.split("/", 2)[-1] if u.path.startswith("/v1.") else u.path.lstrip("/")
            q = urllib.parse.parse_qs(u.query)
            if path == "_ping":
                return self.reply(200, b"OK", "text/plain")
            if path == "info":
                return self.reply(200, json.dumps({"ID": "fake", "NCPU": 2, "Name": "fake"}).encode())
            if path == "containers/json":
                filters = json.loads(q.get("filters", ["{}"])[0])
                for f in filters.get("label", []):
                    if f.startswith("com.docker.compose.project="):
                        return self.reply(200, json.dumps(by_project.get(f.split("=", 1)[1], [])).encode())
                return self.reply(200, everything)
            if path.startswith("images/"):
                return self.reply(200, json.dumps({"Id": image_id, "RepoTags": ["berth-test/busybox:latest"]}).encode())
            if path.startswith("networks/"):
                name = urllib.parse.unquote(path.split("/", 1)[1])
                stack = name.rsplit("_", 1)[0]
                if stack in by_project:
                    return self.reply(200, json.dumps(net).replace("tmpl", stack).encode())
            return self.reply(404, b'{"message":"no such object"}')

    return H


def timed(cmd, cwd, env):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, env=env)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.decode()[-800:]}")
    return dt, p.stdout.decode()


def peak_rss(cmd, cwd, env):
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, ru = os.wait4(p.pid, 0)
    return ru.ru_maxrss / 1024


def main():
    tmpl, net = template()
    names = [f"s{i:05d}" for i in range(STACKS)]
    d = tempfile.mkdtemp(prefix="berth-bench-10k-")
    t = time.perf_counter()
    deployed = make_repo(d, names)
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write("a change outside every stack\n")
    git(d, "add", "-A")
    git(d, "commit", "-qm", "readme")
    print(f"repo: {STACKS} stack directories, two commits ({time.perf_counter() - t:.1f}s to make)")

    sock = os.path.join(d, "..", os.path.basename(d) + ".sock")
    srv = Engine(sock, handler(fake_list(tmpl, names, deployed), net, tmpl["ImageID"]))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = {**ENV, "DOCKER_HOST": "unix://" + sock}
    if os.environ.get("SERVE"):  # for profiling: leave the repo and the stand-in engine up
        print(f"cd {d} && DOCKER_HOST=unix://{sock} {BERTH} plan", flush=True)
        time.sleep(3600)
    try:
        noop, full = [], []
        for _ in range(RUNS):
            dt, out = timed([BERTH, "plan"], d, env)
            noop.append(dt)
        skips = sum(1 for line in out.splitlines() if line.startswith("stack ") and " skip " in line)
        head = out.splitlines()[0]
        rss = peak_rss([BERTH, "plan"], d, env)
        for _ in range(max(1, RUNS // 2)):
            dt, out_all = timed([BERTH, "plan", "--all"], d, env)
            full.append(dt)
        parsed = sum(1 for line in out_all.splitlines() if "checking live state (--all)" in line)
        print(f"berth plan: {head}; {skips} stacks skipped without parsing")
        print(f"berth plan --all: {parsed} stacks parsed and planned")
        a, b = statistics.median(noop), statistics.median(full)
        print(f"no-op plan, {STACKS} stacks:        median {a * 1000:8.1f} ms  (runs: "
              + " ".join(f"{x * 1000:.0f}" for x in noop) + ")")
        print(f"plan --all (every stack parsed):  median {b * 1000:8.1f} ms  (runs: "
              + " ".join(f"{x * 1000:.0f}" for x in full) + ")")
        print(f"ratio no-op / --all: {a / b:.3f}   peak RSS of the no-op plan: {rss:.1f} MiB")
    finally:
        srv.shutdown()
        os.unlink(sock)
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
