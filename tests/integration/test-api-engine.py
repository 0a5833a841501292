#!/usr/bin/python3
"""test-api-engine.py: an engine that accepts and never answers must not take berth-api down. berth-api
talks to the rig's dockerd through a proxy on a unix socket that this test can switch to "hang": it
still accepts connections and reads requests, and never answers. Checked with plain HTTP: /healthz and
the git routes keep answering, several at once; live state is the last answer, marked stale with its
age; the routes that act on the engine say 503 at once; and all is fresh again when the engine is back."""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done, free_port  # noqa: E402

BERTH_API = os.environ["BERTH_API"]
ENGINE = os.environ["DOCKER_HOST"].removeprefix("unix://")
TOKEN = "engine-write-token-0123456789"
class Proxy(threading.Thread):
    """A unix socket in front of the engine; with hang set, connections are taken and never answered."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.hang = threading.Event()
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(path)
        self.srv.listen(256)
        self.held = []

    def run(self):
        while True:
            c, _ = self.srv.accept()
            if self.hang.is_set():
                self.held.append(c)  # read nothing back, answer nothing
                continue
            threading.Thread(target=self.pipe, args=(c,), daemon=True).start()

    def pipe(self, c):
        e = socket.socket(socket.AF_UNIX)
        e.connect(ENGINE)

        def copy(a, b):
            try:
                while True:
                    if self.hang.is_set():  # a connection kept alive from before the hang hangs too
                        time.sleep(3600)
                    d = a.recv(65536)
                    if not d:
                        break
                    b.sendall(d)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=copy, args=(e, c), daemon=True).start()
        copy(c, e)


def call(port, method, path, body=None, timeout=8.0):
    """(status, json) or (error text, None): the timeout bounds the test, not the server."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, None
    except OSError as e:
        return f"no answer: {e}", None


def main():
    with tempfile.TemporaryDirectory() as w:
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@e")
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", f"{w}/origin.git"], check=True)
        subprocess.run(["git", "clone", "-q", f"file://{w}/origin.git", f"{w}/seed"], check=True,
                       stderr=subprocess.DEVNULL)
        os.makedirs(f"{w}/seed/stacks/eng")
        open(f"{w}/seed/stacks/eng/compose.yaml", "w").write(
            "services:\n  s:\n    image: berth-test/busybox:latest\n    command: [sleep, '3600']\n"
            "    stop_signal: SIGKILL\n")
        subprocess.run("git add -A && git commit -qm seed && git push -q origin main", shell=True, cwd=f"{w}/seed",
                       env=env, check=True, stderr=subprocess.DEVNULL)
        # Deployed by the reconciler's peer path, so the engine has something of the stack to show.
        subprocess.run([os.environ["BERTH"], "up", "-d", "-p", "eng", "-f", f"{w}/seed/stacks/eng/compose.yaml"],
                       check=True, capture_output=True)
        with open(f"{w}/tokens", "wb") as f:
            f.write(subprocess.run([BERTH_API, "hash-token", "alice", "write"], input=TOKEN.encode(),
                                   capture_output=True, check=True).stdout)
        proxy = Proxy(f"{w}/engine.sock")
        proxy.start()
        port = free_port()
        api = subprocess.Popen([BERTH_API, "--listen", f"127.0.0.1:{port}", "--repo", f"{w}/origin.git",
                                "--workdir", f"{w}/clone", "--token-file", f"{w}/tokens", "--templates",
                                os.path.join(os.environ["SOURCE_DIR"], "templates"),
                                "-H", f"unix://{w}/engine.sock"], stderr=open(f"{w}/api.log", "wb"))
        try:
            for _ in range(100):
                if call(port, "GET", "/healthz", timeout=0.5)[0] == 200:
                    break
                time.sleep(0.1)
            run(port, proxy)
        finally:
            proxy.hang.clear()
            api.terminate()
            code = api.wait(timeout=90)
            subprocess.run([os.environ["BERTH"], "down", "-p", "eng", "-v", "-t", "0"], capture_output=True)
        check("SIGTERM stops the server cleanly, a hung engine or not", code == 0, open(f"{w}/api.log").read()[-2000:])
    return done()


def run(port, proxy):
    st, d = call(port, "GET", "/stacks/eng")
    live = (d or {}).get("live", {})
    check("with the engine answering, live state is fresh", st == 200 and live.get("deployed") and not live.get("stale"), d)
    proxy.hang.set()
    # Several at once, as a page and its neighbours would: none waits on the engine.
    results = [None] * 8
    paths = ["/stacks", "/stacks/eng", "/healthz", "/stacks/eng/history", "/stackDefinitions", "/stacks",
             "/images", "/session"]

    def one(i):
        results[i] = call(port, "GET", paths[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check("with the engine hung, every route answers, 8 at once", all(r[0] == 200 for r in results),
          [(p, r[0]) for p, r in zip(paths, results)])
    st, d = call(port, "GET", "/stacks/eng")
    live = (d or {}).get("live", {})
    check("live state is the last answer, marked stale, with its age and why",
          st == 200 and live.get("deployed") and live.get("stale") is True and "age_seconds" in live
          and "stale_reason" in live, d)
    st, d = call(port, "POST", "/stacks", {"name": "hung1", "definition": "worker",
                                           "options": {"image": "berth-test/busybox:latest", "command": "sleep 1",
                                                       "healthcheck": "true"}})
    check("a create commits while the engine is hung", st == 201, (st, d))
    st, d = call(port, "POST", "/stacks/eng/restart")
    check("a restart says 503 at once, naming the engine", st == 503 and "engine" in json.dumps(d), (st, d))
    st, d = call(port, "GET", "/stacks/eng/logs")
    check("and so do the logs", st == 503, (st, d))
    proxy.hang.clear()
    fresh = False
    for _ in range(30):  # the refresher's hung call ends at its own limit; then answers are fresh again
        st, d = call(port, "GET", "/stacks/eng")
        live = (d or {}).get("live", {})
        if st == 200 and live.get("deployed") and not live.get("stale"):
            fresh = True
            break
        time.sleep(1)
    check("when the engine is back, live state is fresh again", fresh, d)


if __name__ == "__main__":
    sys.exit(main())
