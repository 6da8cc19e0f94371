#!/usr/bin/env python3
"""Check that the daemon's files depend one way (the rule at the top of
daemon/escalator.h): from the symbol tables of build/daemon/*.o, which file
calls which; fail on a call to a higher layer, a call between engines, a
dependency cycle, or a file that no layer names."""
import glob, os, re, subprocess, sys

build = sys.argv[1] if len(sys.argv) > 1 else "build"
layer, apart = {}, set()
for m in re.finditer(r"^ \* layer (\d+) [\w ]+?( \(apart\))?: (.+)$",
                     open("daemon/escalator.h").read(), re.M):
    for f in m.group(3).split():
        layer[f] = int(m.group(1))
    if m.group(2):
        apart.add(int(m.group(1)))
defs, uses = {}, {}
for obj in sorted(glob.glob(os.path.join(build, "daemon", "*.o"))):
    name = os.path.basename(obj)[:-2]
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    uses[name] = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBR":
            defs[f[2]] = name
        elif len(f) == 2 and f[0] == "U":
            uses[name].add(f[1])
if not uses:
    sys.exit("check-layers: no object files under %s/daemon" % build)
graph = {n: {defs[s] for s in u if s in defs and defs[s] != n}
         for n, u in uses.items()}
bad = []
for n in sorted(graph):
    if n not in layer:
        bad.append("daemon/%s.c is in no layer of escalator.h" % n)
        continue
    for d in sorted(graph[n]):
        ln, ld = layer[n], layer.get(d, 0)
        why = [s for s in sorted(uses[n]) if defs.get(s) == d][:3]
        if ld > ln or (ld == ln and ln in apart):
            bad.append("daemon/%s.c (layer %d) calls daemon/%s.c (layer %d):"
                       " %s" % (n, ln, d, ld, ", ".join(why)))
# Cycles (within a layer): depth-first search for a back edge.
state, stack = {}, []
def visit(n):
    state[n] = 1
    stack.append(n)
    for d in sorted(graph[n]):
        if state.get(d) == 1:
            bad.append("cycle: " + " -> ".join(stack[stack.index(d):] + [d]))
        elif d not in state:
            visit(d)
    stack.pop()
    state[n] = 2
for n in sorted(graph):
    if n not in state:
        visit(n)
for b in bad:
    print("check-layers: " + b)
print("check-layers: %d files, %d dependencies, %s" % (
    len(graph), sum(len(v) for v in graph.values()),
    "one way" if not bad else "%d problem(s)" % len(bad)))
sys.exit(1 if bad else 0)
