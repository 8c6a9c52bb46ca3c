#!/usr/bin/env python3
"""categorize.py [KEEP...]: reads `perf script` output (with call chains)
on stdin and prints the share of samples in each category, decided by the
first matching frame of each sample's stack (leaf first). With KEEP
arguments, only samples with a frame containing one of them count (e.g.
the benchmark's timed loop and the links' goroutines, leaving out start-up
and the launcher)."""
import sys
from collections import Counter

# (category, substrings of a frame), tried in order for each frame.
RULES = [
    ("benchmark set-up", ["osu.buffers", "osu.newCollStep", "exc_page_fault", "clear_page"]),
    ("CMA copy (process_vm_readv/writev)", ["shm.moveRemote", "shm.ReadRemote", "shm.WriteRemote", "process_vm_rw"]),
    ("reduction arithmetic", ["collective.apply"]),
    ("local copies (memmove)", ["runtime.memmove"]),
    ("yield/sleep while waiting", ["sched_yield", "comm.(*world).yield", "futex", "runtime.Gosched", "do_nanosleep", "schedule"]),
    ("polling the rings", ["comm.(*link).tryProgress", "comm.(*Request).pollLinks", "shm.(*Reader)", "comm.(*Request).poll"]),
    ("frame handling", ["comm.(*world).handle", "comm.(*link).readFrame", "comm.(*link).enqueue", "comm.(*link).writeFrame"]),
    ("Go runtime", ["runtime."]),
]

def categorize(stack):
    for frame in stack:
        for cat, keys in RULES:
            if any(k in frame for k in keys):
                return cat
    return "other"

keep = sys.argv[1:]
counts = Counter()
stack = []


def count(stack):
    if not keep or any(k in f for f in stack for k in keep):
        counts[categorize(stack)] += 1


for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        if stack:
            count(stack)
            stack = []
        continue
    if line.startswith((" ", "\t")):
        stack.append(line.strip())
    else:
        stack = []  # a sample's header line
if stack:
    count(stack)
total = sum(counts.values())
for cat, n in counts.most_common():
    print(f"{100 * n / total:5.1f}%  {cat}")
print(f"{total} samples")
