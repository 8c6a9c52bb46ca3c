#!/usr/bin/env bash
# Compression on a slow link (SPMD_COMPRESS): one-way time of a 16 MiB
# message between two namespace hosts whose link is throttled to 1 Gbit/s,
# for a smooth float64 field and for random bytes, with compression off,
# s2 and zstd, alternating in every round.
#
#   scripts/compress-bench.sh [ROUNDS] [RATE]   (root; defaults 5, 1gbit)
#
# Prints one CSV line per run (round,data,compress,size,us) and then the
# medians with their ranges. The hosts come from scripts/netns-cluster.sh;
# each host's eth0 is slowed with tc netem (rate), or with a token bucket
# (tbf) where the kernel has no netem. Builds bin/spmdrun and bin/spmdbench.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
rate=${2:-1gbit}
[ "$(id -u)" -eq 0 ] || { echo "compress-bench: needs root (network namespaces)" >&2; exit 1; }
PATH=$PATH:/usr/sbin:/sbin
go build -o bin/ ./launcher/cmd/spmdrun ./bench/cmd/spmdbench

dir=$(mktemp -d /tmp/spmd-compress.XXXXXX)
trap 'scripts/netns-cluster.sh down "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
scripts/netns-cluster.sh up "$dir" 2 >/dev/null
# shellcheck source=/dev/null
. "$dir/cluster.env"
qdisc=netem
for ns in $NETNS; do
	if ! ip netns exec "$ns" tc qdisc replace dev eth0 root netem rate "$rate" 2>/dev/null; then
		qdisc=tbf
		ip netns exec "$ns" tc qdisc replace dev eth0 root tbf rate "$rate" burst 256kb latency 100ms
	fi
done
echo "# link: $rate by tc $qdisc on each host's eth0; $(nproc) CPUs; $(git rev-parse --short HEAD)"

run() { # data compress → one-way µs of the 16 MiB message
	SPMD_COMPRESS=$2 bin/spmdrun --hostfile "$dir/hostfile" --launcher "$dir/ssh" -n 2 -ppn 1 \
		bin/spmdbench latency --min 16M --max 16M --warmup-large 1 --iters-large 5 --data "$1" --format csv |
		awk -F, '$1 == 16777216 { print $2 }'
}

out=$dir/runs.csv
echo "round,data,compress,size,us" | tee "$out"
for r in $(seq "$rounds"); do
	for data in field random; do
		for z in off s2 zstd; do
			echo "$r,$data,$z,16777216,$(run "$data" "$z")" | tee -a "$out"
		done
	done
done
echo
echo "data,compress,median_us,min_us,max_us,speedup_vs_off"
for data in field random; do
	off=""
	for z in off s2 zstd; do
		awk -F, -v d="$data" -v z="$z" '$2 == d && $3 == z { print $5 }' "$out" | sort -g |
			awk -v d="$data" -v z="$z" -v off="$off" '{ v[NR] = $1 }
				END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
					printf "%s,%s,%.0f,%.0f,%.0f,%s\n", d, z, m, v[1], v[NR], (off == "" ? "1.00" : sprintf("%.2f", off / m)) }' |
			tee "$dir/row"
		[ -n "$off" ] || off=$(cut -d, -f3 "$dir/row")
	done
done
