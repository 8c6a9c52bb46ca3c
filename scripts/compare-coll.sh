#!/usr/bin/env bash
# compare-coll.sh: spmd's collectives against Open MPI's and MPICH's, on one
# host over each implementation's default transport (shared memory), by the
# OSU Micro-Benchmarks method (osu_allreduce, osu_bcast, ...: each call timed
# alone, an untimed barrier after it, latency averaged over ranks).
#
# It installs the MPIs when missing (apt-get), builds spmdrun, spmdbench,
# benchtable and our C peer bench/peers/osu_coll.c for both MPIs, then runs
# ROUNDS rounds; each round runs, for every rank count in NPS and every
# benchmark, spmd, Open MPI and MPICH in turn (interleaved, so that drifting
# machine load hits all three alike), every run under `timeout`. It writes
# RESULTS_DIR/table.md (the machine, the exact commands, then per rank count
# a summary of ratios for allreduce 8 B and 1 MiB, bcast and allgather
# 1 MiB and barrier, and the full tables of medians over rounds) and the raw
# outputs with a log of every run (RESULTS_DIR/raw/npN/, git-ignored), then
# prints the table.
#
# np=4 on a 2-core machine is oversubscribed: it measures the scheduler as
# much as the transport. Open MPI then runs with --oversubscribe --bind-to
# none --mca mpi_yield_when_idle 1 (it degrades gracefully); MPICH 4.0.2/UCX
# busy-polls with no yield knob, so each step of its collectives waits for a
# scheduler tick (milliseconds), and np=4 uses few warm-up iterations and a
# time target (see /work/shared/research/baseline.md, gotcha 4).
#
# Usage: scripts/compare-coll.sh [RESULTS_DIR]
# Environment:
#   ROUNDS=3            rounds
#   QUICK=0             1: the summary's benchmarks only, sizes 8..1M, few
#                       iterations (a smoke run, about two minutes)
#   NPS="2 4"           rank counts
#   BENCHES="allreduce reduce bcast barrier gather scatter allgather alltoall reduce_scatter"
#                       (QUICK: allreduce bcast allgather barrier)
#   MIN=                smallest size (default: spmdbench's, 1 or 8; QUICK: 8)
#   MAX=1M              largest size
#   ARGS_NP2, ARGS_NP4 (ARGS_NPn for other n: ARGS_NP4's default)
#                       iteration flags for every implementation at that rank
#                       count; default np=2 OSU's fixed counts, np≥3
#                       "--target 250ms --min-iters 3 --warmup 3 --warmup-large 1";
#                       QUICK np=2 "--iters 300 --warmup 50 --iters-large 30
#                       --warmup-large 5", np≥3 "--iters 20 --warmup 5
#                       --iters-large 5 --warmup-large 2"
#   RUN_TIMEOUT=600     seconds per run (QUICK: 120); spmdrun's own --timeout
#                       fires 5 s earlier, to report where the ranks are blocked
#   IMPLS="spmd openmpi mpich"
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-3}
QUICK=${QUICK:-0}
NPS=${NPS:-2 4}
IMPLS=${IMPLS:-spmd openmpi mpich}
MAX=${MAX:-1M}
PICKS="allreduce:8 allreduce:1M bcast:1M allgather:1M barrier:0"
if [[ $QUICK == 1 ]]; then
	BENCHES=${BENCHES:-allreduce bcast allgather barrier}
	MIN=${MIN:-8}
	ARGS_NP2=${ARGS_NP2:---iters 300 --warmup 50 --iters-large 30 --warmup-large 5}
	ARGS_OVERSUB="--iters 20 --warmup 5 --iters-large 5 --warmup-large 2"
	RUN_TIMEOUT=${RUN_TIMEOUT:-120}
	suffix=-quick
else
	BENCHES=${BENCHES:-allreduce reduce bcast barrier gather scatter allgather alltoall reduce_scatter}
	MIN=${MIN:-}
	ARGS_NP2=${ARGS_NP2:-}
	ARGS_OVERSUB="--target 250ms --min-iters 3 --warmup 3 --warmup-large 1"
	RUN_TIMEOUT=${RUN_TIMEOUT:-600}
	suffix=
fi

PROG=compare-coll
# shellcheck source=compare-lib.sh
source scripts/compare-lib.sh
OUT=$(new_results_dir "${1:-bench/results/$(date +%Y-%m-%d)-coll-shm$suffix}")
RAW=$OUT/raw
LOG=$RAW/runs.log


# ---- 1. MPIs -----------------------------------------------------------------
install_mpis || die "could not install the MPIs"
command -v timeout >/dev/null || die "timeout (coreutils) is missing"

# ---- 2. builds ---------------------------------------------------------------
build_tools osu_coll

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
CORES=$(nproc)

# args_for NP: the iteration flags at NP ranks, as words, in ARGS.
args_for() {
	local np=$1 var=ARGS_NP$1 def=$ARGS_OVERSUB
	((np > 2)) || def=$ARGS_NP2
	read -r -a ARGS <<<"${!var-$def}"
}

