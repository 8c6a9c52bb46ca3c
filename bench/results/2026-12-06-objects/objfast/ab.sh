#!/usr/bin/env bash
# ab.sh BASE_SPMDBENCH [ROUNDS]: from the repository root, alternates this
# tree's spmdbench (new), another build's (base, e.g. main's) and this
# tree's raw benchmark (raw: latency for objlatency, allreduce for
# objallreduce), np = 2 over shared memory, with fixed iteration counts
# (2000 timed after 100 warm-up, 20000/1000 below 8 KiB), and prints one
# line per run: bench size impl microseconds load1.
set -euo pipefail
base=$1 rounds=${2:-5}
go build -o bin/spmdrun ./launcher/cmd/spmdrun
go build -o bin/spmdbench ./bench/cmd/spmdbench
for round in $(seq 1 "$rounds"); do
	for case in "objlatency 8" "objlatency 1K" "objlatency 64K" "objallreduce 8" "objallreduce 64K"; do
		set -- $case
		bench=$1 size=$2
		for impl in new base raw; do
			b=bin/spmdbench k=$bench
			[[ $impl == base ]] && b=$base
			if [[ $impl == raw ]]; then
				k=latency
				[[ $bench == objallreduce ]] && k=allreduce
			fi
			v=$(SPMD_TRANSPORT=shm timeout 120 bin/spmdrun -n 2 "$b" "$k" --min "$size" --max "$size" \
				--iters 20000 --warmup 1000 --iters-large 2000 --warmup-large 100 2>/dev/null |
				grep -v '^#' | awk '{print $2}')
			echo "$bench $size $impl $v $(cut -d' ' -f1 /proc/loadavg)"
		done
	done
done
