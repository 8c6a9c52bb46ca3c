#!/usr/bin/python3
"""Medians and ranges over rounds of scripts/compare-obj.sh's raw outputs.

  python3 summarize.py DIR [DIR...]

DIR holds IMPL-BENCH-rN.txt files ('SIZE VALUE ...' rows, '#' comments).
Prints, per benchmark, a Markdown table: for each size and implementation
the median over rounds with the range (min-max), and the ratio of mpi4py's
median to spmd's (how many times faster spmd is) with the ratio's range
over rounds paired by round number.
"""
import collections
import glob
import os
import re
import statistics
import sys

IMPLS = ["spmd", "spmd-base", "mpi4py", "spmd-raw"]


def load(dirs):
    data = collections.defaultdict(lambda: collections.defaultdict(dict))  # bench -> (impl,size) -> round -> value
    for d in dirs:
        for f in glob.glob(os.path.join(d, "*-r*.txt")):
            m = re.match(r"(.+)-(objlatency|objallreduce)-r(\d+)\.txt$", os.path.basename(f))
            if not m:
                continue
            impl, bench, rnd = m.group(1), m.group(2), "%s/%s" % (d, m.group(3))
            for line in open(f):
                fs = line.split()
                if not fs or fs[0].startswith("#"):
                    continue
                data[bench][(impl, int(fs[0]))][rnd] = float(fs[1])
    return data


def fmt(x):
    return "%.3g" % x if x < 100 else "%.0f" % x


def size_name(n):
    return "%d MiB" % (n >> 20) if n >= 1 << 20 else "%d KiB" % (n >> 10) if n >= 1 << 10 else "%d B" % n


def main():
    data = load(sys.argv[1:])
    for bench in ("objlatency", "objallreduce"):
        if bench not in data:
            continue
        d = data[bench]
        impls = [i for i in IMPLS if any(k[0] == i for k in d)]
        sizes = sorted({k[1] for k in d})
        print("\n%s (us, median over rounds, range in brackets)\n" % bench)
        print("| size | " + " | ".join(impls) + " | mpi4py / spmd |")
        print("|---:|" + "---:|" * (len(impls) + 1))
        for s in sizes:
            cells = []
            for i in impls:
                v = list(d.get((i, s), {}).values())
                cells.append("%s [%s–%s] (n=%d)" % (fmt(statistics.median(v)), fmt(min(v)), fmt(max(v)), len(v)) if v else "-")
            sp, mp = d.get(("spmd", s), {}), d.get(("mpi4py", s), {})
            ratio = "-"
            if sp and mp:
                paired = [mp[r] / sp[r] for r in sp if r in mp]
                ratio = "%.2f× [%.2f–%.2f]" % (statistics.median(mp.values()) / statistics.median(sp.values()), min(paired), max(paired))
            print("| %s | %s | %s |" % (size_name(s), " | ".join(cells), ratio))


if __name__ == "__main__":
    main()