# command_for IMPL BENCH NP: the command line of one run, as words, in CMD.
command_for() {
	local impl=$1 bench=$2 np=$3
	args_for "$np"
	local common=("$bench" --max "$MAX")
	[[ -z $MIN ]] || common+=(--min "$MIN")
	common+=("${ARGS[@]}")
	local ompi=(mpirun.openmpi --allow-run-as-root -np "$np")
	if ((np > CORES)); then
		ompi+=(--oversubscribe --bind-to none --mca mpi_yield_when_idle 1)
	fi
	case $impl in
	spmd) CMD=(bin/spmdrun -n "$np" --timeout "$((RUN_TIMEOUT > 10 ? RUN_TIMEOUT - 5 : RUN_TIMEOUT))s" bin/spmdbench "${common[@]}") ;;
	openmpi) CMD=("${ompi[@]}" bin/osu_coll.openmpi "${common[@]}" --transport shm) ;;
	mpich) CMD=(mpirun.mpich -np "$np" bin/osu_coll.mpich "${common[@]}" --transport shm) ;;
	*) die "unknown implementation $impl" ;;
	esac
}

lo_bytes() { cat /sys/class/net/lo/statistics/tx_bytes 2>/dev/null || echo 0; }

# ---- 3. header ------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "none")
git diff --quiet HEAD -- 2>/dev/null || commit="$commit + uncommitted changes"
{
	echo "# Collectives over shared memory: spmd vs Open MPI vs MPICH (OSU method)"
	echo
	echo "- date: $(date -Is)"
	echo "- host: $(hostname); kernel $(uname -r); $CORES CPUs; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- Go: $(go version | cut -d' ' -f3-); gcc: $(gcc -dumpfullversion 2>/dev/null || echo '?'); spmd commit: $commit"
	echo "- Open MPI $(mpirun.openmpi --version 2>/dev/null | head -1 | awk '{print $NF}'); MPICH $(mpirun.mpich --version 2>/dev/null | awk '$1 == "Version:" {print $2; exit}') (Debian packages)"
	echo "- transports: each implementation's default on one host (spmd shm, Open MPI vader, MPICH UCX sysv/cma)"
	echo "- rank counts: $NPS ($CORES cores: more ranks than cores is oversubscribed and scheduler-bound)"
	echo "- rounds: $ROUNDS (interleaved: each round runs every rank count and benchmark on each implementation in turn); QUICK=$QUICK; sizes ${MIN:-default}..$MAX"
	echo "- each run under: timeout -k 10 $RUN_TIMEOUT"
	echo "- exact commands, run from the repository root (outputs in raw/npN/IMPL-BENCH-rROUND.txt, stderr in .err, failed runs renamed .failed; raw/runs.log has each run's exit code, seconds and bytes through lo):"
	echo
	echo '```sh'
	echo "go build -o bin/spmdrun ./launcher/cmd/spmdrun && go build -o bin/spmdbench ./bench/cmd/spmdbench"
	echo "mpicc.openmpi -O2 -Wall -o bin/osu_coll.openmpi bench/peers/osu_coll.c"
	echo "mpicc.mpich -O2 -Wall -o bin/osu_coll.mpich bench/peers/osu_coll.c"
	echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
	for np in $NPS; do
		for bench in $BENCHES; do
			for impl in $IMPLS; do
				command_for "$impl" "$bench" "$np"
				echo "${CMD[*]}"
			done
		done
	done
	echo '```'
	echo
} >"$RAW/header.md"
printf 'round\tnp\timpl\tbench\trc\tseconds\tlo_bytes\tcommand\n' >"$LOG"

# ---- 4. rounds --------------------------------------------------------------------
failures=0
for round in $(seq 1 "$ROUNDS"); do
	for np in $NPS; do
		mkdir -p "$RAW/np$np"
		for bench in $BENCHES; do
			for impl in $IMPLS; do
				command_for "$impl" "$bench" "$np"
				raw=$RAW/np$np/$impl-$bench-r$round.txt
				say "round $round/$ROUNDS: np=$np $impl $bench"
				lo0=$(lo_bytes)
				t0=$(date +%s.%N)
				rc=0
				timeout -k 10 "$RUN_TIMEOUT" "${CMD[@]}" >"$raw" 2>"$raw.err" || rc=$?
				t1=$(date +%s.%N)
				lo1=$(lo_bytes)
				printf '%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\n' "$round" "$np" "$impl" "$bench" "$rc" \
					"$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$((lo1 - lo0))" "${CMD[*]}" >>"$LOG"
				[[ -s $raw.err ]] || rm -f "$raw.err"
				if ((rc != 0)); then
					say "  FAILED (exit $rc), see $raw.failed"
					mv "$raw" "$raw.failed"
					failures=$((failures + 1))
				fi
			done
		done
	done
done

# ---- 5. tables -----------------------------------------------------------------------
picks=()
for p in $PICKS; do
	[[ " $BENCHES " == *" ${p%%:*} "* ]] && picks+=("$p")
done
impls=$(echo "$IMPLS" | tr ' ' ',')
{
	cat "$RAW/header.md"
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); failed runs: $failures"
	echo
	for np in $NPS; do
		echo "## np=$np"
		echo
		if ((${#picks[@]})); then
			bin/benchtable -dir "$RAW/np$np" -impls "$impls" -title "Summary, np=$np" \
				-pick "$(IFS=,; echo "${picks[*]}")"
		fi
		bin/benchtable -dir "$RAW/np$np" -impls "$impls" -benches "$(echo "$BENCHES" | tr ' ' ',')"
	done
} >"$OUT/table.md"
rm -f "$RAW/header.md"
cat "$OUT/table.md"
say "results in $OUT"
((failures == 0)) || exit 1
