#!/usr/bin/env bash
# compare-obj.sh: spmd's object API against mpi4py's pickled lower-case API,
# np = 2 on this host: a ping-pong of a []byte (spmdbench objlatency) against
# comm.send/comm.recv of bytes, and AllreduceObj of a []float64 (spmdbench
# objallreduce) against comm.allreduce of a NumPy array with MPI.SUM
# (bench/peers/mpi4py_obj.py, which runs on Debian's python3-mpi4py over
# Open MPI).
#
# It installs python3-mpi4py and python3-numpy when missing (apt-get), builds
# spmdrun, spmdbench and benchtable, then runs ROUNDS rounds, each running
# both benchmarks on every implementation in turn (interleaved, so that
# drifting machine load hits all alike), every run under `timeout`. It
# writes a table of medians over rounds with the machine and the exact
# commands (RESULTS_DIR/table.md) and the raw outputs (RESULTS_DIR/raw/),
# then prints the table.
#
# Usage: scripts/compare-obj.sh [RESULTS_DIR]
# Environment:
#   ROUNDS=3          rounds
#   QUICK=0           1: --target 50ms per size (a smoke run)
#   TARGET=250ms      time per size (calibrated iteration counts)
#   BENCHES="objlatency objallreduce"
#   SIZES="8 1K 64K 1M"   message sizes; each size is a run of its own, so
#                     that implementations alternate size by size
#   MAX_ITERS=100000  bound on the calibrated iteration count, which keeps a
#                     run short when the machine's load rises after warm-up
#   IMPLS="spmd mpi4py"   also: spmd-raw, the same sizes through Send/Recv
#                     (spmdbench latency) and Allreduce of float64
#                     (spmdbench allreduce), what the object path adds to
#   SPMDBENCH_BASE=   another spmdbench binary (a build of an older commit),
#                     run as implementation "spmd-base" (add it to IMPLS)
#   TRANSPORT=shm     spmd's transport (Open MPI under mpi4py uses its default,
#                     shared memory on one host)
#   RUN_TIMEOUT=600   seconds per run
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-3}
QUICK=${QUICK:-0}
BENCHES=${BENCHES:-objlatency objallreduce}
IMPLS=${IMPLS:-spmd mpi4py}
TRANSPORT=${TRANSPORT:-shm}
SIZES=${SIZES:-8 1K 64K 1M}
MAX_ITERS=${MAX_ITERS:-100000}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
SPMDBENCH_BASE=${SPMDBENCH_BASE:-}
if [[ $QUICK == 1 ]]; then
	TARGET=${TARGET:-50ms}
	suffix=-quick
else
	TARGET=${TARGET:-250ms}
	suffix=
fi
target_s=$(awk -v t="$TARGET" 'BEGIN { if (t ~ /ms$/) { sub(/ms$/, "", t); print t / 1000 } else { sub(/s$/, "", t); print t } }')

PROG=compare-obj
# shellcheck source=compare-lib.sh
source scripts/compare-lib.sh
OUT=$(new_results_dir "${1:-bench/results/$(date +%Y-%m-%d)-obj$suffix}")
RAW=$OUT/raw
LOG=$RAW/runs.log

# ---- 1. mpi4py -------------------------------------------------------------------
PY=/usr/bin/python3 # Debian's: python3-mpi4py is built for it, not for another python3 on PATH
if ! "$PY" -c 'import mpi4py, numpy' 2>/dev/null; then
	sudo=
	[[ $(id -u) == 0 ]] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	say "installing python3-mpi4py python3-numpy"
	timeout 900 $sudo apt-get install -y -q python3-mpi4py python3-numpy ||
		{ timeout 600 $sudo apt-get update -q && timeout 900 $sudo apt-get install -y -q python3-mpi4py python3-numpy; } ||
		die "could not install python3-mpi4py"
fi
"$PY" -c 'import mpi4py, numpy' || die "$PY cannot import mpi4py and numpy"
command -v mpirun.openmpi >/dev/null || die "mpirun.openmpi is missing (python3-mpi4py depends on openmpi-bin)"

# ---- 2. builds -------------------------------------------------------------------
mkdir -p bin
go build -o bin/spmdrun ./launcher/cmd/spmdrun
go build -o bin/spmdbench ./bench/cmd/spmdbench
go build -o bin/benchtable ./bench/cmd/benchtable

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMPI_RUN=(mpirun.openmpi --allow-run-as-root --oversubscribe -np 2)

