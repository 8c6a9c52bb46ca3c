#!/usr/bin/env bash
# compare-pt2pt.sh: spmd against Open MPI and MPICH, point-to-point between
# two ranks on this host, by the OSU Micro-Benchmarks method (latency and
# windowed bandwidth), over shared memory or forced over TCP loopback.
#
# It installs the MPIs when missing (apt-get), builds spmdrun, spmdbench,
# benchtable and our C peer bench/peers/osu_pt2pt.c for both MPIs, then runs
# ROUNDS rounds, each running every benchmark on spmd, Open MPI and MPICH in
# turn (interleaved, so that drifting machine load hits all three alike),
# every run under `timeout`. It writes a table of medians over rounds with
# the machine and the exact commands (RESULTS_DIR/table.md), and the raw
# outputs with a log of every run (RESULTS_DIR/raw/, git-ignored), then prints
# the table.
#
# Usage: scripts/compare-pt2pt.sh [RESULTS_DIR]
# Environment:
#   ROUNDS=3            rounds
#   QUICK=0             1: sizes up to 1M and few iterations (a smoke run, ~1 min)
#   BENCHES="latency bandwidth"   any of latency, bandwidth, bibw
#   MAX=16M             largest message (QUICK: 1M); MIN_LAT=0, MIN_BW=1
#   ARGS_LATENCY, ARGS_BANDWIDTH, ARGS_BIBW   extra flags for both spmdbench
#                       and osu_pt2pt (default: OSU's counts; QUICK: fewer)
#   RUN_TIMEOUT=600     seconds per run (QUICK: 120); spmdrun's own --timeout
#                       fires 5 s earlier, to report where the ranks are blocked
#   IMPLS="spmd openmpi mpich"
#   TRANSPORT=tcp       tcp: every implementation forced over TCP loopback;
#                       shm: each one's default on one host (spmd: shared
#                       memory; Open MPI: btl vader/sm; MPICH: ch4 shm)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-3}
QUICK=${QUICK:-0}
BENCHES=${BENCHES:-latency bandwidth}
IMPLS=${IMPLS:-spmd openmpi mpich}
TRANSPORT=${TRANSPORT:-tcp}
[[ $TRANSPORT == tcp || $TRANSPORT == shm ]] || { echo "TRANSPORT must be tcp or shm" >&2; exit 2; }
MIN_LAT=${MIN_LAT:-0}
MIN_BW=${MIN_BW:-1}
if [[ $QUICK == 1 ]]; then
	MAX=${MAX:-1M}
	ARGS_LATENCY=${ARGS_LATENCY:---iters 300 --warmup 30 --iters-large 30 --warmup-large 3}
	ARGS_BANDWIDTH=${ARGS_BANDWIDTH:---iters 30 --warmup 3 --iters-large 6 --warmup-large 1}
	ARGS_BIBW=${ARGS_BIBW:-$ARGS_BANDWIDTH}
	RUN_TIMEOUT=${RUN_TIMEOUT:-120}
	suffix=-quick
else
	MAX=${MAX:-16M}
	ARGS_LATENCY=${ARGS_LATENCY:-}
	ARGS_BANDWIDTH=${ARGS_BANDWIDTH:-}
	ARGS_BIBW=${ARGS_BIBW:-}
	RUN_TIMEOUT=${RUN_TIMEOUT:-600}
	suffix=
fi

PROG=compare-pt2pt
# shellcheck source=compare-lib.sh
source scripts/compare-lib.sh
OUT=$(new_results_dir "${1:-bench/results/$(date +%Y-%m-%d)-pt2pt-$TRANSPORT$suffix}")
RAW=$OUT/raw
LOG=$RAW/runs.log


# ---- 1. MPIs -----------------------------------------------------------------
install_mpis || die "could not install the MPIs"
command -v timeout >/dev/null || die "timeout (coreutils) is missing"

# ---- 2. builds ---------------------------------------------------------------
build_tools osu_pt2pt

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [[ $TRANSPORT == tcp ]]; then
	OMPI_RUN=(mpirun.openmpi --allow-run-as-root --oversubscribe -np 2
		--mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include lo)
	MPICH_RUN=(mpirun.mpich -genv UCX_TLS tcp,self -genv UCX_NET_DEVICES lo -genv MPIR_CVAR_NOLOCAL 1 -np 2)
else
	OMPI_RUN=(mpirun.openmpi --allow-run-as-root --oversubscribe -np 2)
	MPICH_RUN=(mpirun.mpich -np 2)
fi

# command IMPL BENCH: the command line of one run, as words, in CMD.
command_for() {
	local impl=$1 bench=$2 min=$MIN_BW args
	[[ $bench == latency ]] && min=$MIN_LAT
	case $bench in
	latency) args=$ARGS_LATENCY ;;
	bandwidth) args=$ARGS_BANDWIDTH ;;
	bibw) args=$ARGS_BIBW ;;
	*) die "unknown benchmark $bench" ;;
	esac
	local common=("$bench" --min "$min" --max "$MAX")
	read -r -a extra <<<"$args"
	common+=("${extra[@]}")
	case $impl in
	spmd) CMD=(env SPMD_TRANSPORT="$TRANSPORT" bin/spmdrun -n 2 --timeout "$((RUN_TIMEOUT > 10 ? RUN_TIMEOUT - 5 : RUN_TIMEOUT))s" bin/spmdbench "${common[@]}") ;;
	openmpi) CMD=("${OMPI_RUN[@]}" bin/osu_pt2pt.openmpi "${common[@]}" --transport "$TRANSPORT") ;;
	mpich) CMD=("${MPICH_RUN[@]}" bin/osu_pt2pt.mpich "${common[@]}" --transport "$TRANSPORT") ;;
	*) die "unknown implementation $impl" ;;
	esac
}

