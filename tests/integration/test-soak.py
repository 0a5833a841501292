#!/usr/bin/python3
"""test-soak.py: a model-based soak. A seeded generator makes a random history of commits over a config
repo of about ten stacks (add, change and delete stacks and services; images, environment, ports,
bind-mounted files, env_files, replicas, depends_on; disable and enable; rename; an invalid file or a
depends_on cycle, and its fix; revert), and after each commit runs `berth plan` and `berth reconcile`,
then checks what the engine runs against the model with python3-docker, curl-like HTTP and the files
on disk, never through berth's own records:

  - every valid enabled stack runs what its compose file says: services, replicas, image, environment,
    published ports (answering), mounts, the bind-mounted file's content;
  - an invalid commit fails the run with the stack's file:line:col and changes nothing of that stack;
  - disabled, deleted and renamed-away stacks have nothing left but their volumes; no container or
    network of a soak stack is left without a deployed stack;
  - files written by containers (into the named volume and under the bind-mounted directory) are there;
  - a reconcile SIGKILLed at a random moment (SOAK_KILL_P of the steps, default 0.3) is followed by one
    that converges: everything above holds, no lock or file is left for a person to delete;
  - a second reconcile changes nothing, `plan --all --detailed-exitcode` (every stack parsed and compared
    with the engine) finds nothing to do, and `berth status` and berth-api's /stacks report no drift.

A failure prints the seed and the step, then shrinks the history (dropping steps while the failure
still shows, each try on a fresh repo) and prints the smallest history it found, also written to
$SOAK_OUT/soak-<seed>.json; SOAK_REPLAY=that file runs it again.
    SOAK_STEPS (default 60), SOAK_SEED (default 2026; tests/soak.sh: from the clock), SOAK_SHRINK_S (default 900; 0: off)"""
import copy
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import docker

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done, free_port  # noqa: E402

BERTH = os.environ["BERTH"]
BERTH_API = os.environ.get("BERTH_API", "")
client = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], timeout=120)
IMAGES = ["berth-test/busybox:latest", "berth-test/soak:b"]
ENV_KEYS = ["A", "B", "C"]
PREFIX = "soak-"
KILL_P = float(os.environ.get("SOAK_KILL_P", "0.3"))  # the share of steps that first kill a reconcile
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="soak", GIT_AUTHOR_EMAIL="soak@example.com",
               GIT_COMMITTER_NAME="soak", GIT_COMMITTER_EMAIL="soak@example.com")


class Failure(Exception):
    pass


# ---- the model: what the repo says, as plain data ------------------------------------------------

def new_service(rng):
    return {"image": rng.choice(IMAGES), "env": {"A": f"v{rng.randrange(1000)}"}, "port": None,
            "replicas": 1, "file": None, "envfile": None, "deps": []}


def new_stack(rng):
    return {"enabled": True, "broken": None, "next": 1, "services": {"s0": new_service(rng)}}


def valid_stacks(model):
    return [n for n, s in model["stacks"].items() if not s["broken"]]


def gen_op(rng, model, n_states):
    """One random operation with every choice made, so the history replays as it was."""
    stacks = sorted(model["stacks"])
    ok = sorted(valid_stacks(model))
    kinds = [("add_stack", 3 if len(stacks) < 12 else 0), ("delete_stack", 2 if len(stacks) > 8 else 0),
             ("add_service", 3), ("delete_service", 2), ("image", 3), ("env", 4), ("port", 3),
             ("file", 3), ("envfile", 2), ("replicas", 4), ("deps", 1), ("toggle", 2), ("rename", 1),
             ("break", 1), ("fix", 4 if len(ok) < len(stacks) else 0), ("revert", 2 if n_states > 1 else 0)]
    kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
    op = {"op": kind}
    if kind == "add_stack":
        op.update(stack=f"{PREFIX}{model['next']}", seed=rng.randrange(1 << 30))
        return op
    if kind == "revert":
        return op
    pool = stacks if kind in ("delete_stack", "toggle", "rename", "fix") else ok
    if kind == "fix":
        pool = [n for n in stacks if model["stacks"][n]["broken"]]
    off = [n for n in stacks if not model["stacks"][n]["enabled"]]
    if kind == "toggle" and off and rng.random() < 0.7:
        pool = off  # enabling more often than disabling keeps most stacks running
    if not pool:
        return None
    op["stack"] = rng.choice(pool)
    svcs = sorted(model["stacks"][op["stack"]]["services"])
    op["service"] = rng.choice(svcs)
    op["value"] = {
        "image": rng.choice(IMAGES),
        "env": (rng.choice(ENV_KEYS), rng.choice([None, f"v{rng.randrange(1000)}"])),
        "port": rng.choice([None, port_from(rng)]),
        "file": rng.choice([None, f"file {rng.randrange(10**6)}"]),
        "envfile": rng.choice([None, f"f{rng.randrange(1000)}"]),
        "replicas": rng.randrange(0, 4),
        "break": rng.choice(["port", "cycle"]),
        "deps": rng.choice(svcs),
        "add_service": rng.randrange(1 << 30),
        "rename": f"{PREFIX}{model['next']}",
    }.get(kind)
    return op


