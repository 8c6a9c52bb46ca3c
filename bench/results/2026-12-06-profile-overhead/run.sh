#!/bin/sh
# Profile overhead, issue #14 item 4: spmdbench latency 8 B and allreduce
# 8 B and 64 KiB at np = 2, for main's binaries and this branch's with the
# profile off, on (SPMD_PROFILE) and with the trace on (SPMD_TRACE),
# alternated within each round. Run from the repository root:
#
#	sh bench/results/2026-12-06-profile-overhead/run.sh MAINBIN ROUNDS > raw.txt
#
# MAINBIN holds spmdrun and spmdbench built from main; bin/ this branch's.
# Each output line: round variant benchmark size microseconds.
set -eu
main=$1
rounds=${2:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench() { # variant spmdrun spmdbench benchmark size extra-flags...
	v=$1 run=$2 sb=$3 b=$4 s=$5
	shift 5
	us=$("$run" -n 2 "$sb" "$b" --min "$s" --max "$s" --format csv "$@" | awk -F, '$1 ~ /^[0-9]+$/ {print $2}')
	echo "$r $v $b $s $us"
}
for r in $(seq 1 "$rounds"); do
	for v in main off profile trace; do
		run=bin/spmdrun sb=bin/spmdbench
		unset SPMD_PROFILE SPMD_TRACE || true
		case $v in
		main) run=$main/spmdrun sb=$main/spmdbench ;;
		profile) export SPMD_PROFILE=$tmp/profile ;;
		trace) export SPMD_TRACE=$tmp/trace ;;
		esac
		bench $v "$run" "$sb" latency 8 --iters 20000 --warmup 2000
		bench $v "$run" "$sb" allreduce 8 --iters 20000 --warmup 2000
		bench $v "$run" "$sb" allreduce 64K --iters-large 2000 --warmup-large 200
	done
done
