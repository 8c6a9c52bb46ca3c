#!/usr/bin/env bash
# ab.sh OLD_BIN NEW_BIN ROUNDS: alternate the small-message point-to-point
# benchmarks of two builds of spmd (directories holding spmdrun and
# spmdbench) and Open MPI (bin/osu_pt2pt.openmpi), run from the repository
# root at nice -20 so that other programs on a shared host disturb them
# less; one line per run: build, benchmark, load, then the values per size.
set -euo pipefail
old=$1 new=$2 rounds=${3:-5}
lat=(--min 0 --max 8 --warmup 100 --iters 10000)
bw=(--min 1 --max 64)
for r in $(seq "$rounds"); do
	for b in old new ompi; do
		for k in latency bandwidth; do
			args=("${lat[@]}"); [[ $k == bandwidth ]] && args=("${bw[@]}")
			load=$(cut -d' ' -f1 /proc/loadavg)
			case $b in
			old | new)
				d=$old; [[ $b == new ]] && d=$new
				out=$(SPMD_TRANSPORT=shm timeout 60 nice -n -20 "$d/spmdrun" -n 2 "$d/spmdbench" "$k" "${args[@]}") ;;
			ompi)
				out=$(timeout 60 nice -n -20 mpirun.openmpi --allow-run-as-root --oversubscribe -np 2 \
					bin/osu_pt2pt.openmpi "$k" "${args[@]}" --transport shm) ;;
			esac
			echo "$r $b $k load=$load $(grep -v '^#' <<<"$out" | awk '{printf "%s ", $2}')"
		done
	done
done