def port_from(rng):
    """A free port of 127.0.0.1 drawn from the seed, so a seed's history names the same ports again."""
    while True:
        port = 20000 + rng.randrange(20000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()


def apply_op(model, op, states):
    """The model after op, or None when op does not apply to this model (a shrunk history)."""
    if op["op"] == "revert":
        return copy.deepcopy(states[-2]) if len(states) > 1 else None
    m = copy.deepcopy(model)
    name = op.get("stack")
    st = m["stacks"].get(name)
    if op["op"] == "add_stack":
        if name in m["stacks"]:
            return None
        m["stacks"][name] = new_stack(random.Random(op["seed"]))
        m["next"] = max(m["next"], int(name[len(PREFIX):]) + 1)
        return m
    if st is None:
        return None
    svc = st["services"].get(op.get("service"))
    kind, v = op["op"], op.get("value")
    if kind in ("delete_stack", "toggle", "rename", "fix"):
        if kind == "delete_stack":
            del m["stacks"][name]
        elif kind == "toggle":
            st["enabled"] = not st["enabled"]
        elif kind == "fix":
            if not st["broken"]:
                return None
            st["broken"] = None
        else:
            if v in m["stacks"]:
                return None
            m["stacks"][v] = m["stacks"].pop(name)
            m["next"] = max(m["next"], int(v[len(PREFIX):]) + 1)
        return m
    if st["broken"] or svc is None:
        return None
    if kind == "add_service":
        if len(st["services"]) >= 3:
            return None
        st["services"][f"s{st['next']}"] = new_service(random.Random(v))
        st["next"] += 1
    elif kind == "delete_service":
        if len(st["services"]) < 2 or op["service"] == "s0":
            return None
        del st["services"][op["service"]]
        for other in st["services"].values():
            other["deps"] = [d for d in other["deps"] if d != op["service"]]
    elif kind == "image":
        if svc["image"] == v:
            return None
        svc["image"] = v
    elif kind == "env":
        key, val = v
        if key == "A" and val is None:
            return None
        if val is None:
            svc["env"].pop(key, None)
        else:
            svc["env"][key] = val
    elif kind == "port":
        svc["port"] = v
        if v:
            svc["replicas"] = 1  # one host port, one container
    elif kind == "file":
        svc["file"] = v
    elif kind == "envfile":
        svc["envfile"] = v
    elif kind == "replicas":
        if svc["port"] or v == svc["replicas"]:
            return None
        svc["replicas"] = v
    elif kind == "deps":
        # Only on a service listed earlier, so the graph stays acyclic; cycles come from "break".
        if v >= op["service"] or v in svc["deps"]:
            return None
        svc["deps"].append(v)
    elif kind == "break":
        st["broken"] = v
    return m


# ---- the repo: files rendered from the model ---------------------------------------------------

def render_stack(name, st):
    files = {}
    svcs = st["services"]
    first = sorted(svcs)[0]
    lines = ["services:"]
    for sname in sorted(svcs):
        s = svcs[sname]
        lines += [f"  {sname}:", f"    image: {s['image']}",
                  '    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]', "    stop_signal: SIGKILL",
                  "    environment:"]
        lines += [f'      {k}: "{val}"' for k, val in sorted(s["env"].items())]
        if s["envfile"]:
            lines.append(f"    env_file: [{sname}.env]")
            files[f"{sname}.env"] = f"FROM_FILE={s['envfile']}\n"
        ports = [f'"127.0.0.1:{s["port"]}:80"'] if s["port"] else []
        if st["broken"] == "port" and sname == first:
            ports.append('"99999:80"')
        if ports:
            lines.append(f"    ports: [{', '.join(ports)}]")
        if s["replicas"] != 1:
            lines.append(f"    deploy: {{replicas: {s['replicas']}}}")
        vols = []
        if sname == first:
            vols += ["data:/data", "./state:/state"]
        if s["file"]:
            vols.append(f"./files/{sname}.txt:/etc/soak.txt:ro")
            files[f"files/{sname}.txt"] = s["file"] + "\n"
        if vols:
            lines.append(f"    volumes: [{', '.join(vols)}]")
        deps = list(s["deps"])
        if st["broken"] == "cycle":
            last = sorted(svcs)[-1]
            if sname == first:
                deps.append(last)
            if sname == last and last != first:
                deps.append(first)
        if deps:
            lines.append(f"    depends_on: [{', '.join(sorted(set(deps)))}]")
    lines += ["volumes:", "  data: {}"]
    files["compose.yaml"] = "\n".join(lines) + "\n"
    files["state/.keep"] = ""
    if not st["enabled"]:
        files["stack.json"] = '{"enabled": false}\n'
    return {f"stacks/{name}/{k}": v for k, v in files.items()}


class Run:
    """One history played on a fresh repo, origin and state dir, against the rig's engine."""

    def __init__(self, out, seed):
        self.w = tempfile.mkdtemp(prefix="berth-soak.")
        self.kill_rng = random.Random(seed)
        self.kills = 0
        self.out = out
        self.repo = os.path.join(self.w, "repo")
        self.origin = os.path.join(self.w, "origin.git")
        self.env = dict(GIT_ENV, BERTH_STATE_DIR=os.path.join(self.w, "state"))
        self.model = {"stacks": {}, "next": 1}
        self.states = [copy.deepcopy(self.model)]
        self.deployed = {}  # stack -> the stack's model as it was last deployed
        self.written = []  # (volume, name) and (host path, None): files the containers wrote
        self.step = 0
        self.api = None
        sweep()
        self.git("init", "-q", "--bare", "-b", "main", self.origin, cwd=self.w)
        self.git("clone", "-q", f"file://{self.origin}", self.repo, cwd=self.w)
        with open(os.path.join(self.repo, ".gitignore"), "w") as f:
            f.write("stacks/*/state/*\n!stacks/*/state/.keep\n")
        self.git("add", "-A")
        self.git("commit", "-qm", "soak: start")
        self.git("push", "-q", "origin", "main")

    def close(self):
        if self.api:
            self.api.kill()
            self.api.wait()
        sweep()
        subprocess.run(["rm", "-rf", self.w])

    def git(self, *args, cwd=None):
        r = subprocess.run(["git", *args], cwd=cwd or self.repo, env=self.env, capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure(f"git {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def berth(self, *args):
        t = time.monotonic()
        r = subprocess.run([BERTH, *args], cwd=self.repo, env=self.env, capture_output=True, text=True)
        out = r.stdout + r.stderr
        if re.search(r"AddressSanitizer|runtime error:|LeakSanitizer", out):
            raise Failure(f"berth {' '.join(args)} reported a sanitizer error:\n{out}")
        return r.returncode, out, time.monotonic() - t

    def write_model(self):
        want = {}
        for name, st in self.model["stacks"].items():
            want.update(render_stack(name, st))
        tracked = set(self.git("ls-files", "stacks").split())
        for path in tracked - set(want):
            self.git("rm", "-q", "--cached", path)
            os.unlink(os.path.join(self.repo, path))
        for path, text in want.items():
            full = os.path.join(self.repo, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            old = open(full).read() if os.path.exists(full) else None
            if old != text:
                with open(full, "w") as f:
                    f.write(text)
        self.git("add", "-A", ".")

    def play(self, op):
        """Commits op; False when it does not apply (a shrunk history) or changes no file."""
        model = apply_op(self.model, op, self.states)
        if model is None:
            return False
        if op["op"] == "revert":
            self.git("revert", "--no-edit", "HEAD")
        elif op["op"] == "rename":
            self.git("mv", f"stacks/{op['stack']}", f"stacks/{op['value']}")
        before = self.model
        self.model = model
        self.write_model()
        if op["op"] == "revert":
            # The revert and the model must agree: rendering the model changes nothing git has.
            if self.git("status", "--porcelain", "stacks").strip():
                raise Failure("the reverted tree differs from the model's: " + self.git("status", "--short"))
            self.states.append(copy.deepcopy(model))
            return True
        if not self.git("status", "--porcelain", "stacks").strip():
            self.model = before
            return False
        self.git("commit", "-qm", f"soak: {json.dumps(op)}")
        self.states.append(copy.deepcopy(model))
        if op["op"] == "rename":
            # git mv took the bind-mounted directory along with what the containers wrote there.
            old, new = f"/stacks/{op['stack']}/state/", f"/stacks/{op['value']}/state/"
            self.written = [(p.replace(old, new) if n is None and self.repo in p else p, n)
                            for p, n in self.written]
        return True

    def verify(self, op):
        """plan, reconcile, and every invariant against the engine."""
        self.git("push", "-q", "origin", "main")
        head = self.git("rev-parse", "HEAD").strip()
        rc, out, _ = self.berth("plan", "--detailed-exitcode")
        if rc not in (0, 1, 2):
            raise Failure(f"plan exited {rc}:\n{out}")
        if self.kill_rng.random() < KILL_P:
            self.killed_reconcile()
        rc, out, _ = self.berth("reconcile")
        broken = sorted(n for n, s in self.model["stacks"].items() if s["broken"] and s["enabled"])
        if rc != (1 if broken else 0):
            raise Failure(f"reconcile exited {rc} with broken stacks {broken}:\n{out}")
        for n in broken:
            if not re.search(rf"stacks/{n}/compose\.yaml:\d+:\d+: ", out):
                raise Failure(f"reconcile did not name {n}'s file:line:col:\n{out}")
        changed = set()
        for n, st in self.model["stacks"].items():
            if st["enabled"] and not st["broken"]:
                if self.deployed.get(n) != st:
                    changed.add(n)
                self.deployed[n] = copy.deepcopy(st)
            elif not st["enabled"]:
                self.deployed.pop(n, None)
        for n in list(self.deployed):
            if n not in self.model["stacks"]:
                del self.deployed[n]
        self.check_engine(changed)
        self.write_files()
        ids = container_ids()
        rc2, out2, _ = self.berth("reconcile")
        if rc2 != rc or container_ids() != ids:
            raise Failure(f"a second reconcile changed something (exit {rc2}):\n{out2}")
        rc, out, _ = self.berth("plan", "--all", "--detailed-exitcode")
        if rc != (1 if broken else 0) or re.search(r"^stack \S+ +(deploy|update|recreate|remove)", out, re.M):
            raise Failure(f"plan --all sees changes after a reconcile (exit {rc}):\n{out}")
        self.check_status(head, changed)
        if self.step % 10 == 0:
            self.check_files()

    def killed_reconcile(self):
        """A reconcile SIGKILLed at a random moment: pulling, creating, starting, removing, writing the
        state dir or holding the lock. The reconcile after it must converge as if nothing happened."""
        p = subprocess.Popen([BERTH, "reconcile"], cwd=self.repo, env=self.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(self.kill_rng.uniform(0, 1.5))
        if p.poll() is None:
            p.kill()
            self.kills += 1
        p.wait()

    def check_engine(self, changed):
        live = {}
        for row in soak_containers():
            # Inspected whole: no berth runs now, so a soak container cannot vanish meanwhile.
            live.setdefault(row["Labels"]["com.docker.compose.project"], []).append(client.containers.get(row["Id"]))
        for p in live:
            if p not in self.deployed:
                raise Failure(f"stack {p} is not deployed (deleted, disabled or never valid) but has "
                              f"containers: {[c.name for c in live[p]]}")
        nets = {n.attrs["Labels"].get("com.docker.compose.project") for n in
                client.networks.list(filters={"label": "com.docker.compose.project"})}
        for p in nets:
            if p and p.startswith(PREFIX) and p not in self.deployed:
                raise Failure(f"stack {p} is not deployed but its network is left")
        for p, st in self.deployed.items():
            if p not in nets:
                raise Failure(f"stack {p} has no network")
            by_svc = {}
            for c in live.get(p, []):
                by_svc.setdefault(c.labels.get("com.docker.compose.service"), []).append(c)
            want = {s: v for s, v in st["services"].items() if v["replicas"] > 0}
            got = {s: len(cs) for s, cs in by_svc.items()}
            if got != {s: v["replicas"] for s, v in want.items()}:
                raise Failure(f"stack {p}: containers per service {got}, the compose file says "
                              f"{ {s: v['replicas'] for s, v in want.items()} }")
            for sname, cs in by_svc.items():
                self.check_service(p, sname, st, cs, p in changed)

    def check_service(self, p, sname, st, cs, touched):
        s = st["services"][sname]
        first = sorted(st["services"])[0]
        for c in cs:
            a = c.attrs
            what = f"stack {p}, container {c.name}"
            if a["State"]["Status"] != "running":
                raise Failure(f"{what}: {a['State']['Status']}")
            if a["Config"]["Image"] != s["image"]:
                raise Failure(f"{what}: image {a['Config']['Image']}, the file says {s['image']}")
            env = {e.split("=", 1)[0]: e.split("=", 1)[1] for e in a["Config"]["Env"] or []}
            ours = {k: v for k, v in env.items() if k in ENV_KEYS or k == "FROM_FILE"}
            want = dict(s["env"], **({"FROM_FILE": s["envfile"]} if s["envfile"] else {}))
            if ours != want:
                raise Failure(f"{what}: environment {ours}, the file says {want}")
            ports = a["HostConfig"].get("PortBindings") or {}
            want_ports = {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(s["port"])}]} if s["port"] else {}
            if ports != want_ports:
                raise Failure(f"{what}: ports {ports}, the file says {want_ports}")
            mounts = {m["Destination"]: m for m in a["Mounts"]}
            want_mounts = ({"/data", "/state"} if sname == first else set()) | ({"/etc/soak.txt"} if s["file"] else set())
            if set(mounts) != want_mounts:
                raise Failure(f"{what}: mounts {sorted(mounts)}, the file says {sorted(want_mounts)}")
            if sname == first and mounts["/data"].get("Name") != f"{p}_data":
                raise Failure(f"{what}: /data is {mounts['/data'].get('Name')}, not the volume {p}_data")
            if touched and s["port"]:
                body = http_get(f"http://127.0.0.1:{s['port']}/soak.txt")
                if body != (s["file"] + "\n" if s["file"] else None):
                    raise Failure(f"{what}: port {s['port']} answers {body!r} for /soak.txt, the file is {s['file']!r}")
            elif touched and s["file"]:
                r = c.exec_run(["cat", "/etc/soak.txt"])
                if r.output.decode() != s["file"] + "\n":
                    raise Failure(f"{what}: /etc/soak.txt is {r.output!r}, the repo's file {s['file']!r}")

    def write_files(self):
        """A container of a deployed stack writes into its volume and its bind-mounted directory."""
        for p in sorted(self.deployed)[self.step % 3::3]:
            first = sorted(self.deployed[p]["services"])[0]
            cs = [c for c in soak_containers(project=p, service=first) if c["State"] == "running"]
            if not cs:
                continue
            name = f"w-{self.step}"
            r = client.containers.get(cs[0]["Id"]).exec_run(
                ["sh", "-c", f"echo {name} > /data/{name} && echo {name} > /state/{name}"])
            if r.exit_code != 0:
                raise Failure(f"stack {p}: writing into its mounts failed: {r.output!r}")
            src = next(m["Source"] for m in cs[0]["Mounts"] if m["Destination"] == "/state")
            self.written += [(f"{p}_data", name), (os.path.join(src, name), None)]

    def check_files(self):
        by_vol = {}
        for where, name in self.written:
            if name is None:
                if not os.path.exists(where):
                    raise Failure(f"a file a container wrote under a bind mount is gone: {where}")
            else:
                by_vol.setdefault(where, []).append(name)
        for vol, names in by_vol.items():
            out = client.containers.run("berth-test/busybox:latest", ["ls", "/d"], remove=True,
                                        volumes={vol: {"bind": "/d", "mode": "ro"}}).decode().split()
            missing = sorted(set(names) - set(out))
            if missing:
                raise Failure(f"volume {vol} lost what its containers wrote: {missing}")

    def check_status(self, head, changed):
        rc, out, _ = self.berth("status", "--format", "json")
        if rc != 0:
            raise Failure(f"berth status exited {rc}:\n{out}")
        rows = {r["stack"]: r for r in json.loads(out)}
        for p in self.deployed:
            r = rows.get(p)
            if r is None and not any(v["replicas"] for v in self.deployed[p]["services"].values()):
                continue  # every service scaled to 0: nothing runs to show
            if r is None or r["drift"] is not False:
                raise Failure(f"berth status: stack {p} {r}")
            if p in changed and r["commit"] != head:
                raise Failure(f"berth status: stack {p} at {r['commit']}, it was deployed at {head}")
        for p in rows:
            if p.startswith(PREFIX) and p not in self.deployed:
                raise Failure(f"berth status lists {p}, which is not deployed")
        if BERTH_API:
            self.check_api(head)

    def check_api(self, head):
        if not self.api:
            port = free_port()
            token = "soak-read-token-0123456789abcdef"
            tokens = os.path.join(self.w, "tokens")
            with open(tokens, "w") as f:
                f.write(subprocess.run([BERTH_API, "hash-token", "soak", "read"], input=token, text=True,
                                       capture_output=True, check=True).stdout)
            self.api = subprocess.Popen([BERTH_API, "--listen", f"127.0.0.1:{port}", "--repo",
                                         f"file://{self.origin}", "--workdir", os.path.join(self.w, "clone"),
                                         "--token-file", tokens], env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.w, "api.log"), "w"))
            self.api_url, self.api_token = f"http://127.0.0.1:{port}", token
            for _ in range(100):
                if http_get(self.api_url + "/healthz") is not None:
                    break
                time.sleep(0.1)
        deadline = time.monotonic() + 30
        while True:
            req = urllib.request.Request(self.api_url + "/stacks",
                                         headers={"Authorization": f"Bearer {self.api_token}"})
            stacks = {s["name"]: s for s in json.load(urllib.request.urlopen(req, timeout=30))}
            bad = {p: (stacks.get(p) or {}).get("live") for p in self.deployed
                   if not (stacks.get(p) or {}).get("live") or stacks[p]["live"].get("drift")}
            if not bad:
                return
            if time.monotonic() > deadline:
                raise Failure(f"berth-api's /stacks: live state with drift or none: {bad}")
            time.sleep(0.5)


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read().decode()
    except urllib.error.HTTPError:
        return None
    except OSError:
        return None


def soak_containers(**filters):
    """The soak's containers as the engine lists them (dicts): other tests' containers may come and go
    meanwhile, and python3-docker's list, which inspects each one listed, would fail on those."""
    labels = ["com.docker.compose.project"] + [f"com.docker.compose.{k}={v}" for k, v in filters.items()]
    return [c for c in client.api.containers(all=True, filters={"label": labels})
            if c["Labels"]["com.docker.compose.project"].startswith(PREFIX)]


def container_ids():
    return sorted(c["Id"] for c in soak_containers())


def sweep():
    """Removes everything of soak stacks from the engine: containers, networks, volumes, records."""
    for c in soak_containers():
        client.api.remove_container(c["Id"], force=True)
    for n in client.networks.list(filters={"label": "com.docker.compose.project"}):
        if (n.attrs["Labels"].get("com.docker.compose.project") or "").startswith(PREFIX):
            n.remove()
    for v in client.volumes.list():
        if v.name.startswith(PREFIX) or v.name.startswith("berth-record." + PREFIX):
            v.remove(force=True)


def play(history, out, verbose, seed=0, stats=None):
    """Plays history; None, or (step, message) of the first failure."""
    run = Run(out, seed)
    try:
        for i, op in enumerate(history):
            run.step = i + 1
            if not run.play(op):
                continue
            run.verify(op)
            if verbose:
                print(f"# step {run.step}: {json.dumps(op)}: ok ({len(run.deployed)} of "
                      f"{len(run.model['stacks'])} stacks deployed)", flush=True)
        run.step = 0
        run.check_files()
        if stats is not None:
            stats["kills"] = run.kills
        return None
    except Failure as e:
        return (run.step, str(e))
    finally:
        run.close()


def generate(seed, steps):
    rng = random.Random(seed)
    model, states, history = {"stacks": {}, "next": 1}, [{"stacks": {}, "next": 1}], []
    for _ in range(6):
        op = {"op": "add_stack", "stack": f"{PREFIX}{model['next']}", "seed": rng.randrange(1 << 30)}
        model = apply_op(model, op, states)
        states.append(model)
        history.append(op)
    while len(history) < steps:
        op = gen_op(rng, model, len(states))
        nxt = apply_op(model, op, states) if op else None
        if nxt is None:
            continue
        model = nxt
        states.append(model)
        history.append(op)
    return history


def shrink(history, failure, budget, out):
    """Drops chunks of steps, then single steps, while some failure still shows."""
    deadline = time.monotonic() + budget
    best = history[:failure[0]]
    chunk = max(1, len(best) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        i = 0
        while i < len(best) and time.monotonic() < deadline:
            trial = best[:i] + best[i + chunk:]
            f = play(trial, out, False, len(trial))
            # The same kind of failure (its first words), not any: a shrunk history that breaks the
            # harness instead says nothing of the bug.
            if f and f[1].split(":")[0] == failure[1].split(":")[0]:
                best, failure = trial[:f[0]], f
                print(f"# shrunk to {len(best)} steps", flush=True)
            else:
                i += chunk
        chunk //= 2
    return best, failure


def main():
    images = {t for i in client.images.list() for t in i.tags}
    if "berth-test/busybox:latest" not in images:
        print("Bail out! the rig's test image berth-test/busybox:latest is not in the engine")
        return 1
    if "berth-test/soak:b" not in images:
        ctx = tempfile.mkdtemp()
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write('FROM berth-test/busybox:latest\nLABEL soak="b"\n')
        client.images.build(path=ctx, tag="berth-test/soak:b")
        shutil.rmtree(ctx)
    out = os.environ.get("SOAK_OUT", tempfile.gettempdir())
    if os.environ.get("SOAK_REPLAY"):
        saved = json.load(open(os.environ["SOAK_REPLAY"]))
        seed, history = saved["seed"], saved["history"]
    else:
        # The suite plays one fixed history, so a run of it says the same thing twice; tests/soak.sh
        # draws new ones, which is where new bugs are found.
        seed = int(os.environ.get("SOAK_SEED") or 2026)
        history = generate(seed, int(os.environ.get("SOAK_STEPS", "60")))
    print(f"# seed {seed}: {len(history)} steps (SOAK_SEED={seed} plays this history again)", flush=True)
    t = time.monotonic()
    stats = {}
    failure = play(history, out, True, seed, stats)
    check(f"{len(history)} random steps (seed {seed}), {stats.get('kills', 'some')} of their reconciles "
          f"SIGKILLed midway, keep every invariant, in {time.monotonic() - t:.0f} s",
          failure is None, failure and f"step {failure[0]}: {failure[1]}")
    if failure:
        budget = float(os.environ.get("SOAK_SHRINK_S", "900"))
        small, f = shrink(history, failure, budget, out) if budget > 0 else (history[:failure[0]], failure)
        path = os.path.join(out, f"soak-{seed}.json")
        with open(path, "w") as fh:
            json.dump({"seed": seed, "history": small, "failure": f[1]}, fh, indent=1)
        print(f"# the smallest history found ({len(small)} steps), in {path}; SOAK_REPLAY={path} plays it:")
        for op in small:
            print(f"#   {json.dumps(op)}")
        print(f"# and fails with: {f[1].splitlines()[0]}")
    return done()


if __name__ == "__main__":
    sys.exit(main())
