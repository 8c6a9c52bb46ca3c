"""Medians of run-ab.sh's or run-self-ab.sh's raw output:
python3 median-ab.py raw.txt > table.md (the kind of file is told by its
number of fields)."""
import statistics
import sys
from collections import defaultdict

VARIANTS = ["old-off", "off", "old-profile", "profile", "old-trace", "trace"]
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
rounds = sorted({r[0] for r in rows})


def cell(xs):
    return f"{statistics.median(xs):.3g} [{min(xs):.3g}–{max(xs):.3g}]"


def ratio(by, v, base):
    rs = [by[v][r] / by[base][r] for r in by[v] if r in by[base]]
    least = min(by[v].values()) / min(by[base].values())
    return f"{statistics.median(rs):.2f} / {least:.2f}"


if len(rows[0]) == 5:  # run-ab.sh: round variant benchmark size µs
    by = defaultdict(lambda: defaultdict(dict))
    for r, v, b, s, us in rows:
        by[(b, s)][v][r] = float(us)
    print(f"{len(rounds)} rounds; µs (OSU method), median [min–max]; ratio to the same side's off: "
          "median of the per-round ratios / ratio of the minima\n")
    print("| benchmark | size | " + " | ".join(VARIANTS) + " | old profile/off | profile/off | old trace/off | trace/off |")
    print("|---|---:|" + "---:|" * (len(VARIANTS) + 4))
    for key in [("latency", "8"), ("allreduce", "8"), ("allreduce", "64K")]:
        b = by[key]
        cells = [cell(list(b[v].values())) for v in VARIANTS]
        ratios = [ratio(b, "old-profile", "old-off"), ratio(b, "profile", "off"),
                  ratio(b, "old-trace", "old-off"), ratio(b, "trace", "off")]
        print(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
else:  # run-self-ab.sh: round variant wall cpu
    wall, cpu = defaultdict(dict), defaultdict(dict)
    for r, v, w, c in rows:
        wall[v][r], cpu[v][r] = float(w), float(c)
    print(f"{len(rounds)} rounds; ns per operation, median [min–max]; "
          "extra = CPU over the same side's off, median over rounds and min − min\n")
    print("| variant | wall | CPU | CPU extra (median of rounds) | CPU extra (min − min) |")
    print("|---|---:|---:|---:|---:|")
    for v in VARIANTS:
        base = "old-off" if v.startswith("old-") else "off"
        extra = statistics.median(cpu[v][r] - cpu[base][r] for r in cpu[v])
        least = min(cpu[v].values()) - min(cpu[base].values())
        print(f"| {v} | {cell(list(wall[v].values()))} | {cell(list(cpu[v].values()))} | {extra:.0f} | {least:.0f} |")
