"""Medians of run-self.sh's raw output: python3 median-self.py raw-self.txt"""
import statistics
import sys
from collections import defaultdict

wall, cpu = defaultdict(dict), defaultdict(dict)
for line in open(sys.argv[1]):
    r, v, w, c = line.split()
    wall[v][r], cpu[v][r] = float(w), float(c)
rounds = sorted(wall["off"])
print(f"{len(rounds)} rounds; ns per Send+Recv pair to self, median [min–max]; "
      "extra = median over rounds of (variant − off), per pair\n")
print("| variant | wall | CPU | CPU extra per pair (median of rounds) | CPU extra per pair (min − min) |")
print("|---|---:|---:|---:|---:|")
for v in ["off", "profile", "trace"]:
    ws, cs = list(wall[v].values()), list(cpu[v].values())
    extra = statistics.median(cpu[v][r] - cpu["off"][r] for r in rounds)
    least = min(cs) - min(cpu["off"].values())
    print(f"| {v} | {statistics.median(ws):.0f} [{min(ws):.0f}–{max(ws):.0f}] "
          f"| {statistics.median(cs):.0f} [{min(cs):.0f}–{max(cs):.0f}] | {extra:.0f} | {least:.0f} |")
