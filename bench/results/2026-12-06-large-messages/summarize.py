#!/usr/bin/env python3
"""summarize.py FILE...: per label and column, the median and range of the
lines that pt2pt-ab.sh and coll-ab.sh print, and the ratio of each label's
median to Open MPI's."""
import statistics
import sys
from collections import defaultdict

cols = defaultdict(lambda: defaultdict(list))
for path in sys.argv[1:]:
    for line in open(path):
        f = line.split()
        if len(f) < 3:
            continue
        vals = [x for x in f[2:] if not x.startswith("load=")]
        for i, x in enumerate(vals):
            try:
                cols[f[1]][i].append(float(x))
            except ValueError:
                pass
om = {i: statistics.median(v) for i, v in cols.get("ompi", {}).items()}
for label, byc in cols.items():
    parts = []
    for i in sorted(byc):
        v = byc[i]
        m = statistics.median(v)
        r = f" ({m / om[i]:.2f}x)" if label != "ompi" and i in om else ""
        parts.append(f"{m:.0f} [{min(v):.0f}-{max(v):.0f}]{r}")
    print(f"{label:6} n={len(byc[0])}: " + " | ".join(parts))