# command_for IMPL BENCH SIZE: the command line of one run, as words, in CMD.
command_for() {
	local impl=$1 bench=$2 size=$3
	case $bench in
	objlatency | objallreduce) ;;
	*) die "unknown benchmark $bench" ;;
	esac
	local spmd_timeout=$((RUN_TIMEOUT > 10 ? RUN_TIMEOUT - 5 : RUN_TIMEOUT))s
	local spmd_args=("$bench" --min "$size" --max "$size" --target "$TARGET" --max-iters "$MAX_ITERS")
	case $impl in
	spmd) CMD=(env SPMD_TRANSPORT="$TRANSPORT" bin/spmdrun -n 2 --timeout "$spmd_timeout" bin/spmdbench "${spmd_args[@]}") ;;
	spmd-raw)
		local raw=latency
		[[ $bench == objallreduce ]] && raw=allreduce
		CMD=(env SPMD_TRANSPORT="$TRANSPORT" bin/spmdrun -n 2 --timeout "$spmd_timeout" bin/spmdbench "$raw" "${spmd_args[@]:1}")
		;;
	spmd-base)
		[[ -x $SPMDBENCH_BASE ]] || die "SPMDBENCH_BASE ($SPMDBENCH_BASE) is not an executable"
		CMD=(env SPMD_TRANSPORT="$TRANSPORT" bin/spmdrun -n 2 --timeout "$spmd_timeout" "$SPMDBENCH_BASE" "${spmd_args[@]}")
		;;
	mpi4py) CMD=("${OMPI_RUN[@]}" "$PY" bench/peers/mpi4py_obj.py "$bench" --min "$size" --max "$size" --target "$target_s" --max-iters "$MAX_ITERS") ;;
	*) die "unknown implementation $impl" ;;
	esac
}

# ---- 3. header ---------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "none")
[[ -z $(git status --porcelain 2>/dev/null) ]] || commit="$commit (with uncommitted changes)"
{
	echo "# Objects, np = 2 on one host: spmd's SendObj/RecvObj and AllreduceObj vs mpi4py's pickled send/recv and allreduce"
	echo
	echo "- date: $(date -Is)"
	echo "- host: $(hostname); kernel $(uname -r); $(nproc) CPUs; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- Go: $(go version | cut -d' ' -f3-); spmd commit: $commit; spmd transport: $TRANSPORT"
	echo "- mpi4py $("$PY" -c 'import mpi4py; print(mpi4py.__version__)'), Python $("$PY" -c 'import sys; print(sys.version.split()[0])'), Open MPI $(mpirun.openmpi --version 2>/dev/null | head -1 | awk '{print $NF}') (Debian packages)"
	[[ -n $SPMDBENCH_BASE ]] && echo "- spmd-base: $SPMDBENCH_BASE"
	echo "- rounds: $ROUNDS (interleaved); time per size: $TARGET; each run under: timeout -k 10 $RUN_TIMEOUT"
	echo "- exact commands, run from the repository root, once per size (outputs, all sizes of a round in one file, in raw/IMPL-BENCH-rROUND.txt; raw/runs.log has each run's exit code, seconds and load):"
	echo
	echo '```sh'
	echo "go build -o bin/spmdrun ./launcher/cmd/spmdrun && go build -o bin/spmdbench ./bench/cmd/spmdbench"
	echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
	for bench in $BENCHES; do
		for impl in $IMPLS; do
			command_for "$impl" "$bench" SIZE
			echo "${CMD[*]}"
		done
	done
	echo "# SIZE in: $SIZES"
	echo '```'
	echo
} >"$RAW/header.md"
printf 'round\timpl\tbench\trc\tseconds\tload1\tcommand\n' >"$LOG"

# ---- 4. rounds ---------------------------------------------------------------------
failures=0
for round in $(seq 1 "$ROUNDS"); do
	for bench in $BENCHES; do
		for size in $SIZES; do
			for impl in $IMPLS; do
				command_for "$impl" "$bench" "$size"
				raw=$RAW/$impl-$bench-r$round.txt
				one=$RAW/$impl-$bench-r$round-$size.out
				say "round $round/$ROUNDS: $impl $bench $size"
				t0=$(date +%s.%N)
				rc=0
				timeout -k 10 "$RUN_TIMEOUT" "${CMD[@]}" >"$one" 2>"$one.err" || rc=$?
				t1=$(date +%s.%N)
				printf '%s\t%s\t%s %s\t%s\t%.1f\t%s\t%s\n' "$round" "$impl" "$bench" "$size" "$rc" \
					"$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$(cut -d' ' -f1 /proc/loadavg)" "${CMD[*]}" >>"$LOG"
				[[ -s $one.err ]] || rm -f "$one.err"
				if ((rc != 0)); then
					say "  FAILED (exit $rc), see $one.failed"
					mv "$one" "$one.failed"
					failures=$((failures + 1))
					continue
				fi
				cat "$one" >>"$raw"
				rm -f "$one"
			done
		done
	done
done

# ---- 5. table ------------------------------------------------------------------------
base=mpi4py
[[ " $IMPLS " == *" mpi4py "* ]] || base=
{
	cat "$RAW/header.md"
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); failed runs: $failures"
	echo
	bin/benchtable -dir "$RAW" -benches "$(echo "$BENCHES" | tr ' ' ',')" -impls "$(echo "$IMPLS" | tr ' ' ',')" -base "$base" -num spmd
} >"$OUT/table.md"
rm -f "$RAW/header.md"
cat "$OUT/table.md"
say "results in $OUT"
((failures == 0)) || exit 1
