#!/usr/bin/python3
"""test-parity.py: `berth up` against the peer, `docker-compose up -d` (1.29.2), on the same engine and
the same files (tests/data/parity), under two project names. What each created is read back with
python3-docker and compared: image, command, entrypoint, environment, ports, mounts, restart policy,
network aliases, healthcheck, user, and the other HostConfig fields the fixtures set. Differences are
fixed in berth, or listed in JUSTIFIED with the reason."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import docker

BERTH = os.environ["BERTH"]
DATA = os.path.join(os.environ["SOURCE_DIR"], "tests", "data", "parity")
client = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])

# Deliberate differences, by field: why berth differs from docker-compose 1.29.
JUSTIFIED = {
    "container_name": "compose 1.29 names containers <project>_<service>_<n>; berth uses compose v2's "
                      "<project>-<service>-<n>, which `docker compose` (v2) expects",
}


def project_neutral(value, project):
    """Replaces the project name so the two deployments compare."""
    if isinstance(value, str):
        return value.replace(project, "PROJECT")
    if isinstance(value, (list, tuple)):
        return type(value)(project_neutral(v, project) for v in value)
    if isinstance(value, dict):
        return {project_neutral(k, project): project_neutral(v, project) for k, v in value.items()}
    return value


def facts(c, project):
    a = c.attrs
    cfg, host = a["Config"], a["HostConfig"]
    mounts = sorted(
        (m["Type"], m["Destination"], m["RW"],
         m.get("Name", "") if m["Type"] == "volume" and len(m.get("Name", "")) != 64 else m.get("Source", "") if m["Type"] == "bind" else "")
        for m in a["Mounts"])
    ports = {k: sorted((b["HostIp"], "ephemeral" if b["HostPort"] else "") for b in (v or []))
             for k, v in (host.get("PortBindings") or {}).items()}
    aliases = {net: sorted(x for x in (v.get("Aliases") or []) if not re.fullmatch(r"[0-9a-f]{12}", x))
               for net, v in a["NetworkSettings"]["Networks"].items()}
    user_labels = {k: v for k, v in (cfg.get("Labels") or {}).items()
                   if not k.startswith(("com.docker.compose.", "io.berth."))}
    f = {
        "image": cfg["Image"],
        "cmd": cfg.get("Cmd"),
        "entrypoint": cfg.get("Entrypoint"),
        "env": sorted(cfg.get("Env") or []),
        "ports": ports,
        "exposed": sorted((cfg.get("ExposedPorts") or {}).keys()),
        "mounts": mounts,
        "tmpfs": host.get("Tmpfs"),
        "restart": (host["RestartPolicy"]["Name"] or "no", host["RestartPolicy"].get("MaximumRetryCount", 0)),
        "aliases": aliases,
        "healthcheck": cfg.get("Healthcheck"),
        "user": cfg.get("User"),
        "working_dir": cfg.get("WorkingDir"),
        "hostname": cfg.get("Hostname") if not re.fullmatch(r"[0-9a-f]{12}", cfg.get("Hostname") or "") else "",
        "labels": user_labels,
        "stop_signal": cfg.get("StopSignal"),
        "stop_timeout": cfg.get("StopTimeout"),
        "memory": host.get("Memory"),
        "nano_cpus": host.get("NanoCpus"),
        "pids_limit": host.get("PidsLimit") or None,
        "ulimits": sorted((u["Name"], u["Soft"], u["Hard"]) for u in (host.get("Ulimits") or [])),
        "cap_add": sorted(host.get("CapAdd") or []),
        "cap_drop": sorted(host.get("CapDrop") or []),
        "read_only": host.get("ReadonlyRootfs"),
        "init": bool(host.get("Init")),
        "sysctls": host.get("Sysctls"),
        "extra_hosts": sorted(h.replace("=", ":") for h in (host.get("ExtraHosts") or [])),
        "log": (host["LogConfig"]["Type"], host["LogConfig"].get("Config") or {}),
    }
    return project_neutral(f, project)


def containers(project):
    cs = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
    out = {}
    for c in cs:
        lab = c.labels
        out[(lab["com.docker.compose.service"], lab["com.docker.compose.container-number"])] = c
    return out


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, "COMPOSE_INTERACTIVE_NO_CLI": "1"})
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd[:3])}: {p.stderr.strip()[-600:]}")


def main():
    cases = sorted(os.listdir(DATA))
    print(f"1..{len(cases)}")
    failed = 0
    for n, case in enumerate(cases, 1):
        tag = re.sub(r"[^a-z0-9]", "", case)
        ours, theirs = f"pb{tag}", f"pc{tag}"
        work = tempfile.mkdtemp()
        try:
            shutil.copytree(os.path.join(DATA, case), os.path.join(work, case))
            cwd = os.path.join(work, case)
            run([BERTH, "up", "-p", ours], cwd)
            run(["docker-compose", "-p", theirs, "up", "-d"], cwd)
            a, b = containers(ours), containers(theirs)
            diffs = []
            if sorted(a) != sorted(b):
                diffs.append(f"containers: berth {sorted(a)}, docker-compose {sorted(b)}")
            for key in sorted(set(a) & set(b)):
                fa, fb = facts(a[key], ours), facts(b[key], theirs)
                for k in fa:
                    if fa[k] != fb[k] and k not in JUSTIFIED:
                        diffs.append(f"{key[0]}#{key[1]} {k}: berth {fa[k]!r} / docker-compose {fb[k]!r}")
            if diffs:
                failed += 1
                print(f"not ok {n} - {case}")
                for d in diffs:
                    print(f"#   {d}")
            else:
                print(f"ok {n} - {case}: {len(a)} container(s) identical in {len(facts(next(iter(a.values())), ours))} fields")
        except RuntimeError as e:
            failed += 1
            print(f"not ok {n} - {case}: {e}")
        finally:
            # The fixtures' `sleep` ignores SIGTERM: no grace needed to clean up.
            subprocess.run([BERTH, "down", "-p", ours, "-v", "-t", "0"], capture_output=True)
            subprocess.run(["docker-compose", "-p", theirs, "down", "-v", "-t", "0"], cwd=os.path.join(work, case), capture_output=True)
            shutil.rmtree(work, ignore_errors=True)
    for k, why in JUSTIFIED.items():
        print(f"# justified difference in {k}: {why}")
    sys.exit(1 if failed else 0)


main()
