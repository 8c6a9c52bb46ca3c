#!/usr/bin/env bash
# compare-apps.sh: the application kernels (examples/stencil and
# examples/transpose, the Parallel Research Kernels' Stencil and Transpose)
# against the same programs written in C against MPI (bench/peers/stencil.c
# and transpose.c), built for Open MPI and for MPICH, on one host.
#
# It installs the MPIs when missing (apt-get), builds spmdrun and the two Go
# programs, and the C peers with `mpicc -O3` for both MPIs, then runs ROUNDS
# rounds; each round runs, for every rank count in NPS and each kernel,
# spmd, Open MPI and MPICH in turn (interleaved, so that drifting machine
# load hits all three alike), every run under `timeout`. Every program
# validates its own result (a run that does not is a failure). It writes
# RESULTS_DIR/README.md (the machine, the commit, the exact commands, then
# per kernel and rank count the median over rounds of the rate, of the
# total time and of the time in communication for each implementation, and
# spmd's rate over each MPI's), keeps the raw outputs (RESULTS_DIR/raw/,
# git-ignored) and prints the table.
#
# Every implementation runs with the same binding, BIND (default none:
# the kernel places the ranks, as MPICH's Hydra does by default; spmdrun
# and Open MPI would otherwise bind in some cases and not others, and a
# bound rank on a host loaded by other work cannot move off a busy core).
# np above the core count is oversubscribed: Open MPI then also gets
# --oversubscribe --mca mpi_yield_when_idle 1; Debian's MPICH (4.0, UCX)
# busy-polls with no yield knob, so its oversubscribed figures measure the
# scheduler more than the library.
#
# The table gives the median over rounds and the best round (highest
# rate) of each: on a host shared with other work, contention only ever
# slows a run down, so the best round is the closer estimate of what the
# program can do, and the median of what it did.
#
# Usage: scripts/compare-apps.sh [RESULTS_DIR]
# Environment:
#   ROUNDS=5                                  rounds
#   BIND=none                                 none or core, for all three
#   NPS="1 2 4"                               rank counts
#   STENCIL_ARGS="-n 2000 -iterations 20"     arguments of both stencils
#   TRANSPOSE_ARGS="-order 2048 -iterations 10"  of both transposes (order
#                                             must be a multiple of every np)
#   APPS="stencil transpose"
#   IMPLS="spmd openmpi mpich"
#   RUN_TIMEOUT=300                           seconds per run
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-5}
BIND=${BIND:-none}
NPS=${NPS:-1 2 4}
STENCIL_ARGS=${STENCIL_ARGS:--n 2000 -iterations 20}
TRANSPOSE_ARGS=${TRANSPOSE_ARGS:--order 2048 -iterations 10}
APPS=${APPS:-stencil transpose}
IMPLS=${IMPLS:-spmd openmpi mpich}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}

PROG=compare-apps
# shellcheck source=compare-lib.sh
source scripts/compare-lib.sh
OUT=$(new_results_dir "${1:-bench/results/$(date +%Y-%m-%d)-apps}")
RAW=$OUT/raw
LOG=$RAW/runs.log

# ---- 1. MPIs and builds -----------------------------------------------------------
install_mpis || die "could not install the MPIs"
command -v timeout >/dev/null || die "timeout (coreutils) is missing"
mkdir -p bin
say "building into $PWD/bin"
go build -o bin/spmdrun ./launcher/cmd/spmdrun
for app in $APPS; do
	go build -o "bin/$app" "./examples/$app"
	mpicc.openmpi -O3 -Wall -o "bin/$app.openmpi" "bench/peers/$app.c" -lm
	mpicc.mpich -O3 -Wall -o "bin/$app.mpich" "bench/peers/$app.c" -lm
done

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
CORES=$(nproc)

# command_for IMPL APP NP: the command line of one run, as words, in CMD.
command_for() {
	local impl=$1 app=$2 np=$3 args
	case $app in
	stencil) read -r -a args <<<"$STENCIL_ARGS" ;;
	transpose) read -r -a args <<<"$TRANSPOSE_ARGS" ;;
	*) die "unknown kernel $app" ;;
	esac
	local ompi=(mpirun.openmpi --allow-run-as-root -np "$np" --bind-to "$BIND")
	if ((np > CORES)); then
		ompi+=(--oversubscribe --mca mpi_yield_when_idle 1)
	fi
	case $impl in
	spmd) CMD=(bin/spmdrun -n "$np" --bind-to "$BIND" --timeout "$((RUN_TIMEOUT - 5))s" "bin/$app" "${args[@]}") ;;
	openmpi) CMD=("${ompi[@]}" "bin/$app.openmpi" "${args[@]}") ;;
	mpich) CMD=(mpirun.mpich -np "$np" -bind-to "$BIND" "bin/$app.mpich" "${args[@]}") ;;
	*) die "unknown implementation $impl" ;;
	esac
}

