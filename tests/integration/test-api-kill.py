#!/usr/bin/python3
"""test-api-kill.py: berth-api SIGKILLed in the middle of a write (rendering, committing, pushing) and
started again on the same work directory, many times over. Checked with git on the origin and plain
HTTP: the origin holds each change whole or not at all (every commit that adds a stack has its compose
file and its stack.json; git fsck finds nothing), the restarted server answers and writes at once (no
lock file left for a person to delete), the retried request makes the stack exactly once (201, or 409
when the killed one had landed), and every stack asked for is on the origin in exactly one commit.
    KILLS (default 30), KILL_SEED (default: from the clock, printed)"""
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done, free_port  # noqa: E402

BERTH_API = os.environ["BERTH_API"]
TEMPLATES = os.path.join(os.environ["SOURCE_DIR"], "templates")
TOKEN = "kill-write-token-0123456789"
OPTIONS = {"image": "berth-test/busybox:latest", "command": "sleep 3600", "healthcheck": "true"}


def request(port, method, path, body=None, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read().decode()
    except OSError as e:
        return None, str(e)
    finally:
        c.close()


class Server:
    def __init__(self, w):
        self.w, self.proc, self.port = w, None, None

    def start(self):
        self.port = free_port()
        self.proc = subprocess.Popen([BERTH_API, "--listen", f"127.0.0.1:{self.port}", "--repo",
                                      f"{self.w}/origin.git", "--workdir", f"{self.w}/clone", "--token-file",
                                      f"{self.w}/tokens", "--templates", TEMPLATES],
                                     stderr=open(f"{self.w}/api.log", "ab"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if request(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def git(w, *args):
    return subprocess.run(["git", "--git-dir", f"{w}/origin.git", *args], capture_output=True, text=True)


def adds(w):
    """Each stack's commits on the origin that add its compose file, and the commits lacking a part."""
    added, partial = {}, []
    commit = None
    for line in git(w, "log", "--format=#%H", "--diff-filter=A", "--name-only", "main").stdout.splitlines():
        if line.startswith("#"):
            commit = line[1:]
        elif line.endswith("/compose.yaml"):
            name = line.split("/")[1]
            added.setdefault(name, []).append(commit)
            if git(w, "cat-file", "-e", f"{commit}:stacks/{name}/stack.json").returncode != 0:
                partial.append((name, commit))
    return added, partial


def main():
    kills = int(os.environ.get("KILLS", "30"))
    seed = int(os.environ.get("KILL_SEED") or time.time_ns() % 10**9)
    rng = random.Random(seed)
    print(f"# KILL_SEED={seed}", flush=True)
    with tempfile.TemporaryDirectory() as w:
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", f"{w}/origin.git"], check=True)
        with open(f"{w}/tokens", "wb") as f:
            f.write(subprocess.run([BERTH_API, "hash-token", "killer", "write"], input=TOKEN.encode(),
                                   capture_output=True, check=True).stdout)
        srv = Server(w)
        check("berth-api starts", srv.start(), open(f"{w}/api.log").read()[-2000:])
        t = time.monotonic()
        st, body = request(srv.port, "POST", "/stacks", {"name": "first", "definition": "worker", "options": OPTIONS})
        took = time.monotonic() - t
        check(f"a create takes {took * 1000:.0f} ms here: the kills fall within twice that", st == 201, body)
        wanted, restarts, landed, refused, stuck = ["first"], 0, 0, [], []
        for i in range(kills):
            name = f"k{i}"
            wanted.append(name)
            res = {}
            th = threading.Thread(target=lambda: res.update(r=request(srv.port, "POST", "/stacks", {
                "name": name, "definition": "worker", "options": OPTIONS})))
            th.start()
            time.sleep(rng.uniform(0, took * 2))
            srv.kill()
            th.join()
            if not srv.start():
                stuck.append((name, open(f"{w}/api.log").read()[-1500:]))
                break
            restarts += 1
            st, body = request(srv.port, "POST", "/stacks", {"name": name, "definition": "worker", "options": OPTIONS})
            if st == 409:
                landed += 1
            elif st != 201:
                refused.append((name, st, body[:300]))
            if i % 10 == 9:
                print(f"# {i + 1} kills, {landed} of them after the change had landed", flush=True)
        check(f"berth-api starts again after each of {restarts} SIGKILLs and answers at once", not stuck and
              restarts == kills, stuck)
        check("the retried create is 201, or 409 when the killed one had landed; never another answer",
              not refused, refused)
        st, body = request(srv.port, "POST", "/stacks", {"name": "last", "definition": "worker", "options": OPTIONS})
        wanted.append("last")
        check("and a new write after all of them lands", st == 201, body)
        srv.proc.terminate()
        srv.proc.wait(timeout=60)
        added, partial = adds(w)
        check("the origin holds each change whole: every commit that adds a stack has its stack.json",
              not partial, partial)
        check("every stack asked for is on the origin, each in exactly one commit",
              all(len(added.get(n, [])) == 1 for n in wanted) and set(added) == set(wanted),
              {n: added.get(n) for n in wanted if len(added.get(n, [])) != 1})
        fsck = git(w, "fsck", "--strict")
        check("git fsck finds nothing wrong on the origin", fsck.returncode == 0, fsck.stderr + fsck.stdout)
        print(f"# {kills} kills: {landed} after the change had landed, {kills - landed} before", flush=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
