#!/usr/bin/env bash
# ab-coll.sh: interleaved before/after comparison of two spmdbench builds
# against Open MPI, row by row, for changes whose effect is smaller than
# the drift of this VM between minutes. Each round runs, for every row,
# the "before" spmdbench, the "after" one and Open MPI's OSU-method peer
# back to back; the table gives per-row medians over the rounds and the
# median of the per-round after/Open MPI ratios (each ratio from runs
# seconds apart).
#
#   scripts/ab-coll.sh BEFORE AFTER [OUTDIR]
#
# BEFORE and AFTER are spmdbench binaries (build the old one from a
# worktree of the old commit). Environment: ROUNDS (default 5), ROWS
# ("np:bench:size ..."; default the issue's target rows), SPMDRUN_BEFORE
# (the launcher of the "before" runs, default bin/spmdrun: name an old
# build when the change is the launcher's). Needs bin/spmdrun
# and bin/osu_coll.openmpi, bin/osu_pt2pt.openmpi (make compare-coll
# builds them).
set -euo pipefail
before=${1:?usage: ab-coll.sh BEFORE AFTER [OUTDIR]}
after=${2:?usage: ab-coll.sh BEFORE AFTER [OUTDIR]}
out=${3:-$(mktemp -d)}
rounds=${ROUNDS:-5}
rows=${ROWS:-"2:latency:8 2:allreduce:8 2:barrier:0 2:allreduce:1M 2:bcast:1M 2:allgather:1M 4:allreduce:8 4:barrier:0 4:allreduce:1M 4:bcast:1M 4:allgather:1M"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$out"
raw=$out/ab-raw.txt
: >"$raw"

# flags: fixed counts, as the OSU defaults but more iterations for the
# small rows, whose figures are a fraction of a microsecond.
flags() { # np bench size
	local f="--min $3 --max $3"
	case $2 in
	latency) f+=" --iters 100000 --warmup 1000" ;;
	*) if [ "$1" -gt 2 ]; then f+=" --iters 2000 --warmup 30 --iters-large 40 --warmup-large 5"; else f+=" --iters 20000 --warmup 300 --iters-large 200 --warmup-large 20"; fi ;;
	esac
	echo "$f"
}
# last row's first number after the size: the (average) latency in µs.
value() { grep -v '^#' | awk 'NF >= 2 { v = $2 } END { print v }'; }

for r in $(seq "$rounds"); do
	for row in $rows; do
		IFS=: read -r np bench size <<<"$row"
		f=$(flags "$np" "$bench" "$size")
		peer=bin/osu_coll.openmpi
		[ "$bench" = latency ] && peer=bin/osu_pt2pt.openmpi
		om=()
		[ "$np" -gt 2 ] && om=(--oversubscribe --bind-to none --mca mpi_yield_when_idle 1)
		# shellcheck disable=SC2086
		b=$(timeout -k 5 300 "${SPMDRUN_BEFORE:-bin/spmdrun}" -n "$np" "$before" "$bench" $f 2>/dev/null | value)
		# shellcheck disable=SC2086
		a=$(timeout -k 5 300 bin/spmdrun -n "$np" "$after" "$bench" $f 2>/dev/null | value)
		# shellcheck disable=SC2086
		o=$(timeout -k 5 300 mpirun.openmpi -np "$np" "${om[@]}" "$peer" "$bench" $f --transport shm 2>/dev/null | value)
		echo "$r $np $bench $size ${b:-nan} ${a:-nan} ${o:-nan}" | tee -a "$raw"
	done
done

python3 - "$raw" "$rounds" <<'EOF' | tee "$out/ab.md"
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    r, np, bench, size, b, a, o = line.split()
    rows[(int(np), bench, size)].append((float(b), float(a), float(o)))
med = lambda xs: statistics.median([x for x in xs if x == x])
print(f"| np | benchmark | size | before | after | Open MPI | after / Open MPI (median of rounds) |")
print("|---:|---|---:|---:|---:|---:|---:|")
fmt = lambda x: f"{x:.3g}" if x < 100 else f"{x:.0f}"
for (np, bench, size), v in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
    ratio = med([a / o for _, a, o in v if o > 0])
    print(f"| {np} | {bench} | {size} | {fmt(med([x[0] for x in v]))} | {fmt(med([x[1] for x in v]))} | {fmt(med([x[2] for x in v]))} | {ratio:.2f} |")
print(f"\n{sys.argv[2]} rounds; µs, average over ranks (OSU method).")
EOF
echo "raw: $raw" >&2
