#!/usr/bin/python3
"""check-layers.py: the modules of reconciler/ and api/ (one per directory) include each other without
a loop, so data flows one way and each module can be read, tested and replaced from below. Prints TAP:
one check for loops, naming the includes that close each one."""
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
print("1..1")
if loops:
    print(f"not ok 1 - the modules include each other in {len(loops)} loop(s)")
    for comp in loops:
        print("#   loop: " + " ".join(comp))
        for a in comp:
            for b in sorted(graph[a]):
                if b in comp:
                    print(f"#     {a} -> {b}: {why[(a, b)][0]}")
    sys.exit(1)
print(f"ok 1 - {len(graph)} modules, no include loop")
