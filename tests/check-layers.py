#!/usr/bin/python3
"""check-layers.py: the modules of reconciler/ and api/ (one per directory) include each other without
a loop, so data flows one way and each module can be read, tested and replaced from below; and the two
deploy modes stand side by side on their interface, neither reaching the other. Prints TAP: one check
for loops, naming the includes that close each one, and one per wall that must hold."""
import collections
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
os.chdir(root)
graph, why = collections.defaultdict(set), collections.defaultdict(list)
for top in ("reconciler", "api"):
    for d, _, files in os.walk(top):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            for inc in re.findall(r'^#include "([^"]+)"', open(path).read(), re.M):
                for c in (os.path.normpath(os.path.join(d, inc)), os.path.normpath(os.path.join("reconciler", inc))):
                    if os.path.exists(c):
                        to = os.path.dirname(c)
                        if to != d:
                            graph[d].add(to)
                            why[(d, to)].append(f"{path} includes {inc}")
                        break

# Tarjan's strongly connected components: any with more than one module is a loop.
sys.setrecursionlimit(10000)
index, low, stack, on, loops, n = {}, {}, [], set(), [], [0]


def visit(v):
    index[v] = low[v] = n[0]
    n[0] += 1
    stack.append(v)
    on.add(v)
    for w in graph.get(v, ()):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            loops.append(sorted(comp))


for v in sorted(graph):
    if v not in index:
        visit(v)
# Walls: no chain of includes may lead from the first module to the second.
WALLS = [
    ("reconciler/deploy", "reconciler/swarm", "the compose deployer does not use swarm's"),
    ("reconciler/swarm", "reconciler/deploy", "the swarm deployer does not use compose's"),
    ("reconciler/deployer", "reconciler/deploy", "the deploy interface stands on no implementation"),
    ("reconciler/deployer", "reconciler/swarm", "the deploy interface stands on no implementation"),
]


def path(a, b):
    """The modules from a to b along includes, or None."""
    prev, todo = {a: None}, [a]
    while todo:
        v = todo.pop()
        for w in sorted(graph.get(v, ())):
            if w not in prev:
                prev[w] = v
                todo.append(w)
    if b not in prev:
        return None
    chain = [b]
    while prev[chain[-1]]:
        chain.append(prev[chain[-1]])
    return chain[::-1]


print(f"1..{1 + len(WALLS)}")
failed = False
if loops:
    print(f"not ok 1 - the modules include each other in {len(loops)} loop(s)")
    for comp in loops:
        print("#   loop: " + " ".join(comp))
        for a in comp:
            for b in sorted(graph[a]):
                if b in comp:
                    print(f"#     {a} -> {b}: {why[(a, b)][0]}")
    failed = True
else:
    print(f"ok 1 - {len(graph)} modules, no include loop")
for i, (a, b, what) in enumerate(WALLS, 2):
    chain = path(a, b)
    if chain:
        print(f"not ok {i} - {what}: {a} reaches {b}")
        for x, y in zip(chain, chain[1:]):
            print(f"#     {x} -> {y}: {why[(x, y)][0]}")
        failed = True
    else:
        print(f"ok {i} - {what}: {a} does not reach {b}")
sys.exit(1 if failed else 0)
