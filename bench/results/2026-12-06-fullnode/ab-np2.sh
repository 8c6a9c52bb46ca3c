#!/usr/bin/env bash
# ab-np2.sh OLD_BIN NEW_BIN [ROUNDS]: spmdbench latency and bandwidth at
# np = 2 (shared memory), old build against new, alternated run by run,
# ROUNDS rounds (default 3); prints a Markdown table of medians.
# Each BIN directory holds spmdrun and spmdbench built from one commit.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
run() { # impl bench size
	local bin=$1 bench=$2 size=$3
	"$bin/spmdrun" -n 2 --timeout 120s "$bin/spmdbench" "$bench" --min "$size" --max "$size" | awk -v s="$size" '$1 == s {print $2}'
}
for r in $(seq "$rounds"); do
	for spec in latency:8 latency:1024 latency:65536 latency:1048576 bandwidth:4096 bandwidth:65536 bandwidth:1048576 bandwidth:4194304; do
		bench=${spec%:*} size=${spec#*:}
		for impl in old new; do
			bin=$old
			[[ $impl == new ]] && bin=$new
			echo "$bench $size $impl $(run "$bin" "$bench" "$size")" >>"$raw"
		done
	done
done
echo "| benchmark | size (B) | old (median) | new (median) | new / old | old runs | new runs |"
echo "|---|---:|---:|---:|---:|---|---|"
sort -k1,1 -k2,2n -k3,3 "$raw" | awk '
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{ key = $1 " " $2; v[key, $3] = v[key, $3] (v[key, $3] == "" ? "" : " ") $4; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
END {
	for (i = 1; i <= k; i++) {
		split(order[i], p, " "); o = median(v[order[i], "old"]); n = median(v[order[i], "new"])
		printf "| %s | %s | %.2f | %.2f | %.2f | %s | %s |\n", p[1], p[2], o, n, (o > 0 ? n / o : 0), v[order[i], "old"], v[order[i], "new"]
	}
}'
