#!/usr/bin/python3
"""swarm_parity.py: compares the service specs of two swarm stacks field by field, through
python3-docker (the engine's own view), for test-swarm.sh: one deployed by berth, one by
`docker stack deploy` from the same compose file.

usage: swarm_parity.py DOCKER_HOST BERTH_STACK DOCKER_STACK [PORT_OFFSET]
Prints one line per difference ("service path: berth=... docker=...") and exits 1 if there is any.

What is normalised before comparing, and why each is not a difference:
- the stack's name inside names and the com.docker.stack.namespace label (two stacks, two names);
- berth's own labels (io.berth.*: repo, commit, content hash), which docker stack deploy has no use for;
- the ids of networks, configs and secrets (each stack has its own objects), compared by name instead;
- a config's or secret's name suffix "_<12 hex>": berth names them after their content so that a
  changed file is a new object (swarm forbids changing one in place); the rest of the name must match;
- the order of extra hosts: berth's canonical model holds extra_hosts as a map sorted by name (as
  `docker compose config` prints it), so the file's order is not known; a name has one entry, and
  /etc/hosts answers by name, so the order changes nothing;
- published ports, by PORT_OFFSET: two stacks cannot publish the same port, so the test gives the
  docker stack ports that many higher.
"""
import json
import re
import sys

import docker


def strip_stack(name, stack):
    return name[len(stack) + 1:] if name.startswith(stack + "_") else name


def norm_labels(labels, stack):
    out = {}
    for k, v in (labels or {}).items():
        if k.startswith("io.berth."):
            continue
        if k == "com.docker.stack.namespace":
            v = "STACK"
        out[k] = v
    return out


def normalise(spec, stack, api, port_offset=0):
    spec = json.loads(json.dumps(spec))
    for p in spec.get("EndpointSpec", {}).get("Ports") or []:
        if "PublishedPort" in p:
            p["PublishedPort"] -= port_offset
    spec["Name"] = strip_stack(spec["Name"], stack)
    spec["Labels"] = norm_labels(spec.get("Labels"), stack)
    task = spec.get("TaskTemplate", {})
    cs = task.get("ContainerSpec", {})
    cs["Labels"] = norm_labels(cs.get("Labels"), stack)
    if cs.get("Hosts"):
        cs["Hosts"].sort(key=lambda h: h.split(" ", 1)[-1])
    cs["Image"] = re.sub(r"@sha256:[0-9a-f]{64}$", "", cs.get("Image", ""))
    for kind, idk, namek in (("Configs", "ConfigID", "ConfigName"), ("Secrets", "SecretID", "SecretName")):
        for ref in cs.get(kind) or []:
            ref.pop(idk, None)
            n = strip_stack(ref.get(namek, ""), stack)
            ref[namek] = re.sub(r"_[0-9a-f]{12}$", "", n)
        if cs.get(kind):
            cs[kind].sort(key=lambda r: (r[namek], r.get("File", {}).get("Name", "")))
    for m in cs.get("Mounts") or []:
        if m.get("Type") == "volume" and m.get("Source"):
            m["Source"] = strip_stack(m["Source"], stack)
        vo = m.get("VolumeOptions")
        if vo and "Labels" in vo:
            vo["Labels"] = norm_labels(vo["Labels"], stack)
    for n in task.get("Networks") or []:
        try:
            name = api.inspect_network(n["Target"])["Name"]
        except docker.errors.APIError:
            name = n["Target"]
        n["Target"] = strip_stack(name, stack)
        if "Aliases" in n:
            n["Aliases"] = sorted(n["Aliases"])
    if task.get("Networks"):
        task["Networks"].sort(key=lambda n: n["Target"])
    return spec


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            diff(a.get(k), b.get(k), path + "." + k, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out)
    elif a != b:
        # An empty object or list and an absent one mean the same to the engine.
        if not a and not b and a is not False and b is not False and a != 0 and b != 0:
            return
        out.append("%s: berth=%s docker=%s" % (path, json.dumps(a), json.dumps(b)))


def services(api, stack):
    got = {}
    for s in api.services(filters={"label": "com.docker.stack.namespace=" + stack}):
        got[strip_stack(s["Spec"]["Name"], stack)] = s["Spec"]
    return got


def main():
    host, bstack, dstack = sys.argv[1:4]
    offset = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    api = docker.APIClient(base_url=host)
    b, d = services(api, bstack), services(api, dstack)
    out = []
    if sorted(b) != sorted(d):
        out.append("services: berth=%s docker=%s" % (sorted(b), sorted(d)))
    for name in sorted(set(b) & set(d)):
        diff(normalise(b[name], bstack, api), normalise(d[name], dstack, api, offset), name, out)
    for line in out:
        print(line)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
