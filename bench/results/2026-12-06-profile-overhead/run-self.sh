#!/bin/sh
# The per-call cost of the profile without a peer: BenchmarkProfileSelf
# (an 8-byte Send and Recv to self, one rank), or another benchmark of the
# same form named as the third argument (ProfileCollSelf: an 8-byte
# Allreduce on one rank), off / profile / trace alternated within each
# round. Run from the repository root:
#
#	go test -c -o /tmp/comm.test ./comm/
#	sh bench/results/2026-12-06-profile-overhead/run-self.sh /tmp/comm.test ROUNDS [BENCH] > raw-self.txt
#
# Each output line: round variant wall-ns-per-op cpu-ns-per-op.
set -eu
bin=$1
rounds=${2:-9}
bench=${3:-ProfileSelf}
for r in $(seq 1 "$rounds"); do
	for v in off profile trace; do
		"$bin" -test.run XXX -test.bench "^Benchmark$bench/$v\$" -test.benchtime 300000x |
			awk -v r="$r" -v v="$v" '/^Benchmark/ {print r, v, $3, $5}'

	done
done
