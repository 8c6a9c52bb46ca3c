#!/usr/bin/env bash
# coll-ab.sh: alternated collective runs over shared memory, as
# scripts/compare-coll.sh runs them (Open MPI oversubscribed above 2
# ranks with --bind-to none and mpi_yield_when_idle), each spmd variant
# and Open MPI in turn in every round. One line per run: round, label,
# the average latency (µs) of the one size, load average.
#
#   coll-ab.sh BENCH NP SIZE ROUNDS VARIANT...
#
# VARIANT is LABEL=BINDIR[,VAR=VALUE...] (SPMD_COLL_<OP>=alg forces an
# algorithm) or "ompi" (bin/osu_coll.openmpi). ITERS sets --iters-large
# (default 20). NICE (default 0) runs every command at that niceness, as
# in pt2pt-ab.sh. Run from the repository root.
set -euo pipefail
bench=$1 np=$2 size=$3 rounds=$4
shift 4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
flags=(--min "$size" --max "$size" --iters-large "${ITERS:-20}" --warmup-large 3)
om=(mpirun.openmpi --allow-run-as-root -np "$np")
((np > $(nproc))) && om+=(--oversubscribe --bind-to none --mca mpi_yield_when_idle 1)
for r in $(seq "$rounds"); do
	for v in "$@"; do
		if [[ $v == ompi ]]; then
			cmd=("${om[@]}" bin/osu_coll.openmpi "$bench" "${flags[@]}" --transport shm)
			label=ompi
		else
			label=${v%%=*} rest=${v#*=}
			dir=${rest%%,*} envs=()
			[[ $rest == *,* ]] && IFS=, read -r -a envs <<<"${rest#*,}"
			cmd=(env "${envs[@]}" "$dir/spmdrun" -n "$np" "$dir/spmdbench" "$bench" "${flags[@]}")
		fi
		out=$(timeout -k 5 120 nice -n "${NICE:-0}" "${cmd[@]}" 2>&1 | grep -v '^#' | awk 'NF >= 2 {v = $2} END {print v}') || true
		echo "$r $label $out load=$(cut -d' ' -f1 /proc/loadavg)"
	done
done
