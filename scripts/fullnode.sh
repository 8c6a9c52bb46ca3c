#!/usr/bin/env bash
# fullnode.sh: many ranks on this one host, spmd against Open MPI.
#
#   scripts/fullnode.sh [OUT.md]
#
# For each N in $NS (default "8 32 64 128") it runs, one after another,
#   hello   spmdrun -n N bin/hello                 (Init, Finalize)
#   spmd    spmdrun -n N wireup -allreduce         (Init, 3 ring Sendrecvs, Allreduce)
#   ompi    mpirun --oversubscribe --bind-to none -np N fullnode_hello
#           (the same program in C: bench/peers/fullnode_hello.c)
# and prints a Markdown table: wall time of the whole command; the peak
# of /dev/shm's used bytes over its level before the run (sampled every
# 20 ms with df, so other processes' use on this host shows too); and,
# from each rank's own report before Finalize, the most sockets and file
# descriptors a rank held, the most shared memory a rank had mapped
# (mapped, not necessarily resident: Open MPI maps every peer's segment),
# and the median and largest peak RSS per rank. ROUNDS (default 1) repeats
# each run and reports the median wall time. TIMEOUT (default 300) bounds
# each run in seconds. The table also goes to OUT.md when given.
#
# OLD_SRC=DIR (a source tree of another spmd commit, e.g. from git
# archive) adds rows "old hello" and "old ring+allreduce" for each N in
# OLD_NS (default "8 32 64"), built from DIR with the same wireup program.
set -euo pipefail
cd "$(dirname "$0")/.."
NS=${NS:-"8 32 64 128"}
ROUNDS=${ROUNDS:-1}
TIMEOUT=${TIMEOUT:-300}
out=${1:-}
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
go build -o "$BIN/" ./launcher/cmd/spmdrun ./examples/hello ./comm/internal/testprogs/wireup
OLD_NS=${OLD_NS:-"8 32 64"}
if [[ -n ${OLD_SRC:-} ]]; then
	mkdir -p "$BIN/old" "$OLD_SRC/comm/internal/testprogs/wireup"
	cp comm/internal/testprogs/wireup/main.go "$OLD_SRC/comm/internal/testprogs/wireup/"
	(cd "$OLD_SRC" && go build -o "$BIN/old/" ./launcher/cmd/spmdrun ./examples/hello ./comm/internal/testprogs/wireup)
fi
have_ompi=0
if command -v mpicc >/dev/null && command -v mpirun >/dev/null; then
	mpicc -O2 -o "$BIN/fullnode_hello" bench/peers/fullnode_hello.c && have_ompi=1
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

shm_used() { df -B1 --output=used /dev/shm | tail -1 | tr -d ' '; }

# measure IMPL N: one run; prints "wall peak_shm_bytes reports_file" and
# leaves the ranks' reports in $BIN/reports.
measure() {
	local impl=$1 n=$2 cmd
	case $impl in
	hello) cmd=("$BIN/spmdrun" -n "$n" --timeout "${TIMEOUT}s" "$BIN/hello") ;;
	spmd) cmd=("$BIN/spmdrun" -n "$n" --timeout "${TIMEOUT}s" "$BIN/wireup" -allreduce) ;;
	oldhello) cmd=("$BIN/old/spmdrun" -n "$n" --timeout "${TIMEOUT}s" "$BIN/old/hello") ;;
	oldspmd) cmd=("$BIN/old/spmdrun" -n "$n" --timeout "${TIMEOUT}s" "$BIN/old/wireup" -allreduce) ;;
	ompi) cmd=(timeout "$TIMEOUT" mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$n" "$BIN/fullnode_hello") ;;
	esac
	local base peakf=$BIN/peak
	base=$(shm_used)
	echo "$base" >"$peakf"
	(while :; do shm_used >>"$peakf"; sleep 0.02; done) &
	local sampler=$! t0 t1 rc=0
	t0=$(date +%s.%N)
	"${cmd[@]}" >"$BIN/reports" 2>"$BIN/stderr" || rc=$?
	t1=$(date +%s.%N)
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	if [[ $rc != 0 ]]; then
		echo "fullnode: $impl -n $n failed (exit $rc): $(tail -3 "$BIN/stderr" | tr '\n' ' ')" >&2
		echo "failed - -"
		return
	fi
	local peak
	peak=$(sort -n "$peakf" | tail -1)
	echo "$(echo "$t1 - $t0" | bc) $((peak - base))"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

{
	echo "| N | program | wall (s) | /dev/shm peak (MB) | sockets / rank (max) | fds / rank (max) | shm mapped / rank (max, MB) | RSS / rank (median, max; MB) |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|"
} | tee ${out:+"$out"}
for n in $NS; do
	impls="hello spmd ompi"
	[[ -n ${OLD_SRC:-} && " $OLD_NS " == *" $n "* ]] && impls="oldhello oldspmd $impls"
	for impl in $impls; do
		[[ $impl == ompi && $have_ompi == 0 ]] && continue
		walls=() peaks=()
		for _ in $(seq "$ROUNDS"); do
			read -r wall peak < <(measure "$impl" "$n")
			walls+=("$wall") peaks+=("$peak")
		done
		if [[ " ${walls[*]} " == *" failed "* ]]; then
			echo "| $n | $impl | failed | | | | | |" | tee -a ${out:+"$out"}
			continue
		fi
		wall=$(printf '%s\n' "${walls[@]}" | median)
		peak=$(printf '%s\n' "${peaks[@]}" | sort -n | tail -1)
		if [[ $impl == hello || $impl == oldhello ]]; then
			label="spmd hello"
			[[ $impl == oldhello ]] && label="old spmd hello"
			printf '| %d | %s | %.2f | %s | | | | |\n' "$n" "$label" "$wall" "$(mb "$peak")" | tee -a ${out:+"$out"}
			continue
		fi
		stats=$(awk '$1 == "rank" {print $4, $6, $8, $10}' "$BIN/reports" | awk '
			{ if ($1 > s) s = $1; if ($2 > m) m = $2; if ($3 > f) f = $3; r[NR] = $4; if ($4 > x) x = $4 }
			END { for (i = 2; i <= NR; i++) for (j = i; j > 1 && r[j-1] > r[j]; j--) { t = r[j]; r[j] = r[j-1]; r[j-1] = t }
			      printf "%d %d %d %.1f %.1f %d", s, f, m, r[int((NR+1)/2)] / 1024, x / 1024, NR }')
		read -r socks fds shmmax rssmed rssmax ranks <<<"$stats"
		[[ $ranks == "$n" ]] || echo "fullnode: $impl -n $n: $ranks reports of $n" >&2
		label="spmd ring+allreduce"
		[[ $impl == ompi ]] && label="Open MPI ring+allreduce"
		[[ $impl == oldspmd ]] && label="old spmd ring+allreduce"
		printf '| %d | %s | %.2f | %s | %d | %d | %s | %s, %s |\n' "$n" "$label" "$wall" "$(mb "$peak")" "$socks" "$fds" "$(mb "$shmmax")" "$rssmed" "$rssmax" | tee -a ${out:+"$out"}
	done
done
