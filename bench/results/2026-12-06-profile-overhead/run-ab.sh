#!/bin/sh
# Profile and trace overhead before and after a change: spmdbench latency
# 8 B and allreduce 8 B and 64 KiB at np = 2, with the profile off, on
# (SPMD_PROFILE) and with the trace on (SPMD_TRACE), for OLDBIN's binaries
# and bin/'s, all six variants alternated within each round. Run from the
# repository root:
#
#	sh bench/results/2026-12-06-profile-overhead/run-ab.sh OLDBIN ROUNDS > raw.txt
#
# OLDBIN holds spmdrun and spmdbench built from the older commit. Each
# output line: round variant benchmark size microseconds, variant one of
# old-off, old-profile, old-trace, off, profile, trace.
set -eu
old=$1
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
	for v in old-off off old-profile profile old-trace trace; do
		run=bin/spmdrun sb=bin/spmdbench
		unset SPMD_PROFILE SPMD_TRACE || true
		case $v in
		old-*) run=$old/spmdrun sb=$old/spmdbench ;;
		esac
		case $v in
		*profile) export SPMD_PROFILE=$tmp/profile ;;
		*trace) export SPMD_TRACE=$tmp/trace ;;
		esac
		bench $v "$run" "$sb" latency 8 --iters 20000 --warmup 2000
		bench $v "$run" "$sb" allreduce 8 --iters 20000 --warmup 2000
		bench $v "$run" "$sb" allreduce 64K --iters-large 2000 --warmup-large 200
	done
done
