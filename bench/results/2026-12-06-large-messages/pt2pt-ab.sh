#!/usr/bin/env bash
# pt2pt-ab.sh: alternated point-to-point runs over shared memory, np = 2:
# spmd builds (each a directory holding spmdrun and spmdbench, optionally
# with environment settings) and Open MPI's OSU-method peer, one after the
# other in every round, so that the load of this shared VM hits all alike.
# One line per run: round, label, the figure of each size, load average.
#
#   pt2pt-ab.sh BENCH ROUNDS MIN MAX VARIANT...
#
# VARIANT is LABEL=BINDIR[,VAR=VALUE...] or "ompi" (bin/osu_pt2pt.openmpi).
# PARGS adds flags to every run (e.g. PARGS="--iters-large 100").
# NICE (default 0) runs every command at that niceness: -15 as root keeps
# the other work of a shared machine from taking the cores mid-run, for
# all variants alike. Run from the repository root.
set -euo pipefail
bench=$1 rounds=$2 min=$3 max=$4
shift 4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
read -r -a extra <<<"${PARGS:-}"
for r in $(seq "$rounds"); do
	for v in "$@"; do
		if [[ $v == ompi ]]; then
			cmd=(mpirun.openmpi --allow-run-as-root --oversubscribe -np 2 bin/osu_pt2pt.openmpi "$bench" --min "$min" --max "$max" "${extra[@]}" --transport shm)
			label=ompi
		else
			label=${v%%=*} rest=${v#*=}
			dir=${rest%%,*} envs=()
			[[ $rest == *,* ]] && IFS=, read -r -a envs <<<"${rest#*,}"
			cmd=(env "${envs[@]}" SPMD_TRANSPORT=shm "$dir/spmdrun" -n 2 "$dir/spmdbench" "$bench" --min "$min" --max "$max" "${extra[@]}")
		fi
		out=$(timeout -k 5 120 nice -n "${NICE:-0}" "${cmd[@]}" 2>&1 | grep -v '^#' | awk 'NF >= 2 {printf "%s ", $2}') || true
		echo "$r $label $out load=$(cut -d' ' -f1 /proc/loadavg)"
	done
done