# ---- 2. header -----------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "none")
git diff --quiet HEAD -- 2>/dev/null || commit="$commit + uncommitted changes"
{
	echo "# Application kernels: spmd vs Open MPI vs MPICH (PRK Stencil and Transpose)"
	echo
	echo "- date: $(date -Is)"
	echo "- host: $(hostname); kernel $(uname -r); $CORES CPUs; $(lscpu | grep 'Model name' | sed 's/  */ /g')"
	echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- Go: $(go version | cut -d' ' -f3-); gcc: $(gcc -dumpfullversion 2>/dev/null || echo '?') (-O3); spmd commit: $commit"
	echo "- Open MPI $(mpirun.openmpi --version 2>/dev/null | head -1 | awk '{print $NF}'); MPICH $(mpirun.mpich --version 2>/dev/null | awk '$1 == "Version:" {print $2; exit}') (Debian packages)"
	echo "- rank counts: $NPS ($CORES cores: more ranks than cores is oversubscribed); binding: $BIND for all"
	echo "- rounds: $ROUNDS (interleaved: each round runs every rank count and kernel on each implementation in turn); each run under timeout -k 10 $RUN_TIMEOUT"
	echo "- exact commands, from the repository root (outputs in raw/npN/IMPL-APP-rROUND.txt; raw/runs.log has each run's exit code and seconds):"
	echo
	echo '```sh'
	echo "scripts/compare-apps.sh   # ROUNDS=$ROUNDS BIND=$BIND NPS=\"$NPS\" STENCIL_ARGS=\"$STENCIL_ARGS\" TRANSPOSE_ARGS=\"$TRANSPOSE_ARGS\""
	for app in $APPS; do
		echo "go build -o bin/$app ./examples/$app"
		echo "mpicc.openmpi -O3 -Wall -o bin/$app.openmpi bench/peers/$app.c -lm"
		echo "mpicc.mpich -O3 -Wall -o bin/$app.mpich bench/peers/$app.c -lm"
	done
	for np in $NPS; do
		for app in $APPS; do
			for impl in $IMPLS; do
				command_for "$impl" "$app" "$np"
				echo "${CMD[*]}"
			done
		done
	done
	echo '```'
	echo
} >"$RAW/header.md"
printf 'round\tnp\timpl\tapp\trc\tseconds\tcommand\n' >"$LOG"

# ---- 3. rounds -------------------------------------------------------------------------
failures=0
for round in $(seq 1 "$ROUNDS"); do
	for np in $NPS; do
		mkdir -p "$RAW/np$np"
		for app in $APPS; do
			for impl in $IMPLS; do
				command_for "$impl" "$app" "$np"
				raw=$RAW/np$np/$impl-$app-r$round.txt
				say "round $round/$ROUNDS: np=$np $impl $app"
				t0=$(date +%s.%N)
				rc=0
				timeout -k 10 "$RUN_TIMEOUT" "${CMD[@]}" >"$raw" 2>"$raw.err" || rc=$?
				t1=$(date +%s.%N)
				printf '%s\t%s\t%s\t%s\t%s\t%.1f\t%s\n' "$round" "$np" "$impl" "$app" "$rc" \
					"$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "${CMD[*]}" >>"$LOG"
				[[ -s $raw.err ]] || rm -f "$raw.err"
				if ((rc != 0)) || ! grep -q 'Solution validates' "$raw"; then
					say "  FAILED (exit $rc), see $raw.failed"
					mv "$raw" "$raw.failed"
					failures=$((failures + 1))
				fi
			done
		done
	done
done

# ---- 4. table ----------------------------------------------------------------------------
# figures IMPL APP NP: "median-rate best-rate median-total median-comm"
# over the rounds that validated, or "- - - -" when none did.
figures() {
	local impl=$1 app=$2 np=$3
	cat "$RAW/np$np/$impl-$app-r"*.txt 2>/dev/null |
		awk 'BEGIN { n = 0 } /Rate \(/ { for (i = 1; i <= NF; i++) { if ($i == "(MFlops/s):" || $i == "(MB/s):") r[n] = $(i+1);
				if ($i == "Total") t[n] = $(i+3); if ($i == "Comm") c[n] = $(i+3) } n++ }
			function median(a, n,   i, j, x, s) { for (i = 0; i < n; i++) s[i] = a[i] + 0
				for (i = 1; i < n; i++) { x = s[i]; for (j = i - 1; j >= 0 && s[j] > x; j--) s[j+1] = s[j]; s[j+1] = x }
				return n % 2 ? s[int(n/2)] : (s[n/2-1] + s[n/2]) / 2 }
			function best(a, n,   i, m) { m = a[0] + 0; for (i = 1; i < n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
			END { if (n == 0) { print "- - - -"; exit }
				printf "%.1f %.1f %.4f %.4f\n", median(r, n), best(r, n), median(t, n), median(c, n) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

{
	cat "$RAW/header.md"
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); failed runs: $failures"
	echo
	echo "Rate: MFlop/s (stencil, PRK's 19 flops per active point) or MB/s (transpose,"
	echo "2·8·order² bytes per iteration): the median over $ROUNDS rounds, and the best round."
	echo "Ratios: spmd's rate over theirs (above 1: spmd faster), of the medians and of the best"
	echo "rounds. Total: the timed iterations, slowest rank, median. Comm: time in the halo"
	echo "exchange (stencil: pack, messages, unpack) or in Sendrecv (transpose), slowest rank, median."
	echo
	echo "| kernel | np | rate spmd / ompi / mpich (median) | best round | spmd/ompi median (best) | spmd/mpich median (best) | total s spmd / ompi / mpich | comm s spmd / ompi / mpich |"
	echo "|---|---|---|---|---|---|---|---|"
	for app in $APPS; do
		for np in $NPS; do
			read -r sr sb st sc <<<"$(figures spmd "$app" "$np")"
			read -r or ob ot oc <<<"$(figures openmpi "$app" "$np")"
			read -r mr mb mt mc <<<"$(figures mpich "$app" "$np")"
			echo "| $app | $np | $sr / $or / $mr | $sb / $ob / $mb | $(ratio "$sr" "$or") ($(ratio "$sb" "$ob")) | $(ratio "$sr" "$mr") ($(ratio "$sb" "$mb")) | $st / $ot / $mt | $sc / $oc / $mc |"
		done
	done
	echo
} >"$OUT/README.md"
rm -f "$RAW/header.md"
cat "$OUT/README.md"
say "results in $OUT"
((failures == 0)) || exit 1
