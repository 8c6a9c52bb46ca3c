"""Medians of run.sh's raw output: python3 median.py raw.txt > table.md"""
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
rounds = set()
for line in open(sys.argv[1]):
    r, v, b, s, us = line.split()
    runs[(b, s, v)].append(float(us))
    rounds.add(r)
print(f"{len(rounds)} rounds; µs (OSU method), median [min–max]; ratio = median of the per-round ratios to `off`\n")
print("| benchmark | size | main | off | profile | trace | main/off | profile/off | trace/off |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for b, s in [("latency", "8"), ("allreduce", "8"), ("allreduce", "64K")]:
    cells, ratios = [], []
    for v in ["main", "off", "profile", "trace"]:
        xs = runs[(b, s, v)]
        cells.append(f"{statistics.median(xs):.3g} [{min(xs):.3g}–{max(xs):.3g}]")
    for v in ["main", "profile", "trace"]:
        rs = [a / o for a, o in zip(runs[(b, s, v)], runs[(b, s, "off")])]
        ratios.append(f"{statistics.median(rs):.2f}")
    print(f"| {b} | {s} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
