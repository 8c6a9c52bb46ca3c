#!/bin/sh
# The per-call cost of the profile before and after a change: a
# BenchmarkProfileSelf-like benchmark (BENCH: ProfileSelf, an 8-byte Send
# and Recv to self; ProfileCollSelf, an 8-byte Allreduce on one rank) of
# OLD's and NEW's comm test binaries, off / profile / trace, all six
# alternated within each round. Run from the repository root:
#
#	sh bench/results/2026-12-06-profile-overhead/run-self-ab.sh OLD NEW ROUNDS BENCH > raw.txt
#
# Each output line: round variant wall-ns-per-op cpu-ns-per-op, variant
# one of old-off, old-profile, old-trace, off, profile, trace.
set -eu
old=$1 new=$2
rounds=${3:-9}
bench=${4:-ProfileSelf}
for r in $(seq 1 "$rounds"); do
	for v in off profile trace; do
		for side in old new; do
			bin=$new name=$v
			if [ $side = old ]; then bin=$old name=old-$v; fi
			"$bin" -test.run XXX -test.bench "^Benchmark$bench/$v\$" -test.benchtime 300000x |
				awk -v r="$r" -v v="$name" '/^Benchmark/ {print r, v, $3, $5}'
		done
	done
done
