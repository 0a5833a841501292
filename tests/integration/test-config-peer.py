#!/usr/bin/python3
"""test-config-peer.py: `berth config` against the peer, `docker-compose config` (1.29.2), on the same
files (tests/data/peer). Both outputs are parsed and reduced to what a container would get: image,
environment, command, entrypoint, ports, mounts, dependencies, restart policy. Differences must be
fixed, or listed in KNOWN with the reason."""
import os
import shlex
import subprocess
import sys

import yaml

BERTH = os.environ["BERTH"]
DATA = os.path.join(os.environ["SOURCE_DIR"], "tests", "data", "peer")
# Where the two tools differ on purpose: (case, service, fact) -> why.
KNOWN = {
    ("profiles", "*", "services"): "docker-compose 1.29 `config` lists services of inactive profiles; compose v2 "
    "and berth leave them out (profile 'debug' is off here)",
}


def run(cmd, cwd, env):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {p.stderr.strip()}")
    return yaml.safe_load(p.stdout)


def words(v):
    if v is None:
        return None
    return shlex.split(v) if isinstance(v, str) else [str(x) for x in v]


def port_facts(ports):
    out = set()
    for p in ports or []:
        if isinstance(p, dict):
            out.add((str(p.get("host_ip", "")), str(p.get("published", "")), int(p["target"]),
                     p.get("protocol", "tcp")))
            continue
        s = str(p)
        proto = "tcp"
        if "/" in s:
            s, proto = s.rsplit("/", 1)
        parts = s.split(":")
        ip = parts[0] if len(parts) == 3 else ""
        pub = parts[-2] if len(parts) >= 2 else ""
        out.add((ip, pub, int(parts[-1]), proto))
    return out


def mount_facts(vols):
    out = set()
    for v in vols or []:
        if isinstance(v, dict):
            out.add((v.get("source", ""), v["target"], bool(v.get("read_only", False))))
        else:
            parts = v.split(":")
            src, dst = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
            out.add((src, dst, len(parts) > 2 and "ro" in parts[2].split(",")))
    return out


def env_facts(e):
    if e is None:
        return {}
    if isinstance(e, list):
        e = dict(x.split("=", 1) if "=" in x else (x, None) for x in e)
    # Both tools print "$" as "$$" so the output loads again; the container gets one "$".
    return {k: (None if v is None else str(v).replace("$$", "$")) for k, v in e.items()}


def facts(svc):
    deps = svc.get("depends_on") or {}
    return {
        "image": svc.get("image"),
        "environment": env_facts(svc.get("environment")),
        "command": words(svc.get("command")),
        "entrypoint": words(svc.get("entrypoint")),
        "ports": port_facts(svc.get("ports")),
        "mounts": mount_facts(svc.get("volumes")),
        "depends_on": sorted(deps if isinstance(deps, list) else deps.keys()),
        "restart": svc.get("restart"),
        "replicas": (svc.get("deploy") or {}).get("replicas", svc.get("scale")),
    }


def main():
    cases = sorted(d for d in os.listdir(DATA) if os.path.isdir(os.path.join(DATA, d)))
    print(f"1..{len(cases)}")
    failed = 0
    for n, case in enumerate(cases, 1):
        cwd = os.path.join(DATA, case)
        args = open(os.path.join(cwd, "args")).read().split() if os.path.exists(os.path.join(cwd, "args")) else []
        env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
        if os.path.exists(os.path.join(cwd, "env")):
            env.update(dict(l.split("=", 1) for l in open(os.path.join(cwd, "env")).read().split("\n") if "=" in l))
        files = [a for i, a in enumerate(args) if i and args[i - 1] == "-f"]
        profiles = [a for i, a in enumerate(args) if i and args[i - 1] == "--profile"]
        peer_cmd = ["docker-compose", "-p", case]
        for f in files:
            peer_cmd += ["-f", f]
        for p in profiles:
            peer_cmd += ["--profile", p]
        try:
            ours = run([BERTH, "config", "-p", case] + args, cwd, env)
            theirs = run(peer_cmd + ["config"], cwd, env)
        except RuntimeError as e:
            print(f"not ok {n} - {case}: {e}")
            failed += 1
            continue
        diffs = []
        so, st = ours.get("services", {}), theirs.get("services", {})
        if sorted(so) != sorted(st) and (case, "*", "services") not in KNOWN:
            diffs.append(f"services: berth {sorted(so)}, docker-compose {sorted(st)}")
        for name in sorted(set(so) & set(st)):
            fo, ft = facts(so[name]), facts(st[name])
            for k in fo:
                if fo[k] != ft[k] and (case, name, k) not in KNOWN:
                    diffs.append(f"{name}.{k}: berth {fo[k]!r}, docker-compose {ft[k]!r}")
        for (kc, ks, kf), why in KNOWN.items():
            if kc == case:
                print(f"#   known difference in {ks}.{kf}: {why}")
        if diffs:
            failed += 1
            print(f"not ok {n} - {case}")
            for d in diffs:
                print(f"#   {d}")
        else:
            print(f"ok {n} - {case}: {len(so)} services agree on image, environment, command, ports, mounts")
    sys.exit(1 if failed else 0)


main()