lo_bytes() { cat /sys/class/net/lo/statistics/tx_bytes 2>/dev/null || echo 0; }

# ---- 3. check that MPICH really goes over TCP ---------------------------------
ucx_check=$RAW/mpich-ucx-check.txt
mpich_tcp="NOT VERIFIED"
if [[ $TRANSPORT == tcp && " $IMPLS " == *" mpich "* ]]; then
	timeout -k 10 60 "${MPICH_RUN[@]}" -genv UCX_LOG_LEVEL info bin/osu_pt2pt.mpich latency --max 8 --iters 10 \
		>"$ucx_check" 2>&1 || true
	# UCX logs one ep_cfg line per endpoint; the one to the peer must be tcp only.
	if grep -q 'tag(tcp/lo)' "$ucx_check" && ! grep 'ep_cfg' "$ucx_check" | grep -Eq 'sysv|posix|cma|xpmem|knem'; then
		mpich_tcp="yes (UCX ep_cfg tag(tcp/lo), see raw/mpich-ucx-check.txt)"
	else
		say "WARNING: MPICH does not appear to use TCP; see $ucx_check"
	fi
fi

# ---- 4. header ------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "none (uncommitted tree)")
{
	if [[ $TRANSPORT == tcp ]]; then
		echo "# Point-to-point over TCP loopback: spmd vs Open MPI vs MPICH (OSU method)"
	else
		echo "# Point-to-point over shared memory, np = 2 on one host: spmd vs Open MPI vs MPICH (OSU method)"
	fi
	echo
	echo "- date: $(date -Is)"
	echo "- host: $(hostname); kernel $(uname -r); $(nproc) CPUs; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- Go: $(go version | cut -d' ' -f3-); gcc: $(gcc -dumpfullversion 2>/dev/null || echo '?'); spmd commit: $commit"
	echo "- Open MPI $(mpirun.openmpi --version 2>/dev/null | head -1 | awk '{print $NF}'); MPICH $(mpirun.mpich --version 2>/dev/null | awk '$1 == "Version:" {print $2; exit}') (Debian packages)"
	[[ $TRANSPORT == tcp ]] && echo "- MPICH over TCP: $mpich_tcp"
	echo "- rounds: $ROUNDS (interleaved: each round runs every benchmark on each implementation in turn); QUICK=$QUICK; sizes $MIN_LAT (latency) / $MIN_BW (bandwidth) .. $MAX"
	echo "- each run under: timeout -k 10 $RUN_TIMEOUT"
	echo "- exact commands, run from the repository root (outputs in raw/IMPL-BENCH-rROUND.txt, stderr in .err, failed runs renamed .failed; raw/runs.log has each run's exit code, seconds and bytes through lo):"
	echo
	echo '```sh'
	echo "go build -o bin/spmdrun ./launcher/cmd/spmdrun && go build -o bin/spmdbench ./bench/cmd/spmdbench"
	echo "mpicc.openmpi -O2 -Wall -o bin/osu_pt2pt.openmpi bench/peers/osu_pt2pt.c"
	echo "mpicc.mpich -O2 -Wall -o bin/osu_pt2pt.mpich bench/peers/osu_pt2pt.c"
	echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
	for bench in $BENCHES; do
		for impl in $IMPLS; do
			command_for "$impl" "$bench"
			echo "${CMD[*]}"
		done
	done
	echo '```'
	echo
} >"$RAW/header.md"
printf 'round\timpl\tbench\trc\tseconds\tlo_bytes\tcommand\n' >"$LOG"

# ---- 5. rounds --------------------------------------------------------------------
failures=0
for round in $(seq 1 "$ROUNDS"); do
	for bench in $BENCHES; do
		for impl in $IMPLS; do
			command_for "$impl" "$bench"
			raw=$RAW/$impl-$bench-r$round.txt
			say "round $round/$ROUNDS: $impl $bench"
			lo0=$(lo_bytes)
			t0=$(date +%s.%N)
			rc=0
			timeout -k 10 "$RUN_TIMEOUT" "${CMD[@]}" >"$raw" 2>"$raw.err" || rc=$?
			t1=$(date +%s.%N)
			lo1=$(lo_bytes)
			printf '%s\t%s\t%s\t%s\t%.1f\t%s\t%s\n' "$round" "$impl" "$bench" "$rc" \
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

# ---- 6. table -----------------------------------------------------------------------
{
	cat "$RAW/header.md"
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); failed runs: $failures"
	echo
	bin/benchtable -dir "$RAW" -benches "$(echo "$BENCHES" | tr ' ' ',')" -impls "$(echo "$IMPLS" | tr ' ' ',')"
} >"$OUT/table.md"
rm -f "$RAW/header.md"
cat "$OUT/table.md"
say "results in $OUT"
((failures == 0)) || exit 1
